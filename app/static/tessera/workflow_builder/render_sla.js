/* The SLA panel: each policy's targets as a grid (priority × first response / resolution; an
 * ISO 8601 duration typed, or hours and minutes picked), the business calendar (timezone,
 * weekly hours, holidays and make-up workdays) and the warning ratio. */
import { DATE_LISTS, PRIORITIES, TARGETS, WEEKDAYS, readCalendar, readPolicies } from "./model.js";
import { durationOf, durationParts, isDuration } from "./sla.js";
import { conditionEditor } from "./condition_editor.js";
import { advancedNote, button, errorSlot, h, itemButtons, labelled, say, text } from "./controls.js";

function targetCell(policy, priority, which, strings, on) {
  const id = `wb-policy-${policy.index}-${priority}-${which}`;
  const value = policy.targets[priority][which];
  const parts = durationParts(value);
  const what = say(strings, "targetOf", { target: say(strings, which), priority: say(strings.priorities, priority) });
  const commit = (duration) => on.edit({ do: "setTarget", index: policy.index, priority, which, value: duration }, { merge: id });
  const pickers = () => [document.getElementById(id + "-h"), document.getElementById(id + "-m")];
  const iso = text(id, value, { "aria-label": what, placeholder: "PT4H", class: "form-control input-sm wb-duration",
    oninput: (typed) => {
      const t = typed.trim();
      if (t && !isDuration(t)) { on.problem(id, say(strings, "notDuration")); return; }
      commit(t);
      const found = durationParts(t);
      const [hh, mm] = pickers();
      hh.value = found ? String(found.hours) : "";
      mm.value = found ? String(found.minutes) : "";
    } });
  const picked = () => {
    const [hh, mm] = pickers();
    try {
      const duration = durationOf(hh.value, mm.value);
      document.getElementById(id).value = duration || "";
      commit(duration || "");
    } catch (error) { on.problem(id, error.message); }
  };
  const number = (suffix, shown, label, max) => h("input", { type: "number", min: "0", max, step: "1",
    id: id + suffix, class: "form-control input-sm wb-hm", value: shown, "aria-label": label, oninput: picked });
  return h("td", { class: "wb-target" }, iso,
    h("span", { class: "wb-hm-pair" },
      number("-h", parts ? String(parts.hours) : "", say(strings, "hoursOf", { what }), null), h("span", { "aria-hidden": "true" }, say(strings, "h")),
      number("-m", parts ? String(parts.minutes) : "", say(strings, "minutesOf", { what }), "59"), h("span", { "aria-hidden": "true" }, say(strings, "min"))),
    errorSlot(id));
}

function policyBox(policy, count, state, strings, on) {
  const id = `wb-policy-${policy.index}`;
  const label = policy.label || policy.name;
  return h("li", { class: "wb-card wb-policy", id, dataset: { name: policy.name } },
    h("div", { class: "wb-card-head" }, h("strong", {}, label), " ", h("code", {}, policy.name),
      itemButtons(id, policy.index, count, label, strings, {
        move: (by) => on.edit({ do: "movePolicy", index: policy.index, by }, { focus: `wb-policy-${policy.index + by}-${by < 0 ? "up" : "down"}` }),
        remove: () => on.remove({ do: "deletePolicy", index: policy.index }, label, "wb-add-policy"),
      })),
    h("div", { class: "wb-pair" },
      labelled(id + "-name", say(strings, "name"), text(id + "-name", policy.name,
        { onchange: (v) => on.edit({ do: "renamePolicy", index: policy.index, to: v }, { focus: id + "-name" }) })),
      labelled(id + "-label", say(strings, "label"), text(id + "-label", policy.label,
        { oninput: (v) => on.edit({ do: "setPolicyLabel", index: policy.index, value: v }, { merge: id + "-label" }) }))),
    h("p", { class: "control-label" }, say(strings, "policyWhen")),
    conditionEditor({ id: id + "-when", condition: policy.condition,
      current: () => (readPolicies(state.doc)[policy.index] || {}).condition, fields: state.catalogue, strings,
      label: say(strings, "policyWhen"), empty: say(strings, "everyTicket"),
      commit: (condition, options) => on.condition({ do: "setPolicyCondition", index: policy.index, condition }, options) }),
    h("table", { class: "table table-condensed wb-grid", id: id + "-grid" },
      h("caption", {}, say(strings, "targets")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, say(strings, "priority")),
        TARGETS.map((which) => h("th", { scope: "col" }, say(strings, which))))),
      h("tbody", {}, [...PRIORITIES].reverse().map((priority) => h("tr", {},
        h("th", { scope: "row" }, say(strings.priorities, priority)),
        TARGETS.map((which) => targetCell(policy, priority, which, strings, on)))))),
    errorSlot(id + "-targets"),
    advancedNote(policy.advanced, strings));
}

function hoursRow(day, ranges, strings, on) {
  const id = `wb-hours-${day}`;
  const dayName = say(strings.weekdays, day);
  const time = (k, end, value) => h("input", { type: "time", id: `${id}-${k}-${end ? "end" : "start"}`, value,
    class: "form-control input-sm wb-time", "aria-label": say(strings, end ? "rangeEnd" : "rangeStart", { day: dayName, n: k + 1 }),
    onchange: (e) => e.target.value && on.edit({ do: "setHoursTime", day, index: k, end, value: e.target.value },
      { focus: `${id}-${k}-${end ? "end" : "start"}` }) });
  return h("tr", { id },
    h("th", { scope: "row" }, dayName),
    h("td", {}, ranges.length ? ranges.map(([start, end], k) => h("span", { class: "wb-range" },
      time(k, false, start), "–", time(k, true, end),
      button(`${id}-${k}-remove`, "✕", say(strings, "rangeRemove", { day: dayName, n: k + 1 }),
        () => on.edit({ do: "removeHours", day, index: k }, { focus: `${id}-add` }), { danger: true })))
      : h("span", { class: "text-muted" }, say(strings, "closed")),
    button(`${id}-add`, "+", say(strings, "rangeAdd", { day: dayName }), () => on.edit({
      do: "addHours", day, start: ranges.length ? ranges[ranges.length - 1][1] || "13:00" : "09:00",
      end: ranges.length ? "18:00" : "18:00" }, { focus: `${id}-${ranges.length}-start` })),
    errorSlot(id)));
}

function dateList(list, days, strings, on) {
  const id = `wb-${list}`;
  return h("fieldset", { class: "form-group wb-dates", id },
    h("legend", { class: "control-label h6" }, say(strings, list)),
    days.length ? h("ul", { class: "list-inline" }, days.map((day, k) => h("li", { class: "wb-date" },
      h("span", {}, day), " ",
      button(`${id}-${k}-remove`, "✕", say(strings, "dateRemove", { day }),
        () => on.edit({ do: "removeDate", list, index: k }, { focus: `${id}-new` }), { danger: true }))))
      : h("p", { class: "text-muted" }, say(strings, "noDates")),
    h("label", { for: `${id}-new`, class: "sr-only" }, say(strings, "dateNew", { list: say(strings, list) })),
    h("input", { type: "date", id: `${id}-new`, class: "form-control input-sm wb-date-input" }),
    button(`${id}-add`, "+ " + say(strings, "dateAdd"), say(strings, "dateAddTo", { list: say(strings, list) }),
      () => on.edit({ do: "addDate", list, value: document.getElementById(`${id}-new`).value }, { focus: `${id}-new` })),
    errorSlot(id));
}

export function renderSla(state, strings, on) {
  const policies = readPolicies(state.doc);
  const calendar = readCalendar(state.doc);
  return h("div", { class: "wb-sla" },
    h("h3", { class: "h5" }, say(strings, "policies")),
    h("p", { class: "help-block" }, say(strings, "policiesHelp")),
    policies.length ? h("ol", { class: "wb-cards", id: "wb-policies" },
      policies.map((p) => policyBox(p, policies.length, state, strings, on))) : h("p", { class: "text-muted" }, say(strings, "noPolicies")),
    button("wb-add-policy", "+ " + say(strings, "addPolicy"), say(strings, "addPolicy"),
      () => on.add({ do: "addPolicy" }, (i) => `wb-policy-${i}-name`)),
    h("fieldset", { class: "wb-calendar", id: "wb-calendar" },
      h("legend", { class: "h5" }, say(strings, "calendar")),
      labelled("wb-timezone", say(strings, "timezone"), text("wb-timezone", calendar.timezone, {
        list: "wb-timezones", placeholder: "UTC",
        oninput: (v) => on.edit({ do: "setTimezone", value: v }, { merge: "wb-timezone" }) })),
      h("datalist", { id: "wb-timezones" }, ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
        "Europe/Berlin", "America/New_York", "UTC"].map((z) => h("option", { value: z }))),
      h("table", { class: "table table-condensed wb-hours", id: "wb-hours" },
        h("caption", {}, say(strings, calendar.allWeek ? "hoursAlways" : "hours")),
        h("tbody", {}, WEEKDAYS.map((day) => hoursRow(day, calendar.hours[day], strings, on)))),
      errorSlot("wb-hours"),
      DATE_LISTS.map((list) => dateList(list, calendar[list], strings, on)),
      advancedNote(calendar.advanced, strings), errorSlot("wb-calendar")),
    labelled("wb-warning", say(strings, "warning"), text("wb-warning", calendar.warning, {
      inputmode: "decimal", placeholder: "0.8",
      oninput: (v) => on.edit({ do: "setWarning", value: v }, { merge: "wb-warning" }) }), say(strings, "warningHelp")));
}
