/* Tessera ops console (Flask-Admin): listeners for what Flask-Admin writes as inline event
 * handlers and javascript: links, which the Content-Security-Policy does not run.
 * Plain JavaScript, no dependencies; Flask-Admin's own scripts do the work. */
(function () {
  "use strict";

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  function ask(message) {
    try { return window.confirm(message); } catch (error) { return false; }
  }

  document.addEventListener("click", function (event) {
    /* "javascript:void(0)" placeholders (tabs, dropdown toggles) would be a blocked navigation. */
    var link = closest(event.target, "a[href^='javascript:']");
    if (link) { event.preventDefault(); }

    /* "With selected" actions of a model list. */
    var action = closest(event.target, "[data-tessera-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-tessera-action"));
      return;
    }

    /* The delete button of a row: submit its form only once confirmed. */
    var confirmed = closest(event.target, "[data-tessera-confirm]");
    if (confirmed && !ask(confirmed.getAttribute("data-tessera-confirm"))) {
      event.preventDefault();
    }
  }, true);
})();
