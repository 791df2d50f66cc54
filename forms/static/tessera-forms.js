/* Tessera forms: progressive enhancement for server-rendered JSON Schema forms.
 * Driven only by data-tf-* attributes written by forms/widgets.py. Without this script
 * every field is shown, each array has one spare blank row ([data-tf-spare]) and the
 * server validates everything. No dependencies.
 *
 * window.TesseraForms.refresh(root) binds the forms inside root (default: document), or
 * the form around it: call it after inserting form HTML (a live preview pane, say).
 * Safe to call any number of times, and loading this file twice binds once. */
(function () {
  "use strict";

  if (window.TesseraForms) {  /* loaded again: the first copy already listens */
    window.TesseraForms.refresh();
    return;
  }

  function esc(key) { return key.replace(/~/g, "~0").replace(/\//g, "~1"); }

  function readValue(root, name) {
    var group = root.querySelector('[data-tf-field="' + cssEscape(name) + '"]');
    var inputs = root.querySelectorAll('[name="' + cssEscape(name) + '"]');
    if (!inputs.length) { return undefined; }
    var type = group ? group.getAttribute("data-tf-type") : "text";
    var json = group && group.hasAttribute("data-tf-json");
    var first = inputs[0];
    if (type === "boolean") { return first.checked; }
    var values = [];
    inputs.forEach(function (el) {
      if (el.disabled) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push(o.value); });
        return;
      }
      values.push(el.value);
    });
    if (type === "multi") {
      return values.map(function (v) { return json ? JSON.parse(v) : v; });
    }
    var v = values.length ? values[0] : "";
    if (v === "") { return undefined; }
    if (type === "number") { return Number(v); }
    if (json) { try { return JSON.parse(v); } catch (e) { return v; } }
    return v;
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  function equal(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function typeOf(v) {
    if (v === null) { return "null"; }
    if (Array.isArray(v)) { return "array"; }
    if (typeof v === "number") { return Number.isInteger(v) ? "integer" : "number"; }
    return typeof v;
  }

  /* A small subset of JSON Schema, enough for if/then/else conditions. Unknown keywords
   * count as satisfied, so a field is shown rather than hidden when in doubt. */
  function check(schema, value) {
    if (schema === true || schema === undefined) { return true; }
    if (schema === false) { return false; }
    if ("const" in schema && !equal(schema.const, value)) { return false; }
    if (schema.enum && !schema.enum.some(function (e) { return equal(e, value); })) { return false; }
    if (schema.type !== undefined && value !== undefined) {
      var types = [].concat(schema.type), t = typeOf(value);
      if (types.indexOf(t) < 0 && !(t === "integer" && types.indexOf("number") >= 0)) { return false; }
    }
    if (typeof value === "number") {
      if (schema.minimum !== undefined && value < schema.minimum) { return false; }
      if (schema.maximum !== undefined && value > schema.maximum) { return false; }
    }
    if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) {
      return false;
    }
    if (schema.not !== undefined && check(schema.not, value)) { return false; }
    if (schema.allOf && !schema.allOf.every(function (s) { return check(s, value); })) { return false; }
    if (schema.anyOf && !schema.anyOf.some(function (s) { return check(s, value); })) { return false; }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      var req = schema.required || [];
      for (var i = 0; i < req.length; i++) { if (value[req[i]] === undefined) { return false; } }
      var props = schema.properties || {};
      for (var k in props) {
        if (value[k] !== undefined && !check(props[k], value[k])) { return false; }
      }
    }
    return true;
  }

  function objectFor(root, base, schema) {
    var keys = Object.keys((schema && schema.properties) || {}).concat((schema && schema.required) || []);
    var obj = {};
    keys.forEach(function (k) { obj[k] = readValue(root, base + "/" + esc(k)); });
    return obj;
  }

  function setActive(el, on) {
    if (on) { el.removeAttribute("hidden"); } else { el.setAttribute("hidden", ""); }
    el.querySelectorAll("input, select, textarea, button").forEach(function (input) {
      if (input.closest("template")) { return; }
      if (!on) {
        if (!input.disabled) { input.disabled = true; input.setAttribute("data-tf-off", ""); }
      } else if (input.hasAttribute("data-tf-off") && !insideHidden(input)) {
        input.disabled = false;
        input.removeAttribute("data-tf-off");
      }
    });
  }

  function insideHidden(input) {
    for (var el = input.parentElement; el; el = el.parentElement) {
      if (el.hasAttribute("hidden") && !el.hasAttribute("data-tf-field")) { return true; }
      if (el.hasAttribute("hidden") && el.hasAttribute("data-tf-when")) { return true; }
      if (el.hasAttribute("data-tf-form")) { return false; }
    }
    return false;
  }

  function update(root) {
    root.querySelectorAll("[data-tf-spare]").forEach(function (row) {
      row.parentNode.removeChild(row);  /* the no-JavaScript spare row: rows come from "Add" */
    });
    root.querySelectorAll("[data-tf-alt]").forEach(function (alt) {
      var select = alt.querySelector("[data-tf-selector]");
      if (!select) { return; }
      alt.querySelectorAll(":scope > [data-tf-branch]").forEach(function (branch) {
        setActive(branch, branch.getAttribute("data-tf-branch") === select.value);
      });
    });
    root.querySelectorAll("[data-tf-when]").forEach(function (el) {
      var when = JSON.parse(el.getAttribute("data-tf-when"));
      var base = el.getAttribute("data-tf-base") || "";
      var on = true;
      if (when.present !== undefined) {
        on = readValue(root, base + "/" + esc(when.present)) !== undefined;
      } else if (when["if"] !== undefined) {
        on = check(when["if"], objectFor(root, base, when["if"]));
        if (when.negate) { on = !on; }
      }
      setActive(el, on);
      if (el.hasAttribute("data-tf-mark")) { el.textContent = on ? "*" : ""; }
    });
    root.querySelectorAll("[data-tf-array]").forEach(updateButtons);
  }

  function rowsOf(array) {
    var holder = array.querySelector("[data-tf-rows]");
    return holder ? Array.prototype.filter.call(holder.children, function (r) {
      return r.hasAttribute("data-tf-row");
    }) : [];
  }

  function updateButtons(array) {
    var count = rowsOf(array).length;
    var min = parseInt(array.getAttribute("data-tf-min") || "0", 10);
    var max = array.hasAttribute("data-tf-max") ? parseInt(array.getAttribute("data-tf-max"), 10) : Infinity;
    var add = array.querySelector(":scope > [data-tf-add]");
    if (add) { add.disabled = count >= max; }
    rowsOf(array).forEach(function (row) {
      var remove = row.querySelector(":scope > [data-tf-remove]");
      if (remove) { remove.disabled = count <= min; }
    });
  }

  function addRow(array) {
    var template = array.querySelector(":scope > template[data-tf-template]");
    var holder = array.querySelector(":scope > [data-tf-rows]");
    if (!template || !holder) { return; }
    var next = parseInt(array.getAttribute("data-tf-next") || "0", 10);
    var placeholder = array.getAttribute("data-tf-placeholder");
    var html = template.innerHTML.split(placeholder).join(String(next));
    array.setAttribute("data-tf-next", String(next + 1));
    var box = document.createElement("div");
    box.innerHTML = html;
    while (box.firstChild) { holder.appendChild(box.firstChild); }
  }

  function onClick(event) {
    var target = event.target;
    var root = target.closest("[data-tf-form]");
    if (!root) { return; }
    var add = target.closest("[data-tf-add]");
    if (add) { addRow(add.closest("[data-tf-array]")); update(root); return; }
    var up = target.closest("[data-tf-up]"), down = target.closest("[data-tf-down]");
    if (up || down) {
      var moving = (up || down).closest("[data-tf-row]");
      var other = up ? moving.previousElementSibling : moving.nextElementSibling;
      if (other && other.hasAttribute("data-tf-row")) {
        moving.parentNode.insertBefore(up ? moving : other, up ? other : moving);
      }
      return;
    }
    var remove = target.closest("[data-tf-remove]");
    if (remove) {
      var row = remove.closest("[data-tf-row]");
      if (row) { row.parentNode.removeChild(row); }
      update(root);
    }
  }

  function onChange(event) {
    var target = event.target;
    var root = target.closest && target.closest("[data-tf-form]");
    if (!root) { return; }
    if (target.type === "file" && target.files && target.files[0]) {
      var max = parseInt(target.getAttribute("data-tf-max-size") || "0", 10);
      target.setCustomValidity(max && target.files[0].size > max ? "This file is too large." : "");
    }
    update(root);
  }

  /* Bind every form inside root (an element or a document), and the form around it. */
  function refresh(root) {
    root = root || document;
    var forms = [];
    var around = root.closest ? root.closest("[data-tf-form]") : null;
    if (around) { forms.push(around); }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-tf-form]").forEach(function (form) { forms.push(form); });
    }
    forms.forEach(update);
  }

  var listening = false;

  function init() {
    if (!listening) {  /* delegated: one set of listeners serves forms inserted later too */
      listening = true;
      document.addEventListener("click", onClick);
      document.addEventListener("change", onChange);
      document.addEventListener("input", onChange);
    }
    refresh(document);
  }

  window.TesseraForms = {refresh: refresh};

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
