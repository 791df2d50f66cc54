"""$ref resolution, the external resolver, recursion bounds, allOf and draft-7 spellings."""

from __future__ import annotations

from typing import Any

import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from forms import FormCompileError, compile_form


def round_trip(schema: Any, instance: Any, resolver: Any = None) -> tuple[bool, Any]:
    form_cls = compile_form(schema, None, resolver)
    form = form_cls(formdata=form_cls.encode(instance))
    return form.validate(), form.to_instance()


def test_defs_definitions_and_ids() -> None:
    schema = {
        "$id": "https://example.com/root.json",
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/email"},
            "b": {"$ref": "#/definitions/n"},
            "c": {"$ref": "item.json"},
            "d": {"$ref": "#named"},
        },
        "$defs": {
            "email": {"type": "string", "format": "email", "title": "Mail"},
            "item": {"$id": "item.json", "type": "integer", "maximum": 3},
            "named": {"$anchor": "named", "enum": ["x", "y"]},
        },
        "definitions": {"n": {"type": "number"}},
    }
    ok, back = round_trip(schema, {"a": "a@b.co", "b": 1.5, "c": 2, "d": "y"})
    assert ok and back == {"a": "a@b.co", "b": 1.5, "c": 2, "d": "y"}
    ok, _ = round_trip(schema, {"c": 4})
    assert not ok
    assert 'type="email"' in str(compile_form(schema)().render())


def test_ref_with_sibling_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/s", "title": "Own title", "maxLength": 2}},
        "$defs": {"s": {"type": "string", "title": "Def title"}},
    }
    html = str(compile_form(schema)().render())
    assert "Own title" in html and "Def title" not in html
    ok, _ = round_trip(schema, {"a": "abc"})
    assert not ok


LIBRARY = {
    "field:product_model": {"type": "string", "enum": ["X1", "X2"], "title": "Model"},
    "https://tessera.example/fields/serial": {"type": "string", "pattern": "^SN"},
}


def test_resolver_callable_and_registry() -> None:
    schema = {
        "type": "object",
        "properties": {
            "model": {"$ref": "field:product_model"},
            "serial": {"$ref": "https://tessera.example/fields/serial"},
        },
    }
    ok, back = round_trip(schema, {"model": "X2", "serial": "SN1"}, LIBRARY.__getitem__)
    assert ok and back == {"model": "X2", "serial": "SN1"}
    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT202012.create_resource(s)) for uri, s in LIBRARY.items()
    )
    ok, _ = round_trip(schema, {"model": "X3"}, registry)
    assert not ok
    with pytest.raises(FormCompileError):
        compile_form(schema)


def test_recursive_schema_is_bounded() -> None:
    schema = {
        "$ref": "#/$defs/node",
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "left": {"$ref": "#/$defs/node"},
                    "right": {"$ref": "#/$defs/node"},
                },
            }
        },
    }
    deep: dict[str, Any] = {"name": "leaf"}
    for i in range(10):
        deep = {"name": f"n{i}", "left": deep, "right": {"name": "r"}}
    ok, back = round_trip(schema, deep)
    assert ok and back == deep
    ok, _ = round_trip(schema, {"left": {"left": {"left": {"left": {"left": {"name": 5}}}}}})
    assert not ok


def test_all_of_merged_for_rendering_and_all_validated() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}, "a": {"maxLength": 2}}},
            {
                "if": {"properties": {"b": {"const": 1}}, "required": ["b"]},
                "then": {"properties": {"c": {"type": "string"}}, "required": ["c"]},
            },
        ]
    }
    form_cls = compile_form(schema)
    html = str(form_cls().render())
    assert 'name="/a"' in html and 'name="/b"' in html and 'name="/c"' in html
    ok, back = round_trip(schema, {"a": "xy", "b": 1, "c": "z"})
    assert ok and back == {"a": "xy", "b": 1, "c": "z"}
    ok, _ = round_trip(schema, {"a": "xyz"})
    assert not ok
    ok, _ = round_trip(schema, {"a": "x", "b": 1})
    assert not ok


def test_draft7_dependencies_and_items_array() -> None:
    schema = {
        "type": "object",
        "properties": {
            "card": {"type": "string"},
            "t": {
                "type": "array",
                "items": [{"type": "integer"}],
                "additionalItems": {"type": "string"},
            },
        },
        "dependencies": {"card": ["cvc"], "vip": {"properties": {"level": {"type": "integer"}}}},
    }
    ok, back = round_trip(schema, {"card": "1", "cvc": "2", "t": [1, "a", "b"]})
    assert ok and back == {"card": "1", "cvc": "2", "t": [1, "a", "b"]}
    ok, _ = round_trip(schema, {"card": "1"})
    assert not ok
    ok, _ = round_trip(schema, {"t": [1, 2]})
    assert not ok


def test_declared_draft7_uses_draft7_validator() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "t": {"type": "array", "items": [{"type": "integer"}], "additionalItems": False}
        },
    }
    ok, _ = round_trip(schema, {"t": [1]})
    assert ok
    ok, _ = round_trip(schema, {"t": [1, 2]})
    assert not ok


def test_unknown_format_is_passed_to_validation() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "string", "format": "ticket-id"}}}
    ok, back = round_trip(schema, {"x": "anything"})
    assert ok and back == {"x": "anything"}


def test_upgrade_only_touches_schema_positions() -> None:
    from forms.schema import upgrade

    schema = {
        "properties": {
            "dependencies": {"type": "string"},
            "items": {"type": "array", "items": [{"type": "string"}], "default": {"items": [1]}},
        },
        "dependencies": {"a": ["b"]},
    }
    assert upgrade(schema) == {
        "properties": {
            "dependencies": {"type": "string"},
            "items": {
                "type": "array",
                "prefixItems": [{"type": "string"}],
                "default": {"items": [1]},
            },
        },
        "dependentRequired": {"a": ["b"]},
    }
    plain = {"type": "object", "properties": {"a": {"enum": [{"items": [1]}]}}}
    assert upgrade(plain) is plain
