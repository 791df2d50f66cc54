"""load_workflow: what a definition must be, and where each problem is reported."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from workflows import Category, DefinitionError, load_workflow, references
from workflows.loader import checksum_of

DEMO = Path(__file__).parents[2] / "app" / "demo" / "definitions" / "workflow"


def tiny(**extra: Any) -> dict[str, Any]:
    """The smallest useful workflow: new → open → solved → closed, with a reopen path."""
    body: dict[str, Any] = {
        "key": "tiny",
        "title": "Tiny",
        "states": [
            {"name": "new", "category": "new"},
            {"name": "open", "category": "open"},
            {"name": "solved", "category": "solved"},
            {"name": "closed", "category": "closed"},
        ],
        "initial": "new",
        "transitions": [
            {"name": "start", "from": ["new"], "to": "open", "roles": ["agent"]},
            {"name": "solve", "from": ["open"], "to": "solved", "roles": ["agent"]},
            {"name": "reopen", "from": ["solved"], "to": "open", "roles": ["agent"]},
            {"name": "close", "from": ["solved"], "to": "closed", "roles": ["agent"]},
        ],
    }
    body.update(extra)
    return body


def errors_of(body: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(DefinitionError) as caught:
        load_workflow(body)
    return caught.value.errors


def test_a_tiny_workflow_loads() -> None:
    wf = load_workflow(tiny())
    assert wf.initial.name == "new"
    assert wf.category("solved") is Category.SOLVED
    assert wf.category("nope") is None
    assert [s for s in wf.states] == ["new", "open", "solved", "closed"]


def test_loading_twice_gives_the_same_compiled_workflow() -> None:
    assert load_workflow(tiny()) is load_workflow(copy.deepcopy(tiny()))
    assert load_workflow(tiny()).checksum == checksum_of(tiny())
    assert load_workflow(tiny(title="Other")) is not load_workflow(tiny())


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.json")), ids=lambda p: p.stem)
def test_the_demo_workflows_load(path: Path) -> None:
    body = json.loads(path.read_text("utf-8"))
    wf = load_workflow(body)
    assert wf.key == path.stem
    assert wf.calendar.timezone.key == "Asia/Shanghai"


def test_the_meta_schema_reports_every_shape_error_at_its_pointer() -> None:
    body = tiny()
    body["states"][1]["category"] = "pending"
    body["transitions"][0]["roles"] = ["boss"]
    del body["title"]
    found = errors_of(body)
    assert set(found) == {"/states/1/category", "/transitions/0/roles/0", "/title"}


def test_transitions_must_name_real_states() -> None:
    body = tiny()
    body["transitions"][0]["from"] = ["neu"]
    body["transitions"][1]["to"] = "done"
    found = errors_of(body)
    assert found["/transitions/0/from/0"] == ["There is no state called neu."]
    assert found["/transitions/1/to"] == ["There is no state called done."]


def test_the_initial_state_must_exist() -> None:
    assert errors_of(tiny(initial="start"))["/initial"] == ["There is no state called start."]


def test_every_state_must_be_reachable_from_the_initial_one() -> None:
    body = tiny()
    body["states"].append({"name": "limbo", "category": "closed"})
    assert errors_of(body) == {"/states/4": ["No transition leads here from the initial state."]}


def test_only_closed_states_may_be_final() -> None:
    body = tiny()
    body["transitions"] = [t for t in body["transitions"] if t["name"] not in ("reopen", "close")]
    found = errors_of(body)
    assert list(found) == ["/states/2", "/states/3"]
    assert "Only a closed state may be final" in found["/states/2"][0]
    assert found["/states/3"] == ["No transition leads here from the initial state."]


def test_names_are_unique() -> None:
    body = tiny()
    body["states"].append({"name": "open", "category": "open"})
    body["transitions"].append({"name": "start", "from": ["open"], "to": "new", "roles": ["head"]})
    found = errors_of(body)
    assert found["/states/4/name"] == ["Another state is already called open."]
    assert found["/transitions/4/name"] == ["Another transition is already called start."]


def test_conditions_must_be_valid_schemas() -> None:
    body = tiny(
        routing={
            "rules": [
                {"name": "a", "when": {"type": "strin"}, "then": {"department": "billing"}},
                {
                    "name": "b",
                    "when": {"properties": {"data": {"pattern": "(["}}},
                    "then": {"priority": "high"},
                },
            ]
        }
    )
    found = errors_of(body)
    assert any(p.startswith("/routing/rules/0/when") for p in found)
    assert any(p.startswith("/routing/rules/1/when/properties/data/pattern") for p in found)


def test_durations_calendars_and_actions_are_checked_together() -> None:
    body = tiny(
        sla={
            "calendar": {"timezone": "Mars/Olympus"},
            "policies": [{"name": "p", "targets": {"high": {"first_response": "P1M"}}}],
        },
        triggers=[
            {
                "name": "t",
                "on": ["ticket.created"],
                "actions": [{"type": "transition", "transition": "fly"}],
            }
        ],
        automations=[{"name": "a", "after": "soon", "actions": [{"type": "escalate"}]}],
    )
    found = errors_of(body)
    assert {
        "/sla/calendar/timezone",
        "/sla/policies/0/targets/high/first_response",
        "/triggers/0/actions/0/transition",
        "/automations/0/after",
    } <= set(found)
    assert found["/triggers/0/actions/0/transition"] == ["There is no transition called fly."]


def test_transition_set_takes_priorities_only_for_priority() -> None:
    body = tiny()
    body["transitions"][1]["set"] = {"/priority": "asap", "/data/code": 3}
    assert list(errors_of(body)) == ["/transitions/1/set/~1priority"]
    body["transitions"][1]["set"] = {"/state": "x"}
    assert list(errors_of(body)) == ["/transitions/1/set"]


def test_auto_close_needs_a_closed_state() -> None:
    assert load_workflow(tiny(auto_close={"after": "P3D"})).parts.auto_close is not None
    found = errors_of(tiny(auto_close={"after": "P3D", "to": "solved"}))
    assert found == {"/auto_close/to": ["Auto-close needs a state of category closed."]}


def test_references_name_departments_skills_and_templates_by_pointer() -> None:
    body = tiny(
        routing={
            "rules": [
                {
                    "name": "r",
                    "when": {"properties": {"template": {"const": "refund"}}},
                    "then": {"department": "billing", "skills": ["refund", "vip"]},
                },
                {
                    "name": "s",
                    "when": {"anyOf": [{"properties": {"template": {"enum": ["repair"]}}}]},
                    "then": {"department": "repair"},
                },
            ]
        },
        triggers=[
            {
                "name": "t",
                "on": ["sla.breached"],
                "actions": [{"type": "assign", "skills": ["senior"]}],
            }
        ],
    )
    found = references(body)
    assert found.departments == {
        "/routing/rules/0/then/department": "billing",
        "/routing/rules/1/then/department": "repair",
    }
    assert found.skills == {
        "/routing/rules/0/then/skills/0": "refund",
        "/routing/rules/0/then/skills/1": "vip",
        "/triggers/0/actions/0/skills/0": "senior",
    }
    assert found.templates == {
        "/routing/rules/0/when/properties/template/const": "refund",
        "/routing/rules/1/when/anyOf/0/properties/template/enum/0": "repair",
    }
