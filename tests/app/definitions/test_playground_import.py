"""Documents the react-jsonschema-form playground accepts import whole: draft-07 spellings,
examples that rely on defaults, examples that do not fit (kept, with warnings); a root that
is no object is refused saying what to write instead."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft7Validator, Draft202012Validator

from app.definitions import store
from app.definitions.checked import FieldVersion, PublishLookups
from app.definitions.checks import check_definition
from app.definitions.errors import DefinitionInvalid
from app.definitions.playground import dialect, form_data
from forms import ABSENT, compile_form

DRAFT7 = "http://json-schema.org/draft-07/schema#"
LOOKUPS = PublishLookups(
    department=lambda key: key == "repair",
    skill=lambda key: False,
    template=lambda key: False,
    workflow=lambda key: None,
)


def no_field(key: str) -> FieldVersion | None:
    return None


def playground(schema: dict[str, Any], form: Any = None) -> dict[str, Any]:
    """A document as the playground holds it, with what publishing needs."""
    body: dict[str, Any] = {"schema": schema, "settings": {"default_department": "repair"}}
    if form is not None:
        body["formData"] = form
    return body


def check(body: dict[str, Any], publish: bool = True) -> Any:
    return check_definition(
        "template", body, no_field, key="sample", publish=LOOKUPS if publish else None
    )


def refusal(body: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(DefinitionInvalid) as caught:
        check(body, publish=False)
    return caught.value.errors


TUPLES = {
    "title": "Coordinates",
    "type": "object",
    "properties": {
        "point": {
            "type": "array",
            "items": [{"type": "number", "title": "Latitude"}, {"type": "number"}],
        },
        "reading": {
            "type": "array",
            "items": [{"type": "string"}, {"type": "boolean"}],
            "additionalItems": {"type": "number"},
        },
    },
}


@pytest.mark.parametrize("declared", [True, False])
def test_draft07_tuples_import_publish_and_are_kept_as_written(declared: bool) -> None:
    schema = {"$schema": DRAFT7, **TUPLES} if declared else dict(TUPLES)
    body = playground(schema, {"point": [22.5, 114.1], "reading": ["T-7", True, 20.5]})
    checked = check(body)
    assert checked.warnings == {}
    assert checked.body["schema"] == schema  # stored whole: items lists, additionalItems
    assert checked.schema["properties"]["reading"]["additionalItems"] == {"type": "number"}


def test_a_draft07_tuple_example_is_checked_in_draft07() -> None:
    body = playground({"$schema": DRAFT7, **TUPLES}, {"reading": ["T-7", True, "high"]})
    assert list(check(body).warnings) == ["/formData/reading/2"]


def test_the_dialect_is_the_declared_one_else_draft07_for_its_spellings() -> None:
    assert dialect({"$schema": DRAFT7, "type": "object"}) is Draft7Validator
    assert dialect({"$schema": "https://json-schema.org/draft-07/schema#"}) is Draft7Validator
    assert dialect(TUPLES) is Draft7Validator
    assert dialect({"properties": {"a": {"additionalItems": False}}}) is Draft7Validator
    assert dialect({"dependencies": {"a": ["b"]}}) is Draft7Validator
    assert dialect({"type": "object", "prefixItems": []}) is Draft202012Validator
    declared = {"$schema": "https://json-schema.org/draft/2020-12/schema", **TUPLES}
    assert dialect(declared) is Draft202012Validator


def test_keyword_values_are_checked_in_the_dialect_and_named_after_it() -> None:
    draft7 = playground({**TUPLES, "properties": {"p": {"items": [{}], "additionalItems": 5}}})
    errors = refusal(draft7)
    assert "draft-07" in errors["/schema/properties/p/additionalItems"][0]
    declared = {"$schema": "https://json-schema.org/draft/2020-12/schema", **TUPLES}
    errors = refusal(playground(declared))
    assert "2020-12" in errors["/schema/properties/point/items"][0]


def test_draft07_dependencies_and_definitions_import_and_publish() -> None:
    schema = {
        "$schema": DRAFT7,
        "type": "object",
        "definitions": {"person": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "properties": {
            "owner": {"title": "Owner", "$ref": "#/definitions/person"},
            "card": {"type": "string"},
            "zone": {"type": "string"},
        },
        "dependencies": {
            "card": {"properties": {"expiry": {"type": "string"}}, "required": ["expiry"]},
            "zone": ["card"],
        },
    }
    checked = check(playground(schema, {"owner": {"name": "Chen"}, "card": "4111"}))
    # draft-07 semantics: the card brings a required expiry the example lacks
    assert checked.warnings == {"/formData/expiry": ["This field is required."]}
    assert checked.body["schema"]["dependencies"]["zone"] == ["card"]
    assert check(playground(schema, {"card": "4111", "expiry": "12/29"})).warnings == {}


def test_required_names_in_draft07_tuples_and_dependencies_are_checked() -> None:
    schema = {
        **TUPLES,
        "properties": {
            "point": {"type": "array", "items": [{"type": "object", "required": ["lat"]}]},
        },
        "dependencies": {"point": {"required": ["nowhere"]}},
    }
    errors = refusal(playground(schema))
    assert set(errors) == {
        "/schema/properties/point/items/0/required/0", "/schema/dependencies/point/required/0"
    }


def test_a_required_property_with_a_default_may_be_absent_from_the_example() -> None:
    schema = {
        "type": "object",
        "required": ["firstName", "team"],
        "properties": {
            "firstName": {"type": "string", "default": "Chuck"},
            "seats": {"type": "integer"},
            "team": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "default": "Support"}},
            },
        },
    }
    assert check(playground(schema, {"seats": 3})).warnings == {}
    without = {**schema, "properties": {**schema["properties"], "firstName": {"type": "string"}}}
    assert check(playground(without, {"seats": 3})).warnings == {
        "/formData/firstName": ["This field is required."]
    }


def test_an_invalid_example_is_kept_and_warned_about() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "age": {"type": "integer", "minimum": 18},
        },
    }
    checked = check(playground(schema, {"code": "abc", "age": 12}))
    assert checked.body["formData"] == {"code": "abc", "age": 12}
    assert set(checked.warnings) == {"/formData/code", "/formData/age"}


def test_an_empty_example_against_a_oneof_is_a_warning() -> None:
    options = [
        {"type": "object", "properties": {name: {"type": kind}}, "required": [name]}
        for name, kind in (("passport", "string"), ("badge", "integer"))
    ]
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"oneOf": options}}}
    checked = check(playground(schema, {}))
    assert checked.body["formData"] == {}
    assert checked.warnings and all(p.startswith("/formData") for p in checked.warnings)


@pytest.mark.parametrize(
    ("schema", "written"),
    [
        ({"type": "array", "items": {"type": "string"}}, '"type": "array"'),
        ({"title": "A single field", "type": "string"}, '"type": "string"'),
        ({"type": ["object", "null"]}, '"type": ["object", "null"]'),
    ],
)
def test_a_root_that_is_no_object_is_refused_saying_how_to_wrap_it(
    schema: dict[str, Any], written: str
) -> None:
    errors = refusal({"schema": schema, "formData": ["a"]})
    assert list(errors) == ["/schema/type"]
    message = errors["/schema/type"][0]
    assert written in message and "must describe an object" in message
    assert '{"type": "object", "properties": {"value": <this schema>}}' in message


def test_form_data_fills_defaults_and_rows_as_rjsf_shows_the_example() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "Chuck"},
            "codes": {"type": "array", "minItems": 2, "items": {"type": "integer"}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}, "b": {"type": "integer", "default": 4}},
                },
            },
            "extra": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    form = compile_form(schema, {})
    example = {"rows": [{"a": "r1"}, {"b": 1}], "extra": {"k1": "v1"}}
    assert form_data(form, example) == {
        "name": "Chuck", "rows": [{"a": "r1", "b": 4}, {"b": 1}], "extra": {"k1": "v1"}
    }
    shown = form_data(form, example, rows=True)
    assert shown["codes"] == [ABSENT, ABSENT]  # blank rows up to minItems
    assert example == {"rows": [{"a": "r1"}, {"b": 1}], "extra": {"k1": "v1"}}  # untouched


def test_defs_import_takes_a_playground_document_and_prints_its_warnings(
    app: Flask, tmp_path: Path
) -> None:
    key = f"coords_{uuid.uuid4().hex[:8]}"
    body = playground({"$schema": DRAFT7, **TUPLES}, {"point": [1, "north"]})
    (tmp_path / "template").mkdir()
    (tmp_path / "template" / f"{key}.json").write_text(json.dumps(body), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tessera", "defs", "import", "--publish", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"template:{key} v1" in result.output
    assert f"template/{key}.json#/formData/point/1: warning:" in result.output
    with app.app_context():
        row = store.versions("template", key)[0]
        assert row.status == "published"
        assert row.body["schema"]["properties"]["point"]["items"] == TUPLES["properties"][
            "point"
        ]["items"]
        assert row.body["formData"] == {"point": [1, "north"]}
