"""Later work as plain answers: SLA timers, auto-close, automations due, triggers per event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.workflows.test_sla import CAL, local
from workflows import BusinessCalendar, load_workflow
from workflows import sla as clocks
from workflows.model import PRIORITIES, AutoClose, Automation, Targets
from workflows.timers import (
    MAX_DEPTH,
    auto_close,
    auto_close_at,
    automation_due,
    policy_targets,
    shift_priority,
    sla_timers,
    triggers_for,
)

TARGETS = Targets(timedelta(hours=1), timedelta(hours=4))
NOTHING_MET = {"first_response": False, "resolution": False}


def workflow(**parts: Any) -> Any:
    return load_workflow(
        {
            "key": "t",
            "title": "T",
            "states": [
                {"name": "open", "category": "open"},
                {"name": "solved", "category": "solved"},
                {"name": "shut", "category": "closed"},
            ],
            "initial": "open",
            "transitions": [
                {"name": "solve", "from": ["open"], "to": "solved", "roles": ["agent"]},
                {"name": "shut", "from": ["solved"], "to": "shut", "roles": ["agent"]},
            ],
            **parts,
        }
    )


def test_a_running_clock_has_a_warning_and_a_breach_per_open_target() -> None:
    clock = clocks.Clock(local(2026, 9, 29, 9, 0))  # Tuesday 09:00
    timers = sla_timers(CAL, clock, TARGETS, 0.5, NOTHING_MET)
    assert [(t.target, t.level, t.at) for t in timers] == [
        ("first_response", "warning", local(2026, 9, 29, 9, 30)),
        ("first_response", "breach", local(2026, 9, 29, 10, 0)),
        ("resolution", "warning", local(2026, 9, 29, 11, 0)),
        ("resolution", "breach", local(2026, 9, 29, 14, 0)),  # the lunch hour does not count
    ]
    assert {t.due for t in timers if t.target == "resolution"} == {local(2026, 9, 29, 14, 0)}


def test_a_paused_clock_or_a_met_target_has_no_timers() -> None:
    started = local(2026, 9, 29, 9, 0)
    paused = clocks.pause(clocks.Clock(started), local(2026, 9, 29, 9, 10))
    assert sla_timers(CAL, paused, TARGETS, 0.8, NOTHING_MET) == []
    met = {"first_response": True, "resolution": False}
    timers = sla_timers(CAL, clocks.Clock(started), TARGETS, 0.8, met)
    assert {t.target for t in timers} == {"resolution"}


def test_a_warning_ratio_of_one_or_more_warns_nothing_apart_from_the_breach() -> None:
    timers = sla_timers(CAL, clocks.Clock(local(2026, 9, 29, 9, 0)), TARGETS, 1.0, NOTHING_MET)
    assert [t.level for t in timers] == ["breach", "breach"]


@given(st.floats(min_value=0.05, max_value=0.95), st.integers(min_value=1, max_value=600))
def test_the_warning_always_comes_before_the_breach(ratio: float, minutes: int) -> None:
    targets = Targets(None, timedelta(minutes=minutes))
    clock = clocks.Clock(local(2026, 9, 29, 10, 17))
    warning, breach = sla_timers(CAL, clock, targets, ratio, NOTHING_MET)
    assert warning.at <= breach.at == breach.due == warning.due


def test_policy_targets_by_name_and_priority() -> None:
    wf = workflow(
        sla={"policies": [{"name": "std", "targets": {"normal": {"resolution": "PT4H"}}}]}
    )
    assert policy_targets(wf.parts, "std", "normal") == Targets(None, timedelta(hours=4))
    assert policy_targets(wf.parts, "std", "urgent") is None
    assert policy_targets(wf.parts, "gone", "normal") is None


def test_auto_close_defaults_to_three_days_into_the_first_closed_state() -> None:
    assert auto_close(workflow().parts) == AutoClose(timedelta(days=3), False, "shut")
    rule = auto_close(workflow(auto_close={"after": "PT16H", "business": True}).parts)
    assert rule is not None and rule.business
    solved = local(2026, 9, 30, 17, 0)  # Wednesday 17:00; Thursday and Friday are holidays
    assert auto_close_at(rule, CAL, solved) == local(2026, 10, 6, 17, 0)
    assert auto_close_at(AutoClose(timedelta(days=3), False, "shut"), CAL, solved) == (
        solved + timedelta(days=3)
    )


def test_automations_are_due_after_their_period_in_business_or_calendar_time() -> None:
    since = local(2026, 9, 29, 17, 0)
    business = Automation("a", None, timedelta(hours=2), "state_entered", True, ())
    calendar = Automation("b", None, timedelta(hours=2), "state_entered", False, ())
    assert automation_due(business, CAL, since) == local(2026, 9, 30, 10, 0)
    assert automation_due(calendar, CAL, since) == local(2026, 9, 29, 19, 0)
    assert automation_due(calendar, BusinessCalendar.from_definition(None), since) == (
        local(2026, 9, 29, 19, 0)
    )


def test_triggers_fire_on_their_events_and_conditions_and_stop_at_the_depth_bound() -> None:
    wf = workflow(
        triggers=[
            {"name": "all", "on": ["ticket.created", "ticket.updated"],
             "actions": [{"type": "set_priority", "priority": "high"}]},
            {"name": "urgent_only", "on": ["ticket.updated"],
             "when": {"properties": {"priority": {"const": "urgent"}}},
             "actions": [{"type": "escalate"}]},
        ]
    )
    names = lambda event, doc, depth=0: [  # noqa: E731
        t.name for t in triggers_for(wf.parts.triggers, event, doc, depth)
    ]
    assert names("ticket.created", {"priority": "urgent"}) == ["all"]
    assert names("ticket.updated", {"priority": "urgent"}) == ["all", "urgent_only"]
    assert names("ticket.updated", {"priority": "low"}) == ["all"]
    assert names("sla.breached", {"priority": "urgent"}) == []
    assert names("ticket.updated", {"priority": "urgent"}, MAX_DEPTH - 1) == ["all", "urgent_only"]
    assert names("ticket.updated", {"priority": "urgent"}, MAX_DEPTH) == []


@given(st.sampled_from(PRIORITIES), st.sampled_from(["raise", "lower"]))
def test_raising_or_lowering_moves_one_step_within_the_priorities(
    current: str, change: str
) -> None:
    shifted = shift_priority(current, change)
    step = PRIORITIES.index(shifted) - PRIORITIES.index(current)
    at_edge = current == (PRIORITIES[-1] if change == "raise" else PRIORITIES[0])
    assert step == (0 if at_edge else (1 if change == "raise" else -1))
    assert shift_priority(current, "urgent") == "urgent"
