/* Ticket page after a save met newer versions: mark the custom fields others changed.
 *
 * The warning box (#stale) lists the changed values' pointers in data-changed
 * (["/priority", "/data/currency", ...]); the system fields are marked by the server, the
 * generated form's fields (data-tf-field, pointers relative to the custom data) here.
 * Without this script the box still lists every changed field.
 */
(function () {
  "use strict";

  function mark() {
    var box = document.getElementById("stale");
    var form = document.getElementById("edit-form");
    if (!box || !form) {
      return;
    }
    var pointers;
    try {
      pointers = JSON.parse(box.getAttribute("data-changed") || "[]");
    } catch (error) {
      return;
    }
    pointers.forEach(function (pointer) {
      if (typeof pointer !== "string" || pointer.indexOf("/data/") !== 0) {
        return;
      }
      var selector = '[data-tf-field="' + CSS.escape(pointer.slice(5)) + '"]';
      var field = form.querySelector(selector);
      if (field) {
        field.classList.add("has-warning", "tessera-changed");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
})();
