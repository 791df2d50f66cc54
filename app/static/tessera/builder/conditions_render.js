/* The "Conditions" part of the property panel and the canvas's "shown when …" marks. A test
 * row is: the field tested (another field of the same form), the test (per kind of field,
 * conditions.js TESTS_OF_KIND) and its value (options as a list, yes/no, a number or a text).
 * Controls send the value as text; conditions.js turns it into the stored value. */
import { asText } from "./fields.js";
import { VALUELESS } from "./condition.js";
import { TESTS_OF_KIND } from "./conditions.js";
import { h, say } from "./render.js";

const labelOf = (item) => item.title || item.inheritedTitle || item.field.name;

/** The fields of the same container as `field` (state.fields is the form's tree). */
export function siblingsOf(state, field) {
  let items = state.fields;
  for (const name of field.where) {
    const parent = items.find((i) => i.field.name === name);
    items = parent && parent.children ? parent.children : [];
  }
  return items;
}

/** The fields a condition of `targets` can test. */
function testable(siblings, targets) {
  return siblings.filter((s) => TESTS_OF_KIND[s.kind] && !targets.includes(s.field.name));
}

/** A new test of `item`: its default test and value, as control texts. */
export function defaultTest(item) {
  const op = TESTS_OF_KIND[item.kind][0];
  const path = [item.field.name];
  if (VALUELESS.includes(op)) { return { path, op }; }
  if (item.kind === "choice") { return { path, op, text: asText(item.options[0] && item.options[0].value) }; }
  if (item.kind === "yesno") { return { path, op, text: "true" }; }
  return { path, op, text: "0" };
}

/** The same test with another operator, keeping the value where it still fits. */
function withOp(test, op, item) {
  const texts = Array.isArray(test.value) ? test.value.map(asText) : test.value === undefined ? [] : [asText(test.value)];
  if (VALUELESS.includes(op)) { return { path: test.path, op }; }
  if (op === "oneOf") { return { path: test.path, op, texts: texts.length ? texts : [defaultTest(item).text || ""] }; }
  return { path: test.path, op, text: texts.length ? texts[0] : defaultTest(item).text || "" };
}

function valueLabel(item, value) {
  if (item && item.kind === "choice") {
    const option = item.options.find((o) => asText(o.value) === asText(value));
    return option ? option.label || asText(option.value) : asText(value);
  }
  return asText(value);
}

/** A condition in words: "Type is Refund and Amount is greater than 1000". */
export function conditionText(rule, siblings, strings) {
  if (!rule.editable) { return say(strings, "conditionInJson"); }
  const byName = new Map(siblings.map((s) => [s.field.name, s]));
  const parts = rule.condition.tests.map((test) => {
    const item = byName.get(test.path[0]);
    const name = item ? labelOf(item) : test.path[0];
    const op = say(strings.ops, test.op);
    if (VALUELESS.includes(test.op)) { return name + " " + op; }
    const value = item && item.kind === "yesno" ? say(strings, test.value ? "yes" : "no")
      : Array.isArray(test.value) ? test.value.map((v) => valueLabel(item, v)).join(", ") : valueLabel(item, test.value);
    return name + " " + op + " " + value;
  });
  return parts.join(say(strings, rule.condition.match === "any" ? "orJoin" : "andJoin"));
}

/** The canvas marks of a field its conditions show or require. */
export function conditionMarks(item, state, strings) {
  const siblings = siblingsOf(state, item.field);
  return item.rules.map((rule) => {
    const key = rule.show.includes(item.field.name) ? "markShown" : "markRequired";
    return h("span", { class: "label label-primary tb-condition-mark" },
      say(strings, key, { condition: conditionText(rule, siblings, strings) }));
  });
}

function valueControl(id, test, item, strings, commit) {
  if (VALUELESS.includes(test.op)) { return null; }
  const label = say(strings, "testValue");
  if (test.op === "oneOf") {
    const chosen = (Array.isArray(test.value) ? test.value : []).map(asText);
    return h("fieldset", { class: "tb-test-values", id },
      h("legend", { class: "sr-only" }, label),
      item.options.map((option, i) => h("label", { class: "checkbox-inline", for: `${id}-${i}` },
        h("input", { type: "checkbox", id: `${id}-${i}`, checked: chosen.includes(asText(option.value)),
          onchange: (e) => {
            const value = asText(option.value);
            const texts = e.target.checked ? [...chosen, value] : chosen.filter((v) => v !== value);
            commit({ path: test.path, op: test.op, texts }, id);
          } }), " ", option.label || asText(option.value))));
  }
  if (item.kind === "choice" || item.kind === "yesno") {
    const choices = item.kind === "yesno" ? [["true", say(strings, "yes")], ["false", say(strings, "no")]]
      : item.options.map((o) => [asText(o.value), o.label || asText(o.value)]);
    const now = test.value === undefined ? "" : asText(test.value);
    return h("select", { id, class: "form-control input-sm", "aria-label": label,
      onchange: (e) => commit({ path: test.path, op: test.op, text: e.target.value }, id) },
    choices.map(([value, text]) => h("option", { value, selected: value === now ? "selected" : null }, text)));
  }
  const numeric = item.kind === "number" || item.kind === "integer";
  return h("input", { id, class: "form-control input-sm", "aria-label": label, autocomplete: "off",
    value: test.value === undefined ? "" : asText(test.value), inputmode: numeric ? "decimal" : null,
    type: item.kind === "date" ? "date" : null,
    oninput: (e) => commit({ path: test.path, op: test.op, text: e.target.value }, id, true) });
}

function testRow(rule, index, test, choices, state, strings, on, where) {
  const id = `tb-c-${rule.place.join("-")}-${index}`;
  const item = choices.find((c) => c.field.name === test.path[0]);
  const set = (next, focus, merge = false) => on.edit({ do: "setTest", where, place: rule.place, index, test: next },
    merge ? { merge: focus } : { panel: true, focus });
  const n = index + 1;
  return h("li", { class: "tb-test" },
    h("select", { id: id + "-field", class: "form-control input-sm", "aria-label": say(strings, "testField") + " " + n,
      onchange: (e) => set(defaultTest(choices.find((c) => c.field.name === e.target.value)), id + "-field") },
    choices.map((c) => h("option", { value: c.field.name, selected: c === item ? "selected" : null }, labelOf(c)))),
    item ? h("select", { id: id + "-op", class: "form-control input-sm", "aria-label": say(strings, "testOp") + " " + n,
      onchange: (e) => set(withOp(test, e.target.value, item), id + "-op") },
    TESTS_OF_KIND[item.kind].map((op) => h("option", { value: op, selected: op === test.op ? "selected" : null }, say(strings.ops, op))))
      : h("code", {}, test.op),
    item ? valueControl(id + "-value", test, item, strings, set) : null,
    h("button", { type: "button", class: "btn btn-default btn-xs tb-remove-test",
      "aria-label": say(strings, "removeTest", { n }), disabled: rule.condition.tests.length < 2 ? "disabled" : null,
      onclick: () => on.edit({ do: "removeTest", where, place: rule.place, index }, { panel: true }) }, "✕"));
}

function ruleBox(item, rule, siblings, state, strings, on) {
  const name = item.field.name;
  const where = item.field.where;
  const effect = rule.show.includes(name) ? (rule.require.includes(name) ? "effectBoth" : "effectShow") : "effectRequire";
  const others = [...new Set([...rule.show, ...rule.require])].filter((n) => n !== name);
  if (!rule.editable) {
    return h("div", { class: "tb-rule tb-rule-advanced" }, h("p", {}, say(strings, effect)),
      h("p", { class: "help-block" }, say(strings, "conditionInJson")));
  }
  const choices = testable(siblings, [...rule.show, ...rule.require]);
  const base = `tb-c-${rule.place.join("-")}`;
  return h("div", { class: "tb-rule", dataset: { place: rule.place.join("/") } },
    h("p", { class: "tb-rule-effect" }, say(strings, effect)),
    rule.condition.tests.length > 1 ? h("select", { id: base + "-match", class: "form-control input-sm",
      "aria-label": say(strings, "matchLabel"),
      onchange: (e) => on.edit({ do: "setMatch", where, place: rule.place, match: e.target.value }, { panel: true, focus: base + "-match" }) },
    ["all", "any"].map((m) => h("option", { value: m, selected: m === rule.condition.match ? "selected" : null },
      say(strings, m === "all" ? "matchAll" : "matchAny")))) : null,
    h("ol", { class: "tb-tests list-unstyled" },
      rule.condition.tests.map((test, i) => testRow(rule, i, test, choices, state, strings, on, where))),
    others.length ? h("p", { class: "help-block" }, say(strings, "alsoFor", { names: others.join(", ") })) : null,
    h("button", { type: "button", class: "btn btn-default btn-xs tb-add-test", id: base + "-add",
      disabled: choices.length ? null : "disabled",
      onclick: () => on.edit({ do: "addTest", where, place: rule.place, test: defaultTest(choices[0]) }, { panel: true, focus: base + "-add" }) },
    "+ ", say(strings, "addTest")), " ",
    h("button", { type: "button", class: "btn btn-default btn-xs tb-remove-condition",
      onclick: () => on.edit({ do: "removeCondition", field: item.field, place: rule.place }, { panel: true, focus: "tb-conditions-heading" }) },
    say(strings, "removeCondition")));
}

/** The panel's conditions of one field, with buttons to add one. */
export function conditionsEditor(item, state, strings, on) {
  const siblings = siblingsOf(state, item.field);
  const choices = testable(siblings, [item.field.name]);
  const conditional = Boolean(item.paths.rule);
  const add = (action) => on.edit({ do: action, field: item.field, test: defaultTest(choices[0]) },
    { panel: true, focus: "tb-conditions-heading" });
  return h("fieldset", { class: "form-group tb-conditions", id: "tb-conditions" },
    h("legend", { class: "control-label h6", id: "tb-conditions-heading", tabindex: "-1" }, say(strings, "conditions")),
    item.rules.map((rule) => ruleBox(item, rule, siblings, state, strings, on)),
    choices.length ? null : h("p", { class: "help-block" }, say(strings, "noTestable")),
    h("div", { class: "tb-condition-buttons" },
      h("button", { type: "button", class: "btn btn-default btn-xs", id: "tb-show-when",
        disabled: conditional || !choices.length ? "disabled" : null, onclick: () => add("showWhen") },
      "+ ", say(strings, "showOnlyWhen")), " ",
      h("button", { type: "button", class: "btn btn-default btn-xs", id: "tb-require-when",
        disabled: conditional || !choices.length ? "disabled" : null, onclick: () => add("requireWhen") },
      "+ ", say(strings, "requireOnlyWhen"))),
    h("p", { class: "help-block tb-control-error", id: "tb-conditions-error", role: "alert", hidden: true }));
}
