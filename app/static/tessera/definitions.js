/* Tessera definitions console: live preview, test submit, "Format JSON" and the confirmation
 * dialogs of publish and retire.
 * Plain JavaScript, no dependencies. The server checks, compiles and renders everything;
 * this script only posts the editor's inputs and swaps in the HTML it gets back. */
(function () {
  "use strict";

  /* A form with data-confirm="<dialog id>" opens that dialog instead of posting; the dialog's
   * own form posts confirm=1. Without the script (or <dialog>) the form posts as it is and the
   * server answers its confirmation page. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var id = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    var dialog = id ? document.getElementById(id) : null;
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    event.preventDefault();
    dialog.showModal();
  });
})();

(function () {
  "use strict";

  var DELAY = 400;
  var editor = document.getElementById("definition-editor");
  var pane = document.getElementById("preview-pane");
  var status = document.getElementById("preview-status");
  if (!editor || !pane) { return; }

  var timer = null;
  var pending = null;
  var sequence = 0;

  var say = window.TesseraWords(editor);  /* the words of data-messages */

  function setStatus(text) { if (status) { status.textContent = text; } }

  function show(html) {
    pane.innerHTML = html;
    /* Bind conditions, rows and selectors of the form just inserted. */
    if (window.TesseraForms) { window.TesseraForms.refresh(pane); }
  }

  function post(url, body) {
    if (pending) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    var mine = ++sequence;
    setStatus(say("updating"));
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": editor.getAttribute("data-csrf"), "Accept": "application/json" },
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected && type.indexOf("application/json") < 0) {
        throw new Error(say("ended"));
      }
      if (type.indexOf("application/json") < 0) {
        throw new Error(say("answered", { status: response.status + " " + response.statusText }));
      }
      return response.json();
    }).then(function (data) {
      if (mine !== sequence) { return; }   /* a newer request is on its way */
      show(data.html);
      setStatus(say(data.ok ? "current" : "problems"));
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      if (mine !== sequence) { return; }
      pane.textContent = "";
      var alert = document.createElement("div");
      alert.className = "alert alert-danger";
      alert.setAttribute("role", "alert");
      alert.textContent = say("notLoaded", { reason: error && error.message ? error.message : error });
      pane.appendChild(alert);
      setStatus(say("failed"));
    });
  }

  function refreshPreview() {
    timer = null;
    post(editor.getAttribute("data-preview-url"), new FormData(editor));
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refreshPreview, DELAY);
  }

  function testSubmit(event) {
    var form = event.target;
    if (!form || form.id !== "preview-form") { return; }
    event.preventDefault();
    var body = new FormData(form);
    new FormData(editor).forEach(function (value, name) { body.append(name, value); });
    if (timer) { clearTimeout(timer); timer = null; }
    post(editor.getAttribute("data-try-url"), body);
  }

  /* "Format JSON": pretty-print every JSON textarea; leave unparsable ones as typed. */
  function formatJson() {
    editor.querySelectorAll("textarea[data-json]").forEach(function (area) {
      var note = area.parentNode.querySelector("[data-json-error]");
      if (!area.value.trim()) { if (note) { note.hidden = true; } return; }
      try {
        area.value = JSON.stringify(JSON.parse(area.value), null, 2);
        if (note) { note.hidden = true; }
      } catch (error) {
        if (note) {
          note.textContent = say("badJson", { reason: error.message });
          note.hidden = false;
        }
      }
    });
    schedule();
  }

  editor.addEventListener("input", schedule);
  document.addEventListener("submit", testSubmit);
  var button = document.getElementById("format-json");
  if (button) { button.addEventListener("click", formatJson); }
  refreshPreview();
})();
