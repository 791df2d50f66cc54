/* What ties a visual builder to the definition editor's page, the same for templates and
 * workflows: typing in a JSON input (or "Format JSON") re-reads the document, leaving a control
 * ends its typing step, Ctrl+Z / Ctrl+Shift+Z undo and redo outside inputs, and a new answer in
 * the live preview pane hands its error list (or an empty one) to the builder. */
import { h } from "./render.js";

/**
 * `areas`: part name → input; `writing()`: true while the builder itself writes an input;
 * `reread()`: read, compute and draw again; `typed(id)`: a control lost focus; `step(dir)`:
 * "undo" / "redo"; `previewed(errorsNode)`: the preview answered (`ready`: the selector of an
 * answer without errors).
 */
export function wireEditor(section, { areas, writing, reread, typed, step, ready, previewed }) {
  for (const area of Object.values(areas)) {
    if (area) { area.addEventListener("input", () => { if (!writing()) { reread(); } }); }
  }
  const format = document.getElementById("format-json");
  if (format) { format.addEventListener("click", reread); }
  section.addEventListener("focusout", (event) => { if (event.target.id) { typed(event.target.id); } });
  section.addEventListener("keydown", (event) => {
    const inInput = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (inInput || !(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") { return; }
    event.preventDefault();
    step(event.shiftKey ? "redo" : "undo");
  });
  const pane = document.getElementById("preview-pane");
  if (!pane) { return; }
  new MutationObserver(() => {
    const errors = pane.querySelector(".tessera-preview-errors");
    if (errors || pane.querySelector(ready)) { previewed(errors || h("div")); }
  }).observe(pane, { childList: true });
}
