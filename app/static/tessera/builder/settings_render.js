/* The DOM of the template settings controls (settings.js gives the view, plain values). Text is
 * set as text, every control has a label and an error line, and every id is stable so focus
 * survives the builder's redraws. Each change is one `on.edit` (one undo step). */
import { h } from "./render.js";

const ID = "tb-s-";

function fieldLabel(text, field) {
  return !field ? "" : field.title && field.title !== field.name
    ? text.say("fieldOption", { title: field.title, name: field.name }) : field.name;
}

function errorLine(id) {
  return h("p", { class: "help-block tb-control-error", id: id + "-error", role: "alert", hidden: true });
}

function group(id, label, control, help) {
  return h("div", { class: "form-group tb-s-group" },
    h("label", { for: id, class: "control-label" }, label), control,
    help ? h("p", { class: "help-block", id: id + "-help" }, help) : null, errorLine(id));
}

function select(id, value, options, commit, extra) {
  const found = options.some((o) => o.value === value);
  const all = !found && value ? [...options, { value, label: extra }] : options;
  return h("select", { id, class: "form-control input-sm", "aria-describedby": id + "-help", onchange: (e) => commit(e.target.value) },
    all.map((o) => h("option", { value: o.value, selected: o.value === value ? "selected" : null }, o.label)));
}

function subjectControl(view, text, on) {
  const id = ID + "subject";
  const subject = view.subject;
  const current = subject.field ? subject.field.name : subject.value;
  const options = [{ value: "", label: text.say("noSubject") },
    ...subject.options.map((field) => ({ value: field.name, label: fieldLabel(text, field) }))];
  let extra;
  if (subject.field) { extra = text.say("notText", { label: fieldLabel(text, subject.field) }); }
  else if (subject.named) { extra = text.say("insideOf", { entry: subject.value, label: fieldLabel(text, subject.named) }); }
  else { extra = text.say(view.loading ? "asWritten" : "notAField", { entry: subject.value }); }
  return group(id, text.say("subject"), select(id, current, options, (name) => {
    if (name === current) { return; }
    on.edit({ do: "setSubject", name }, { focus: id });
  }, extra), text.say("subjectHelp"));
}

function columnRow(column, i, count, text, on) {
  const base = `${ID}column-${i}`;
  const label = column.field ? column.field.title || column.field.name : column.name || String(column.entry);
  const where = column.field ? (column.inside ? text.say("inside", { entry: column.entry }) : "")
    : text.say("notAField", { entry: column.entry });
  const button = (suffix, mark, key, action, focus, disabled) => h("button", {
    type: "button", id: `${base}-${suffix}`, class: `btn btn-${suffix === "remove" ? "danger" : "default"} btn-xs tb-s-${suffix}`,
    "aria-label": text.say(key, { label }), title: text.say(key, { label }), disabled: disabled ? "disabled" : null,
    onclick: () => on.edit(action, { focus }),
  }, mark);
  const up = i - 1 === 0 ? `${ID}column-0-down` : `${ID}column-${i - 1}-up`;
  const down = i + 1 === count - 1 ? `${ID}column-${i + 1}-up` : `${ID}column-${i + 1}-down`;
  const after = count === 1 ? `${ID}column-add` : `${ID}column-${Math.min(i, count - 2)}-remove`;
  return h("li", { class: "tb-s-column", dataset: { entry: String(column.entry), name: column.name || "" } },
    h("div", { class: "tb-s-column-row" },
      h("span", { class: "tb-s-column-label" }, label), h("code", {}, String(column.entry)),
      where ? h("span", { class: column.field ? "text-muted" : "text-danger" }, where) : null,
      h("span", { class: "tb-buttons" },
        button("up", "↑", "columnUp", { do: "moveColumn", index: i, by: -1 }, up, i === 0),
        button("down", "↓", "columnDown", { do: "moveColumn", index: i, by: 1 }, down, i === count - 1),
        button("remove", "✕", "columnRemove", { do: "removeColumn", index: i }, after, false))));
}

function columnsControl(view, text, on) {
  const id = ID + "column-add";
  const chosen = view.addable.some((field) => field.name === view.column) ? view.column : "";
  const picker = h("select", { id, class: "form-control input-sm", disabled: view.loading ? "disabled" : null,
    onchange: (e) => on.chooseColumn(e.target.value) },
  h("option", { value: "" }, text.say("chooseField")),
  view.addable.map((field) => h("option", { value: field.name, selected: field.name === chosen ? "selected" : null }, fieldLabel(text, field))));
  const add = () => {
    const name = document.getElementById(id).value;
    if (name) { on.edit({ do: "addColumn", name }, { focus: id }); } else { document.getElementById(id).focus(); }
  };
  return h("fieldset", { class: "form-group tb-s-group", id: ID + "columns" },
    h("legend", { class: "control-label h6" }, text.say("columns")),
    h("p", { class: "help-block" }, text.say("columnsHelp")),
    view.columns.length
      ? h("ol", { class: "tb-s-columns", id: ID + "column-list" }, view.columns.map((c, i) => columnRow(c, i, view.columns.length, text, on)))
      : h("p", { class: "text-muted", id: ID + "no-columns" }, text.say("noColumns")),
    h("div", { class: "tb-s-add" },
      h("label", { for: id, class: "sr-only" }, text.say("addColumn")), picker,
      h("button", { type: "button", class: "btn btn-default btn-xs", id: ID + "column-add-button",
        disabled: view.loading ? "disabled" : null, onclick: add }, "+ ", text.say("addColumn"))),
    errorLine(id));
}

const filterId = (name) => ID + "filter-" + encodeURIComponent(name);

function filtersControl(view, text, on) {
  const { explicit, rows } = view.filters;
  const chosen = rows.some((row) => row.checked);
  const note = !explicit ? "filtersDefault" : chosen ? null : "filtersNone";
  return h("fieldset", { class: "form-group tb-s-group", id: ID + "filters" },
    h("legend", { class: "control-label h6" }, text.say("filters")),
    h("p", { class: "help-block" }, text.say("filtersHelp")),
    note ? h("p", { class: "text-muted", id: ID + "filters-note" }, text.say(note)) : null,
    rows.map((row) => {
      const id = filterId(row.name);
      const why = !row.stray ? null : row.field ? text.say("cannotFilter", { reason: row.field.reason || "" }) : text.say("noSuchField");
      return h("div", { class: "checkbox" + (row.stray ? " tb-s-stray" : ""), dataset: { name: row.name } },
        h("label", { for: id },
          h("input", { type: "checkbox", id, checked: row.checked,
            onchange: (e) => on.edit({ do: "setFilter", name: row.name, on: e.target.checked }, { focus: id }) }),
          " ", row.field ? fieldLabel(text, row.field) : row.name),
        why ? h("span", { class: "text-danger tb-s-reason" }, " ", why) : null, errorLine(id));
    }),
    explicit ? h("button", { type: "button", class: "btn btn-default btn-xs", id: ID + "filters-all",
      onclick: () => on.edit({ do: "useEveryFilter" }, { focus: ID + "filters-all" }) }, text.say("filtersAll")) : null,
    errorLine(ID + "filters-all"));
}

function departmentControl(view, text, on) {
  const id = ID + "department";
  const value = typeof view.department.value === "string" ? view.department.value : "";
  const options = [{ value: "", label: text.say("noDepartment") },
    ...view.department.options.map((d) => ({ value: d.key, label: text.say("departmentOption", { name: d.name, key: d.key }) }))];
  return group(id, text.say("department"), select(id, value, options,
    (key) => on.edit({ do: "setDepartment", key }, { focus: id }), text.say("unknownDepartment", { key: value })),
  text.say("departmentHelp"));
}

function workflowControl(view, text, on) {
  const id = ID + "workflow";
  const value = typeof view.workflow.value === "string" ? view.workflow.value : "";
  const options = [{ value: "", label: text.say("defaultWorkflow") }, ...view.workflow.options.map((w) => {
    const label = text.say("workflowOption", { title: w.title || w.key, key: w.key });
    return { value: w.key, label: w.published ? label : text.say("unpublished", { label }) };
  })];
  return group(id, text.say("workflow"), select(id, value, options,
    (key) => on.edit({ do: "setWorkflow", key }, { focus: id }), text.say("unknownWorkflow", { key: value })),
  text.say("workflowHelp"));
}

function channelsControl(view, text, on) {
  const names = text.strings.channelNames || {};
  return h("fieldset", { class: "form-group tb-s-group", id: ID + "channels" },
    h("legend", { class: "control-label h6" }, text.say("channels")),
    h("p", { class: "help-block" }, text.say("channelsHelp")),
    view.channels.rows.map((row) => {
      const id = ID + "channel-" + encodeURIComponent(row.name);
      return h("div", { class: "checkbox checkbox-inline tb-s-channel" }, h("label", { for: id },
        h("input", { type: "checkbox", id, checked: row.checked, dataset: { channel: row.name },
          onchange: (e) => on.edit({ do: "setChannel", name: row.name, on: e.target.checked, order: view.channels.order }, { focus: id }) }),
        " ", names[row.name] || row.name), errorLine(id));
    }));
}

/** The settings section, or a note when the settings are not an object. */
export function renderSettingsPanel(view, text, on) {
  const heading = h("h3", { class: "h5", id: ID + "heading" }, text.say("heading"));
  if (view.unreadable) {
    return h("section", { class: "tb-settings", id: "tb-settings", "aria-labelledby": ID + "heading" }, heading,
      h("p", { class: "alert alert-warning", id: ID + "unreadable" }, text.say("unreadable")));
  }
  const status = view.failed || (view.loading ? text.say("loadingFields") : "");
  return h("section", { class: "tb-settings", id: "tb-settings", "aria-labelledby": ID + "heading" }, heading,
    h("p", { class: "text-muted tb-s-status", id: ID + "status", role: "status" }, status),
    h("div", { class: "tb-s-grid" },
      h("div", {}, subjectControl(view, text, on), departmentControl(view, text, on), workflowControl(view, text, on),
        channelsControl(view, text, on)),
      h("div", {}, columnsControl(view, text, on), filtersControl(view, text, on))));
}
