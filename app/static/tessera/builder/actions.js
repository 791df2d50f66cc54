/* What the builder does to a template, one small edit at a time (document.js), each action a
 * function of (transaction, arguments, context) gathered in ACTIONS. `perform` runs one as a
 * single undoable step; an action that cannot apply changes nothing and throws EditError. */
import { Num, fromPlain, isMap } from "./json.js";
import { EditError, change, get } from "./document.js";
import {
  REF_PREFIX, conditionalFields, container, describe, displayOrder, fieldPaths, optionsOf, pointerToken, rulesOf,
} from "./fields.js";
import { SETTINGS_ACTIONS } from "./settings.js";
import { CONDITION_ACTIONS, forgetInRules, renameInRules, testing } from "./conditions.js";

const OPTION = (value, title) => ({ const: value, title });

/** The basic types of the palette: a new field's schema and uiSchema entry. */
export const BASIC_TYPES = {
  text: { schema: { type: "string" } },
  textarea: { schema: { type: "string" }, ui: { "ui:widget": "textarea" } },
  number: { schema: { type: "number" } },
  integer: { schema: { type: "integer" } },
  date: { schema: { type: "string", format: "date" } },
  datetime: { schema: { type: "string", format: "date-time" } },
  email: { schema: { type: "string", format: "email" } },
  phone: { schema: { type: "string", pattern: "^\\+?[0-9 -]{6,20}$" }, ui: { "ui:widget": "tel" } },
  url: { schema: { type: "string", format: "uri" } },
  choice: { schema: { type: "string", oneOf: [OPTION("option_1", "Option 1"), OPTION("option_2", "Option 2")] } },
  multi: {
    schema: {
      type: "array", uniqueItems: true,
      items: { type: "string", oneOf: [OPTION("option_1", "Option 1"), OPTION("option_2", "Option 2")] },
    },
    ui: { "ui:widget": "checkboxes" },
  },
  yesno: { schema: { type: "boolean" } },
  file: { schema: { type: "string", format: "data-url" } },
  group: { schema: { type: "object", properties: {} } },
  rows: { schema: { type: "array", items: { type: "object", properties: {} } } },
};

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const COUNT = /^(?:0|[1-9][0-9]*)$/;
const LIMITS = {
  minimum: NUMBER, maximum: NUMBER, minLength: COUNT, maxLength: COUNT, minItems: COUNT, maxItems: COUNT,
};

function freeName(taken, wanted) {
  if (!taken.has(wanted)) { return wanted; }
  let n = 2;
  while (taken.has(wanted + "_" + n)) { n += 1; }
  return wanted + "_" + n;
}

function number(text, integer) {
  const trimmed = String(text).trim();
  if (!NUMBER.test(trimmed) || (integer && !/^-?[0-9]+$/.test(trimmed))) {
    throw new EditError((integer ? "not a whole number: " : "not a number: ") + JSON.stringify(text));
  }
  return new Num(trimmed);
}

/** Add a property to a container, at the end of the form's order. */
function addProperty(tx, where, name, schema, ui) {
  const box = container(tx.doc, where);
  tx.ensure(box.properties);
  const before = displayOrder(tx.doc, box);
  if (!name || before.includes(name)) { throw new EditError("the name " + JSON.stringify(name) + " is taken"); }
  tx.put(box.properties, name, schema);
  const order = get(tx.doc, [...box.ui, "ui:order"]);
  if (Array.isArray(order) && !order.includes("*")) { tx.splice([...box.ui, "ui:order"], order.length, 0, [name]); }
  if (order === undefined && displayOrder(tx.doc, box).at(-1) !== name) {  // fields a condition declares come last
    tx.ensure(box.ui);
    tx.put(box.ui, "ui:order", [...before, name]);
  }
  if (ui && ui.size) { tx.ensure(box.ui); tx.put(box.ui, name, ui); }
  return name;
}

/** Remove `name` from the list at `path` (every time it is there); drop a list left empty. */
function withdraw(tx, parent, key, name) {
  const list = get(tx.doc, [...parent, key]);
  if (!Array.isArray(list)) { return; }
  for (let i = list.length - 1; i >= 0; i -= 1) {
    if (list[i] === name) { tx.splice([...parent, key], i, 1); }
  }
  if (list.length === 0) { tx.remove(parent, key); }
}

function replaceIn(tx, path, from, to) {
  const list = get(tx.doc, path);
  if (!Array.isArray(list)) { return; }
  list.forEach((item, i) => { if (item === from) { tx.splice(path, i, 1, [to]); } });
}

/** Remove `key` of the uiSchema entry; drop the entry when nothing is left in it. */
function clearUi(tx, uiPath, key) {
  tx.remove(uiPath, key);
  const entry = get(tx.doc, uiPath);
  if (isMap(entry) && entry.size === 0) { tx.remove(uiPath.slice(0, -1), uiPath[uiPath.length - 1]); }
}

function setUi(tx, uiPath, key, value) {
  if (value === undefined) { clearUi(tx, uiPath, key); } else { tx.set(uiPath, key, value); }
}

const blank = (text) => (text === undefined || text === null || String(text) === "" ? undefined : String(text));

/** Move a field to display position `index` of its container (ui:order when there is one). */
function moveTo(tx, field, index) {
  const box = container(tx.doc, field.where);
  const shown = displayOrder(tx.doc, box);
  const from = shown.indexOf(field.name);
  if (from < 0) { throw new EditError("there is no field " + JSON.stringify(field.name)); }
  const to = Math.max(0, Math.min(index, shown.length - 1));
  if (to === from) { return; }
  const orderPath = [...box.ui, "ui:order"];
  let order = get(tx.doc, orderPath);
  if (!Array.isArray(order) && !conditionalFields(tx.doc, box).length) { tx.move(box.properties, field.name, to); return; }
  if (!Array.isArray(order)) {  // a condition declares some of the fields: only ui:order can place them
    tx.ensure(box.ui);
    tx.put(box.ui, "ui:order", []);
    order = get(tx.doc, orderPath);
  }
  const target = shown[to];
  if (!order.includes(field.name) || !order.includes(target)) {
    const star = order.indexOf("*");
    const covered = shown.filter((name) => !order.includes(name));
    if (star < 0) { tx.splice(orderPath, order.length, 0, covered); }
    else { tx.splice(orderPath, star, 1, [...covered, "*"]); }
    order = get(tx.doc, orderPath);
  }
  tx.splice(orderPath, order.indexOf(field.name), 1);
  const at = order.indexOf(target);
  tx.splice(orderPath, to > from ? at + 1 : at, 0, [field.name]);
}

/** A settings pointer (or plain name) with field `name` renamed `to`; undefined when it is not
 * about that field. "/name" and "/name/inside" both are. */
function renamedPointer(spelled, name, to) {
  if (spelled === name) { return to; }
  const token = "/" + pointerToken(name);
  if (typeof spelled !== "string" || !(spelled === token || spelled.startsWith(token + "/"))) { return undefined; }
  return "/" + pointerToken(to) + spelled.slice(token.length);
}

function renameInSettings(tx, name, to) {
  const settings = ["settings"];
  if (!isMap(get(tx.doc, settings))) { return; }
  const subject = renamedPointer(get(tx.doc, [...settings, "subject"]), name, to);
  if (subject !== undefined) { tx.put(settings, "subject", subject); }
  const columns = get(tx.doc, [...settings, "list_columns"]);
  (Array.isArray(columns) ? columns : []).forEach((column, i) => {
    const renamed = renamedPointer(column, name, to);
    if (renamed !== undefined) { tx.splice([...settings, "list_columns"], i, 1, [renamed]); }
  });
  replaceIn(tx, [...settings, "filters"], name, to);
}

/** Forget a field that left the top of the form in the subject, list columns and filters (an
 * emptied column list goes; an emptied filter list stays `[]`: no filters, not all of them). */
function forgetInSettings(tx, name) {
  const settings = ["settings"];
  if (!isMap(get(tx.doc, settings))) { return; }
  const about = (spelled) => renamedPointer(spelled, name, name) !== undefined;
  if (about(get(tx.doc, [...settings, "subject"]))) { tx.remove(settings, "subject"); }
  const columns = get(tx.doc, [...settings, "list_columns"]);
  if (Array.isArray(columns) && columns.some(about)) {
    for (let i = columns.length - 1; i >= 0; i -= 1) { if (about(columns[i])) { tx.splice([...settings, "list_columns"], i, 1); } }
    if (columns.length === 0) { tx.remove(settings, "list_columns"); }
  }
  const filters = get(tx.doc, [...settings, "filters"]);
  if (Array.isArray(filters)) {
    for (let i = filters.length - 1; i >= 0; i -= 1) { if (filters[i] === name) { tx.splice([...settings, "filters"], i, 1); } }
  }
}

/** Where a field's option list is ({schema path, ui path, style, key}), or EditError. */
function optionPlace(tx, field, context) {
  const item = describe(tx.doc, field, context.library || {});
  if (!item.optionsEditable) { throw new EditError("the options of this field are edited in the JSON tab"); }
  const schema = item.kind === "multi" ? [...item.paths.schema, "items"] : item.paths.schema;
  const place = optionsOf(get(tx.doc, schema));
  const typed = get(tx.doc, [...schema, "type"]);
  return { ...place, schema, ui: item.paths.ui, list: [...schema, place.key], item,
    numeric: typed === "number" || typed === "integer", integer: typed === "integer" };
}

function optionValue(place, text) {
  return place.numeric ? number(text, place.integer) : String(text);
}

function enumNames(tx, place) {
  const names = get(tx.doc, [...place.ui, "ui:enumNames"]);
  return Array.isArray(names) ? names : null;
}

export const ACTIONS = {
  addField(tx, { where, type, name, title }) {
    const spec = BASIC_TYPES[type];
    if (!spec) { throw new EditError("unknown type " + type); }
    const taken = new Set(displayOrder(tx.doc, container(tx.doc, where)));
    const entries = Array.from(fromPlain(spec.schema));
    const schema = new Map(title ? [entries[0], ["title", title], ...entries.slice(1)] : entries);
    const wanted = name || freeName(taken, type);
    return addProperty(tx, where, wanted, schema, fromPlain(spec.ui || {}));
  },
  addLibraryField(tx, { where, key, name }) {
    if (where.length) { throw new EditError("library fields can only be used at the top of the form"); }
    const wanted = name || freeName(new Set(displayOrder(tx.doc, container(tx.doc, where))), key);
    return addProperty(tx, where, wanted, new Map([["$ref", REF_PREFIX + key]]));
  },
  move(tx, { field, index }) { moveTo(tx, field, index); },
  /** Move a field into another container (the form, a group, rows), at its end. */
  moveInto(tx, { field, to }) {
    const paths = fieldPaths(tx.doc, field);
    const name = field.name;
    if (JSON.stringify(to) === JSON.stringify(field.where)) { return name; }
    if (JSON.stringify(to.slice(0, field.where.length + 1)) === JSON.stringify([...field.where, name])) {
      throw new EditError("a group cannot go inside itself");
    }
    if (paths.rule || rulesOf(tx.doc, paths.box).some((r) => r.require.includes(name)) || testing(tx.doc, paths.box, name).length) {
      throw new EditError("a condition uses this field: remove the condition first");
    }
    const schema = get(tx.doc, paths.schema);
    if (to.length && isMap(schema) && schema.has("$ref")) {
      throw new EditError("library fields can only be used at the top of the form");
    }
    const list = get(tx.doc, paths.box.required);
    const required = Array.isArray(list) && list.includes(name);
    const ui = get(tx.doc, paths.ui);
    tx.remove(paths.box.properties, name);
    withdraw(tx, paths.box.schema, "required", name);
    tx.remove(paths.box.ui, name);
    withdraw(tx, paths.box.ui, "ui:order", name);
    addProperty(tx, to, name, schema, isMap(ui) ? ui : undefined);
    if (!field.where.length) { forgetInSettings(tx, name); }
    if (required) { ACTIONS.setRequired(tx, { field: { where: to, name }, value: true }); }
    return name;
  },
  moveBy(tx, { field, by }) {
    const shown = displayOrder(tx.doc, container(tx.doc, field.where));
    moveTo(tx, field, shown.indexOf(field.name) + by);
  },
  delete(tx, { field }) {
    const paths = fieldPaths(tx.doc, field);
    if (paths.rule) { forgetInRules(tx, paths.box, field.name); }  // its schema goes with its condition
    else {
      tx.remove(paths.box.properties, field.name);
      withdraw(tx, paths.box.schema, "required", field.name);
      forgetInRules(tx, paths.box, field.name);
    }
    tx.remove(paths.box.ui, field.name);
    withdraw(tx, paths.box.ui, "ui:order", field.name);
    if (!field.where.length) { forgetInSettings(tx, field.name); }
  },
  rename(tx, { field, to }) {
    const paths = fieldPaths(tx.doc, field);
    if (!to) { throw new EditError("a field needs a name"); }
    if (to === field.name) { return; }
    if (displayOrder(tx.doc, paths.box).includes(to)) { throw new EditError("the name " + JSON.stringify(to) + " is taken"); }
    tx.rename(paths.schema.slice(0, -1), field.name, to);
    replaceIn(tx, [...paths.owner, "required"], field.name, to);
    renameInRules(tx, paths.box, field.name, to);
    if (isMap(get(tx.doc, paths.box.ui)) && get(tx.doc, paths.box.ui).has(field.name)) {
      tx.rename(paths.box.ui, field.name, to);
    }
    replaceIn(tx, [...paths.box.ui, "ui:order"], field.name, to);
    if (!field.where.length) { renameInSettings(tx, field.name, to); }
  },
  setLabel(tx, { field, value }, context) {
    const item = describe(tx.doc, field, context.library || {});
    if (item.ui.has("ui:title")) { setUi(tx, item.paths.ui, "ui:title", blank(value)); }
    else { tx.set(item.paths.schema, "title", blank(value)); }
  },
  setDescription(tx, { field, value }) { tx.set(fieldPaths(tx.doc, field).schema, "description", blank(value)); },
  setHelp(tx, { field, value }) { setUi(tx, fieldPaths(tx.doc, field).ui, "ui:help", blank(value)); },
  setPlaceholder(tx, { field, value }) { setUi(tx, fieldPaths(tx.doc, field).ui, "ui:placeholder", blank(value)); },
  setRequired(tx, { field, value }) {
    const owner = fieldPaths(tx.doc, field).owner;  // the form, a group, or the condition showing it
    const list = get(tx.doc, [...owner, "required"]);
    const has = Array.isArray(list) && list.includes(field.name);
    if (value && !has) {
      if (list === undefined) { tx.put(owner, "required", [field.name]); }
      else if (Array.isArray(list)) { tx.splice([...owner, "required"], list.length, 0, [field.name]); }
      else { throw new EditError("required is not a list; edit it in the JSON tab"); }
    } else if (!value && has) { withdraw(tx, owner, "required", field.name); }
  },
  setDefault(tx, { field, value }, context) {
    const item = describe(tx.doc, field, context.library || {});
    const text = blank(value);
    let parsed;
    if (text === undefined) { parsed = undefined; }
    else if (item.kind === "number" || item.kind === "integer") { parsed = number(text, item.kind === "integer"); }
    else if (item.kind === "yesno") { parsed = text === "true"; }
    else if (item.kind === "choice") {
      const found = item.options.find((o) => String(o.value instanceof Num ? o.value.text : o.value) === text);
      if (!found) { throw new EditError("not one of the options: " + JSON.stringify(text)); }
      parsed = found.value;
    } else if (["multi", "group", "rows", "other"].includes(item.kind)) {
      throw new EditError("this default is edited in the JSON tab");
    } else { parsed = text; }
    tx.set(item.paths.schema, "default", parsed);
  },
  setLimit(tx, { field, keyword, value }) {
    if (!LIMITS[keyword]) { throw new EditError("not a limit: " + keyword); }
    const text = blank(value);
    if (text !== undefined && !LIMITS[keyword].test(text.trim())) {
      throw new EditError(keyword + ": not a " + (LIMITS[keyword] === COUNT ? "count" : "number"));
    }
    tx.set(fieldPaths(tx.doc, field).schema, keyword, text === undefined ? undefined : new Num(text.trim()));
  },
  setPattern(tx, { field, value }) { tx.set(fieldPaths(tx.doc, field).schema, "pattern", blank(value)); },
  setMessage(tx, { field, keyword, value }) {
    const ui = fieldPaths(tx.doc, field).ui;
    const path = [...ui, "ui:errorMessages"];
    if (get(tx.doc, path) !== undefined && !isMap(get(tx.doc, path))) {
      throw new EditError("ui:errorMessages is one message for every check; edit it in the JSON tab");
    }
    if (blank(value) === undefined) {
      tx.remove(path, keyword);
      if (isMap(get(tx.doc, path)) && get(tx.doc, path).size === 0) { clearUi(tx, ui, "ui:errorMessages"); }
    } else { tx.set(path, keyword, String(value)); }
  },
  setWidget(tx, { field, value }) { setUi(tx, fieldPaths(tx.doc, field).ui, "ui:widget", blank(value)); },
  setReadOnly(tx, { field, value }) {
    const paths = fieldPaths(tx.doc, field);
    if (value) { tx.set(paths.ui, "ui:readonly", true); return; }
    clearUi(tx, paths.ui, "ui:readonly");
    tx.remove(paths.schema, "readOnly");
  },
  setHidden(tx, { field, value }) {
    const ui = fieldPaths(tx.doc, field).ui;
    if (value) { tx.set(ui, "ui:widget", "hidden"); }
    else if (get(tx.doc, [...ui, "ui:widget"]) === "hidden") { clearUi(tx, ui, "ui:widget"); }
  },
  addOption(tx, { field, value, label }, context) {
    const place = optionPlace(tx, field, context);
    const list = get(tx.doc, place.list);
    const parsed = optionValue(place, value);
    if (place.style === "enum") {
      const names = enumNames(tx, place);
      tx.splice(place.list, list.length, 0, [parsed]);
      if (names) { tx.splice([...place.ui, "ui:enumNames"], names.length, 0, [label || String(value)]); }
    } else {
      tx.splice(place.list, list.length, 0, [new Map([["const", parsed], ["title", label || String(value)]])]);
    }
  },
  setOptionValue(tx, { field, index, value }, context) {
    const place = optionPlace(tx, field, context);
    const parsed = optionValue(place, value);
    if (place.style === "enum") { tx.splice(place.list, index, 1, [parsed]); }
    else { tx.set([...place.list, index], "const", parsed); }
  },
  setOptionLabel(tx, { field, index, value }, context) {
    const place = optionPlace(tx, field, context);
    if (place.style !== "enum") { tx.set([...place.list, index], "title", blank(value)); return; }
    const list = get(tx.doc, place.list);
    const names = enumNames(tx, place);
    if (!names) {
      tx.set(place.ui, "ui:enumNames", list.map((v, i) => (i === index ? String(value) : (v instanceof Num ? v.text : String(v)))));
    } else if (index < names.length) { tx.splice([...place.ui, "ui:enumNames"], index, 1, [String(value)]); }
    else { throw new EditError("ui:enumNames is shorter than the options; edit it in the JSON tab"); }
  },
  removeOption(tx, { field, index }, context) {
    const place = optionPlace(tx, field, context);
    if (get(tx.doc, place.list).length < 2) { throw new EditError("a choice needs at least one option"); }
    tx.splice(place.list, index, 1);
    const names = place.style === "enum" ? enumNames(tx, place) : null;
    if (names && index < names.length) { tx.splice([...place.ui, "ui:enumNames"], index, 1); }
  },
  moveOption(tx, { field, index, by }, context) {
    const place = optionPlace(tx, field, context);
    const list = get(tx.doc, place.list);
    const to = index + by;
    if (to < 0 || to >= list.length) { return; }
    const item = list[index];
    tx.splice(place.list, index, 1);
    tx.splice(place.list, to, 0, [item]);
    const names = place.style === "enum" ? enumNames(tx, place) : null;
    if (names && index < names.length && to < names.length) {
      const name = names[index];
      tx.splice([...place.ui, "ui:enumNames"], index, 1);
      tx.splice([...place.ui, "ui:enumNames"], to, 0, [name]);
    }
  },
};

Object.assign(ACTIONS, CONDITION_ACTIONS, SETTINGS_ACTIONS);

/** Run one action as one step; returns {undo, result}. The context holds the library. */
export function perform(doc, action, context = {}) {
  const run = ACTIONS[action.do];
  if (!run) { throw new EditError("unknown action " + action.do); }
  let result;
  const undo = change(doc, (tx) => { result = run(tx, action, context); });
  return { undo, result };
}
