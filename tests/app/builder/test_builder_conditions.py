"""The template builder's conditions (builder/condition.js, builder/conditions.js), in Node.

"Show ⟨field⟩ only when …" and "require ⟨field⟩ only when …" are written as `if`/`then` (the
first at the top of the schema, the next ones in `allOf`), read back as the builder wrote them,
and mean what they say to a real JSON Schema validator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.app.builder.test_builder_document import TEMPLATES, Harness, texts

FORM: dict[str, Any] = {
    "schema": {
        "type": "object",
        "properties": {
            "type": {
                "type": "string",
                "oneOf": [
                    {"const": "question", "title": "Question"},
                    {"const": "refund", "title": "Refund"},
                ],
            },
            "amount": {"type": "number", "title": "Amount"},
            "note": {"type": "string", "title": "Note"},
        },
        "required": ["type", "amount"],
    },
    "uiSchema": {},
}


@pytest.fixture(scope="module")
def builder() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def field(name: str, where: list[str] | None = None) -> dict[str, Any]:
    return {"where": where or [], "name": name}


def run(builder: Harness, body: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    answer = builder.ask(texts(body), actions)
    refused = [step["refused"] for step in answer["steps"] if "refused" in step]
    assert not refused, refused
    assert answer["restored"] == texts(body), "undo did not restore the document"
    return answer


def last(answer: dict[str, Any], part: str) -> Any:
    return json.loads(answer["steps"][-1]["parts"][part])


def test_show_when_moves_the_field_into_a_condition_and_keeps_its_place(builder: Harness) -> None:
    test = {"path": ["type"], "op": "is", "value": "refund"}
    answer = run(builder, FORM, [{"do": "showWhen", "field": field("amount"), "test": test}])
    schema = last(answer, "schema")
    assert schema == {
        "type": "object",
        "properties": {
            "type": FORM["schema"]["properties"]["type"],
            "note": {"type": "string", "title": "Note"},
        },
        "required": ["type"],
        "if": {"properties": {"type": {"const": "refund"}}, "required": ["type"]},
        "then": {
            "properties": {"amount": {"type": "number", "title": "Amount"}},
            "required": ["amount"],
        },
    }
    assert last(answer, "uiSchema") == {"ui:order": ["type", "amount", "note"]}
    assert answer["final"]["fields"] == ["type", "amount", "note"]
    assert answer["final"]["rules"] == [
        {
            "place": ["schema"],
            "editable": True,
            "show": ["amount"],
            "require": ["amount"],
            "condition": {
                "match": "all",
                "tests": [{"path": ["type"], "op": "is", "value": "refund"}],
            },
        }
    ]
    assert answer["final"]["formAdvanced"] == []
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"type": "question"})
    assert not validator.is_valid({"type": "refund"})  # shown, so required
    assert validator.is_valid({"type": "refund", "amount": 12})


def test_a_second_condition_goes_into_all_of_and_tests_combine(builder: Harness) -> None:
    actions: list[dict[str, Any]] = [
        {
            "do": "showWhen",
            "field": field("amount"),
            "test": {"path": ["type"], "op": "is", "value": "refund"},
        },
        {
            "do": "requireWhen",
            "field": field("note"),
            "test": {"path": ["amount"], "op": "gt", "value": 1000},
        },
        {
            "do": "addTest",
            "where": [],
            "place": ["schema", "allOf", 0],
            "test": {"path": ["type"], "op": "oneOf", "value": ["question"]},
        },
        {"do": "setMatch", "where": [], "place": ["schema", "allOf", 0], "match": "any"},
    ]
    answer = run(builder, FORM, actions)
    schema = last(answer, "schema")
    assert schema["allOf"] == [
        {
            "if": {
                "anyOf": [
                    {"properties": {"amount": {"exclusiveMinimum": 1000}}, "required": ["amount"]},
                    {"properties": {"type": {"enum": ["question"]}}, "required": ["type"]},
                ]
            },
            "then": {"required": ["note"]},
        }
    ]
    assert [r["editable"] for r in answer["final"]["rules"]] == [True, True]
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"type": "question", "note": "x"})
    assert not validator.is_valid({"type": "question"})  # "any": the type is one of them
    assert validator.is_valid({"type": "refund", "amount": 5})  # neither test holds
    assert not validator.is_valid({"type": "refund", "amount": 5000})


def test_removing_a_condition_shows_the_field_always_and_keeps_it_required(
    builder: Harness,
) -> None:
    actions: list[dict[str, Any]] = [
        {
            "do": "showWhen",
            "field": field("amount"),
            "test": {"path": ["type"], "op": "is", "value": "refund"},
        },
        {"do": "removeCondition", "field": field("amount"), "place": ["schema"]},
    ]
    answer = run(builder, FORM, actions)
    schema = last(answer, "schema")
    assert "if" not in schema and "then" not in schema
    assert set(schema["properties"]) == {"type", "amount", "note"}
    assert schema["required"] == ["type", "amount"]
    assert answer["final"]["fields"] == ["type", "amount", "note"]


def test_rename_follows_conditions_and_delete_refuses_a_tested_field(builder: Harness) -> None:
    actions: list[dict[str, Any]] = [
        {
            "do": "showWhen",
            "field": field("amount"),
            "test": {"path": ["type"], "op": "is", "value": "refund"},
        },
        {"do": "rename", "field": field("type"), "to": "kind"},
        {"do": "rename", "field": field("amount"), "to": "sum"},
        {"do": "setRequired", "field": field("sum"), "value": False},
    ]
    answer = run(builder, FORM, actions)
    schema = last(answer, "schema")
    assert schema["if"] == {"properties": {"kind": {"const": "refund"}}, "required": ["kind"]}
    assert schema["then"] == {"properties": {"sum": {"type": "number", "title": "Amount"}}}
    assert last(answer, "uiSchema") == {"ui:order": ["kind", "sum", "note"]}
    refused = builder.ask(texts(FORM), [*actions[:1], {"do": "delete", "field": field("type")}])
    assert "remove that condition first" in refused["steps"][-1]["refused"]
    assert refused["steps"][-1]["unchanged"]
    deleted = run(builder, FORM, [*actions[:1], {"do": "delete", "field": field("amount")}])
    schema = last(deleted, "schema")
    assert "if" not in schema and "then" not in schema and "amount" not in schema["properties"]


def test_tests_are_checked_before_anything_changes(builder: Harness) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"path": ["amount"], "op": "is", "value": 1}, "cannot depend on itself"),
        ({"path": ["nope"], "op": "is", "value": 1}, "no field"),
        ({"path": ["type"], "op": "oneOf", "value": []}, "at least one value"),
        ({"path": ["type"], "op": "matches", "value": "x"}, "unknown test"),
    ]
    for test, message in bad:
        answer = builder.ask(
            texts(FORM), [{"do": "showWhen", "field": field("amount"), "test": test}]
        )
        assert message in answer["steps"][0]["refused"]
        assert answer["steps"][0]["unchanged"]


def test_the_demo_refund_conditions_read_as_the_builder_writes_them(builder: Harness) -> None:
    answer = builder.ask(texts(TEMPLATES["refund"]), [])
    assert answer["final"]["formAdvanced"] == []
    first, second = answer["final"]["rules"]
    assert first["editable"] and first["show"] == ["manager_approval_note"]
    assert first["require"] == ["manager_approval_note"]
    assert first["condition"] == {
        "match": "all",
        "tests": [{"path": ["refund_amount"], "op": "gte", "value": 1000.01}],
    }
    assert second["editable"] and second["show"] == [] and second["require"] == ["details"]
    assert second["condition"]["tests"] == [{"path": ["reason"], "op": "is", "value": "other"}]
    names = answer["final"]["fields"]
    assert names.index("manager_approval_note") == names.index("bank_account_last4") + 1


def test_a_condition_written_by_hand_in_another_shape_stays_advanced(builder: Harness) -> None:
    body = json.loads(json.dumps(FORM))
    body["schema"]["if"] = {"properties": {"type": {"const": "refund", "x-note": 1}}}
    body["schema"]["then"] = {"required": ["note"]}
    answer = builder.ask(
        texts(body), [{"do": "removeCondition", "field": field("note"), "place": ["schema"]}]
    )
    assert answer["final"]["rules"][0]["editable"] is False
    assert "edited in the JSON tab" in answer["steps"][0]["refused"]
    assert set(answer["final"]["formAdvanced"]) >= {"if", "then"}
