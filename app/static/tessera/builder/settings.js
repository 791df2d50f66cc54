/* Template settings as controls (subject, list columns and filters, default department,
 * workflow, channels). Placeholder until the controls are written: no actions, nothing shown. */

/** Actions on the settings part, merged into actions.js's ACTIONS (one undo step each). */
export const SETTINGS_ACTIONS = {};

/** Called after every re-read or edit of the document; `redraw()` draws the builder again. */
export function watchSettings(state, redraw) { return [state, redraw] && undefined; }

/** The settings controls, or null. */
export function renderSettings(state, on) { return [state, on] && null; }
