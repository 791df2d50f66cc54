/* Conditions as the builders write them, without the administrator writing JSON Schema:
 * tests "⟨field⟩ ⟨op⟩ ⟨value⟩", all or any of them. A test's path is the property names from
 * the root of the document the schema is tested against (a template's form data: ["reason"];
 * a workflow's ticket document: ["data", "refund_amount"] or ["priority"]).
 *
 * One test is written in the shape people write by hand, each step required on the way down:
 *   is         {"properties": {"reason": {"const": "other"}}, "required": ["reason"]}
 *   oneOf      ... {"enum": [...]} ...      gt / gte / lt / lte  ... {"exclusiveMinimum": 5} ...
 *   isNot      {"properties": {"reason": {"not": {"const": "other"}}}}   (a blank field is "not")
 *   filled     {"required": ["reason"]}
 *   empty      {"not": {"required": ["reason"]}}
 * Several tests: {"allOf": [test, ...]} (all) or {"anyOf": [test, ...]} (any); no test: true.
 * `readCondition` reads back exactly these shapes and nothing else (it checks that writing what
 * it read gives the same JSON), so a condition written by hand in another shape is never
 * rewritten by reading it: the builder shows it as advanced. Values are json.js values (strings,
 * Num, booleans, null; an array for oneOf). Pure: no DOM. */
import { isMap, same } from "./json.js";

export const OPS = ["is", "isNot", "oneOf", "gt", "gte", "lt", "lte", "empty", "filled"];

/** The operators that take no value. */
export const VALUELESS = ["empty", "filled"];

const KEYWORD = {
  is: "const", oneOf: "enum", gt: "exclusiveMinimum", gte: "minimum", lt: "exclusiveMaximum", lte: "maximum",
};
const OP_OF_KEYWORD = Object.fromEntries(Object.entries(KEYWORD).map(([op, key]) => [key, op]));

const object = (...members) => new Map(members);

function leafTest(name, op, value) {
  if (op === "empty") { return object(["not", object(["required", [name]])]); }
  if (op === "filled") { return object(["required", [name]]); }
  if (op === "isNot") { return object(["properties", object([name, object(["not", object(["const", value])])])]); }
  if (!KEYWORD[op]) { throw new Error("unknown operator " + op); }
  return object(["properties", object([name, object([KEYWORD[op], value])])], ["required", [name]]);
}

/** The JSON Schema of one test. */
export function writeTest({ path, op, value }) {
  if (!Array.isArray(path) || !path.length) { throw new Error("a test needs a field"); }
  let schema = leafTest(path[path.length - 1], op, value);
  for (let i = path.length - 2; i >= 0; i -= 1) {
    schema = object(["properties", object([path[i], schema])], ["required", [path[i]]]);
  }
  return schema;
}

/** The JSON Schema of a condition: `true` when it has no test. */
export function writeCondition({ match, tests }) {
  if (!tests.length) { return true; }
  if (tests.length === 1) { return writeTest(tests[0]); }
  return object([match === "any" ? "anyOf" : "allOf", tests.map(writeTest)]);
}

const keys = (map) => Array.from(map.keys()).sort().join(" ");

function onlyName(map) {
  return isMap(map) && map.size === 1 ? Array.from(map.keys())[0] : undefined;
}

function readLeafValue(schema) {
  const key = onlyName(schema);
  const op = key === undefined ? undefined : OP_OF_KEYWORD[key];
  if (!op) { return null; }
  const value = schema.get(key);
  if (op === "oneOf" && !Array.isArray(value)) { return null; }
  return { op, value };
}

/** A test read loosely (`readTest` checks the shape exactly). */
function looseTest(schema) {
  if (!isMap(schema)) { return null; }
  const shape = keys(schema);
  if (shape === "not") {
    const inner = schema.get("not");
    const list = isMap(inner) && keys(inner) === "required" ? inner.get("required") : null;
    return Array.isArray(list) && list.length === 1 && typeof list[0] === "string"
      ? { path: [list[0]], op: "empty" } : null;
  }
  if (shape === "required") {
    const list = schema.get("required");
    return Array.isArray(list) && list.length === 1 && typeof list[0] === "string"
      ? { path: [list[0]], op: "filled" } : null;
  }
  if (shape !== "properties" && shape !== "properties required") { return null; }
  const name = onlyName(schema.get("properties"));
  if (name === undefined) { return null; }
  const inner = schema.get("properties").get(name);
  if (shape === "properties") {
    const not = isMap(inner) && keys(inner) === "not" ? inner.get("not") : null;
    return isMap(not) && keys(not) === "const" ? { path: [name], op: "isNot", value: not.get("const") } : null;
  }
  const leaf = readLeafValue(inner);
  if (leaf) { return { path: [name], ...leaf }; }
  const deeper = looseTest(inner);
  return deeper ? { ...deeper, path: [name, ...deeper.path] } : null;
}

/** One test, or null when `schema` is not exactly the shape `writeTest` writes. */
export function readTest(schema) {
  const test = looseTest(schema);
  return test && same(writeTest(test), schema) ? test : null;
}

/** A condition, or null when `schema` is not exactly what `writeCondition` writes. */
export function readCondition(schema) {
  if (schema === true) { return { match: "all", tests: [] }; }
  if (!isMap(schema)) { return null; }
  const key = onlyName(schema);
  let condition = null;
  if ((key === "allOf" || key === "anyOf") && Array.isArray(schema.get(key)) && schema.get(key).length > 1) {
    const tests = schema.get(key).map(readTest);
    if (tests.every(Boolean)) { condition = { match: key === "anyOf" ? "any" : "all", tests }; }
  } else {
    const test = readTest(schema);
    if (test) { condition = { match: "all", tests: [test] }; }
  }
  return condition && same(writeCondition(condition), schema) ? condition : null;
}
