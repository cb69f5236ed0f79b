// asyncz-dashboard: small progressive enhancements. No inline script anywhere (CSP).
(function () {
  "use strict";

  // The task list's selection (ticks by task id, select all, its counter) is controls.js's:
  // what a bulk form sends is counted there (asynczControls.selectionCount).
  function selectionCount(form) {
    if (window.asynczControls) return window.asynczControls.selectionCount();
    return new FormData(form).getAll("task_id").length;
  }

  // The server answers a bulk POST without a selection with this reason too (400).
  function sayNothingSelected() {
    var reason = "Select at least one task.";
    if (window.asynczControls) { window.asynczControls.say(reason); return; }
    var label = document.querySelector("[data-selected-count]");
    if (label) label.textContent = reason;
  }

  // Plain forms with data-confirm (detail page): a cancelled confirmation sends nothing.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.dataset || !form.dataset.confirm) return;
    var confirmed = window.confirm(form.dataset.confirm);
    markConfirmed(form, confirmed);
    if (!confirmed) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // A form whose server asks again without script (its `confirmed` field, data-confirmed)
  // learns here that it was answered: htmx reads the form's values after htmx:confirm.
  function markConfirmed(form, confirmed) {
    form.querySelectorAll("input[data-confirmed]").forEach(function (input) {
      input.value = confirmed ? "yes" : "";
    });
  }

  // Row actions: the table's form #task-actions (POST /tasks/act) sends the clicked button's
  // verb and task id (name="pause" value="<id>"). A button's data-confirm is its question; a
  // Remove button (data-remove, in the row menu) asks about its row's task. A cancelled
  // confirmation sends nothing.
  function submitterOf(evt) {
    return evt.detail.triggeringEvent && evt.detail.triggeringEvent.submitter || null;
  }

  function rowQuestion(button) {
    if (button.dataset.confirm) return button.dataset.confirm;
    if (!button.hasAttribute("data-remove")) return "";
    // The row's second cell is the task's name (tasks/_row.html).
    var link = button.closest("tr") && button.closest("tr").querySelector("td:nth-child(2) a");
    return "Remove task “" + (link ? link.textContent : "") + "”? This cannot be undone.";
  }

  document.addEventListener("htmx:confirm", function (evt) {
    if (evt.detail.elt.id !== "task-actions") return;
    var button = submitterOf(evt);
    var question = button ? rowQuestion(button) : "";
    // Asked here or nothing to ask: either way the server must not ask again.
    markConfirmed(evt.detail.elt, true);
    if (!question) return;
    evt.preventDefault();
    if (window.confirm(question)) evt.detail.issueRequest(true);
  });

  // Bulk actions: the confirmation states the count; nothing is sent without a selection.
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt;
    if (!elt.matches || !elt.matches("form[data-bulk]")) return;
    evt.preventDefault();
    var count = selectionCount(elt);
    var submitter = evt.detail.triggeringEvent && evt.detail.triggeringEvent.submitter;
    var verb = submitter && submitter.dataset.verb ? submitter.dataset.verb : "Apply to";
    if (count === 0) {
      sayNothingSelected();
      return;
    }
    if (window.confirm(bulkQuestion(verb, count))) {
      markConfirmed(elt, true);
      evt.detail.issueRequest(true);
    }
  });

  // Plain (no-htmx) bulk submit: same rule.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-bulk]") || window.htmx) return;
    var count = selectionCount(form);
    var verb = evt.submitter && evt.submitter.dataset.verb ? evt.submitter.dataset.verb : "Apply to";
    if (count === 0) sayNothingSelected();
    if (count === 0 || !window.confirm(bulkQuestion(verb, count))) evt.preventDefault();
    else markConfirmed(form, true);
  });

  // The question names the count and up to 10 tasks (controls.js), or at least the count.
  function bulkQuestion(verb, count) {
    if (window.asynczControls) return window.asynczControls.bulkQuestion(verb);
    return verb + " " + count + " selected " + (count === 1 ? "task" : "tasks") + "?";
  }

  // Keyboard focus survives a swap of the table instead of falling back to <body>: remember
  // the focused control by its row (task id) and place in the row, then focus its counterpart
  // (Pause becomes Resume in place). A removed row hands focus to the row now in its place.
  // Only keyboard focus (:focus-visible) is kept. (Live refreshes morph the table in place, so
  // they keep focus themselves; this is for action answers, which replace it.)
  var CONTROLS = "a[href], button, input:not([type=hidden]), select, summary";
  var pendingFocus = null;

  function rowControls(tr) {
    return Array.prototype.slice.call(tr.querySelectorAll(CONTROLS));
  }

  function tableRows(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  }

  // A row's task id: its DOM id "t-<id>" when the id is plain ([A-Za-z0-9_-]), else its
  // data-task-id (the DOM id is then "h-<hash>"): tasks/_row.html.
  function rowTaskId(tr) {
    if (tr.hasAttribute("data-task-id")) return tr.getAttribute("data-task-id");
    return tr.id.slice(0, 2) === "t-" ? tr.id.slice(2) : null;
  }
  window.asynczRowTaskId = rowTaskId;

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var table = document.getElementById("tasks-table");
    var active = document.activeElement;
    pendingFocus = null;
    if (evt.defaultPrevented || !table || !active || !table.contains(active)) return;
    if (!active.matches(":focus-visible")) return;
    var tr = active.closest("tbody tr");
    pendingFocus = {
      task: tr ? rowTaskId(tr) : null,
      row: tr ? tableRows(table).indexOf(tr) : -1,
      index: tr ? rowControls(tr).indexOf(active) : -1,
      tag: active.tagName,
      text: active.textContent.trim()
    };
  });

  function restoreFocus(table, want) {
    var target = null;
    if (want.row >= 0) {
      var rows = tableRows(table);
      var tr = rows.filter(function (r) { return rowTaskId(r) === want.task; })[0];
      if (tr) {
        target = rowControls(tr)[want.index];
      } else if (rows.length) {
        tr = rows[Math.min(want.row, rows.length - 1)];
        target = tr.querySelector("td:nth-child(2) a") || rowControls(tr)[0]; // the name, or a button
      }
    } else {
      target = Array.prototype.slice.call(table.querySelectorAll(CONTROLS)).filter(function (el) {
        return el.tagName === want.tag && el.textContent.trim() === want.text;
      })[0];
    }
    if (target) target.focus();
  }

  // After a swap, put keyboard focus back.
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "tasks-table") return;
    var table = document.getElementById("tasks-table");
    var want = pendingFocus;
    pendingFocus = null;
    var active = document.activeElement;
    if (want && table && (!active || active === document.body)) restoreFocus(table, want);
  });
  // Buttons are disabled while their request is in flight, so a double click sends one POST
  // (the server also answers a repeated submission id with the first outcome).
  function postButtons(evt) {
    var elt = evt.detail.elt;
    if (!elt || evt.detail.requestConfig && evt.detail.requestConfig.verb !== "post") return [];
    if (elt.id === "task-actions") { // a row's button: that one only, not the whole table's
      var button = evt.detail.requestConfig && submitterOf({ detail: evt.detail.requestConfig });
      return button ? [button] : [];
    }
    return elt.tagName === "BUTTON" ? [elt] : Array.prototype.slice.call(elt.querySelectorAll("button"));
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.defaultPrevented) return;
    postButtons(evt).forEach(function (b) { b.disabled = true; b.dataset.busy = "1"; });
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    postButtons(evt).forEach(function (b) {
      if (b.dataset.busy) { b.disabled = false; delete b.dataset.busy; }
    });
  });

  // Plain form submits: disable the buttons just after the browser has read the form.
  document.addEventListener("submit", function (evt) {
    if (evt.defaultPrevented || window.htmx && evt.target.hasAttribute("hx-post")) return;
    var buttons = evt.target.querySelectorAll("button");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; b.dataset.busy = "1"; });
    }, 0);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[data-busy]").forEach(function (b) {
      b.disabled = false; delete b.dataset.busy;
    });
  });

  // A refused htmx request (4xx/5xx) or no answer at all shows why, instead of nothing.
  function showRequestError(text) {
    var region = document.querySelector("[data-request-error]");
    if (!region) return;
    region.textContent = text;
    region.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("content-type") || "";
    var text = type.indexOf("text/plain") === 0 ? xhr.responseText.trim().slice(0, 300) : "";
    showRequestError(text || "The dashboard refused the request (HTTP " + xhr.status +
      "). Reload the page and try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    showRequestError("The dashboard did not answer. Check the connection, then reload the page.");
  });

  // ---- Live refresh and times (live helper) -----------------------------------------------
  // Every [data-live] region is polled at the chosen interval with the version it shows
  // (X-Dashboard-Version). 204 means "still current" and touches nothing; 200 is morphed in
  // with idiomorph, keeping ticks, open menus, focus, typed text and unchanged text (so a text
  // selection survives). Times are <time datetime> (data-when="date", "absolute" or "hour" for the variants): rendered here as "in 4 min ·
  // 14:05:03 CET", ticking every second, in the scheduler's zone or the browser's.
  var STORE_INTERVAL = "asyncz-dashboard.refresh";
  var STORE_ZONE = "asyncz-dashboard.zone";
  var body = document.body;
  var lastUpdate = Date.now();
  var pollTimer = null;
  var polling = false;
  var htmxInFlight = 0;
  var htmxGeneration = 0;
  var lastProblem = "";

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not kept */ }
  }

  function refreshSeconds() {
    var saved = stored(STORE_INTERVAL);
    var n = parseInt(saved === null ? body.getAttribute("data-refresh") : saved, 10);
    return isNaN(n) || n < 0 ? 5 : n;
  }

  function liveRegions() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live]")).filter(function (r) {
      return r.getAttribute("data-live");
    });
  }

  // Idiomorph keeps what the operator did: a ticked box, an open <details> menu, the value of
  // the focused field; and leaves a <time> alone when its moment did not change.
  if (window.Idiomorph && window.Idiomorph.defaults) {
    var defaults = window.Idiomorph.defaults;
    defaults.ignoreActiveValue = true;
    defaults.callbacks.beforeAttributeUpdated = function (name, elt) {
      if (name === "checked" && elt.type === "checkbox") return false;
      if (name === "open" && elt.tagName === "DETAILS") return false;
      // A row's ⋯ is the row menu's button (controls.js): it keeps what made it one.
      if (elt.tagName === "A" && elt.classList.contains("more") &&
          /^(role|aria-haspopup|aria-expanded|aria-controls)$/.test(name)) return false;
      if (name === "value" && elt === document.activeElement) return false;
      // Text typed but not yet sent (the search asks 400 ms after a key, and focus may have
      // moved on meanwhile): the field's value differs from what the server last drew.
      if (name === "value" && elt.tagName === "INPUT" && !/^(checkbox|radio|hidden)$/.test(elt.type) &&
          elt.value !== (elt.getAttribute("value") || "")) return false;
      return true;
    };
    // The open row menu (controls.js) is not in the server's HTML: it stays where it is (in
    // its row, which the morph keeps by id); if its row goes, it goes with it.
    defaults.callbacks.beforeNodeRemoved = function (node) {
      return !(node.nodeType === 1 && node.hasAttribute("data-open-menu"));
    };
    defaults.callbacks.beforeNodeMorphed = function (oldNode, newNode) {
      if (oldNode.tagName === "SELECT" && newNode.tagName === "SELECT") syncFocusedOptions(oldNode, newNode);
      // The selection counter's text is controls.js's (a count, or "Selection cleared: …"): a
      // status region announces each change, so the server's "Selected: 0" is not put back.
      if (oldNode.nodeType === 1 && oldNode.hasAttribute("data-selected-count")) return false;
      if (oldNode.nodeType !== 1 || oldNode.tagName !== "TIME" || !oldNode.hasAttribute("datetime") || !newNode.getAttribute) return true;
      return !(oldNode.getAttribute("datetime") === newNode.getAttribute("datetime") &&
        oldNode.getAttribute("data-when") === newNode.getAttribute("data-when"));
    };
  }

  // Idiomorph leaves the children of the focused element alone, so a focused filter select
  // would keep offering values that no longer exist: take the new options (only when they
  // differ, so an unchanged list is not touched) and keep the value the operator has.
  function optionList(select) {
    return Array.prototype.map.call(select.options, function (o) {
      return o.value + "\u0000" + o.textContent;
    }).join("\u0001");
  }

  function syncFocusedOptions(oldSelect, newSelect) {
    if (oldSelect !== document.activeElement || optionList(oldSelect) === optionList(newSelect)) return;
    var value = oldSelect.value;
    oldSelect.replaceChildren.apply(oldSelect, Array.prototype.map.call(newSelect.childNodes, function (n) {
      return n.cloneNode(true);
    }));
    if (Array.prototype.some.call(oldSelect.options, function (o) { return o.value === value; })) {
      oldSelect.value = value;
    }
  }

  // Whitespace between table rows would be matched to the wrong whitespace when new rows come
  // first, making idiomorph move every old row (and a move drops a text selection): drop it on
  // both sides, rows then match by their ids alone.
  var TABLE_PARTS = { TABLE: 1, THEAD: 1, TBODY: 1, TFOOT: 1, TR: 1 };
  function dropTableWhitespace(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var blanks = [];
    while (walker.nextNode()) {
      var node = walker.currentNode;
      if (TABLE_PARTS[node.parentNode.nodeName] && !node.nodeValue.trim()) blanks.push(node);
    }
    blanks.forEach(function (node) { node.parentNode.removeChild(node); });
  }

  function morphIn(region, html) {
    var incoming = document.createElement("template");
    incoming.innerHTML = html;
    dropTableWhitespace(incoming.content);
    dropTableWhitespace(region);
    // New flash messages replace the page's own; placed here rather than by htmx's out-of-band
    // swap, which made idiomorph move (re-insert) every matched row.
    var flashes = incoming.content.querySelector("#flashes");
    if (flashes) {
      var shown = document.getElementById("flashes");
      flashes.removeAttribute("hx-swap-oob");
      if (shown) shown.replaceWith(flashes); else flashes.remove();
    }
    // The page's parts outside the region (scheduler banner, a list's heading and filters)
    // come out of band: each is morphed into the part with its id, keeping the focused field.
    incoming.content.querySelectorAll("[hx-swap-oob]").forEach(function (part) {
      var shownPart = document.getElementById(part.id);
      part.remove();
      part.removeAttribute("hx-swap-oob");
      if (shownPart && window.Idiomorph) window.Idiomorph.morph(shownPart, part, { morphStyle: "outerHTML" });
    });
    html = incoming.innerHTML;
    window.htmx.swap(region, html, { swapStyle: "morph:outerHTML" }, { contextElement: region });
    renderTimes(document);
    document.dispatchEvent(new CustomEvent("dashboard:refreshed", { detail: { region: region } }));
  }

  // ---- Holding a refresh that moves rows (live helper) ------------------------------------
  // A refresh that changes the order or the set of a live table's rows (the ids of its tbody
  // <tr>s) waits while the operator is at the table: the pointer over it, a menu open in it
  // (the row menu's ⋯ has aria-expanded=true; any <details open>), keyboard focus in it, or a
  // touch on it in the last second. A status line below the region says why; the latest held
  // answer is morphed in 300 ms after the operator moves away. A refresh that keeps the rows
  // in place, and the operator's own actions (htmx answers), are never held.
  var HOLD_AFTER_TOUCH = 1000;  // ms a touch on a table counts as using it
  var HOLD_RELEASE = 300;       // ms after the operator moves away before the rows move
  var held = {};                // region id -> { html, version, generation, url, since }
  var holdTimer = null;
  var lastTouch = { at: 0, region: null };
  var lastPointer = "mouse";

  document.addEventListener("pointerdown", function (evt) {
    lastPointer = evt.pointerType || "mouse";
    var region = evt.target.closest && evt.target.closest("[data-live]");
    if (evt.pointerType === "touch" && region && evt.target.closest("table")) {
      lastTouch = { at: Date.now(), region: region.id };
    }
  }, true);
  document.addEventListener("pointermove", function (evt) {
    lastPointer = evt.pointerType || "mouse";
  }, true);

  function rowKeys(root) {
    return Array.prototype.map.call(root.querySelectorAll("tbody tr"), function (tr) {
      return tr.id || tr.getAttribute("data-instance") || tr.getAttribute("data-task-id") || "";
    });
  }

  function engaged(region) {
    var tables = Array.prototype.slice.call(region.querySelectorAll("table"));
    if (!tables.length) return false;
    if (lastTouch.region === region.id && Date.now() - lastTouch.at < HOLD_AFTER_TOUCH) return true;
    var active = document.activeElement;
    return tables.some(function (table) {
      if (lastPointer !== "touch" && table.matches(":hover")) return true;
      if (table.querySelector('[aria-expanded="true"], details[open], [data-open-menu]')) return true;
      return !!active && table.contains(active) && active.matches(":focus-visible");
    });
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // What the status line says about the rows an answer would move, or "" when none moves.
  function heldMessage(shown, coming) {
    if (shown.join("\u0000") === coming.join("\u0000")) return "";
    var added = coming.filter(function (k) { return shown.indexOf(k) < 0; }).length;
    var removed = shown.filter(function (k) { return coming.indexOf(k) < 0; }).length;
    if (added && removed) {
      return plural(added, "new row", "new rows") + ", " + plural(removed, "row", "rows") +
        " removed — updates when you move away";
    }
    if (added) return plural(added, "new row", "new rows") + " — shown when you move away";
    if (removed) return plural(removed, "row", "rows") + " removed — updates when you move away";
    return "Order changed — updates when you move away";
  }

  // The region's status line, made once just after it (outside the region, so no morph drops
  // it; after it, so its appearing moves no row), empty until a refresh is held: a polite live
  // region must exist before its text changes.
  function holdStatus(region) {
    var status = document.querySelector('[data-held-for="' + region.id + '"]');
    if (!status) {
      status = document.createElement("p");
      status.className = "live-held";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.setAttribute("data-held-for", region.id);
      region.after(status);
    }
    return status;
  }

  function setupHoldStatus() {
    liveRegions().forEach(function (region) { if (region.id) holdStatus(region); });
  }

  function heldVersion(region) {
    var entry = held[region.id];
    if (entry && entry.url === region.getAttribute("data-live")) return entry.version;
    return region.getAttribute("data-version") || "";
  }

  function holdIfMoving(region, html, generation) {
    var incoming = document.createElement("template");
    incoming.innerHTML = html;
    var next = region.id && incoming.content.getElementById(region.id) || incoming.content;
    var text = region.id ? heldMessage(rowKeys(region), rowKeys(next)) : "";
    if (!text || !engaged(region)) {
      dropHold(region.id);
      return false;
    }
    held[region.id] = { html: html, generation: generation, url: region.getAttribute("data-live"),
      version: next.getAttribute ? next.getAttribute("data-version") || "" : "", since: 0 };
    var status = holdStatus(region);
    if (status.textContent !== text) status.textContent = text;
    if (!holdTimer) holdTimer = window.setInterval(checkHolds, 50);
    return true;
  }

  function dropHold(id) {
    delete held[id];
    var status = document.querySelector('[data-held-for="' + id + '"]');
    if (status && status.textContent) status.textContent = "";
    if (!Object.keys(held).length && holdTimer) { window.clearInterval(holdTimer); holdTimer = null; }
  }

  // Every 50 ms while something is held: apply it once the operator has been away 300 ms;
  // drop it when an action or a filter replaced the region meanwhile (that answer is newer,
  // and the next poll asks with its version).
  function checkHolds() {
    Object.keys(held).forEach(function (id) {
      var entry = held[id], region = document.getElementById(id);
      if (!region || entry.generation !== htmxGeneration ||
          region.getAttribute("data-live") !== entry.url) { dropHold(id); return; }
      if (engaged(region)) { entry.since = 0; return; }
      if (!entry.since) { entry.since = Date.now(); return; }
      if (Date.now() - entry.since < HOLD_RELEASE) return;
      dropHold(id);
      morphIn(region, entry.html);
    });
  }

  function refreshRegion(region, generation) {
    var url = region.getAttribute("data-live");
    var headers = {
      "HX-Request": "true",
      "HX-Trigger": region.id,
      "HX-Current-URL": window.location.href,
      // A held answer is what the server said last: asking with its version keeps it (204)
      // until something newer comes, which then replaces it.
      "X-Dashboard-Version": heldVersion(region)
    };
    return window.fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.assign(redirect); return "gone"; }
        if (response.status === 204) return "current";
        if (!response.ok) return "HTTP " + response.status;
        return response.text().then(function (html) {
          // An action or a filter replaced the region meanwhile: its answer is newer.
          if (generation !== htmxGeneration || !region.isConnected ||
              region.getAttribute("data-live") !== url) return "current";
          if (holdIfMoving(region, html, generation)) return "current";
          morphIn(region, html);
          return "current";
        });
      })
      .catch(function () { return "no answer"; });
  }

  function schedulePoll(delay) {
    window.clearTimeout(pollTimer);
    pollTimer = null;
    var seconds = refreshSeconds();
    if (!seconds || !liveRegions().length) return;
    pollTimer = window.setTimeout(poll, delay === undefined ? seconds * 1000 : delay);
  }

  function poll() {
    pollTimer = null;
    if (document.hidden) return; // visibilitychange polls again when the tab is shown
    var htmxBusy = htmxInFlight > 0 && Date.now() - lastHtmxSend < 30000; // never stuck
    if (polling || htmxBusy) { schedulePoll(); return; }
    polling = true;
    var generation = htmxGeneration;
    Promise.all(liveRegions().map(function (r) { return refreshRegion(r, generation); }))
      .then(function (results) {
        polling = false;
        var failed = results.filter(function (r) { return r !== "current"; });
        if (!failed.length) lastUpdate = Date.now();
        lastProblem = failed[0] || "";
        showUpdated();
        schedulePoll();
      });
  }

  // htmx:beforeSend fires only for requests really sent (a cancelled confirmation sends none).
  var lastHtmxSend = 0;
  document.addEventListener("htmx:beforeSend", function () {
    htmxInFlight += 1;
    htmxGeneration += 1;
    lastHtmxSend = Date.now();
  });
  document.addEventListener("htmx:afterRequest", function () {
    htmxInFlight = Math.max(0, htmxInFlight - 1);
  });
  document.addEventListener("htmx:afterSwap", function () { renderTimes(document); });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { window.clearTimeout(pollTimer); pollTimer = null; }
    else if (refreshSeconds()) schedulePoll(0); // shown again: refresh at once
  });

  function showUpdated() {
    var label = document.querySelector("[data-updated]");
    if (!label) return;
    var ago = Math.max(0, Math.floor((Date.now() - lastUpdate) / 1000));
    var text = "Updated " + (ago < 1 ? "just now" : shortDistance(ago) + " ago");
    if (lastProblem) text += " (last refresh failed: " + lastProblem + ")";
    if (label.textContent !== text) label.textContent = text;
  }

  // -- times --
  function shortDistance(seconds) {
    if (seconds < 60) return Math.floor(seconds) + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    // Under a day: hours and minutes ("in 1 h 59 min", not "in 1 h").
    if (seconds < 86400) {
      var hours = Math.floor(seconds / 3600), minutes = Math.floor(seconds % 3600 / 60);
      return hours + " h" + (minutes ? " " + minutes + " min" : "");
    }
    if (seconds < 86400 * 365) return Math.floor(seconds / 86400) + " d";
    return Math.floor(seconds / (86400 * 365)) + " y";
  }

  function relative(moment, now) {
    var delta = (moment - now) / 1000;
    if (Math.abs(delta) < 1) return "now";
    var text = shortDistance(Math.abs(delta));
    return delta >= 0 ? "in " + text : text + " ago";
  }

  function zoneChoice() { return stored(STORE_ZONE) === "local" ? "local" : "scheduler"; }

  var formatters = {};
  function formatter(zone) {
    var key = zone || "";
    if (!formatters[key]) {
      var options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" };
      if (zone) options.timeZone = zone;
      try {
        formatters[key] = new Intl.DateTimeFormat("en-GB", options);
      } catch (e) { // a zone this browser does not know: UTC, and say so
        options.timeZone = "UTC";
        formatters[key] = new Intl.DateTimeFormat("en-GB", options);
      }
    }
    return formatters[key];
  }

  var weekdays = {};
  function weekday(moment, zone) {
    var key = zone || "";
    if (!weekdays[key]) {
      try {
        weekdays[key] = new Intl.DateTimeFormat("en-GB", { weekday: "short", timeZone: zone });
      } catch (e) {
        weekdays[key] = new Intl.DateTimeFormat("en-GB", { weekday: "short", timeZone: "UTC" });
      }
    }
    return weekdays[key].format(moment);
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // The scheduler's zone is named as the server names it (body[data-zone-names], by offset:
  // "JST", where Intl's short name is "GMT+9"), also when Local is that same zone; another
  // zone by Intl's short name. One zone, one name, on every page.
  var schedulerNames = null;
  function schedulerZoneName(moment, out) {
    if (schedulerNames === null) {
      schedulerNames = {};
      (document.body.getAttribute("data-zone-names") || "").split(",").forEach(function (pair) {
        var at = pair.indexOf(":");
        if (at > 0) schedulerNames[pair.slice(0, at)] = pair.slice(at + 1);
      });
    }
    var wall = Date.UTC(+out.year, +out.month - 1, +out.day, +out.hour, +out.minute, +out.second);
    var offset = Math.round((wall - Math.floor(moment.getTime() / 1000) * 1000) / 60000);
    return schedulerNames[String(offset)] || out.timeZoneName;
  }

  function parts(moment, zone) {
    var out = {};
    formatter(zone).formatToParts(moment).forEach(function (p) { out[p.type] = p.value; });
    if ((zone || localZoneName()) === (document.body.getAttribute("data-zone") || "UTC")) {
      out.timeZoneName = schedulerZoneName(moment, out);
    }
    return out;
  }

  var WRITTEN_TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$/;
  function renderTime(elt, now, zone, today) {
    var moment = new Date(elt.getAttribute("datetime") || elt.getAttribute("data-moment"));
    if (isNaN(moment.getTime())) return;
    var p = parts(moment, zone);
    var clock = p.hour + ":" + p.minute + ":" + p.second + " " + p.timeZoneName;
    var full = p.year + "-" + p.month + "-" + p.day + " " + clock;
    var day = p.year + "-" + p.month + "-" + p.day;
    if (elt.tagName === "title") { // an SVG tooltip: its text ends with the time
      var text = elt.textContent.replace(WRITTEN_TIME, full);
      if (elt.textContent !== text) elt.textContent = text;
      return;
    }
    if (elt.getAttribute("data-when") === "absolute") { // a time inside stored text
      if (elt.textContent !== full) elt.textContent = full;
      return;
    }
    if (elt.getAttribute("data-when") === "hour") { // a timeline heading: "Thu 03 Dec 2026, 14:00 CET"
      var hour = weekday(moment, zone) + " " + p.day + " " + MONTHS[parseInt(p.month, 10) - 1] +
        " " + p.year + ", " + p.hour + ":" + p.minute + " " + p.timeZoneName;
      if (elt.textContent !== hour) elt.textContent = hour;
      return;
    }
    var withDate = elt.getAttribute("data-when") === "date" || day !== today.day;
    // The year only when the day alone could mislead (over half a year away).
    var far = Math.abs(moment - now) > 183 * 86400 * 1000;
    var date = parseInt(p.day, 10) + " " + MONTHS[parseInt(p.month, 10) - 1] +
      (far ? " " + p.year : "");
    // Two parts, each kept on one line by CSS: a narrow cell wraps only between them, and
    // the "·" stays with the first part, so it never starts a line.
    var rel = relative(moment, now), abs = (withDate ? date + " " : "") + clock;
    if (elt.textContent !== rel + " · " + abs) {
      var first = document.createElement("span"), second = document.createElement("span");
      first.textContent = rel + " ·";
      second.textContent = abs;
      elt.replaceChildren(first, " ", second);
    }
    if (elt.getAttribute("title") !== full) elt.setAttribute("title", full);
  }

  function renderTimes(root) {
    var zone = zoneChoice() === "local" ? undefined : body.getAttribute("data-zone") || "UTC";
    var now = new Date();
    var p = parts(now, zone);
    var today = { day: p.year + "-" + p.month + "-" + p.day };
    (root || document).querySelectorAll("time[datetime], title[data-moment]").forEach(function (elt) {
      renderTime(elt, now, zone, today);
    });
    showZoneHints(zone);
  }

  // Trigger texts ("at 14:00 every day") are in the scheduler's zone: when times show in
  // another zone, [data-zone-hint] says which zone the triggers are in, and
  // [data-scheduler-zone-note] (a note that times are in the scheduler's zone) goes, and
  // [data-local-zone-name] says which zone the times are in instead.
  function showZoneHints(zone) {
    var local = localZoneName();
    var other = zone === undefined && local !== (body.getAttribute("data-zone") || "UTC");
    document.querySelectorAll("[data-zone-hint]").forEach(function (elt) {
      if (elt.hidden === other) elt.hidden = !other;
    });
    document.querySelectorAll("[data-local-zone-name]").forEach(function (elt) {
      if (local && elt.textContent !== local) elt.textContent = local;
    });
    document.querySelectorAll("[data-scheduler-zone-note]").forEach(function (elt) {
      if (elt.hidden !== other) elt.hidden = other;
    });
    // Typed times (the log filter's From and To) mean the zone the page shows: with Local,
    // the browser's, sent as tz=<zone> and named in the hint; else the scheduler's.
    var entry = other ? local : "";
    document.querySelectorAll("input[data-entry-zone]").forEach(function (input) {
      if (input.value !== entry) input.value = entry;
      if (input.disabled !== !entry) input.disabled = !entry;
    });
    document.querySelectorAll("[data-entry-zone-name]").forEach(function (elt) {
      var name = entry || body.getAttribute("data-zone") || "UTC";
      if (elt.textContent !== name) elt.textContent = name;
    });
  }

  var localZone = null; // the browser's zone, read once
  function localZoneName() {
    if (localZone === null) {
      try { localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { localZone = ""; }
    }
    return localZone;
  }

  // -- controls: interval, zone, dismissing a flash message --
  function setupControls() {
    var status = document.querySelector("[data-live-status]");
    var picker = document.querySelector("[data-interval]");
    if (status && liveRegions().length) status.hidden = false;
    if (picker) {
      var current = String(refreshSeconds());
      if (!picker.querySelector('option[value="' + current + '"]')) {
        var option = document.createElement("option");
        option.value = current;
        option.textContent = "Every " + current + " s";
        picker.appendChild(option);
      }
      picker.value = current;
      picker.addEventListener("change", function () {
        store(STORE_INTERVAL, picker.value);
        schedulePoll();
      });
    }
    var zonePick = document.querySelector("[data-zone-pick]");
    if (zonePick) {
      var local = zonePick.querySelector('option[value="local"]');
      try {
        var name = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (local && name) local.textContent = "Local (" + name + ")";
      } catch (e) { /* keep "Local" */ }
      zonePick.value = zoneChoice();
      zonePick.addEventListener("change", function () {
        store(STORE_ZONE, zonePick.value);
        renderTimes(document);
      });
    }
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-dismiss]");
    if (!button) return;
    var message = button.closest(".flash");
    if (message) message.remove();
  });

  setupControls();
  setupHoldStatus();
  renderTimes(document);
  showUpdated();
  window.setInterval(function () {
    renderTimes(document);
    showUpdated();
  }, 1000);
  schedulePoll();
})();
