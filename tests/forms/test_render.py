"""Rendered HTML: labels for every input, names, escaping, required, fieldsets."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from werkzeug.datastructures import MultiDict

from forms import compile_form

EVIL = '<script>alert("x")</script>'


class Page(HTMLParser):
    """Collects the controls, labels and fieldsets outside <template> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: list[str] = []
        self.wrapped: set[str] = set()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0
        self.template_depth = 0
        self.label_stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        self.tags.append((tag, values))
        if tag == "script":
            self.scripts += 1
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if tag == "label":
            self.labels.append(str(values.get("for")))
            self.label_stack.append(values.get("for"))
        if tag in ("input", "select", "textarea"):
            self.controls.append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.template_depth -= 1
        elif tag == "label" and not self.template_depth and self.label_stack:
            self.label_stack.pop()


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def visible_controls(page: Page) -> list[dict[str, str | None]]:
    return [c for c in page.controls if c.get("type") != "hidden"]


def render(schema: Any, ui: Any = None, data: Any = None) -> str:
    form_cls = compile_form(schema, ui)
    form = form_cls(data=data) if data is not None else form_cls()
    return str(form.render())


BIG = {
    "type": "object",
    "title": "Ticket",
    "required": ["subject", "priority"],
    "properties": {
        "subject": {"type": "string", "title": "Subject", "description": "Short summary"},
        "body": {"type": "string"},
        "priority": {"enum": ["low", "high"]},
        "urgent": {"type": "boolean"},
        "count": {"type": "integer", "minimum": 0},
        "kind": {"oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]},
        "tags": {"type": "array", "uniqueItems": True, "items": {"enum": ["x", "y"]}},
        "contact": {
            "type": "object",
            "title": "Contact",
            "description": "Who to call",
            "properties": {"email": {"type": "string", "format": "email"}},
        },
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"qty": {"type": "integer"}}},
        },
        "extra": {"type": "object", "additionalProperties": {"type": "string"}},
        "pay": {
            "oneOf": [
                {"title": "Card", "type": "object", "properties": {"no": {"type": "string"}}},
                {"title": "Cash", "type": "object", "properties": {"amount": {"type": "number"}}},
            ]
        },
        "file": {"type": "string", "format": "data-url"},
        "json": {},
    },
}
BIG_UI = {
    "body": {"ui:widget": "textarea", "ui:help": "Be precise", "ui:placeholder": "Type here"},
    "kind": {"ui:widget": "radio"},
    "tags": {"ui:widget": "checkboxes"},
}
DATA = {"lines": [{"qty": 1}, {"qty": 2}], "extra": {"k": "v"}, "tags": ["x"]}


def test_every_control_has_a_label_and_unique_id() -> None:
    page = parse(render(BIG, BIG_UI, DATA))
    controls = visible_controls(page)
    assert len(controls) > 10
    for control in controls:
        assert control.get("id"), control
        assert control["id"] in page.labels or control.get("aria-label"), control
    assert len(page.ids) == len(set(page.ids))


def test_names_are_pointers() -> None:
    page = parse(render(BIG, BIG_UI, DATA))
    names = {c.get("name") for c in page.controls}
    for expected in (
        "/subject",
        "/contact/email",
        "/lines/0/qty",
        "/lines/1/qty",
        "/lines/~r",
        "/extra/~m0",
        "/extra/~k0.0",
        "/extra/~v0.0",
        "/pay/~a0/~c",
        "/kind",
        "/tags",
    ):
        assert expected in names, expected


def test_required_and_described_by() -> None:
    page = parse(render(BIG, BIG_UI))
    by_name = {c.get("name"): c for c in page.controls}
    assert "required" in by_name["/subject"]
    assert "required" in by_name["/priority"]
    assert "required" not in by_name["/body"]
    assert by_name["/subject"]["aria-describedby"] == "tf--2f-subject-desc"
    assert by_name["/body"]["aria-describedby"] == "tf--2f-body-help"
    assert by_name["/body"]["placeholder"] == "Type here"
    assert by_name["/contact/email"]["type"] == "email"
    assert page.ids.count("tf--2f-subject-desc") == 1


def test_fieldsets_with_legend_and_description() -> None:
    html = render(BIG, BIG_UI)
    assert "<legend>Contact</legend>" in html
    assert "Who to call" in html
    page = parse(html)
    fieldsets = [attrs for tag, attrs in page.tags if tag == "fieldset"]
    assert any(a.get("data-tf-array") == "/lines" for a in fieldsets)
    assert any(a.get("aria-describedby") == "tf--2f-contact-desc" for a in fieldsets)


def test_schema_text_is_escaped_everywhere() -> None:
    schema = {
        "type": "object",
        "title": EVIL,
        "description": EVIL,
        "properties": {
            EVIL: {"type": "string", "title": EVIL, "description": EVIL},
            "c": {"enum": ["a", EVIL]},
            "d": {"oneOf": [{"const": 1, "title": EVIL}]},
            "o": {"type": "object", "title": EVIL, "properties": {}},
            "alt": {"oneOf": [{"title": EVIL, "type": "object"}, {"type": "integer"}]},
        },
    }
    ui = {
        "c": {"ui:enumNames": ["ok", EVIL], "ui:help": EVIL, "ui:placeholder": EVIL},
        EVIL: {"ui:help": EVIL, "ui:classNames": '"><script>'},
    }
    html = render(schema, ui, {EVIL: EVIL, "c": EVIL})
    assert "<script>" not in html
    assert parse(html).scripts == 0
    assert "&lt;script&gt;" in html


def test_errors_render_with_alert_and_aria() -> None:
    form_cls = compile_form(BIG, BIG_UI)
    form = form_cls(formdata=form_cls.encode({"subject": "s", "priority": "low", "count": -1}))
    assert not form.validate()
    page = parse(str(form.render()))
    count = next(c for c in page.controls if c.get("name") == "/count")
    assert count["aria-invalid"] == "true"
    assert "tf--2f-count-err" in str(count["aria-describedby"])


def test_conditional_fields_carry_data_attributes() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "card": {"type": "string"},
            "cvc": {"type": "string"},
        },
        "if": {"properties": {"kind": {"const": "b"}}},
        "then": {"properties": {"why": {"type": "string"}}},
        "dependentRequired": {"card": ["cvc"]},
    }
    page = parse(render(schema))
    groups = {a.get("data-tf-field"): a for _, a in page.tags if a.get("data-tf-field")}
    assert '"const": "b"' in str(groups["/why"]["data-tf-when"])
    assert groups["/why"]["data-tf-base"] == ""
    # a property dependency only requires: the dependent field is always shown
    assert "data-tf-when" not in groups["/cvc"]
    assert "data-tf-when" not in groups["/kind"]


def test_array_templates_and_limits() -> None:
    schema = {
        "type": "object",
        "required": ["rows"],
        "properties": {
            "rows": {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "string"}}
        },
    }
    html = render(schema)
    page = parse(html)
    assert [c.get("name") for c in page.controls if c.get("type") != "hidden"] == [
        "/rows/0",
        "/rows/1",
        "/rows/2",  # the spare row for browsers without JavaScript
    ]
    fieldset = next(a for t, a in page.tags if a.get("data-tf-array") == "/rows")
    assert fieldset["data-tf-min"] == "2" and fieldset["data-tf-max"] == "3"
    assert fieldset["data-tf-next"] == "2"
    assert "<template data-tf-template>" in html and "/rows/__tf1__" in html


def test_one_spare_row_below_max_items() -> None:
    def spares(rows: list[str], **limits: Any) -> list[tuple[str | None, str | None]]:
        schema = {
            "type": "object",
            "properties": {"rows": {"type": "array", "items": {"type": "string"}, **limits}},
        }
        page = parse(render(schema, data={"rows": rows}))
        spare_rows = [a.get("data-tf-row") for t, a in page.tags if "data-tf-spare" in a]
        markers = [c.get("value") for c in page.controls if c.get("name") == "/rows/~s"]
        return list(zip(spare_rows, markers, strict=True))

    assert spares([]) == [("0", "0")]
    assert spares(["a", "b"]) == [("2", "2")]
    assert spares(["a", "b"], maxItems=3) == [("2", "2")]
    assert spares(["a", "b", "c"], maxItems=3) == []
    html = render(
        {
            "type": "object",
            "properties": {"t": {"type": "array", "prefixItems": [{}], "items": False}},
        },
        data={"t": [1]},
    )
    assert "data-tf-spare" not in html  # nothing can be added
    no_add = {"rows": {"ui:options": {"addable": False}}}
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {}}}}
    assert "data-tf-spare" not in render(schema, no_add, data={})
    read_only = {"rows": {"ui:readonly": True}}
    assert "data-tf-spare" not in render(schema, read_only, data={})


def test_rows_after_a_post_with_gaps_get_fresh_keys() -> None:
    schema = {
        "type": "object",
        "required": ["rows"],
        "properties": {"rows": {"type": "array", "minItems": 3, "items": {"type": "string"}}},
    }
    form_cls = compile_form(schema)
    posted = MultiDict([("/rows/~r", "1"), ("/rows/1", "a"), ("/rows/~r", "2"), ("/rows/2", "b")])
    page = parse(str(form_cls(formdata=posted).render()))
    markers = [c.get("value") for c in page.controls if c.get("name") in ("/rows/~r", "/rows/~s")]
    assert markers == ["1", "2", "3", "4"]  # min-fill row "3", spare "4": no key used twice
    fieldset = next(a for t, a in page.tags if a.get("data-tf-array") == "/rows")
    assert fieldset["data-tf-next"] == "4"


def test_ui_options_and_widgets() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "integer"},
            "c": {"type": "boolean"},
            "d": {"type": "string"},
            "e": {"type": "string"},
        },
    }
    ui = {
        "ui:order": ["e", "*", "a"],
        "a": {"ui:widget": "password", "ui:autofocus": True, "ui:classNames": "wide"},
        "b": {"ui:widget": "range"},
        "c": {"ui:widget": "radio"},
        "d": {"ui:widget": "hidden"},
        "e": {"ui:disabled": True, "ui:readonly": True, "ui:options": {"label": False}},
    }
    page = parse(render(schema, ui))
    by_name: dict[str, Any] = {}
    for c in page.controls:
        by_name.setdefault(c.get("name"), c)
    assert by_name["/a"]["type"] == "password" and "autofocus" in by_name["/a"]
    assert by_name["/b"]["type"] == "range"
    assert by_name["/c"]["type"] == "radio"
    assert by_name["/d"]["type"] == "hidden"
    assert "disabled" in by_name["/e"] and "readonly" in by_name["/e"]
    order = [c.get("name") for c in page.controls if c.get("name", "").startswith("/")]
    assert order[0] == "/e" and order[-1] == "/a"
    assert any("wide" in str(a.get("class")) for _, a in page.tags)


def test_field_call_renders_inputs_for_fab_templates() -> None:
    form_cls = compile_form(
        {"type": "object", "properties": {"a": {"type": "string", "title": "A"}}}
    )
    form = form_cls()
    field = next(iter(form))
    assert 'name="/a"' in str(field())
    assert str(field.label) == '<label for="tf--2f-a">A</label>'
    assert form.hidden_tag() == ""


def test_row_buttons_follow_ui_options() -> None:
    schema = {"type": "object", "properties": {"t": {"type": "array", "items": {"type": "string"}}}}
    html = render(schema, None, {"t": ["a"]})
    assert "data-tf-up" in html and "data-tf-remove" in html and "data-tf-add" in html
    ui = {"t": {"ui:options": {"orderable": False, "removable": False, "addable": False}}}
    html = render(schema, ui, {"t": ["a"]})
    assert "data-tf-up" not in html and "data-tf-remove" not in html
    assert "data-tf-add" not in html and "<template" not in html


def test_edit_form_renders_empty_state_hints() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "boolean"}, "s": {"type": "string"}}}
    page = parse(render(schema, None, {"s": ""}))
    hints = [c.get("value") for c in page.controls if c.get("name") == "~e"]
    assert hints == ["-/b", "+/s"]


def test_hidden_widget_on_choices_and_booleans() -> None:
    schema = {"type": "object", "properties": {"c": {"enum": [1, 2]}, "b": {"type": "boolean"}}}
    ui = {"c": {"ui:widget": "hidden"}, "b": {"ui:widget": "hidden"}}
    form_cls = compile_form(schema, ui)
    page = parse(str(form_cls(data={"c": 2, "b": True}).render()))
    by_name = {c.get("name"): c for c in page.controls}
    assert by_name["/c"] == {"type": "hidden", "name": "/c", "id": "tf--2f-c", "value": "2"}
    assert by_name["/b"]["value"] == "true"
    form = form_cls(formdata=form_cls.encode({"c": 2, "b": True}))
    assert form.validate() and form.to_instance() == {"c": 2, "b": True}


def test_enum_names_on_the_array_label_multi_select_options() -> None:
    items = {"type": "string", "enum": ["no_power", "noise"]}
    prop = {"type": "array", "uniqueItems": True, "items": items}
    schema = {"type": "object", "properties": {"fault_symptom": prop}}
    names = ["Does not power on", "Makes noise"]
    for ui in (
        {"ui:widget": "checkboxes", "ui:enumNames": names},  # RJSF v5: on the array
        {"ui:widget": "checkboxes", "items": {"ui:enumNames": names}},
        {"ui:enumNames": names},  # multi-select
        {"items": {"ui:enumNames": ["x", "y"]}, "ui:enumNames": ["a", "b"]},  # items first
    ):
        html = render(schema, {"fault_symptom": ui})
        expected = ["x", "y"] if "items" in ui and "ui:enumNames" in ui else names
        for label in expected:
            assert label in html
        assert "no_power" in html  # the posted token stays the value


def test_spare_row_and_template_follow_the_filled_tuple_rows() -> None:
    tuple_array = {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer"}],
        "items": {"type": "boolean"},
    }
    schema = {"type": "object", "required": ["t"], "properties": {"t": tuple_array}}
    form_cls = compile_form(schema)
    page = parse(str(form_cls().render()))
    by_name = {c.get("name"): c for c in page.controls}
    assert by_name["/t/0"]["type"] == "text" and by_name["/t/1"]["type"] == "number"
    assert by_name["/t/2"]["type"] == "checkbox"  # the spare row is the third position
    assert by_name["/t/~s"]["value"] == "2"
    html = str(form_cls().render())
    template = html.split("<template data-tf-template>", 1)[1].split("</template>", 1)[0]
    assert 'type="checkbox"' in template  # the next row added is a third-position row
    posted = MultiDict([("/t/~r", "0"), ("/t/0", "a"), ("/t/~r", "1"), ("/t/1", "2")])
    posted.add("/t/~s", "2")
    posted.add("/t/2", "true")
    assert form_cls(formdata=posted).to_instance() == {"t": ["a", 2, True]}


LONG = {
    "type": "object",
    "required": ["store", "kind", "tags"],
    "properties": {
        "store": {"type": "string", "title": "Store", "pattern": "^[0-9]{4}$"},
        "kind": {"enum": ["a", "b"], "title": "Kind"},
        "tags": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": ["x", "y"]},
            "minItems": 1,
        },
        "contact": {
            "type": "object",
            "title": "Contact",
            "properties": {"email": {"type": "string", "format": "email", "title": "E-mail"}},
        },
        "note": {"type": "string", "title": EVIL, "minLength": 3},
    },
}
LONG_UI = {
    "store": {"ui:errorMessages": {"pattern": "Enter the 4-digit store number"}},
    "kind": {"ui:widget": "radio"},
    "tags": {"ui:widget": "checkboxes"},
}


def posted(schema: Any, ui: Any, instance: Any) -> str:
    form_cls = compile_form(schema, ui)
    form = form_cls(formdata=form_cls.encode(instance))
    assert form.validate() is False
    return str(form.render())


def summary_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link in the error summary."""

    class Summary(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0
            self.href: str | None = None
            self.links: list[tuple[str, str]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "div" and "tf-error-summary" in (values.get("class") or ""):
                self.depth = 1
            elif tag == "div" and self.depth:
                self.depth += 1
            elif tag == "a" and self.depth:
                self.href = values.get("href")
                self.links.append((str(self.href), ""))

        def handle_endtag(self, tag: str) -> None:
            if tag == "div" and self.depth:
                self.depth -= 1
            elif tag == "a":
                self.href = None

        def handle_data(self, data: str) -> None:
            if self.href is not None:
                href, text = self.links[-1]
                self.links[-1] = (href, text + data)

    parser = Summary()
    parser.feed(html)
    return parser.links


def test_error_summary_links_each_error_to_its_field() -> None:
    instance = {"store": "12", "contact": {"email": "nope"}, "note": "x"}
    html = posted(LONG, LONG_UI, instance)
    links = summary_links(html)
    assert links == [
        ("#tf--2f-store", "Store: Enter the 4-digit store number"),
        ("#tf--2f-kind", "Kind: This field is required."),
        ("#tf--2f-tags", "tags: This field is required."),
        ("#tf--2f-contact-2f-email", "E-mail: Not a valid email address."),
        ("#tf--2f-note", f"{EVIL}: Must be at least 3 characters."),
    ]
    assert "<strong>5 problems to fix</strong>" in html
    ids = parse(html).ids
    assert all(href[1:] in ids for href, _ in links)  # every link has a target
    assert html.index("tf-error-summary") < html.index('data-tf-field="/store"')
    assert EVIL not in html  # labels are escaped in the summary too


def test_error_summary_counts_one_problem_and_form_errors() -> None:
    html = posted(LONG, LONG_UI, {"store": "1234", "kind": "a", "tags": ["x"], "note": "x"})
    assert "<strong>1 problem to fix</strong>" in html
    assert summary_links(html) == [("#tf--2f-note", f"{EVIL}: Must be at least 3 characters.")]
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "minProperties": 1}
    html = posted(schema, None, {})
    assert "<strong>1 problem to fix</strong>" in html
    assert "<li>Must have at least 1 field.</li>" in html and summary_links(html) == []


def test_no_error_summary_without_errors() -> None:
    assert "tf-error-summary" not in render(LONG, LONG_UI)
    form_cls = compile_form(LONG, LONG_UI)
    valid = {"store": "1234", "kind": "a", "tags": ["x"]}
    form = form_cls(formdata=form_cls.encode(valid))
    assert form.validate()
    assert "tf-error-summary" not in str(form.render())


def legend_of(html: str, field: str) -> str:
    start = html.index(f'data-tf-field="{field}"')
    return html[html.index("<legend", start) : html.index("</legend>", start)]


def label_of(html: str, field: str) -> str:
    start = html.index(f'data-tf-field="{field}"')
    return html[html.index("<label", start) : html.index("</label>", start)]


def test_radio_and_checkbox_groups_carry_the_required_mark() -> None:
    schema = {
        "type": "object",
        "required": ["kind", "tags"],
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "tags": {"type": "array", "uniqueItems": True, "items": {"enum": ["x", "y"]}},
            "other": {"enum": ["a", "b"]},
        },
    }
    ui = {"kind": {"ui:widget": "radio"}, "tags": {"ui:widget": "checkboxes"}}
    ui["other"] = {"ui:widget": "radio"}
    html = render(schema, ui)
    assert 'class="tf-required"' in legend_of(html, "/kind")
    assert 'class="tf-required"' in legend_of(html, "/tags")
    assert "tf-required" not in legend_of(html, "/other")
    page = parse(html)
    assert "tf--2f-kind" in page.ids and "tf--2f-kind-0" in page.ids


def test_fields_a_condition_requires_carry_the_required_mark() -> None:
    condition = {"properties": {"kind": {"const": "b"}}, "required": ["kind"]}
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "always": {"type": "string"},
            "card": {"type": "string"},
            "cvc": {"type": "string"},
        },
        "if": condition,
        "then": {
            "properties": {
                "why": {"type": "string"},
                "how": {"enum": ["x", "y"]},
                "maybe": {"type": "string"},
            },
            "required": ["why", "how", "always"],
        },
        "dependentRequired": {"card": ["cvc"]},
    }
    html = render(schema, {"how": {"ui:widget": "radio"}})
    # Shown only while the condition holds: marked like any required field.
    assert '<span class="tf-required" aria-hidden="true">*</span>' in label_of(html, "/why")
    assert '<span class="tf-required" aria-hidden="true">*</span>' in legend_of(html, "/how")
    assert "tf-required" not in label_of(html, "/maybe")
    # A property dependency: always shown, marked while the trigger has a value.
    mark = label_of(html, "/cvc").replace("&#34;", '"')
    assert 'class="tf-required"' in mark and 'data-tf-when="{"present": "card"}"' in mark
    # Always shown, required only under the condition: the mark follows the condition.
    star = label_of(html, "/always")
    assert 'class="tf-required"' in star and "data-tf-when" in star
    assert '"negate": false' in star.replace("&#34;", '"')
    # The mark changes nothing the form reads: a blank conditional field is still absent.
    form_cls = compile_form(schema, {"how": {"ui:widget": "radio"}})
    form = form_cls(formdata=form_cls.encode({"kind": "b"}))
    assert form.validate() is False
    assert form.to_instance() == {"kind": "b"}
    assert set(form.errors_by_pointer()) == {"/why", "/how", "/always"}
