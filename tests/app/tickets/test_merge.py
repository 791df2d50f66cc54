"""Three-way merge of a stale edit: pure rules, properties, and the base rewound from history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.tickets import merge
from app.tickets.merge import MISSING, UNKNOWN, Change, Conflict, three_way
from app.tickets.models import Ticket
from app.tickets.service import add_comment, change_state, update_ticket
from tests.app.tickets.conftest import Setting

# ---------------------------------------------------------------------------------------------
# The rules


def test_each_side_keeps_its_own_changes() -> None:
    base = {"priority": "normal", "data": {"a": 1, "b": 2}}
    mine = {"priority": "normal", "data": {"a": 10, "b": 2}}
    theirs = {"priority": "high", "data": {"a": 1, "b": 2, "c": 3}}
    merged, conflicts = three_way(base, mine, theirs)
    assert merged == {"priority": "high", "data": {"a": 10, "b": 2, "c": 3}}
    assert conflicts == []


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    merged, conflicts = three_way({"x": 1}, {"x": 2}, {"x": 2})
    assert merged == {"x": 2} and conflicts == []


def test_different_changes_of_one_value_conflict_at_its_pointer() -> None:
    base = {"data": {"contact": {"email": "a@x.test", "name": "Li"}}}
    mine = {"data": {"contact": {"email": "b@x.test", "name": "Li"}}}
    theirs = {"data": {"contact": {"email": "c@x.test", "name": "Wei"}}}
    merged, conflicts = three_way(base, mine, theirs)
    assert conflicts == [Conflict("/data/contact/email", "b@x.test", "c@x.test")]
    assert merged == theirs  # theirs at the conflict until it is resolved
    assert merge.resolve(merged, conflicts, {"/data/contact/email": "mine"}) == {
        "data": {"contact": {"email": "b@x.test", "name": "Wei"}}
    }
    assert merge.resolve(merged, conflicts, {"/data/contact/email": "theirs"}) == theirs


def test_removal_against_a_change_conflicts_and_removal_alone_is_kept() -> None:
    base = {"a": 1, "b": 2}
    merged, conflicts = three_way(base, {"b": 2}, {"a": 5, "b": 2})
    assert conflicts == [Conflict("/a", MISSING, 5)]
    assert merge.resolve(merged, conflicts, {"/a": "mine"}) == {"b": 2}
    assert three_way(base, {"b": 2}, {"a": 1, "b": 3}) == ({"b": 3}, [])


def test_arrays_are_single_values_and_types_are_told_apart() -> None:
    base = {"tags": ["a"], "n": 1}
    merged, conflicts = three_way(base, {"tags": ["a", "b"], "n": 1.0}, {"tags": ["c"], "n": 1})
    assert [c.pointer for c in conflicts] == ["/tags"]
    assert merged["n"] == 1.0 and isinstance(merged["n"], float)  # 1.0 is a change of 1
    assert not merge.same(True, 1) and not merge.same(1, 1.0) and merge.same({"a": 1}, {"a": 1})


def test_an_unknown_base_makes_every_difference_a_conflict() -> None:
    merged, conflicts = three_way(UNKNOWN, {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5})
    assert [c.pointer for c in conflicts] == ["/b", "/c"]
    assert merged == {"a": 1, "b": 5}


def test_pointers_escape_names() -> None:
    merged, conflicts = three_way({"a/b": 1}, {"a/b": 2}, {"a/b": 3})
    assert conflicts[0].pointer == "/a~1b"
    assert merge.resolve(merged, conflicts, {"/a~1b": "mine"}) == {"a/b": 2}
    assert merge.get({"a/b": {"~": 4}}, "/a~1b/~0") == 4


def test_put_and_get() -> None:
    doc = {"a": {"b": [1, {"c": 2}]}}
    assert merge.put(doc, "/a/b/1/c", 3) == {"a": {"b": [1, {"c": 3}]}}
    assert merge.put(doc, "/x/y", 1) == {**doc, "x": {"y": 1}}
    assert merge.put(doc, "/a/b", MISSING) == {"a": {}}
    assert merge.put(doc, "/nothing/here", MISSING) == doc
    assert merge.put(doc, "/a/b/7", 1) == doc  # past the end of an array: no change
    assert doc == {"a": {"b": [1, {"c": 2}]}}  # never changed in place
    assert merge.get(doc, "/a/b/0") == 1 and merge.get(doc, "/a/z") is MISSING


def test_differences_name_the_changed_leaves() -> None:
    assert merge.differences({"a": 1, "b": {"c": 1, "d": 2}}, {"a": 1, "b": {"c": 5}}) == [
        "/b/c", "/b/d",
    ]


# ---------------------------------------------------------------------------------------------
# Properties

_scalar = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "a", "b"])
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("xyz"), inner,
                                                                 max_size=3),
    max_leaves=6,
)
_document = st.dictionaries(st.sampled_from(["p", "q", "r", "s"]), _value, max_size=4)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@st.composite
def _edits(draw: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(base, mine, theirs): each side an edit of base (some keys changed, added, removed)."""
    base = draw(_document)

    def edit() -> dict[str, Any]:
        out = dict(base)
        for key in draw(st.lists(st.sampled_from(["p", "q", "r", "s"]), max_size=3)):
            if draw(st.booleans()) and key in out:
                del out[key]
            else:
                out[key] = draw(_value)
        return out

    return base, edit(), edit()


@PROPERTY_SETTINGS
@given(_edits())
def test_a_value_changed_on_one_side_only_ends_with_that_side(
    edits: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    base, mine, theirs = edits
    merged, conflicts = three_way(base, mine, theirs)
    clashes = {c.pointer for c in conflicts}
    for key in base.keys() | mine.keys() | theirs.keys():
        b, m, t = (d.get(key, MISSING) for d in (base, mine, theirs))
        got = merged.get(key, MISSING)
        if merge.same(m, b):  # only theirs changed it (or nobody): never reverted
            assert merge.same(got, t), key
        elif merge.same(t, b):  # only mine changed it
            assert merge.same(got, m), key
        elif not any(p == f"/{key}" or p.startswith(f"/{key}/") for p in clashes):
            # both changed it: merged member by member, or the same value on both sides
            assert isinstance(m, dict) and isinstance(t, dict) or merge.same(m, t), key


@PROPERTY_SETTINGS
@given(_edits())
def test_without_conflicts_both_sides_changes_are_in_the_merge(
    edits: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    base, mine, theirs = edits
    merged, conflicts = three_way(base, mine, theirs)
    for pointer in merge.differences(base, theirs):
        if not any(pointer.startswith(c.pointer) for c in conflicts):
            mine_value = merge.get(mine, pointer)
            if merge.same(mine_value, merge.get(base, pointer)):
                assert merge.same(merge.get(merged, pointer), merge.get(theirs, pointer))
    # Settling every conflict gives one side's value at each of them.
    for choice in ("mine", "theirs"):
        settled = merge.resolve(merged, conflicts, {c.pointer: choice for c in conflicts})
        for c in conflicts:
            want = c.mine if choice == "mine" else c.theirs
            assert merge.same(merge.get(settled, c.pointer), want)


@PROPERTY_SETTINGS
@given(_edits())
def test_the_merge_is_the_other_side_when_one_side_changed_nothing(
    edits: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    base, mine, theirs = edits
    assert three_way(base, base, theirs) == (theirs, [])
    assert three_way(base, mine, base) == (mine, [])
    assert three_way(base, mine, mine) == (mine, [])
    swapped = {c.pointer: (c.theirs, c.mine) for c in three_way(base, theirs, mine)[1]}
    assert swapped == {c.pointer: (c.mine, c.theirs) for c in three_way(base, mine, theirs)[1]}


# ---------------------------------------------------------------------------------------------
# The base from the history (pure)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def change(seconds: int, pointer: str | None, old: Any = None, new: Any = None,
           kind: str = "field_changed", actor: int | None = 1) -> Change:
    return Change(T0 + timedelta(seconds=seconds), actor, "agent", kind, pointer, old, new)


HISTORY = [
    change(0, None, kind="created"),  # version 1
    change(1, "/priority", "normal", "high"),  # version 2: two rows at one instant
    change(1, "/data/a", 1, 2),
    change(2, "/comments/1", kind="commented"),  # no version
    change(3, "/data/b", None, "new", actor=2),  # version 3: /data/b added
]


def test_since_groups_the_rows_of_each_version() -> None:
    assert merge.since(HISTORY, 3, 3) == []
    assert merge.since(HISTORY, 2, 3) == [HISTORY[4]]
    assert merge.since(HISTORY, 1, 3) == [HISTORY[1], HISTORY[2], HISTORY[4]]
    assert merge.since(HISTORY, 1, 4) is None  # a version without history: base unknown
    assert merge.since(HISTORY, 0, 3) is None and merge.since(HISTORY, 5, 3) is None


def test_rewind_puts_back_the_old_values() -> None:
    current = {"priority": "high", "subject": "S", "data": {"a": 2, "b": "new"}}
    changes = merge.since(HISTORY, 1, 3)
    assert changes is not None
    assert merge.rewind(current, changes, like={"data": {}}) == {
        "priority": "normal", "subject": "S", "data": {"a": 1},
    }
    # An old null is absent unless the form posts a null there.
    assert merge.rewind(current, [HISTORY[4]], like={"data": {"b": None}})["data"] == {
        "a": 2, "b": None,
    }
    assert merge.last_change(HISTORY, "/data/b") == HISTORY[4]
    assert merge.last_change(HISTORY, "/data") == HISTORY[4]
    assert merge.last_change(HISTORY, "/subject") is None


# ---------------------------------------------------------------------------------------------
# The base from the history the service writes (both databases)


def _view(ticket: Ticket) -> dict[str, Any]:
    return {"subject": ticket.subject, "priority": ticket.priority, "data": dict(ticket.data)}


def _history(ticket_id: int) -> list[Change]:
    ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None
    db.session.refresh(ticket, ["events"])
    return [Change(e.at, e.actor_id, e.channel, e.kind, e.pointer, e.old, e.new)
            for e in ticket.events]


def test_every_version_is_rewound_from_the_stored_history(
    setting: Setting, new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket(data={"a": 1, "obj": {"x": "1"}, "gone": True})
    versions = {1: _view(ticket)}
    steps: list[dict[str, Any]] = [
        {"priority": "high", "data": {"a": 2, "obj": {"x": "1"}, "gone": True}},
        {"data": {"a": 2, "obj": {"x": "2", "y": None}}},  # removes one member, adds a null
        {"subject": "Renamed"},
        {"data": {"a": [1, 2], "obj": None, "new": {"deep": "v"}}},
    ]
    for step in steps:
        ticket = update_ticket(ticket.id, step, ticket.lock_version, setting.agent_id)
        versions[ticket.lock_version] = _view(ticket)
        add_comment(ticket.id, "a note", setting.agent_id, internal=True)
        ticket = db.session.get(Ticket, ticket.id, populate_existing=True)
    ticket = change_state(ticket.id, "open", ticket.lock_version, setting.other_agent_id)
    current = _view(ticket)
    versions[ticket.lock_version] = current
    history = _history(ticket.id)
    for version, seen in versions.items():
        changes = merge.since(history, version, ticket.lock_version)
        assert changes is not None, version
        assert merge.rewind(current, changes, like=seen) == seen, version


@pytest.mark.parametrize("when", ["before", "after"])
def test_history_that_misses_a_version_gives_no_base(
    setting: Setting, new_ticket: Callable[..., Ticket], when: str
) -> None:
    ticket = new_ticket(data={"a": 1})
    ticket = update_ticket(ticket.id, {"data": {"a": 2}}, 1, setting.agent_id)
    history = _history(ticket.id)
    missing = history[1:] if when == "before" else history[:1]
    assert merge.since(missing, 1, ticket.lock_version) is None
