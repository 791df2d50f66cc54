"""Which template fields a list filters on, how, and which ones PostgreSQL indexes (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.definitions.filterable import (
    FilterSpec,
    choices,
    column_name,
    field_kind,
    filter_specs,
    filterable,
    indexed_fields,
    properties,
    settings_errors,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"enum": ["X1", "X2"], "title": "Model"},
        "tier": {"oneOf": [{"const": "gold", "title": "Gold"}, {"const": "std"}]},
        "amount": {"type": "number"},
        "count": {"type": "integer"},
        "bought": {"type": "string", "format": "date"},
        "seen_at": {"type": "string", "format": "date-time"},
        "vip": {"type": "boolean"},
        "serial": {"type": "string", "title": "Serial"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "bad-name": {"type": "string"},
    },
    "if": {"properties": {"vip": {"const": True}}},
    "then": {"properties": {"manager": {"type": "string"}}},
    "allOf": [{"properties": {"region": {"enum": [1, True, None]}}}],
}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("model", "enum"), ("tier", "enum"), ("amount", "number"), ("count", "number"),
        ("bought", "date"), ("seen_at", "date"), ("vip", "boolean"), ("serial", "text"),
        ("address", None), ("tags", None), ("manager", "text"), ("region", "enum"),
    ],
)
def test_field_kind_per_schema(name: str, kind: str | None) -> None:
    assert field_kind(properties(SCHEMA)[name]) == kind


def test_properties_include_conditional_branches_first_definition_wins() -> None:
    schema = {
        "properties": {"a": {"type": "string", "title": "first"}},
        "then": {"properties": {"a": {"type": "number"}, "b": {"type": "boolean"}}},
        "else": {"properties": {"c": {"type": "integer"}}},
    }
    found = properties(schema)
    assert list(found) == ["a", "b", "c"]
    assert found["a"]["title"] == "first"


def test_choices_give_labels_and_compare_as_the_database_does() -> None:
    assert choices(SCHEMA["properties"]["tier"]) == [("gold", "Gold"), ("std", "std")]
    # `data ->> 'f'` of JSON true/null/1 is 'true'/'null'/'1'
    assert choices({"enum": [1, True, None]}) == [("1", "1"), ("true", "true"), ("null", "null")]
    assert choices({"oneOf": [{"const": "a"}, {"type": "string"}]}) is None
    assert choices("not a schema") is None


def test_names_sql_cannot_carry_are_not_filterable() -> None:
    assert "bad-name" not in filterable(SCHEMA)
    assert filterable(SCHEMA)["bought"].whole_days is True
    assert filterable(SCHEMA)["seen_at"].whole_days is False


def test_filter_specs_default_to_every_filterable_field_in_schema_order() -> None:
    names = [s.name for s in filter_specs({}, SCHEMA)]
    assert names == [
        "model", "tier", "amount", "count", "bought", "seen_at", "vip", "serial",
        "manager", "region",
    ]


def test_settings_filters_choose_and_order_the_filters() -> None:
    specs = filter_specs({"filters": ["vip", "model"]}, SCHEMA)
    assert specs == [
        FilterSpec("vip", "boolean", "vip"),
        FilterSpec("model", "enum", "Model", (("X1", "X1"), ("X2", "X2"))),
    ]


def test_indexed_fields_are_the_filters_else_the_filterable_list_columns() -> None:
    assert indexed_fields({"filters": ["amount", "bought"]}, SCHEMA) == [
        ("amount", "number"), ("bought", "date"),
    ]
    columns = {"list_columns": ["/model", "/address/city", "serial", "/model", "/nope"]}
    assert indexed_fields(columns, SCHEMA) == [("model", "enum"), ("serial", "text")]
    assert indexed_fields({}, SCHEMA) == []


def test_column_names_unescape_pointer_tokens() -> None:
    assert column_name("/a~1b/c") == "a/b"
    assert column_name("/x~0y") == "x~y"
    assert column_name("plain") == "plain"
    assert column_name("") is None and column_name(3) is None


def test_settings_errors_point_at_each_bad_filter() -> None:
    errors = settings_errors({"filters": ["model", "address", "nope", "bad-name"]}, SCHEMA)
    assert sorted(errors) == ["/settings/filters/1", "/settings/filters/2", "/settings/filters/3"]
    assert settings_errors({"filters": ["model"]}, SCHEMA) == {}
    assert settings_errors({}, SCHEMA) == {}
    assert settings_errors(None, SCHEMA) == {}


def test_a_text_shown_as_a_file_widget_is_no_filter() -> None:
    ui = {"serial": {"ui:widget": "file"}}
    assert settings_errors({"filters": ["serial"]}, SCHEMA) == {}
    assert list(settings_errors({"filters": ["model", "serial"]}, SCHEMA, ui)) == [
        "/settings/filters/1"
    ]


@given(st.lists(st.sampled_from(sorted(properties(SCHEMA))), unique=True))
def test_named_filters_are_offered_exactly_when_they_pass_the_check(names: list[str]) -> None:
    settings = {"filters": names}
    offered = [s.name for s in filter_specs(settings, SCHEMA)]
    rejected = {int(p.rsplit("/", 1)[1]) for p in settings_errors(settings, SCHEMA)}
    assert offered == [n for i, n in enumerate(names) if i not in rejected]
    assert [n for n, _ in indexed_fields(settings, SCHEMA)] == offered


def test_ui_enum_names_label_plain_enums() -> None:
    schema = {"enum": ["a", "b", "c"]}
    assert choices(schema, {"ui:enumNames": ["Alpha", "Beta"]}) == [
        ("a", "Alpha"), ("b", "Beta"), ("c", "c"),
    ]
    assert choices(schema, {"ui:options": {"enumNames": ["A"]}})[0] == ("a", "A")
    assert choices(schema, {"ui:enumNames": "not a list"}) == [("a", "a"), ("b", "b"), ("c", "c")]
    specs = filter_specs({}, {"properties": {"x": schema}}, {"x": {"ui:enumNames": ["A"]}})
    assert specs[0].choices[0] == ("a", "A")


@pytest.mark.parametrize("name", ["amount\n", "amount\r\n", "\namount"])
def test_a_field_name_with_a_newline_is_no_sql_literal(name: str) -> None:
    from app.definitions.filterable import FIELD_NAME, spec

    assert FIELD_NAME.match(name) is None
    assert spec(name, {"type": "number"}) is None


@pytest.mark.parametrize(
    ("schema", "ui"),
    [
        ({"type": "string", "format": "data-url"}, None),
        ({"type": "string", "contentMediaType": "image/png"}, None),
        ({"type": "string"}, {"ui:widget": "file"}),
    ],
)
def test_file_fields_are_not_filterable(schema: dict[str, object], ui: object) -> None:
    assert field_kind(schema, ui) is None
    assert filterable({"properties": {"photo": schema}}, {"photo": ui} if ui else None) == {}
