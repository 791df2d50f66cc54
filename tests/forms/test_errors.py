"""jsonschema errors land on JSON pointers with sentences people can read."""

from __future__ import annotations

from typing import Any

import pytest

from forms import FormCompileError, compile_form, instance_errors
from forms.errors import FormsError, SchemaRefError


def errors(schema: Any, instance: Any, ui: Any = None) -> dict[str, list[str]]:
    form_cls = compile_form(schema, ui)
    form = form_cls(formdata=form_cls.encode(instance))
    assert form.validate() is False
    return form.errors_by_pointer()


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "string", "minLength": 3}, "ab", "Must be at least 3 characters."),
        ({"type": "string", "minLength": 1}, "", "Must be at least 1 character."),
        ({"type": "string", "maxLength": 2}, "abc", "Must be at most 2 characters."),
        ({"type": "string", "pattern": "^[A-Z]+$"}, "ab", "Must match the pattern ^[A-Z]+$."),
        ({"type": "string", "format": "email"}, "nope", "Not a valid email address."),
        ({"type": "string", "format": "date"}, "2024-13-01", "Not a valid date (YYYY-MM-DD)."),
        ({"type": "string", "format": "uri"}, "not a uri", "Not a valid URL."),
        ({"type": "integer", "minimum": 1}, 0, "Must be at least 1."),
        ({"type": "integer", "maximum": 1}, 2, "Must be at most 1."),
        ({"type": "number", "exclusiveMinimum": 0}, 0, "Must be greater than 0."),
        ({"type": "number", "exclusiveMaximum": 1}, 1, "Must be less than 1."),
        ({"type": "number", "multipleOf": 0.5}, 0.3, "Must be a multiple of 0.5."),
        ({"enum": ["a", "b"]}, "c", "Must be one of: a, b."),
        (
            {"type": "string", "enum": ["a", "b"], "not": {"const": "a"}},
            "a",
            "This value is not allowed.",
        ),
        ({"const": 3}, 4, "Must be 3."),
        (
            {"type": "array", "minItems": 2, "items": {"type": "string"}},
            ["a"],
            "Must have at least 2 items.",
        ),
        (
            {"type": "array", "maxItems": 1, "items": {"type": "string"}},
            ["a", "b"],
            "Must have at most 1 item.",
        ),
        (
            {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
            ["a", "a"],
            "Items must not repeat.",
        ),
    ],
)
def test_messages(schema: Any, value: Any, message: str) -> None:
    assert errors(obj(x=schema), {"x": value}) == {"/x": [message]}


def test_tampered_choice_is_a_field_error() -> None:
    from werkzeug.datastructures import MultiDict

    form_cls = compile_form(obj(x={"enum": ["a", "b"]}))
    form = form_cls(formdata=MultiDict([("/x", "zzz")]))
    assert form.validate() is False
    assert form.errors_by_pointer() == {"/x": ["Not a valid choice."]}


def test_enum_message_from_jsonschema() -> None:
    from jsonschema import Draft202012Validator

    from forms.messages import collect

    found = collect(Draft202012Validator({"enum": ["a", 1, None]}).iter_errors("z"))
    assert found == {"": ["Must be one of: a, 1, null."]}


def test_required_points_at_missing_property() -> None:
    schema = {
        "type": "object",
        "required": ["a", "b"],
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    }
    assert errors(schema, {}) == {
        "/a": ["This field is required."],
        "/b": ["This field is required."],
    }


def test_nested_and_array_pointers() -> None:
    schema = obj(
        contact=obj(email={"type": "string", "format": "email"}),
        items={
            "type": "array",
            "items": {
                "type": "object",
                "required": ["qty"],
                "properties": {"qty": {"type": "integer", "minimum": 1}},
            },
        },
    )
    found = errors(schema, {"contact": {"email": "x"}, "items": [{"qty": 1}, {"qty": 0}, {}]})
    assert found == {
        "/contact/email": ["Not a valid email address."],
        "/items/1/qty": ["Must be at least 1."],
        "/items/2/qty": ["This field is required."],
    }


def test_dependent_required_points_at_dependent() -> None:
    schema = {
        "type": "object",
        "properties": {"card": {"type": "string"}, "cvc": {"type": "string"}},
        "dependentRequired": {"card": ["cvc"]},
    }
    assert errors(schema, {"card": "4111"}) == {
        "/cvc": ["This field is required when card is filled in."]
    }


def test_then_errors_land_on_the_field() -> None:
    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ["a", "b"]}},
        "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
        "then": {"properties": {"why": {"type": "string", "minLength": 2}}, "required": ["why"]},
    }
    assert errors(schema, {"kind": "b"}) == {"/why": ["This field is required."]}
    assert errors(schema, {"kind": "b", "why": "x"}) == {"/why": ["Must be at least 2 characters."]}


def test_form_level_errors_use_empty_pointer() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "minProperties": 1}
    assert errors(schema, {}) == {"": ["Must have at least 1 field."]}


def test_errors_are_also_on_fields() -> None:
    form_cls = compile_form(obj(a=obj(b={"type": "integer", "minimum": 5})))
    form = form_cls(formdata=form_cls.encode({"a": {"b": 1}}))
    assert not form.validate()
    inner = next(f for top in form for f in top.walk() if f.pointer == "/a/b")
    assert inner.errors == ["Must be at least 5."]
    assert "has-error" in str(form.render())


def test_messages_never_show_python_reprs() -> None:
    schema = obj(
        a={"type": "string"},
        b={"type": "object", "additionalProperties": False},
        c={"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},
    )
    found = errors(schema, {"a": 1, "b": {"x": 1}, "c": 1})
    text = " ".join(m for ms in found.values() for m in ms)
    assert "'" not in text and "{" not in text and "[" not in text


def test_one_of_matching_both() -> None:
    schema = obj(c={"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]})
    assert errors(schema, {"c": 1}) == {"/c": ["Must match exactly one of the options."]}


def test_compile_errors_say_where() -> None:
    with pytest.raises(FormCompileError) as info:
        compile_form({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})
    assert info.value.schema_path == "/properties/a"
    assert "missing" in info.value.message
    assert isinstance(info.value, SchemaRefError)
    assert isinstance(info.value, FormsError)
    with pytest.raises(FormCompileError) as info:
        compile_form({"type": "object", "properties": {"a": 3}})
    assert info.value.schema_path == "/properties/a"
    with pytest.raises(FormCompileError):
        compile_form(["not", "a", "schema"])
    with pytest.raises(FormCompileError):
        compile_form({"type": "object", "patternProperties": {"(": {}}})
    with pytest.raises(FormCompileError):
        compile_form({"type": "object"}, ui_schema=["bad"])


def test_python_incompatible_pattern_is_a_compile_error() -> None:
    with pytest.raises(FormCompileError) as info:
        compile_form(
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "\\p{L}"}}}
        )
    assert info.value.schema_path == "/properties/a/pattern"


def test_instance_errors_checks_json_without_a_post() -> None:
    form_cls = compile_form(obj(n={"type": "integer", "minimum": 1}, s={"type": "string"}))
    assert instance_errors(form_cls, {"n": 2, "s": "x"}) == {}
    assert instance_errors(form_cls, {"n": 0}, "/data") == {"/data/n": ["Must be at least 1."]}
    assert instance_errors(form_cls, {"n": "2"}) == {"/n": ["Must be a whole number."]}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "multipleOf": 0.5},
        {"type": "number", "maximum": 10.5},
        {"type": "number", "exclusiveMinimum": 0.1},
        {"type": "array", "items": {"type": "number", "minimum": 0.5}},
    ],
)
def test_integers_beyond_float_range_are_a_field_error(schema: Any) -> None:
    huge = 10**400
    value = [1, -huge] if schema["type"] == "array" else -huge
    where = "/x/1" if schema["type"] == "array" else "/x"
    form_cls = compile_form(obj(x=schema))
    assert instance_errors(form_cls, {"x": value}) == {where: ["This number is too large."]}
    within = instance_errors(form_cls, {"x": [1, -(10**300)] if where == "/x/1" else -(10**300)})
    assert ["This number is too large."] not in within.values()  # jsonschema's own answer


@pytest.mark.parametrize(
    ("schema", "instance", "where", "message"),
    [
        ({"type": "string"}, "a\x00b", "/x", "Must not contain NUL characters."),
        ({"type": "string"}, "\ud800", "/x", "Must not contain unpaired surrogates."),
        ({"type": "string", "format": "email"}, "a\x00@b.test", "/x", "NUL"),
        ({"type": "array", "items": {"type": "string"}}, ["ok", "\x00"], "/x/1", "NUL"),
        (obj(name={"type": "string"}), {"name": "\x00"}, "/x/name", "NUL"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, {"k": "\x00"}, "/x/k",
         "NUL"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, {"k\x00": "v"}, "/x",
         "NUL"),
        ({}, {"free": ["\x00"]}, "/x", "NUL"),  # any JSON: posted as JSON text
    ],
)
def test_text_a_database_refuses_is_a_field_error(
    schema: Any, instance: Any, where: str, message: str
) -> None:
    form_cls = compile_form(obj(x=schema, other={"type": "string"}))
    form = form_cls(formdata=form_cls.encode({"x": instance, "other": "kept"}))
    assert form.validate() is False
    found = form.errors_by_pointer()
    assert list(found) == [where] and message in found[where][0], found
    assert form.to_instance().get("other") == "kept"  # the rest of the post is read as usual
    assert "\x00" not in repr(form.to_instance()) and "\\ud800" not in ascii(form.to_instance())


def test_a_root_posted_as_json_text_refuses_nul() -> None:
    form_cls = compile_form({"type": "string"})
    formdata = form_cls.encode({"a": "\x00"})  # no input shows an object: JSON text
    form = form_cls(formdata=formdata)
    assert form.validate() is False
    assert "Must not contain NUL characters." in form.errors_by_pointer()[""]
    assert form.to_instance() is None


STORE = {"type": "string", "pattern": "^[0-9]{4}$", "minLength": 4}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12a4", "Enter the 4-digit store number"),  # pattern only
        ("12", "Enter at least four digits"),  # minLength (the pattern fails too: one message each)
    ],
)
def test_ui_error_messages_are_chosen_by_the_failed_keyword(value: str, message: str) -> None:
    schema = {"type": "object", "properties": {"store": STORE}, "required": ["store"]}
    ui = {
        "store": {
            "ui:errorMessages": {
                "pattern": "Enter the 4-digit store number",
                "minLength": "Enter at least four digits",
                "required": "Say which store",
            }
        }
    }
    found = errors(schema, {"store": value}, ui)["/store"]
    assert message in found
    assert not any("^[0-9]" in text for text in found)
    assert errors(schema, {}, ui) == {"/store": ["Say which store"]}


def test_a_keyword_without_a_ui_message_keeps_its_default() -> None:
    ui = {"n": {"ui:errorMessages": {"pattern": "Digits only"}}}
    assert errors(obj(n={"type": "integer", "minimum": 1}), {"n": 0}, ui) == {
        "/n": ["Must be at least 1."]
    }


def test_a_ui_error_message_string_is_the_message_of_every_keyword() -> None:
    schema = {"type": "object", "properties": {"store": STORE}, "required": ["store"]}
    ui = {"store": {"ui:errorMessages": "Enter the 4-digit store number"}}
    assert errors(schema, {"store": "1"}, ui) == {"/store": ["Enter the 4-digit store number"]}
    assert errors(schema, {}, ui) == {"/store": ["Enter the 4-digit store number"]}


def test_ui_error_messages_reach_nested_rows_conditionals_and_json_checks() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "rows": {"type": "array", "items": obj(code=STORE)},
        },
        "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
        "then": {"properties": {"why": {"type": "string"}}, "required": ["why"]},
    }
    ui = {
        "rows": {"items": {"code": {"ui:errorMessages": {"pattern": "Four digits"}}}},
        "why": {"ui:errorMessages": {"required": "Say why it is b"}},
    }
    instance = {"kind": "b", "rows": [{"code": "1234"}, {"code": "12x4"}]}
    assert errors(schema, instance, ui) == {
        "/rows/1/code": ["Four digits"],
        "/why": ["Say why it is b"],
    }
    form_cls = compile_form(schema, ui)
    assert instance_errors(form_cls, instance, "/data")["/data/rows/1/code"] == ["Four digits"]


@pytest.mark.parametrize(
    ("ui", "message"),
    [
        (
            {"ui:help": "The number on the store's sign."},
            "Not in the expected format. The number on the store's sign.",
        ),
        (
            {"ui:options": {"help": "The sign's number."}},
            "Not in the expected format. The sign's number.",
        ),
        ({"ui:placeholder": "0042"}, "Not in the expected format, for example 0042."),
        ({"ui:title": "Store number"}, "Not in the expected format."),
        ({}, "Must match the pattern ^[0-9]{4}$."),
    ],
)
def test_a_pattern_default_names_the_fields_hint_not_the_regex(ui: Any, message: str) -> None:
    pattern = {"type": "string", "pattern": "^[0-9]{4}$"}
    assert errors(obj(store=pattern), {"store": "12"}, {"store": ui}) == {"/store": [message]}


def test_help_stays_beneath_the_field_next_to_a_default_message() -> None:
    ui = {"n": {"ui:help": "Seats in the room."}}
    form_cls = compile_form(obj(n={"type": "integer", "minimum": 1}), ui)
    form = form_cls(formdata=form_cls.encode({"n": 0}))
    assert not form.validate()
    html = str(form.render())
    assert 'class="help-block tf-help" id="tf--2f-n-help">Seats in the room.</p>' in html
    assert 'id="tf--2f-n-err" role="alert">Must be at least 1.</p>' in html


def test_an_object_level_error_shows_on_the_objects_fieldset() -> None:
    schema = obj(c={"type": "object", "properties": {"a": {"type": "string"}}, "minProperties": 1})
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode({"c": {}}))
    assert not form.validate()
    html = str(form.render())
    assert 'id="tf--2f-c-err" role="alert">Must have at least 1 field.</p></fieldset>' in html
