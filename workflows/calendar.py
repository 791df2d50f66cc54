"""The business calendar of SLA targets: hours per weekday, holidays and make-up working days.

Inside, instants are whole microseconds since the Unix epoch (UTC). Each local date's working
intervals are converted to UTC once and kept in a bounded cache, so adding a target is a walk
over a few cached days; long targets skip whole ordinary weeks by the week's total.

Daylight saving time: hours are wall-clock times in the calendar's zone and an interval lasts
the real time between its bounds. Each bound is converted like `zoneinfo` with fold=0: a wall
time that happens twice (autumn) means its first occurrence, and one that does not exist
(spring) maps forward by the size of the gap (02:30 on a New York spring-forward day is
03:30 EDT). A day's business time is the union of its intervals' UTC spans, clipped to the
instants whose local date is that day, so neighbouring days never overlap.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.errors import raise_if

Errors = dict[str, list[str]]
Span = tuple[int, int]
_V = TypeVar("_V")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SETTINGS = ("timezone", "hours", "holidays", "workdays")
SEARCH_DAYS = 3653  # how far `add` and `next_open` look for business time: ten years
CACHE_DAYS = 4096  # dates whose UTC intervals are kept (about eleven years)

_US = timedelta(microseconds=1)
_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_DAY = date.max.toordinal() - 1  # the last date whose end is still a datetime
_ZERO = timedelta(0)
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_BAD_ZONE = (ZoneInfoNotFoundError, ValueError, OSError)  # OSError: a folder such as "America"


class BusinessCalendar:
    """Working hours in one time zone; counts and adds business time between aware datetimes."""

    __slots__ = (
        "timezone",
        "_week",
        "_special",
        "_special_days",
        "_week_total",
        "_days",
        "_totals",
        "_ordinary_weeks",
    )

    def __init__(
        self,
        timezone: ZoneInfo,
        week: Sequence[Sequence[tuple[timedelta, timedelta]]],
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> None:
        """A calendar of 7 weekdays (Monday first) of (start, end) offsets from local midnight."""
        if len(week) != len(WEEKDAYS):
            raise ValueError("week must have 7 days, Monday first")
        holidays, workdays = set(holidays), set(workdays)
        if holidays & workdays:
            raise ValueError("a date cannot be both a holiday and a make-up working day")
        self.timezone = timezone
        self._week = tuple(tuple((s // _US, e // _US) for s, e in day) for day in week)
        self._week_total = sum(e - s for day in self._week for s, e in day)
        if self._week_total <= 0:
            raise ValueError("The calendar has no working hours.")
        # Make-up working days work Monday's hours.
        self._special: dict[int, tuple[Span, ...]] = {d.toordinal(): () for d in holidays}
        self._special.update({d.toordinal(): self._week[0] for d in workdays})
        self._special_days = sorted(self._special)
        self._days: dict[int, tuple[Span, ...]] = {}
        self._totals: dict[int, int] = {}
        self._ordinary_weeks: dict[int, bool] = {}

    @classmethod
    def from_definition(cls, definition: Any, pointer: str = "") -> BusinessCalendar:
        """The calendar a definition describes (None: 24/7 UTC); DefinitionError when wrong."""
        if definition is None:
            return cls(ZoneInfo("UTC"), [[(_ZERO, timedelta(days=1))]] * len(WEEKDAYS))
        return cls(*_read(definition, pointer))

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.timezone.key!r}, {self._week_total * _US} a week)"

    def add(self, start: datetime, delta: timedelta) -> datetime:
        """The instant `delta` of business time after `start`, in the calendar's zone."""
        t = _micros(start)
        if delta < _ZERO:
            raise ValueError("business time to add cannot be negative")
        if not delta:
            return start
        return self._datetime(self._advance(t, delta // _US, self._local_day(start)))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two aware datetimes (zero when `end` is not after `start`)."""
        t0, t1 = _micros(start), _micros(end)
        if t1 <= t0:
            return _ZERO
        day, last = self._local_day(start), self._local_day(end)
        total = _overlap(self._spans(day), t0, t1)
        if last > day:
            total += _overlap(self._spans(last), t0, t1)
        day += 1
        # The days in between lie wholly inside: count them by their totals.
        while day < last:
            if day + 7 <= last and self._ordinary(day):
                total += self._week_total
                day += 7
            else:
                total += self._total(day)
                day += 1
        return total * _US

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls inside business hours."""
        t = _micros(at)
        return any(s <= t < e for s, e in self._spans(self._local_day(at)))

    def next_open(self, at: datetime) -> datetime:
        """`at` when open, else the start of the next business interval (in the calendar's zone)."""
        t = _micros(at)
        first = self._local_day(at)
        limit = min(first + SEARCH_DAYS, _LAST_DAY)
        for day in range(first, limit):
            for s, e in self._spans(day):
                if e > t:
                    return at if s <= t else self._datetime(s)
        raise _nothing_until(limit)

    def _advance(self, t: int, remaining: int, day: int) -> int:
        """The instant `remaining` business microseconds after `t`, which lies on local `day`."""
        limit = min(day + SEARCH_DAYS, _LAST_DAY)
        days, week_total = self._days, self._week_total
        while day < limit:
            spans = days.get(day)
            if spans is None:
                spans = self._spans(day)
            for s, e in spans:
                if e > t:
                    # `t` may lag behind after skipped weeks: it only has to precede `s`.
                    t = max(s, t)
                    if remaining <= e - t:
                        return t + remaining
                    remaining -= e - t
                    t = e
            day += 1
            while remaining > week_total and day + 7 < limit and self._ordinary(day):
                remaining -= week_total
                day += 7
        raise _nothing_until(day)

    def _spans(self, day: int) -> tuple[Span, ...]:
        """The UTC business spans of a local date (proleptic ordinal), cached."""
        found = self._days.get(day)
        if found is None:
            found = _remember(self._days, day, self._utc_spans(day))
        return found

    def _total(self, day: int) -> int:
        """The business microseconds of a local date, cached."""
        found = self._totals.get(day)
        if found is None:
            found = _remember(self._totals, day, sum(e - s for s, e in self._spans(day)))
        return found

    def _utc_spans(self, day: int) -> tuple[Span, ...]:
        """A local date's intervals in UTC: clipped to the date, sorted, merged."""
        local = self._special.get(day, self._week[(day - 1) % 7])  # ordinal 1 is a Monday
        if not local:
            return ()
        midnight = datetime.fromordinal(day)
        lo, hi = self._utc(midnight, 0), self._utc(midnight, _DAY)
        spans = sorted(
            (max(lo, self._utc(midnight, s)), min(hi, self._utc(midnight, e))) for s, e in local
        )
        merged: list[Span] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            elif s < e:
                merged.append((s, e))
        return tuple(merged)

    def _utc(self, midnight: datetime, offset: int) -> int:
        """Microseconds since the epoch of local wall time `midnight + offset` (fold=0)."""
        wall = midnight + timedelta(microseconds=offset)
        return (wall.replace(tzinfo=self.timezone) - _EPOCH) // _US

    def _ordinary(self, day: int) -> bool:
        """Whether the 7 days from `day` are plain weekdays with one UTC offset throughout."""
        found = self._ordinary_weeks.get(day)
        if found is None:
            index = bisect_left(self._special_days, day)
            special = index < len(self._special_days) and self._special_days[index] < day + 7
            offsets = {
                datetime.fromordinal(d).replace(tzinfo=self.timezone).utcoffset()
                for d in range(day, day + 8)
            }
            found = _remember(self._ordinary_weeks, day, not special and len(offsets) == 1)
        return found

    def _local_day(self, at: datetime) -> int:
        return at.astimezone(self.timezone).toordinal()

    def _datetime(self, t: int) -> datetime:
        return (_EPOCH + t * _US).astimezone(self.timezone)


def _micros(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; ValueError for a naive one."""
    try:
        return (at - _EPOCH) // _US
    except TypeError:
        raise ValueError(f"aware datetime required, got {at!r}") from None


def _remember(cache: dict[int, _V], key: int, value: _V) -> _V:
    """Store `value` in a bounded cache, forgetting the oldest entry when it is full."""
    if len(cache) >= CACHE_DAYS:
        cache.pop(next(iter(cache)), None)
    cache[key] = value
    return value


def _overlap(spans: Iterable[Span], t0: int, t1: int) -> int:
    return sum(max(0, min(e, t1) - max(s, t0)) for s, e in spans)


def _nothing_until(day: int) -> ValueError:
    until = date.fromordinal(min(day, _LAST_DAY))
    return ValueError(f"the calendar has no business time left before {until.isoformat()}")


# ---------------------------------------------------------------------------------------------
# reading a definition

Week = list[list[tuple[timedelta, timedelta]]]
Parts = tuple[ZoneInfo, Week, list[date], list[date]]


def _read(definition: Any, pointer: str) -> Parts:
    """The constructor's arguments from a definition, or DefinitionError listing every problem."""
    errors: Errors = {}
    if not isinstance(definition, Mapping):
        errors[pointer] = [
            "Write the calendar as an object with timezone, hours, holidays and workdays."
        ]
        raise_if(errors)
    for key in definition:
        if key not in SETTINGS:
            _add(
                errors,
                _join(pointer, str(key)),
                "Unknown calendar setting; use timezone, hours, holidays or workdays.",
            )
    zone = _zone(definition.get("timezone", "UTC"), f"{pointer}/timezone", errors)
    week = _hours(definition.get("hours", _ALWAYS), f"{pointer}/hours", errors)
    holidays = _dates(definition.get("holidays", []), f"{pointer}/holidays", errors)
    workdays = _dates(definition.get("workdays", []), f"{pointer}/workdays", errors)
    for day, where in workdays.items():
        if day in holidays:
            _add(
                errors,
                where,
                f"{day.isoformat()} is also listed as a holiday; keep it in one of the two lists.",
            )
    if workdays and not week[0] and not any(p.startswith(f"{pointer}/hours") for p in errors):
        _add(
            errors,
            f"{pointer}/workdays",
            "Make-up working days work Monday's hours, but Monday has none.",
        )
    raise_if(errors)
    assert zone is not None  # an unknown zone is an error, raised above
    return zone, week, list(holidays), list(workdays)


_ALWAYS = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def _zone(name: Any, pointer: str, errors: Errors) -> ZoneInfo | None:
    try:
        if isinstance(name, str) and name:
            return ZoneInfo(name)
    except _BAD_ZONE:
        pass
    _add(
        errors,
        pointer,
        "Unknown time zone; write an IANA name such as Asia/Shanghai or Europe/Berlin.",
    )
    return None


def _hours(hours: Any, pointer: str, errors: Errors) -> Week:
    """Seven lists (Monday first) of the intervals `hours` gives each weekday."""
    week: Week = [[] for _ in WEEKDAYS]
    if not isinstance(hours, Mapping):
        _add(
            errors,
            pointer,
            "Write hours as an object of weekdays (mon … sun), each a list of "
            '[start, end] times, e.g. {"mon": [["09:00", "18:00"]]}.',
        )
        return week
    for key, intervals in hours.items():
        if key in WEEKDAYS:
            week[WEEKDAYS.index(key)] = _intervals(intervals, f"{pointer}/{key}", errors)
        else:
            _add(
                errors,
                _join(pointer, str(key)),
                "Unknown weekday; use mon, tue, wed, thu, fri, sat or sun.",
            )
    if not any(week) and not any(p.startswith(pointer) for p in errors):
        _add(errors, pointer, "The calendar has no working hours.")
    return week


def _intervals(value: Any, pointer: str, errors: Errors) -> list[tuple[timedelta, timedelta]]:
    """One weekday's intervals: ascending, each non-empty, none overlapping the one before."""
    found: list[tuple[timedelta, timedelta]] = []
    if not isinstance(value, list):
        _add(errors, pointer, 'Write a list of [start, end] pairs, e.g. [["09:00", "12:00"]].')
        return found
    for index, pair in enumerate(value):
        where = f"{pointer}/{index}"
        if not isinstance(pair, list) or len(pair) != 2:
            _add(errors, where, 'Write an interval as [start, end], e.g. ["09:00", "18:00"].')
            continue
        start = _clock(pair[0], f"{where}/0", errors, is_end=False)
        end = _clock(pair[1], f"{where}/1", errors, is_end=True)
        if start is None or end is None:
            continue
        if end <= start:
            _add(errors, f"{where}/1", "The end must be later than the start.")
        elif found and start < found[-1][1]:
            _add(
                errors,
                f"{where}/0",
                "This interval starts before the previous one ends; "
                "list the intervals in order, without overlaps.",
            )
        else:
            found.append((start, end))
    return found


def _clock(value: Any, pointer: str, errors: Errors, *, is_end: bool) -> timedelta | None:
    """A wall-clock time HH:MM as the offset from midnight; 24:00 only as an end."""
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        _add(errors, pointer, "Write a time as HH:MM (24 hours), e.g. 09:00 or 18:30.")
        return None
    if value == "24:00" and not is_end:
        _add(errors, pointer, "An interval cannot start at 24:00; start it at 00:00.")
        return None
    hours, minutes = value.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _dates(value: Any, pointer: str, errors: Errors) -> dict[date, str]:
    """The dates of a list, each with its pointer."""
    found: dict[date, str] = {}
    if not isinstance(value, list):
        _add(errors, pointer, 'Write a list of dates, e.g. ["2026-10-01", "2026-10-02"].')
        return found
    for index, text in enumerate(value):
        day = _iso_date(text)
        if day is None:
            _add(errors, f"{pointer}/{index}", "Write a real date as YYYY-MM-DD, e.g. 2026-10-01.")
        else:
            found.setdefault(day, f"{pointer}/{index}")
    return found


def _iso_date(text: Any) -> date | None:
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _add(errors: Errors, pointer: str, message: str) -> None:
    errors.setdefault(pointer, []).append(message)


def _join(pointer: str, key: str) -> str:
    """`pointer` extended by one key, escaped as RFC 6901 says."""
    return f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
