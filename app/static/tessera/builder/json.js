/* JSON that keeps what the builder does not edit: objects are Maps (member order kept exactly,
 * any member name, "__proto__" and "10" included), numbers keep their source text (1.0, 1e2 and
 * 12345678901234567890 stay as written) and a duplicate member is an error, as on the server.
 * `serialize` writes what the server's editor writes (Python's json.dumps, indent 2, non-ASCII
 * kept), so a parsed document serializes back to the same text. */

/** A JSON number kept as its source text. */
export class Num {
  constructor(text) { this.text = String(text); }
  valueOf() { return Number(this.text); }
}

/** Not JSON, or JSON the builder will not read (a duplicate member); `offset` in the text. */
export class ParseError extends Error {
  constructor(message, offset) { super(message); this.name = "ParseError"; this.offset = offset; }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;
const WORDS = { true: true, false: false, null: null };

/** The value of a JSON text (Maps, arrays, Num, strings, booleans, null). */
export function parse(text) {
  let at = 0;
  const fail = (what) => { throw new ParseError(what + " at character " + (at + 1), at); };
  const skip = () => { SPACE.lastIndex = at; SPACE.exec(text); at = SPACE.lastIndex; };
  const token = (pattern) => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (!found) { return null; }
    at = pattern.lastIndex;
    return found[0];
  };
  function value() {
    skip();
    const c = text[at];
    if (c === "{") { return object(); }
    if (c === "[") { return array(); }
    if (c === '"') {
      const raw = token(STRING);
      if (raw === null) { fail("Bad string"); }
      return JSON.parse(raw);
    }
    const number = token(NUMBER);
    if (number !== null) { return new Num(number); }
    for (const word of Object.keys(WORDS)) {
      if (text.startsWith(word, at)) { at += word.length; return WORDS[word]; }
    }
    return fail("Expected a value");
  }
  function object() {
    const out = new Map();
    at += 1;
    skip();
    if (text[at] === "}") { at += 1; return out; }
    for (;;) {
      skip();
      const start = at;
      const raw = text[at] === '"' ? token(STRING) : null;
      if (raw === null) { fail("Expected a member name"); }
      const name = JSON.parse(raw);
      if (out.has(name)) { at = start; fail("Duplicate key " + JSON.stringify(name)); }
      skip();
      if (text[at] !== ":") { fail("Expected ':'"); }
      at += 1;
      out.set(name, value());
      skip();
      if (text[at] === ",") { at += 1; continue; }
      if (text[at] === "}") { at += 1; return out; }
      fail("Expected ',' or '}'");
    }
  }
  function array() {
    const out = [];
    at += 1;
    skip();
    if (text[at] === "]") { at += 1; return out; }
    for (;;) {
      out.push(value());
      skip();
      if (text[at] === ",") { at += 1; continue; }
      if (text[at] === "]") { at += 1; return out; }
      fail("Expected ',' or ']'");
    }
  }
  const result = value();
  skip();
  if (at < text.length) { fail("Unexpected text after the JSON value"); }
  return result;
}

/** JSON text as the editor writes it: 2-space indent, ", " never at line ends, non-ASCII kept. */
export function serialize(value, depth = 0) {
  const pad = "\n" + "  ".repeat(depth + 1);
  const end = "\n" + "  ".repeat(depth);
  if (value instanceof Map) {
    if (value.size === 0) { return "{}"; }
    const members = [];
    for (const [name, item] of value) {
      members.push(JSON.stringify(name) + ": " + serialize(item, depth + 1));
    }
    return "{" + pad + members.join("," + pad) + end + "}";
  }
  if (Array.isArray(value)) {
    if (value.length === 0) { return "[]"; }
    return "[" + pad + value.map((item) => serialize(item, depth + 1)).join("," + pad) + end + "]";
  }
  if (value instanceof Num) { return value.text; }
  if (typeof value === "number") { return String(value); }
  return JSON.stringify(value);
}

/** A deep copy (Maps and arrays new, Num and scalars shared: they never change). */
export function clone(value) {
  if (value instanceof Map) {
    return new Map(Array.from(value, ([name, item]) => [name, clone(item)]));
  }
  if (Array.isArray(value)) { return value.map(clone); }
  return value;
}

/** The builder's value for a plain JS one: objects become Maps, numbers Num. */
export function fromPlain(value) {
  if (value instanceof Map || value instanceof Num) { return value; }
  if (Array.isArray(value)) { return value.map(fromPlain); }
  if (typeof value === "number") { return new Num(String(value)); }
  if (value !== null && typeof value === "object") {
    return new Map(Object.entries(value).map(([name, item]) => [name, fromPlain(item)]));
  }
  return value;
}

/** Same JSON, member order included (numbers compared by text). */
export function same(a, b) {
  return serialize(a) === serialize(b);
}

export const isMap = (value) => value instanceof Map;
