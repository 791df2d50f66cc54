"""Structures rendered as react-jsonschema-form renders them (core theme): files arrays,
property dependencies, the oneOf/anyOf chooser, extra properties, required multi-selects,
root titles and schemas that allow any value.

Each test reads the form as the parity test against RJSF does: the controls a person sees
(outside templates and hidden groups), in order, by label, kind, required flag and value.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from forms import TesseraForm, compile_form
from forms.composites import ObjectNode
from forms.nodes import FilesNode, Node

# -- reading a page as controls ----------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """One visible control: its label (or aria-label), kind, required flag and value."""

    label: str
    kind: str
    required: bool
    value: str | None = None


class Controls(HTMLParser):
    """The visible controls of a form body, legends, and the labels' texts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.label_text: dict[str, str] = {}
        self.legends: list[str] = []
        self.buttons: list[str] = []
        self._hidden: list[bool] = []  # per open element: inside <template> or [hidden]
        self._label_for: str | None = None
        self._text: list[str] = []
        self._collect: str | None = None

    def _inside_hidden(self) -> bool:
        return any(self._hidden)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in ("input", "br"):
            self._hidden.append(tag == "template" or "hidden" in values)
        if self._inside_hidden():
            return
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.found.append((tag, values))
        if tag == "label":
            self._label_for, self._text, self._collect = values.get("for"), [], "label"
        elif tag in ("legend", "button"):
            self._text, self._collect = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "br") and self._hidden:
            self._hidden.pop()
        if tag == self._collect:
            text = " ".join("".join(self._text).split())
            if tag == "label" and self._label_for:
                self.label_text[self._label_for] = text.rstrip(" *")
            elif tag == "legend":
                self.legends.append(text)
            elif tag == "button":
                self.buttons.append(text)
            self._collect = None

    def handle_data(self, data: str) -> None:
        if self._collect:
            self._text.append(data)

    def controls(self) -> list[Control]:
        out = []
        for tag, values in self.found:
            label = self.label_text.get(str(values.get("id"))) or values.get("aria-label") or ""
            kind = tag if tag != "input" else str(values.get("type", "text"))
            if tag == "select" and "multiple" in values:
                kind = "select-multiple"
            if kind == "file" and "multiple" in values:
                kind = "file-multiple"
            value = values.get("value") if tag == "input" else None
            out.append(Control(label, kind, "required" in values, value))
        return out


def read(schema: Any, ui: Any = None, data: Any = None) -> Controls:
    form_cls = compile_form(schema, ui)
    form = form_cls(data=data) if data is not None else form_cls()
    page = Controls()
    page.feed(str(form.render()))
    return page


def html_of(schema: Any, ui: Any = None, data: Any = None) -> str:
    form_cls = compile_form(schema, ui)
    return str((form_cls(data=data) if data is not None else form_cls()).render())


def node_of(form_cls: type[TesseraForm]) -> Node:
    """The node of a form's first property."""
    root = form_cls._tf_root
    assert isinstance(root, ObjectNode)
    return next(iter(root.props.values()))


def upload(content: bytes, name: str, kind: str) -> FileStorage:
    return FileStorage(io.BytesIO(content), name, "upload", kind)


# -- an array of files: one multiple file input ------------------------------------------

FILES = {
    "type": "object",
    "required": ["files"],
    "properties": {
        "files": {
            "type": "array",
            "title": "Files",
            "items": {"type": "string", "format": "data-url"},
        }
    },
}
PNG = "data:image/png;name=a%20b.png;base64,iVBORw0KGgo="
REF = "attachment:12;name=scan.pdf"


def test_an_array_of_files_is_one_file_input_taking_several() -> None:
    page = read(FILES, {"files": {"ui:options": {"accept": "image/*"}}})
    assert page.controls() == [Control("Files", "file-multiple", True)]
    assert 'accept="image/*"' in html_of(FILES, {"files": {"ui:options": {"accept": "image/*"}}})
    assert page.buttons == []  # no rows to add: the input takes the files


def test_every_file_rule_gives_a_multiple_file_input() -> None:
    # the items' own rule (forms.converters.is_file): data-url, contentMediaType, ui:widget file
    for items, items_ui in (
        ({"type": "string", "contentMediaType": "application/pdf"}, {}),
        ({"type": "string"}, {"ui:widget": "file"}),
    ):
        schema = {"type": "object", "properties": {"docs": {"type": "array", "items": items}}}
        assert isinstance(node_of(compile_form(schema, {"docs": {"items": items_ui}})), FilesNode)
    tuple_schema = {
        "type": "object",
        "properties": {
            "pair": {"type": "array", "prefixItems": [{"type": "string", "format": "data-url"}]}
        },
    }
    assert not isinstance(node_of(compile_form(tuple_schema)), FilesNode)  # tuples keep rows


def test_the_files_of_a_value_are_listed_and_posted_back() -> None:
    page = read(FILES, None, {"files": [PNG, REF]})
    # a value is there: the input is no longer required (RJSF)
    assert page.controls() == [Control("Files", "file-multiple", False)]
    html = html_of(FILES, None, {"files": [PNG, REF]})
    assert "<strong>a b.png</strong>" in html and "<strong>scan.pdf</strong>" in html
    assert f'<input type="hidden" name="/files" value="{REF}">' in html
    assert page.buttons == ["Remove", "Remove"]


def test_kept_files_come_first_then_the_chosen_ones_in_order() -> None:
    form_cls = compile_form(FILES)
    posted = MultiDict(
        [
            ("/files", upload(b"hello", "notes one.txt", "text/plain")),
            ("/files", upload(b"", "", "application/octet-stream")),  # no file chosen
            ("/files", REF),
            ("/files", PNG),
        ]
    )
    form = form_cls(formdata=posted)
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {
        "files": [REF, PNG, "data:text/plain;name=notes%20one.txt;base64,aGVsbG8="]
    }


def test_files_round_trip_and_blank_reads_by_required() -> None:
    form_cls = compile_form(FILES)
    for value in ([PNG], [PNG, REF], []):
        form = form_cls(formdata=form_cls.encode({"files": value}))
        assert form.to_instance() == {"files": value}
    optional = compile_form({"type": "object", "properties": FILES["properties"]})
    assert optional(formdata=MultiDict()).to_instance() == {}
    assert form_cls(formdata=MultiDict()).to_instance() == {"files": []}


def test_a_file_above_the_items_limit_is_a_reading_error_at_the_array() -> None:
    schema = {
        "type": "object",
        "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "data-url"}}
        },
    }
    form_cls = compile_form(schema, {"files": {"ui:options": {"maxSize": 4}}})
    form = form_cls(formdata=MultiDict([("/files", upload(b"too long", "a.txt", "text/plain"))]))
    assert not form.validate()
    assert form.errors_by_pointer() == {"/files": ["The file is larger than 4 bytes."]}


# -- property dependencies require, they never hide ----------------------------------------


def _groups(html: str) -> dict[str, str]:
    """{data-tf-field: the group's opening tag} of a rendered form."""
    out = {}
    for chunk in html.split("<")[1:]:
        head = chunk.split(">", 1)[0]
        if 'data-tf-field="' in head:
            out[head.split('data-tf-field="', 1)[1].split('"', 1)[0]] = head
    return out


def test_property_dependencies_show_both_fields_one_way_and_two_ways() -> None:
    for dependencies in ({"card": ["cvc"]}, {"card": ["cvc"], "cvc": ["card"]}):
        schema = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"card": {"type": "string"}, "cvc": {"type": "string"}},
            "dependencies": dependencies,
        }
        page = read(schema)
        assert page.controls() == [
            Control("card", "text", False, ""),
            Control("cvc", "text", False, ""),
        ]
        groups = _groups(html_of(schema))
        assert "data-tf-when" not in groups["/card"] and "data-tf-when" not in groups["/cvc"]


def test_a_property_dependency_requires_the_field_while_the_trigger_has_a_value() -> None:
    schema = {
        "type": "object",
        "properties": {"card": {"type": "string"}, "cvc": {"type": "string"}},
        "dependentRequired": {"card": ["cvc"]},
    }
    html = html_of(schema).replace("&#34;", '"')
    cvc = html.split('data-tf-field="/cvc"', 1)[1].split("</label>", 1)[0]
    assert '<span class="tf-required" aria-hidden="true" data-tf-when="{"present": "card"}"' in cvc
    form_cls = compile_form(schema)
    form = form_cls(formdata=form_cls.encode({"card": "4111"}))
    assert not form.validate() and set(form.errors_by_pointer()) == {"/cvc"}
    assert form_cls(formdata=form_cls.encode({"cvc": "123"})).validate()


def test_schema_dependencies_still_render_conditionally() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"card": {"type": "string"}},
        "dependencies": {
            "card": {"properties": {"address": {"type": "string"}}, "required": ["address"]}
        },
    }
    groups = _groups(html_of(schema))
    assert "data-tf-when" not in groups["/card"]
    assert '"present"' in groups["/address"].replace("&#34;", '"')


# -- the oneOf/anyOf chooser ---------------------------------------------------------------


def test_the_chooser_shows_no_invented_label_and_numbers_untitled_options() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pay": {
                "type": "object",
                "oneOf": [
                    {"properties": {"iban": {"type": "string"}}},
                    {"title": "Cash", "properties": {"amount": {"type": "number"}}},
                ],
            },
            "contact": {
                "title": "Contact",
                "anyOf": [{"type": "string", "format": "email"}, {"type": "string"}],
            },
        },
    }
    html = html_of(schema)
    page = read(schema)
    assert ">Type<" not in html and "Type" not in page.label_text.values()
    selects = [c for c in page.controls() if c.kind == "select"]
    # no visible label; named for assistive technology by the field
    assert [c.label for c in selects] == ["pay", "Contact"]
    assert "-choice" not in "".join(page.label_text)
    assert '<option value="0" selected>Option 1</option>' in html
    assert '<option value="1">Cash</option>' in html
    assert '<option value="0" selected>Contact option 1</option>' in html
    assert '<option value="1">Contact option 2</option>' in html


def test_a_titled_object_names_its_options_like_rjsf() -> None:
    schema = {
        "type": "object",
        "title": "Payment",
        "properties": {"note": {"type": "string"}},
        "oneOf": [
            {"properties": {"iban": {"type": "string"}}},
            {"properties": {"amount": {"type": "number"}}},
        ],
    }
    html = html_of(schema)
    assert 'aria-label="Payment"' in html
    assert ">Payment option 1</option>" in html and ">Payment option 2</option>" in html


# -- additionalProperties / patternProperties: key + value rows ----------------------------

EXTRA = {
    "type": "object",
    "properties": {"name": {"type": "string", "title": "Name"}},
    "additionalProperties": {"type": "string"},
}


def test_extra_properties_render_as_rjsf_key_and_value_inputs_with_one_add_button() -> None:
    page = read(EXTRA, None, {"name": "Li", "colour": "red", "size": ""})
    assert page.controls() == [
        Control("Name", "text", False, "Li"),
        Control("colour Key", "text", False, "colour"),
        Control("colour", "text", False, "red"),
        Control("size Key", "text", False, "size"),
        Control("size", "text", False, ""),
    ]
    assert page.legends == []  # no invented group title around the rows
    assert page.buttons == ["Remove", "Remove", "Add item"]
    assert read(EXTRA).controls() == [Control("Name", "text", False, "")]


def test_a_named_extra_property_left_blank_is_kept_empty() -> None:
    form_cls = compile_form(EXTRA)
    for value in ({"name": "Li", "size": ""}, {"colour": "red"}, {}):
        assert form_cls(formdata=form_cls.encode(value)).to_instance() == value
    posted = MultiDict([("/~m0", "0"), ("/~k0.0", "size"), ("/~v0.0", "")])
    assert form_cls(formdata=posted).to_instance() == {"size": ""}
    blank_row = MultiDict([("/~m0", "0"), ("/~k0.0", ""), ("/~v0.0", "")])
    assert form_cls(formdata=blank_row).to_instance() == {}


def test_pattern_properties_rows_take_their_pattern_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "patternProperties": {"^n_": {"type": "number"}},
    }
    page = read(schema, None, {"id": "x", "n_count": 3})
    assert page.controls() == [
        Control("id", "text", False, "x"),
        Control("n_count Key", "text", False, "n_count"),
        Control("n_count", "number", False, "3"),
    ]
    assert page.legends == [] and page.buttons[-1] == "Add item matching ^n_"


def test_data_no_schema_describes_keeps_its_own_group() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}}
    page = read(schema, None, {"id": "x", "legacy": 1})
    assert page.legends == ["Other data"]
    assert read(schema, None, {"id": "x"}).legends == []


# -- required multi-selects, root titles, any value ----------------------------------------


def test_a_required_multi_select_keeps_its_required_flag_and_mark() -> None:
    schema = {
        "type": "object",
        "required": ["tags", "days"],
        "properties": {
            "tags": {
                "type": "array",
                "title": "Tags",
                "uniqueItems": True,
                "items": {"enum": ["a", "b"]},
            },
            "days": {"type": "array", "uniqueItems": True, "items": {"enum": ["mon", "tue"]}},
        },
    }
    ui = {"days": {"ui:widget": "checkboxes"}}
    html = html_of(schema, ui)
    assert read(schema, ui).controls()[0] == Control("Tags", "select-multiple", True)
    assert 'for="tf--2f-tags">Tags <span class="tf-required"' in html
    assert '<legend class="control-label">days <span class="tf-required"' in html


def test_the_root_is_titled_only_by_its_own_title() -> None:
    plain = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert read(plain).legends == []
    assert read({**plain, "title": "Repair"}).legends == ["Repair"]
    assert read(plain, {"ui:title": "Fix it"}).legends == ["Fix it"]
    nested = {"type": "object", "properties": {"contact": plain}}
    assert read(nested).legends == ["contact"]  # a property is named by its key, as in RJSF


def test_a_property_allowing_any_value_shows_nothing_editable_and_keeps_its_value() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "anything": {},
            "titled": {"title": "Titled", "description": "Any JSON"},
            "free": True,
            "chosen": {},
        },
    }
    ui = {"chosen": {"ui:widget": "textarea"}}
    data = {"anything": {"a": [1, 2]}, "titled": "text", "free": 3}
    assert [c.label for c in read(schema, ui, data).controls()] == ["name", "chosen"]
    form_cls = compile_form(schema, ui)
    stored = {**data, "name": "x", "chosen": [True]}
    assert form_cls(formdata=form_cls.encode(stored)).to_instance() == stored
