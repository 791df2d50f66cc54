/* The workflow builder's small controls. Everything shown is set as text, every control has a
 * label (a <label>, or aria-label inside tables), and every control a server error can be about
 * has an error slot `<id>-error` under it. */
import { h, say } from "../builder/render.js";

export { h, say };

/** Where messages about control `id` appear (the server's, or a refused edit's). */
export function errorSlot(id) {
  return h("p", { class: "help-block wb-error", id: id + "-error", role: "alert", hidden: true });
}

/** A labelled control with its error slot. */
export function labelled(id, label, input, help) {
  return h("div", { class: "form-group wb-control" },
    h("label", { for: id, class: "control-label" }, label), input,
    help ? h("p", { class: "help-block", id: id + "-help" }, help) : null,
    errorSlot(id));
}

/** A <select>; `options` are [value, label] pairs; the current value is added when unknown. */
export function select(id, options, current, onchange, attrs = {}) {
  const known = options.some(([value]) => value === (current ?? ""));
  const all = known || current === undefined ? options : [...options, [current, current]];
  return h("select", { id, class: "form-control input-sm", onchange: (e) => onchange(e.target.value), ...attrs },
    all.map(([value, label]) => h("option", { value, selected: value === (current ?? "") ? "selected" : null }, label)));
}

/** A text input; `oninput(value)` on every keystroke, `onchange(value)` when it is left. */
export function text(id, value, { oninput, onchange, ...attrs } = {}) {
  return h("input", { id, class: "form-control input-sm", value: value ?? "", autocomplete: "off", spellcheck: "false",
    oninput: oninput ? (e) => oninput(e.target.value) : null,
    onchange: onchange ? (e) => onchange(e.target.value) : null, ...attrs });
}

/** A checkbox with its label. */
export function checkbox(id, label, checked, onchange, attrs = {}) {
  return h("label", { for: id, class: "checkbox-inline wb-check" },
    h("input", { type: "checkbox", id, checked, onchange: (e) => onchange(e.target.checked), ...attrs }), " ", label);
}

/** A group of checkboxes under a legend, with the group's error slot. */
export function checkGroup(id, legend, boxes, extra) {
  return h("fieldset", { class: "form-group wb-group", id },
    h("legend", { class: "control-label h6" }, legend), boxes, extra || null, errorSlot(id));
}

/** A small button that says what it does to screen readers. */
export function button(id, shown, label, onclick, { disabled = false, danger = false } = {}) {
  return h("button", { type: "button", id, class: "btn btn-xs " + (danger ? "btn-danger" : "btn-default"),
    "aria-label": label, title: label, disabled: disabled ? "disabled" : null, onclick }, shown);
}

/** ↑ ↓ ✕ for an item of a list. */
export function itemButtons(prefix, index, count, label, strings, on) {
  return h("span", { class: "wb-buttons" },
    button(prefix + "-up", "↑", say(strings, "moveUp", { label }), () => on.move(-1), { disabled: index === 0 }),
    button(prefix + "-down", "↓", say(strings, "moveDown", { label }), () => on.move(1), { disabled: index === count - 1 }),
    button(prefix + "-delete", "✕", say(strings, "remove", { label }), () => on.remove(), { danger: true }));
}

/** The "kept as written" note of what the builder does not edit. */
export function advancedNote(keys, strings) {
  return keys.length ? h("p", { class: "text-muted wb-advanced" }, say(strings, "advancedKept", { keys: keys.join(", ") })) : null;
}
