/* What the builder does to the SLA: policies and their targets (ISO 8601 durations of business
 * time, as the engine reads them: workflows/durations.py), the business calendar (timezone,
 * weekly hours, holidays and make-up workdays) and the warning ratio. */
import { Num, isMap } from "../builder/json.js";
import { EditError, get } from "../builder/document.js";
import { writeCondition, readCondition } from "../builder/condition.js";
import { CALENDAR, DATE_LISTS, POLICIES, PRIORITIES, TARGETS, WEEKDAYS } from "./model.js";
import { blank, checkName, conditionOf, freeName, itemAt, moveItem, namesAt } from "./common.js";

// What workflows/durations.py accepts: weeks, days, hours, minutes, seconds (months refused).
const DURATION = /^P(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?$/;
const WHOLE_MINUTES = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?)?$/;
const TIME = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** Whether `text` is a duration the engine accepts. */
export function isDuration(text) { return text !== "P" && DURATION.test(text); }

/** A duration as {hours, minutes} (days and weeks as hours), or null when it has seconds. */
export function durationParts(text) {
  const found = typeof text === "string" && text !== "P" ? WHOLE_MINUTES.exec(text) : null;
  if (!found) { return null; }
  const [w, d, h, m] = found.slice(1).map((n) => Number(n || 0));
  return { hours: w * 168 + d * 24 + h, minutes: m };
}

/** The duration of `hours` and `minutes` (PT4H, PT1H30M, PT45M); undefined for none. */
export function durationOf(hours, minutes) {
  const h = Number(hours || 0);
  const m = Number(minutes || 0);
  if (!Number.isInteger(h) || !Number.isInteger(m) || h < 0 || m < 0) {
    throw new EditError("hours and minutes are whole numbers, 0 or more");
  }
  const total = h * 60 + m;
  if (total === 0) { return undefined; }
  const hh = Math.floor(total / 60);
  const mm = total % 60;
  return "PT" + (hh ? hh + "H" : "") + (mm ? mm + "M" : "");
}

function ensureSla(tx) {
  if (get(tx.doc, ["sla"]) === undefined) { tx.put([], "sla", new Map()); }
  if (!isMap(get(tx.doc, ["sla"]))) { throw new EditError("the SLA is edited in the JSON"); }
  return ["sla"];
}

function ensureCalendar(tx) {
  ensureSla(tx);
  if (get(tx.doc, CALENDAR) === undefined) { tx.put(["sla"], "calendar", new Map(), 0); }
  if (!isMap(get(tx.doc, CALENDAR))) { throw new EditError("the calendar is edited in the JSON"); }
  return CALENDAR;
}

function ensureHours(tx) {
  const calendar = ensureCalendar(tx);
  const hours = [...calendar, "hours"];
  if (get(tx.doc, hours) === undefined) {
    const after = get(tx.doc, [...calendar, "timezone"]) === undefined ? 0 : 1;
    tx.put(calendar, "hours", new Map(), after);
  }
  if (!isMap(get(tx.doc, hours))) { throw new EditError("the weekly hours are edited in the JSON"); }
  return hours;
}

function dayIndex(map, day) {
  const order = WEEKDAYS.indexOf(day);
  const keys = Array.from(map.keys());
  const later = keys.findIndex((k) => WEEKDAYS.indexOf(k) > order);
  return later < 0 ? keys.length : later;
}

function rangePath(tx, day, index) {
  const path = [...CALENDAR, "hours", day, index];
  if (!Array.isArray(get(tx.doc, path))) { throw new EditError("there is no time range " + (index + 1) + " on " + day); }
  return path;
}

function policyPath(tx, index) { return itemAt(tx.doc, POLICIES, index); }

export const SLA_ACTIONS = {
  addPolicy(tx, { name, label }) {
    ensureSla(tx);
    if (get(tx.doc, POLICIES) === undefined) { tx.put(["sla"], "policies", []); }
    const policies = get(tx.doc, POLICIES);
    if (!Array.isArray(policies)) { throw new EditError("the policies are edited in the JSON"); }
    const taken = namesAt(tx.doc, POLICIES);
    const wanted = name ? checkName(name) : freeName(taken, policies.length ? "policy" : "standard");
    if (taken.includes(wanted)) { throw new EditError("the name " + JSON.stringify(wanted) + " is taken"); }
    const policy = new Map([["name", wanted]]);
    if (blank(label)) { policy.set("label", blank(label)); }
    policy.set("targets", new Map());
    tx.splice(POLICIES, policies.length, 0, [policy]);
    return policies.length - 1;
  },
  deletePolicy(tx, { index }) { policyPath(tx, index); tx.splice(POLICIES, index, 1); },
  movePolicy(tx, { index, by }) { policyPath(tx, index); moveItem(tx, POLICIES, index, index + by); },
  renamePolicy(tx, { index, to }) {
    const path = policyPath(tx, index);
    const name = checkName(to);
    if (name === get(tx.doc, [...path, "name"])) { return; }
    if (namesAt(tx.doc, POLICIES).includes(name)) { throw new EditError("the name " + JSON.stringify(name) + " is taken"); }
    tx.set(path, "name", name);
  },
  setPolicyLabel(tx, { index, value }) { tx.set(policyPath(tx, index), "label", blank(value)); },
  setPolicyCondition(tx, { index, condition, force }) {
    const path = policyPath(tx, index);
    const when = get(tx.doc, [...path, "when"]);
    if (!force && when !== undefined && readCondition(when) === null) {
      throw new EditError("this policy's condition is edited in the JSON");
    }
    const schema = writeCondition(conditionOf(condition));
    tx.set(path, "when", schema === true ? undefined : schema);
  },
  setTarget(tx, { index, priority, which, value }) {
    const path = policyPath(tx, index);
    if (!PRIORITIES.includes(priority) || !TARGETS.includes(which)) { throw new EditError("no such target"); }
    const text = blank(value);
    if (text !== undefined && !isDuration(text)) {
      throw new EditError("not a duration the SLA takes (e.g. PT4H, PT30M, P2D): " + JSON.stringify(value));
    }
    const targets = [...path, "targets"];
    if (get(tx.doc, targets) === undefined) { tx.put(path, "targets", new Map()); }
    if (!isMap(get(tx.doc, targets))) { throw new EditError("these targets are edited in the JSON"); }
    const entry = [...targets, priority];
    if (text === undefined) {
      if (!isMap(get(tx.doc, entry))) { return; }
      tx.remove(entry, which);
      if (get(tx.doc, entry).size === 0) { tx.remove(targets, priority); }
      return;
    }
    if (get(tx.doc, entry) === undefined) { tx.put(targets, priority, new Map()); }
    if (!isMap(get(tx.doc, entry))) { throw new EditError("these targets are edited in the JSON"); }
    const other = TARGETS.find((t) => t !== which);
    const at = get(tx.doc, entry).has(which) || which === TARGETS[1] || !get(tx.doc, entry).has(other) ? undefined : 0;
    if (get(tx.doc, entry).get(which) !== text) { tx.put(entry, which, text, at); }
  },
  setTimezone(tx, { value }) {
    const zone = blank(value);
    if (zone === undefined && !isMap(get(tx.doc, CALENDAR))) { return; }
    tx.set(ensureCalendar(tx), "timezone", zone);
  },
  addHours(tx, { day, start, end }) {
    if (!WEEKDAYS.includes(day)) { throw new EditError("unknown weekday " + JSON.stringify(day)); }
    for (const time of [start, end]) {
      if (!TIME.test(time || "")) { throw new EditError("not a time (HH:MM): " + JSON.stringify(time ?? "")); }
    }
    const hours = ensureHours(tx);
    const ranges = get(tx.doc, [...hours, day]);
    if (ranges === undefined) { tx.put(hours, day, [[start, end]], dayIndex(get(tx.doc, hours), day)); return; }
    if (!Array.isArray(ranges)) { throw new EditError("the hours of " + day + " are edited in the JSON"); }
    tx.splice([...hours, day], ranges.length, 0, [[start, end]]);
  },
  setHoursTime(tx, { day, index, end, value }) {
    if (!TIME.test(value || "")) { throw new EditError("not a time (HH:MM): " + JSON.stringify(value ?? "")); }
    const path = rangePath(tx, day, index);
    const at = end ? 1 : 0;
    if (get(tx.doc, path)[at] !== value) { tx.splice(path, at, 1, [value]); }
  },
  removeHours(tx, { day, index }) {
    rangePath(tx, day, index);
    const hours = [...CALENDAR, "hours"];
    tx.splice([...hours, day], index, 1);
    if (!get(tx.doc, [...hours, day]).length) { tx.remove(hours, day); }
  },
  addDate(tx, { list, value }) {
    if (!DATE_LISTS.includes(list)) { throw new EditError("unknown list " + JSON.stringify(list)); }
    const day = blank(value);
    if (!day || !DATE.test(day) || Number.isNaN(Date.parse(day + "T00:00:00Z"))
      || new Date(day + "T00:00:00Z").toISOString().slice(0, 10) !== day) {
      throw new EditError("not a date (YYYY-MM-DD): " + JSON.stringify(value ?? ""));
    }
    const calendar = ensureCalendar(tx);
    const days = get(tx.doc, [...calendar, list]);
    if (days === undefined) { tx.put(calendar, list, [day]); return; }
    if (!Array.isArray(days)) { throw new EditError(list + " is edited in the JSON"); }
    if (days.includes(day)) { throw new EditError(day + " is listed already"); }
    const later = days.findIndex((d) => typeof d === "string" && d > day);
    tx.splice([...calendar, list], later < 0 ? days.length : later, 0, [day]);
  },
  removeDate(tx, { list, index }) {
    const path = [...CALENDAR, list];
    const days = get(tx.doc, path);
    if (!DATE_LISTS.includes(list) || !Array.isArray(days) || index < 0 || index >= days.length) {
      throw new EditError("there is no such date");
    }
    tx.splice(path, index, 1);
    if (!days.length) { tx.remove(CALENDAR, list); }
  },
  setWarning(tx, { value }) {
    const text = blank(value);
    if (text === undefined) { if (isMap(get(tx.doc, ["sla"]))) { tx.remove(["sla"], "warning"); } return; }
    const share = Number(text);
    if (!/^0\.[0-9]+$/.test(text) || !(share > 0 && share < 1)) {
      throw new EditError("the warning is a share between 0 and 1, e.g. 0.8: " + JSON.stringify(value));
    }
    ensureSla(tx);
    if (get(tx.doc, ["sla", "warning"]) instanceof Num && get(tx.doc, ["sla", "warning"]).text === text) { return; }
    const at = get(tx.doc, ["sla", "warning"]) === undefined && get(tx.doc, CALENDAR) !== undefined ? 1 : undefined;
    tx.put(["sla"], "warning", new Num(text), at);
  },
};
