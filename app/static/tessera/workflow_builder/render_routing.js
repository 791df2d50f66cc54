/* The routing panel: the default strategy and the rules as a table, first match wins. Each rule:
 * its name and label, its condition rows, and what it decides (department, strategy, priority,
 * skills). Rows reorder by dragging their grip, by ↑/↓ buttons, or with Alt+↑/↓ on the row. */
import { readRules } from "./model.js";
import { conditionEditor } from "./condition_editor.js";
import {
  advancedNote, button, checkGroup, checkbox, errorSlot, h, itemButtons, say, select, text,
} from "./controls.js";

function decides(rule, state, strings, on) {
  const id = `wb-rule-${rule.index}`;
  const p = state.palette;
  const pick = (what, options, current, none) => h("div", { class: "wb-control" },
    h("label", { for: `${id}-${what}`, class: "control-label" }, say(strings, what)),
    select(`${id}-${what}`, [["", none], ...options], current, (value) => on.edit(
      { do: "setRule" + what[0].toUpperCase() + what.slice(1), index: rule.index, value }, { focus: `${id}-${what}` })),
    errorSlot(`${id}-${what}`));
  const skills = [...p.skills, ...rule.skills.filter((s) => !p.skills.includes(s))];
  return [
    pick("department", p.departments.map((d) => [d.key, `${d.name} (${d.key})`]), rule.department, say(strings, "noDepartment")),
    pick("strategy", p.strategies.map((s) => [s, say(strings.strategies, s)]), rule.strategy, say(strings, "defaultStrategy")),
    pick("priority", p.priorities.map((s) => [s, say(strings.priorities, s)]), rule.priority, say(strings, "keepPriority")),
    checkGroup(`${id}-skills`, say(strings, "skills"), skills.length
      ? skills.map((skill) => checkbox(`${id}-skill-${skill}`, skill, rule.skills.includes(skill),
        (value) => on.edit({ do: "setRuleSkill", index: rule.index, skill, value }, { focus: `${id}-skill-${skill}` })))
      : h("p", { class: "text-muted" }, say(strings, "noSkills"))),
  ];
}

function ruleRow(rule, count, state, strings, on) {
  const id = `wb-rule-${rule.index}`;
  const label = rule.label || rule.name;
  const position = say(strings, "ruleLabel", { n: rule.index + 1, label });
  return h("tr", {
    class: "wb-rule" + (state.drag === rule.index ? " wb-dragging" : ""), id, tabindex: "0",
    "aria-label": position, "aria-describedby": "wb-rules-help", dataset: { name: rule.name, index: String(rule.index) },
    onkeydown: (e) => on.ruleKey(e, rule.index),
    ondragover: (e) => on.dragOver(e), ondrop: (e) => on.drop(e, rule.index),
  },
  h("td", { class: "wb-order" },
    h("span", { class: "wb-grip", draggable: "true", title: say(strings, "dragRule"), "aria-hidden": "true",
      ondragstart: (e) => on.dragStart(e, rule.index), ondragend: () => on.dragEnd() }, "⋮⋮"),
    h("span", { class: "wb-number" }, String(rule.index + 1))),
  h("td", { class: "wb-rule-name" },
    text(id + "-name", rule.name, { "aria-label": say(strings, "ruleName", { n: rule.index + 1 }),
      onchange: (v) => on.edit({ do: "renameRule", index: rule.index, to: v }, { focus: id + "-name" }) }),
    errorSlot(id + "-name"),
    text(id + "-label", rule.label, { "aria-label": say(strings, "ruleLabelInput", { n: rule.index + 1 }),
      placeholder: say(strings, "label"),
      oninput: (v) => on.edit({ do: "setRuleLabel", index: rule.index, value: v }, { merge: id + "-label" }) }),
    errorSlot(id + "-label"), advancedNote(rule.advanced, strings)),
  h("td", { class: "wb-rule-when" }, conditionEditor({
    id: id + "-when", condition: rule.condition, current: () => (readRules(state.doc)[rule.index] || {}).condition, fields: state.catalogue, strings,
    label: say(strings, "ruleWhen", { n: rule.index + 1 }), empty: say(strings, "everyTicket"),
    commit: (condition, options) => on.condition({ do: "setRuleCondition", index: rule.index, condition }, options),
  })),
  h("td", { class: "wb-rule-then" }, decides(rule, state, strings, on)),
  h("td", { class: "wb-nowrap" }, itemButtons(id, rule.index, count, label, strings, {
    move: (by) => on.moveRule(rule.index, rule.index + by, `wb-rule-${rule.index + by}-${by < 0 ? "up" : "down"}`),
    remove: () => on.remove({ do: "deleteRule", index: rule.index }, label, "wb-add-rule"),
  })));
}

export function renderRouting(state, strings, on) {
  const rules = readRules(state.doc);
  const strategy = state.doc.get("routing") instanceof Map ? state.doc.get("routing").get("strategy") : undefined;
  const p = state.palette;
  return h("div", { class: "wb-routing" },
    h("div", { class: "form-group wb-control" },
      h("label", { for: "wb-strategy", class: "control-label" }, say(strings, "workflowStrategy")),
      select("wb-strategy", [["", say(strings, "manualDefault")], ...p.strategies.map((s) => [s, say(strings.strategies, s)])],
        typeof strategy === "string" ? strategy : undefined,
        (value) => on.edit({ do: "setDefaultStrategy", value }, { focus: "wb-strategy" })),
      errorSlot("wb-strategy")),
    h("p", { class: "help-block", id: "wb-rules-help" }, say(strings, "rulesHelp")),
    rules.length ? h("table", { class: "table table-condensed wb-table", id: "wb-rules" },
      h("caption", {}, say(strings, "rules")),
      h("thead", {}, h("tr", {}, ["ruleOrder", "ruleHead", "when", "then", "actions"]
        .map((k) => h("th", { scope: "col" }, say(strings, k))))),
      h("tbody", {}, rules.map((r) => ruleRow(r, rules.length, state, strings, on))))
      : h("p", { class: "text-muted", id: "wb-no-rules" }, say(strings, "noRules")),
    h("button", { type: "button", class: "btn btn-default btn-sm", id: "wb-add-rule",
      onclick: () => on.add({ do: "addRule" }, (i) => `wb-rule-${i}-when-add`) }, "+ ", say(strings, "addRule")));
}
