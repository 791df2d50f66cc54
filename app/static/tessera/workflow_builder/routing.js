/* What the builder does to routing: rules (add, delete, rename, reorder), each rule's condition
 * (../builder/condition.js) and what it decides (department, strategy, priority, skills), and
 * the workflow's default strategy. One small edit at a time (../builder/document.js). */
import { isMap } from "../builder/json.js";
import { EditError, get } from "../builder/document.js";
import { readCondition, writeCondition } from "../builder/condition.js";
import { PRIORITIES, RULES } from "./model.js";
import {
  addTo, blank, checkName, conditionOf, freeName, itemAt, moveItem, namesAt, takeFrom,
} from "./common.js";

export const STRATEGIES = ["round_robin", "least_loaded", "skills", "manual"];
const DEPARTMENT = /^[a-z][a-z0-9_-]{1,63}$/;

function ensureRules(tx) {
  if (get(tx.doc, ["routing"]) === undefined) { tx.put([], "routing", new Map()); }
  const rules = get(tx.doc, RULES);
  if (rules === undefined) { tx.ensure(["routing"]); tx.put(["routing"], "rules", []); }
  else if (!Array.isArray(rules)) { throw new EditError("routing.rules is not a list; edit it in the JSON"); }
  return get(tx.doc, RULES);
}

function thenOf(tx, index) {
  const rule = itemAt(tx.doc, RULES, index);
  if (get(tx.doc, [...rule, "then"]) === undefined) { tx.put(rule, "then", new Map()); }
  if (!isMap(get(tx.doc, [...rule, "then"]))) { throw new EditError("this rule's then is edited in the JSON"); }
  return [...rule, "then"];
}

function choice(value, allowed, what) {
  const picked = blank(value);
  if (picked !== undefined && !allowed.includes(picked)) { throw new EditError("unknown " + what + " " + JSON.stringify(value)); }
  return picked;
}

export const ROUTING_ACTIONS = {
  addRule(tx, { name, label, department, index }) {
    const rules = ensureRules(tx);
    const taken = namesAt(tx.doc, RULES);
    const wanted = name ? checkName(name) : freeName(taken, "rule_" + (rules.length + 1));
    if (taken.includes(wanted)) { throw new EditError("the name " + JSON.stringify(wanted) + " is taken"); }
    const rule = new Map([["name", wanted]]);
    if (blank(label)) { rule.set("label", blank(label)); }
    rule.set("when", true);
    rule.set("then", new Map(blank(department) ? [["department", blank(department)]] : []));
    const at = index === undefined ? rules.length : Math.max(0, Math.min(index, rules.length));
    tx.splice(RULES, at, 0, [rule]);
    return at;
  },
  deleteRule(tx, { index }) { itemAt(tx.doc, RULES, index); tx.splice(RULES, index, 1); },
  moveRule(tx, { index, to }) { itemAt(tx.doc, RULES, index); moveItem(tx, RULES, index, to); },
  moveRuleBy(tx, { index, by }) { itemAt(tx.doc, RULES, index); moveItem(tx, RULES, index, index + by); },
  renameRule(tx, { index, to }) {
    const path = itemAt(tx.doc, RULES, index);
    const name = checkName(to);
    if (name === get(tx.doc, [...path, "name"])) { return; }
    if (namesAt(tx.doc, RULES).includes(name)) { throw new EditError("the name " + JSON.stringify(name) + " is taken"); }
    tx.set(path, "name", name);
  },
  setRuleLabel(tx, { index, value }) { tx.set(itemAt(tx.doc, RULES, index), "label", blank(value)); },
  setRuleCondition(tx, { index, condition, force }) {
    const path = itemAt(tx.doc, RULES, index);
    const when = get(tx.doc, [...path, "when"]);
    if (!force && when !== undefined && readCondition(when) === null) {
      throw new EditError("this rule's condition is edited in the JSON");
    }
    tx.set(path, "when", writeCondition(conditionOf(condition)));
  },
  setRuleDepartment(tx, { index, value }) {
    const picked = blank(value);
    if (picked !== undefined && !DEPARTMENT.test(picked)) { throw new EditError("not a department key: " + JSON.stringify(value)); }
    tx.set(thenOf(tx, index), "department", picked);
  },
  setRuleStrategy(tx, { index, value }) { tx.set(thenOf(tx, index), "strategy", choice(value, STRATEGIES, "strategy")); },
  setRulePriority(tx, { index, value }) { tx.set(thenOf(tx, index), "priority", choice(value, PRIORITIES, "priority")); },
  setRuleSkill(tx, { index, skill, value }) {
    const then = thenOf(tx, index);
    const name = blank(skill);
    if (!name) { throw new EditError("which skill?"); }
    if (value) { addTo(tx, then, "skills", name); return; }
    takeFrom(tx, then, "skills", name);
    const left = get(tx.doc, [...then, "skills"]);
    if (Array.isArray(left) && !left.length) { tx.remove(then, "skills"); }
  },
  setDefaultStrategy(tx, { value }) {
    const picked = choice(value, STRATEGIES, "strategy");
    if (picked === undefined && get(tx.doc, ["routing"]) === undefined) { return; }
    if (get(tx.doc, ["routing"]) === undefined) { tx.put([], "routing", new Map()); }
    tx.set(["routing"], "strategy", picked);
  },
};
