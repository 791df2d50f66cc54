"""Every check a definition must pass, each with the pointer it reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.definitions.checked import FieldVersion
from app.definitions.checks import KINDS, check_definition, meta_schema, parse_json
from app.definitions.errors import DefinitionInvalid
from app.definitions.patterns import pattern_problem
from app.limits import MAX_BODY_BYTES

EMAIL_FIELD = {
    "key": "contact_email",
    "title": "Contact e-mail",
    "schema": {"type": "string", "format": "email", "maxLength": 254},
    "ui": {"ui:placeholder": "name@example.com"},
}
FIELDS = {
    "contact_email": FieldVersion("contact_email", 3, EMAIL_FIELD),
    "draft_only": FieldVersion("draft_only", None, None),
}


WORKFLOW = {
    "key": "serial",
    "title": "Serial",
    "states": [{"name": "new", "category": "new"}, {"name": "done", "category": "closed"}],
    "initial": "new",
    "transitions": [{"name": "finish", "from": ["new"], "to": "done", "roles": ["agent"]}],
}


def lookup(key: str) -> FieldVersion | None:
    return FIELDS.get(key)


def template(**schema: Any) -> dict[str, Any]:
    base = {"type": "object", "properties": {"summary": {"type": "string"}}}
    return {"key": "it_support", "title": "IT support", "schema": {**base, **schema}}


def errors_of(kind: str, body: Any, key: str | None = None) -> dict[str, list[str]]:
    with pytest.raises(DefinitionInvalid) as caught:
        check_definition(kind, body, lookup, key=key)
    return caught.value.errors


@pytest.mark.parametrize("kind", KINDS)
def test_meta_schemas_are_valid_2020_12_schemas(kind: str) -> None:
    Draft202012Validator.check_schema(meta_schema(kind))


def test_a_good_template_resolves_fields_and_pins_them() -> None:
    body = template(
        properties={
            "summary": {"type": "string", "minLength": 3},
            "contact": {"$ref": "field:contact_email", "title": "Reply to"},
        },
        required=["summary"],
    )
    body["uiSchema"] = {"contact": {"ui:help": "We answer here."}}
    checked = check_definition("template", body, lookup)
    contact = checked.schema["properties"]["contact"]
    assert contact == {"type": "string", "format": "email", "maxLength": 254, "title": "Reply to"}
    assert checked.pins == {"contact_email": 3}
    assert checked.ui_schema["contact"] == {
        "ui:help": "We answer here.",
        "ui:placeholder": "name@example.com",
    }


def test_not_json() -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_json('{"key": "x",')
    assert list(caught.value.errors) == [""]
    assert caught.value.errors[""][0].startswith("Not valid JSON")


def test_meta_schema_failure_points_at_the_member() -> None:
    errors = errors_of("template", {"key": "Bad Key", "title": "x", "schema": {"type": "object"}})
    assert "/key" in errors


def test_unknown_top_level_member_is_refused() -> None:
    errors = errors_of("field", {**EMAIL_FIELD, "colour": "red"})
    assert "" in errors and "colour" in errors[""][0]


def test_invalid_json_schema() -> None:
    errors = errors_of("template", template(properties={"n": {"type": "integer", "minimum": "1"}}))
    assert "/schema/properties/n/minimum" in errors


def test_unresolvable_ref() -> None:
    errors = errors_of("template", template(properties={"n": {"$ref": "#/$defs/missing"}}))
    assert errors == {
        "/schema/properties/n/$ref": ["The reference '#/$defs/missing' cannot be resolved."]
    }


def test_cyclic_ref() -> None:
    body = template(
        properties={"n": {"$ref": "#/$defs/a"}},
        **{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}},
    )
    errors = errors_of("template", body)
    assert any("cyclic" in m for messages in errors.values() for m in messages)


def test_recursive_schema_with_structure_is_fine() -> None:
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        },
    }
    body = template(properties={"tree": {"$ref": "#/$defs/node"}}, **{"$defs": {"node": node}})
    check_definition("template", body, lookup)


def test_missing_field_reference() -> None:
    errors = errors_of("template", template(properties={"x": {"$ref": "field:nope"}}))
    assert errors == {"/schema/properties/x/$ref": ["There is no library field 'nope'."]}


def test_unpublished_field_reference() -> None:
    errors = errors_of("template", template(properties={"x": {"$ref": "field:draft_only"}}))
    assert "no published version" in errors["/schema/properties/x/$ref"][0]


def test_field_may_not_use_fields() -> None:
    errors = errors_of(
        "field", {"key": "a", "title": "A", "schema": {"$ref": "field:contact_email"}}
    )
    assert errors == {"/schema/$ref": ["A field cannot use other library fields."]}


def test_a_required_name_no_property_declares_is_refused_on_every_save() -> None:
    body = template(
        properties={
            "summary": {"type": "string"},
            "kind": {"enum": ["a", "b"]},
            "contact": {
                "type": "object",
                "properties": {"email": {"type": "string"}},
                "required": ["email", "phone"],
            },
        },
        required=["summary", "kind", "ghost"],
        then={"properties": {"why": {"type": "string"}}, "required": ["why", "summary", "spook"]},
        **{"if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]}},
    )
    errors = errors_of("template", body)  # a draft: no publish lookups
    assert errors == {
        "/schema/required/2": ["Requires 'ghost', which this object never declares as a property."],
        "/schema/properties/contact/required/1": [
            "Requires 'phone', which this object never declares as a property."
        ],
        "/schema/then/required/2": [
            "Requires 'spook', which this object never declares as a property."
        ],
    }


@pytest.mark.parametrize(
    "schema",
    [
        {"then": {"required": ["summary"]}, "if": {"required": ["summary"]}},
        {"allOf": [{"required": ["summary"]}], "anyOf": [{"required": ["summary"]}, {}]},
        {"oneOf": [{"properties": {"x": {}}, "required": ["x"]}, {"required": ["summary"]}]},
        {"dependentSchemas": {"summary": {"required": ["summary"]}}},
        {"patternProperties": {"^x_": {}}, "required": ["x_one"]},
        {"additionalProperties": {"type": "string"}, "required": ["anything"]},
    ],
)
def test_a_required_name_declared_at_its_object_level_is_accepted(schema: dict[str, Any]) -> None:
    assert check_definition("template", template(**schema), lookup).key == "it_support"


def test_a_field_requiring_what_it_never_declares_is_refused() -> None:
    body = {
        "key": "address",
        "title": "Address",
        "schema": {"type": "object", "properties": {"street": {}}, "required": ["street", "zip"]},
    }
    assert errors_of("field", body) == {
        "/schema/required/1": ["Requires 'zip', which this object never declares as a property."]
    }


def test_invalid_pattern() -> None:
    errors = errors_of("template", template(properties={"x": {"type": "string", "pattern": "(["}}))
    assert "not a valid regular expression" in errors["/schema/properties/x/pattern"][0]


@pytest.mark.parametrize("pattern", ["(a+)+$", "^(\\w+\\s?)*$", "(a|a)*b", "(.*a){12}"])
def test_catastrophic_pattern_is_refused(pattern: str) -> None:
    errors = errors_of(
        "template", template(properties={"x": {"type": "string", "pattern": pattern}})
    )
    assert "exponential" in errors["/schema/properties/x/pattern"][0]


def test_catastrophic_pattern_property_is_refused() -> None:
    body = template(properties={"m": {"type": "object", "patternProperties": {"^(a+)+$": {}}}})
    errors = errors_of("template", body)
    assert list(errors) == ["/schema/properties/m/patternProperties/^(a+)+$"]


@pytest.mark.parametrize(
    "pattern",
    ["^SO-[0-9]{8}$", "^[a-z]+(-[a-z]+)*$", "^(\\d{1,3}\\.){3}\\d{1,3}$", "^\\+?[0-9 -]{6,20}$"],
)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_too_many_properties() -> None:
    props = {f"p{i}": {"type": "string"} for i in range(1001)}
    errors = errors_of("template", template(properties=props))
    assert "1,001 properties" in errors[""][0]


def test_too_deep() -> None:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(20):
        node = {"type": "object", "properties": {"n": node}}
    errors = errors_of("template", template(properties={"deep": node}))
    assert "Nesting deeper than 32" in next(iter(errors.values()))[0]


def test_body_over_one_megabyte() -> None:
    body = template(description="x" * 10)
    body["description"] = "x" * (MAX_BODY_BYTES + 1)
    errors = errors_of("template", body)
    assert "limit is 1 MB" in errors[""][0]
    with pytest.raises(DefinitionInvalid):
        parse_json(json.dumps(body))


def test_key_must_match() -> None:
    errors = errors_of("template", template(), key="other")
    assert errors == {"/key": ["The key in the document must be 'other'."]}


def test_rjsf_playground_shape_is_accepted() -> None:
    body = {
        "schema": {
            "title": "A registration form",
            "type": "object",
            "required": ["firstName"],
            "properties": {"firstName": {"type": "string"}},
        },
        "uiSchema": {"firstName": {"ui:autofocus": True}},
        "formData": {"firstName": "Chuck"},
    }
    checked = check_definition("template", body, lookup, key="registration")
    assert (checked.key, checked.title) == ("registration", "A registration form")


def test_an_example_that_does_not_fit_is_kept_with_a_warning() -> None:
    body = template(required=["summary"])
    body["formData"] = {"summary": 3}
    checked = check_definition("template", body, lookup)
    assert checked.body["formData"] == {"summary": 3}
    assert list(checked.warnings) == ["/formData/summary"]


def test_unknown_kind() -> None:
    assert "Unknown kind" in errors_of("report", {})[""][0]


def test_duplicate_member_in_a_json_object() -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_json('{"key": "a", "title": "A", "key": "b", "schema": {}}')
    assert "Duplicate key 'key'" in caught.value.errors[""][0]


def test_form_compile_error_lands_at_its_schema_pointer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiler's own refusals (shapes it cannot render) reach the admin with a pointer."""
    from app.definitions import schema_checks
    from forms import FormCompileError

    def refuse(schema: Any, ui: Any = None, resolver: Any = None) -> Any:
        raise FormCompileError("/properties/summary", "this shape cannot be rendered")

    monkeypatch.setattr(schema_checks, "compile_form", refuse)
    errors = errors_of("template", template())
    assert errors == {
        "/schema/properties/summary": ["The form cannot be built: this shape cannot be rendered"]
    }


def test_settings_filters_must_name_filterable_fields_after_field_refs_resolve() -> None:
    body = template(
        properties={
            "summary": {"type": "string"},
            "contact": {"$ref": "field:contact_email"},
            "address": {"type": "object"},
        }
    )
    body["settings"] = {"filters": ["contact", "address", "summary", "missing"]}
    assert sorted(errors_of("template", body)) == ["/settings/filters/1", "/settings/filters/3"]
    body["settings"] = {"filters": ["contact", "summary"]}
    assert check_definition("template", body, lookup).body["settings"]["filters"] == [
        "contact", "summary",
    ]


def field_body(**schema: Any) -> dict[str, Any]:
    return {"key": "serial", "title": "Serial", "schema": {"type": "string", **schema}}


NUL = "a\x00b"
SURROGATE = "a\ud800b"


@pytest.mark.parametrize(
    ("kind", "body", "where"),
    [
        ("field", {**field_body(), "title": NUL}, "/title"),
        ("field", field_body(title=NUL), "/schema/title"),
        ("field", field_body(pattern=NUL), "/schema/pattern"),
        ("field", field_body(default=NUL), "/schema/default"),
        ("field", field_body(enum=["ok", NUL]), "/schema/enum/1"),
        ("field", {**field_body(), "ui": {"ui:help": NUL}}, "/ui/ui:help"),
        ("field", {**field_body(), "tags": [NUL]}, "/tags/0"),
        ("field", field_body(title=SURROGATE), "/schema/title"),
        ("field", {**field_body(), "description": SURROGATE}, "/description"),
        ("template", template(title=NUL), "/schema/title"),
        ("template", {**template(), "uiSchema": {"summary": {"ui:help": SURROGATE}}},
         "/uiSchema/summary/ui:help"),
        ("template", {**template(), "formData": {"summary": NUL}}, "/formData/summary"),
        ("template", {**template(), "settings": {"subject": SURROGATE}}, "/settings/subject"),
        ("template", template(properties={"summary": {"type": "string", "default": NUL}}),
         "/schema/properties/summary/default"),
    ],
)
def test_text_no_database_stores_is_refused_at_its_pointer(
    kind: str, body: dict[str, Any], where: str
) -> None:
    errors = errors_of(kind, body)
    assert list(errors) == [where]
    assert "NUL" in errors[where][0] or "surrogate" in errors[where][0]


def test_bad_member_names_are_reported_at_their_object() -> None:
    body = template(properties={"sum\x00mary": {"type": "string"}, "\udc00": {}})
    errors = errors_of("template", body)
    assert list(errors) == ["/schema/properties"]
    assert len(errors["/schema/properties"]) == 2
    for message in errors["/schema/properties"]:  # the names are written escaped
        assert "\x00" not in message and message.encode("utf-8")


@pytest.mark.parametrize("key", ["se\x00rial", "serial\ud800"])
def test_a_key_no_database_stores_is_refused_at_key(key: str) -> None:
    errors = errors_of("field", {**field_body(), "key": key}, key=key)
    assert list(errors) == ["/key"]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_numbers_json_cannot_store_are_refused_at_their_pointer(number: str) -> None:
    text = '{"key": "serial", "title": "Serial", "schema": {"type": "number", "maximum": %s}}'
    body = parse_json(text % number)
    errors = errors_of("field", body)
    assert list(errors) == ["/schema/maximum"]
    assert "finite" in errors["/schema/maximum"][0]


def test_escaped_nul_and_surrogate_in_json_text_are_refused() -> None:
    body = parse_json('{"key": "serial", "title": "\\u0000", "schema": {"title": "\\ud800"}}')
    assert list(errors_of("field", body)) == ["/schema/title", "/title"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("key", ["serial\n", "serial\r\n", "\nserial"])
def test_a_key_with_a_newline_is_refused(kind: str, key: str) -> None:
    body = {"field": field_body(), "workflow": WORKFLOW, "template": template()}[kind]
    errors = errors_of(kind, {**body, "key": key}, key=key)
    assert list(errors) == ["/key"]


@pytest.mark.parametrize("setting", ["default_department", "workflow"])
def test_settings_slugs_with_a_newline_are_refused(setting: str) -> None:
    errors = errors_of("template", {**template(), "settings": {setting: "repair\n"}})
    assert list(errors) == [f"/settings/{setting}"]
