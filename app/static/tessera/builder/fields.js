/* Reading a template's form as the builder shows it: containers (the form, groups, repeating
 * rows), their fields in display order, each field's kind, options and what is "advanced" (kept
 * as written, edited only in the JSON tab). Pure: documents in (see json.js), plain values out. */
import { Num, isMap } from "./json.js";
import { EditError, get } from "./document.js";
import { readCondition } from "./condition.js";

export const REF_PREFIX = "field:";

/** Where a container's fields live: its object schema and its uiSchema object. */
export function container(doc, where) {
  let schema = ["schema"];
  let ui = ["uiSchema"];
  for (const name of where) {
    let path = [...schema, "properties", name];
    if (get(doc, path) === undefined) {  // a group or rows a condition declares
      const found = conditionalFields(doc, { schema, properties: [...schema, "properties"] }).find((c) => c.name === name);
      if (found) { path = [...found.place, found.branch, "properties", name]; }
    }
    const prop = get(doc, path);
    const kind = kindOf(prop, undefined, {}).kind;
    if (kind === "group") { schema = path; ui = [...ui, name]; }
    else if (kind === "rows") { schema = [...path, "items"]; ui = [...ui, name, "items"]; }
    else { throw new EditError(JSON.stringify(name) + " holds no fields"); }
  }
  if (!isMap(get(doc, schema))) { throw new EditError("the schema is not an object"); }
  return { where, schema, ui, properties: [...schema, "properties"], required: [...schema, "required"] };
}

/** The objects of a container's schema that hold a condition (`if`): the schema itself, then
 * each `allOf` item, as paths. */
export function rulePlaces(doc, box) {
  const schema = get(doc, box.schema);
  if (!isMap(schema)) { return []; }
  const out = schema.has("if") ? [box.schema] : [];
  const all = schema.get("allOf");
  (Array.isArray(all) ? all : []).forEach((item, i) => {
    if (isMap(item) && item.has("if")) { out.push([...box.schema, "allOf", i]); }
  });
  return out;
}

/** Properties a condition declares (in `then` or `else`) that the container itself does not:
 * the form shows them only while their condition holds. [{name, place, branch}], first wins. */
export function conditionalFields(doc, box) {
  const props = get(doc, box.properties);
  const seen = new Set(isMap(props) ? props.keys() : []);
  const out = [];
  for (const place of rulePlaces(doc, box)) {
    for (const branch of ["then", "else"]) {
      const inner = get(doc, [...place, branch, "properties"]);
      for (const name of isMap(inner) ? inner.keys() : []) {
        if (!seen.has(name)) { seen.add(name); out.push({ name, place, branch }); }
      }
    }
  }
  return out;
}

/** The paths of one field: its schema, its uiSchema entry, its container's, and `owner`, the
 * object whose `required` list makes it required (the container, or the condition's branch
 * that declares it; `rule` is then that condition's place). */
export function fieldPaths(doc, field) {
  const box = container(doc, field.where);
  const props = get(doc, box.properties);
  const ui = [...box.ui, field.name];
  if (isMap(props) && props.has(field.name)) {
    return { box, schema: [...box.properties, field.name], ui, owner: box.schema, rule: null };
  }
  const found = conditionalFields(doc, box).find((c) => c.name === field.name);
  if (!found) { throw new EditError("there is no field " + JSON.stringify(field.name)); }
  const owner = [...found.place, found.branch];
  return { box, schema: [...owner, "properties", field.name], ui, owner, rule: found.place, branch: found.branch };
}

/** Property names of a container in the order the form shows them (ui:order, then the rest;
 * the properties only a condition declares come after the container's own, as in the form). */
export function displayOrder(doc, box) {
  const props = get(doc, box.properties);
  const keys = [...(isMap(props) ? props.keys() : []), ...conditionalFields(doc, box).map((c) => c.name)];
  const order = get(doc, [...box.ui, "ui:order"]);
  if (!Array.isArray(order)) { return keys; }
  const known = [];
  for (const name of order) {
    if ((name === "*" || keys.includes(name)) && !known.includes(name)) { known.push(name); }
  }
  const rest = keys.filter((k) => !known.includes(k));
  const star = known.indexOf("*");
  if (star < 0) { return [...known, ...rest]; }
  return [...known.slice(0, star), ...rest, ...known.slice(star + 1)];
}

function str(map, key) {
  const value = isMap(map) ? map.get(key) : undefined;
  return typeof value === "string" ? value : undefined;
}

function typeOf(schema) {
  const declared = schema.get("type");
  if (typeof declared === "string") { return declared; }
  if (declared !== undefined) { return "other"; }
  if (schema.has("properties")) { return "object"; }
  if (schema.has("items")) { return "array"; }
  if (["enum", "oneOf", "anyOf"].some((k) => schema.has(k))) { return "string"; }
  if (["minLength", "maxLength", "pattern", "format"].some((k) => schema.has(k))) { return "string"; }
  if (["minimum", "maximum"].some((k) => schema.has(k))) { return "number"; }
  return "other";
}

/** Where a choice's options are: `oneOf`/`anyOf` of {const, title}, or `enum` (+ ui:enumNames). */
export function optionsOf(schema) {
  if (!isMap(schema)) { return null; }
  if (Array.isArray(schema.get("enum")) && schema.get("enum").length) { return { style: "enum", key: "enum" }; }
  for (const key of ["oneOf", "anyOf"]) {
    const list = schema.get(key);
    if (Array.isArray(list) && list.length && list.every((o) => isMap(o) && o.has("const"))) {
      return { style: "const", key };
    }
  }
  return null;
}

function stringKind(schema, ui) {
  const format = str(schema, "format");
  const widget = str(ui, "ui:widget");
  if (format === "data-url" || schema.has("contentMediaType") || widget === "file") { return "file"; }
  const byFormat = { date: "date", "date-time": "datetime", email: "email", uri: "url" }[format];
  if (byFormat) { return byFormat; }
  if (widget === "textarea") { return "textarea"; }
  if (widget === "tel") { return "phone"; }
  return "text";
}

function arrayKind(schema) {
  const items = schema.get("items");
  if (!isMap(items)) { return "other"; }
  if (optionsOf(items) && schema.get("uniqueItems") === true) { return "multi"; }
  if (typeOf(items) === "object" && isMap(items.get("properties"))) { return "rows"; }
  return "other";
}

/** A field's kind; for a library field, also its key and the library schema it stands on. */
export function kindOf(schema, ui, library) {
  if (!isMap(schema)) { return { kind: "other", ref: null, base: new Map() }; }
  let base = schema;
  let ref = null;
  const target = schema.get("$ref");
  if (typeof target === "string") {
    if (!target.startsWith(REF_PREFIX)) { return { kind: "other", ref: null, base }; }
    ref = target.slice(REF_PREFIX.length);
    const entry = library[ref];
    base = new Map([...(entry && isMap(entry.schema) ? entry.schema : new Map()), ...schema]);
    base.delete("$ref");
    ui = new Map([...(entry && isMap(entry.ui) ? entry.ui : new Map()), ...(isMap(ui) ? ui : new Map())]);
  }
  const type = typeOf(base);
  let kind = "other";
  if (optionsOf(base) && ["string", "number", "integer"].includes(type)) { kind = "choice"; }
  else if (type === "string") { kind = stringKind(base, ui); }
  else if (type === "number" || type === "integer") { kind = type; }
  else if (type === "boolean") { kind = "yesno"; }
  else if (type === "object" && isMap(base.get("properties")) && !ref) { kind = "group"; }
  else if (type === "array") { kind = ref && arrayKind(base) === "rows" ? "other" : arrayKind(base); }
  return { kind, ref, base, ui };
}

const COMMON = ["type", "title", "description", "default", "readOnly", "$ref"];
const TEXTUAL = ["minLength", "maxLength", "pattern"];
const KNOWN_SCHEMA = {
  text: TEXTUAL, textarea: TEXTUAL, phone: TEXTUAL, email: [...TEXTUAL, "format"],
  url: [...TEXTUAL, "format"], date: ["format"], datetime: ["format"], file: ["format"],
  number: ["minimum", "maximum"], integer: ["minimum", "maximum"], yesno: [],
  choice: ["oneOf", "anyOf", "enum"], multi: ["items", "uniqueItems", "minItems", "maxItems"],
  group: ["properties", "required"], rows: ["items", "minItems", "maxItems"], other: [],
};
const KNOWN_UI = [
  "ui:title", "ui:help", "ui:placeholder", "ui:widget", "ui:readonly", "ui:errorMessages",
  "ui:enumNames",
];

/** The keywords of a field the builder keeps but does not edit ("advanced"). */
export function advancedOf(schema, ui, kind) {
  const known = new Set([...COMMON, ...KNOWN_SCHEMA[kind]]);
  const out = [];
  if (isMap(schema)) {
    for (const key of schema.keys()) { if (!known.has(key)) { out.push(key); } }
    const items = schema.get("items");
    if (kind === "multi" && isMap(items)) {
      for (const key of items.keys()) {
        if (!["type", "oneOf", "anyOf", "enum"].includes(key)) { out.push("items/" + key); }
      }
    }
    if (kind === "rows" && isMap(items)) {
      for (const key of items.keys()) {
        if (!["type", "properties", "required", "title"].includes(key)) { out.push("items/" + key); }
      }
    }
    const options = optionsOf(kind === "multi" ? items : schema);
    if (options && options.style === "const") {
      const list = (kind === "multi" ? items : schema).get(options.key);
      if (list.some((o) => Array.from(o.keys()).some((k) => k !== "const" && k !== "title"))) {
        out.push(options.key + " (option keywords)");
      }
    }
  }
  if (isMap(ui)) {
    for (const key of ui.keys()) {
      const child = kind === "group" || (kind === "rows" && key === "items");
      if (!child && key.startsWith("ui:") && !KNOWN_UI.includes(key)) { out.push(key); }
    }
    if (typeof ui.get("ui:errorMessages") === "string") { out.push("ui:errorMessages"); }
  }
  return out;
}

/** The options of a choice as [{value, label}] (labels from titles or ui:enumNames). */
export function readOptions(schema, ui) {
  const where = optionsOf(schema);
  if (!where) { return []; }
  if (where.style === "enum") {
    const names = isMap(ui) ? ui.get("ui:enumNames") : undefined;
    return schema.get("enum").map((value, i) => ({
      value, label: Array.isArray(names) && typeof names[i] === "string" ? names[i] : undefined,
    }));
  }
  return schema.get(where.key).map((o) => ({
    value: o.get("const"), label: typeof o.get("title") === "string" ? o.get("title") : undefined,
  }));
}

/** What the canvas and the panel show of one field. */
export function describe(doc, field, library) {
  const paths = fieldPaths(doc, field);
  const schema = get(doc, paths.schema);
  const ui = get(doc, paths.ui);
  const { kind, ref, base, ui: effectiveUi } = kindOf(schema, ui, library);
  const required = get(doc, [...paths.owner, "required"]);
  const own = isMap(schema) ? schema : new Map();
  const ownUi = isMap(ui) ? ui : new Map();
  const choiceSchema = kind === "multi" ? base.get("items") : base;
  return {
    field, paths, kind, ref,
    title: str(ownUi, "ui:title") ?? str(own, "title"),
    inheritedTitle: ref ? str(base, "title") : undefined,
    required: Array.isArray(required) && required.includes(field.name),
    schema: own, ui: ownUi, base, effectiveUi,
    options: ["choice", "multi"].includes(kind) ? readOptions(choiceSchema, effectiveUi) : [],
    optionsEditable: !ref && ["choice", "multi"].includes(kind),
    advanced: advancedOf(own, ownUi, kind),
    errorMessages: ownUi.get("ui:errorMessages"),
    rules: rulesOf(doc, paths.box).filter((r) => r.show.includes(field.name) || r.require.includes(field.name)),
  };
}

const BRANCH_KEYS = ["properties", "required"];

function plainBranch(then, own) {
  if (!isMap(then) || !Array.from(then.keys()).every((k) => BRANCH_KEYS.includes(k))) { return false; }
  const props = then.has("properties") ? then.get("properties") : new Map();
  const required = then.has("required") ? then.get("required") : [];
  return isMap(props) && Array.from(props.keys()).every((name) => !own.has(name))
    && Array.isArray(required) && required.every((name) => typeof name === "string");
}

/** A container's conditions: [{place, condition, editable, show, require}]. `show` are the
 * fields the condition declares (shown only while it holds), `require` the names it requires.
 * A condition is editable when the builder wrote its shape: a test over fields of the
 * container (condition.js), a `then` of properties and required only, no `else`. */
export function rulesOf(doc, box) {
  const props = get(doc, box.properties);
  const own = isMap(props) ? props : new Map();
  return rulePlaces(doc, box).map((place) => {
    const holder = get(doc, place);
    const top = place.length === box.schema.length;
    const then = holder.get("then");
    const condition = readCondition(holder.get("if"));
    const extra = top ? holder.has("else") : Array.from(holder.keys()).some((k) => k !== "if" && k !== "then");
    const plain = plainBranch(then, own);
    const declared = isMap(then) && isMap(then.get("properties")) ? Array.from(then.get("properties").keys()) : [];
    const needed = isMap(then) && Array.isArray(then.get("required")) ? then.get("required").filter((n) => typeof n === "string") : [];
    const tests = condition ? condition.tests : [];
    const editable = Boolean(condition && tests.length && plain && !extra && tests.every((t) => t.path.length === 1));
    return { place, condition, editable, show: declared.filter((n) => !own.has(n)), require: needed };
  });
}

const FORM_KEYS = ["type", "title", "description", "properties", "required"];

/** The form-level keywords the builder keeps but does not edit ($defs, conditions it did not
 * write, ...). */
export function formAdvanced(doc) {
  const schema = get(doc, ["schema"]);
  const ui = get(doc, ["uiSchema"]);
  const rules = isMap(schema) ? rulesOf(doc, container(doc, [])) : [];
  const understood = new Set(FORM_KEYS);
  if (rules.some((r) => r.place.length === 1 && r.editable)) { understood.add("if"); understood.add("then"); }
  const all = isMap(schema) ? schema.get("allOf") : undefined;
  if (Array.isArray(all) && all.length && rules.filter((r) => r.place.length > 1 && r.editable).length === all.length) {
    understood.add("allOf");
  }
  const out = isMap(schema) ? Array.from(schema.keys()).filter((k) => !understood.has(k)) : [];
  if (isMap(ui)) { out.push(...Array.from(ui.keys()).filter((k) => k.startsWith("ui:") && k !== "ui:order")); }
  return out;
}

/** The fields of a container, in display order, each described; groups and rows nest. */
export function listFields(doc, where, library) {
  const box = container(doc, where);
  return displayOrder(doc, box).map((name) => {
    const item = describe(doc, { where, name }, library);
    if (item.kind === "group" || item.kind === "rows") {
      item.children = listFields(doc, [...where, name], library);
    }
    return item;
  });
}

/** Every container of the form (the form itself first), as lists of property names. */
export function containers(doc, library, where = []) {
  const out = [where];
  for (const item of listFields(doc, where, library)) {
    if (item.children) { out.push(...containers(doc, library, [...where, item.field.name])); }
  }
  return out;
}

/** The text an input shows for a JSON value (strings as they are, numbers as written). */
export function asText(value) {
  if (value === undefined || value === null) { return ""; }
  if (value instanceof Num) { return value.text; }
  if (typeof value === "string") { return value; }
  return JSON.stringify(value);
}

/** The JSON pointer of a property name, as the server reports it (RFC 6901). */
export function pointerToken(name) {
  return String(name).replace(/~/g, "~0").replace(/\//g, "~1");
}

function unescapeToken(token) {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** The field a server error's JSON pointer is about (into the definition body), or null. */
export function fieldOfPointer(doc, pointer, library) {
  if (typeof pointer !== "string" || !pointer.startsWith("/")) { return null; }
  const tokens = pointer.split("/").slice(1).map(unescapeToken);
  if (tokens[0] === "uiSchema" && tokens.length > 1 && !tokens[1].startsWith("ui:")) {
    return exists(doc, { where: [], name: tokens[1] }) ? { where: [], name: tokens[1] } : null;
  }
  if (tokens[0] !== "schema") { return null; }
  let where = [];
  let schema = get(doc, ["schema"]);
  for (let i = 1; i < tokens.length;) {
    if (tokens[i] === "required" && /^[0-9]+$/.test(tokens[i + 1] || "")) {
      const list = isMap(schema) ? schema.get("required") : undefined;
      const name = Array.isArray(list) ? list[Number(tokens[i + 1])] : undefined;
      return typeof name === "string" && exists(doc, { where, name }) ? { where, name } : null;
    }
    if (tokens[i] === "allOf" && /^[0-9]+$/.test(tokens[i + 1] || "") && ["then", "else"].includes(tokens[i + 2])) {
      i += 2;  // a field a condition declares: /allOf/<n>/then/properties/<name>
      continue;
    }
    if ((tokens[i] === "then" || tokens[i] === "else") && tokens[i + 1] === "properties") {
      const field = { where, name: tokens[i + 2] };
      return tokens.length > i + 2 && exists(doc, field) ? field : null;
    }
    if (tokens[i] !== "properties" || tokens.length <= i + 1) { return null; }
    const field = { where, name: tokens[i + 1] };
    if (!exists(doc, field)) { return null; }
    const prop = schema.get("properties").get(field.name);
    const kind = kindOf(prop, undefined, library || {}).kind;
    if (kind === "group" && tokens[i + 2] === "properties" && tokens.length > i + 3) {
      where = [...where, field.name]; schema = prop; i += 2; continue;
    }
    if (kind === "rows" && tokens[i + 2] === "items" && tokens[i + 3] === "properties" && tokens.length > i + 4) {
      where = [...where, field.name]; schema = prop.get("items"); i += 3; continue;
    }
    return field;
  }
  return null;
}

function exists(doc, field) {
  try { fieldPaths(doc, field); return true; } catch (error) { return false; }
}
