/* The editor's parts the workflow builder reads and writes (app/views/definition_editor.py's
 * WORKFLOW_PARTS): JSON textareas read with ../builder/json.js, and `initial`, a text input.
 * The document is a Map of part name → value; a blank part is not in it. */
import { ParseError, parse, serialize } from "../builder/json.js";

export const JSON_PARTS = ["states", "transitions", "routing", "sla", "auto_close"];
export const TEXT_PARTS = ["initial"];
export const PARTS = [...JSON_PARTS, ...TEXT_PARTS];

/** {doc, problem}: the parts' texts read (`problem` names the first part that is not JSON). */
export function readParts(texts) {
  const doc = new Map();
  for (const part of PARTS) {
    const text = texts[part] ?? "";
    if (!text.trim()) { continue; }
    if (TEXT_PARTS.includes(part)) { doc.set(part, text); continue; }
    try {
      doc.set(part, parse(text));
    } catch (error) {
      if (!(error instanceof ParseError)) { throw error; }
      return { doc, problem: { part, reason: error.message } };
    }
  }
  return { doc, problem: null };
}

/** The text of each part as the editor would show the document. */
export function partTexts(doc) {
  const out = {};
  for (const part of PARTS) {
    const value = doc.get(part);
    if (value === undefined) { out[part] = ""; }
    else if (TEXT_PARTS.includes(part)) { out[part] = String(value); }
    else { out[part] = serialize(value); }
  }
  return out;
}
