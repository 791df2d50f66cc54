/* Every action of the workflow builder, gathered from its parts, and `perform`: one action as
 * one undoable step. An action that cannot apply changes nothing and throws EditError. */
import { EditError, change } from "../builder/document.js";
import { STATE_ACTIONS } from "./states.js";
import { ROUTING_ACTIONS } from "./routing.js";
import { SLA_ACTIONS } from "./sla.js";

export const ACTIONS = { ...STATE_ACTIONS, ...ROUTING_ACTIONS, ...SLA_ACTIONS };

/** Run one action as one step; returns {undo, result}. */
export function perform(doc, action) {
  const run = ACTIONS[action.do];
  if (!run) { throw new EditError("unknown action " + action.do); }
  let result;
  const undo = change(doc, (tx) => { result = run(tx, action); });
  return { undo, result };
}
