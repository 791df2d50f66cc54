"""encode → Form → to_instance round trips, and the absent/empty rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from forms import compile_form


def round_trip(schema: Any, instance: Any, ui: Any = None) -> tuple[bool, Any]:
    form_cls = compile_form(schema, ui)
    form = form_cls(formdata=form_cls.encode(instance))
    return form.validate(), form.to_instance()


def same(a: Any, b: Any) -> bool:
    """Equality that tells 1, 1.0 and True apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


SCALARS = {
    "type": "object",
    "properties": {
        "s": {"type": "string"},
        "i": {"type": "integer"},
        "n": {"type": "number"},
        "b": {"type": "boolean"},
        "ns": {"type": ["string", "null"]},
        "nn": {"type": ["number", "null"]},
        "z": {"type": "null"},
    },
}


@pytest.mark.parametrize(
    "instance",
    [
        {},
        {"s": "x", "i": 3, "n": 1.5, "b": True},
        {"s": "", "b": False},
        {"n": 2},
        {"n": 2.0},
        {"n": 1e100},
        {"i": -12345678901234567890},
        {"ns": None, "nn": None},
        {"ns": ""},
        {"ns": "x", "nn": 0},
        {"z": None},
        {"s": "multi\nline  spaced "},
    ],
)
def test_scalars_round_trip(instance: dict[str, Any]) -> None:
    ok, back = round_trip(SCALARS, instance)
    assert ok
    assert same(back, instance)


def test_blank_form_rules() -> None:
    form_cls = compile_form(
        {
            "type": "object",
            "required": ["rs"],
            "properties": {
                "rs": {"type": "string"},
                "os": {"type": "string"},
                "ns": {"type": ["string", "null"]},
                "b": {"type": "boolean"},
                "i": {"type": "integer"},
                "arr": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    empty = MultiDict([("/rs", ""), ("/os", ""), ("/ns", ""), ("/i", "")])
    form = form_cls(formdata=empty)
    assert form.to_instance() == {"rs": "", "ns": None, "b": False}


def test_hints_keep_absent_and_empty() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "boolean"}, "s": {"type": "string"}}}
    form_cls = compile_form(schema)
    assert form_cls.encode({}).getlist("~e") == ["-/b"]
    assert form_cls.encode({"s": ""}).getlist("~e") == ["-/b", "+/s"]
    assert "~e" not in form_cls.encode({"b": False})


def test_typed_enums_keep_their_type() -> None:
    values = [1, 1.5, "1", True, False, None, {"a": [1]}, [1, 2]]
    schema = {"type": "object", "properties": {"c": {"enum": values}}}
    for value in values:
        ok, back = round_trip(schema, {"c": value})
        assert ok
        assert same(back, {"c": value})


def test_string_enum_posts_plain_values() -> None:
    form_cls = compile_form({"type": "object", "properties": {"c": {"enum": ["a", "b c"]}}})
    assert form_cls.encode({"c": "b c"})["/c"] == "b c"


def test_multi_select_keeps_order_and_types() -> None:
    schema = {
        "type": "object",
        "properties": {
            "m": {"type": "array", "uniqueItems": True, "items": {"enum": [3, "3", "x"]}}
        },
    }
    for value in ([], ["x", 3], ["3", "x", 3]):
        ok, back = round_trip(schema, {"m": value})
        assert ok
        assert same(back, {"m": value})


def test_nested_objects_and_optional_object() -> None:
    schema = {
        "type": "object",
        "properties": {
            "c": {
                "type": "object",
                "required": ["e"],
                "properties": {"e": {"type": "string"}, "f": {"type": "boolean"}},
            }
        },
    }
    for instance in (
        {},
        {"c": {"e": ""}},
        {"c": {"e": "x", "f": True}},
        {"c": {"e": "", "f": False}},
    ):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)


def test_arrays_of_objects_and_scalars() -> None:
    schema = {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"q": {"type": "integer"}, "t": {"type": "array", "items": {}}},
                },
            },
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    instance = {"rows": [{"q": 1}, {}, {"q": 2, "t": [1, "a", None]}], "tags": ["", "b"]}
    ok, back = round_trip(schema, instance)
    assert ok
    assert same(back, instance)
    ok, back = round_trip(schema, {"rows": [], "tags": []})
    assert same(back, {"rows": [], "tags": []})


def test_rows_follow_posted_order_with_gaps() -> None:
    schema = {"type": "object", "properties": {"t": {"type": "array", "items": {"type": "string"}}}}
    form_cls = compile_form(schema)
    posted = MultiDict([("/t/~r", "5"), ("/t/~r", "2"), ("/t/5", "first"), ("/t/2", "second")])
    assert form_cls(formdata=posted).to_instance() == {"t": ["first", "second"]}


def test_tuples_and_draft7_items_array() -> None:
    schema = {
        "type": "object",
        "properties": {
            "t": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            "d": {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
        },
    }
    for instance in ({"t": ["a", 1, {"x": 1}]}, {"t": ["a"]}, {"d": ["x"]}):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)
    ok, _ = round_trip(schema, {"d": ["x", "y"]})
    assert not ok


def test_additional_and_pattern_properties() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "patternProperties": {"^n_": {"type": "integer"}},
        "additionalProperties": {"type": "boolean"},
    }
    instance = {"a": "x", "n_1": 4, "flag": True, "other": False}
    ok, back = round_trip(schema, instance)
    assert ok
    assert same(back, instance)
    ok, _ = round_trip(schema, {"n_1": "not a number"})
    assert not ok


def test_undeclared_properties_survive_an_edit() -> None:
    ok, back = round_trip({"type": "object", "properties": {}}, {"old": [1, {"x": None}]})
    assert ok
    assert back == {"old": [1, {"x": None}]}


def test_additional_properties_false_rejects_posted_extra() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    ok, _ = round_trip(schema, {"a": "x", "b": 1})
    assert not ok


def test_object_alternatives() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "oneOf": [
            {"title": "Card", "properties": {"card": {"type": "string"}}, "required": ["card"]},
            {"title": "Bank", "properties": {"iban": {"type": "string"}}, "required": ["iban"]},
        ],
    }
    for instance in ({"name": "x", "card": "4111"}, {"iban": "DE00"}):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)
    form_cls = compile_form(schema)
    assert form_cls.encode({"iban": "DE00"})["/~a0/~c"] == "1"


def test_value_alternatives() -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
    }
    for instance in ({"v": "12"}, {"v": 12}, {}):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)


def test_type_list_without_null() -> None:
    schema = {"type": "object", "properties": {"v": {"type": ["string", "boolean"]}}}
    for instance in ({"v": "true"}, {"v": True}, {"v": False}):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)


def test_conditional_fields_absent_when_condition_unmet() -> None:
    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ["bug", "other"]}},
        "if": {"properties": {"kind": {"const": "other"}}, "required": ["kind"]},
        "then": {"properties": {"why": {"type": "string"}, "ok": {"type": "boolean"}}},
        "dependentSchemas": {"kind": {"properties": {"extra": {"type": "boolean"}}}},
    }
    form_cls = compile_form(schema)
    blank = MultiDict([("/kind", "bug"), ("/why", "")])
    assert form_cls(formdata=blank).to_instance() == {"kind": "bug", "extra": False}
    other = MultiDict([("/kind", "other"), ("/why", "")])
    assert form_cls(formdata=other).to_instance() == {"kind": "other", "ok": False, "extra": False}
    for instance in ({"kind": "bug"}, {"kind": "other", "why": "", "ok": True}, {}):
        ok, back = round_trip(schema, instance)
        assert ok
        assert same(back, instance)


def test_invalid_types_stay_invalid() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string"}, "o": {"type": "object"}}}
    for instance in ({"s": 5}, {"s": None}, {"o": [1]}, {"s": ["x"]}):
        form_cls = compile_form(schema)
        form = form_cls(formdata=form_cls.encode(instance))
        assert form.validate() is False
        assert form.to_instance() == instance


def test_root_scalar_and_root_non_object_data() -> None:
    ok, back = round_trip({"type": "integer"}, 7)
    assert ok and back == 7
    ok, back = round_trip({"type": "object"}, [1, 2])
    assert not ok and back == [1, 2]


def test_readonly_keeps_stored_value() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string", "readOnly": True}}}
    form_cls = compile_form(schema)
    tampered = MultiDict([("/id", "hacked")])
    form = form_cls(formdata=tampered, data={"id": "T-1"})
    assert form.to_instance() == {"id": "T-1"}
    form = form_cls(formdata=tampered, data={})
    assert form.to_instance() == {}
    form = form_cls(formdata=form_cls.encode({"id": "T-1"}))  # new form: the post is ignored
    assert form.to_instance() == {}


@pytest.mark.parametrize(
    ("prop", "ui", "stored", "expected"),
    [
        ({"type": "integer", "readOnly": True, "default": 3}, None, None, {"ro": 3}),
        ({"type": "integer", "readOnly": True, "default": 3}, None, {"ro": 5}, {"ro": 5}),
        ({"type": "integer", "readOnly": True}, None, None, {}),
        ({"type": "integer", "readOnly": True, "const": 4}, None, None, {"ro": 4}),
        ({"type": "integer", "default": 3}, {"ui:readonly": True}, None, {"ro": 3}),
        ({"type": "integer", "default": 3}, {"ui:disabled": True}, None, {"ro": 3}),
        ({"type": "integer", "default": 3}, {"ui:disabled": True}, {"ro": 1}, {"ro": 1}),
    ],
)
def test_readonly_post_is_never_stored(
    prop: dict[str, Any], ui: Any, stored: Any, expected: dict[str, Any]
) -> None:
    schema = {"type": "object", "properties": {"ro": prop, "n": {"type": "string"}}}
    form_cls = compile_form(schema, {"ro": ui} if ui else None)
    posted = MultiDict([("/ro", "7"), ("/n", "x")])
    form = form_cls(formdata=posted, data=stored)
    assert form.to_instance() == {**expected, "n": "x"}


def test_readonly_inside_objects_rows_and_json_text() -> None:
    item = {"type": "object", "properties": {"id": {"type": "string", "readOnly": True}}}
    schema = {
        "type": "object",
        "properties": {
            "c": {"type": "object", "properties": {"id": {"type": "string", "readOnly": True}}},
            "rows": {"type": "array", "items": item},
            "meta": {"type": "object", "readOnly": True, "default": {"v": 1}},
        },
    }
    form_cls = compile_form(schema)
    stored = {"c": {"id": "C-1"}, "rows": [{"id": "R-1"}], "meta": {"v": 2}}
    posted = MultiDict(
        [("/c/id", "x"), ("/rows/~r", "0"), ("/rows/0/id", "x"), ("/rows/~r", "1")]
        + [("/rows/1/id", "x"), ("/meta", '{"v": 9}'), ("~e", "j/meta")]
    )
    assert form_cls(formdata=posted, data=stored).to_instance() == {
        "c": {"id": "C-1"},
        "rows": [{"id": "R-1"}, {}],
        "meta": {"v": 2},
    }
    # JSON text is only taken for what the inputs cannot carry: a posted object is read
    # from its inputs, so it cannot smuggle in a read-only member
    smuggled = MultiDict([("/c", '{"id": "x"}'), ("~e", "j/c")])
    assert form_cls(formdata=smuggled).to_instance() == {"meta": {"v": 1}}
    root = MultiDict([("$", '{"c": {"id": "x"}}'), ("~e", "j")])
    assert form_cls(formdata=root).to_instance() == {"meta": {"v": 1}}
    ok, back = round_trip(schema, [1])  # a root value no input can show still round-trips
    assert not ok and back == [1]


def test_blank_nullable_fieldset_is_null() -> None:
    company = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    for prop in (
        {**company, "type": ["object", "null"]},
        {"anyOf": [company, {"type": "null"}]},
    ):
        schema = {"type": "object", "properties": {"co": prop}, "required": ["co"]}
        form_cls = compile_form(schema)
        assert form_cls(formdata=MultiDict([("/co/name", "")])).to_instance() == {"co": None}
        assert form_cls(formdata=MultiDict([("/co/name", "A")])).to_instance() == {
            "co": {"name": "A"}
        }
        for instance in ({"co": None}, {"co": {"name": "A"}}, {"co": {"name": ""}}):
            ok, back = round_trip(schema, instance)
            assert ok and same(back, instance)
        assert "~e" not in form_cls.encode({"co": None})


def test_whole_float_posts_as_an_integer() -> None:
    schema = {"type": "object", "properties": {"i": {"type": "integer"}}}
    form_cls = compile_form(schema)
    posted = form_cls.encode({"i": 3.0})
    assert list(posted.items(multi=True)) == [("/i", "3.0")]
    ok, back = round_trip(schema, {"i": 3.0})
    assert ok and same(back, {"i": 3.0})
    ok, back = round_trip(schema, {"i": 3.5})  # not whole: JSON text, stays invalid
    assert not ok and same(back, {"i": 3.5})


def test_defaults_fill_a_new_form() -> None:
    schema = {
        "type": "object",
        "properties": {
            "p": {"enum": ["low", "high"], "default": "high"},
            "n": {"type": "integer", "default": 3},
        },
    }
    form = compile_form(schema)()
    assert form.to_instance() == {"p": "high", "n": 3}
    assert 'value="3"' in str(form.render())


def test_file_upload_becomes_data_url() -> None:
    schema = {"type": "object", "properties": {"f": {"type": "string", "format": "data-url"}}}
    ui = {"f": {"ui:options": {"accept": ".txt", "maxSize": 10}}}
    form_cls = compile_form(schema, ui)
    upload = FileStorage(io.BytesIO(b"hi"), filename="a b.txt", content_type="text/plain")
    form = form_cls(formdata=MultiDict([("/f", upload)]))
    assert form.validate()
    assert form.to_instance() == {"f": "data:text/plain;name=a%20b.txt;base64,aGk="}
    big = FileStorage(io.BytesIO(b"x" * 11), filename="big.txt", content_type="text/plain")
    form = form_cls(formdata=MultiDict([("/f", big)]))
    assert form.validate() is False
    assert form.errors_by_pointer() == {"/f": ["The file is larger than 10 bytes."]}
    empty = FileStorage(io.BytesIO(b""), filename="", content_type="application/octet-stream")
    kept = MultiDict([("/f", empty), ("/f", "data:text/plain;name=a.txt;base64,aGk=")])
    assert form_cls(formdata=kept).to_instance() == {"f": "data:text/plain;name=a.txt;base64,aGk="}


def test_date_time_widgets_normalise_browser_values() -> None:
    schema = {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "t": {"type": "string", "format": "time"},
        },
    }
    form_cls = compile_form(schema, {"at": {"ui:widget": "datetime"}, "t": {"ui:widget": "time"}})
    posted = MultiDict([("/at", "2024-05-01T10:30"), ("/t", "09:15")])
    form = form_cls(formdata=posted)
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {"at": "2024-05-01T10:30:00Z", "t": "09:15:00Z"}


def test_unparseable_number_is_a_field_error() -> None:
    form_cls = compile_form(
        {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    )
    form = form_cls(formdata=MultiDict([("/n", "abc")]))
    assert form.validate() is False
    assert form.errors_by_pointer() == {"/n": ["Not a valid whole number."]}


def test_alternative_chosen_by_the_keys_it_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pay": {
                "oneOf": [
                    {"title": "Card", "type": "object", "properties": {"no": {"type": "string"}}},
                    {"title": "Cash", "type": "object", "properties": {"amt": {"type": "number"}}},
                ]
            }
        },
    }
    form_cls = compile_form(schema)
    posted = form_cls.encode({"pay": {"amt": 2}})
    assert posted["/pay/~a0/~c"] == "1"
    assert posted["/pay/~a0/~b1/amt"] == "2"
    assert "/pay/~m0" not in posted


SPARE_SCHEMA = {
    "type": "object",
    "properties": {
        "parts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer", "default": 1},
                    "kind": {"const": "part"},
                    "ok": {"type": "boolean"},
                },
                "required": ["sku"],
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["parts"],
}


def _spare_post(*pairs: tuple[str, str], qty: str = "1") -> MultiDict[str, str]:
    """What a browser without JavaScript posts: one real row plus the spare rows."""
    return MultiDict(
        [("/parts/~r", "0"), ("/parts/0/sku", "A"), ("/parts/0/qty", "2")]
        + [("/parts/0/kind", "part"), ("/parts/~s", "1"), ("/parts/1/qty", qty)]
        + [("/parts/1/kind", "part"), ("/tags/~s", "0"), *pairs]
    )


def test_blank_spare_row_is_no_item() -> None:
    form = compile_form(SPARE_SCHEMA)(formdata=_spare_post(("/parts/1/sku", ""), ("/tags/0", "")))
    assert form.validate()
    assert form.to_instance() == {"parts": [{"sku": "A", "qty": 2, "kind": "part", "ok": False}]}


def test_filled_spare_row_becomes_an_item() -> None:
    form_cls = compile_form(SPARE_SCHEMA)
    form = form_cls(formdata=_spare_post(("/parts/1/sku", "B"), ("/tags/0", "x")))
    assert form.validate()
    assert form.to_instance() == {
        "parts": [
            {"sku": "A", "qty": 2, "kind": "part", "ok": False},
            {"sku": "B", "qty": 1, "kind": "part", "ok": False},
        ],
        "tags": ["x"],
    }
    form = form_cls(formdata=_spare_post(("/parts/1/ok", "true")))  # a box ticked: an item
    assert [p.get("sku") for p in form.to_instance()["parts"]] == ["A", ""]
    form = form_cls(formdata=_spare_post(qty="5"))  # a default changed: an item
    assert len(form.to_instance()["parts"]) == 2


def test_spare_rows_still_validated_by_min_and_max_items() -> None:
    form_cls = compile_form(SPARE_SCHEMA)
    only_spare = MultiDict([("/parts/~s", "0"), ("/parts/0/sku", "")])
    form = form_cls(formdata=only_spare)
    assert not form.validate()
    assert form.to_instance() == {"parts": []}
    assert "/parts" in form.errors_by_pointer()
    rows = [("/parts/~r", "0"), ("/parts/0/sku", "A"), ("/parts/~r", "1"), ("/parts/1/sku", "B")]
    full = MultiDict([*rows, ("/parts/~s", "2"), ("/parts/2/sku", "C")])
    form = form_cls(formdata=full)
    assert not form.validate()
    assert len(form.to_instance()["parts"]) == 3
    assert "/parts" in form.errors_by_pointer()


def test_rendered_spare_row_posts_back_as_no_item() -> None:
    form_cls = compile_form(SPARE_SCHEMA)
    html = str(form_cls(data={"parts": [{"sku": "A"}]}).render())
    assert 'name="/parts/~s" value="1"' in html and "data-tf-spare" in html
    # the inputs a browser posts for that page, untouched
    posted = MultiDict(
        [("/parts/~r", "0"), ("/parts/0/sku", "A"), ("/parts/0/qty", "1")]
        + [("/parts/0/kind", "part"), ("/parts/~s", "1"), ("/parts/1/sku", "")]
        + [("/parts/1/qty", "1"), ("/parts/1/kind", "part"), ("/tags/~s", "0"), ("/tags/0", "")]
    )
    for name, value in posted.items(multi=True):
        assert f'name="{name}"' in html and f'value="{value}"' in html
    form = form_cls(formdata=posted)
    assert form.to_instance() == {"parts": [{"sku": "A", "qty": 1, "kind": "part", "ok": False}]}
