/* A template's conditions as the builder edits them: "show ⟨field⟩ only when …" and "require
 * ⟨field⟩ only when …", each one `if`/`then` (condition.js writes the `if`). The first condition
 * of a container goes into its schema as `if`/`then`; the others into `allOf`, one item each.
 * A field shown only when its condition holds is declared in `then.properties` (so the form
 * shows it then and only then), and is required with it in `then.required`; a field required
 * only when a condition holds stays where it is and is named in `then.required`. Only
 * conditions the builder can read back (fields.js `rulesOf`, `editable`) are changed; the
 * others are kept as written. */
import { Num, isMap } from "./json.js";
import { EditError, get } from "./document.js";
import { OPS, VALUELESS, writeCondition } from "./condition.js";
import { asText, container, describe, displayOrder, fieldPaths, rulesOf } from "./fields.js";

const samePath = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** An editable condition of container `where`, by its place. */
function ruleAt(doc, where, place) {
  const box = container(doc, where);
  const rule = rulesOf(doc, box).find((r) => samePath(r.place, place));
  if (!rule) { throw new EditError("there is no condition at /" + place.join("/")); }
  if (!rule.editable) { throw new EditError("this condition is edited in the JSON tab"); }
  return { box, rule };
}

/** The kinds of field a condition can test, and the tests each takes (the first is the default). */
export const TESTS_OF_KIND = {
  choice: ["is", "isNot", "oneOf", "empty", "filled"],
  yesno: ["is", "empty", "filled"],
  number: ["gt", "gte", "lt", "lte", "is", "isNot", "empty", "filled"],
  integer: ["gt", "gte", "lt", "lte", "is", "isNot", "empty", "filled"],
  text: ["filled", "empty", "is", "isNot"],
  textarea: ["filled", "empty", "is", "isNot"],
  email: ["filled", "empty", "is", "isNot"],
  phone: ["filled", "empty", "is", "isNot"],
  url: ["filled", "empty", "is", "isNot"],
  date: ["filled", "empty", "is", "isNot"],
  datetime: ["filled", "empty"],
};

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** The value a control's text stands for, as the tested field stores it. */
function typedValue(item, text) {
  const trimmed = String(text).trim();
  if (item.kind === "choice") {
    const found = item.options.find((o) => asText(o.value) === String(text));
    if (!found) { throw new EditError("not one of the options: " + JSON.stringify(text)); }
    return found.value;
  }
  if (item.kind === "yesno") { return trimmed === "true"; }
  if (item.kind === "number" || item.kind === "integer") {
    if (!NUMBER.test(trimmed) || (item.kind === "integer" && !/^-?[0-9]+$/.test(trimmed))) {
      throw new EditError((item.kind === "integer" ? "not a whole number: " : "not a number: ") + JSON.stringify(text));
    }
    return new Num(trimmed);
  }
  return String(text);
}

/** A test with a control's text (`text`, or `texts` for oneOf) turned into the value. */
function withValue(doc, where, test, library) {
  if (!test || (!("text" in test) && !("texts" in test))) { return test; }
  const item = describe(doc, { where, name: test.path[0] }, library);
  const { text, texts, ...rest } = test;
  return { ...rest, value: texts ? texts.map((t) => typedValue(item, t)) : typedValue(item, text) };
}

/** A test as the builder stores it, or EditError saying what is wrong with it. */
function checkedTest(doc, box, targets, raw, library = {}) {
  if (!raw || !Array.isArray(raw.path) || raw.path.length !== 1) { throw new EditError("a test needs a field"); }
  const [name] = raw.path;
  if (!displayOrder(doc, box).includes(name)) { throw new EditError("there is no field " + JSON.stringify(name) + " to test"); }
  if (targets.includes(name)) { throw new EditError("a field cannot depend on itself"); }
  if (!OPS.includes(raw.op)) { throw new EditError("unknown test " + JSON.stringify(raw.op)); }
  if (VALUELESS.includes(raw.op)) { return { path: [name], op: raw.op }; }
  const test = withValue(doc, box.where, raw, library);
  if (test.value === undefined) { throw new EditError("the test needs a value"); }
  if (test.op === "oneOf" && (!Array.isArray(test.value) || !test.value.length)) {
    throw new EditError("choose at least one value");
  }
  return { path: [name], op: test.op, value: test.value };
}

/** Keep the form's order when a field moved between the container and a condition. */
function keepOrder(tx, box, before) {
  if (samePath(displayOrder(tx.doc, box), before)) { return; }
  tx.ensure(box.ui);
  tx.put(box.ui, "ui:order", before.slice());
}

function addRule(tx, box, condition, then) {
  const schema = get(tx.doc, box.schema);
  if (!["if", "then", "else", "allOf"].some((k) => schema.has(k))) {
    tx.put(box.schema, "if", writeCondition(condition));
    tx.put(box.schema, "then", then);
    return box.schema;
  }
  if (!schema.has("allOf")) { tx.put(box.schema, "allOf", []); }
  const all = get(tx.doc, [...box.schema, "allOf"]);
  if (!Array.isArray(all)) { throw new EditError("allOf is not a list; edit it in the JSON tab"); }
  tx.splice([...box.schema, "allOf"], all.length, 0, [new Map([["if", writeCondition(condition)], ["then", then]])]);
  return [...box.schema, "allOf", all.length - 1];
}

function dropRule(tx, box, place) {
  if (place.length === box.schema.length) {
    tx.remove(place, "if");
    tx.remove(place, "then");
    return;
  }
  const list = [...box.schema, "allOf"];
  tx.splice(list, place[place.length - 1], 1);
  if (get(tx.doc, list).length === 0) { tx.remove(box.schema, "allOf"); }
}

/** Take `name` out of a condition's `then`; drop the condition when nothing is left in it. */
export function withdrawFromRule(tx, box, place, name) {
  const then = [...place, "then"];
  const props = get(tx.doc, [...then, "properties"]);
  if (isMap(props) && props.has(name)) {
    tx.remove([...then, "properties"], name);
    if (props.size === 0) { tx.remove(then, "properties"); }
  }
  const needed = get(tx.doc, [...then, "required"]);
  if (Array.isArray(needed)) {
    for (let i = needed.length - 1; i >= 0; i -= 1) { if (needed[i] === name) { tx.splice([...then, "required"], i, 1); } }
    if (needed.length === 0) { tx.remove(then, "required"); }
  }
  if (get(tx.doc, then).size === 0) { dropRule(tx, box, place); }
}

function ensureIn(tx, owner, name) {
  const list = get(tx.doc, [...owner, "required"]);
  if (list === undefined) { tx.put(owner, "required", [name]); }
  else if (!Array.isArray(list)) { throw new EditError("required is not a list; edit it in the JSON tab"); }
  else if (!list.includes(name)) { tx.splice([...owner, "required"], list.length, 0, [name]); }
}

function withdrawRequired(tx, owner, name) {
  const list = get(tx.doc, [...owner, "required"]);
  if (!Array.isArray(list)) { return; }
  for (let i = list.length - 1; i >= 0; i -= 1) { if (list[i] === name) { tx.splice([...owner, "required"], i, 1); } }
  if (list.length === 0) { tx.remove(owner, "required"); }
}

function rewrite(tx, place, condition) {
  tx.put(place, "if", writeCondition(condition));
}

/** Every editable condition that tests `name`. */
export function testing(doc, box, name) {
  return rulesOf(doc, box).filter((r) => r.editable && r.condition.tests.some((t) => t.path[0] === name));
}

/** Follow a field's rename in every editable condition of its container (tests and `then`). */
export function renameInRules(tx, box, name, to) {
  for (const rule of rulesOf(tx.doc, box)) {
    if (!rule.editable) { continue; }
    const needed = get(tx.doc, [...rule.place, "then", "required"]);
    if (Array.isArray(needed)) {
      needed.forEach((n, i) => { if (n === name) { tx.splice([...rule.place, "then", "required"], i, 1, [to]); } });
    }
    if (rule.condition.tests.some((t) => t.path[0] === name)) {
      const tests = rule.condition.tests.map((t) => (t.path[0] === name ? { ...t, path: [to] } : t));
      rewrite(tx, rule.place, { ...rule.condition, tests });
    }
  }
}

/** Forget a deleted field in the conditions that require it (its own is dropped with it). */
export function forgetInRules(tx, box, name) {
  const users = testing(tx.doc, box, name);
  if (users.length) {
    throw new EditError("a condition tests " + JSON.stringify(name) + ": remove that condition first");
  }
  const rules = rulesOf(tx.doc, box).filter((r) => r.editable && (r.require.includes(name) || r.show.includes(name)));
  for (const rule of rules.reverse()) { withdrawFromRule(tx, box, rule.place, name); }
}

export const CONDITION_ACTIONS = {
  /** Show a field only while a test holds: its schema moves into a new condition's `then`. */
  showWhen(tx, { field, test }, context = {}) {
    const paths = fieldPaths(tx.doc, field);
    if (paths.rule) { throw new EditError("this field is already shown only under a condition"); }
    const box = paths.box;
    const checked = checkedTest(tx.doc, box, [field.name], test, context.library);
    const before = displayOrder(tx.doc, box);
    const schema = get(tx.doc, paths.schema);
    const list = get(tx.doc, box.required);
    const required = Array.isArray(list) && list.includes(field.name);
    tx.remove(box.properties, field.name);
    withdrawRequired(tx, box.schema, field.name);
    const then = new Map([["properties", new Map([[field.name, schema]])]]);
    if (required) { then.set("required", [field.name]); }
    const place = addRule(tx, box, { match: "all", tests: [checked] }, then);
    keepOrder(tx, box, before);
    return place;
  },
  /** Require a field only while a test holds (it stops being always required). */
  requireWhen(tx, { field, test }, context = {}) {
    const paths = fieldPaths(tx.doc, field);
    if (paths.rule) { throw new EditError("a field shown only under a condition is required with it: tick Required"); }
    const checked = checkedTest(tx.doc, paths.box, [field.name], test, context.library);
    withdrawRequired(tx, paths.box.schema, field.name);
    return addRule(tx, paths.box, { match: "all", tests: [checked] }, new Map([["required", [field.name]]]));
  },
  /** The field no longer depends on the condition at `place` (shown always, required as it was). */
  removeCondition(tx, { field, place }) {
    const { box, rule } = ruleAt(tx.doc, field.where, place);
    if (rule.show.includes(field.name)) {
      const before = displayOrder(tx.doc, box);
      const paths = fieldPaths(tx.doc, field);
      const schema = get(tx.doc, paths.schema);
      const required = rule.require.includes(field.name);
      withdrawFromRule(tx, box, place, field.name);
      tx.ensure(box.properties);
      tx.put(box.properties, field.name, schema);
      if (required) { ensureIn(tx, box.schema, field.name); }
      keepOrder(tx, box, before);
    } else if (rule.require.includes(field.name)) {
      withdrawFromRule(tx, box, place, field.name);
    } else { throw new EditError("this condition is not about " + JSON.stringify(field.name)); }
  },
  setMatch(tx, { where, place, match }) {
    const { rule } = ruleAt(tx.doc, where, place);
    if (match !== "all" && match !== "any") { throw new EditError("all or any"); }
    rewrite(tx, place, { ...rule.condition, match });
  },
  addTest(tx, { where, place, test }, context = {}) {
    const { box, rule } = ruleAt(tx.doc, where, place);
    const checked = checkedTest(tx.doc, box, [...rule.show, ...rule.require], test, context.library);
    rewrite(tx, place, { ...rule.condition, tests: [...rule.condition.tests, checked] });
  },
  setTest(tx, { where, place, index, test }, context = {}) {
    const { box, rule } = ruleAt(tx.doc, where, place);
    if (!(index >= 0 && index < rule.condition.tests.length)) { throw new EditError("there is no such test"); }
    const checked = checkedTest(tx.doc, box, [...rule.show, ...rule.require], test, context.library);
    rewrite(tx, place, { ...rule.condition, tests: rule.condition.tests.map((t, i) => (i === index ? checked : t)) });
  },
  removeTest(tx, { where, place, index }) {
    const { rule } = ruleAt(tx.doc, where, place);
    if (!(index >= 0 && index < rule.condition.tests.length)) { throw new EditError("there is no such test"); }
    if (rule.condition.tests.length === 1) { throw new EditError("a condition needs a test: remove the condition instead"); }
    rewrite(tx, place, { ...rule.condition, tests: rule.condition.tests.filter((t, i) => i !== index) });
  },
};
