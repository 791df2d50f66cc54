/* The builder's DOM: tabs and toolbar, palette, canvas and property panel. Everything shown is
 * set as text (never as HTML), every control has a label, and every drag has buttons. The
 * functions build elements from the state main.js keeps and call its handlers; they edit nothing
 * themselves. */
import { Num } from "./json.js";
import { asText } from "./fields.js";
import { conditionMarks, conditionsEditor } from "./conditions_render.js";

/** An element: `h("button", {type: "button", onclick: f}, "text", child)`. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) { continue; }
    if (name.startsWith("on")) { node.addEventListener(name.slice(2), value); }
    else if (name === "dataset") { Object.assign(node.dataset, value); }
    else if (name === "value") { node.value = value; }
    else if (name === "checked") { node.checked = Boolean(value); }
    else { node.setAttribute(name, value === true ? "" : value); }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) { continue; }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A translated string with its {placeholders} filled. */
export function say(strings, key, values = {}) {
  const text = strings[key] || key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export const fieldId = (field) => JSON.stringify([...field.where, field.name]);

function labelOf(item) {
  return item.title || item.inheritedTitle || item.field.name;
}

function textKinds(kind) {
  return ["text", "textarea", "phone", "email", "url"].includes(kind);
}

// -- palette -----------------------------------------------------------------------------------

const BASIC_ORDER = [
  "text", "textarea", "number", "integer", "date", "datetime", "email", "phone", "url",
  "choice", "multi", "yesno", "file", "group", "rows",
];

export function targetName(strings, box) {
  if (!box.where.length) { return say(strings, "theForm"); }
  return say(strings, box.kind === "rows" ? "rowsOf" : "groupOf", { name: box.where.join(" › ") });
}

export function renderPalette(state, strings, on) {
  const targets = state.containers.map((box, i) => h("option", {
    value: String(i), selected: JSON.stringify(box.where) === JSON.stringify(state.target) ? "selected" : null,
  }, targetName(strings, box)));
  const atTop = state.target.length === 0;
  const needle = state.search.trim().toLowerCase();
  const matches = state.libraryList.filter((f) => !needle
    || f.key.toLowerCase().includes(needle) || String(f.title).toLowerCase().includes(needle));
  let library;
  if (state.libraryStatus) {
    library = h("p", { class: "text-muted", id: "tb-library-status" }, state.libraryStatus);
  } else if (!matches.length) {
    library = h("p", { class: "text-muted", id: "tb-library-status" }, say(strings, "noLibraryMatch"));
  } else {
    library = h("ul", { class: "tb-library list-unstyled", id: "tb-library" }, matches.map((f) => h("li", {},
      h("button", {
        type: "button", class: "btn btn-default btn-xs tb-add-library", disabled: atTop ? null : "disabled",
        dataset: { key: f.key }, onclick: () => on.add({ do: "addLibraryField", key: f.key }),
      }, h("span", { class: "tb-add-title" }, f.title), " ",
      h("code", {}, f.key), " ", h("span", { class: "tb-kind" }, say(strings.kinds, f.kind)), " ",
      h("span", { class: "text-muted" }, "v" + f.version)))));
  }
  return h("div", { class: "tb-palette", id: "tb-palette" },
    h("div", { class: "form-group" },
      h("label", { for: "tb-target", class: "control-label" }, say(strings, "addTo")),
      h("select", { id: "tb-target", class: "form-control input-sm",
        onchange: (e) => on.target(state.containers[Number(e.target.value)].where) }, targets)),
    h("div", { role: "group", "aria-labelledby": "tb-basic-heading", class: "tb-basic" },
      h("h3", { class: "h5", id: "tb-basic-heading" }, say(strings, "basicTypes")),
      BASIC_ORDER.map((type) => h("button", {
        type: "button", class: "btn btn-default btn-xs tb-add-basic", dataset: { type },
        onclick: () => on.add({ do: "addField", type, title: say(strings.kinds, type) }),
      }, "+ ", say(strings.kinds, type)))),
    h("div", { class: "tb-library-box" },
      h("h3", { class: "h5", id: "tb-library-heading" }, say(strings, "library")),
      h("label", { for: "tb-search", class: "sr-only" }, say(strings, "searchLibrary")),
      h("input", { id: "tb-search", type: "search", class: "form-control input-sm", value: state.search,
        placeholder: say(strings, "searchLibrary"), autocomplete: "off",
        oninput: (e) => on.search(e.target.value) }),
      atTop ? null : h("p", { class: "help-block" }, say(strings, "libraryTopOnly")),
      library));
}

// -- canvas ------------------------------------------------------------------------------------

function marks(item, state, strings) {
  const out = [h("span", { class: "tb-kind" }, say(strings.kinds, item.kind))];
  if (item.required) { out.push(h("span", { class: "label label-danger tb-required" }, say(strings, "required"))); }
  out.push(...conditionMarks(item, state, strings));
  if (item.ref) { out.push(h("span", { class: "label label-info tb-ref" }, say(strings, "fromLibrary", { key: item.ref }))); }
  if (item.ui.get("ui:widget") === "hidden") { out.push(h("span", { class: "label label-default" }, say(strings, "hiddenMark"))); }
  if (item.ui.get("ui:readonly") === true || item.schema.get("readOnly") === true) {
    out.push(h("span", { class: "label label-default" }, say(strings, "readOnlyMark")));
  }
  if (item.advanced.length) {
    out.push(h("span", { class: "label label-warning tb-advanced", title: item.advanced.join(", ") }, say(strings, "advanced")));
  }
  return out;
}

function canvasItem(item, index, count, state, strings, on) {
  const id = fieldId(item.field);
  const label = labelOf(item);
  const selected = state.selected && fieldId(state.selected) === id;
  const errors = state.errors.byField.get(id) || [];
  const li = h("li", {
    class: "tb-item" + (selected ? " tb-selected" : "") + (errors.length ? " tb-has-error" : ""),
    tabindex: "0", draggable: "true", "aria-current": selected ? "true" : null,
    "aria-label": label + ", " + say(strings.kinds, item.kind) + (item.required ? ", " + say(strings, "required") : ""),
    "aria-describedby": "tb-keyboard-help", dataset: { field: id, name: item.field.name },
    onkeydown: (e) => on.itemKey(e, item.field),
    onclick: (e) => { if (!e.target.closest("button")) { on.select(item.field); } },
    ondragstart: (e) => on.dragStart(e, item.field), ondragover: (e) => on.dragOver(e, item.field),
    ondrop: (e) => on.drop(e, item.field, index), ondragend: () => on.dragEnd(),
  },
  h("div", { class: "tb-row" },
    h("span", { class: "tb-grip", "aria-hidden": "true" }, "⋮⋮"),
    h("span", { class: "tb-label" }, label), " ",
    h("code", { class: "tb-name" }, item.field.name), " ", marks(item, state, strings),
    h("span", { class: "tb-buttons" },
      h("button", { type: "button", class: "btn btn-default btn-xs tb-up", disabled: index === 0 ? "disabled" : null,
        "aria-label": say(strings, "moveUp", { label }), title: say(strings, "moveUp", { label }),
        onclick: () => on.edit({ do: "moveBy", field: item.field, by: -1 }, { focus: item.field }) }, "↑"),
      h("button", { type: "button", class: "btn btn-default btn-xs tb-down", disabled: index === count - 1 ? "disabled" : null,
        "aria-label": say(strings, "moveDown", { label }), title: say(strings, "moveDown", { label }),
        onclick: () => on.edit({ do: "moveBy", field: item.field, by: 1 }, { focus: item.field }) }, "↓"),
      h("button", { type: "button", class: "btn btn-default btn-xs tb-edit",
        "aria-label": say(strings, "select", { label }), onclick: () => on.select(item.field, true) }, "✎"),
      h("button", { type: "button", class: "btn btn-danger btn-xs tb-delete",
        "aria-label": say(strings, "remove", { label }), title: say(strings, "remove", { label }),
        onclick: () => on.remove(item) }, "✕"))),
  errors.length ? h("ul", { class: "tb-errors" }, errors.map((m) => h("li", {}, m))) : null);
  if (item.children) { li.append(canvasList(item.children, state, strings, on, true)); }
  return li;
}

function canvasList(items, state, strings, on, nested) {
  if (!items.length) {
    return h("p", { class: "text-muted tb-empty" }, say(strings, nested ? "emptyGroup" : "emptyForm"));
  }
  return h("ol", { class: "tb-list" + (nested ? " tb-nested" : "") },
    items.map((item, i) => canvasItem(item, i, items.length, state, strings, on)));
}

export function renderCanvas(state, strings, on) {
  return h("div", { class: "tb-canvas", id: "tb-canvas", role: "region", "aria-labelledby": "tb-canvas-heading" },
    h("h3", { class: "h5", id: "tb-canvas-heading" }, say(strings, "canvas")),
    h("p", { class: "help-block", id: "tb-keyboard-help" }, say(strings, "keyboardHelp")),
    canvasList(state.fields, state, strings, on, false),
    state.formAdvanced.length ? h("p", { class: "text-muted tb-form-advanced", id: "tb-form-advanced" },
      say(strings, "formAdvanced", { keys: state.formAdvanced.join(", ") })) : null,
    state.errors.other.length ? h("div", { class: "alert alert-danger tb-other-errors", id: "tb-other-errors" },
      h("p", {}, say(strings, "otherErrors")),
      h("ul", {}, state.errors.other.map(([pointer, m]) => h("li", {}, h("code", {}, pointer || "/"), " ", m)))) : null);
}

// -- property panel ----------------------------------------------------------------------------

function control(id, label, input, help) {
  return h("div", { class: "form-group" },
    h("label", { for: id, class: "control-label" }, label), input,
    help ? h("p", { class: "help-block", id: id + "-help" }, help) : null,
    h("p", { class: "help-block tb-control-error", id: id + "-error", role: "alert", hidden: true }));
}

function textInput(id, value, commit, attrs = {}) {
  return h("input", { id, class: "form-control input-sm", value: value ?? "", autocomplete: "off",
    oninput: (e) => commit(e.target.value, id), ...attrs });
}

function check(id, label, checked, commit) {
  return h("div", { class: "checkbox" }, h("label", { for: id },
    h("input", { type: "checkbox", id, checked, onchange: (e) => commit(e.target.checked, id) }), " ", label));
}

function optionsEditor(item, strings, on) {
  if (!item.optionsEditable) {
    return h("div", { class: "form-group", id: "tb-options" },
      h("p", { class: "control-label" }, say(strings, "options")),
      h("ul", {}, item.options.map((o) => h("li", {}, h("code", {}, asText(o.value)), " ", o.label || ""))),
      h("p", { class: "help-block" }, say(strings, item.ref ? "optionsLibrary" : "optionsAdvanced")));
  }
  const field = item.field;
  const rows = item.options.map((option, i) => {
    const n = i + 1;
    return h("tr", { class: "tb-option" },
      h("td", {}, h("input", { id: `tb-option-${i}-value`, class: "form-control input-sm", value: asText(option.value),
        "aria-label": say(strings, "optionValue") + " " + n, autocomplete: "off",
        oninput: (e) => on.edit({ do: "setOptionValue", field, index: i, value: e.target.value }, { merge: `tb-option-${i}-value` }) })),
      h("td", {}, h("input", { id: `tb-option-${i}-label`, class: "form-control input-sm", value: option.label ?? "",
        "aria-label": say(strings, "optionLabel") + " " + n, autocomplete: "off",
        oninput: (e) => on.edit({ do: "setOptionLabel", field, index: i, value: e.target.value }, { merge: `tb-option-${i}-label` }) })),
      h("td", { class: "tb-option-buttons" },
        h("button", { type: "button", class: "btn btn-default btn-xs", "aria-label": say(strings, "optionUp", { n }),
          disabled: i === 0 ? "disabled" : null,
          onclick: () => on.edit({ do: "moveOption", field, index: i, by: -1 }, { panel: true }) }, "↑"),
        h("button", { type: "button", class: "btn btn-default btn-xs", "aria-label": say(strings, "optionDown", { n }),
          disabled: i === item.options.length - 1 ? "disabled" : null,
          onclick: () => on.edit({ do: "moveOption", field, index: i, by: 1 }, { panel: true }) }, "↓"),
        h("button", { type: "button", class: "btn btn-danger btn-xs", "aria-label": say(strings, "optionRemove", { n }),
          onclick: () => on.edit({ do: "removeOption", field, index: i }, { panel: true }) }, "✕")));
  });
  const next = item.options.length + 1;
  return h("fieldset", { class: "form-group", id: "tb-options" },
    h("legend", { class: "control-label h6" }, say(strings, "options")),
    h("table", { class: "table table-condensed tb-options" },
      h("thead", {}, h("tr", {}, h("th", {}, say(strings, "optionValue")), h("th", {}, say(strings, "optionLabel")), h("th", {}))),
      h("tbody", {}, rows)),
    h("button", { type: "button", class: "btn btn-default btn-xs", id: "tb-add-option",
      onclick: () => on.edit({ do: "addOption", field, value: say(strings, "newOption", { n: next }),
        label: say(strings, "newOptionLabel", { n: next }) }, { panel: true, focus: `tb-option-${next - 1}-value` }) },
    "+ ", say(strings, "addOption")),
    h("p", { class: "help-block tb-control-error", id: "tb-options-error", role: "alert", hidden: true }));
}

function defaultControl(item, strings, on) {
  const field = item.field;
  const current = item.schema.get("default");
  const commit = (value, id) => on.edit({ do: "setDefault", field, value }, { merge: id });
  if (item.kind === "yesno" || item.kind === "choice") {
    const choices = item.kind === "yesno"
      ? [["true", say(strings, "yes")], ["false", say(strings, "no")]]
      : item.options.map((o) => [asText(o.value), o.label || asText(o.value)]);
    const now = current === undefined ? "" : asText(current);
    return control("tb-p-default", say(strings, "default"), h("select", {
      id: "tb-p-default", class: "form-control input-sm", onchange: (e) => commit(e.target.value, "tb-p-default"),
    }, h("option", { value: "" }, say(strings, "noDefault")),
    choices.map(([value, label]) => h("option", { value, selected: value === now ? "selected" : null }, label))));
  }
  if (["multi", "group", "rows", "other", "file"].includes(item.kind)) { return null; }
  const type = { date: "date", number: "number", integer: "number" }[item.kind];
  return control("tb-p-default", say(strings, "default"),
    textInput("tb-p-default", current === undefined ? "" : asText(current), commit, { type }));
}

function limitControls(item, strings, on) {
  const keywords = item.kind === "number" || item.kind === "integer" ? ["minimum", "maximum"]
    : textKinds(item.kind) ? ["minLength", "maxLength"]
      : item.kind === "multi" || item.kind === "rows" ? ["minItems", "maxItems"] : [];
  return keywords.map((keyword) => {
    const id = "tb-p-" + keyword;
    const own = item.schema.get(keyword);
    const base = item.base.get(keyword);
    return control(id, say(strings, keyword), textInput(id, own instanceof Num ? own.text : "",
      (value) => on.edit({ do: "setLimit", field: item.field, keyword, value }, { merge: id }),
      { inputmode: "decimal", placeholder: own === undefined && base instanceof Num ? base.text : null }));
  });
}

/* The pattern as this browser reads it: with Unicode semantics when it can, as Python does. */
function compile(pattern) {
  try { return new RegExp(pattern, "u"); } catch (error) { return new RegExp(pattern); }
}

function patternControls(item, strings, on) {
  if (!textKinds(item.kind)) { return []; }
  const field = item.field;
  const messages = item.errorMessages;
  const message = messages instanceof Map ? messages.get("pattern") : undefined;
  const tester = h("p", { class: "help-block", id: "tb-pattern-result", "aria-live": "polite" });
  const tryIt = () => {
    const pattern = document.getElementById("tb-p-pattern").value || asText(item.base.get("pattern"));
    const sample = document.getElementById("tb-p-try").value;
    tester.className = "help-block";
    if (!pattern || !sample) { tester.textContent = ""; return; }
    try {
      const ok = compile(pattern).test(sample);
      tester.textContent = say(strings, ok ? "patternMatches" : "patternFails");
      tester.className = "help-block " + (ok ? "text-success" : "text-danger");
    } catch (error) {
      tester.textContent = say(strings, "patternBroken", { reason: error.message });
    }
  };
  const base = item.base.get("pattern");
  return [
    control("tb-p-pattern", say(strings, "pattern"), textInput("tb-p-pattern", asText(item.schema.get("pattern")),
      (value, id) => { on.edit({ do: "setPattern", field, value }, { merge: id }); tryIt(); },
      { spellcheck: "false", placeholder: typeof base === "string" && !item.schema.has("pattern") ? base : null,
        "aria-describedby": "tb-p-pattern-help" }), say(strings, "patternHelp")),
    typeof messages === "string" ? null : control("tb-p-message", say(strings, "patternMessage"),
      textInput("tb-p-message", message, (value, id) => on.edit({ do: "setMessage", field, keyword: "pattern", value }, { merge: id }))),
    control("tb-p-try", say(strings, "patternTry"), textInput("tb-p-try", "", tryIt)),
    tester,
  ];
}

function widgetControl(item, state, strings, on) {
  const group = textKinds(item.kind) || ["date", "datetime"].includes(item.kind) ? "text" : item.kind;
  const offered = (state.widgets[group] || []).slice();
  const current = item.ui.get("ui:widget");
  if (!offered.length || current === "hidden") { return null; }
  if (typeof current === "string" && !offered.includes(current)) { offered.push(current); }
  return control("tb-p-widget", say(strings, "widget"), h("select", {
    id: "tb-p-widget", class: "form-control input-sm",
    onchange: (e) => on.edit({ do: "setWidget", field: item.field, value: e.target.value }, { panel: true, focus: "tb-p-widget" }),
  }, h("option", { value: "" }, say(strings, "defaultWidget")),
  offered.map((w) => h("option", { value: w, selected: w === current ? "selected" : null }, w))));
}

/** Which container the field is in (the form, a group, rows), to move it to another. */
function placeControl(item, state, strings, on) {
  const self = [...item.field.where, item.field.name];
  const boxes = state.containers.filter((box) => JSON.stringify(box.where.slice(0, self.length)) !== JSON.stringify(self));
  if (boxes.length < 2) { return null; }
  const here = JSON.stringify(item.field.where);
  return control("tb-p-container", say(strings, "moveInto"), h("select", {
    id: "tb-p-container", class: "form-control input-sm",
    onchange: (e) => on.edit({ do: "moveInto", field: item.field, to: boxes[Number(e.target.value)].where },
      { panel: true, focus: "tb-p-container" }),
  }, boxes.map((box, i) => h("option", { value: String(i), selected: JSON.stringify(box.where) === here ? "selected" : null },
    targetName(strings, box)))));
}

export function renderPanel(item, state, strings, on) {
  if (!item) {
    return h("div", { class: "tb-panel", id: "tb-panel" },
      h("h3", { class: "h5", id: "tb-panel-heading" }, say(strings, "panel")),
      h("p", { class: "text-muted" }, say(strings, "noSelection")));
  }
  const field = item.field;
  const merge = (name) => (value, id) => on.edit({ do: name, field, value }, { merge: id });
  const toggle = (name) => (value, id) => on.edit({ do: name, field, value }, { panel: true, focus: id });
  const titleAttrs = item.inheritedTitle ? { placeholder: say(strings, "inherited", { value: item.inheritedTitle }) } : {};
  const errors = state.errors.byField.get(fieldId(field)) || [];
  const basePlaceholder = item.effectiveUi instanceof Map ? item.effectiveUi.get("ui:placeholder") : undefined;
  return h("div", { class: "tb-panel", id: "tb-panel", role: "region", "aria-labelledby": "tb-panel-heading" },
    h("h3", { class: "h5", id: "tb-panel-heading" }, say(strings, "panel"), ": ", labelOf(item), " ",
      h("span", { class: "tb-kind" }, say(strings.kinds, item.kind))),
    errors.length ? h("div", { class: "alert alert-danger", role: "alert" }, h("p", {}, say(strings, "serverErrors")),
      h("ul", {}, errors.map((m) => h("li", {}, m)))) : null,
    control("tb-p-name", say(strings, "name"), h("input", {
      id: "tb-p-name", class: "form-control input-sm", value: field.name, autocomplete: "off", spellcheck: "false",
      "aria-describedby": "tb-p-name-help",
      onchange: (e) => on.edit({ do: "rename", field, to: e.target.value }, { panel: true, focus: "tb-p-name", rename: e.target.value }),
    }), say(strings, "nameHelp")),
    control("tb-p-label", say(strings, "label"), textInput("tb-p-label", item.title, merge("setLabel"), titleAttrs)),
    control("tb-p-help", say(strings, "help"), textInput("tb-p-help", item.ui.get("ui:help"), merge("setHelp"),
      { placeholder: item.effectiveUi instanceof Map && !item.ui.has("ui:help") ? item.effectiveUi.get("ui:help") : null })),
    textKinds(item.kind) || ["number", "integer", "date", "datetime"].includes(item.kind)
      ? control("tb-p-placeholder", say(strings, "placeholder"), textInput("tb-p-placeholder", item.ui.get("ui:placeholder"),
        merge("setPlaceholder"), { placeholder: !item.ui.has("ui:placeholder") && typeof basePlaceholder === "string" ? basePlaceholder : null }))
      : null,
    check("tb-p-required", say(strings, item.paths.rule ? "requiredWhenShown" : "requiredField"), item.required, toggle("setRequired")),
    conditionsEditor(item, state, strings, on),
    defaultControl(item, strings, on),
    ["choice", "multi"].includes(item.kind) ? optionsEditor(item, strings, on) : null,
    limitControls(item, strings, on),
    patternControls(item, strings, on),
    widgetControl(item, state, strings, on),
    check("tb-p-readonly", say(strings, "readOnly"),
      item.ui.get("ui:readonly") === true || item.schema.get("readOnly") === true, toggle("setReadOnly")),
    check("tb-p-hidden", say(strings, "hidden"), item.ui.get("ui:widget") === "hidden", toggle("setHidden")),
    placeControl(item, state, strings, on),
    item.advanced.length ? h("p", { class: "alert alert-warning tb-advanced-list", id: "tb-advanced" },
      say(strings, "advancedKept", { keys: item.advanced.join(", ") })) : null);
}

// -- frame -------------------------------------------------------------------------------------

export function renderFrame(strings, on) {
  const tab = (name, label) => h("button", {
    type: "button", role: "tab", id: "tb-tab-" + name, class: "btn btn-default btn-sm",
    "aria-controls": name === "builder" ? "tb-builder" : "definition-editor",
    onclick: () => on.tab(name), onkeydown: (e) => on.tabKey(e),
  }, label);
  return h("div", { class: "tb-frame" },
    h("div", { class: "tb-toolbar" },
      h("div", { role: "tablist", "aria-label": say(strings, "tabsLabel"), class: "btn-group tb-tabs" },
        tab("builder", say(strings, "tabBuilder")), tab("json", say(strings, "tabJson"))),
      h("span", { class: "tb-history" },
        h("button", { type: "button", class: "btn btn-default btn-sm", id: "tb-undo", onclick: () => on.undo() }, "↶ ", say(strings, "undo")),
        h("button", { type: "button", class: "btn btn-default btn-sm", id: "tb-redo", onclick: () => on.redo() }, "↷ ", say(strings, "redo")))),
    h("p", { class: "tb-status", id: "tb-status", role: "status", "aria-live": "polite" }),
    h("div", { id: "tb-builder", role: "tabpanel", "aria-labelledby": "tb-tab-builder", class: "tb-body" },
      h("p", { class: "alert alert-warning", id: "tb-unreadable", hidden: true }),
      h("div", { id: "tb-palette-slot" }),
      h("div", { class: "tb-work" }, h("div", { id: "tb-canvas-slot" }), h("div", { id: "tb-panel-slot" })),
      h("div", { id: "tb-settings-slot" })));
}
