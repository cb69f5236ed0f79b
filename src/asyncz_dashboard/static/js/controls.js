// asyncz-dashboard: keyboard, menus and selection controls (issue 8, points 4 and 5).
// Loaded with defer after dashboard.js; no inline script anywhere (CSP).
(function () {
  "use strict";

  function isTyping(el) {
    if (!el || el === document.body) return false;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  // -- The phone header's menu (<details class="top-menu">; details.menu for any other):
  // Escape, a click outside and tabbing out close them (the row menu: below) ----------------
  var MENUS = "details.menu, details.top-menu";

  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll(
      "details.menu[open], details.top-menu[open]"));
  }

  // A browser without ::details-content cannot show a closed <details>' content, so from
  // 700 px (where dashboard.css lays the header's menu out in the bar) it is kept open there.
  var WIDE = window.matchMedia("(min-width: 700px)");
  var KEEP_OPEN = !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)"));

  function keepHeaderOpen() {
    var top = document.querySelector("details.top-menu");
    if (KEEP_OPEN && top && WIDE.matches) top.open = true;
  }
  keepHeaderOpen();
  WIDE.addEventListener("change", keepHeaderOpen);

  function closeMenu(menu, refocus) {
    if (KEEP_OPEN && WIDE.matches && menu.matches("details.top-menu")) return;
    menu.open = false;
    var summary = menu.querySelector("summary");
    if (refocus && summary) summary.focus();
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    var menus = openMenus();
    if (!menus.length) return;
    var active = document.activeElement;
    var inside = false;
    menus.forEach(function (menu) {
      inside = inside || menu.contains(active);
      closeMenu(menu, menu.contains(active));
    });
    if (inside) evt.preventDefault();  // elsewhere (a search box) Escape keeps its own meaning
  });

  document.addEventListener("click", function (evt) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(evt.target)) closeMenu(menu, false);
    });
  });

  // Tabbing out of an open menu closes it, as a click outside does.
  document.addEventListener("focusout", function (evt) {
    var menu = evt.target.closest && evt.target.closest("details.menu[open], details.top-menu[open]");
    var next = evt.relatedTarget;
    if (menu && next && !menu.contains(next)) closeMenu(menu, false);
  });

  // One menu open at a time: opening one closes the others (and the row menu).
  document.addEventListener("toggle", function (evt) {
    var menu = evt.target;
    if (!menu.matches || !menu.matches(MENUS) || !menu.open) return;
    closeRowMenu(false);
    openMenus().forEach(function (other) {
      if (other !== menu) closeMenu(other, false);
    });
  }, true);

  // -- The row menu ------------------------------------------------------------------------
  // A row's ⋯ (a.more) links to the task's page, where every action is (without script). Here
  // it becomes a menu button: Enter, Space, ArrowDown or a click opens a menu built from the
  // table's one <template id="row-menu"> (tasks/_table.html: the items this viewer may use,
  // "__task__" for the task id), with focus on its first item; ArrowUp/ArrowDown/Home/End move,
  // Escape closes it and puts focus back on ⋯, Tab, a click outside or opening another closes
  // it. The menu sits in the row's actions cell, so its Remove button belongs to #task-actions
  // like the row's buttons. A live refresh keeps it open (dashboard.js leaves it to the morph,
  // which keeps its row by id); when its row goes, so does the menu.
  var PLACEHOLDER = /__task__/g;
  var openRow = null; // { menu, link, row (the row's DOM id) } while a row menu is open

  function menuItems(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
  }

  function upgradeMoreLinks() {
    if (!document.getElementById("row-menu")) return;
    document.querySelectorAll("#tasks-table a.more:not([aria-haspopup])").forEach(function (link) {
      link.setAttribute("role", "button");
      link.setAttribute("aria-haspopup", "menu");
      link.setAttribute("aria-expanded", "false");
    });
  }

  function buildMenu(link, taskId) {
    var template = document.getElementById("row-menu");
    var menu = template.content.firstElementChild.cloneNode(true);
    // The path segment exactly as the server wrote it in the ⋯ link (url_for's encoding,
    // "." and ".." included); a query value as encodeURIComponent writes it.
    var href = link.getAttribute("href").split("?")[0];
    var segment = href.slice(href.lastIndexOf("/") + 1);
    menu.querySelectorAll("a[data-href]").forEach(function (a) {
      var url = a.getAttribute("data-href"), at = url.indexOf("?");
      a.removeAttribute("data-href");
      var path = (at < 0 ? url : url.slice(0, at)).replace(PLACEHOLDER, segment);
      var query = at < 0 ? "" : "?" + url.slice(at + 1).replace(PLACEHOLDER, encodeURIComponent(taskId));
      a.setAttribute("href", path + query);
    });
    menu.querySelectorAll("button[value]").forEach(function (b) {
      b.setAttribute("value", b.getAttribute("value").replace(PLACEHOLDER, taskId));
    });
    menu.id = "row-menu-open";
    menu.setAttribute("data-open-menu", "");
    menu.setAttribute("aria-label", link.getAttribute("aria-label") || "More actions");
    return menu;
  }

  function openRowMenu(link, focusLast) {
    var tr = link.closest("tr");
    var taskId = tr && window.asynczRowTaskId ? window.asynczRowTaskId(tr) : null;
    if (!document.getElementById("row-menu") || taskId === null) return false;
    closeRowMenu(false);
    openMenus().forEach(function (menu) { closeMenu(menu, false); });
    var menu = buildMenu(link, taskId);
    link.after(menu);
    placeMenu(menu);
    link.setAttribute("aria-expanded", "true");
    link.setAttribute("aria-controls", menu.id);
    openRow = { menu: menu, link: link, row: tr.id };
    var items = menuItems(menu);
    if (items.length) items[focusLast ? items.length - 1 : 0].focus();
    return true;
  }

  // The menu opens below its ⋯; upward (.menu-up) when the window has no room for it below
  // and more room above (the last rows of a long list, a phone's last card).
  function placeMenu(menu) {
    menu.classList.remove("menu-up");
    var box = menu.getBoundingClientRect();
    if (box.bottom <= window.innerHeight) return;
    var cell = menu.parentElement.getBoundingClientRect();
    if (cell.top > window.innerHeight - box.top) menu.classList.add("menu-up");
  }

  function closeRowMenu(refocus) {
    if (!openRow) return;
    var link = openRow.link;
    openRow.menu.remove();
    openRow = null;
    link.setAttribute("aria-expanded", "false");
    link.removeAttribute("aria-controls");
    if (refocus && link.isConnected) link.focus();
  }

  // After a refresh or an answer: the menu stays under its row's ⋯ (moved there if the ⋯ is
  // a new element); with its row gone, it goes.
  function reanchorRowMenu() {
    upgradeMoreLinks();
    if (!openRow) return;
    var tr = document.getElementById(openRow.row);
    var link = tr && tr.querySelector("a.more");
    if (!link) {
      openRow.menu.remove();
      openRow = null;
      return;
    }
    if (link.nextElementSibling !== openRow.menu) {
      var index = menuItems(openRow.menu).indexOf(document.activeElement);
      link.after(openRow.menu);
      placeMenu(openRow.menu);
      if (index >= 0) menuItems(openRow.menu)[index].focus();
    }
    openRow.link = link;
    link.setAttribute("aria-expanded", "true");
    link.setAttribute("aria-controls", openRow.menu.id);
  }

  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("#tasks-table a.more");
    if (link && evt.button === 0 && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey && !evt.altKey) {
      if (openRow && openRow.link === link) {
        evt.preventDefault();
        closeRowMenu(false);
        return;
      }
      if (openRowMenu(link, false)) evt.preventDefault();
      return;
    }
    if (openRow && !openRow.menu.contains(evt.target)) closeRowMenu(false);
  });

  document.addEventListener("keydown", function (evt) {
    var target = evt.target;
    if (target.matches && target.matches("#tasks-table a.more[aria-haspopup]")) {
      if (evt.key === "Enter" || evt.key === " " || evt.key === "ArrowDown" || evt.key === "ArrowUp") {
        evt.preventDefault();
        if (openRow && openRow.link === target && evt.key !== "ArrowUp" && evt.key !== "ArrowDown") {
          closeRowMenu(true);
        } else {
          openRowMenu(target, evt.key === "ArrowUp");
        }
      } else if (evt.key === "Escape" && openRow && openRow.link === target) {
        evt.preventDefault();
        closeRowMenu(true);
      }
      return;
    }
    if (!openRow || !openRow.menu.contains(target)) return;
    var items = menuItems(openRow.menu);
    var at = items.indexOf(document.activeElement);
    var next = null;
    if (evt.key === "ArrowDown") next = items[(at + 1) % items.length];
    else if (evt.key === "ArrowUp") next = items[(at - 1 + items.length) % items.length];
    else if (evt.key === "Home") next = items[0];
    else if (evt.key === "End") next = items[items.length - 1];
    else if (evt.key === "Escape") {
      evt.preventDefault();
      closeRowMenu(true);
      return;
    } else if (evt.key === "Tab") {
      // Tab leaves the menu as it would leave ⋯: focus goes on from there.
      var link = openRow.link;
      closeRowMenu(false);
      link.focus();
      return;
    } else if (evt.key === " " && target.tagName === "A") {
      evt.preventDefault();
      target.click();
      return;
    }
    if (next) {
      evt.preventDefault();
      next.focus();
    }
  });

  // Focus leaving the menu (elsewhere than its ⋯) closes it; a dialog (the Remove question)
  // takes focus to no element of the page and leaves it open.
  document.addEventListener("focusout", function (evt) {
    if (!openRow || !openRow.menu.contains(evt.target)) return;
    var next = evt.relatedTarget;
    if (next && !openRow.menu.contains(next) && next !== openRow.link) closeRowMenu(false);
  });

  document.addEventListener("dashboard:refreshed", reanchorRowMenu);
  document.addEventListener("htmx:afterSettle", reanchorRowMenu);
  upgradeMoreLinks();

  // -- A plain form is sent once: a second click (a double click) neither asks its
  // data-confirm question again nor sends it again. This window listener runs before the
  // document's confirmation listener (dashboard.js); htmx forms are guarded by htmx itself.
  window.addEventListener("submit", function (evt) {
    if (evt.target.dataset && evt.target.dataset.sent) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (evt) {
    if (!evt.defaultPrevented && evt.target.dataset) evt.target.dataset.sent = "1";
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
    });
  });

  // -- "/" jumps to the page's search box (not while typing in a field) -----------------------
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "/" || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (isTyping(evt.target) || isTyping(document.activeElement)) return;
    var search = document.querySelector('[aria-keyshortcuts~="/"]');
    if (!search) return;
    evt.preventDefault();
    search.focus();
    if (search.select) search.select();
  });

  // -- History: typing in the search box replaces the entry; the server answers with
  // hx-replace-url instead of hx-push-url when asked (views/tasks.py _history_header).
  document.addEventListener("htmx:configRequest", function (evt) {
    var trigger = evt.detail.triggeringEvent;
    if (trigger && trigger.type === "input" && trigger.target &&
        trigger.target.matches('[aria-keyshortcuts~="/"]')) {
      evt.detail.headers["X-Dashboard-History"] = "replace";
    }
  });

  // -- Focus stays on the sort, pager or per-page control that was used ----------------------
  // htmx (and the morph) put focus back on an element with the same id. When that control is
  // gone after the swap (no "Next" on the last page), focus goes to its nearest counterpart.
  var FALLBACKS = { "pager-next": ["pager-prev"], "pager-prev": ["pager-next"] };
  var usedControl = null;

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var active = document.activeElement;
    var table = document.getElementById("tasks-table");
    usedControl = active && active.id && table && table.contains(active) ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var wanted = usedControl;
    usedControl = null;
    var active = document.activeElement;
    if (!wanted || (active && active !== document.body)) return;
    var ids = [wanted].concat(FALLBACKS[wanted] || []);
    for (var i = 0; i < ids.length; i++) {
      var el = document.getElementById(ids[i]);
      if (el) { el.focus(); return; }
    }
    var pager = document.querySelector("#tasks-table .pager a, #tasks-table .pager [tabindex]");
    if (pager && /^(pager|per-page)-/.test(wanted)) pager.focus();
  });

  // -- Select every task matching the filter -------------------------------------------------
  // The offer (a real checkbox, name="select" value="all") shows by CSS once the page's
  // select-all box is ticked; unticking any box on the page withdraws it.
  function matchingBox() {
    return document.querySelector("[data-select-matching]");
  }

  function pageBoxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[name="task_id"][form="bulk-form"]'));
  }

  function showCount() {
    var all = matchingBox();
    var label = document.querySelector("[data-selected-count]");
    if (label && all && all.checked) {
      label.textContent = "Selected: all " + all.dataset.count + " matching";
    }
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    var all = matchingBox();
    if (!target.matches || !all) return;
    if (target === all && all.checked) {
      pageBoxes().forEach(function (box) { box.checked = true; });
      var pageAll = document.querySelector("[data-select-all]");
      if (pageAll) pageAll.checked = true;
    } else if (!target.checked &&
               (target.matches("[data-select-all]") || target.matches('input[name="task_id"]'))) {
      all.checked = false;
    }
    showCount();
  });

  document.addEventListener("htmx:afterSettle", showCount);

  // The bulk confirmation (asked by dashboard.js): the count, and up to 10 names.
  function taskName(box) {
    var row = box.closest("tr");
    var cell = row && row.querySelector("td.name");
    return cell ? cell.textContent.trim() : box.value;
  }

  function bulkQuestion(verb) {
    var all = matchingBox();
    var every = all && all.checked;
    var names = pageBoxes().filter(function (box) { return box.checked; }).map(taskName);
    var count = every ? Number(all.dataset.count) : names.length;
    var noun = count === 1 ? "task" : "tasks";
    var question = every
      ? verb + " all " + count + " " + noun + (all.dataset.filter ? " matching " + all.dataset.filter : "")
      : verb + " " + count + " selected " + noun;
    var shown = names.slice(0, Math.min(10, count));
    var lines = shown.map(function (name) { return "• " + name; });
    if (count > shown.length) lines.push("…and " + (count - shown.length) + " more");
    var text = question + "?\n\n" + lines.join("\n");
    return verb === "Remove" ? text + "\n\nThis cannot be undone." : text;
  }

  window.asynczControls = { bulkQuestion: bulkQuestion };
})();
