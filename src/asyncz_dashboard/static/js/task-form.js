// The task form's trigger builder (edit and create pages). Without JS the plain
// trigger_type + trigger_value fields work; with it, a builder per trigger type writes
// trigger_value in the short forms the server reads ("1h30m", "*/5 * * * *", an ISO date).
(function () {
  "use strict";
  var DEFAULTS = { interval: "10m", cron: "*/5 * * * *", date: "" };
  var UNITS = ["w", "d", "h", "m", "s"];

  function setup(root) {
    var type = root.querySelector("[name=trigger_type]");
    var value = root.querySelector("[name=trigger_value]");
    var builder = root.querySelector("[data-trigger-builder]");
    if (!type || !value || !builder) return;
    var sets = builder.querySelectorAll("[data-builder]");

    function part(kind, name) {
      return builder.querySelector('[data-builder="' + kind + '"] [data-part="' + name + '"]');
    }

    function fill() {
      var kind = type.value, text = value.value.trim();
      if (kind === "interval") {
        var seconds = /^\d+$/.test(text) ? parseInt(text, 10) : null;
        UNITS.forEach(function (u) {
          var m = seconds === null ? text.match(new RegExp("(\\d+)" + u)) : null;
          part("interval", u).value = m ? m[1] : (u === "s" && seconds !== null ? seconds : "");
        });
      } else if (kind === "cron") {
        var fields = text.split(/\s+/);
        for (var i = 0; i < 5; i++) part("cron", String(i)).value = fields.length === 5 ? fields[i] : "";
      } else if (kind === "date") {
        var local = text.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?)/);
        part("date", "at").value = local ? local[1] : "";
      }
    }

    function write(kind) {
      if (kind === "interval") {
        value.value = UNITS.map(function (u) {
          var n = parseInt(part("interval", u).value, 10);
          return n > 0 ? n + u : "";
        }).join("");
      } else if (kind === "cron") {
        var fields = [];
        for (var i = 0; i < 5; i++) fields.push(part("cron", String(i)).value.trim() || "*");
        value.value = fields.join(" ");
      } else if (kind === "date") {
        value.value = part("date", "at").value;
      }
    }

    function show() {
      var known = false;
      sets.forEach(function (set) {
        var on = set.getAttribute("data-builder") === type.value;
        set.hidden = !on;
        known = known || on;
      });
      builder.hidden = !known;
    }

    builder.hidden = false;
    var original = { kind: type.value, text: value.value };
    type.addEventListener("change", function () {
      value.value = type.value === original.kind ? original.text : (DEFAULTS[type.value] || "");
      fill();
      show();
    });
    sets.forEach(function (set) {
      set.addEventListener("input", function () { write(set.getAttribute("data-builder")); });
    });
    value.addEventListener("input", fill);
    fill();
    show();
  }

  function start() {
    document.querySelectorAll("[data-trigger-form]").forEach(setup);
    // After a refused submission, the keyboard lands on the first field to fix.
    var invalid = document.querySelector(".task-form [aria-invalid=true]");
    if (invalid) invalid.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
