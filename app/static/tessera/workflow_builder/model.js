/* Reading a workflow as the builder shows it: states, transitions (with the custom fields their
 * `requires` makes required and their approval), routing rules, SLA policies and the business
 * calendar, each with what is "advanced" (kept as written, edited only in the JSON). Pure:
 * documents in (see ../builder/json.js; the root holds the editor's parts by name), plain
 * values out. */
import { Num, isMap } from "../builder/json.js";
import { get } from "../builder/document.js";
import { readCondition } from "../builder/condition.js";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];
export const TARGETS = ["first_response", "resolution"];
export const DATE_LISTS = ["holidays", "workdays"];

export const RULES = ["routing", "rules"];
export const POLICIES = ["sla", "policies"];
export const CALENDAR = ["sla", "calendar"];

const STATE_KEYS = ["name", "label", "category"];
const TRANSITION_KEYS = ["name", "label", "from", "to", "roles", "requires", "approval"];
const RULE_KEYS = ["name", "label", "when", "then"];
const THEN_KEYS = ["department", "priority", "skills", "strategy"];
const POLICY_KEYS = ["name", "label", "when", "targets"];
const CALENDAR_KEYS = ["timezone", "hours", "holidays", "workdays"];

const str = (map, key) => (isMap(map) && typeof map.get(key) === "string" ? map.get(key) : undefined);
const strings = (value) => (Array.isArray(value) ? value.filter((v) => typeof v === "string") : []);
const others = (map, known) => (isMap(map) ? Array.from(map.keys()).filter((k) => !known.includes(k)) : []);
const list = (doc, path) => (Array.isArray(get(doc, path)) ? get(doc, path) : []);

/** The states, in order: {index, name, label, category, advanced}. */
export function readStates(doc) {
  return list(doc, ["states"]).map((state, index) => ({
    index, name: str(state, "name") ?? "", label: str(state, "label"), category: str(state, "category"),
    advanced: isMap(state) ? others(state, STATE_KEYS) : ["(not an object)"],
  }));
}

/** The custom fields a `requires` condition makes required, and whether the builder edits it.
 * The builder's shape: {"properties": {"data": {"required": [...]}}, "required": ["data"]};
 * anything else in `requires` is kept ("advanced"). */
export function readRequires(requires) {
  if (requires === undefined) { return { fields: [], editable: true, advanced: [] }; }
  if (!isMap(requires)) { return { fields: [], editable: false, advanced: ["requires"] }; }
  const props = requires.get("properties");
  const data = isMap(props) ? props.get("data") : undefined;
  const named = isMap(data) ? data.get("required") : undefined;
  const editable = (props === undefined || isMap(props)) && (data === undefined || isMap(data))
    && (named === undefined || (Array.isArray(named) && named.every((n) => typeof n === "string")));
  const top = requires.get("required");
  const advanced = [
    ...others(requires, ["properties", "required"]),
    ...(top !== undefined && !(Array.isArray(top) && top.every((n) => n === "data")) ? ["required"] : []),
    ...others(props, ["data"]).map((k) => "properties/" + k),
    ...others(data, ["required"]).map((k) => "properties/data/" + k),
  ];
  if (!editable) { advanced.push("properties/data"); }
  return { fields: editable ? strings(named) : [], editable, advanced };
}

/** A transition's approval: {on, condition (null: a `when` the builder does not read), advanced}. */
export function readApproval(approval) {
  if (approval === undefined) { return { on: false, condition: { match: "all", tests: [] }, advanced: [] }; }
  if (!isMap(approval)) { return { on: true, condition: null, advanced: ["approval"] }; }
  const when = approval.get("when");
  const condition = when === undefined ? { match: "all", tests: [] } : readCondition(when);
  return { on: true, condition, advanced: [...others(approval, ["by", "when"]), ...(condition ? [] : ["when"])] };
}

/** The transitions, in order. */
export function readTransitions(doc) {
  return list(doc, ["transitions"]).map((t, index) => ({
    index, name: str(t, "name") ?? "", label: str(t, "label"), from: strings(isMap(t) ? t.get("from") : []),
    to: str(t, "to"), roles: strings(isMap(t) ? t.get("roles") : []),
    requires: readRequires(isMap(t) ? t.get("requires") : undefined),
    approval: readApproval(isMap(t) ? t.get("approval") : undefined),
    advanced: isMap(t) ? others(t, TRANSITION_KEYS) : ["(not an object)"],
  }));
}

/** The routing rules, in order; `condition` is null when `when` is not a shape the builder writes. */
export function readRules(doc) {
  return list(doc, RULES).map((rule, index) => {
    const then = isMap(rule) ? rule.get("then") : undefined;
    const when = isMap(rule) ? rule.get("when") : undefined;
    const condition = when === undefined ? { match: "all", tests: [] } : readCondition(when);
    return {
      index, name: str(rule, "name") ?? "", label: str(rule, "label"), condition,
      every: when === true, department: str(then, "department"), priority: str(then, "priority"),
      strategy: str(then, "strategy"), skills: strings(isMap(then) ? then.get("skills") : []),
      advanced: [...(isMap(rule) ? others(rule, RULE_KEYS) : ["(not an object)"]),
        ...others(then, THEN_KEYS).map((k) => "then/" + k)],
    };
  });
}

/** The SLA policies: {index, name, label, condition, targets: {priority: {first_response, resolution}}}. */
export function readPolicies(doc) {
  return list(doc, POLICIES).map((policy, index) => {
    const targets = isMap(policy) ? policy.get("targets") : undefined;
    const when = isMap(policy) ? policy.get("when") : undefined;
    const grid = {};
    for (const priority of PRIORITIES) {
      const entry = isMap(targets) ? targets.get(priority) : undefined;
      grid[priority] = Object.fromEntries(TARGETS.map((which) => [which, str(entry, which)]));
    }
    return {
      index, name: str(policy, "name") ?? "", label: str(policy, "label"), targets: grid,
      condition: when === undefined ? { match: "all", tests: [] } : readCondition(when),
      advanced: [...(isMap(policy) ? others(policy, POLICY_KEYS) : ["(not an object)"]),
        ...others(targets, PRIORITIES).map((k) => "targets/" + k)],
    };
  });
}

/** The business calendar: timezone, hours per weekday ([[start, end], ...]), the date lists. */
export function readCalendar(doc) {
  const calendar = get(doc, CALENDAR);
  const hours = isMap(calendar) ? calendar.get("hours") : undefined;
  const week = {};
  for (const day of WEEKDAYS) {
    const ranges = isMap(hours) ? hours.get(day) : undefined;
    week[day] = Array.isArray(ranges) ? ranges.map((r) => (Array.isArray(r) ? r.map((t) => (typeof t === "string" ? t : "")) : ["", ""])) : [];
  }
  const warning = get(doc, ["sla", "warning"]);
  return {
    present: isMap(calendar), timezone: str(calendar, "timezone"), hours: week, allWeek: !isMap(hours),
    holidays: strings(isMap(calendar) ? calendar.get("holidays") : []),
    workdays: strings(isMap(calendar) ? calendar.get("workdays") : []),
    warning: warning instanceof Num ? warning.text : undefined,
    advanced: [...others(calendar, CALENDAR_KEYS), ...others(hours, WEEKDAYS).map((k) => "hours/" + k)],
  };
}

function unescapeToken(token) { return token.replace(/~1/g, "/").replace(/~0/g, "~"); }

const INDEX = /^[0-9]+$/;
const OWN = { states: STATE_KEYS, transitions: ["name", "label", "to"] };
const AREA = { from: "from", roles: "roles", requires: "requires", approval: "approval", when: "when" };

function itemControl(prefix, i, rest, own) {
  if (own.includes(rest[0])) { return `${prefix}-${i}-${rest[0]}`; }
  if (AREA[rest[0]]) { return `${prefix}-${i}-${AREA[rest[0]]}`; }
  return `${prefix}-${i}-name`;
}

function routingControl(tokens) {
  if (tokens[0] === "strategy") { return "wb-strategy"; }
  if (tokens[0] !== "rules" || !INDEX.test(tokens[1] || "")) { return null; }
  const [, i, what, field] = tokens;
  if (what === "then" && THEN_KEYS.includes(field)) { return `wb-rule-${i}-${field}`; }
  if (what === "then") { return `wb-rule-${i}-department`; }
  return ["name", "label", "when"].includes(what) ? `wb-rule-${i}-${what}` : `wb-rule-${i}-name`;
}

function slaControl(tokens) {
  if (tokens[0] === "warning") { return "wb-warning"; }
  if (tokens[0] === "calendar") {
    if (tokens[1] === "hours" && WEEKDAYS.includes(tokens[2])) { return `wb-hours-${tokens[2]}`; }
    if (["timezone", "holidays", "workdays"].includes(tokens[1])) { return "wb-" + tokens[1]; }
    return tokens[1] === "hours" ? "wb-hours" : "wb-calendar";
  }
  if (tokens[0] !== "policies" || !INDEX.test(tokens[1] || "")) { return null; }
  const [, p, what, priority, which] = tokens;
  if (what === "targets" && PRIORITIES.includes(priority) && TARGETS.includes(which)) {
    return `wb-policy-${p}-${priority}-${which}`;
  }
  if (what === "targets") { return `wb-policy-${p}-targets`; }
  return ["name", "label", "when"].includes(what) ? `wb-policy-${p}-${what}` : `wb-policy-${p}-name`;
}

/** The id of the builder control a server error's JSON pointer is about, or null. */
export function controlOfPointer(pointer) {
  if (typeof pointer !== "string" || !pointer.startsWith("/")) { return null; }
  const [part, ...rest] = pointer.split("/").slice(1).map(unescapeToken);
  if (part === "initial") { return "wb-initial"; }
  if (part === "states" || part === "transitions") {
    if (!INDEX.test(rest[0] || "")) { return null; }
    return itemControl(part === "states" ? "wb-state" : "wb-tr", rest[0], rest.slice(1), OWN[part]);
  }
  if (part === "routing") { return routingControl(rest); }
  if (part === "sla") { return slaControl(rest); }
  return null;
}
