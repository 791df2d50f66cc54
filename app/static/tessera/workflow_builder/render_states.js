/* The states and transitions panels: the initial state, each state's name, label and category,
 * and each transition's name, label, from, to, roles, required fields and approval. The
 * functions build elements from the builder's state and call main.js's handlers. */
import { readStates, readTransitions } from "./model.js";
import { conditionEditor } from "./condition_editor.js";
import {
  advancedNote, button, checkGroup, checkbox, errorSlot, h, itemButtons, labelled, say, select, text,
} from "./controls.js";

function stateRow(s, count, state, strings, on) {
  const id = `wb-state-${s.index}`;
  const label = s.label || s.name;
  const categories = state.palette.categories.map((c) => [c, say(strings.categories, c)]);
  return h("tr", { class: "wb-state", id, dataset: { name: s.name } },
    h("td", {}, text(id + "-name", s.name, { "aria-label": say(strings, "stateName", { n: s.index + 1 }),
      onchange: (v) => on.edit({ do: "renameState", index: s.index, to: v }, { focus: id + "-name" }) }), errorSlot(id + "-name")),
    h("td", {}, text(id + "-label", s.label, { "aria-label": say(strings, "stateLabel", { n: s.index + 1 }),
      oninput: (v) => on.edit({ do: "setStateLabel", index: s.index, value: v }, { merge: id + "-label" }) }), errorSlot(id + "-label")),
    h("td", {}, select(id + "-category", categories, s.category,
      (v) => on.edit({ do: "setStateCategory", index: s.index, value: v }, { focus: id + "-category" }),
      { "aria-label": say(strings, "stateCategory", { n: s.index + 1 }) }), errorSlot(id + "-category")),
    h("td", { class: "wb-nowrap" }, itemButtons(id, s.index, count, label, strings, {
      move: (by) => on.edit({ do: "moveState", index: s.index, by }, { focus: `wb-state-${s.index + by}-${by < 0 ? "up" : "down"}` }),
      remove: () => on.remove({ do: "deleteState", index: s.index }, label, "wb-add-state"),
    }), advancedNote(s.advanced, strings)));
}

export function renderStates(state, strings, on) {
  const states = readStates(state.doc);
  const names = states.map((s) => [s.name, s.label ? `${s.label} (${s.name})` : s.name]);
  const initial = state.doc.get("initial");
  return h("div", { class: "wb-states" },
    labelled("wb-initial", say(strings, "initial"), select("wb-initial", [["", "—"], ...names], initial,
      (v) => on.edit({ do: "setInitial", value: v }, { focus: "wb-initial" }))),
    h("table", { class: "table table-condensed wb-table", id: "wb-states" },
      h("caption", {}, say(strings, "states")),
      h("thead", {}, h("tr", {}, ["stateNameHead", "stateLabelHead", "stateCategoryHead", "actions"]
        .map((k) => h("th", { scope: "col" }, say(strings, k))))),
      h("tbody", {}, states.map((s) => stateRow(s, states.length, state, strings, on)))),
    h("button", { type: "button", class: "btn btn-default btn-sm", id: "wb-add-state",
      onclick: () => on.add({ do: "addState", category: "open" }, (i) => `wb-state-${i}-name`) }, "+ ", say(strings, "addState")));
}

function requiredFields(t, state, strings, on) {
  const id = `wb-tr-${t.index}-requires`;
  if (!t.requires.editable) {
    return h("div", { class: "form-group", id }, h("p", { class: "control-label" }, say(strings, "requiredFields")),
      advancedNote(t.requires.advanced, strings), errorSlot(id));
  }
  const known = state.fields.map((f) => [f.name, f.title]);
  const extra = t.requires.fields.filter((n) => !known.some(([name]) => name === n)).map((n) => [n, n]);
  const boxes = [...known, ...extra].map(([name, title]) => checkbox(`${id}-${name}`, title, t.requires.fields.includes(name),
    (value) => on.edit({ do: "setRequiredField", index: t.index, field: name, value }, { focus: `${id}-${name}` })));
  return checkGroup(id, say(strings, "requiredFields"),
    boxes.length ? boxes : h("p", { class: "text-muted" }, say(strings, "noCustomFields")),
    t.requires.advanced.length ? h("p", { class: "text-muted wb-advanced" },
      h("span", { class: "label label-warning" }, say(strings, "advanced")), " ",
      say(strings, "advancedKept", { keys: t.requires.advanced.join(", ") })) : null);
}

function approval(t, state, strings, on) {
  const id = `wb-tr-${t.index}-approval`;
  const box = checkbox(id, say(strings, "needsApproval"), t.approval.on,
    (value) => on.edit({ do: "setApproval", index: t.index, value }, { focus: id }));
  const when = !t.approval.on ? null : conditionEditor({
    id: `wb-tr-${t.index}-when`, condition: t.approval.condition,
    current: () => { const now = readTransitions(state.doc)[t.index]; return now && now.approval.condition; }, fields: state.catalogue, strings,
    label: say(strings, "approvalWhen"), empty: say(strings, "always"),
    commit: (condition, options) => on.condition({ do: "setApprovalCondition", index: t.index, condition }, options),
  });
  return h("div", { class: "form-group wb-approval" }, box, errorSlot(id),
    when ? h("div", { class: "wb-indent" }, h("p", { class: "help-block" }, say(strings, "approvalWhen")), when) : null);
}

function transitionCard(t, count, states, state, strings, on) {
  const id = `wb-tr-${t.index}`;
  const label = t.label || t.name;
  const names = states.map((s) => s.name);
  const stateLabel = (name) => { const s = states.find((x) => x.name === name); return s && s.label ? s.label : name; };
  const fromBoxes = [...names, ...t.from.filter((n) => !names.includes(n))].map((name) => checkbox(`${id}-from-${name}`, stateLabel(name),
    t.from.includes(name), (value) => on.edit({ do: "setTransitionFrom", index: t.index, state: name, value }, { focus: `${id}-from-${name}` })));
  const roleBoxes = state.palette.roles.map((role) => checkbox(`${id}-role-${role}`, say(strings.roles, role), t.roles.includes(role),
    (value) => on.edit({ do: "setTransitionRole", index: t.index, role, value }, { focus: `${id}-role-${role}` })));
  return h("li", { class: "wb-card wb-transition", id, dataset: { name: t.name } },
    h("div", { class: "wb-card-head" }, h("strong", {}, label), " ", h("code", {}, t.name),
      t.approval.on ? h("span", { class: "label label-info" }, say(strings, "approvalMark")) : null,
      itemButtons(id, t.index, count, label, strings, {
        move: (by) => on.edit({ do: "moveTransition", index: t.index, by }, { focus: `wb-tr-${t.index + by}-${by < 0 ? "up" : "down"}` }),
        remove: () => on.remove({ do: "deleteTransition", index: t.index }, label, "wb-add-transition"),
      })),
    h("div", { class: "wb-pair" },
      labelled(id + "-name", say(strings, "name"), text(id + "-name", t.name,
        { onchange: (v) => on.edit({ do: "renameTransition", index: t.index, to: v }, { focus: id + "-name" }) })),
      labelled(id + "-label", say(strings, "label"), text(id + "-label", t.label,
        { oninput: (v) => on.edit({ do: "setTransitionLabel", index: t.index, value: v }, { merge: id + "-label" }) }))),
    checkGroup(id + "-from", say(strings, "from"), fromBoxes),
    labelled(id + "-to", say(strings, "to"), select(id + "-to", states.map((s) => [s.name, stateLabel(s.name)]), t.to,
      (v) => on.edit({ do: "setTransitionTo", index: t.index, value: v }, { focus: id + "-to" }))),
    checkGroup(id + "-roles", say(strings, "whoMay"), roleBoxes),
    requiredFields(t, state, strings, on),
    approval(t, state, strings, on),
    advancedNote(t.advanced, strings));
}

export function renderTransitions(state, strings, on) {
  const states = readStates(state.doc);
  const transitions = readTransitions(state.doc);
  return h("div", { class: "wb-transitions" },
    transitions.length ? h("ol", { class: "wb-cards", id: "wb-transitions" },
      transitions.map((t) => transitionCard(t, transitions.length, states, state, strings, on)))
      : h("p", { class: "text-muted" }, say(strings, "noTransitions")),
    button("wb-add-transition", "+ " + say(strings, "addTransition"), say(strings, "addTransition"),
      () => on.add({ do: "addTransition" }, (i) => `wb-tr-${i}-name`)));
}
