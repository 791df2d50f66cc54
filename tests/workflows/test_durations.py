"""ISO 8601 durations: the forms accepted, the messages for the rest, and the round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.durations import format_duration, parse_duration
from workflows.errors import DefinitionError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4H", timedelta(hours=4)),
        ("P3D", timedelta(days=3)),
        ("P2W", timedelta(days=14)),
        ("PT30M", timedelta(minutes=30)),
        ("PT45S", timedelta(seconds=45)),
        ("PT90M", timedelta(minutes=90)),
        ("PT36H", timedelta(hours=36)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P1W2DT3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("PT4H30M", timedelta(hours=4, minutes=30)),
        ("PT0S", timedelta(0)),
        ("P0D", timedelta(0)),
        ("PT1.5S", timedelta(seconds=1, milliseconds=500)),
        ("PT0,25S", timedelta(milliseconds=250)),
        ("PT0.000001S", timedelta(microseconds=1)),
        ("PT2M0.125S", timedelta(minutes=2, milliseconds=125)),
        ("P007D", timedelta(days=7)),
    ],
)
def test_valid_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("P1M", "Months and years have no fixed length"),
        ("P1Y", "Months and years have no fixed length"),
        ("P1Y2M10DT2H30M", "Months and years have no fixed length"),
        ("-PT1H", "cannot be negative"),
        ("P-1D", "cannot be negative"),
        ("P", "at least one number after P"),
        ("PT", "at least one number after T"),
        ("P1DT", "at least one number after T"),
        ("", "not a duration"),
        ("4h", "not a duration"),
        ("4 hours", "not a duration"),
        ("PT4", "not a duration"),
        ("P1D2H", "not a duration"),
        ("pt4h", "capitals"),
        (" PT1H", "spaces"),
        ("PT1H\n", "spaces"),
        ("PT1.5H", "Only seconds can have a fraction"),
        ("P1.5D", "Only seconds can have a fraction"),
        ("PT1S1H", "order"),
        ("P1D1W", "order"),
        ("PT0.0000001S", "at most 6 decimal places"),
        ("P99999999999999W", "too long"),
        ("P\u0663D", "not a duration"),  # an Arabic-Indic digit three
    ],
)
def test_invalid_forms_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_duration(text, "/sla/policies/0/targets/high/resolution")
    assert list(caught.value.errors) == ["/sla/policies/0/targets/high/resolution"]
    (message,) = caught.value.errors["/sla/policies/0/targets/high/resolution"]
    assert fragment in message


@pytest.mark.parametrize("text", ["P", "PT", "4h", "-PT1H", "PT1S1H", "pt4h"])
def test_generic_messages_show_an_example(text: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_duration(text)
    assert "Write a duration like PT4H (4 hours) or P3D (3 days)." in caught.value.errors[""][0]


def test_a_non_text_is_an_error_at_the_pointer() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_duration(4, "/auto_close/after")  # type: ignore[arg-type]
    assert "is a text" in caught.value.errors["/auto_close/after"][0]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=4, minutes=30), "PT4H30M"),
        (timedelta(days=2), "P2D"),
        (timedelta(days=7), "P7D"),
        (timedelta(hours=25), "P1DT1H"),
        (timedelta(days=1, seconds=5), "P1DT5S"),
        (timedelta(seconds=1, milliseconds=500), "PT1.5S"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (timedelta(minutes=1, microseconds=120), "PT1M0.00012S"),
        (timedelta(seconds=10), "PT10S"),
    ],
)
def test_format(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


def test_format_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))


@settings(max_examples=300)
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10**6)))
def test_format_then_parse_is_the_identity(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td


_PART = st.one_of(st.none(), st.integers(0, 400))


@settings(max_examples=150)
@given(_PART, _PART, _PART, _PART, _PART, st.one_of(st.none(), st.integers(0, 999_999)))
def test_any_valid_text_survives_a_round_trip(
    weeks: int | None,
    days: int | None,
    hours: int | None,
    minutes: int | None,
    seconds: int | None,
    micros: int | None,
) -> None:
    date_part = f"{weeks}W" if weeks is not None else ""
    date_part += f"{days}D" if days is not None else ""
    clock = (f"{hours}H" if hours is not None else "") + (
        f"{minutes}M" if minutes is not None else ""
    )
    if seconds is not None:
        clock += f"{seconds}" + (f".{micros:06d}" if micros is not None else "") + "S"
    text = "P" + date_part + ("T" + clock if clock else "")
    if text == "P":
        text = "PT0S"
    parsed = parse_duration(text)
    expected = timedelta(
        weeks=weeks or 0,
        days=days or 0,
        hours=hours or 0,
        minutes=minutes or 0,
        seconds=seconds or 0,
        microseconds=(micros or 0) if seconds is not None else 0,
    )
    assert parsed == expected
    assert parse_duration(format_duration(parsed)) == parsed
