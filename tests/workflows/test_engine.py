"""Routing, explain, transitions and SLA selection of a loaded workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.workflows.test_loader import tiny
from workflows import Outcome, Strategy, load_workflow


def data_is(field: str, value: Any) -> dict[str, Any]:
    return {"properties": {"data": {"properties": {field: {"const": value}}, "required": [field]}}}


def doc(**data: Any) -> dict[str, Any]:
    return {
        "data": data,
        "template": "t",
        "priority": "normal",
        "channel": "web",
        "state": "new",
        "department": "frontline",
        "requester": {"name": None, "email": None, "phone": None},
    }


ROUTED = tiny(
    routing={
        "strategy": "least_loaded",
        "rules": [
            {
                "name": "vip",
                "when": data_is("tier", "vip"),
                "then": {"department": "vip_desk", "priority": "high", "skills": ["vip"]},
            },
            {
                "name": "billing",
                "when": data_is("topic", "bill"),
                "then": {"department": "billing"},
            },
            {
                "name": "fast",
                "when": data_is("topic", "outage"),
                "then": {"priority": "urgent", "strategy": "round_robin"},
            },
        ],
        "priority_matrix": {
            "impact": "/data/impact",
            "urgency": "/data/urgency",
            "values": {"high": {"high": "urgent", "low": "normal"}, "1": {"2": "low"}},
        },
    }
)


def test_the_first_matching_rule_decides() -> None:
    wf = load_workflow(ROUTED)
    route = wf.route(doc(tier="vip", topic="bill"))
    assert (route.rule, route.department, route.priority, route.skills) == (
        "vip",
        "vip_desk",
        "high",
        ("vip",),
    )
    assert route.strategy is Strategy.SKILLS  # skills without a strategy
    billing = wf.route(doc(topic="bill"))
    assert (billing.rule, billing.department, billing.strategy) == (
        "billing",
        "billing",
        Strategy.LEAST_LOADED,
    )
    fast = wf.route(doc(topic="outage"))
    assert (fast.department, fast.priority, fast.strategy) == (None, "urgent", Strategy.ROUND_ROBIN)


def test_no_rule_falls_back_to_the_workflow_defaults() -> None:
    route = load_workflow(ROUTED).route(doc(topic="other"))
    assert (route.rule, route.department, route.priority, route.strategy) == (
        None,
        None,
        None,
        Strategy.LEAST_LOADED,
    )
    assert load_workflow(tiny()).route(doc()).strategy is Strategy.MANUAL


def test_the_matrix_gives_a_priority_when_the_rule_does_not() -> None:
    wf = load_workflow(ROUTED)
    route = wf.route(doc(impact="high", urgency="high", topic="bill"))
    assert (route.priority, route.priority_from) == ("urgent", "matrix")
    assert wf.route(doc(impact=1, urgency=2)).priority == "low"  # integers by their digits
    assert wf.route(doc(impact=True, urgency=2)).priority is None
    assert wf.route(doc(impact="high", urgency="medium")).priority is None


def test_a_rule_priority_beats_the_given_one_which_beats_the_matrix() -> None:
    wf = load_workflow(ROUTED)
    by_rule = wf.route(doc(tier="vip", impact="high", urgency="low"))
    assert wf.priority_for(by_rule, "low") == "high"
    by_matrix = wf.route(doc(impact="high", urgency="low"))
    assert wf.priority_for(by_matrix, "urgent") == "urgent"
    assert wf.priority_for(by_matrix, None) == "normal"
    assert wf.priority_for(wf.route(doc()), None) == "normal"


def test_explain_reports_every_rule_and_the_first_failing_keyword() -> None:
    reports = load_workflow(ROUTED).explain(doc(topic="bill", tier="gold"))
    assert [(r.name, r.matched) for r in reports] == [
        ("vip", False),
        ("billing", True),
        ("fast", False),
    ]
    miss = reports[0].miss
    assert miss is not None and miss.keyword == "const"
    assert miss.instance_pointer == "/data/tier"
    assert miss.schema_pointer == "/routing/rules/0/when/properties/data/properties/tier/const"
    assert reports[1].miss is None


GUARDED = tiny()
GUARDED["transitions"][1] = {
    "name": "solve",
    "from": ["open"],
    "to": "solved",
    "roles": ["agent", "head"],
    "requires": {
        "properties": {
            "data": {"required": ["resolution"], "properties": {"resolution": {"minLength": 5}}}
        }
    },
    "set": {"/priority": "low"},
    "approval": {
        "by": "department_head",
        "when": {
            "properties": {
                "data": {"properties": {"amount": {"minimum": 500}}, "required": ["amount"]}
            }
        },
    },
}
GUARDED["transitions"].append(
    {
        "name": "escalate",
        "from": ["open"],
        "to": "open",
        "roles": ["head"],
        "when": {"properties": {"priority": {"const": "urgent"}}},
    }
)


def at(state: str, priority: str = "normal", **data: Any) -> dict[str, Any]:
    return {**doc(**data), "state": state, "priority": priority}


def test_transitions_offered_depend_on_state_role_and_condition() -> None:
    wf = load_workflow(GUARDED)
    assert [t.name for t in wf.transitions("open", {"agent"}, at("open"))] == ["solve"]
    assert [t.name for t in wf.transitions("open", {"head"}, at("open", "urgent"))] == [
        "solve",
        "escalate",
    ]
    assert wf.transitions("open", {"admin"}, at("open")) == []
    assert [t.name for t in wf.transitions("solved", {"agent"}, at("solved"))] == [
        "reopen",
        "close",
    ]


def test_check_transition_outcomes() -> None:
    wf = load_workflow(GUARDED)
    assert wf.check_transition("fly", at("open"), {"agent"}).outcome is Outcome.UNKNOWN
    assert wf.check_transition("solve", at("new"), {"agent"}).outcome is Outcome.UNAVAILABLE
    assert wf.check_transition("escalate", at("open"), {"head"}).outcome is Outcome.UNAVAILABLE
    assert wf.check_transition("solve", at("open"), {"admin"}).outcome is Outcome.FORBIDDEN
    missing = wf.check_transition("solve", at("open"), {"agent"})
    assert missing.outcome is Outcome.INVALID
    assert missing.errors == {"/data/resolution": ["This field is required."]}
    short = wf.check_transition("solve", at("open", resolution="ok"), {"agent"})
    assert list(short.errors) == ["/data/resolution"]
    done = wf.check_transition("solve", at("open", resolution="fixed it"), {"agent"})
    assert done.ok and done.transition is not None and done.transition.set == {"/priority": "low"}
    big = wf.check_transition("solve", at("open", resolution="fixed it", amount=900), {"agent"})
    assert big.outcome is Outcome.APPROVAL and not big.ok


SLA = tiny(
    sla={
        "warning": 0.75,
        "calendar": {"timezone": "Asia/Shanghai", "hours": {"mon": [["09:00", "18:00"]]}},
        "policies": [
            {
                "name": "vip",
                "when": data_is("tier", "vip"),
                "targets": {"high": {"first_response": "PT1H", "resolution": "PT4H"}},
            },
            {
                "name": "standard",
                "targets": {"high": {"first_response": "PT4H"}, "normal": {"resolution": "P2D"}},
            },
        ],
    }
)


def test_the_first_matching_policy_gives_the_targets_for_the_priority() -> None:
    wf = load_workflow(SLA)
    vip = wf.sla("high", doc(tier="vip"))
    assert vip is not None and vip.policy == "vip" and vip.warning == 0.75
    assert vip.targets.first_response == timedelta(hours=1)
    assert vip.calendar.timezone.key == "Asia/Shanghai"
    assert wf.sla("normal", doc(tier="vip")) is None  # the vip policy has no normal target
    standard = wf.sla("normal", doc())
    assert standard is not None and standard.policy == "standard"
    assert (standard.targets.first_response, standard.targets.resolution) == (
        None,
        timedelta(days=2),
    )
    assert load_workflow(tiny()).sla("normal", doc()) is None


@pytest.mark.parametrize("name", ["vip", "billing", "fast"])
def test_routing_agrees_with_explain(name: str) -> None:
    wf = load_workflow(ROUTED)
    sample = {"vip": doc(tier="vip"), "billing": doc(topic="bill"), "fast": doc(topic="outage")}
    d = sample[name]
    first = next(r.name for r in wf.explain(d) if r.matched)
    assert wf.route(d).rule == first == name
