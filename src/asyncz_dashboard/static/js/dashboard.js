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
    var noun = count === 1 ? "task" : "tasks";
    if (window.confirm(verb + " " + count + " selected " + noun + "?")) {
      evt.detail.issueRequest(true);
    }
  });

  // Plain (no-htmx) bulk submit: same rule.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-bulk]") || window.htmx) return;
    var count = selectedBoxes().length;
    var verb = evt.submitter && evt.submitter.dataset.verb ? evt.submitter.dataset.verb : "Apply to";
    if (count === 0 || !window.confirm(verb + " " + count + " selected tasks?")) evt.preventDefault();
  });

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

  // After a swap, put focus back on the table rather than losing it to <body>.
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "tasks-table") updateSelectedCount();
  });
})();
