/* Template settings as controls: subject, list columns, filters, default department, workflow
 * and channels (docs/definitions.md, "settings"). The actions edit the `settings` part one
 * member or list slot at a time, like the field actions (actions.js merges SETTINGS_ACTIONS into
 * its ACTIONS), and write what the demo templates write: pointers ("/summary") for the subject
 * and the list columns, names for the filters. Which top-level fields exist, which are text and
 * which a list can filter on is the server's answer (POST /definitions/builder/fields), asked
 * again whenever the schema or uiSchema text changes. */
import { isMap } from "./json.js";
import { EditError, get } from "./document.js";
import { pointerToken } from "./fields.js";
import { renderSettingsPanel } from "./settings_render.js";

const SETTINGS = ["settings"];
const DELAY = 300; // ms of quiet before the server is asked about a changed form

// -- reading settings ------------------------------------------------------------------------

/** The top-level field a subject or list-column entry names ("/a", "/a/b" or "a"), or null. */
export function namedField(entry) {
  if (typeof entry !== "string" || !entry) { return null; }
  const first = (entry.startsWith("/") ? entry.slice(1) : entry).split("/")[0];
  return first.replace(/~1/g, "/").replace(/~0/g, "~") || null;
}

/** Whether an entry names exactly the top-level field `name` (not something inside it). */
export function names(entry, name) {
  return typeof entry === "string" && (entry === name || entry === "/" + pointerToken(name));
}

const pointerOf = (name) => "/" + pointerToken(name);

function settingsOf(tx) {
  const settings = get(tx.doc, SETTINGS);
  if (settings !== undefined && !isMap(settings)) {
    throw new EditError("settings is not an object; edit it in the JSON tab");
  }
  return settings;
}

function listOf(tx, key) {
  settingsOf(tx);
  const list = get(tx.doc, [...SETTINGS, key]);
  if (list !== undefined && !Array.isArray(list)) {
    throw new EditError("settings." + key + " is not a list; edit it in the JSON tab");
  }
  return list;
}

function append(tx, key, list, value) {
  if (list === undefined) { tx.set(SETTINGS, key, [value]); } else { tx.splice([...SETTINGS, key], list.length, 0, [value]); }
}

function withdraw(tx, key, list, value) {
  for (let i = list.length - 1; i >= 0; i -= 1) {
    if (list[i] === value) { tx.splice([...SETTINGS, key], i, 1); }
  }
}

function setMember(tx, key, value) {
  settingsOf(tx);
  tx.set(SETTINGS, key, value ? String(value) : undefined);
}

// -- actions ---------------------------------------------------------------------------------

export const SETTINGS_ACTIONS = {
  /** The subject from field `name` ("" for none); the same field again keeps its spelling. */
  setSubject(tx, { name }) {
    settingsOf(tx);
    if (name && names(get(tx.doc, [...SETTINGS, "subject"]), name)) { return; }
    tx.set(SETTINGS, "subject", name ? pointerOf(name) : undefined);
  },
  addColumn(tx, { name }) {
    if (!name) { throw new EditError("choose a field to add as a column"); }
    const list = listOf(tx, "list_columns");
    if (list && list.some((entry) => names(entry, name))) {
      throw new EditError(JSON.stringify(name) + " is a column already");
    }
    append(tx, "list_columns", list, pointerOf(name));
  },
  /** Remove entry `index`; a list left empty goes. */
  removeColumn(tx, { index }) {
    const list = listOf(tx, "list_columns");
    if (!list || !(index >= 0 && index < list.length)) { throw new EditError("there is no column " + index); }
    tx.splice([...SETTINGS, "list_columns"], index, 1);
    if (list.length === 0) { tx.remove(SETTINGS, "list_columns"); }
  },
  moveColumn(tx, { index, by }) {
    const list = listOf(tx, "list_columns");
    if (!list || !(index >= 0 && index < list.length)) { throw new EditError("there is no column " + index); }
    const to = index + by;
    if (to < 0 || to >= list.length || to === index) { return; }
    const entry = list[index];
    tx.splice([...SETTINGS, "list_columns"], index, 1);
    tx.splice([...SETTINGS, "list_columns"], to, 0, [entry]);
  },
  /** Offer field `name` as a filter (last), or not. An emptied list stays: [] offers none. */
  setFilter(tx, { name, on }) {
    const list = listOf(tx, "filters");
    const has = Boolean(list && list.includes(name));
    if (on && !has) { append(tx, "filters", list, name); }
    if (!on && has) { withdraw(tx, "filters", list, name); }
  },
  /** No `filters`: the list offers every filterable field. */
  useEveryFilter(tx) {
    settingsOf(tx);
    tx.remove(SETTINGS, "filters");
  },
  setDepartment(tx, { key }) { setMember(tx, "default_department", key); },
  setWorkflow(tx, { key }) { setMember(tx, "workflow", key); },
  /** Allow channel `name` (placed as in `order`, the palette's channels), or not; none: no list. */
  setChannel(tx, { name, on, order = [] }) {
    const list = listOf(tx, "channels");
    const has = Boolean(list && list.includes(name));
    if (on && !has) {
      const rank = (channel) => (order.includes(channel) ? order.indexOf(channel) : order.length);
      const at = list ? list.findIndex((channel) => rank(channel) > rank(name)) : -1;
      if (at < 0) { append(tx, "channels", list, name); } else { tx.splice([...SETTINGS, "channels"], at, 0, [name]); }
    }
    if (!on && has) {
      withdraw(tx, "channels", list, name);
      if (list.length === 0) { tx.remove(SETTINGS, "channels"); }
    }
  },
};

// -- what the controls show ------------------------------------------------------------------

const plain = (value) => (isMap(value) ? Object.fromEntries(value) : value);

function listed(palette, key) {
  const list = isMap(palette) ? palette.get(key) : undefined;
  return Array.isArray(list) ? list.map(plain) : [];
}

function entries(settings, key) {
  const list = settings.get(key);
  return Array.isArray(list) ? list : [];
}

/** The controls' content as plain values: the settings read against the server's `fields`
 * ([{name, title, text, filterable, reason?}], or null while not known) and the palette. */
export function settingsView(doc, fields, palette) {
  const settings = get(doc, SETTINGS);
  if (settings !== undefined && !isMap(settings)) { return { unreadable: true }; }
  const own = settings || new Map();
  const known = fields || [];
  const byName = new Map(known.map((field) => [field.name, field]));
  const subject = own.get("subject");
  const columns = entries(own, "list_columns").map((entry) => {
    const name = namedField(entry);
    return { entry, name, field: byName.get(name) || null, inside: typeof entry === "string" && !names(entry, name) };
  });
  const filters = entries(own, "filters");
  const offered = known.filter((field) => field.filterable);
  const stray = filters.filter((name) => !offered.some((field) => field.name === name));
  const channels = listed(palette, "channels");
  const chosen = entries(own, "channels");
  return {
    loading: fields === null,
    subject: {
      value: typeof subject === "string" ? subject : "",
      field: known.find((field) => names(subject, field.name)) || null,
      named: byName.get(namedField(subject)) || null,
      options: known.filter((field) => field.text),
    },
    columns,
    addable: known.filter((field) => !columns.some((c) => names(c.entry, field.name))),
    filters: {
      explicit: Array.isArray(own.get("filters")),
      rows: [
        ...offered.map((field) => ({ name: field.name, field, checked: filters.includes(field.name) })),
        ...stray.map((name) => ({ name, field: byName.get(name) || null, checked: true, stray: true })),
      ],
    },
    department: { value: own.get("default_department"), options: listed(palette, "departments") },
    workflow: { value: own.get("workflow"), options: listed(palette, "workflows") },
    channels: {
      order: channels,
      rows: [...channels, ...chosen.filter((c) => !channels.includes(c))].map((name) => ({ name, checked: chosen.includes(name) })),
    },
  };
}

// -- the server's view of the form's fields --------------------------------------------------

const watchers = new WeakMap();

function watcher(state) {
  if (!watchers.has(state)) { watchers.set(state, { asked: null, timer: null, turn: 0, fields: null, failed: "", column: "" }); }
  return watchers.get(state);
}

let shared = null;
function page() {
  if (!shared) {
    const block = document.getElementById("builder-settings-strings");
    shared = { strings: JSON.parse(block.textContent), url: block.dataset.fieldsUrl };
  }
  return shared;
}

const say = (key, values = {}) => (page().strings[key] || key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));

function ask(state, watch, texts, redraw) {
  const turn = watch.turn;
  const body = '{"schema": ' + (texts.schema.trim() || "{}") + ', "uiSchema": ' + (texts.uiSchema.trim() || "{}") + "}";
  fetch(page().url, {
    method: "POST", body, credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": state.csrf || "" },
  }).then((response) => {
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) { throw new Error(response.status + " " + response.statusText); }
    return response.json().then((data) => ({ ok: response.ok, data }));
  }).then(({ ok, data }) => {
    if (turn !== watch.turn) { return; } // the form changed since: a newer answer is coming
    if (ok && Array.isArray(data.fields)) { watch.fields = data.fields; watch.failed = ""; }
    else { watch.failed = say("fieldsFailed", { reason: Object.values(data.errors || {}).flat().join(" ") }); }
    redraw();
  }).catch((error) => {
    if (turn !== watch.turn) { return; }
    watch.failed = say("fieldsFailed", { reason: error.message });
    redraw();
  });
}

/** After every re-read or edit: ask the server about the fields when the form's text changed. */
export function watchSettings(state, redraw) {
  const watch = watcher(state);
  if (state.problem) { return; }
  const texts = { schema: state.written.schema || "", uiSchema: state.written.uiSchema || "" };
  const key = texts.schema + "\u0000" + texts.uiSchema;
  if (key === watch.asked) { return; }
  watch.asked = key;
  watch.turn += 1;
  clearTimeout(watch.timer);
  watch.timer = setTimeout(() => ask(state, watch, texts, redraw), DELAY);
}

/** What the server last said of the form's fields: {fields (null until it answers), failed}. */
export function knownFields(state) {
  const watch = watcher(state);
  return { fields: watch.fields, failed: watch.failed };
}

/** The settings controls (under the canvas). */
export function renderSettings(state, on) {
  const watch = watcher(state);
  const view = settingsView(state.doc, watch.fields, state.palette);
  view.failed = watch.failed;
  view.column = watch.column;
  return renderSettingsPanel(view, { say, strings: page().strings }, {
    edit: on.edit,
    chooseColumn(name) { watch.column = name; },
  });
}
