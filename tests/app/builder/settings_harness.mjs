// Runs the template builder's settings actions for tests/app/builder/test_builder_settings.py.
// One JSON request per input line, one JSON answer per output line:
//   {"parts": {"schema": text, "uiSchema": text, "settings": text},
//    "actions": [action, ...], "fields": [{name, title, text, filterable, reason?}] | null,
//    "palette": {departments, workflows, channels}}
// Each action runs through actions.js's `perform` as one step; the answer gives every part's
// text after it, after undoing that step alone and after redoing it; then the text after undoing
// every step, and what the controls show (`settingsView`) of the document as it ends.
// A request with "watch" runs `watchSettings` instead (see `watch` below).
import { createInterface } from "node:readline";
import { EditError, History } from "../../../app/static/tessera/builder/document.js";
import { perform } from "../../../app/static/tessera/builder/actions.js";
import { knownFields, settingsView, watchSettings } from "../../../app/static/tessera/builder/settings.js";
import { fromPlain, parse, serialize } from "../../../app/static/tessera/builder/json.js";

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

function run(request) {
  const names = Object.keys(request.parts);
  const doc = read(request.parts);
  const history = new History();
  const answer = { read: write(doc, names), steps: [] };
  for (const action of request.actions || []) {
    const before = write(doc, names);
    const step = {};
    try {
      const done = perform(doc, action, {});
      history.record(done.undo);
      step.parts = write(doc, names);
      step.changed = JSON.stringify(step.parts) !== JSON.stringify(before);
      if (step.changed) {
        history.undo(doc);
        step.undone = write(doc, names);
        history.redo(doc);
        step.redone = write(doc, names);
      }
    } catch (error) {
      if (!(error instanceof EditError)) { throw error; }
      step.refused = error.message;
      step.parts = write(doc, names);
      step.unchanged = JSON.stringify(step.parts) === JSON.stringify(before);
    }
    answer.steps.push(step);
  }
  answer.view = settingsView(doc, request.fields === undefined ? null : request.fields, fromPlain(request.palette || {}));
  while (history.undo(doc)) { /* back to the start, one step at a time */ }
  answer.restored = write(doc, names);
  return answer;
}

// {"watch": [[schema text, uiSchema text, wait ms], ...]}: `watchSettings` on a page stub whose
// fetch answers each request after the delay its schema text asks for ({"delay": ms}), with
// that text's "x-answer" as the fields. Answers the requests made (body, CSRF header) in
// order, what the controls know at the end (`knownFields`) and how many redraws there were.
const sleep = (ms) => new Promise((done) => { setTimeout(done, ms); });

async function watch(request) {
  const block = { textContent: "{}", dataset: { fieldsUrl: "/definitions/builder/fields" } };
  globalThis.document = { getElementById: (id) => (id === "builder-settings-strings" ? block : null) };
  const asked = [];
  globalThis.fetch = async (url, options) => {
    const body = JSON.parse(options.body);
    asked.push({ url, body: options.body, csrf: options.headers["X-CSRFToken"], method: options.method });
    await sleep(body.schema.delay || 0);
    const text = JSON.stringify({ fields: body.schema["x-answer"] || [] });
    return new Response(text, { status: 200, headers: { "Content-Type": "application/json" } });
  };
  const state = { problem: "", written: {}, csrf: "token-1", doc: new Map(), palette: new Map() };
  let redraws = 0;
  for (const [schema, ui, wait] of request.watch) {
    state.written = { schema, uiSchema: ui };
    watchSettings(state, () => { redraws += 1; });
    await sleep(wait);
  }
  await sleep(request.settle || 0);
  return { asked, redraws, ...knownFields(state) };
}

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = request.watch ? await watch(request) : run(request);
  } catch (error) {
    answer = { crash: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
