"""Rules taken from react-jsonschema-form (core theme) so that a form starts as RJSF starts it:
array rows and their labels, property-dependency marks, the first option of a oneOf/anyOf of
consts, time values without zero seconds, required checkboxes; and the one case kept on
purpose (a nullable number stays a number input).

Pages are read as in ``tests/forms/test_rjsf_structures.py``: the visible controls, by label,
kind, required flag and value.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from forms import compile_form
from tests.forms.test_rjsf_structures import Control, html_of, read


def obj(properties: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **rest}


def mark_of(html: str, field: str) -> str:
    """The required-mark span inside the label of the field named ``field``."""
    label = html.split(f'data-tf-field="{field}"', 1)[1].split("</label>", 1)[0]
    return "<span" + label.split("<span", 1)[1] if "<span" in label else ""


# -- arrays: RJSF's item titles and minItems rows ------------------------------------------

STEPS = obj({"steps": {"type": "array", "title": "Steps", "items": {"type": "string"}}})


def test_untitled_items_are_labelled_array_title_dash_position() -> None:
    page = read(STEPS, data={"steps": ["Unpack", "Plug in"]})
    assert page.controls()[:2] == [  # then the spare row for browsers without JavaScript
        Control("Steps-1", "text", True, "Unpack"),
        Control("Steps-2", "text", True, "Plug in"),
    ]
    untitled = obj({"steps": {"type": "array", "items": {"type": "string"}}})
    assert [c.label for c in read(untitled, data={"steps": ["a"]}).controls()][0] == "steps-1"
    titled = obj({"steps": {"type": "array", "title": "Steps", "items": {"title": "Step"}}})
    assert [c.label for c in read(titled, data={"steps": ["a"]}).controls()][0] == "Step"


CODES = obj(
    {"codes": {"type": "array", "title": "Codes", "minItems": 2, "items": {"type": "integer"}}}
)


def test_an_optional_array_starts_with_its_min_items_blank_rows() -> None:
    html = html_of(CODES)
    rows = html.split("data-tf-spare", 1)[0]  # the spare row (no JavaScript) comes after
    assert 'name="/codes/1"' in rows and 'name="/codes/2"' not in rows
    assert read(CODES).controls()[:2] == [
        Control("Codes-1", "number", True, ""),
        Control("Codes-2", "number", True, ""),
    ]
    required = html_of(dict(CODES, required=["codes"]))
    assert 'name="/codes/1"' in required.split("data-tf-spare", 1)[0]  # as before


def test_min_items_rows_posted_untouched_are_no_array() -> None:
    form_cls = compile_form(CODES)
    untouched = MultiDict([("/codes/~r", "0"), ("/codes/~r", "1")])
    form = form_cls(formdata=untouched)
    assert form.validate() and form.to_instance() == {}
    half = MultiDict([("/codes/~r", "0"), ("/codes/0", "7"), ("/codes/~r", "1")])
    form = form_cls(formdata=half)
    assert not form.validate() and set(form.errors_by_pointer()) == {"/codes/1"}
    full = MultiDict([("/codes/~r", "0"), ("/codes/0", "7"), ("/codes/~r", "1"), ("/codes/1", "8")])
    assert form_cls(formdata=full).to_instance() == {"codes": [7, 8]}


def test_a_required_array_left_blank_still_fails() -> None:
    form_cls = compile_form(dict(CODES, required=["codes"]))
    form = form_cls(formdata=MultiDict([("/codes/~r", "0"), ("/codes/~r", "1")]))
    assert not form.validate()
    assert set(form.errors_by_pointer()) == {"/codes/0", "/codes/1"}


# -- property dependencies: marked once the trigger has a value ---------------------------

RETURN = obj(
    {
        "order": {"type": "string", "title": "Order"},
        "reason": {"type": "string", "title": "Reason"},
    },
    dependentRequired={"order": ["reason"]},
)


def test_a_dependent_field_is_unmarked_while_its_trigger_is_empty() -> None:
    mark = mark_of(html_of(RETURN), "/reason")
    assert "data-tf-mark" in mark and " hidden>" in mark and mark.endswith("></span>")
    assert read(RETURN).controls()[1] == Control("Reason", "text", False, "")


def test_a_dependent_field_is_marked_when_its_trigger_has_a_value() -> None:
    mark = mark_of(html_of(RETURN, data={"order": "A-1"}), "/reason")
    assert "data-tf-mark" in mark and " hidden" not in mark and mark.endswith(">*</span>")
    form_cls = compile_form(RETURN)
    posted = form_cls(formdata=MultiDict([("/order", "A-1"), ("/reason", "")]))
    assert not posted.validate() and set(posted.errors_by_pointer()) == {"/reason"}
    assert " hidden" not in mark_of(str(posted.render()), "/reason")  # as posted, after errors


def test_fields_requiring_each_other_are_unmarked_while_both_are_empty() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **obj(
            {"card": {"type": "string"}, "billing": {"type": "string"}},
            dependencies={"card": ["billing"], "billing": ["card"]},
        ),
    }
    html = html_of(schema)
    assert all(mark_of(html, f).endswith(" hidden></span>") for f in ("/card", "/billing"))
    form_cls = compile_form(schema)
    assert form_cls(formdata=MultiDict()).validate()  # the schema, unchanged, decides
    assert not form_cls(formdata=MultiDict([("/card", "4111")])).validate()
    html = str(form_cls(data={"card": "4111"}).render())
    assert mark_of(html, "/billing").endswith(">*</span>")
    assert mark_of(html, "/card").endswith(" hidden></span>")


def test_a_field_shown_under_its_condition_keeps_its_plain_mark() -> None:
    schema = obj(
        {"kind": {"type": "string"}},
        dependentSchemas={
            "kind": {"properties": {"note": {"type": "string"}}, "required": ["note"]}
        },
    )
    mark = mark_of(html_of(schema), "/note")
    assert mark.endswith(">*</span>") and "data-tf-mark" not in mark


# -- a oneOf/anyOf of consts starts at its first option ------------------------------------


def options(key: str) -> dict[str, Any]:
    return {
        "type": "string",
        "title": "Tier",
        key: [{"const": "gold", "title": "Gold"}, {"const": "silver", "title": "Silver"}],
    }


def selected(html: str) -> list[str]:
    """The labels of the selected options."""
    return re.findall(r"<option [^>]*\bselected\b[^>]*>([^<]*)</option>", html)


def test_const_alternatives_start_at_the_first_option_required_or_not() -> None:
    for key in ("oneOf", "anyOf"):
        for required in ([], ["tier"]):
            html = html_of(obj({"tier": options(key)}, required=required))
            assert selected(html) == ["Gold"]
    form_cls = compile_form(obj({"tier": options("anyOf")}))
    assert form_cls().to_instance() == {"tier": "gold"}


def test_a_default_or_a_value_wins_and_an_enum_starts_blank() -> None:
    with_default = obj({"tier": dict(options("oneOf"), default="silver")})
    assert selected(html_of(with_default)) == ["Silver"]
    assert selected(html_of(obj({"tier": options("oneOf")}), data={"tier": "silver"})) == ["Silver"]
    assert selected(html_of(obj({"tier": {"type": "string", "enum": ["a", "b"]}}))) == []
    form_cls = compile_form(obj({"tier": options("oneOf")}))
    cleared = form_cls(formdata=MultiDict([("/tier", "")]))
    assert cleared.validate() and cleared.to_instance() == {}  # "—" chosen: no value


# -- times: seconds shown only when they are not zero --------------------------------------

VISIT = obj({"arrival": {"type": "string", "format": "time", "title": "Arrival"}})


def test_a_time_shows_seconds_only_when_they_are_not_zero() -> None:
    assert read(VISIT, data={"arrival": "08:45:00"}).controls() == [
        Control("Arrival", "time", False, "08:45")
    ]
    assert read(VISIT, data={"arrival": "08:45:30"}).controls()[0].value == "08:45:30"
    assert read(VISIT, data={"arrival": "08:45:00+08:00"}).controls()[0].value == "00:45"


def test_a_time_shown_without_its_seconds_and_posted_back_keeps_its_text() -> None:
    form_cls = compile_form(VISIT)
    stored = {"arrival": "08:45:00"}
    posted = MultiDict([("/arrival", "08:45"), ("~e", "j/arrival")])
    assert form_cls(formdata=posted, data=stored).to_instance() == stored


# -- checkboxes: a required boolean says so, a tuple's item too ----------------------------


def test_a_required_checkbox_carries_required_as_rjsf_renders_it() -> None:
    schema = obj(
        {
            "agreed": {"type": "boolean", "title": "Agreed"},
            "maybe": {"type": ["boolean", "null"], "title": "Maybe"},
            "extra": {"type": "boolean", "title": "Extra"},
            "reading": {
                "type": "array",
                "title": "Reading",
                "prefixItems": [{"type": "string", "title": "Sensor"}, {"type": "boolean"}],
                "items": False,
            },
        },
        required=["agreed", "maybe"],
    )
    controls = read(schema, data={"reading": ["T-7", True]}).controls()
    assert [(c.label, c.required) for c in controls] == [
        ("Agreed", True),
        ("Maybe", False),  # null is a value: nothing to require
        ("Extra", False),
        ("Sensor", True),
        ("Reading-2", True),
    ]
    form_cls = compile_form(schema)
    assert form_cls(formdata=MultiDict([("~e", "n/maybe")])).to_instance()["agreed"] is False


# -- kept on purpose: a nullable number is a number input -----------------------------------


def test_a_nullable_integer_stays_a_number_input() -> None:
    schema = obj({"floor": {"type": ["integer", "null"], "title": "Floor", "minimum": 0}})
    assert read(schema).controls() == [Control("Floor", "number", False, "")]
    assert 'min="0"' in html_of(schema) and 'step="1"' in html_of(schema)
