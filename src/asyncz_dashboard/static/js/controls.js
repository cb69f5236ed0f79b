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

  // -- History: a search is one entry. Its first keystroke pushes an entry (the server answers
  // hx-push-url, the URL having changed); its later keystrokes ask for hx-replace-url
  // (X-Dashboard-History: replace, views/tasks.py _history_header), so Back returns to the
  // list before the search in one step. Any other request of the page (a sort, a page, a
  // filter, an action) or a step through the history ends the search: the next keystroke
  // begins a new one.
  var searching = false; // this search's first keystroke has had its entry
  document.addEventListener("htmx:configRequest", function (evt) {
    var trigger = evt.detail.triggeringEvent;
    var typing = trigger && trigger.type === "input" && trigger.target &&
      trigger.target.matches && trigger.target.matches('[aria-keyshortcuts~="/"]');
    if (!typing) { searching = false; return; }
    if (searching) evt.detail.headers["X-Dashboard-History"] = "replace";
    searching = true;
  });

  // Back and Forward between the task list's own entries (pushed by htmx, state.htmx) draw the
  // list of that entry in place, without a reload: its table fragment morphed in, the filters'
  // fields set from the URL (idiomorph keeps a focused field's value, and a select's option the
  // operator picked). htmx would reload (it keeps no history cache here: historyCacheSize 0).
  // A capturing listener on window runs before htmx's window.onpopstate, which it stops.
  var LIST_PATH = document.getElementById("bulk-form") ? window.location.pathname : null;

  function showFilters(params) {
    var form = document.getElementById("task-filters");
    if (!form) return;
    var fields = form.querySelectorAll("input[name]:not([type=hidden]), select[name]");
    Array.prototype.forEach.call(fields, function (field) {
      var value = params.get(field.name) || "";
      var offered = field.tagName !== "SELECT" ||
        Array.prototype.some.call(field.options, function (o) { return o.value === value; });
      if (!offered) value = "";
      field.value = value;
      if (field.tagName === "INPUT") field.setAttribute("value", value);
    });
  }

  window.addEventListener("popstate", function (evt) {
    var region = document.getElementById("tasks-table");
    var live = region && region.getAttribute("data-live");
    if (!evt.state || !evt.state.htmx || !live || !window.htmx ||
        window.location.pathname !== LIST_PATH) return;
    evt.stopImmediatePropagation();
    searching = false;
    var search = window.location.search;
    window.htmx.ajax("GET", live.split("?")[0] + search, {
      source: region, target: "#tasks-table", swap: "morph:outerHTML"
    }).then(function () {
      if (window.location.search === search) showFilters(new URLSearchParams(search));
    });
  }, true);

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

  // -- The selection ---------------------------------------------------------------------------
  // Ticks are by task id and kept here, not in the page: they survive sorting, paging, live
  // refreshes and row actions, and a ticked task that is not on the page shown is sent as a
  // hidden task_id of #bulk-form. A change of the list's filter (search text, state, executor,
  // trigger, worker: #bulk-form's data-selection-key) clears them, and the counter says so; a
  // bulk action's answer clears them too, and a row's Remove takes its task out. The page's
  // select-all box, while ticked, ticks the rows a refresh brings onto the page. "Select all N
  // matching" (a real checkbox the server reads, name="select" value="all"; shown by CSS once
  // the page's select-all is ticked) stays on through sorting and paging, ticking every row
  // shown, until a box is unticked. The counter and the bulk question count what the form
  // sends.
  var selection = new Map(); // task id -> task name, in the order ticked
  var allMatching = false;
  var selectionKey = null; // the filter the selection belongs to
  var notice = ""; // said by the counter instead of the count, until the selection changes

  function bulkForm() {
    return document.getElementById("bulk-form");
  }

  function matchingBox() {
    return document.querySelector("[data-select-matching]");
  }

  function pageAllBox() {
    return document.querySelector("[data-select-all]");
  }

  function pageBoxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[name="task_id"][form="bulk-form"]'));
  }

  function taskName(box) {
    var row = box.closest("tr");
    var cell = row && row.querySelector("td:nth-child(2)"); // the name (tasks/_row.html)
    return cell ? cell.textContent.trim() : box.value;
  }

  function tick(box) {
    selection.set(box.value, taskName(box));
  }

  function clearSelection() {
    selection.clear();
    allMatching = false;
    var all = matchingBox(), pageAll = pageAllBox();
    if (all) all.checked = false;
    if (pageAll) pageAll.checked = false;
  }

  // The ids the bulk form sends (its ticked boxes, then its hidden ones), each once.
  function selectedIds() {
    var form = bulkForm();
    if (!form) return [];
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return el.name === "task_id" && !el.disabled && (el.type === "hidden" || el.checked);
    });
    var shown = fields.filter(function (el) { return el.type !== "hidden"; });
    var ids = shown.concat(fields.filter(function (el) { return el.type === "hidden"; }))
      .map(function (el) { return el.value; });
    var seen = new Set();
    return ids.filter(function (id) {
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  function everyMatching() {
    var all = matchingBox();
    return all && all.checked ? all : null;
  }

  function selectionCount() {
    var all = everyMatching();
    return all ? Number(all.dataset.count) : selectedIds().length;
  }

  function showCount() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var all = everyMatching(), boxes = pageBoxes(), text;
    if (notice) text = notice;
    else if (all) text = "Selected: all " + all.dataset.count + " matching";
    else if (!boxes.length && !selection.size) text = "";
    else {
      var count = selectedIds().length;
      var elsewhere = count - boxes.filter(function (box) { return box.checked; }).length;
      text = "Selected: " + count + (elsewhere ? " (" + elsewhere + " not on this page)" : "");
    }
    if (label.textContent !== text) label.textContent = text;
  }

  function say(text) {
    notice = text;
    showCount();
  }

  // Draw the selection on the page shown: its boxes, the select-all boxes, the hidden ids of
  // the ticked tasks not shown, the counter. Called after every swap and refresh.
  function syncSelection() {
    var form = bulkForm();
    if (!form) return;
    var key = form.getAttribute("data-selection-key") || "";
    if (selectionKey !== null && key !== selectionKey && (selection.size || allMatching)) {
      clearSelection();
      notice = "Selection cleared: the filter changed.";
    }
    selectionKey = key;
    var boxes = pageBoxes(), all = matchingBox(), pageAll = pageAllBox();
    if (all && allMatching) all.checked = true;
    if (allMatching || pageAll && pageAll.checked) boxes.forEach(tick);
    var shown = new Set();
    boxes.forEach(function (box) {
      box.checked = selection.has(box.value);
      if (box.checked) tick(box); // its name as shown now
      shown.add(box.value);
    });
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    if (pageAll) {
      pageAll.checked = boxes.length > 0 && ticked === boxes.length;
      pageAll.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    form.querySelectorAll("input[data-kept]").forEach(function (el) { el.remove(); });
    selection.forEach(function (name, id) {
      if (shown.has(id)) return;
      var kept = document.createElement("input");
      kept.type = "hidden";
      kept.name = "task_id";
      kept.value = id;
      kept.setAttribute("data-kept", "");
      form.appendChild(kept);
    });
    showCount();
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    if (!target.matches) return;
    var all = matchingBox(), pageAll = pageAllBox();
    if (target.matches("[data-select-matching]")) {
      allMatching = target.checked; // unticked, the rows stay ticked
      if (pageAll && target.checked) pageAll.checked = true;
    } else if (target.matches("[data-select-all]")) {
      pageBoxes().forEach(function (box) {
        if (target.checked) tick(box); else selection.delete(box.value);
      });
      if (!target.checked) allMatching = false;
    } else if (target.matches('input[name="task_id"][form="bulk-form"]')) {
      if (target.checked) {
        tick(target);
      } else {
        selection.delete(target.value);
        allMatching = false;
        if (pageAll) pageAll.checked = false;
      }
    } else {
      return;
    }
    if (all && !allMatching) all.checked = false;
    notice = "";
    syncSelection();
  });

  // A bulk action's answer ends the selection (the message says what was done); a row's
  // Remove takes its task out of it (a row action's answer keeps the rest).
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var config = evt.detail.requestConfig;
    if (!config || !config.elt || !evt.detail.shouldSwap) return;
    var submitter = config.triggeringEvent && config.triggeringEvent.submitter;
    if (config.elt.id === "bulk-form") {
      clearSelection();
      notice = "";
    } else if (config.elt.id === "task-actions" && submitter && submitter.name === "remove") {
      selection.delete(submitter.value);
    }
  });
  document.addEventListener("htmx:afterSwap", syncSelection);
  document.addEventListener("dashboard:refreshed", syncSelection);

  // Boxes the browser ticked again (its form restoration on Back) are the selection.
  pageBoxes().forEach(function (box) { if (box.checked) tick(box); });
  if (matchingBox() && matchingBox().checked) allMatching = true;
  syncSelection();

  // The bulk confirmation (asked by dashboard.js): the count, and up to 10 names.
  function bulkQuestion(verb) {
    var every = everyMatching();
    var names = selectedIds().map(function (id) { return selection.get(id) || id; });
    var count = selectionCount();
    var noun = count === 1 ? "task" : "tasks";
    var question = every
      ? verb + " all " + count + " " + noun + (every.dataset.filter ? " matching " + every.dataset.filter : "")
      : verb + " " + count + " selected " + noun;
    var shown = names.slice(0, Math.min(10, count));
    var lines = shown.map(function (name) { return "• " + name; });
    if (count > shown.length) lines.push("…and " + (count - shown.length) + " more");
    var text = question + "?\n\n" + lines.join("\n");
    return verb === "Remove" ? text + "\n\nThis cannot be undone." : text;
  }

  window.asynczControls = {
    bulkQuestion: bulkQuestion, selectionCount: selectionCount, say: say
  };
})();
