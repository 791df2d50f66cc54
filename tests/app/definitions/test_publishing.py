"""What a template must have to be published (pure: department lookup passed in)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.definitions.checked import FieldVersion, PublishLookups
from app.definitions.checks import KINDS, check_definition
from app.definitions.errors import DefinitionInvalid
from app.definitions.kinds import CHECKERS

DEMO = Path(__file__).resolve().parents[3] / "app" / "demo" / "definitions"
DEPARTMENTS = {"repair", "billing"}
LOOKUPS = PublishLookups(
    department=lambda key: key in DEPARTMENTS,
    skill=lambda name: False,
    template=lambda key: False,
    workflow=lambda key: None,
)
ADDRESS = {
    "key": "address",
    "title": "Address",
    "schema": {
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "required": ["street", "zip"],
    },
}
FIELDS = {"address": FieldVersion("address", 2, ADDRESS)}


def lookup(key: str) -> FieldVersion | None:
    return FIELDS.get(key)


def template(settings: dict[str, Any] | None = None, **schema: Any) -> dict[str, Any]:
    """A template that publishes, with `schema` keywords laid over its root."""
    base = {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "contact": {"type": "object", "properties": {"email": {"type": "string"}}},
        },
        "required": ["summary"],
    }
    given = {"subject": "/summary", "default_department": "repair"}
    return {
        "key": "it_support",
        "title": "IT support",
        "schema": {**base, **schema},
        "settings": given if settings is None else settings,
    }


def publish_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    """The errors of checking `body` for publishing; {} when it publishes."""
    try:
        check_definition("template", body, lookup, publish=LOOKUPS)
    except DefinitionInvalid as exc:
        return exc.errors
    return {}


def test_kinds_come_from_the_checker_table() -> None:
    assert KINDS == tuple(CHECKERS) == ("field", "workflow", "template")


def test_a_complete_template_publishes() -> None:
    assert publish_errors(template()) == {}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (None, "Name the department"),
        ({"subject": "/summary"}, "Name the department"),
        ({"default_department": "nowhere"}, "There is no department 'nowhere'."),
    ],
)
def test_default_department_must_exist(settings: dict[str, Any] | None, message: str) -> None:
    body = template()
    if settings is None:
        del body["settings"]
    else:
        body["settings"] = settings
    errors = publish_errors(body)
    assert list(errors) == ["/settings/default_department"]
    assert errors["/settings/default_department"][0].startswith(message)


def test_drafts_may_stay_incomplete() -> None:
    body = template({"subject": "/nope", "list_columns": ["ghost"]})
    assert check_definition("template", body, lookup).key == "it_support"
    assert sorted(publish_errors(body)) == [
        "/settings/default_department",
        "/settings/list_columns/0",
        "/settings/subject",
    ]


@pytest.mark.parametrize(
    ("subject", "ok"),
    [
        ("/summary", True),
        ("summary", True),
        ("/contact/email", True),
        ("/nope", False),
        ("nope", False),
        ("/contact/phone", False),
        ("/summary/more", False),  # a string has no members
        ("/rows/0/name", True),
        ("/rows/0/ghost", False),
        ("/a~1b", True),
        ("/then_only", True),
    ],
)
def test_subject_must_point_at_a_property(subject: str, ok: bool) -> None:
    body = template(
        {"subject": subject, "default_department": "repair"},
        properties={
            "summary": {"type": "string"},
            "contact": {"type": "object", "properties": {"email": {"type": "string"}}},
            "rows": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "a/b": {"type": "string"},
        },
        then={"properties": {"then_only": {"type": "string"}}},
        **{"if": {"properties": {"summary": {"const": "x"}}, "required": ["summary"]}},
    )
    expected = {"/settings/subject": [f"{subject!r} names no property of the form."]}
    assert publish_errors(body) == ({} if ok else expected)


def test_list_columns_are_refused_one_by_one() -> None:
    settings = {
        "default_department": "billing",
        "list_columns": ["/summary", "ghost", "/contact/email", "/contact/ghost", "contact"],
    }
    errors = publish_errors(template(settings))
    assert sorted(errors) == ["/settings/list_columns/1", "/settings/list_columns/3"]


def test_required_names_no_property_can_have_are_refused_at_their_pointer() -> None:
    body = template(
        properties={
            "summary": {"type": "string"},
            "contact": {
                "type": "object",
                "properties": {"email": {"type": "string"}},
                "required": ["email", "phone"],
            },
            "rows": {
                "type": "array",
                "items": {"type": "object", "properties": {"a": {}}, "required": ["a", "b"]},
            },
        },
        required=["summary", "ghost"],
        then={"required": ["spectre"]},
        **{"if": {"required": ["summary"]}},
    )
    errors = publish_errors(body)
    assert sorted(errors) == [
        "/schema/properties/contact/required/1",
        "/schema/properties/rows/items/required/1",
        "/schema/required/1",
        "/schema/then/required/0",
    ]
    assert errors["/schema/required/1"] == [
        "Requires 'ghost', which this object never declares as a property."
    ]


def test_a_library_fields_own_required_is_reported_at_the_reference() -> None:
    body = template(properties={"summary": {"type": "string"}, "addr": {"$ref": "field:address"}})
    assert publish_errors(body) == {
        "/schema/properties/addr/$ref": [
            "The library field 'address' requires 'zip', which it never declares as a property."
        ]
    }
    body["schema"]["properties"]["addr"]["required"] = ["city", "country"]
    assert list(publish_errors(body)) == ["/schema/properties/addr/required/1"]


@pytest.mark.parametrize(
    "schema",
    [
        # RJSF's usual conditional: declared at the top, required when the condition holds.
        {
            "properties": {"summary": {}, "kind": {"enum": ["a", "b"]}, "why": {}},
            "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
            "then": {"required": ["why"]},
        },
        # Declared and required inside `then`.
        {"then": {"properties": {"why": {}}, "required": ["why"]}, "if": {"required": ["summary"]}},
        # A condition inside allOf, the property at the top (the demo `refund`).
        {"allOf": [{"if": {"required": ["summary"]}, "then": {"required": ["contact"]}}]},
        {"dependentSchemas": {"summary": {"required": ["contact"]}}},
        {"dependencies": {"summary": {"required": ["contact"]}}},
        # Declared in one branch only, required at the top: some branch can have it.
        {"anyOf": [{"properties": {"extra": {}}}, {}], "required": ["summary", "extra"]},
        # Under `if` and `not`, `required` only tests presence.
        {"if": {"required": ["ghost"]}, "then": {}},
        {"not": {"required": ["ghost"]}},
        {"patternProperties": {"^x_": {}}, "required": ["x_anything"]},
        {"additionalProperties": True, "required": ["anything"]},
        {"additionalProperties": {"type": "string"}, "required": ["anything"]},
        {"unevaluatedProperties": {}, "required": ["anything"]},
        # A $ref may bring anything in.
        {
            "$defs": {"more": {"properties": {"extra": {}}, "required": ["extra", "also"]}},
            "allOf": [{"$ref": "#/$defs/more"}],
            "required": ["extra"],
        },
        # One value described in two places: the union counts.
        {
            "properties": {"summary": {}, "contact": {"type": "object", "required": ["email"]}},
            "allOf": [{"properties": {"contact": {"properties": {"email": {}}}}}],
        },
        # Not an object: `required` does not apply.
        {"properties": {"summary": {}, "code": {"type": "string", "required": ["x"]}}},
    ],
)
def test_names_that_may_be_declared_are_never_refused(schema: dict[str, Any]) -> None:
    assert publish_errors(template(**schema)) == {}


def demo_library() -> tuple[dict[str, FieldVersion], list[dict[str, Any]]]:
    fields = {
        path.stem: FieldVersion(path.stem, 1, json.loads(path.read_text("utf-8")))
        for path in sorted((DEMO / "field").glob("*.json"))
    }
    templates = [
        json.loads(path.read_text("utf-8")) for path in sorted((DEMO / "template").glob("*.json"))
    ]
    return fields, templates


def test_the_demo_templates_publish() -> None:
    """Each demo template publishes once the demo workflows are published."""
    fields, templates = demo_library()
    workflows = {path.stem for path in (DEMO / "workflow").glob("*.json")}
    demo = PublishLookups(
        department=lambda key: key in {"frontline", "billing", "technical", "repair"},
        skill=lambda name: False,
        template=lambda key: False,
        workflow=lambda key: "published" if key in workflows else None,
    )
    assert len(templates) == 4
    for body in templates:
        check_definition("template", body, fields.get, key=body["key"], publish=demo)
