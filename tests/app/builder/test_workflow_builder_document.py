"""The workflow builder's pure modules (app/static/tessera/workflow_builder), run in Node.

`workflow_harness.mjs` reads a workflow's parts as the editor shows them (`editor.split`), runs
builder actions on them and answers every part's text after each action and after undoing
them all. The documents: the demo workflows and the editor's starter. The properties:

- read → write back gives the editor's text byte for byte;
- any actions, then undo of each, give the text back byte for byte;
- an action the builder refuses changes nothing;
- a member the builder does not know (`x-probe`) survives every action but deleting its owner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.views import definition_editor as editor
from tests.app.builder.node import NodeHarness, check_round_trip

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "workflow_harness.mjs"
DEMO = Path(__file__).resolve().parents[3] / "app" / "demo" / "definitions" / "workflow"
PARTS = ("states", "transitions", "routing", "sla", "auto_close", "initial")
PROPERTIES = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORKFLOWS = {p.stem: json.loads(p.read_text()) for p in sorted(DEMO.glob("*.json"))}
HAND_WRITTEN = {"complaint": {"senior"}, "triage": {"vip_requester"}}
DOCUMENTS = [*WORKFLOWS.values(), editor.starter("workflow")]


class Harness(NodeHarness):
    """The workflow builder's harness (workflow_harness.mjs)."""

    def __init__(self) -> None:
        super().__init__(HARNESS)

    def ask(
        self, parts: dict[str, str], actions: list[dict[str, Any]], pointers: Sequence[str] = ()
    ) -> dict[str, Any]:
        return self.send({"parts": parts, "actions": actions, "pointers": list(pointers)})


@pytest.fixture(scope="module")
def builder() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def texts(body: dict[str, Any]) -> dict[str, str]:
    """The parts the builder edits, as the editor's inputs hold them."""
    shown = editor.split("workflow", {"title": "", **body})
    return {name: shown[name] for name in PARTS}


def run(builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts (as JSON) after `steps`, which must all apply; checks the round trip."""
    parts = texts(body)
    answer = builder.ask(parts, steps)
    check_round_trip(answer, parts)
    refused = [(step["action"], step["refused"]) for step in answer["steps"] if "refused" in step]
    assert refused == []
    last = answer["steps"][-1]["parts"] if steps else answer["read"]
    out: dict[str, Any] = {}
    for name, text in last.items():
        out[name] = text if name == "initial" else json.loads(text) if text else None
    out["shown"] = answer["shown"]
    return out


# -- generated actions --------------------------------------------------------------------------

indexes = st.integers(min_value=0, max_value=30)
names = st.sampled_from(["open", "new", "done", "a1", "Bad name", "", "state_2", "x"])
words = st.one_of(
    st.just(""), st.sampled_from(["Label", "标签 (label)", "a/b~c"]), st.text(max_size=6)
)
fields = st.sampled_from(["resolution", "refund_amount", "parts", "x/y"])
condition_tests = st.fixed_dictionaries(
    {
        "path": st.sampled_from([["data", "refund_amount"], ["priority"], ["channel"], []]),
        "op": st.sampled_from(
            ["is", "isNot", "oneOf", "gt", "gte", "lt", "lte", "empty", "filled"]
        ),
        "value": st.one_of(
            st.integers(-5, 5000), st.sampled_from(["high", "web", ""]), st.just(["a", "b"])
        ),
    }
)
conditions = st.fixed_dictionaries(
    {"match": st.sampled_from(["all", "any"]), "tests": st.lists(condition_tests, max_size=3)}
)
durations = st.sampled_from(["", "PT4H", "PT30M", "P2D", "P1M", "4h", "PT1H30M", "PT"])
times = st.sampled_from(["09:00", "12:00", "18:00", "24:00", "25:00", "9:00"])
days = st.sampled_from(["2026-10-01", "2026-02-29", "2026-12-31", "20261001", "2026-01-04"])
weekdays = st.sampled_from(["mon", "tue", "sat", "sun", "xyz"])
priorities = st.sampled_from(["low", "normal", "high", "urgent", "", "nope"])


def action(do: str, **members: Any) -> st.SearchStrategy[dict[str, Any]]:
    fixed = {k: v for k, v in members.items() if not isinstance(v, st.SearchStrategy)}
    drawn = {k: v for k, v in members.items() if isinstance(v, st.SearchStrategy)}
    return st.fixed_dictionaries(
        {"do": st.just(do), **{k: st.just(v) for k, v in fixed.items()}, **drawn}
    )


def on(list_name: str, do: str, **members: Any) -> st.SearchStrategy[dict[str, Any]]:
    return action(do, index=indexes, **{"$list": list_name}, **members)


KEEPING = [
    action(
        "addState",
        name=st.one_of(st.just(""), names),
        label=words,
        category=st.sampled_from(["open", "waiting", "closed", "bad"]),
    ),
    on("states", "renameState", to=names),
    on("states", "setStateLabel", value=words),
    on("states", "setStateCategory", value=st.sampled_from(["new", "solved", "bad"])),
    on("states", "moveState", by=st.sampled_from([-1, 1])),
    action("setInitial", value=indexes, **{"$state": "value"}),
    action("addTransition", name=st.one_of(st.just(""), names), label=words),
    on("transitions", "renameTransition", to=names),
    on("transitions", "setTransitionLabel", value=words),
    on("transitions", "moveTransition", by=st.sampled_from([-1, 1])),
    on("transitions", "setTransitionTo", value=indexes, **{"$state": "value"}),
    on(
        "transitions",
        "setTransitionFrom",
        state=indexes,
        value=st.booleans(),
        **{"$state": "state"},
    ),
    on(
        "transitions",
        "setTransitionRole",
        role=st.sampled_from(["agent", "head", "admin", "x"]),
        value=st.booleans(),
    ),
    on("transitions", "setRequiredField", field=fields, value=st.booleans()),
    on("transitions", "setApproval", value=st.just(True)),
    on("transitions", "setApprovalCondition", condition=conditions),
    action(
        "addRule",
        name=st.one_of(st.just(""), names),
        label=words,
        department=st.sampled_from(["", "billing", "Bad"]),
    ),
    on("rules", "moveRule", to=indexes),
    on("rules", "moveRuleBy", by=st.sampled_from([-1, 1])),
    on("rules", "renameRule", to=names),
    on("rules", "setRuleLabel", value=words),
    on("rules", "setRuleCondition", condition=conditions),
    on("rules", "setRuleDepartment", value=st.sampled_from(["", "billing", "repair", "B A D"])),
    on("rules", "setRuleStrategy", value=st.sampled_from(["", "skills", "manual", "nope"])),
    on("rules", "setRulePriority", value=priorities),
    on("rules", "setRuleSkill", skill=st.sampled_from(["refund", "vip", ""]), value=st.booleans()),
    action("setDefaultStrategy", value=st.sampled_from(["", "least_loaded", "nope"])),
    action("addPolicy", name=st.one_of(st.just(""), names), label=words),
    on("policies", "movePolicy", by=st.sampled_from([-1, 1])),
    on("policies", "renamePolicy", to=names),
    on("policies", "setPolicyLabel", value=words),
    on("policies", "setPolicyCondition", condition=conditions),
    on(
        "policies",
        "setTarget",
        priority=priorities,
        which=st.sampled_from(["first_response", "resolution"]),
        value=durations,
    ),
    action("setTimezone", value=st.sampled_from(["", "Asia/Shanghai", "UTC"])),
    action("addHours", day=weekdays, start=times, end=times),
    action("setHoursTime", day=weekdays, index=st.integers(0, 2), end=st.booleans(), value=times),
    action("removeHours", day=weekdays, index=st.integers(0, 2)),
    action("addDate", list=st.sampled_from(["holidays", "workdays", "other"]), value=days),
    on("holidays", "removeDate", list="holidays"),
    action("setWarning", value=st.sampled_from(["", "0.8", "0.75", "1", "0", ".5", "x"])),
]
DELETING = [
    on("states", "deleteState"),
    on("transitions", "deleteTransition"),
    on("transitions", "setApproval", value=False),
    on("rules", "deleteRule"),
    on("policies", "deletePolicy"),
    on("rules", "setRuleCondition", condition=conditions, force=True),
]
keeping = st.lists(st.one_of(*KEEPING), max_size=8)
actions = st.lists(st.one_of(*KEEPING, *DELETING), max_size=10)
documents = st.sampled_from(DOCUMENTS)


def probed(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with a member `x-probe` in every object the builder edits a member of."""
    out = json.loads(json.dumps(body))
    probe = {"kept": [1.0, 12345678901234567890, "中"]}

    def mark(node: Any, where: str) -> None:
        if isinstance(node, dict):
            node["x-probe"] = {"at": where, **probe}

    for kind in ("states", "transitions"):
        for i, item in enumerate(out.get(kind, [])):
            mark(item, f"/{kind}/{i}")
    routing = out.setdefault("routing", {})
    mark(routing, "/routing")
    for i, rule in enumerate(routing.get("rules", [])):
        mark(rule, f"/routing/rules/{i}")
        mark(rule.get("then"), f"/routing/rules/{i}/then")
    sla = out.setdefault("sla", {"policies": [{"name": "p", "targets": {}}]})
    mark(sla, "/sla")
    mark(sla.setdefault("calendar", {}), "/sla/calendar")
    for i, policy in enumerate(sla.get("policies", [])):
        mark(policy, f"/sla/policies/{i}")
        for priority, entry in policy.get("targets", {}).items():
            mark(entry, f"/sla/policies/{i}/targets/{priority}")
    return out


# -- properties ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(WORKFLOWS))
def test_demo_workflow_reads_and_writes_back_unchanged(builder: Harness, key: str) -> None:
    parts = texts(WORKFLOWS[key])
    answer = builder.ask(parts, [])
    assert answer["read"] == parts
    shown = answer["shown"]
    assert [s["name"] for s in shown["states"]] == [s["name"] for s in WORKFLOWS[key]["states"]]
    assert all(not s["advanced"] for s in shown["states"] + shown["transitions"])
    unread = {r["name"] for r in shown["rules"] if r["condition"] is None}
    assert unread == HAND_WRITTEN.get(key, set())  # an anyOf inside data; a pattern
    assert shown["calendar"]["timezone"] == "Asia/Shanghai"


@PROPERTIES
@given(body=documents, steps=actions)
def test_actions_then_undo_restore_the_text_byte_for_byte(
    builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    parts = texts(body)
    check_round_trip(builder.ask(parts, steps), parts)


@PROPERTIES
@given(body=documents, steps=keeping)
def test_an_unknown_member_survives_every_action_but_deleting_its_owner(
    builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    parts = texts(probed(body))
    answer = builder.ask(parts, steps)
    check_round_trip(answer, parts)
    first = answer["probesRead"]
    assert first
    for step in answer["steps"]:
        assert step["probes"] == first, f"an unknown member changed after {step['action']}"


# -- states and transitions ---------------------------------------------------------------------


def test_renaming_a_state_follows_transitions_initial_and_auto_close(builder: Harness) -> None:
    body = {**WORKFLOWS["refund"], "auto_close": {"after": "P3D", "to": "closed"}}
    after = run(
        builder,
        body,
        [
            {"do": "renameState", "index": 0, "to": "received"},
            {"do": "renameState", "index": 4, "to": "archived"},
        ],
    )
    assert after["initial"] == "received"
    assert after["auto_close"] == {"after": "P3D", "to": "archived"}
    by_name = {t["name"]: t for t in after["transitions"]}
    assert by_name["start"]["from"] == ["received"]
    assert by_name["solve"]["from"] == ["received", "open", "waiting"]
    assert by_name["close"]["to"] == "archived"
    assert [s["name"] for s in after["states"]] == [
        "received",
        "open",
        "waiting",
        "solved",
        "archived",
    ]


def test_a_state_in_use_is_not_deleted_and_a_taken_name_is_refused(builder: Harness) -> None:
    answer = builder.ask(
        texts(WORKFLOWS["refund"]),
        [
            {"do": "deleteState", "index": 2},
            {"do": "renameState", "index": 1, "to": "waiting"},
            {"do": "renameState", "index": 1, "to": "Not A Name"},
            {
                "do": "setTarget",
                "index": 0,
                "priority": "high",
                "which": "resolution",
                "value": "P1M",
            },
        ],
    )
    assert [("refused" in s, s.get("unchanged")) for s in answer["steps"]] == [(True, True)] * 4
    assert "still used" in answer["steps"][0]["refused"]


def test_new_states_and_transitions(builder: Harness) -> None:
    after = run(
        builder,
        editor.starter("workflow"),
        [
            {"do": "addState", "name": "review", "label": "In review", "category": "waiting"},
            {"do": "addTransition", "name": "send_review", "label": "Send for review"},
            {"do": "setTransitionFrom", "index": 4, "state": "open", "value": True},
            {"do": "setTransitionFrom", "index": 4, "state": "new", "value": False},
            {"do": "setTransitionTo", "index": 4, "value": "review"},
            {"do": "setTransitionRole", "index": 4, "role": "admin", "value": True},
            {"do": "setTransitionRole", "index": 4, "role": "agent", "value": False},
            {"do": "setInitial", "value": "open"},
        ],
    )
    assert after["states"][-1] == {"name": "review", "label": "In review", "category": "waiting"}
    assert after["transitions"][-1] == {
        "name": "send_review",
        "label": "Send for review",
        "from": ["open"],
        "to": "review",
        "roles": ["head", "admin"],
    }
    assert after["initial"] == "open"


def test_required_fields_keep_what_else_requires_says(builder: Harness) -> None:
    solve = 3
    after = run(
        builder,
        WORKFLOWS["refund"],
        [
            {"do": "setRequiredField", "index": solve, "field": "refund_amount", "value": True},
            {"do": "setRequiredField", "index": solve, "field": "resolution", "value": False},
            {"do": "setRequiredField", "index": 0, "field": "order_number", "value": True},
        ],
    )
    requires = after["transitions"][solve]["requires"]
    assert requires == {
        "properties": {
            "data": {
                "required": ["refund_amount"],
                "properties": {"resolution": {"type": "string", "minLength": 10}},
            }
        },
        "required": ["data"],
    }
    assert after["transitions"][0]["requires"] == {
        "properties": {"data": {"required": ["order_number"]}},
        "required": ["data"],
    }
    shown = after["shown"]["transitions"]
    assert shown[solve]["requires"]["advanced"] == ["properties/data/properties"]
    assert shown[0]["requires"] == {"fields": ["order_number"], "editable": True, "advanced": []}
    # Unticking the last field takes the whole shape away again.
    again = run(
        builder,
        {**WORKFLOWS["refund"], "transitions": after["transitions"]},
        [{"do": "setRequiredField", "index": 0, "field": "order_number", "value": False}],
    )
    assert "requires" not in again["transitions"][0]


def test_approval_by_a_department_head_and_its_condition(builder: Harness) -> None:
    condition = {
        "match": "all",
        "tests": [{"path": ["data", "refund_amount"], "op": "gt", "value": 500}],
    }
    after = run(
        builder,
        editor.starter("workflow"),
        [
            {"do": "setApproval", "index": 1, "value": True},
            {"do": "setApprovalCondition", "index": 1, "condition": condition},
        ],
    )
    # The shape of the demo's refund approval, written by the builder.
    assert after["transitions"][1]["approval"] == WORKFLOWS["refund"]["transitions"][3]["approval"]
    shown = after["shown"]["transitions"][1]["approval"]
    assert shown["on"] and shown["condition"]["tests"][0]["op"] == "gt"
    off = run(
        builder,
        {**editor.starter("workflow"), "transitions": after["transitions"]},
        [{"do": "setApprovalCondition", "index": 1, "condition": {"match": "all", "tests": []}}],
    )
    assert off["transitions"][1]["approval"] == {"by": "department_head"}


# -- routing ------------------------------------------------------------------------------------


def test_rules_reorder_by_drag_and_by_step(builder: Harness) -> None:
    body = WORKFLOWS["triage"]
    order = [r["name"] for r in body["routing"]["rules"]]
    after = run(
        builder,
        body,
        [{"do": "moveRule", "index": 4, "to": 0}, {"do": "moveRuleBy", "index": 1, "by": 1}],
    )
    assert [r["name"] for r in after["routing"]["rules"]] == [
        order[4],
        order[1],
        order[0],
        order[2],
        order[3],
    ]
    assert after["routing"]["rules"][0] == body["routing"]["rules"][4]  # moved, not rewritten


def test_a_rule_built_by_clicking(builder: Harness) -> None:
    condition = {
        "match": "any",
        "tests": [
            {"path": ["data", "refund_amount"], "op": "gte", "value": 1000},
            {"path": ["priority"], "op": "oneOf", "value": ["high", "urgent"]},
        ],
    }
    after = run(
        builder,
        editor.starter("workflow"),
        [
            {"do": "addRule", "department": "billing"},
            {"do": "setRuleCondition", "index": 0, "condition": condition},
            {"do": "setRuleStrategy", "index": 0, "value": "skills"},
            {"do": "setRuleSkill", "index": 0, "skill": "refund", "value": True},
            {"do": "setRulePriority", "index": 0, "value": "high"},
            {"do": "addRule", "index": 0},
            {"do": "deleteRule", "index": 0},
            {"do": "setDefaultStrategy", "value": "least_loaded"},
        ],
    )
    assert after["routing"] == {
        "rules": [
            {
                "name": "rule_1",
                "when": {
                    "anyOf": [
                        {
                            "properties": {
                                "data": {
                                    "properties": {"refund_amount": {"minimum": 1000}},
                                    "required": ["refund_amount"],
                                }
                            },
                            "required": ["data"],
                        },
                        {
                            "properties": {"priority": {"enum": ["high", "urgent"]}},
                            "required": ["priority"],
                        },
                    ]
                },
                "then": {
                    "department": "billing",
                    "strategy": "skills",
                    "skills": ["refund"],
                    "priority": "high",
                },
            }
        ],
        "strategy": "least_loaded",
    }
    assert after["shown"]["rules"][0]["condition"]["match"] == "any"


def test_every_ticket_and_hand_written_conditions(builder: Harness) -> None:
    answer = builder.ask(
        texts(WORKFLOWS["complaint"]),
        [{"do": "setRuleCondition", "index": 0, "condition": {"match": "all", "tests": []}}],
    )
    assert "edited in the JSON" in answer["steps"][0]["refused"]
    rules = run(builder, WORKFLOWS["refund"], [])["shown"]["rules"]
    assert rules[1]["every"] and rules[1]["condition"] == {"match": "all", "tests": []}
    assert rules[0]["condition"] == {
        "match": "all",
        "tests": [{"path": ["data", "refund_amount"], "op": "gt", "value": 5000}],
    }


# -- SLA ----------------------------------------------------------------------------------------


def test_sla_grid_edits(builder: Harness) -> None:
    after = run(
        builder,
        WORKFLOWS["refund"],
        [
            {
                "do": "setTarget",
                "index": 0,
                "priority": "high",
                "which": "resolution",
                "value": "PT6H",
            },
            {
                "do": "setTarget",
                "index": 0,
                "priority": "low",
                "which": "first_response",
                "value": "",
            },
            {"do": "setTarget", "index": 0, "priority": "low", "which": "resolution", "value": " "},
            {"do": "addPolicy", "name": "vip", "label": "VIP"},
            {
                "do": "setTarget",
                "index": 1,
                "priority": "urgent",
                "which": "resolution",
                "value": "PT2H",
            },
            {
                "do": "setTarget",
                "index": 1,
                "priority": "urgent",
                "which": "first_response",
                "value": "PT15M",
            },
            {"do": "movePolicy", "index": 1, "by": -1},
        ],
    )
    policies = after["sla"]["policies"]
    assert policies[0] == {
        "name": "vip",
        "label": "VIP",
        "targets": {"urgent": {"first_response": "PT15M", "resolution": "PT2H"}},
    }
    assert policies[1]["targets"]["high"] == {"first_response": "PT2H", "resolution": "PT6H"}
    assert "low" not in policies[1]["targets"]
    assert after["shown"]["policies"][1]["targets"]["low"] == {
        "first_response": None,
        "resolution": None,
    }


def test_calendar_edits(builder: Harness) -> None:
    after = run(
        builder,
        editor.starter("workflow"),
        [
            {"do": "setTimezone", "value": "Asia/Shanghai"},
            {"do": "addHours", "day": "wed", "start": "09:00", "end": "12:00"},
            {"do": "addHours", "day": "mon", "start": "09:00", "end": "12:00"},
            {"do": "addHours", "day": "mon", "start": "13:00", "end": "18:00"},
            {"do": "setHoursTime", "day": "mon", "index": 1, "end": True, "value": "17:30"},
            {"do": "addHours", "day": "sat", "start": "10:00", "end": "12:00"},
            {"do": "removeHours", "day": "sat", "index": 0},
            {"do": "addDate", "list": "holidays", "value": "2026-10-02"},
            {"do": "addDate", "list": "holidays", "value": "2026-10-01"},
            {"do": "addDate", "list": "workdays", "value": "2026-09-27"},
            {"do": "addDate", "list": "workdays", "value": "2026-10-10"},
            {"do": "removeDate", "list": "workdays", "index": 0},
            {"do": "setWarning", "value": "0.75"},
            {"do": "addPolicy"},
        ],
    )
    assert after["sla"] == {
        "calendar": {
            "timezone": "Asia/Shanghai",
            "hours": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "wed": [["09:00", "12:00"]]},
            "holidays": ["2026-10-01", "2026-10-02"],
            "workdays": ["2026-10-10"],
        },
        "warning": 0.75,
        "policies": [{"name": "standard", "targets": {}}],
    }


def test_dates_and_times_that_are_not_are_refused(builder: Harness) -> None:
    answer = builder.ask(
        texts(WORKFLOWS["refund"]),
        [
            {"do": "addDate", "list": "holidays", "value": "2026-02-30"},
            {"do": "addDate", "list": "holidays", "value": "2026-10-01"},  # listed already
            {"do": "addHours", "day": "sat", "start": "9:00", "end": "12:00"},
            {"do": "setWarning", "value": "1.5"},
        ],
    )
    assert [("refused" in s, s.get("unchanged")) for s in answer["steps"]] == [(True, True)] * 4


def test_durations_from_hours_and_minutes(builder: Harness) -> None:
    answer = builder.send(
        {
            "durationOf": [[4, 0], [1, 30], [0, 45], [0, 90], [40, 0], [0, 0], [-1, 0]],
            "durationParts": ["PT4H", "P2D", "PT1H30M", "P1W", "PT10S", "P1M", "PT"],
        }
    )
    assert answer["of"][:6] == ["PT4H", "PT1H30M", "PT45M", "PT1H30M", "PT40H", None]
    assert "refused" in answer["of"][6]
    assert answer["parts"] == [
        {"hours": 4, "minutes": 0},
        {"hours": 48, "minutes": 0},
        {"hours": 1, "minutes": 30},
        {"hours": 168, "minutes": 0},
        None,
        None,
        None,
    ]


# -- server errors ------------------------------------------------------------------------------


def test_server_errors_find_their_control(builder: Harness) -> None:
    pointers = [
        "/initial",
        "/states/2/name",
        "/states/1/category",
        "/transitions/0/from/1",
        "/transitions/3/requires/properties/data",
        "/routing/rules/1/then/department",
        "/routing/rules/0/when/properties",
        "/routing/rules/0/then",
        "/routing/strategy",
        "/sla/policies/0/targets/high/first_response",
        "/sla/calendar/holidays/3",
        "/sla/calendar/hours/mon/0/1",
        "/sla/warning",
        "/triggers/0/actions/0",
        "/title",
    ]
    answer = builder.ask(texts(WORKFLOWS["refund"]), [], pointers)
    assert answer["controls"] == [
        "wb-initial",
        "wb-state-2-name",
        "wb-state-1-category",
        "wb-tr-0-from",
        "wb-tr-3-requires",
        "wb-rule-1-department",
        "wb-rule-0-when",
        "wb-rule-0-department",
        "wb-strategy",
        "wb-policy-0-high-first_response",
        "wb-holidays",
        "wb-hours-mon",
        "wb-warning",
        None,
        None,
    ]
