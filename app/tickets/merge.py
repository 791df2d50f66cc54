"""Three-way merge of an edit made on an older version of a ticket (no lost update).

An agent's form was read at version V (its `lock_version`); meanwhile others saved versions up
to N. Saving A's form as it is would put back, in every field A never touched, the values of
version V: the others' changes would be lost. Instead:

- `base` is the ticket as A read it (version V), `mine` what A posts, `theirs` what is stored;
- `three_way` takes, pointer by pointer, the side that changed (both, when they agree) and
  reports a `Conflict` where both changed the same value differently; objects merge member by
  member, arrays and scalars are single values (as the history records them);
- the base is recomputed on the server from the ticket's history: `since` picks the changes
  that made the versions after V (each committed change is one version and one group of
  `ticket_event` rows written at one instant), `rewind` undoes them on the stored values.

Values are plain JSON-like documents (the ticket's editable view: `{"subject": ...,
"priority": ..., "requester_name": ..., "data": {...}}`), addressed by the pointers the history
uses (`/priority`, `/data/contact/email`). Pure: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from app.pointers import escape, tokens
from app.pointers import resolve as value_at
from app.tickets.models import VERSIONLESS


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Final[Any] = _Marker("MISSING")
"""No value at a pointer (an absent member)."""

UNKNOWN: Final[Any] = _Marker("UNKNOWN")
"""A base that cannot be recomputed: every difference between mine and theirs conflicts."""

Choice = Literal["mine", "theirs"]


@dataclass(frozen=True)
class Conflict:
    """Both sides changed the value at `pointer`, differently (MISSING: removed it)."""

    pointer: str
    mine: Any
    theirs: Any


@dataclass(frozen=True)
class Change:
    """One row of a ticket's history, in id order (`ticket_event`)."""

    at: datetime
    actor_id: int | None
    channel: str
    kind: str
    pointer: str | None
    old: Any = None
    new: Any = None


# ---------------------------------------------------------------------------------------------
# Values


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells 1, 1.0 and true apart (and ignores member order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def get(document: Any, pointer: str) -> Any:
    """The value at `pointer` in `document`; MISSING when there is none."""
    return value_at(document, pointer, MISSING)


def put(document: Any, pointer: str, value: Any) -> Any:
    """A copy of `document` with `value` at `pointer` (MISSING removes the member).

    Missing (or null) objects on the way are created; a pointer through a scalar or past the
    end of an array changes nothing.
    """
    parts = tokens(pointer)
    if not parts:
        return value
    head, rest = parts[0], "".join("/" + escape(p) for p in parts[1:])
    if isinstance(document, list):
        if not head.isdigit() or int(head) >= len(document):
            return document
        copy = list(document)
        inner = put(copy[int(head)], rest, value)
        if inner is MISSING:
            del copy[int(head)]
        else:
            copy[int(head)] = inner
        return copy
    if value is MISSING and not (isinstance(document, dict) and head in document):
        return document  # nothing to remove
    if document is MISSING or document is None:
        document = {}
    if not isinstance(document, dict):
        return document
    members = dict(document)
    inner = put(members.get(head, MISSING), rest, value) if rest else value
    if inner is MISSING:
        members.pop(head, None)
    else:
        members[head] = inner
    return members


def differences(a: Any, b: Any, pointer: str = "") -> list[str]:
    """The pointers at which `b` differs from `a` (objects compared member by member)."""
    if same(a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        found: list[str] = []
        for key in dict.fromkeys([*a, *b]):
            found += differences(a.get(key, MISSING), b.get(key, MISSING), _join(pointer, key))
        return found
    return [pointer]


def _join(pointer: str, key: str) -> str:
    return f"{pointer}/{escape(key)}"


# ---------------------------------------------------------------------------------------------
# The merge


def three_way(base: Any, mine: Any, theirs: Any) -> tuple[Any, list[Conflict]]:
    """(merged, conflicts): each side's changes since `base`, applied together.

    A value changed on one side only ends with that side's value; changed on both sides to the
    same value, with it; changed differently, the merged document holds `theirs` there and the
    pointer is listed as a Conflict (see `resolve`). `base` may be UNKNOWN: then every
    difference between the two sides is a conflict.
    """
    conflicts: list[Conflict] = []
    merged = _merge(base, mine, theirs, "", conflicts)
    return merged, conflicts


def _merge(base: Any, mine: Any, theirs: Any, pointer: str, conflicts: list[Conflict]) -> Any:
    if same(mine, theirs) or same(mine, base):
        return theirs
    if same(theirs, base):
        return mine
    if isinstance(mine, dict) and isinstance(theirs, dict):
        # Both changed an object: merge its members (an object new on both sides too).
        inner: Any = base if isinstance(base, dict) else {}
        merged: dict[str, Any] = {}
        for key in dict.fromkeys([*theirs, *mine]):
            below = UNKNOWN if base is UNKNOWN else inner.get(key, MISSING)
            value = _merge(
                below, mine.get(key, MISSING), theirs.get(key, MISSING), _join(pointer, key),
                conflicts,
            )
            if value is not MISSING:
                merged[key] = value
        return merged
    conflicts.append(Conflict(pointer, mine, theirs))
    return theirs


def resolve(merged: Any, conflicts: Iterable[Conflict], choices: Mapping[str, Choice]) -> Any:
    """`merged` with each conflict settled by its choice ("mine" or "theirs"; theirs if none)."""
    for conflict in conflicts:
        if choices.get(conflict.pointer) == "mine":
            merged = put(merged, conflict.pointer, conflict.mine)
    return merged


# ---------------------------------------------------------------------------------------------
# The base: the stored values rewound through the history


def since(history: Sequence[Change], version: int, current: int) -> list[Change] | None:
    """The changes that made the versions after `version`, oldest first.

    Each committed change writes its rows at one instant, by one actor, through one channel
    (comments, chases and SLA events make no version); the first group is the ticket's
    creation (version 1). None
    when the groups do not account for exactly `current` versions (a ticket imported without
    its history, say): then the base is unknown.
    """
    groups: list[list[Change]] = []
    for change in history:
        if change.kind in VERSIONLESS:
            continue
        key = (change.at, change.actor_id, change.channel)
        if groups and (groups[-1][0].at, groups[-1][0].actor_id, groups[-1][0].channel) == key:
            groups[-1].append(change)
        else:
            groups.append([change])
    if len(groups) != current or not 1 <= version <= current:
        return None
    return [change for group in groups[version:] for change in group]


def rewind(current: Mapping[str, Any], changes: Sequence[Change], like: Any) -> dict[str, Any]:
    """The values before `changes`: each change's `old` put back, newest first.

    Only pointers into `current` are rewound (its top-level names: `/priority`, `/data/...`).
    The history writes an absent member as null; where `like` (what the agent posts, read
    from a form rendered at that version) holds null there, null is taken, else absent.
    """
    base: Any = dict(current)
    for change in reversed(changes):
        where = tokens(change.pointer) if change.pointer else []
        if not where or where[0] not in base:
            continue
        old = change.old
        if old is None and len(where) > 1 and get(like, change.pointer or "") is not None:
            old = MISSING
        base = put(base, change.pointer or "", old)
    return dict(base)


def last_change(changes: Sequence[Change], pointer: str) -> Change | None:
    """The newest of `changes` at `pointer`, above it or below it (who changed that value)."""
    for change in reversed(changes):
        found = change.pointer or ""
        if found and (_within(found, pointer) or _within(pointer, found)):
            return change
    return None


def _within(pointer: str, base: str) -> bool:
    return pointer == base or pointer.startswith(base + "/")


__all__ = [
    "MISSING",
    "UNKNOWN",
    "Change",
    "Choice",
    "Conflict",
    "differences",
    "get",
    "last_change",
    "put",
    "resolve",
    "rewind",
    "same",
    "since",
    "three_way",
]
