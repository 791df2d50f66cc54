"""Every ``ui:widget`` name RJSF accepts renders the controls RJSF's core theme renders."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from forms import compile_form


class Page(HTMLParser):
    """The controls (with their tag under "tag") and every tag, outside <template>."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "template"
        if not self.depth:
            self.tags.append((tag, dict(attrs)))
            if tag in ("input", "select", "textarea"):
                self.controls.append({"tag": tag, **dict(attrs)})

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "template"


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


ENUM = {"type": "string", "enum": ["a", "b", "c"]}
ENUM_ARRAY = {"type": "array", "items": {"enum": ["a", "b", "c"]}}
TEXT = {"type": "string"}
INTEGER = {"type": "integer", "minimum": 0, "maximum": 10}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}

# (schema, the names RJSF accepts for one widget, the controls: (tag, type) in order)
WIDGETS: list[tuple[dict[str, Any], tuple[str, ...], list[tuple[str, str | None]]]] = [
    (ENUM, ("radio", "RadioWidget"), [("input", "radio")] * 3),
    (BOOLEAN, ("radio", "RadioWidget"), [("input", "radio")] * 2),
    (INTEGER | {"enum": [1, 2]}, ("radio", "RadioWidget"), [("input", "radio")] * 2),
    (ENUM_ARRAY, ("checkboxes", "CheckboxesWidget"), [("input", "checkbox")] * 3),
    (ENUM, ("select", "SelectWidget"), [("select", None)]),
    (BOOLEAN, ("select", "SelectWidget"), [("select", None)]),
    (ENUM_ARRAY, ("select", "SelectWidget"), [("select", None)]),
    (TEXT, ("textarea", "TextareaWidget"), [("textarea", None)]),
    (TEXT, ("password", "PasswordWidget"), [("input", "password")]),
    (TEXT, ("color", "ColorWidget"), [("input", "color")]),
    (TEXT, ("hidden", "HiddenWidget"), [("input", "hidden")]),
    (INTEGER, ("hidden", "HiddenWidget"), [("input", "hidden")]),
    (ENUM, ("hidden", "HiddenWidget"), [("input", "hidden")]),
    (INTEGER, ("updown", "UpDownWidget"), [("input", "number")]),
    (INTEGER, ("range", "RangeWidget"), [("input", "range")]),
    (TEXT, ("text", "TextWidget"), [("input", "text")]),
    (TEXT, ("email", "EmailWidget"), [("input", "email")]),
    (TEXT, ("uri", "url", "URLWidget"), [("input", "url")]),
    (TEXT, ("date", "DateWidget"), [("input", "date")]),
    (TEXT, ("datetime", "date-time", "DateTimeWidget"), [("input", "datetime-local")]),
    (TEXT, ("time", "TimeWidget"), [("input", "time")]),
    (BOOLEAN, ("checkbox", "CheckboxWidget"), [("input", "checkbox")]),
    (TEXT, ("file", "FileWidget", "data-url"), [("input", "file")]),
    (DATE, ("alt-date", "AltDateWidget"), [("select", None)] * 3),
    (DATE_TIME, ("alt-datetime", "AltDateTimeWidget"), [("select", None)] * 6),
]
CASES = [(schema, name, controls) for schema, names, controls in WIDGETS for name in names]


def controls(schema: Any, ui: Any, data: Any = None) -> list[dict[str, str | None]]:
    form_cls = compile_form({"type": "object", "properties": {"v": schema}}, {"v": ui})
    assert form_cls.warnings == [], form_cls.warnings
    form = form_cls(data={"v": data} if data is not None else None)
    page = parse(str(form.render()))
    return [c for c in page.controls if c.get("name") == "/v"]


@pytest.mark.parametrize(
    ("schema", "name", "expected"), CASES, ids=[f"{n}-{s.get('type')}" for s, n, _ in CASES]
)
def test_each_rjsf_widget_name_renders_rjsfs_controls(
    schema: dict[str, Any], name: str, expected: list[tuple[str, str | None]]
) -> None:
    found = controls(schema, {"ui:widget": name})
    assert [(c["tag"], c.get("type")) for c in found] == expected


def test_a_boolean_radio_is_yes_and_no_and_reads_back_true_or_false() -> None:
    schema = {"type": "object", "properties": {"ok": BOOLEAN}}
    form_cls = compile_form(schema, {"ok": {"ui:widget": "RadioWidget"}})
    page = parse(str(form_cls(data={"ok": False}).render()))
    radios = [c for c in page.controls if c.get("name") == "/ok"]
    assert [c.get("value") for c in radios] == ["true", "false"]
    assert ["checked" in c for c in radios] == [False, True]
    html = str(form_cls().render())
    assert "> Yes</label>" in html and "> No</label>" in html
    for posted, value in (("true", True), ("false", False)):
        form = form_cls(formdata=MultiDict([("/ok", posted)]))
        assert form.validate() and form.to_instance() == {"ok": value}


def test_checkboxes_on_an_array_read_back_the_chosen_items() -> None:
    schema = {"type": "object", "properties": {"tags": ENUM_ARRAY}}
    form_cls = compile_form(schema, {"tags": {"ui:widget": "CheckboxesWidget"}})
    form = form_cls(formdata=MultiDict([("/tags", "c"), ("/tags", "a")]))
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {"tags": ["c", "a"]}


def test_unknown_widget_names_still_warn() -> None:
    for name in ("StarsWidget", "radioWidget", "RatingWidget", "Radio"):
        form_cls = compile_form(
            {"type": "object", "properties": {"v": ENUM}}, {"v": {"ui:widget": name}}
        )
        assert len(form_cls.warnings) == 1 and name in form_cls.warnings[0]
        assert parse(str(form_cls().render())).controls[0]["tag"] == "select"


def test_a_widget_that_does_not_fit_the_type_still_warns() -> None:
    form_cls = compile_form(
        {"type": "object", "properties": {"n": INTEGER}}, {"n": {"ui:widget": "TextareaWidget"}}
    )
    assert len(form_cls.warnings) == 1 and "/n" in form_cls.warnings[0]


# -- alt-date and alt-datetime -----------------------------------------------------------

ALT = {
    "type": "object",
    "properties": {"day": DATE, "at": DATE_TIME},
}
ALT_UI = {
    "day": {"ui:widget": "alt-date", "ui:options": {"yearsRange": [2020, 2025]}},
    "at": {"ui:widget": "alt-datetime", "ui:options": {"yearsRange": [2020, 2025]}},
}


def alt_post(*pairs: tuple[str, str], ui: Any = None, zone: str | None = None) -> Any:
    form_cls = compile_form(ALT, ui or ALT_UI)
    return form_cls(formdata=MultiDict(list(pairs)), timezone=zone)


def parts(name: str, *values: str) -> list[tuple[str, str]]:
    return [(name, v) for v in values]


def test_alt_date_selects_offer_rjsfs_ranges_and_placeholders() -> None:
    page = parse(str(compile_form(ALT, ALT_UI)().render()))
    selects = [t for t in page.tags if t[0] == "select" and t[1].get("name") == "/at"]
    assert [s[1]["id"] for s in selects] == [
        "tf--2f-at",  # the label's target
        *(f"tf--2f-at-{p}" for p in ("month", "day", "hour", "minute", "second")),
    ]
    html = str(compile_form(ALT, ALT_UI)().render())
    day_select = html[html.index('id="tf--2f-day"') :].split("</select>")[0]
    assert '<option value="">year</option>' in day_select
    years = [o.split(">")[1].split("<")[0] for o in day_select.split("<option")[2:]]
    assert years == ["2020", "2021", "2022", "2023", "2024", "2025"]
    month = html[html.index('id="tf--2f-day-month"') :].split("</select>")[0]
    assert '<option value="">month</option>' in month and ">01</option>" in month
    assert month.count("<option") == 13


def test_alt_date_parts_are_assembled_on_the_server() -> None:
    form = alt_post(
        *parts("/day", "2024", "2", "29"), *parts("/at", "2024", "5", "1", "10", "30", "0")
    )
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {"day": "2024-02-29", "at": "2024-05-01T10:30:00Z"}


def test_alt_datetime_is_read_in_the_persons_zone() -> None:
    form = alt_post(*parts("/at", "2024", "5", "1", "10", "30", "0"), zone="Asia/Shanghai")
    assert form.to_instance() == {"at": "2024-05-01T02:30:00Z"}
    html = str(
        compile_form(ALT, ALT_UI)(data=form.to_instance(), timezone="Asia/Shanghai").render()
    )
    assert "Asia/Shanghai" in html
    at = html[html.index('id="tf--2f-at-hour"') :].split("</select>")[0]
    assert '<option value="10" selected>10</option>' in at


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (("2024", "2", ""), "Choose every part of the date."),
        (("2023", "2", "29"), "Not a valid date."),
        (("2024", "x", "1"), "Not a valid date."),
        (("2024", "1"), "Not a valid date."),
    ],
)
def test_an_incomplete_or_impossible_date_is_a_field_error(
    posted: tuple[str, ...], message: str
) -> None:
    form = alt_post(*parts("/day", *posted))
    assert form.validate() is False
    assert form.errors_by_pointer() == {"/day": [message]}
    page = parse(str(form.render()))
    chosen = [c for c in page.controls if c.get("name") == "/day"]
    assert len(chosen) == 3


def test_blank_alt_date_selects_are_no_value() -> None:
    form = alt_post(*parts("/day", "", "", ""), *parts("/at", *[""] * 6))
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {}
    required = compile_form({**ALT, "required": ["day"]}, ALT_UI)
    form = required(formdata=MultiDict(parts("/day", "", "", "")))
    assert form.validate() is False and list(form.errors_by_pointer()) == ["/day"]


def test_alt_date_format_orders_the_selects_and_their_posts() -> None:
    ui = {"day": {"ui:widget": "AltDateWidget", "ui:options": {"format": "DMY"}}}
    form = alt_post(*parts("/day", "3", "2", "2021"), ui=ui)
    assert form.to_instance() == {"day": "2021-02-03"}
    page = parse(str(compile_form(ALT, ui)(data={"day": "2021-02-03"}).render()))
    ids = [t[1]["id"] for t in page.tags if t[0] == "select" and t[1].get("name") == "/day"]
    assert ids == ["tf--2f-day", "tf--2f-day-month", "tf--2f-day-year"]
    mdy = {"day": {"ui:widget": "alt-date", "ui:options": {"format": "MDY"}}}
    assert alt_post(*parts("/day", "2", "3", "2021"), ui=mdy).to_instance() == {"day": "2021-02-03"}


def test_years_range_relative_reversed_and_a_stored_year_outside_it() -> None:
    ui = {"day": {"ui:widget": "alt-date", "ui:options": {"yearsRange": [2030, 2028]}}}
    html = str(compile_form(ALT, ui)(data={"day": "1999-12-31"}).render())
    year = html[html.index('id="tf--2f-day"') :].split("</select>")[0]
    offered = [o.split(">")[1].split("<")[0] for o in year.split("<option")[2:]]
    assert offered == ["2030", "2029", "2028", "1999"]
    assert '<option value="1999" selected>' in year
    default = str(compile_form(ALT, {"day": {"ui:widget": "alt-date"}})().render())
    first = default[default.index('id="tf--2f-day"') :].split("</select>")[0]
    assert '<option value="1900">1900</option>' in first  # RJSF's default start


def test_a_read_only_alt_date_keeps_its_stored_value() -> None:
    ui = {"day": {"ui:widget": "alt-date", "ui:readonly": True}}
    form_cls = compile_form(ALT, ui)
    html = str(form_cls(data={"day": "2021-02-03"}).render())
    assert html.count("disabled") == 3
    posted = MultiDict(parts("/day", "2024", "1", "1"))
    form = form_cls(formdata=posted, data={"day": "2021-02-03"})
    assert form.to_instance() == {"day": "2021-02-03"}


def test_form_encode_round_trips_alt_widgets() -> None:
    form_cls = compile_form(ALT, ALT_UI)
    instance = {"day": "2024-02-29", "at": "2024-05-01T10:30:00+08:00"}
    form = form_cls(formdata=form_cls.encode(instance), timezone="Asia/Shanghai")
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == instance


def test_a_stored_date_time_without_offset_shows_in_the_selects_and_stays() -> None:
    form_cls = compile_form(ALT, ALT_UI)
    stored = {"at": "2024-05-01T10:30:00"}
    html = str(form_cls(data=stored).render())
    hour = html[html.index('id="tf--2f-at-hour"') :].split("</select>")[0]
    assert '<option value="10" selected>10</option>' in hour
    posted = MultiDict([*parts("/at", "2024", "5", "1", "10", "30", "0"), ("~e", "j/at")])
    form = form_cls(formdata=posted, data=stored)
    assert form.validate() is False and form.to_instance() == stored


def test_an_untouched_alt_datetime_keeps_its_stored_text() -> None:
    form_cls = compile_form(ALT, ALT_UI)
    stored = {"at": "2024-05-01T10:30:00+08:00"}
    posted = MultiDict(parts("/at", "2024", "5", "1", "10", "30", "0"))
    form = form_cls(formdata=posted, data=stored, timezone="Asia/Shanghai")
    assert form.to_instance() == stored
