// Runs the workflow builder's pure modules for tests/app/builder/test_workflow_builder_document.py.
// One JSON request per input line, one JSON answer per output line:
//   {"parts": {"states": text, "initial": text, ...}, "actions": [action, ...], "pointers": [...]}
// An action may name its item by position in a list that the test does not know the length of:
// "$list": "states" | "transitions" | "rules" | "policies" | "holidays" makes `index` that
// position modulo the list's length, and "$state": "<member>" replaces that member (a number)
// by the name of the state at that position. The answer gives every part's text as read and
// written back, after each action and after undoing them all; what the builder shows at the
// end; and the control each pointer (a server error's place) is about.
import { createInterface } from "node:readline";
import { EditError, History, get } from "../../../app/static/tessera/builder/document.js";
import { Num, isMap, serialize } from "../../../app/static/tessera/builder/json.js";
import { perform } from "../../../app/static/tessera/workflow_builder/actions.js";
import { durationOf, durationParts } from "../../../app/static/tessera/workflow_builder/sla.js";
import { partTexts, readParts } from "../../../app/static/tessera/workflow_builder/parts.js";
import {
  CALENDAR, POLICIES, RULES, controlOfPointer, readCalendar, readPolicies, readRules, readStates,
  readTransitions,
} from "../../../app/static/tessera/workflow_builder/model.js";

const LISTS = {
  states: ["states"], transitions: ["transitions"], rules: RULES, policies: POLICIES,
  holidays: [...CALENDAR, "holidays"],
};

function probes(value, out = []) {
  if (isMap(value)) {
    for (const [name, item] of value) {
      if (name === "x-probe") { out.push(serialize(item)); } else { probes(item, out); }
    }
  } else if (Array.isArray(value)) { value.forEach((item) => probes(item, out)); }
  return out.sort();
}

function resolve(doc, action) {
  const concrete = { ...action };
  if (action.$list) {
    const items = get(doc, LISTS[action.$list]);
    const count = Array.isArray(items) ? items.length : 0;
    concrete.index = count ? action.index % count : action.index;
    delete concrete.$list;
  }
  if (action.$state) {
    const names = readStates(doc).map((s) => s.name);
    concrete[action.$state] = names.length ? names[action[action.$state] % names.length] : "none";
    delete concrete.$state;
  }
  return concrete;
}

function asPlain(key, value) {
  if (value instanceof Map) { return Object.fromEntries(value); }
  if (value instanceof Num) { return Number(value.text); }
  return value === undefined ? null : value;
}
const plain = (value) => JSON.parse(JSON.stringify(value, asPlain));

function shown(doc) {
  return plain({
    states: readStates(doc), transitions: readTransitions(doc), rules: readRules(doc),
    policies: readPolicies(doc), calendar: readCalendar(doc),
  });
}

function durations(request) {
  const out = { of: [], parts: (request.durationParts || []).map(durationParts) };
  for (const [hours, minutes] of request.durationOf || []) {
    try { out.of.push(durationOf(hours, minutes) ?? null); } catch (error) { out.of.push({ refused: error.message }); }
  }
  return out;
}

function run(request) {
  if (request.durationOf || request.durationParts) { return durations(request); }
  const { doc, problem } = readParts(request.parts);
  if (problem) { return { unreadable: problem }; }
  const answer = { read: partTexts(doc), probesRead: probes(doc), steps: [] };
  const history = new History();
  for (const action of request.actions || []) {
    const before = JSON.stringify(partTexts(doc));
    const concrete = resolve(doc, action);
    const step = { action: concrete };
    try {
      const done = perform(doc, concrete);
      history.record(done.undo);
      step.result = done.result ?? null;
    } catch (error) {
      if (!(error instanceof EditError)) { throw error; }
      step.refused = error.message;
      step.unchanged = JSON.stringify(partTexts(doc)) === before;
    }
    step.parts = partTexts(doc);
    step.probes = probes(doc);
    answer.steps.push(step);
  }
  answer.shown = shown(doc);
  answer.controls = (request.pointers || []).map(controlOfPointer);
  while (history.undo(doc)) { /* back to the start, one step at a time */ }
  answer.restored = partTexts(doc);
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
