// Runs the template builder's pure modules for tests/app/builder/test_builder_document.py.
// One JSON request per input line, one JSON answer per output line:
//   {"parts": {"schema": text, "uiSchema": text, ...}, "library": {key: {schema, ui}},
//    "actions": [action, ...], "pointers": [JSON pointer, ...]}
// An action names its field by `pick` (an index into every field of the form, groups and rows
// included, in display order) and its container by `box` (an index into the containers), so a
// test can generate actions without knowing the document. The answer gives each part's text
// as read and written back, after every action, and after undoing them all; and the field each
// pointer (a server error's place) is about, in the document as it ends.
import { createInterface } from "node:readline";
import { History } from "../../../app/static/tessera/builder/document.js";
import { EditError } from "../../../app/static/tessera/builder/document.js";
import { perform } from "../../../app/static/tessera/builder/actions.js";
import {
  container, containers, displayOrder, fieldOfPointer, formAdvanced, listFields, rulesOf,
} from "../../../app/static/tessera/builder/fields.js";
import { ParseError, fromPlain, isMap, parse, serialize } from "../../../app/static/tessera/builder/json.js";

function read(parts) {
  const doc = new Map();
  for (const [name, text] of Object.entries(parts)) {
    if (text.trim()) { doc.set(name, parse(text)); }
  }
  return doc;
}

function write(doc, names) {
  const out = {};
  for (const name of names) { out[name] = doc.has(name) ? serialize(doc.get(name)) : ""; }
  return out;
}

function flatten(items, out = []) {
  for (const item of items) {
    out.push(item);
    if (item.children) { flatten(item.children, out); }
  }
  return out;
}

function probes(value, out = []) {
  if (isMap(value)) {
    for (const [name, item] of value) {
      if (name === "x-probe" || name === "ui:x-probe") { out.push(serialize(item)); } else { probes(item, out); }
    }
  } else if (Array.isArray(value)) { value.forEach((item) => probes(item, out)); }
  return out.sort();
}

function resolve(doc, action, library) {
  const fields = flatten(listFields(doc, [], library));
  const boxes = containers(doc, library);
  const concrete = { ...action };
  if ("pick" in action) {
    if (!fields.length) { return null; }
    const item = fields[action.pick % fields.length];
    concrete.field = item.field;
    concrete.kind = item.kind;
    delete concrete.pick;
  }
  if ("box" in action) { concrete.where = boxes[action.box % boxes.length]; delete concrete.box; }
  if ("toBox" in action) { concrete.to = boxes[action.toBox % boxes.length]; delete concrete.toBox; }
  const where = concrete.field ? concrete.field.where : [];
  if (action.test && "pick" in action.test) {  // a test of a field of the same container, by index
    const names = displayOrder(doc, container(doc, where));
    if (!names.length) { return null; }
    concrete.test = { ...action.test, path: [names[action.test.pick % names.length]], value: fromPlain(action.test.value) };
    delete concrete.test.pick;
  } else if (action.test) { concrete.test = { ...action.test, value: fromPlain(action.test.value) }; }
  if ("rule" in action) {  // a condition of the field's container, by index
    const rules = rulesOf(doc, container(doc, where));
    if (!rules.length) { return null; }
    concrete.place = rules[action.rule % rules.length].place;
    concrete.where = where;
    delete concrete.rule;
  }
  return concrete;
}

function plainTest(test) {
  return new Map([["path", test.path], ["op", test.op], ["value", test.value === undefined ? null : test.value]]);
}

/** The form's fields, conditions and advanced keywords after the last action (before undo). */
function describeEnd(doc, library) {
  const box = container(doc, []);
  const rules = rulesOf(doc, box).map((rule) => ({
    place: rule.place, editable: rule.editable, show: rule.show, require: rule.require,
    condition: rule.condition
      && JSON.parse(serialize(new Map([["match", rule.condition.match], ["tests", rule.condition.tests.map(plainTest)]]))),
  }));
  const fields = flatten(listFields(doc, [], library)).map((item) => item.field.name);
  return { rules, fields, formAdvanced: formAdvanced(doc) };
}

function run(request) {
  const names = Object.keys(request.parts);
  let doc;
  try {
    doc = read(request.parts);
  } catch (error) {
    if (error instanceof ParseError) { return { unreadable: error.message }; }
    throw error;
  }
  const library = {};
  for (const [key, entry] of Object.entries(request.library || {})) {
    library[key] = { schema: fromPlain(entry.schema), ui: fromPlain(entry.ui || {}) };
  }
  const answer = { read: write(doc, names), probesRead: probes(doc), steps: [] };
  const history = new History();
  for (const action of request.actions || []) {
    const before = write(doc, names);
    const concrete = resolve(doc, action, library);
    const step = { action: concrete };
    if (concrete) {
      try {
        const done = perform(doc, concrete, { library });
        history.record(done.undo);
        step.result = done.result ?? null;
      } catch (error) {
        if (!(error instanceof EditError)) { throw error; }
        step.refused = error.message;
        step.unchanged = JSON.stringify(write(doc, names)) === JSON.stringify(before);
      }
    }
    step.parts = write(doc, names);
    step.probes = probes(doc);
    answer.steps.push(step);
  }
  answer.final = describeEnd(doc, library);
  while (history.undo(doc)) { /* back to the start, one step at a time */ }
  answer.restored = write(doc, names);
  answer.fields = flatten(listFields(doc, [], library)).map((item) => ({
    where: item.field.where, name: item.field.name, kind: item.kind, advanced: item.advanced,
  }));
  answer.probes = probes(doc);
  answer.pointers = (request.pointers || []).map((pointer) => fieldOfPointer(doc, pointer, library));
  return answer;
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let answer;
  try {
    answer = run(JSON.parse(line));
  } catch (error) {
    answer = { crash: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
