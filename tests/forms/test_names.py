"""Awkward property names: posted names are JSON pointers, never Python attributes."""

from __future__ import annotations

import pytest

from forms import compile_form
from forms.names import escape_token, html_id, join, pointer_of, unescape_token

AWKWARD = [
    "with space",
    "dot.ted",
    "sl/ash",
    "til~de",
    "客户 名称",
    "data",
    "meta",
    "validate",
    "csrf_token",
    "__class__",
    "0",
    "",
    "process",
    "errors",
    "~e",
    "$",
]


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_name_round_trips(name: str) -> None:
    schema = {
        "type": "object",
        "properties": {name: {"type": "string", "minLength": 2}},
        "required": [name],
    }
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode({name: "ok"}))
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {name: "ok"}


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_name_still_validates(name: str) -> None:
    schema = {
        "type": "object",
        "properties": {name: {"type": "string", "minLength": 2}},
        "required": [name],
    }
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode({name: "x"}))
    assert form.validate() is False
    assert form.errors_by_pointer() == {join("", name): ["Must be at least 2 characters."]}


def test_all_awkward_names_together() -> None:
    schema = {"type": "object", "properties": {n: {"type": "integer"} for n in AWKWARD}}
    instance = {n: i for i, n in enumerate(AWKWARD)}
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode(instance))
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == instance
    posted = set(form_cls.encode(instance).keys())
    assert posted == {join("", n) for n in AWKWARD}
    assert "csrf_token" not in posted


def test_validate_property_does_not_bypass_validation() -> None:
    schema = {
        "type": "object",
        "properties": {"validate": {"type": "integer", "maximum": 3}, "data": {"type": "string"}},
    }
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode({"validate": 10, "data": "x"}))
    assert callable(form.validate)
    assert form.validate() is False
    assert form.errors_by_pointer() == {"/validate": ["Must be at most 3."]}
    assert isinstance(form.data, dict)  # WTForms' own property still works


def test_nested_and_array_pointers() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a/b": {
                "type": "object",
                "properties": {"rows": {"type": "array", "items": {"type": "integer"}}},
            }
        },
    }
    form_cls = compile_form(schema)
    posted = form_cls.encode({"a/b": {"rows": [5, 6]}})
    assert posted.getlist("/a~1b/rows/~r") == ["0", "1"]
    assert posted["/a~1b/rows/0"] == "5"


def test_pointer_helpers() -> None:
    assert escape_token("a/b~c") == "a~1b~0c"
    assert unescape_token("a~1b~0c") == "a/b~c"
    assert pointer_of(["x", 0, "a/b"]) == "/x/0/a~1b"
    assert join("/x", "") == "/x/"


def test_html_ids_are_unique_and_valid() -> None:
    names = ["/a b", "/a-b", "/a_b", "/a-20-b", "/客户", "/a.b"]
    ids = [html_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    for value in ids:
        assert " " not in value
        assert all(c.isascii() for c in value)
