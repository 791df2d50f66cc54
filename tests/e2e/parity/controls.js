// The controls a rendered form shows, in document order: one extractor for both the
// react-jsonschema-form page and Tessera's, evaluated as `(controls.js)(rootElement)`.
//
// Each control is {label, kind, required, value}:
// - label: the accessible name (aria-labelledby, aria-label, label[for] or a wrapping label;
//   for a radio or checkbox group, its container's name or its fieldset's legend), with
//   whitespace collapsed and a trailing required marker "*" removed; null when there is none.
// - kind: the input type ("text", "number", "date", "checkbox", "hidden", ...), "textarea",
//   "select", "multi-select", "file" or "files" (several files), "radio group",
//   "checkbox group" (checkboxes sharing one name).
// - required: the required attribute or aria-required on the control (on any member or the
//   container of a group), or a "*" marker ending its label (RJSF marks a checkbox group
//   required only so).
// - value: what the control shows initially: the text for inputs, checked for a checkbox,
//   the label(s) of the chosen option(s) for choices (option values are encodings: RJSF posts
//   indices), null for a file input or an unchosen select or radio group.
// A hidden input has no label (it has no accessible name). A control counts when it is displayed, or is a type=hidden input with an id that is not
// disabled (a field's hidden widget, not a form's bookkeeping); buttons never count.
(root) => {
  const norm = (text) => (text || "").replace(/\s+/g, " ").trim();
  const SKIP = new Set(["button", "submit", "reset", "image"]);

  function textOf(element) {
    const copy = element.cloneNode(true);
    copy.querySelectorAll("input, select, textarea, button").forEach((e) => e.remove());
    return norm(copy.textContent);
  }

  // {text, marked}: the name without its required marker, and whether it had one.
  function named(text) {
    if (text === null) return {text: null, marked: false};
    const marked = /\*$/.test(text);
    const bare = norm(text.replace(/\s*\*$/, ""));
    return {text: bare || null, marked};
  }

  function byIds(ids) {
    const parts = ids.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
    return parts.length ? norm(parts.map(textOf).join(" ")) : null;
  }

  function ownName(element) {
    const ids = element.getAttribute("aria-labelledby");
    if (ids && byIds(ids)) return byIds(ids);
    const aria = element.getAttribute("aria-label");
    if (aria && norm(aria)) return norm(aria);
    return null;
  }

  function controlName(element) {
    const own = ownName(element);
    if (own !== null) return own;
    for (const label of element.labels || []) {
      const text = textOf(label);
      if (text) return text;
    }
    return null;
  }

  function groupName(container, members) {
    const inGroup = new Set(members);
    for (let node = container; node && node !== root.parentElement; node = node.parentElement) {
      const others = [...node.querySelectorAll("input, select, textarea")].filter(
        (e) => counts(e) && !inGroup.has(e),
      );
      if (others.length) break;
      const own = ownName(node);
      if (own !== null) return own;
      if (node.id) {
        const label = root.querySelector(`label[for="${CSS.escape(node.id)}"]`);
        if (label && textOf(label)) return textOf(label);
      }
      if (node.tagName === "FIELDSET") {
        const legend = [...node.children].find((c) => c.tagName === "LEGEND");
        if (legend && textOf(legend)) return textOf(legend);
      }
    }
    return null;
  }

  function counts(element) {
    if (element.tagName === "INPUT" && SKIP.has(element.type)) return false;
    if (element.tagName === "INPUT" && element.type === "hidden") {
      return Boolean(element.id) && !element.disabled;
    }
    return element.getClientRects().length > 0;
  }

  function commonAncestor(elements) {
    let node = elements[0].parentElement;
    while (node && !elements.every((e) => node.contains(e))) node = node.parentElement;
    return node;
  }

  function choiceText(input) {
    return controlName(input) || norm(input.value);
  }

  function single(element) {
    const tag = element.tagName;
    let kind = tag === "TEXTAREA" ? "textarea" : element.type;
    let value = element.value;
    if (tag === "SELECT") {
      const chosen = [...element.selectedOptions].filter((o) => o.value !== "");
      kind = element.multiple ? "multi-select" : "select";
      value = element.multiple
        ? chosen.map((o) => norm(o.textContent))
        : chosen.length ? norm(chosen[0].textContent) : null;
    } else if (kind === "checkbox") {
      value = element.checked;
    } else if (kind === "file") {
      kind = element.multiple ? "files" : "file";
      value = null;
    }
    // A hidden input is outside the accessibility tree: it has no name, whatever labels it.
    const name = named(kind === "hidden" ? null : controlName(element));
    const required = element.required || element.getAttribute("aria-required") === "true";
    return {label: name.text, kind, required: required || name.marked, value};
  }

  function group(members) {
    const radio = members[0].type === "radio";
    const container = commonAncestor(members);
    const name = named(groupName(container, members));
    let required = members.some((m) => m.required);
    for (let node = container; node && node !== root; node = node.parentElement) {
      if (node.getAttribute("aria-required") === "true") required = true;
    }
    const checked = members.filter((m) => m.checked).map(choiceText);
    return {
      label: name.text,
      kind: radio ? "radio group" : "checkbox group",
      required: required || name.marked,
      value: radio ? (checked.length ? checked[0] : null) : checked,
    };
  }

  const all = [...root.querySelectorAll("input, select, textarea")].filter(counts);
  const groups = new Map();
  for (const element of all) {
    if (element.type !== "radio" && element.type !== "checkbox") continue;
    const key = `${element.type}\u0000${element.name}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(element);
  }
  const out = [];
  const done = new Set();
  for (const element of all) {
    const key = `${element.type}\u0000${element.name}`;
    const members = groups.get(key);
    const grouped =
      members && element.name && (element.type === "radio" || members.length > 1);
    if (!grouped) {
      out.push(single(element));
    } else if (!done.has(key)) {
      done.add(key);
      out.push(group(members));
    }
  }
  return out;
}
