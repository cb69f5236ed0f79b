// asyncz-dashboard: the colour theme. The header's switch picks light, dark or the system's
// (prefers-color-scheme); the choice is kept in localStorage. This file is loaded in <head>
// without defer, so <html data-theme> is set before the first paint (no flash of the wrong
// theme); dashboard.css reads the attribute. It also turns <html class="no-js"> into "js", so
// the CSS can hide the controls that only work with script ([data-js-only]) before the first
// paint, and show them only when script runs. No inline script anywhere (CSP).
(function () {
  "use strict";
  var KEY = "asyncz-dashboard.theme";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function saved() {
    var value = null;
    try { value = window.localStorage.getItem(KEY); } catch (e) { /* storage blocked */ }
    return value === "light" || value === "dark" ? value : "system";
  }

  function apply(choice) {
    if (choice === "system") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", choice);
    document.querySelectorAll("[data-theme-choice]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.themeChoice === choice));
    });
  }

  function choose(choice) {
    try {
      if (choice === "system") window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, choice);
    } catch (e) { /* storage blocked: the choice lasts for this page only */ }
    apply(choice);
  }

  apply(saved());

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-theme-switch]").forEach(function (group) {
      group.hidden = false;
    });
    apply(saved());
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-theme-choice]");
    if (button) choose(button.dataset.themeChoice);
  });

  // Another tab changed the theme.
  window.addEventListener("storage", function (evt) {
    if (evt.key === KEY) apply(saved());
  });
})();
