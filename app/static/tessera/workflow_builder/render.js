/* The workflow builder's frame: the Builder / JSON tabs, undo and redo, the status line, the
 * tabs of its four panels, and the server's problems no control shows. */
import { h, say } from "./controls.js";

export const SECTIONS = ["states", "transitions", "routing", "sla"];

/** The panel a control id belongs to (for counting its errors on the panel's tab). */
export function sectionOf(id) {
  if (id.startsWith("wb-state") || id === "wb-initial") { return "states"; }
  if (id.startsWith("wb-tr-")) { return "transitions"; }
  if (id.startsWith("wb-rule") || id === "wb-strategy") { return "routing"; }
  return "sla";
}

export function renderFrame(strings, on) {
  const tab = (name, label) => h("button", {
    type: "button", role: "tab", id: "wb-tab-" + name, class: "btn btn-default btn-sm",
    "aria-controls": name === "builder" ? "wb-builder" : "definition-editor",
    onclick: () => on.tab(name), onkeydown: (e) => on.tabKey(e, ["builder", "json"], on.tab, "wb-tab-"),
  }, label);
  const section = (name) => h("button", {
    type: "button", role: "tab", id: "wb-sec-" + name, class: "btn btn-default btn-sm", "aria-controls": "wb-panel-" + name,
    onclick: () => on.section(name), onkeydown: (e) => on.tabKey(e, SECTIONS, on.section, "wb-sec-"),
  }, h("span", {}, say(strings, "section_" + name)), h("span", { class: "badge wb-badge", id: "wb-badge-" + name, hidden: true }));
  return h("div", { class: "wb-frame" },
    h("div", { class: "wb-toolbar" },
      h("div", { role: "tablist", "aria-label": say(strings, "tabsLabel"), class: "btn-group" },
        tab("builder", say(strings, "tabBuilder")), tab("json", say(strings, "tabJson"))),
      h("span", { class: "wb-history" },
        h("button", { type: "button", class: "btn btn-default btn-sm", id: "wb-undo", onclick: () => on.undo() }, "↶ ", say(strings, "undo")),
        h("button", { type: "button", class: "btn btn-default btn-sm", id: "wb-redo", onclick: () => on.redo() }, "↷ ", say(strings, "redo")))),
    h("p", { class: "wb-status", id: "wb-status", role: "status", "aria-live": "polite" }),
    h("div", { id: "wb-builder", role: "tabpanel", "aria-labelledby": "wb-tab-builder" },
      h("p", { class: "alert alert-warning", id: "wb-unreadable", hidden: true }),
      h("p", { class: "text-muted", id: "wb-data-status", "aria-live": "polite" }),
      h("div", { class: "alert alert-danger", id: "wb-other-errors", hidden: true }),
      h("div", { role: "tablist", "aria-label": say(strings, "sectionsLabel"), class: "btn-group wb-sections" }, SECTIONS.map(section)),
      SECTIONS.map((name) => h("div", { id: "wb-panel-" + name, role: "tabpanel", "aria-labelledby": "wb-sec-" + name, class: "wb-panel" }))));
}

/** The server's problems that no control of the builder shows, with their pointers. */
export function renderOther(other, strings) {
  return [h("p", {}, say(strings, "otherErrors")),
    h("ul", {}, other.map(([pointer, message]) => h("li", {}, h("code", {}, pointer || "/"), " ", message)))];
}
