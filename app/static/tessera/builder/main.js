/* The template builder on the definition editor's page. The editor's schema / uiSchema /
 * settings textareas stay the single truth: the builder reads them, shows a canvas, and writes
 * every edit back into them (the live preview and the server checks then run as for typing).
 * Typing in the textareas (the JSON tab) re-reads them. */
import { ParseError, isMap, parse, serialize } from "./json.js";
import { EditError, History, get } from "./document.js";
import { perform } from "./actions.js";
import { fieldOfPointer, formAdvanced, kindOf, listFields } from "./fields.js";
import { fieldId, renderCanvas, renderFrame, renderPalette, renderPanel, say, targetName } from "./render.js";
import { renderSettings, watchSettings } from "./settings.js";
import { wireEditor } from "./wiring.js";

const PARTS = ["schema", "uiSchema", "settings"];

const section = document.getElementById("template-builder");
const editor = document.getElementById("definition-editor");
if (section && editor) { start(section, editor); }

function start(section, editor) {
  const strings = JSON.parse(document.getElementById("builder-strings").textContent);
  const areas = Object.fromEntries(PARTS.map((p) => [p, editor.querySelector(`textarea[name="${p}"]`)]));
  const history = new History();
  const state = {
    doc: new Map(), written: {}, problem: "", library: {}, libraryList: [], widgets: {},
    libraryStatus: say(strings, "loadingLibrary"), selected: null, target: [], search: "",
    errors: { byField: new Map(), other: [] }, fields: [], containers: [], tab: "builder",
    drag: null, palette: new Map(), csrf: editor.dataset.csrf,
  };
  let typing = null; // the control whose typing extends the last undo step
  let writing = false;

  // -- the document ------------------------------------------------------------------------

  function read() {
    const doc = new Map();
    state.problem = "";
    for (const part of PARTS) {
      const text = areas[part] ? areas[part].value : "";
      if (!text.trim()) { state.written[part] = ""; continue; }
      try {
        doc.set(part, parse(text));
        state.written[part] = serialize(doc.get(part));
      } catch (error) {
        if (!(error instanceof ParseError)) { throw error; }
        state.problem = say(strings, "unreadable", { part, reason: error.message });
      }
    }
    if (!state.problem && doc.has("schema") && !isMap(doc.get("schema"))) { state.problem = say(strings, "notObject"); }
    if (!doc.has("schema")) { doc.set("schema", new Map()); state.written.schema = ""; }
    state.doc = doc;
    history.clear();
    typing = null;
  }

  function write() {
    for (const part of PARTS) {
      const area = areas[part];
      if (!area) { continue; }
      const value = state.doc.get(part);
      const empty = part === "schema" && isMap(value) && value.size === 0 && state.written.schema === "";
      const text = value === undefined || empty ? "" : serialize(value);
      if (text === state.written[part]) { continue; }
      state.written[part] = text;
      area.value = text;
      writing = true;
      area.dispatchEvent(new Event("input", { bubbles: true })); // the live preview follows
      writing = false;
    }
  }

  function compute() {
    state.fields = state.problem ? [] : listFields(state.doc, [], state.library);
    state.formAdvanced = state.problem ? [] : formAdvanced(state.doc);
    state.containers = [{ where: [], kind: "form" }];
    const walk = (items) => items.forEach((item) => {
      if (item.children) {
        state.containers.push({ where: [...item.field.where, item.field.name], kind: item.kind });
        walk(item.children);
      }
    });
    walk(state.fields);
    if (!state.containers.some((c) => JSON.stringify(c.where) === JSON.stringify(state.target))) { state.target = []; }
    if (state.selected && !find(state.selected)) { state.selected = null; }
    watchSettings(state, () => draw({ panel: false }));
  }

  function find(field, items = state.fields) {
    for (const item of items) {
      if (fieldId(item.field) === fieldId(field)) { return item; }
      const inner = item.children && find(field, item.children);
      if (inner) { return inner; }
    }
    return null;
  }

  // -- drawing -----------------------------------------------------------------------------

  const slot = (id) => section.querySelector("#" + id);
  function draw({ panel = true } = {}) {
    const active = document.activeElement;
    const inside = active && section.contains(active) && active !== document.body;
    const keep = !inside ? null : active.classList.contains("tb-item") ? { field: active.dataset.field } : { id: active.id };
    const unreadable = slot("tb-unreadable");
    unreadable.hidden = !state.problem;
    unreadable.textContent = state.problem;
    slot("tb-palette-slot").replaceChildren(state.problem ? "" : renderPalette(state, strings, handlers));
    slot("tb-canvas-slot").replaceChildren(state.problem ? "" : renderCanvas(state, strings, handlers));
    if (panel) {
      const item = state.selected ? find(state.selected) : null;
      slot("tb-panel-slot").replaceChildren(state.problem ? "" : renderPanel(item, state, strings, handlers));
    }
    slot("tb-settings-slot").replaceChildren((!state.problem && renderSettings(state, handlers)) || "");
    slot("tb-undo").disabled = !history.canUndo;
    slot("tb-redo").disabled = !history.canRedo;
    if (keep && !section.contains(document.activeElement)) {  // it was redrawn: focus its successor
      const again = keep.field
        ? section.querySelector(`.tb-item[data-field="${CSS.escape(keep.field)}"]`)
        : keep.id && document.getElementById(keep.id);
      if (again) { again.focus(); }
    }
  }

  function status(text) { slot("tb-status").textContent = text; }

  function focusField(field) {
    const node = section.querySelector(`.tb-item[data-field="${CSS.escape(fieldId(field))}"]`);
    if (node) { node.focus(); }
  }

  function focusId(id) {
    const node = id && document.getElementById(id);
    if (node) { node.focus(); }
  }

  function showError(id, message) {
    section.querySelectorAll(".tb-control-error").forEach((node) => {
      if (node.id !== id + "-error" || !message) { node.hidden = true; node.textContent = ""; }
    });
    const note = id && document.getElementById(id + "-error");
    if (note && message) { note.textContent = message; note.hidden = false; }
  }

  function labelOf(field) {
    const item = find(field);
    return item ? item.title || item.inheritedTitle || field.name : field.name;
  }

  // -- editing -----------------------------------------------------------------------------

  function edit(action, options = {}) {
    if (state.problem) { return false; }
    const control = options.merge || options.focus || null;
    let done;
    try {
      done = perform(state.doc, action, { library: state.library });
    } catch (error) {
      if (!(error instanceof EditError)) { throw error; }
      showError(typeof control === "string" ? errorSlot(control) : null, error.message);
      status(error.message);
      return false;
    }
    history.record(done.undo, Boolean(options.merge) && typing === options.merge);
    typing = options.merge || null;
    showError(null, "");
    if (action.do === "rename" && state.selected) { state.selected = { where: action.field.where, name: action.to }; }
    if (action.do === "moveInto") { state.selected = { where: action.to, name: action.field.name }; }
    write();
    compute();
    draw({ panel: !options.merge });
    if (options.focus && typeof options.focus === "object") { focusField(options.focus); }
    else if (options.focus) { focusId(options.focus); }
    return done;
  }

  const errorSlot = (id) => {
    if (id.startsWith("tb-option-")) { return "tb-options"; }
    return id.startsWith("tb-c-") || id === "tb-conditions-heading" ? "tb-conditions" : id;
  };

  function step(direction) {
    const moved = direction === "undo" ? history.undo(state.doc) : history.redo(state.doc);
    if (!moved) { return; }
    typing = null;
    write();
    compute();
    draw();
    status(say(strings, direction === "undo" ? "undone" : "redone"));
  }

  function add(action) {
    const box = state.target;
    const done = edit({ ...action, where: box });
    if (!done) { return; }
    const field = { where: box, name: done.result };
    state.selected = field;
    draw();
    focusField(field);
    status(say(strings, "added", { label: labelOf(field) }));
  }

  function moveStatus(field) {
    const item = find(field);
    if (!item) { return; }
    const siblings = field.where.length ? find({ where: field.where.slice(0, -1), name: field.where[field.where.length - 1] }).children : state.fields;
    const position = siblings.findIndex((s) => fieldId(s.field) === fieldId(field)) + 1;
    status(say(strings, "moved", { label: labelOf(field), position, count: siblings.length }));
  }

  const handlers = {
    edit(action, options = {}) {
      const done = edit(action, options);
      if (done && (action.do === "moveBy" || action.do === "move")) { moveStatus(action.field); }
      if (done && action.do === "moveInto") {
        const box = state.containers.find((c) => JSON.stringify(c.where) === JSON.stringify(action.to));
        status(say(strings, "movedInto", { label: labelOf(state.selected), place: box ? targetName(strings, box) : "" }));
      }
    },
    add,
    select(field, focusPanel = false) {
      state.selected = field;
      typing = null;
      draw();
      if (focusPanel) { focusId("tb-p-label"); } else { focusField(field); }
    },
    remove(item) {
      const label = labelOf(item.field);
      if (edit({ do: "delete", field: item.field })) {
        status(say(strings, "deleted", { label }));
        focusId("tb-undo");
      }
    },
    target(where) { state.target = where; draw({ panel: false }); focusId("tb-target"); },
    search(text) { state.search = text; draw({ panel: false }); focusId("tb-search"); },
    itemKey(event, field) {
      if (event.target !== event.currentTarget) { return; }
      const key = event.key;
      if (event.altKey && (key === "ArrowUp" || key === "ArrowDown")) {
        event.preventDefault();
        handlers.edit({ do: "moveBy", field, by: key === "ArrowUp" ? -1 : 1 }, { focus: field });
      } else if (key === "ArrowUp" || key === "ArrowDown") {
        event.preventDefault();
        const items = Array.from(section.querySelectorAll(".tb-item"));
        const next = items[items.indexOf(event.currentTarget) + (key === "ArrowUp" ? -1 : 1)];
        if (next) { next.focus(); }
      } else if (key === "Enter" || key === " ") {
        event.preventDefault();
        handlers.select(field);
      } else if (key === "Delete") {
        event.preventDefault();
        handlers.remove({ field });
      }
    },
    dragStart(event, field) {
      event.stopPropagation();
      state.drag = field;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", field.name);
    },
    dragOver(event, field) {
      if (!state.drag || JSON.stringify(state.drag.where) !== JSON.stringify(field.where)) { return; }
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = "move";
    },
    drop(event, field, index) {
      const dragged = state.drag;
      if (!dragged || JSON.stringify(dragged.where) !== JSON.stringify(field.where)) { return; }
      event.preventDefault();
      event.stopPropagation();
      state.drag = null;
      handlers.edit({ do: "move", field: dragged, index }, { focus: dragged });
    },
    dragEnd() { state.drag = null; },
    undo() { step("undo"); },
    redo() { step("redo"); },
    tab(name) { showTab(name); },
    tabKey(event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
      event.preventDefault();
      showTab(state.tab === "builder" ? "json" : "builder");
      focusId("tb-tab-" + state.tab);
    },
  };

  function showTab(name) {
    state.tab = name;
    for (const tab of ["builder", "json"]) {
      const button = slot("tb-tab-" + tab);
      button.setAttribute("aria-selected", String(tab === name));
      button.setAttribute("tabindex", tab === name ? "0" : "-1");
      button.classList.toggle("active", tab === name);
    }
    // The textareas stay in both: they are what is saved, and they show each edit as it is made.
    slot("tb-builder").hidden = name !== "builder";
  }

  // -- the server's errors, on the fields they concern --------------------------------------

  function collectErrors(root) {
    const byField = new Map();
    const other = [];
    root.querySelectorAll(".tessera-pointer").forEach((code) => {
      const pointer = code.textContent.trim();
      const message = code.parentNode.textContent.replace(code.textContent, "").trim();
      const field = fieldOfPointer(state.doc, pointer === "/" ? "" : pointer, state.library);
      if (field) {
        const id = fieldId(field);
        byField.set(id, [...(byField.get(id) || []), message]);
      } else if (pointer.startsWith("/schema") || pointer.startsWith("/uiSchema")) {
        other.push([pointer, message]);
      }
    });
    state.errors = { byField, other };
  }

  // -- the library ---------------------------------------------------------------------------

  function loadLibrary() {
    fetch(section.dataset.paletteUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
        return response.text();
      })
      .then((text) => {
        const data = parse(text);
        state.palette = data;
        const library = {};
        const list = [];
        for (const entry of data.get("fields")) {
          const key = entry.get("key");
          library[key] = { schema: entry.get("schema"), ui: entry.get("ui") };
          list.push({ key, title: entry.get("title"), version: entry.get("version").text,
            kind: kindOf(entry.get("schema"), entry.get("ui"), {}).kind });
        }
        state.library = library;
        state.libraryList = list;
        state.widgets = Object.fromEntries(Array.from(data.get("widgets")));
        state.libraryStatus = "";
      })
      .catch((error) => { state.libraryStatus = say(strings, "libraryFailed", { reason: error.message }); })
      .finally(() => { compute(); draw(); });
  }

  // -- wiring --------------------------------------------------------------------------------

  const root = section.querySelector("#builder-root");
  root.replaceChildren(renderFrame(strings, handlers));
  read();
  compute();
  const saved = document.getElementById("editor-errors");
  if (saved) { collectErrors(saved); }
  draw();
  section.hidden = false;
  showTab(state.problem ? "json" : "builder");
  loadLibrary();

  wireEditor(section, {
    areas, writing: () => writing, reread: () => { read(); compute(); draw(); },
    typed: (id) => { if (id === typing) { typing = null; } }, step, ready: "#preview-form",
    previewed: (errors) => { collectErrors(errors); draw({ panel: false }); },
  });
}
