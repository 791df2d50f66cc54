/* Condition rows "⟨field⟩ ⟨operator⟩ ⟨value⟩", all or any of them, over the ticket document
 * (docs/workflows.md): the custom fields of the workflow's templates as ["data", name], then
 * what every ticket has. Edits go out whole through `commit(condition, options)`; the condition
 * is written by ../builder/condition.js. */
import { Num, serialize } from "../builder/json.js";
import { VALUELESS } from "../builder/condition.js";
import { WEEKDAYS } from "./model.js";
import { button, errorSlot, h, say, select, text } from "./controls.js";

const OPS_OF = {
  enum: ["is", "isNot", "oneOf", "empty", "filled"],
  number: ["is", "isNot", "gt", "gte", "lt", "lte", "empty", "filled"],
  boolean: ["is", "isNot", "empty", "filled"],
  text: ["is", "isNot", "oneOf", "empty", "filled"],
};
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const key = (path) => JSON.stringify(path);
const enumOf = (values, labels = {}) => values.map((v) => ({ value: v, label: labels[v] || v }));

/** The fields a condition can test: [{path, label, kind, options?}]. */
export function catalogue(state, strings) {
  const words = strings.docFields || {};
  const p = state.palette;
  const custom = state.fields.map((f) => ({
    path: ["data", f.name], label: say(strings, "customField", { title: f.title, name: f.name }),
    kind: OPS_OF[f.kind] ? f.kind : "text",
    options: Array.isArray(f.options) && f.options.length ? f.options : undefined,
  }));
  const of = (path, kind, options) => ({ path, label: words[path.join(".")] || path.join("."), kind, options });
  const templates = state.templates.length ? enumOf(state.templates.map((t) => t.key)) : undefined;
  return [
    ...custom,
    of(["priority"], "enum", enumOf(p.priorities, strings.priorities)),
    of(["channel"], "enum", enumOf(p.channels)),
    of(["template"], templates ? "enum" : "text", templates),
    of(["state"], "enum", enumOf(state.stateNames)),
    of(["department"], "enum", p.departments.map((d) => ({ value: d.key, label: d.name }))),
    of(["requester", "name"], "text"), of(["requester", "email"], "text"), of(["requester", "phone"], "text"),
    of(["hour"], "number"), of(["weekday"], "enum", enumOf(WEEKDAYS, strings.weekdays)),
    of(["in_business_hours"], "boolean"), of(["chases"], "number"), of(["created_at"], "text"),
  ].map((f) => (f.kind === "enum" && !f.options ? { ...f, kind: "text" } : f));
}

function guessKind(value) {
  if (value instanceof Num) { return "number"; }
  if (typeof value === "boolean") { return "boolean"; }
  return "text";
}

function fieldOf(fields, test) {
  const found = fields.find((f) => key(f.path) === key(test.path));
  return found || { path: test.path, label: test.path.join(" › "), kind: guessKind(test.value), unknown: true };
}

function defaultValue(field, op) {
  if (VALUELESS.includes(op)) { return undefined; }
  const first = field.options ? field.options[0].value : field.kind === "number" ? new Num("0") : field.kind === "boolean" ? true : "";
  return op === "oneOf" ? [first] : first;
}

const asText = (value) => (value instanceof Num ? value.text : typeof value === "string" ? value : serialize(value));

function valueControl(id, field, test, strings, change) {
  const label = say(strings, "conditionValue");
  if (VALUELESS.includes(test.op)) { return null; }
  if (field.options && test.op === "oneOf") {
    const chosen = new Set((Array.isArray(test.value) ? test.value : []).map(serialize));
    return h("span", { class: "wb-oneof", role: "group", "aria-label": label, id },
      field.options.map((o, k) => h("label", { class: "checkbox-inline", for: `${id}-${k}` },
        h("input", { type: "checkbox", id: `${id}-${k}`, checked: chosen.has(serialize(o.value)),
          onchange: (e) => {
            const next = field.options.filter((x, j) => (j === k ? e.target.checked : chosen.has(serialize(x.value))));
            change({ ...test, value: next.map((x) => x.value) });
          } }), " ", o.label)));
  }
  if (field.options || field.kind === "boolean") {
    const options = field.options || [{ value: true, label: say(strings, "yes") }, { value: false, label: say(strings, "no") }];
    const now = options.findIndex((o) => serialize(o.value) === serialize(test.value));
    const pairs = options.map((o, k) => [String(k), o.label]);
    if (now < 0) { pairs.push(["", asText(test.value)]); }
    return select(id, pairs, now < 0 ? "" : String(now), (v) => v !== "" && change({ ...test, value: options[Number(v)].value }),
      { "aria-label": label });
  }
  const number = field.kind === "number";
  const shown = test.op === "oneOf" && Array.isArray(test.value) ? test.value.map(asText).join(", ") : asText(test.value);
  return text(id, shown, { "aria-label": label, inputmode: number ? "decimal" : null,
    placeholder: test.op === "oneOf" ? say(strings, "commaSeparated") : null,
    oninput: (typed) => {
      const parts = test.op === "oneOf" ? typed.split(",").map((s) => s.trim()).filter(Boolean) : [typed.trim()];
      if (number && !parts.every((s) => NUMBER.test(s))) { change(null, say(strings, "notNumber")); return; }
      const values = number ? parts.map((s) => new Num(s)) : test.op === "oneOf" ? parts : [typed];
      change({ ...test, value: test.op === "oneOf" ? values : values[0] }, null, id);
    } });
}

/** The condition rows of `condition` (null: written by hand, kept; offered to be replaced).
 * `current()` answers the condition as the document holds it now: typing edits it without
 * drawing again, so every control starts from it rather than from what was drawn. */
export function conditionEditor({ id, condition, current, fields, strings, empty, commit, label }) {
  if (condition === null) {
    return h("div", { class: "wb-condition", id, role: "group", "aria-label": label },
      h("p", { class: "text-muted wb-advanced" }, say(strings, "conditionByHand")),
      button(id + "-replace", say(strings, "conditionReplace"), say(strings, "conditionReplace"),
        () => commit({ match: "all", tests: [] }, { force: true, focus: id + "-add" })),
      errorSlot(id));
  }
  const now = () => current() || condition;
  const update = (change, options) => {
    const fresh = now();
    commit({ ...fresh, tests: change(fresh.tests) }, options);
  };
  const tests = condition.tests;
  const rows = tests.map((test, i) => {
    const field = fieldOf(fields, test);
    const known = field.unknown ? [...fields, field] : fields;
    const ops = OPS_OF[field.kind] || OPS_OF.text;
    const offered = ops.includes(test.op) ? ops : [...ops, test.op];
    const rowId = `${id}-${i}`;
    const replace = (make, options) => update((list) => list.map((t, j) => (j === i ? make(t) : t)), options);
    const change = (next, problem, merge) => {
      if (!next) { commit(null, { problem, control: rowId + "-value" }); return; }
      replace((t) => ({ ...t, value: next.value }), merge ? { merge } : { focus: rowId + "-value" });
    };
    return h("li", { class: "wb-test" },
      select(rowId + "-field", known.map((f) => [key(f.path), f.label]), key(test.path), (v) => {
        const picked = known.find((f) => key(f.path) === v);
        const pickedOps = OPS_OF[picked.kind] || OPS_OF.text;
        replace((t) => {
          const op = pickedOps.includes(t.op) ? t.op : pickedOps[0];
          return { path: picked.path, op, value: defaultValue(picked, op) };
        }, { focus: rowId + "-field" });
      }, { "aria-label": say(strings, "conditionField", { n: i + 1 }) }),
      select(rowId + "-op", offered.map((op) => [op, say(strings.ops, op)]), test.op, (op) => replace((t) => {
        const keep = !VALUELESS.includes(op) && !VALUELESS.includes(t.op) && (op === "oneOf") === (t.op === "oneOf");
        return { path: t.path, op, value: keep ? t.value : defaultValue(field, op) };
      }, { focus: rowId + "-op" }), { "aria-label": say(strings, "conditionOp", { n: i + 1 }) }),
      valueControl(rowId + "-value", field, test, strings, change),
      button(rowId + "-remove", "✕", say(strings, "conditionRemove", { n: i + 1 }),
        () => update((list) => list.filter((t, j) => j !== i),
          { focus: tests.length > 1 ? `${id}-${Math.max(0, i - 1)}-field` : id + "-add" }), { danger: true }),
      errorSlot(rowId + "-value"));
  });
  const first = fields[0];
  return h("div", { class: "wb-condition", id, role: "group", "aria-label": label },
    tests.length > 1 ? select(id + "-match", [["all", say(strings, "matchAll")], ["any", say(strings, "matchAny")]],
      condition.match, (match) => commit({ ...now(), match }, { focus: id + "-match" }),
      { "aria-label": say(strings, "match") }) : null,
    tests.length ? h("ol", { class: "wb-tests" }, rows) : h("p", { class: "wb-every" }, empty),
    first ? button(id + "-add", "+ " + say(strings, "conditionAdd"), say(strings, "conditionAdd"), () => update(
      (list) => [...list, { path: first.path, op: OPS_OF[first.kind][0], value: defaultValue(first, OPS_OF[first.kind][0]) }],
      { focus: `${id}-${tests.length}-field` })) : null,
    errorSlot(id));
}
