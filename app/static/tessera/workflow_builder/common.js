/* What the workflow builder's actions share: names, blank inputs, list items, conditions. */
import { Num, fromPlain, isMap } from "../builder/json.js";
import { EditError, get } from "../builder/document.js";
import { OPS, VALUELESS } from "../builder/condition.js";

export const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** `text` without surrounding space, or undefined when that leaves nothing. */
export function blank(text) {
  if (text === undefined || text === null) { return undefined; }
  const trimmed = String(text).trim();
  return trimmed === "" ? undefined : trimmed;
}

/** A name for a new item: `wanted`, else `wanted_2`, `wanted_3`, ... not among `taken`. */
export function freeName(taken, wanted) {
  if (!taken.includes(wanted)) { return wanted; }
  let n = 2;
  while (taken.includes(wanted + "_" + n)) { n += 1; }
  return wanted + "_" + n;
}

/** A name an admin typed, checked: lowercase letters, digits and _, starting with a letter. */
export function checkName(text) {
  const name = blank(text);
  if (!name || !NAME.test(name)) {
    throw new EditError("a name is lowercase letters, digits and _, starting with a letter: " + JSON.stringify(text ?? ""));
  }
  return name;
}

/** The Map at `path[index]` of a list, or EditError. */
export function itemAt(doc, path, index) {
  const items = get(doc, path);
  const item = Array.isArray(items) ? items[index] : undefined;
  if (!isMap(item)) { throw new EditError("there is no item " + index + " at /" + path.join("/")); }
  return [...path, index];
}

/** The names (a `name` member) of the items of the list at `path`. */
export function namesAt(doc, path) {
  const items = get(doc, path);
  return Array.isArray(items) ? items.map((item) => (isMap(item) ? item.get("name") : undefined)) : [];
}

/** Add `value` to the string list `parent[key]` (made when missing); no-op when it is there. */
export function addTo(tx, parent, key, value) {
  const items = get(tx.doc, [...parent, key]);
  if (items === undefined) { tx.put(parent, key, [value]); return; }
  if (!Array.isArray(items)) { throw new EditError("/" + [...parent, key].join("/") + " is not a list"); }
  if (!items.includes(value)) { tx.splice([...parent, key], items.length, 0, [value]); }
}

/** Remove `value` from the list `parent[key]` every time it is there. */
export function takeFrom(tx, parent, key, value) {
  const items = get(tx.doc, [...parent, key]);
  if (!Array.isArray(items)) { return; }
  for (let i = items.length - 1; i >= 0; i -= 1) {
    if (items[i] === value) { tx.splice([...parent, key], i, 1); }
  }
}

/** Move item `index` of the list at `path` to position `to` (clamped). */
export function moveItem(tx, path, index, to) {
  const items = get(tx.doc, path);
  if (!Array.isArray(items) || index < 0 || index >= items.length) { throw new EditError("no such item"); }
  const target = Math.max(0, Math.min(to, items.length - 1));
  if (target === index) { return; }
  const item = items[index];
  tx.splice(path, index, 1);
  tx.splice(path, target, 0, [item]);
}

/** A number typed in a control, as json.js keeps it. */
export function numberOf(text) {
  const trimmed = String(text ?? "").trim();
  if (!NUMBER.test(trimmed)) { throw new EditError("not a number: " + JSON.stringify(text ?? "")); }
  return new Num(trimmed);
}

function checkTest(test) {
  if (!test || !Array.isArray(test.path) || !test.path.length || !test.path.every((s) => typeof s === "string" && s)) {
    throw new EditError("a condition row needs a field");
  }
  if (!OPS.includes(test.op)) { throw new EditError("unknown operator " + JSON.stringify(test.op)); }
  if (VALUELESS.includes(test.op)) { return { path: test.path, op: test.op }; }
  const value = fromPlain(test.value);
  if (value === undefined) { throw new EditError("a condition row needs a value"); }
  if (["gt", "gte", "lt", "lte"].includes(test.op) && !(value instanceof Num)) {
    throw new EditError("compare numbers only: " + JSON.stringify(test.value));
  }
  if (test.op === "oneOf" && (!Array.isArray(value) || !value.length)) {
    throw new EditError("“one of” needs at least one value");
  }
  return { path: test.path, op: test.op, value };
}

/** A condition from the controls (or a test), checked: {match, tests} with json.js values. */
export function conditionOf(condition) {
  if (!condition || !Array.isArray(condition.tests)) { throw new EditError("not a condition"); }
  return { match: condition.match === "any" ? "any" : "all", tests: condition.tests.map(checkTest) };
}
