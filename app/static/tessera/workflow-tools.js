/* Tessera workflow editor: the state diagram's zoom and the route tester.
 * The server draws the diagram and runs the tester; this script only toggles a class and moves
 * HTML: it loads the tester's form into #route-tester-pane, posts it (with its CSRF token) and
 * swaps in the answer. */
(function () {
  "use strict";

  /* The live preview replaces the diagram on every change: the zoom is kept on its column. */
  var column = document.getElementById("preview-column");
  var ACTUAL = "tessera-diagram-actual";

  function syncZoom() {
    var button = document.getElementById("diagram-zoom");
    if (button && column) {
      button.setAttribute("aria-pressed", column.classList.contains(ACTUAL) ? "true" : "false");
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("#diagram-zoom") : null;
    if (!button || !column) { return; }
    column.classList.toggle(ACTUAL);
    syncZoom();
  });
  var pane = document.getElementById("preview-pane");
  if (pane && window.MutationObserver) {
    new MutationObserver(syncZoom).observe(pane, { childList: true });
  }

  var section = document.getElementById("route-tester");
  var tester = document.getElementById("route-tester-pane");
  if (!section || !tester || !window.fetch) { return; }
  var url = section.getAttribute("data-url");
  var say = window.TesseraWords(section);  /* the words of data-messages */
  var sequence = 0;

  function fail(message) {
    tester.textContent = "";
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.textContent = say("notLoaded", { reason: message });
    tester.appendChild(alert);
  }

  function load(method, body) {
    var mine = ++sequence;
    tester.setAttribute("aria-busy", "true");
    fetch(url, {
      method: method,
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        throw new Error(response.redirected ? say("ended")
          : say("answered", { status: response.status + " " + response.statusText }));
      }
      return response.json();
    }).then(function (data) {
      if (mine !== sequence) { return; }
      tester.innerHTML = data.html;
      var wrong = tester.querySelector(".has-error textarea, .has-error select");
      if (wrong) { wrong.focus(); }
    }).catch(function (error) {
      if (mine === sequence) { fail(error && error.message ? error.message : String(error)); }
    }).then(function () {
      if (mine === sequence) { tester.removeAttribute("aria-busy"); }
    });
  }

  tester.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "route-tester-form") { return; }
    event.preventDefault();
    var body = new FormData(form);
    var button = event.submitter;
    if (button && button.name) { body.set(button.name, button.value); }
    load("POST", body);
  });

  load("GET");
})();
