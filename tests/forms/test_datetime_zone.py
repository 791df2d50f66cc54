"""Date-time and time inputs: wall-clock time in the person's zone in, RFC 3339 out."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytz
from werkzeug.datastructures import MultiDict

from forms import compile_form, zones

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time", "title": "Visit"},
        "slot": {"type": "string", "format": "time", "title": "Slot"},
    },
}


def post(zone: str | None, data: Any = None, **fields: str) -> Any:
    form_cls = compile_form(SCHEMA)
    formdata = MultiDict([(f"/{k}", v) for k, v in fields.items()])
    return form_cls(formdata=formdata, data=data, timezone=zone)


def shown(html: str, name: str) -> dict[str, str]:
    """The attributes of the input named ``name``."""
    found = re.search(rf'<input[^>]*name="/{name}"[^>]*>', html)
    assert found, html
    return dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(0)))


def test_date_time_and_time_render_native_inputs_with_the_zone_beside_them() -> None:
    html = str(compile_form(SCHEMA)(timezone="Asia/Shanghai").render())
    assert shown(html, "at")["type"] == "datetime-local"
    assert shown(html, "slot")["type"] == "time"
    assert "placeholder" not in shown(html, "at")
    zone = re.search(r'<span class="input-group-addon tf-zone" id="([^"]+)"[^>]*>([^<]*)<', html)
    assert zone and zone.group(2) == "Asia/Shanghai"
    assert zone.group(1) in shown(html, "at")["aria-describedby"].split()


@pytest.mark.parametrize(
    ("zone", "typed", "stored"),
    [
        ("Asia/Shanghai", "2024-05-01T10:30", "2024-05-01T02:30:00Z"),
        ("Asia/Shanghai", "2024-01-01T05:00:15", "2023-12-31T21:00:15Z"),  # the day before
        ("America/New_York", "2024-07-01T10:30", "2024-07-01T14:30:00Z"),  # summer time
        ("America/New_York", "2024-01-15T10:30", "2024-01-15T15:30:00Z"),  # winter time
        (None, "2024-05-01T10:30", "2024-05-01T10:30:00Z"),  # no zone given: UTC
        ("Asia/Shanghai", "2024-05-01T10:30:00.250", "2024-05-01T02:30:00.25Z"),
    ],
)
def test_a_typed_date_time_is_stored_as_the_same_instant_in_utc(
    zone: str | None, typed: str, stored: str
) -> None:
    form = post(zone, at=typed)
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {"at": stored}


def test_a_typed_time_gets_the_zone_offset() -> None:
    # Asia/Shanghai keeps +08:00 all year, so "today's offset" is known here
    form = post("Asia/Shanghai", slot="09:15")
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == {"slot": "09:15:00+08:00"}
    assert post("UTC", slot="09:15:30").to_instance() == {"slot": "09:15:30Z"}
    assert post("Asia/Kolkata", slot="09:15").to_instance() == {"slot": "09:15:00+05:30"}


def test_the_formats_are_still_checked() -> None:
    for fields in ({"slot": "25:00"}, {"at": "2024-13-01T10:30"}, {"at": "tomorrow"}):
        form = post("Asia/Shanghai", **fields)
        assert form.validate() is False, fields
        assert list(form.errors_by_pointer()) == [f"/{next(iter(fields))}"]


def test_a_whole_rfc3339_value_is_kept_as_posted() -> None:
    """What ``Form.encode`` and API-shaped posts carry: no zone applies."""
    form_cls = compile_form(SCHEMA)
    instance = {"at": "2024-05-01T10:30:00+08:00", "slot": "09:15:00-03:00"}
    form = form_cls(formdata=form_cls.encode(instance), timezone="America/New_York")
    assert form.validate(), form.errors_by_pointer()
    assert form.to_instance() == instance


def test_a_stored_value_without_offset_stays_invalid_on_the_way_back() -> None:
    form_cls = compile_form(SCHEMA)
    formdata = form_cls.encode({"at": "2024-05-01T10:30:00"})
    form = form_cls(formdata=formdata, timezone="Asia/Shanghai")
    assert form.validate() is False
    assert form.to_instance() == {"at": "2024-05-01T10:30:00"}


@pytest.mark.parametrize(
    ("zone", "stored", "value"),
    [
        ("Asia/Shanghai", "2024-05-01T02:30:00Z", "2024-05-01T10:30"),
        ("Asia/Shanghai", "2024-05-01T10:30:00+08:00", "2024-05-01T10:30"),
        ("UTC", "2024-05-01T10:30:00+08:00", "2024-05-01T02:30"),
        ("Asia/Shanghai", "2024-05-01T02:30:45.5Z", "2024-05-01T10:30:45.500"),
        ("Asia/Shanghai", "2023-12-31T20:00:00z", "2024-01-01T04:00"),
        ("Asia/Shanghai", "not a date", "not a date"),  # shown as is, the error says why
    ],
)
def test_a_stored_date_time_is_shown_in_the_persons_zone(
    zone: str, stored: str, value: str
) -> None:
    html = str(compile_form(SCHEMA)(data={"at": stored}, timezone=zone).render())
    assert shown(html, "at")["value"] == value


def test_a_stored_time_is_shown_in_the_persons_zone() -> None:
    form_cls = compile_form(SCHEMA)
    for stored, value in (("01:15:00Z", "09:15"), ("09:15:30+08:00", "09:15:30")):
        html = str(form_cls(data={"slot": stored}, timezone="Asia/Shanghai").render())
        assert shown(html, "slot")["value"] == value, stored


def test_an_untouched_value_keeps_its_stored_text() -> None:
    stored = {"at": "2024-05-01T10:30:00.123456+08:00", "slot": "01:15:00Z"}
    untouched = post("Asia/Shanghai", stored, at="2024-05-01T10:30:00.123", slot="09:15")
    assert untouched.to_instance() == stored
    changed = post("Asia/Shanghai", stored, at="2024-05-01T11:00", slot="09:15")
    assert changed.to_instance() == {"at": "2024-05-01T03:00:00Z", "slot": "01:15:00Z"}


def test_a_refused_post_shows_what_was_typed() -> None:
    properties: dict[str, Any] = {"at": {"type": "string", "format": "date-time"}, "x": {}}
    schema = {"type": "object", "required": ["x"], "properties": properties}
    form = compile_form(schema)(
        formdata=MultiDict([("/at", "2024-05-01T10:30")]), timezone="Asia/Shanghai"
    )
    assert form.validate() is False
    assert shown(str(form.render()), "at")["value"] == "2024-05-01T10:30"


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        (ZoneInfo("Europe/Paris"), "Europe/Paris"),
        (pytz.timezone("America/Sao_Paulo"), "America/Sao_Paulo"),  # Flask-Babel's kind
        (pytz.utc, "UTC"),
        (UTC, "UTC"),
        (timezone(timedelta(0)), "UTC"),
        (None, "UTC"),
        ("Mars/Olympus_Mons", "UTC"),
        ("../etc/passwd", "UTC"),
    ],
)
def test_zone_of_takes_names_and_tzinfos(given: Any, name: str) -> None:
    assert zones.label(zones.zone_of(given)) == name


def test_only_date_time_and_time_inputs_show_a_zone() -> None:
    schema = {"type": "object", "properties": {"d": {"type": "string", "format": "date"}}}
    html = str(compile_form(schema)(timezone="Asia/Shanghai").render())
    assert "tf-zone" not in html and "Asia/Shanghai" not in html
    text = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    plain = compile_form(text, {"at": {"ui:widget": "text"}})(timezone="Asia/Shanghai")
    assert shown(str(plain.render()), "at")["type"] == "text"  # ui:widget text: as typed


def test_a_stored_value_without_offset_is_shown_and_kept_as_it_is() -> None:
    """Shown as written (not as JSON text; zero seconds left out, as RJSF shows them); posted
    back untouched it stays, still invalid."""
    form_cls = compile_form(SCHEMA)
    stored = {"at": "2024-05-01T10:30:00"}
    page = str(form_cls(data=stored, timezone="Asia/Shanghai").render())
    assert shown(page, "at")["value"] == "2024-05-01T10:30"
    assert 'name="~e" value="j/at"' in page
    for posted in ("2024-05-01T10:30", "2024-05-01T10:30:00"):
        browser = MultiDict([("/at", posted), ("~e", "j/at")])
        form = form_cls(formdata=browser, data=stored, timezone="Asia/Shanghai")
        assert form.validate() is False
        assert form.to_instance() == stored and list(form.errors_by_pointer()) == ["/at"]
    fixed = MultiDict([("/at", "2024-05-01T11:00"), ("~e", "j/at")])
    form = form_cls(formdata=fixed, data=stored, timezone="Asia/Shanghai")
    assert form.validate() and form.to_instance() == {"at": "2024-05-01T03:00:00Z"}
