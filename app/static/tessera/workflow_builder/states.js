/* What the builder does to states, the initial state and transitions: one small edit at a time
 * (../builder/document.js), each action a function of (transaction, arguments). Renaming a state
 * follows it into the transitions' from/to, `initial` and `auto_close.to`. */
import { isMap } from "../builder/json.js";
import { EditError, get } from "../builder/document.js";
import { writeCondition } from "../builder/condition.js";
import { readApproval, readRequires } from "./model.js";
import {
  addTo, blank, checkName, conditionOf, freeName, itemAt, moveItem, namesAt, takeFrom,
} from "./common.js";

const STATES = ["states"];
const TRANSITIONS = ["transitions"];
const CATEGORIES = ["new", "open", "waiting", "solved", "closed"];
const ROLES = ["agent", "head", "admin"];

function ensureList(tx, key) {
  const found = get(tx.doc, [key]);
  if (found === undefined) { tx.put([], key, []); return get(tx.doc, [key]); }
  if (!Array.isArray(found)) { throw new EditError(key + " is not a list; edit it in the JSON"); }
  return found;
}

function stateNames(doc) { return namesAt(doc, STATES).filter((n) => typeof n === "string"); }

function checkState(doc, name) {
  if (!stateNames(doc).includes(name)) { throw new EditError("there is no state " + JSON.stringify(name)); }
  return name;
}

/** Every place that names a state: [{path, key}] for plain members, lists for from. */
function usesOf(doc, name) {
  const uses = [];
  if (get(doc, ["initial"]) === name) { uses.push("initial"); }
  (get(doc, TRANSITIONS) || []).forEach((t, i) => {
    if (!isMap(t)) { return; }
    const label = t.get("name") || String(i + 1);
    if (t.get("to") === name) { uses.push(label + " (to)"); }
    if (Array.isArray(t.get("from")) && t.get("from").includes(name)) { uses.push(label + " (from)"); }
  });
  if (get(doc, ["auto_close", "to"]) === name) { uses.push("auto_close"); }
  return uses;
}

function setLabel(tx, path, value) { tx.set(path, "label", blank(value)); }

function requiresPaths(t) {
  const requires = [...t, "requires"];
  const props = [...requires, "properties"];
  const data = [...props, "data"];
  return { requires, props, data };
}

/** Drop what the required-fields shape leaves empty, up to `requires` itself. */
function tidyRequires(tx, t) {
  const p = requiresPaths(t);
  const named = get(tx.doc, [...p.data, "required"]);
  if (Array.isArray(named) && !named.length) { tx.remove(p.data, "required"); }
  if (isMap(get(tx.doc, p.data)) && get(tx.doc, p.data).size === 0) { tx.remove(p.props, "data"); }
  if (isMap(get(tx.doc, p.props)) && get(tx.doc, p.props).size === 0) { tx.remove(p.requires, "properties"); }
  const requires = get(tx.doc, p.requires);
  const top = isMap(requires) ? requires.get("required") : undefined;
  if (isMap(requires) && !requires.has("properties") && Array.isArray(top) && top.every((n) => n === "data")) {
    tx.remove(p.requires, "required");
  }
  if (isMap(get(tx.doc, p.requires)) && get(tx.doc, p.requires).size === 0) { tx.remove(t, "requires"); }
}

export const STATE_ACTIONS = {
  addState(tx, { name, label, category }) {
    ensureList(tx, "states");
    const wanted = name ? checkName(name) : freeName(stateNames(tx.doc), "state");
    if (stateNames(tx.doc).includes(wanted)) { throw new EditError("the name " + JSON.stringify(wanted) + " is taken"); }
    const cat = category || "open";
    if (!CATEGORIES.includes(cat)) { throw new EditError("unknown category " + JSON.stringify(cat)); }
    const state = new Map([["name", wanted]]);
    if (blank(label)) { state.set("label", blank(label)); }
    state.set("category", cat);
    tx.splice(STATES, get(tx.doc, STATES).length, 0, [state]);
    if (get(tx.doc, ["initial"]) === undefined) { tx.put([], "initial", wanted); }
    return get(tx.doc, STATES).length - 1;
  },
  deleteState(tx, { index }) {
    const path = itemAt(tx.doc, STATES, index);
    const name = get(tx.doc, [...path, "name"]);
    const uses = usesOf(tx.doc, name);
    if (uses.length) { throw new EditError("the state " + JSON.stringify(name) + " is still used: " + uses.join(", ")); }
    tx.splice(STATES, index, 1);
  },
  renameState(tx, { index, to }) {
    const path = itemAt(tx.doc, STATES, index);
    const name = checkName(to);
    const old = get(tx.doc, [...path, "name"]);
    if (name === old) { return; }
    if (stateNames(tx.doc).includes(name)) { throw new EditError("the name " + JSON.stringify(name) + " is taken"); }
    tx.set(path, "name", name);
    if (typeof old !== "string") { return; }
    if (get(tx.doc, ["initial"]) === old) { tx.put([], "initial", name); }
    (get(tx.doc, TRANSITIONS) || []).forEach((t, i) => {
      if (!isMap(t)) { return; }
      if (t.get("to") === old) { tx.put([...TRANSITIONS, i], "to", name); }
      const from = t.get("from");
      if (Array.isArray(from)) {
        from.forEach((item, j) => { if (item === old) { tx.splice([...TRANSITIONS, i, "from"], j, 1, [name]); } });
      }
    });
    if (get(tx.doc, ["auto_close", "to"]) === old) { tx.put(["auto_close"], "to", name); }
  },
  setStateLabel(tx, { index, value }) { setLabel(tx, itemAt(tx.doc, STATES, index), value); },
  setStateCategory(tx, { index, value }) {
    if (!CATEGORIES.includes(value)) { throw new EditError("unknown category " + JSON.stringify(value)); }
    tx.set(itemAt(tx.doc, STATES, index), "category", value);
  },
  moveState(tx, { index, by }) { itemAt(tx.doc, STATES, index); moveItem(tx, STATES, index, index + by); },
  setInitial(tx, { value }) { tx.put([], "initial", checkState(tx.doc, value)); },

  addTransition(tx, { name, label }) {
    ensureList(tx, "transitions");
    const states = stateNames(tx.doc);
    if (!states.length) { throw new EditError("add a state first"); }
    const taken = namesAt(tx.doc, TRANSITIONS);
    const wanted = name ? checkName(name) : freeName(taken, "transition");
    if (taken.includes(wanted)) { throw new EditError("the name " + JSON.stringify(wanted) + " is taken"); }
    const t = new Map([["name", wanted]]);
    if (blank(label)) { t.set("label", blank(label)); }
    t.set("from", [states[0]]);
    t.set("to", states[Math.min(1, states.length - 1)]);
    t.set("roles", ["agent", "head"]);
    tx.splice(TRANSITIONS, get(tx.doc, TRANSITIONS).length, 0, [t]);
    return get(tx.doc, TRANSITIONS).length - 1;
  },
  deleteTransition(tx, { index }) { itemAt(tx.doc, TRANSITIONS, index); tx.splice(TRANSITIONS, index, 1); },
  renameTransition(tx, { index, to }) {
    const path = itemAt(tx.doc, TRANSITIONS, index);
    const name = checkName(to);
    if (name === get(tx.doc, [...path, "name"])) { return; }
    if (namesAt(tx.doc, TRANSITIONS).includes(name)) { throw new EditError("the name " + JSON.stringify(name) + " is taken"); }
    tx.set(path, "name", name);
  },
  setTransitionLabel(tx, { index, value }) { setLabel(tx, itemAt(tx.doc, TRANSITIONS, index), value); },
  moveTransition(tx, { index, by }) { itemAt(tx.doc, TRANSITIONS, index); moveItem(tx, TRANSITIONS, index, index + by); },
  setTransitionTo(tx, { index, value }) { tx.set(itemAt(tx.doc, TRANSITIONS, index), "to", checkState(tx.doc, value)); },
  setTransitionFrom(tx, { index, state, value }) {
    const path = itemAt(tx.doc, TRANSITIONS, index);
    const from = get(tx.doc, [...path, "from"]);
    if (value) { addTo(tx, path, "from", checkState(tx.doc, state)); return; }
    if (Array.isArray(from) && from.length === 1 && from[0] === state) {
      throw new EditError("a transition starts from at least one state");
    }
    takeFrom(tx, path, "from", state);
  },
  setTransitionRole(tx, { index, role, value }) {
    const path = itemAt(tx.doc, TRANSITIONS, index);
    if (!ROLES.includes(role)) { throw new EditError("unknown role " + JSON.stringify(role)); }
    const roles = get(tx.doc, [...path, "roles"]);
    if (value) { addTo(tx, path, "roles", role); return; }
    if (Array.isArray(roles) && roles.length === 1 && roles[0] === role) {
      throw new EditError("someone must be allowed to take a transition");
    }
    takeFrom(tx, path, "roles", role);
  },
  setRequiredField(tx, { index, field, value }) {
    const t = itemAt(tx.doc, TRANSITIONS, index);
    const p = requiresPaths(t);
    const now = readRequires(get(tx.doc, p.requires));
    if (!now.editable) { throw new EditError("what this transition requires is edited in the JSON"); }
    if (typeof field !== "string" || !field) { throw new EditError("which field?"); }
    if (value === now.fields.includes(field)) { return; }
    if (!value) { takeFrom(tx, p.data, "required", field); tidyRequires(tx, t); return; }
    if (get(tx.doc, p.requires) === undefined) { tx.put(t, "requires", new Map()); }
    tx.ensure(p.data);
    addTo(tx, p.data, "required", field);
    addTo(tx, p.requires, "required", "data");
  },
  setApproval(tx, { index, value }) {
    const t = itemAt(tx.doc, TRANSITIONS, index);
    if (value && get(tx.doc, [...t, "approval"]) === undefined) {
      tx.put(t, "approval", new Map([["by", "department_head"]]));
    } else if (!value) { tx.remove(t, "approval"); }
  },
  setApprovalCondition(tx, { index, condition, force }) {
    const t = itemAt(tx.doc, TRANSITIONS, index);
    const approval = [...t, "approval"];
    if (!isMap(get(tx.doc, approval))) { throw new EditError("this transition needs no approval"); }
    if (!force && readApproval(get(tx.doc, approval)).condition === null) {
      throw new EditError("this approval condition is edited in the JSON");
    }
    const schema = writeCondition(conditionOf(condition));
    tx.set(approval, "when", schema === true ? undefined : schema);
  },
};
