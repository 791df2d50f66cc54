/* Small invertible edits of a parsed JSON document (see json.js): the builder never rebuilds a
 * document from a model of its own, it changes one member or one array slot at a time, so every
 * keyword it does not edit stays exactly as it was. Each edit returns the edit that undoes it.
 *
 * A path is a list of steps from the root: member names for Maps, indexes for arrays.
 * Edits (plain objects, so tests can write them as JSON):
 *   {op: "put", path, key, value, index?}  set a member (in place; a new one at `index`, else last)
 *   {op: "remove", path, key}              delete a member
 *   {op: "rename", path, key, to}          rename a member, keeping its place
 *   {op: "move", path, key, index}         move a member to position `index`
 *   {op: "splice", path, index, remove, insert}  replace `remove` array items by `insert`
 */
import { clone, isMap, same } from "./json.js";

/** Something the builder cannot do to this document (the document is left unchanged). */
export class EditError extends Error {
  constructor(message) { super(message); this.name = "EditError"; }
}

/** The value at `path`, or undefined. */
export function get(doc, path) {
  let here = doc;
  for (const step of path) {
    if (isMap(here)) { here = here.get(step); }
    else if (Array.isArray(here) && typeof step === "number") { here = here[step]; }
    else { return undefined; }
    if (here === undefined) { return undefined; }
  }
  return here;
}

function mapAt(doc, path) {
  const found = get(doc, path);
  if (!isMap(found)) { throw new EditError("not an object at /" + path.join("/")); }
  return found;
}

function withMember(map, key, value, index) {
  const entries = Array.from(map).filter(([name]) => name !== key);
  entries.splice(Math.max(0, Math.min(index, entries.length)), 0, [key, value]);
  map.clear();
  for (const [name, item] of entries) { map.set(name, item); }
}

function indexOf(map, key) {
  return Array.from(map.keys()).indexOf(key);
}

const EDITS = {
  put(doc, edit) {
    const map = mapAt(doc, edit.path);
    const value = clone(edit.value);
    if (map.has(edit.key)) {
      const old = map.get(edit.key);
      map.set(edit.key, value);
      return { op: "put", path: edit.path, key: edit.key, value: old };
    }
    withMember(map, edit.key, value, edit.index === undefined ? map.size : edit.index);
    return { op: "remove", path: edit.path, key: edit.key };
  },
  remove(doc, edit) {
    const map = mapAt(doc, edit.path);
    if (!map.has(edit.key)) { throw new EditError("no member " + JSON.stringify(edit.key)); }
    const index = indexOf(map, edit.key);
    const old = map.get(edit.key);
    map.delete(edit.key);
    return { op: "put", path: edit.path, key: edit.key, value: old, index };
  },
  rename(doc, edit) {
    const map = mapAt(doc, edit.path);
    if (!map.has(edit.key)) { throw new EditError("no member " + JSON.stringify(edit.key)); }
    if (map.has(edit.to)) { throw new EditError("the name " + JSON.stringify(edit.to) + " is taken"); }
    const entries = Array.from(map, ([name, item]) => [name === edit.key ? edit.to : name, item]);
    map.clear();
    for (const [name, item] of entries) { map.set(name, item); }
    return { op: "rename", path: edit.path, key: edit.to, to: edit.key };
  },
  move(doc, edit) {
    const map = mapAt(doc, edit.path);
    if (!map.has(edit.key)) { throw new EditError("no member " + JSON.stringify(edit.key)); }
    const old = indexOf(map, edit.key);
    withMember(map, edit.key, map.get(edit.key), edit.index);
    return { op: "move", path: edit.path, key: edit.key, index: old };
  },
  splice(doc, edit) {
    const list = get(doc, edit.path);
    if (!Array.isArray(list)) { throw new EditError("not a list at /" + edit.path.join("/")); }
    if (edit.index < 0 || edit.index + edit.remove > list.length) {
      throw new EditError("no such items at /" + edit.path.join("/"));
    }
    const removed = list.splice(edit.index, edit.remove, ...edit.insert.map(clone));
    return { op: "splice", path: edit.path, index: edit.index, remove: edit.insert.length, insert: removed };
  },
};

/** Apply one edit in place; return the edit that undoes it. */
export function apply(doc, edit) {
  const run = EDITS[edit.op];
  if (!run) { throw new EditError("unknown edit " + edit.op); }
  return run(doc, edit);
}

/** Apply edits in order; return the edits that undo them all (already in undo order). */
export function applyAll(doc, edits) {
  const undo = [];
  for (const edit of edits) { undo.unshift(apply(doc, edit)); }
  return undo;
}

/** Edits applied as they are made; `undo` undoes all of them, `rollback` does it now. */
export class Transaction {
  constructor(doc) { this.doc = doc; this.undo = []; }
  run(edit) { this.undo.unshift(apply(this.doc, edit)); }
  get(path) { return get(this.doc, path); }
  put(path, key, value, index) { this.run({ op: "put", path, key, value, index }); }
  remove(path, key) { if (isMap(get(this.doc, path)) && get(this.doc, path).has(key)) { this.run({ op: "remove", path, key }); } }
  rename(path, key, to) { this.run({ op: "rename", path, key, to }); }
  move(path, key, index) { this.run({ op: "move", path, key, index }); }
  splice(path, index, remove, insert = []) { this.run({ op: "splice", path, index, remove, insert }); }
  /** Make every Map on `path` that is missing; refuse when a step is something else. */
  ensure(path) {
    for (let i = 0; i < path.length; i += 1) {
      const parent = get(this.doc, path.slice(0, i));
      const here = get(this.doc, path.slice(0, i + 1));
      const last = i === path.length - 1;
      if (here === undefined && isMap(parent)) { this.put(path.slice(0, i), path[i], new Map()); }
      else if (!isMap(here) && (last || !Array.isArray(here))) {
        throw new EditError("/" + path.slice(0, i + 1).join("/") + " is not an object; edit it in the JSON tab.");
      }
    }
    return get(this.doc, path);
  }
  /** Set `key` at `path` to `value`; remove it when `value` is undefined. Creates the path. */
  set(path, key, value) {
    if (value === undefined) {
      this.remove(path, key);
      return;
    }
    const map = this.ensure(path);
    if (!map.has(key) || !same(map.get(key), value)) { this.put(path, key, value); }
  }
  rollback() { applyAll(this.doc, this.undo); this.undo = []; }
}

/** Run `change(tx)` as one step: all its edits, or none when it throws. Returns the undo edits. */
export function change(doc, change) {
  const tx = new Transaction(doc);
  try {
    change(tx);
  } catch (error) {
    tx.rollback();
    throw error;
  }
  return tx.undo;
}

/** Undo and redo of whole steps (each a list of undo edits). */
export class History {
  constructor() { this.done = []; this.undone = []; }
  /** Keep a step; with `merge`, fold it into the last one (typing in one control is one step). */
  record(undo, merge = false) {
    if (!undo.length) { return; }
    if (merge && this.done.length) { this.done[this.done.length - 1] = [...undo, ...this.done[this.done.length - 1]]; }
    else { this.done.push(undo); }
    this.undone = [];
  }
  get canUndo() { return this.done.length > 0; }
  get canRedo() { return this.undone.length > 0; }
  undo(doc) { return this.swap(doc, this.done, this.undone); }
  redo(doc) { return this.swap(doc, this.undone, this.done); }
  clear() { this.done = []; this.undone = []; }
  swap(doc, from, to) {
    const step = from.pop();
    if (!step) { return false; }
    to.push(applyAll(doc, step));
    return true;
  }
}
