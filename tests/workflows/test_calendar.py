"""The business calendar: examples, daylight saving time, definition errors and an oracle.

The oracle is a minute-by-minute walk over UTC minutes asking `reference_open`, a direct
reading of the documented rule written here independently of the class: an instant is open
when it lies between the UTC conversions (fold=0) of the bounds of one of the intervals of
its own local date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import SEARCH_DAYS, BusinessCalendar
from workflows.errors import DefinitionError

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")
OFFICE = [["09:00", "12:00"], ["13:00", "18:00"]]
CHINA: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "hours": {day: OFFICE for day in WORKWEEK},
    "holidays": [f"2026-10-0{n}" for n in range(1, 8)],
    "workdays": ["2026-09-27", "2026-10-10"],
}


def china() -> BusinessCalendar:
    return BusinessCalendar.from_definition(CHINA, "/sla/calendar")


def local(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone, fold=fold)


def utc(at: datetime) -> datetime:
    """The instant in UTC: comparing datetimes of one zone ignores `fold`."""
    return at.astimezone(UTC)


def errors_of(definition: Any, pointer: str = "/sla/calendar") -> dict[str, list[str]]:
    with pytest.raises(DefinitionError) as caught:
        BusinessCalendar.from_definition(definition, pointer)
    return caught.value.errors


# ---------------------------------------------------------------------------------------------
# examples on the 2026 China calendar (National Day week, make-up days on 09-27 and 10-10)


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        ((2026, 9, 24, 11, 30), HOUR, (2026, 9, 24, 13, 30)),  # over the lunch break
        ((2026, 9, 18, 17, 59), MINUTE, (2026, 9, 18, 18, 0)),  # ends at the close
        ((2026, 9, 18, 18, 0), MINUTE, (2026, 9, 21, 9, 1)),  # Friday evening to Monday
        ((2026, 9, 24, 7, 0), HOUR, (2026, 9, 24, 10, 0)),  # before opening
        ((2026, 9, 24, 12, 30), 30 * MINUTE, (2026, 9, 24, 13, 30)),  # during lunch
        ((2026, 9, 19, 10, 0), HOUR, (2026, 9, 21, 10, 0)),  # on a Saturday
        ((2026, 9, 24, 9, 0), 8 * HOUR, (2026, 9, 24, 18, 0)),  # one full day
        ((2026, 9, 24, 9, 0), 9 * HOUR, (2026, 9, 25, 10, 0)),
        ((2026, 10, 3, 10, 0), HOUR, (2026, 10, 8, 10, 0)),  # on a holiday
        ((2026, 9, 30, 17, 0), 2 * HOUR, (2026, 10, 8, 10, 0)),  # into the holiday week
        ((2026, 9, 25, 18, 0), MINUTE, (2026, 9, 27, 9, 1)),  # Sunday 09-27 is a workday
        ((2026, 9, 26, 10, 0), HOUR, (2026, 9, 27, 10, 0)),
        ((2026, 10, 9, 18, 0), 4 * HOUR, (2026, 10, 10, 14, 0)),  # Saturday 10-10 too
        ((2026, 10, 10, 17, 0), 2 * HOUR, (2026, 10, 12, 10, 0)),  # Sunday 10-11 is not
        ((2026, 11, 1, 8, 0), 40 * HOUR, (2026, 11, 6, 18, 0)),  # exactly one week
        ((2026, 11, 1, 8, 0), 80 * HOUR, (2026, 11, 13, 18, 0)),  # ends on a Friday evening
        ((2026, 11, 1, 8, 0), 80 * HOUR + MINUTE, (2026, 11, 16, 9, 1)),
    ],
)
def test_china_examples(
    start: tuple[int, ...], delta: timedelta, expected: tuple[int, ...]
) -> None:
    cal = china()
    result = cal.add(local(SH, *start), delta)
    assert result == local(SH, *expected)
    assert result.tzinfo is SH
    assert cal.elapsed(local(SH, *start), result) == delta


def test_make_up_days_work_mondays_hours() -> None:
    cal = china()
    sunday = date(2026, 9, 27)
    assert sunday.weekday() == 6
    for minute in range(0, 24 * 60, 15):
        at = datetime.combine(sunday, time(minute // 60, minute % 60), SH)
        monday = at + timedelta(days=1)
        assert cal.is_open(at) == cal.is_open(monday), at
    assert not cal.is_open(local(SH, 2026, 10, 11, 10, 0))  # an ordinary Sunday


def test_holidays_are_closed_whatever_their_weekday() -> None:
    cal = china()
    for day in range(1, 8):
        noon = local(SH, 2026, 10, day, 10, 0)
        assert not cal.is_open(noon)
        assert cal.next_open(noon) == local(SH, 2026, 10, 8, 9, 0)


def test_elapsed_over_the_national_day_weeks() -> None:
    # Mon 09-28 .. Wed 09-30, then Thu 10-08, Fri 10-09 and the make-up Saturday 10-10.
    cal = china()
    assert cal.elapsed(local(SH, 2026, 9, 28), local(SH, 2026, 10, 12)) == 6 * 8 * HOUR
    assert cal.elapsed(local(SH, 2026, 9, 27), local(SH, 2026, 9, 28)) == 8 * HOUR


def test_elapsed_counts_only_inside_intervals() -> None:
    cal = china()
    assert cal.elapsed(local(SH, 2026, 9, 24, 11, 0), local(SH, 2026, 9, 24, 14, 0)) == 2 * HOUR
    assert cal.elapsed(local(SH, 2026, 9, 24, 12, 0), local(SH, 2026, 9, 24, 13, 0)) == timedelta()
    later, earlier = local(SH, 2026, 9, 24, 15, 0), local(SH, 2026, 9, 24, 10, 0)
    assert cal.elapsed(later, earlier) == timedelta()
    assert cal.elapsed(later, later) == timedelta()


def test_microsecond_precision() -> None:
    cal = china()
    edge = local(SH, 2026, 9, 18, 17, 59, 59, 999_999)
    tick = timedelta(microseconds=1)
    assert cal.add(edge, tick) == local(SH, 2026, 9, 18, 18, 0)
    assert cal.add(edge, 2 * tick) == local(SH, 2026, 9, 21, 9, 0, 0, 1)
    assert cal.elapsed(edge, local(SH, 2026, 9, 21, 9, 0, 0, 1)) == 2 * tick


def test_zero_returns_the_start_itself() -> None:
    cal = china()
    saturday = datetime(2026, 9, 19, 2, 0, tzinfo=UTC)
    assert cal.add(saturday, timedelta(0)) is saturday


def test_results_are_in_the_calendars_zone_whatever_the_start() -> None:
    cal = china()
    start = datetime(2026, 9, 24, 3, 30, tzinfo=UTC)  # 11:30 in Shanghai
    result = cal.add(start, HOUR)
    assert result.tzinfo is SH
    assert result == local(SH, 2026, 9, 24, 13, 30)
    assert cal.timezone is SH


def test_next_open() -> None:
    cal = china()
    inside = local(SH, 2026, 9, 24, 10, 0)
    assert cal.next_open(inside) is inside
    assert cal.next_open(local(SH, 2026, 9, 24, 12, 0)) == local(SH, 2026, 9, 24, 13, 0)
    assert cal.next_open(local(SH, 2026, 9, 18, 18, 0)) == local(SH, 2026, 9, 21, 9, 0)
    assert cal.is_open(local(SH, 2026, 9, 24, 9, 0))
    assert not cal.is_open(local(SH, 2026, 9, 24, 18, 0))


@pytest.mark.parametrize("call", ["add", "elapsed", "is_open", "next_open"])
def test_naive_datetimes_are_refused(call: str) -> None:
    cal = china()
    naive = datetime(2026, 9, 24, 10, 0)
    aware = local(SH, 2026, 9, 24, 10, 0)
    arguments: dict[str, tuple[Any, ...]] = {
        "add": (naive, HOUR),
        "elapsed": (aware, naive),
        "is_open": (naive,),
        "next_open": (naive,),
    }
    with pytest.raises(ValueError, match="aware datetime required"):
        getattr(cal, call)(*arguments[call])


def test_negative_deltas_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        china().add(local(SH, 2026, 9, 24, 10, 0), -MINUTE)


def test_intervals_ending_at_24_00_run_into_the_next_day() -> None:
    cal = BusinessCalendar.from_definition(
        {"hours": {"sat": [["22:00", "24:00"]], "sun": [["00:00", "02:00"]]}}
    )
    saturday = datetime(2026, 9, 19, 23, 0, tzinfo=UTC)
    assert cal.add(saturday, 2 * HOUR) == datetime(2026, 9, 20, 1, 0, tzinfo=UTC)
    assert cal.is_open(datetime(2026, 9, 20, 0, 0, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 9, 20, 2, 0, tzinfo=UTC))
    assert cal.elapsed(saturday - 2 * HOUR, saturday + 4 * HOUR) == 4 * HOUR
    assert cal.add(saturday + 3 * HOUR, HOUR) == datetime(2026, 9, 26, 23, 0, tzinfo=UTC)


def test_no_definition_is_round_the_clock_utc() -> None:
    cal = BusinessCalendar.from_definition(None)
    assert cal.timezone.key == "UTC"
    start = datetime(2026, 3, 8, 1, 23, 45, 678, tzinfo=NY)
    assert utc(cal.add(start, timedelta(days=40, microseconds=3))) == utc(start) + timedelta(
        days=40, microseconds=3
    )


def test_without_hours_every_day_is_open_in_the_zone() -> None:
    cal = BusinessCalendar.from_definition(
        {"timezone": "Asia/Shanghai", "holidays": ["2026-10-01"]}
    )
    assert cal.is_open(local(SH, 2026, 9, 30, 23, 59))
    assert not cal.is_open(local(SH, 2026, 10, 1, 0, 0))
    assert cal.add(local(SH, 2026, 9, 30, 23, 0), 2 * HOUR) == local(SH, 2026, 10, 2, 1, 0)


def test_long_targets_match_a_day_by_day_count() -> None:
    # Weeks without holidays are skipped by their total; the answer must not change.
    cal = china()
    start = local(SH, 2026, 9, 1, 8, 0)
    for weeks in range(1, 12):
        result = cal.add(start, weeks * 40 * HOUR + MINUTE)
        count = (result.date() - start.date()).days
        days = [start.date() + timedelta(days=n) for n in range(count)]
        total = sum(
            (cal.elapsed(_midnight(d), _midnight(d + timedelta(days=1))) for d in days),
            timedelta(),
        )
        total += cal.elapsed(_midnight(result.date()), result)
        assert total == weeks * 40 * HOUR + MINUTE


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SH)


def test_searching_stops_after_ten_years() -> None:
    mondays = [date(2026, 9, 21) + timedelta(weeks=n) for n in range(SEARCH_DAYS // 7 + 60)]
    cal = BusinessCalendar.from_definition(
        {"hours": {"mon": [["09:00", "17:00"]]}, "holidays": [d.isoformat() for d in mondays]}
    )
    start = datetime(2026, 9, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match="no business time"):
        cal.add(start, MINUTE)
    with pytest.raises(ValueError, match="no business time"):
        cal.next_open(start)
    assert cal.elapsed(start, start + timedelta(days=400)) == timedelta()


# ---------------------------------------------------------------------------------------------
# daylight saving time


@pytest.mark.parametrize(
    ("zone", "day", "length"),
    [
        (NY, date(2026, 3, 8), 23 * HOUR),
        (NY, date(2026, 11, 1), 25 * HOUR),
        (BERLIN, date(2026, 3, 29), 23 * HOUR),
        (BERLIN, date(2026, 10, 25), 25 * HOUR),
        (NY, date(2026, 3, 9), 24 * HOUR),
        (SH, date(2026, 3, 8), 24 * HOUR),
        (SH, date(2026, 10, 25), 24 * HOUR),
    ],
)
def test_round_the_clock_days_last_their_real_length(
    zone: ZoneInfo, day: date, length: timedelta
) -> None:
    cal = BusinessCalendar.from_definition(
        {"timezone": zone.key, "hours": {d: [["00:00", "24:00"]] for d in CHINA_WEEK}}
    )
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    assert cal.elapsed(midnight, next_midnight) == length
    assert utc(cal.add(midnight, length)) == utc(next_midnight)


CHINA_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_shanghai_days_are_all_24_hours() -> None:
    cal = BusinessCalendar.from_definition({"timezone": "Asia/Shanghai"})
    for n in range(366):
        day = date(2026, 1, 1) + timedelta(days=n)
        span = (_midnight(day), _midnight(day + timedelta(days=1)))
        assert cal.elapsed(*span) == 24 * HOUR


def test_an_interval_across_the_transition_lasts_its_real_time() -> None:
    cal = BusinessCalendar.from_definition(
        {"timezone": "America/New_York", "hours": {"sun": [["01:00", "04:00"]]}}
    )
    spring, autumn = date(2026, 3, 8), date(2026, 11, 1)
    assert cal.elapsed(*_day_span(spring, NY)) == 2 * HOUR
    assert cal.elapsed(*_day_span(autumn, NY)) == 4 * HOUR
    # Autumn: 01:00 is its first occurrence (EDT); 3 h later it is 03:00 EST.
    assert utc(cal.add(local(NY, 2026, 11, 1), 3 * HOUR)) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert cal.is_open(local(NY, 2026, 11, 1, 1, 30, fold=1))  # the second 01:30, EST


def test_a_bound_inside_the_spring_gap_maps_forward() -> None:
    cal = BusinessCalendar.from_definition(
        {"timezone": "America/New_York", "hours": {"sun": [["02:30", "05:00"]]}}
    )
    # 02:30 does not exist on 2026-03-08; like fold=0 it means 03:30 EDT (07:30 UTC).
    assert not cal.is_open(datetime(2026, 3, 8, 7, 15, tzinfo=UTC))
    assert cal.is_open(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    assert utc(cal.next_open(local(NY, 2026, 3, 8))) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert cal.elapsed(*_day_span(date(2026, 3, 8), NY)) == 90 * MINUTE
    assert cal.elapsed(*_day_span(date(2026, 3, 15), NY)) == 150 * MINUTE


def test_the_repeated_hour_counts_twice_in_berlin() -> None:
    cal = BusinessCalendar.from_definition(
        {"timezone": "Europe/Berlin", "hours": {"sun": [["02:00", "03:00"]]}}
    )
    assert cal.elapsed(*_day_span(date(2026, 10, 25), BERLIN)) == 2 * HOUR
    assert cal.elapsed(*_day_span(date(2026, 3, 29), BERLIN)) == timedelta()
    assert cal.elapsed(*_day_span(date(2026, 4, 5), BERLIN)) == HOUR


def test_a_day_ends_where_the_next_begins_even_inside_a_gap() -> None:
    # Nuuk springs from Saturday 23:00 to Sunday 00:00: 23:30 maps (fold=0) to Sunday
    # 00:30, but Saturday's business time stops where Sunday begins (01:00 UTC).
    nuuk = ZoneInfo("America/Nuuk")
    cal = BusinessCalendar.from_definition(
        {"timezone": "America/Nuuk", "hours": {"sat": [["22:00", "23:30"]]}}
    )
    saturday = datetime(2026, 3, 28, 22, 0, tzinfo=nuuk)
    assert cal.elapsed(*_day_span(date(2026, 3, 28), nuuk)) == HOUR
    assert cal.elapsed(saturday, saturday + 3 * HOUR) == HOUR
    assert utc(cal.add(saturday, HOUR)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert not cal.is_open(datetime(2026, 3, 29, 1, 15, tzinfo=UTC))
    next_saturday = datetime(2026, 4, 4, 22, 1, tzinfo=nuuk)
    assert cal.add(saturday, HOUR + MINUTE) == next_saturday


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Office hours keep their wall-clock times over the transition weekends.
        ("Europe/Berlin", (2026, 3, 27, 16, 0), (2026, 3, 30, 10, 0)),
        ("Europe/Berlin", (2026, 10, 23, 16, 0), (2026, 10, 26, 10, 0)),
        ("America/New_York", (2026, 3, 6, 16, 0), (2026, 3, 9, 10, 0)),
        ("America/New_York", (2026, 10, 30, 16, 0), (2026, 11, 2, 10, 0)),
    ],
)
def test_office_hours_over_transition_weekends(
    zone: str, start: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    tz = ZoneInfo(zone)
    cal = BusinessCalendar.from_definition(
        {"timezone": zone, "hours": {d: [["09:00", "17:00"]] for d in WORKWEEK}}
    )
    assert cal.add(local(tz, *start), 2 * HOUR) == local(tz, *expected)
    assert cal.elapsed(local(tz, *start), local(tz, *expected)) == 2 * HOUR


def _day_span(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(0), zone), datetime.combine(
        day + timedelta(days=1), time(0), zone
    )


# ---------------------------------------------------------------------------------------------
# definition errors


@pytest.mark.parametrize(
    ("definition", "pointer", "fragment"),
    [
        ("Asia/Shanghai", "/sla/calendar", "as an object"),
        ({"timezone": "Mars/Olympus"}, "/sla/calendar/timezone", "Unknown time zone"),
        ({"timezone": "America"}, "/sla/calendar/timezone", "Unknown time zone"),
        ({"timezone": "../etc/passwd"}, "/sla/calendar/timezone", "Unknown time zone"),
        ({"timezone": 8}, "/sla/calendar/timezone", "Unknown time zone"),
        ({"timezone": "UTC", "holiday": []}, "/sla/calendar/holiday", "Unknown calendar setting"),
        ({"hours": {}}, "/sla/calendar/hours", "The calendar has no working hours."),
        ({"hours": {"mon": [], "sun": []}}, "/sla/calendar/hours", "no working hours"),
        ({"hours": []}, "/sla/calendar/hours", "object of weekdays"),
        ({"hours": {"monday": OFFICE}}, "/sla/calendar/hours/monday", "Unknown weekday"),
        ({"hours": {"a/b": OFFICE}}, "/sla/calendar/hours/a~1b", "Unknown weekday"),
        ({"hours": {"mon": "09:00-18:00"}}, "/sla/calendar/hours/mon", "list of [start, end]"),
        ({"hours": {"mon": [["09:00"]]}}, "/sla/calendar/hours/mon/0", "[start, end]"),
        ({"hours": {"mon": [["9:00", "12:00"]]}}, "/sla/calendar/hours/mon/0/0", "HH:MM"),
        ({"hours": {"mon": [["09:00", "12:60"]]}}, "/sla/calendar/hours/mon/0/1", "HH:MM"),
        ({"hours": {"mon": [["09:00", "24:01"]]}}, "/sla/calendar/hours/mon/0/1", "HH:MM"),
        ({"hours": {"mon": [["09:00", 18]]}}, "/sla/calendar/hours/mon/0/1", "HH:MM"),
        ({"hours": {"mon": [["24:00", "24:00"]]}}, "/sla/calendar/hours/mon/0/0", "24:00"),
        ({"hours": {"mon": [["12:00", "09:00"]]}}, "/sla/calendar/hours/mon/0/1", "later"),
        ({"hours": {"mon": [["09:00", "09:00"]]}}, "/sla/calendar/hours/mon/0/1", "later"),
        (
            {"hours": {"mon": [["09:00", "12:00"], ["11:00", "18:00"]]}},
            "/sla/calendar/hours/mon/1/0",
            "before the previous one ends",
        ),
        (
            {"hours": {"mon": [["13:00", "18:00"], ["09:00", "12:00"]]}},
            "/sla/calendar/hours/mon/1/0",
            "in order",
        ),
        ({"holidays": "2026-10-01"}, "/sla/calendar/holidays", "list of dates"),
        ({"holidays": ["2026-02-30"]}, "/sla/calendar/holidays/0", "YYYY-MM-DD"),
        ({"holidays": ["2026-10-01", "20261002"]}, "/sla/calendar/holidays/1", "YYYY-MM-DD"),
        ({"workdays": ["2026-9-27"]}, "/sla/calendar/workdays/0", "YYYY-MM-DD"),
        (
            {"holidays": ["2026-10-01"], "workdays": ["2026-09-27", "2026-10-01"]},
            "/sla/calendar/workdays/1",
            "also listed as a holiday",
        ),
        (
            {"hours": {"tue": OFFICE}, "workdays": ["2026-09-27"]},
            "/sla/calendar/workdays",
            "Monday's hours",
        ),
    ],
)
def test_errors_at_their_pointers(definition: Any, pointer: str, fragment: str) -> None:
    found = errors_of(definition)
    assert list(found) == [pointer]
    assert any(fragment in message for message in found[pointer])


def test_touching_intervals_are_fine() -> None:
    cal = BusinessCalendar.from_definition(
        {"hours": {"mon": [["09:00", "12:00"], ["12:00", "13:00"]]}}
    )
    monday = datetime(2026, 9, 21, 11, 0, tzinfo=UTC)
    assert cal.add(monday, 2 * HOUR) == datetime(2026, 9, 21, 13, 0, tzinfo=UTC)


def test_every_problem_is_reported_together() -> None:
    found = errors_of(
        {
            "timezone": "Nowhere/Town",
            "hours": {
                "mon": [["09:00", "12:00"], ["11:00", "13:00"], ["14:00", "13:00"]],
                "tue": [["8:00", "12:00"]],
                "fri": [["09:00", "24:00"], ["09:00", "10:00"]],
            },
            "holidays": ["2026-10-01", "tomorrow"],
            "workdays": ["2026-10-01"],
        },
        "/sla/calendar",
    )
    assert set(found) == {
        "/sla/calendar/timezone",
        "/sla/calendar/hours/mon/1/0",
        "/sla/calendar/hours/mon/2/1",
        "/sla/calendar/hours/tue/0/0",
        "/sla/calendar/hours/fri/1/0",
        "/sla/calendar/holidays/1",
        "/sla/calendar/workdays/0",
    }


def test_the_pointer_is_the_callers() -> None:
    assert list(errors_of({"hours": {}}, "")) == ["/hours"]
    assert list(errors_of({"hours": {}}, "/x/0/calendar")) == ["/x/0/calendar/hours"]


def test_the_constructor_refuses_a_week_without_time() -> None:
    with pytest.raises(ValueError, match="no working hours"):
        BusinessCalendar(ZoneInfo("UTC"), [[] for _ in range(7)])


# ---------------------------------------------------------------------------------------------
# the oracle: a reference rule and a minute-by-minute walk


def reference_open(definition: Mapping[str, Any], at: datetime) -> bool:
    """The documented rule, read directly off the definition."""
    zone = ZoneInfo(definition.get("timezone", "UTC"))
    day = at.astimezone(zone).date()
    hours = definition.get("hours", {key: [["00:00", "24:00"]] for key in CHINA_WEEK})
    if day.isoformat() in definition.get("holidays", []):
        intervals = []
    elif day.isoformat() in definition.get("workdays", []):
        intervals = hours.get("mon", [])
    else:
        intervals = hours.get(CHINA_WEEK[day.weekday()], [])
    for start, end in intervals:
        lo = _wall(day, start, zone).astimezone(UTC)
        hi = _wall(day, end, zone).astimezone(UTC)
        if lo <= at.astimezone(UTC) < hi:
            return True
    return False


def _wall(day: date, clock: str, zone: ZoneInfo) -> datetime:
    if clock == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, time.fromisoformat(clock), zone)


ZONES = [
    "UTC",
    "Asia/Shanghai",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # half-hour DST
    "Asia/Kathmandu",  # +05:45
    "America/Nuuk",  # changes at Saturday 23:00 local
]
ANCHORS = [
    date(2026, 3, 8),  # New York springs forward
    date(2026, 11, 1),  # and falls back
    date(2026, 3, 29),  # Berlin
    date(2026, 10, 25),
    date(2026, 4, 5),  # Lord Howe falls back half an hour
    date(2026, 10, 4),  # and springs forward
    date(2026, 3, 28),  # Nuuk loses Saturday's last hour
    date(2026, 10, 24),  # and has it twice
    date(2026, 9, 30),
]
WINDOW = 3 * 24 * 60  # minutes the oracle walks


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    """Ascending, non-empty, non-overlapping intervals of one day; touching ones too."""
    intervals: list[list[str]] = []
    edge = 0
    for gap, length in draw(
        st.lists(st.tuples(st.integers(0, 400), st.integers(1, 600)), max_size=4)
    ):
        start = edge + gap
        if start >= 24 * 60:
            break
        edge = min(start + length, 24 * 60)
        intervals.append([_clock(start), _clock(edge)])
    return intervals


@st.composite
def calendars(draw: st.DrawFn, anchor: date) -> dict[str, Any]:
    definition: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES))}
    near = [anchor + timedelta(days=n) for n in range(-3, 5)]
    kinds = draw(st.dictionaries(st.sampled_from(near), st.sampled_from(["holidays", "workdays"])))
    for day, kind in sorted(kinds.items()):
        definition.setdefault(kind, []).append(day.isoformat())
    if draw(st.booleans()) or draw(st.booleans()):
        drawn = draw(st.dictionaries(st.sampled_from(CHINA_WEEK), day_hours()))
        keep_closed = draw(st.booleans())  # an empty list and an absent day both mean closed
        hours = {key: value for key, value in drawn.items() if value or keep_closed}
        if not any(hours.values()) or ("workdays" in definition and not hours.get("mon")):
            hours["mon"] = [["09:00", "17:00"]]  # a definition needs some (Monday) hours
        definition["hours"] = hours
    return definition


@st.composite
def oracle_cases(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    anchor = draw(st.sampled_from(ANCHORS))
    start = datetime.combine(anchor, time(0), UTC) + draw(st.integers(-2 * 1440, 1440)) * MINUTE
    return draw(calendars(anchor)), start


@settings(max_examples=25, deadline=None)
@given(oracle_cases(), st.data())
def test_add_and_elapsed_match_a_minute_walk(
    case: tuple[dict[str, Any], datetime], data: st.DataObject
) -> None:
    definition, start = case
    cal = BusinessCalendar.from_definition(definition, "/sla/calendar")
    minutes = [start + n * MINUTE for n in range(WINDOW)]
    open_minutes = [at for at in minutes if reference_open(definition, at)]
    opened = set(open_minutes)
    shown = start.astimezone(cal.timezone) if data.draw(st.booleans()) else start
    for at in minutes[::11]:
        assert cal.is_open(at) == (at in opened), at
    if open_minutes:
        k = data.draw(st.integers(1, len(open_minutes)), label="business minutes")
        assert utc(cal.add(shown, k * MINUTE)) == open_minutes[k - 1] + MINUTE
        assert utc(cal.next_open(shown)) == open_minutes[0]
    n = data.draw(st.integers(0, WINDOW), label="elapsed minutes")
    expected = sum(1 for at in open_minutes if at < start + n * MINUTE)
    assert cal.elapsed(shown, start + n * MINUTE) == expected * MINUTE


@pytest.mark.parametrize(
    ("zone", "first"),
    [("Europe/Berlin", date(2026, 3, 2)), ("America/New_York", date(2026, 10, 12))],
)
def test_weeks_long_targets_match_a_minute_walk(zone: str, first: date) -> None:
    definition = {
        "timezone": zone,
        "hours": {
            d: [["01:30", "03:30"], ["08:00", "12:00"], ["13:00", "17:00"]] for d in CHINA_WEEK
        },
        "holidays": [(first + timedelta(days=17)).isoformat()],
    }
    cal = BusinessCalendar.from_definition(definition)
    start = datetime.combine(first, time(0), UTC)
    open_minutes = [
        at
        for at in (start + n * MINUTE for n in range(7 * 7 * 24 * 60))
        if reference_open(definition, at)
    ]
    for k in (len(open_minutes) // 5, len(open_minutes) // 2, len(open_minutes) - 1):
        assert utc(cal.add(start, k * MINUTE)) == open_minutes[k - 1] + MINUTE
    end = open_minutes[-1] + MINUTE
    assert cal.elapsed(start, end) == len(open_minutes) * MINUTE


# ---------------------------------------------------------------------------------------------
# consistency at microsecond precision


@st.composite
def precise_cases(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    anchor = draw(st.sampled_from(ANCHORS))
    offset = draw(st.integers(-3 * 86_400_000_000, 3 * 86_400_000_000))
    start = datetime.combine(anchor, time(0), UTC) + timedelta(microseconds=offset)
    return draw(calendars(anchor)), start


_DELTAS = st.integers(0, 6 * 86_400_000_000).map(lambda us: timedelta(microseconds=us))


@settings(max_examples=150, deadline=None)
@given(precise_cases(), _DELTAS, _DELTAS)
def test_elapsed_undoes_add_and_add_is_monotonic(
    case: tuple[dict[str, Any], datetime], a: timedelta, b: timedelta
) -> None:
    definition, start = case
    cal = BusinessCalendar.from_definition(definition)
    low, high = sorted((a, b))
    first, second = cal.add(start, low), cal.add(start, high)
    assert cal.elapsed(start, first) == low
    assert cal.elapsed(start, second) == high
    assert utc(start) <= utc(first) <= utc(second)
    assert utc(cal.add(first, high - low)) == utc(second)  # additive
    assert cal.elapsed(start, second) == cal.elapsed(start, first) + cal.elapsed(first, second)
    opening = cal.next_open(start)
    assert cal.is_open(opening)
    assert cal.elapsed(start, opening) == timedelta()
    if low:
        assert utc(opening) < utc(first)


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(SH)),
    st.integers(0, 120 * 86_400_000_000).map(lambda us: timedelta(microseconds=us)),
)
def test_china_targets_of_months_are_consistent(start: datetime, delta: timedelta) -> None:
    cal = china()
    result = cal.add(start, delta)
    assert cal.elapsed(start, result) == delta
    if delta:
        # The answer is the instant the target is reached: the microsecond before it counts.
        tick = timedelta(microseconds=1)
        assert cal.elapsed(result - tick, result) == tick
        assert cal.is_open(result - tick)
