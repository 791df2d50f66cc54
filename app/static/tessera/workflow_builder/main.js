/* The workflow builder on the definition editor's page. The editor's inputs stay the single
 * truth: the builder reads the states, initial, transitions, routing, SLA (and auto-close) parts,
 * shows them as lists, tables and grids, and writes every edit back into them with an `input`
 * event, so the diagram, the checks and saving work as for typing. Typing in them re-reads. */
import { parse } from "../builder/json.js";
import { wireEditor } from "../builder/wiring.js";
import { EditError, History } from "../builder/document.js";
import { perform } from "./actions.js";
import { PARTS, TEXT_PARTS, partTexts, readParts } from "./parts.js";
import { controlOfPointer, readStates } from "./model.js";
import { catalogue } from "./condition_editor.js";
import { SECTIONS, renderFrame, renderOther, sectionOf } from "./render.js";
import { renderStates, renderTransitions } from "./render_states.js";
import { renderRouting } from "./render_routing.js";
import { renderSla } from "./render_sla.js";
import { say } from "./controls.js";

const PANELS = { states: renderStates, transitions: renderTransitions, routing: renderRouting, sla: renderSla };
const PALETTE = ["departments", "skills", "priorities", "roles", "categories", "strategies", "channels"];

const section = document.getElementById("workflow-builder");
const editor = document.getElementById("definition-editor");
if (section && editor) { start(section, editor); }

/** A list of JSON objects as plain objects, their lists of objects too (values stay json.js's). */
function plainList(value) {
  const plain = (item) => (item instanceof Map
    ? Object.fromEntries(Array.from(item, ([k, v]) => [k, Array.isArray(v) ? plainList(v) : v])) : item);
  return Array.isArray(value) ? value.map(plain) : [];
}

function start(section, editor) {
  const strings = JSON.parse(document.getElementById("workflow-builder-strings").textContent);
  const areas = Object.fromEntries(PARTS.map((p) => [p, editor.querySelector(`[name="${p}"]`)]));
  const history = new History();
  const state = {
    doc: new Map(), written: {}, problem: "", section: "states", drag: null, fields: [], templates: [],
    palette: { departments: [], skills: [], priorities: ["low", "normal", "high", "urgent"], roles: ["agent", "head", "admin"],
      categories: ["new", "open", "waiting", "solved", "closed"], strategies: ["round_robin", "least_loaded", "skills", "manual"],
      channels: [] },
    errors: { byControl: new Map(), other: [] }, catalogue: [], stateNames: [],
  };
  let typing = null; // the control whose typing extends the last undo step
  let writing = false;
  const slot = (id) => document.getElementById(id);

  // -- the document ------------------------------------------------------------------------

  function read() {
    const texts = Object.fromEntries(PARTS.map((p) => [p, areas[p] ? areas[p].value : ""]));
    const { doc, problem } = readParts(texts);
    state.problem = problem ? say(strings, "unreadable", { part: problem.part, reason: problem.reason }) : "";
    state.doc = doc;
    const shown = partTexts(doc);
    for (const part of PARTS) { state.written[part] = TEXT_PARTS.includes(part) || !texts[part].trim() ? texts[part] : shown[part]; }
    history.clear();
    typing = null;
  }

  function write() {
    const shown = partTexts(state.doc);
    for (const part of PARTS) {
      const area = areas[part];
      if (!area || shown[part] === state.written[part]) { continue; }
      state.written[part] = shown[part];
      area.value = shown[part];
      writing = true;
      area.dispatchEvent(new Event("input", { bubbles: true })); // the diagram and the checks follow
      writing = false;
    }
  }

  function compute() {
    state.stateNames = readStates(state.doc).map((s) => s.name);
    state.catalogue = catalogue(state, strings);
  }

  // -- drawing -----------------------------------------------------------------------------

  function showErrors() {
    section.querySelectorAll(".wb-error").forEach((node) => {
      const messages = state.errors.byControl.get(node.id.slice(0, -"-error".length)) || [];
      node.textContent = messages.join(" ");
      node.hidden = !messages.length;
      const control = node.parentNode;
      if (control) { control.classList.toggle("has-error", messages.length > 0); }
    });
    const counts = Object.fromEntries(SECTIONS.map((s) => [s, 0]));
    for (const [id, messages] of state.errors.byControl) { counts[sectionOf(id)] += messages.length; }
    for (const name of SECTIONS) {
      const badge = slot("wb-badge-" + name);
      badge.textContent = counts[name] ? String(counts[name]) : "";
      badge.hidden = !counts[name];
      badge.setAttribute("aria-label", say(strings, "problems", { n: counts[name] }));
    }
    const other = slot("wb-other-errors");
    other.hidden = !state.errors.other.length;
    other.replaceChildren(...(state.errors.other.length ? renderOther(state.errors.other, strings) : []));
  }

  function draw(focus) {
    const active = document.activeElement;
    const keep = focus || (active && section.contains(active) && active.id ? active.id : null);
    slot("wb-unreadable").hidden = !state.problem;
    slot("wb-unreadable").textContent = state.problem;
    for (const name of SECTIONS) {
      const panel = slot("wb-panel-" + name);
      panel.replaceChildren(state.problem ? "" : PANELS[name](state, strings, handlers));
      panel.hidden = name !== state.section || Boolean(state.problem);
      const tab = slot("wb-sec-" + name);
      tab.setAttribute("aria-selected", String(name === state.section));
      tab.setAttribute("tabindex", name === state.section ? "0" : "-1");
      tab.classList.toggle("active", name === state.section);
    }
    slot("wb-undo").disabled = !history.canUndo;
    slot("wb-redo").disabled = !history.canRedo;
    showErrors();
    const again = keep && document.getElementById(keep);
    if (again && section.contains(again)) { again.focus(); }
  }

  function status(text) { slot("wb-status").textContent = text; }

  function problem(id, message) {
    section.querySelectorAll(".wb-error").forEach((node) => {
      if (!state.errors.byControl.has(node.id.slice(0, -"-error".length))) { node.hidden = true; node.textContent = ""; }
    });
    const note = id && document.getElementById(id + "-error");
    if (note && message) { note.textContent = message; note.hidden = false; }
    if (message) { status(message); }
  }

  // -- editing -----------------------------------------------------------------------------

  function edit(action, options = {}) {
    if (state.problem) { return null; }
    let done;
    try {
      done = perform(state.doc, action);
    } catch (error) {
      if (!(error instanceof EditError)) { throw error; }
      problem(options.merge || options.focus || null, error.message);
      return null;
    }
    history.record(done.undo, Boolean(options.merge) && typing === options.merge);
    typing = options.merge || null;
    problem(null, "");
    write();
    compute();
    if (options.merge) {
      slot("wb-undo").disabled = !history.canUndo;
      slot("wb-redo").disabled = !history.canRedo;
    } else { draw(options.focus); }
    return done;
  }

  function step(direction) {
    const moved = direction === "undo" ? history.undo(state.doc) : history.redo(state.doc);
    if (!moved) { return; }
    typing = null;
    write();
    compute();
    draw();
    status(say(strings, direction === "undo" ? "undone" : "redone"));
  }

  function moveRule(index, to, focus) {
    if (edit({ do: "moveRule", index, to }, { focus })) {
      const count = section.querySelectorAll(".wb-rule").length;
      const at = Math.max(0, Math.min(to, count - 1));
      const row = slot(`wb-rule-${at}`);
      status(say(strings, "moved", { label: row ? row.dataset.name : "", position: at + 1, count }));
    }
  }

  function cycle(event, names, show, prefix) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
    event.preventDefault();
    const now = names.findIndex((n) => slot(prefix + n).getAttribute("aria-selected") === "true");
    const next = names[(now + (event.key === "ArrowLeft" ? names.length - 1 : 1)) % names.length];
    show(next);
    slot(prefix + next).focus();
  }

  const handlers = {
    edit,
    condition(action, options = {}) {
      if (options.problem) { problem(options.control, options.problem); return; }
      edit({ ...action, force: Boolean(options.force) }, options);
    },
    add(action, idOf) {
      const done = edit(action);
      if (!done) { return; }
      draw(idOf(done.result));
      status(say(strings, "added"));
    },
    remove(action, label) {
      if (edit(action, { focus: "wb-undo" })) { status(say(strings, "deleted", { label })); }
    },
    problem,
    moveRule,
    ruleKey(event, index) {
      if (event.target !== event.currentTarget) { return; }
      const rows = Array.from(section.querySelectorAll(".wb-rule"));
      if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        const to = index + (event.key === "ArrowUp" ? -1 : 1);
        if (to >= 0 && to < rows.length) { moveRule(index, to, `wb-rule-${to}`); }
      } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        event.preventDefault();
        const next = rows[index + (event.key === "ArrowUp" ? -1 : 1)];
        if (next) { next.focus(); }
      } else if (event.key === "Delete") {
        event.preventDefault();
        handlers.remove({ do: "deleteRule", index }, event.currentTarget.dataset.name, "wb-add-rule");
      }
    },
    dragStart(event, index) {
      state.drag = index;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(index));
    },
    dragOver(event) {
      if (state.drag === null) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    },
    drop(event, index) {
      if (state.drag === null) { return; }
      event.preventDefault();
      const from = state.drag;
      state.drag = null;
      moveRule(from, index, `wb-rule-${index}`);
    },
    dragEnd() { state.drag = null; },
    undo() { step("undo"); },
    redo() { step("redo"); },
    tab(name) { showTab(name); },
    section(name) { state.section = name; draw("wb-sec-" + name); },
    tabKey: cycle,
  };

  function showTab(name) {
    for (const tab of ["builder", "json"]) {
      const button = slot("wb-tab-" + tab);
      button.setAttribute("aria-selected", String(tab === name));
      button.setAttribute("tabindex", tab === name ? "0" : "-1");
      button.classList.toggle("active", tab === name);
    }
    slot("wb-builder").hidden = name !== "builder"; // the inputs stay in both: they are what is saved
  }

  // -- the server's errors, on the controls they concern --------------------------------------

  function collectErrors(root) {
    const byControl = new Map();
    const other = [];
    root.querySelectorAll(".tessera-pointer").forEach((code) => {
      const pointer = code.textContent.trim();
      const message = code.parentNode.textContent.replace(code.textContent, "").trim();
      const id = controlOfPointer(pointer);
      if (id && document.getElementById(id + "-error")) { byControl.set(id, [...(byControl.get(id) || []), message]); }
      else if (PARTS.some((part) => pointer === "/" + part || pointer.startsWith("/" + part + "/"))) { other.push([pointer, message]); }
    });
    state.errors = { byControl, other };
  }

  // -- data from the server ------------------------------------------------------------------

  function load(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((response) => {
      if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
      return response.text();
    }).then(parse);
  }

  function loadPalette() {
    return load(section.dataset.paletteUrl).then((data) => {
      for (const name of PALETTE) { if (Array.isArray(data.get(name))) { state.palette[name] = plainList(data.get(name)); } }
    });
  }

  function loadFields() {
    const key = (slot("def-key") ? slot("def-key").value : "").trim();
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(key)) { state.fields = []; state.templates = []; return Promise.resolve(); }
    return load(section.dataset.fieldsUrl + encodeURIComponent(key)).then((data) => {
      state.templates = plainList(data.get("templates"));
      state.fields = plainList(data.get("fields"));
    });
  }

  function refreshData(what) {
    slot("wb-data-status").textContent = say(strings, "loading");
    what.then(() => { slot("wb-data-status").textContent = ""; })
      .catch((error) => { slot("wb-data-status").textContent = say(strings, "loadFailed", { reason: error.message }); })
      .finally(() => { compute(); draw(); });
  }

  // -- wiring --------------------------------------------------------------------------------

  section.querySelector("#workflow-builder-root").replaceChildren(renderFrame(strings, handlers));
  read();
  compute();
  const saved = document.getElementById("editor-errors");
  draw();
  if (saved) { collectErrors(saved); showErrors(); }
  section.hidden = false;
  showTab(state.problem ? "json" : "builder");
  refreshData(Promise.all([loadPalette(), loadFields()]));

  const key = slot("def-key");
  if (key && !key.readOnly) { key.addEventListener("change", () => refreshData(loadFields())); }
  wireEditor(section, {
    areas, writing: () => writing, reread: () => { read(); compute(); draw(); },
    typed: (id) => { if (id === typing) { typing = null; } }, step, ready: "#workflow-outline",
    previewed: (errors) => { collectErrors(errors); showErrors(); },
  });
}
