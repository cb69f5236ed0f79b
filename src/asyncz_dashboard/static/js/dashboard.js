// asyncz-dashboard: small progressive enhancements. No inline script anywhere (CSP).
(function () {
  "use strict";

  function selectedBoxes() {
    return document.querySelectorAll('input[name="task_id"][form="bulk-form"]:checked');
  }

  function updateSelectedCount() {
    var label = document.querySelector("[data-selected-count]");
    if (label) label.textContent = "Selected: " + selectedBoxes().length;
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    if (target.matches && target.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="task_id"][form="bulk-form"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    updateSelectedCount();
  });

  // Plain forms with data-confirm (detail page): a cancelled confirmation sends nothing.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // Bulk actions: the confirmation states the count; nothing is sent without a selection.
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt;
    if (!elt.matches || !elt.matches("form[data-bulk]")) return;
    evt.preventDefault();
    var count = selectedBoxes().length;
    var submitter = evt.detail.triggeringEvent && evt.detail.triggeringEvent.submitter;
    var verb = submitter && submitter.dataset.verb ? submitter.dataset.verb : "Apply to";
    var label = document.querySelector("[data-selected-count]");
    if (count === 0) {
      if (label) label.textContent = "No tasks selected.";
      return;
    }
    if (window.confirm(bulkQuestion(verb, count))) {
      evt.detail.issueRequest(true);
    }
  });

  // Plain (no-htmx) bulk submit: same rule.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-bulk]") || window.htmx) return;
    var count = selectedBoxes().length;
    var verb = evt.submitter && evt.submitter.dataset.verb ? evt.submitter.dataset.verb : "Apply to";
    if (count === 0 || !window.confirm(bulkQuestion(verb, count))) evt.preventDefault();
  });

  // The question names the count and up to 10 tasks (controls.js), or at least the count.
  function bulkQuestion(verb, count) {
    if (window.asynczControls) return window.asynczControls.bulkQuestion(verb);
    return verb + " " + count + " selected " + (count === 1 ? "task" : "tasks") + "?";
  }

  // The periodic refresh waits while the operator is selecting rows, using a menu or typing
  // inside the table, so a refresh never throws away a selection or focus.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (!elt.matches || !elt.matches("[data-refresh]")) return;
    var active = document.activeElement;
    var busy = selectedBoxes().length > 0 ||
      elt.querySelector("details[open]") !== null ||
      (active && active !== document.body && elt.contains(active));
    if (busy) evt.preventDefault();
  });

  // Keyboard focus survives a swap of the table instead of falling back to <body>: remember
  // the focused control by its row (task id) and place in the row, then focus its counterpart
  // (Pause becomes Resume in place). A removed row hands focus to the row now in its place.
  // Only keyboard focus (:focus-visible) is kept, so a mouse click does not hold the refresh.
  var CONTROLS = "a[href], button, input:not([type=hidden]), select, summary";
  var pendingFocus = null;

  function rowControls(tr) {
    return Array.prototype.slice.call(tr.querySelectorAll(CONTROLS));
  }

  function tableRows(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  }

  function rowTaskId(tr) {
    var box = tr.querySelector('input[name="task_id"]');
    return box ? box.value : null;
  }

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
        target = tr.querySelector("td.name a") || rowControls(tr)[0];
      }
    } else {
      target = Array.prototype.slice.call(table.querySelectorAll(CONTROLS)).filter(function (el) {
        return el.tagName === want.tag && el.textContent.trim() === want.text;
      })[0];
    }
    if (target) target.focus();
  }

  // After a swap, refresh the selection count and put keyboard focus back.
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "tasks-table") return;
    updateSelectedCount();
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
})();
