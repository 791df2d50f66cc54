"""ISO 8601 durations of fixed length: weeks, days, hours, minutes and seconds.

`P[nW][nD][T[nH][nM][nS]]` with whole numbers, seconds with an optional fraction (down to the
microsecond). A day is 24 hours and a week 7 days; years and months are refused because their
length depends on the date they start from. Whether the time counts as calendar or business
time is up to the caller.
"""

from __future__ import annotations

import re
from datetime import timedelta

from workflows.errors import DefinitionError

EXAMPLE = "Write a duration like PT4H (4 hours) or P3D (3 days)."

_FIXED = re.compile(
    r"P(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<H>\d+)H)?(?:(?P<M>\d+)M)?(?:(?P<S>\d+)(?:[.,](?P<F>\d+))?S)?)?",
    re.ASCII,
)
# Anything shaped like an ISO duration, to say precisely what is wrong with the rest.
_LOOSE = re.compile(
    r"P(?P<date>(?:\d+(?:[.,]\d+)?[YMWD])*)(?:T(?P<time>(?:\d+(?:[.,]\d+)?[HMS])*))?", re.ASCII
)
_UNITS = {
    "W": timedelta(weeks=1),
    "D": timedelta(days=1),
    "H": timedelta(hours=1),
    "M": timedelta(minutes=1),
}
_MAX_FRACTION = 6
_NO_MONTHS = "Months and years have no fixed length; write days instead, e.g. P30D rather than P1M."
_FRACTION = "Only seconds can have a fraction: write PT1H30M rather than PT1.5H."


def parse_duration(text: str, pointer: str = "") -> timedelta:
    """The timedelta an ISO 8601 duration stands for; DefinitionError at `pointer` when bad."""
    if not isinstance(text, str):
        raise DefinitionError({pointer: [f"A duration is a text. {EXAMPLE}"]})
    found = _FIXED.fullmatch(text)
    if found is None or found.group(0) == "P":
        raise DefinitionError({pointer: [_why_wrong(text)]})
    parts = found.groupdict()
    fraction = parts["F"] or ""
    if len(fraction) > _MAX_FRACTION:
        raise DefinitionError(
            {pointer: ["Seconds can have at most 6 decimal places (microseconds)."]}
        )
    try:
        total = sum(
            (int(parts[unit]) * size for unit, size in _UNITS.items() if parts[unit]),
            timedelta(0),
        )
        seconds = int(parts["S"] or 0)
        micros = int(fraction.ljust(_MAX_FRACTION, "0"))
        return total + timedelta(seconds=seconds, microseconds=micros)
    except (OverflowError, ValueError):  # beyond timedelta, or digits past int()'s limit
        raise DefinitionError({pointer: ["This duration is too long."]}) from None


def _why_wrong(text: str) -> str:
    """A plain-English account of what is wrong with `text` and what to write instead."""
    loose = _LOOSE.fullmatch(text.upper())
    date_part = loose.group("date") if loose else ""
    time_part = loose.group("time") if loose else None
    for wrong, message in (
        ("-" in text, f"A duration cannot be negative. {EXAMPLE}"),
        (text.strip() != text, f"Remove the spaces around the duration. {EXAMPLE}"),
        (loose is None, f"This is not a duration. {EXAMPLE}"),
        (text != text.upper(), f"Write the letters of a duration in capitals. {EXAMPLE}"),
        ("Y" in date_part or "M" in date_part, _NO_MONTHS),
        (time_part == "", f"Write at least one number after T, e.g. PT30M. {EXAMPLE}"),
        (not date_part and time_part is None, f"Write at least one number after P. {EXAMPLE}"),
        ("." in text or "," in text, _FRACTION),
    ):
        if wrong:
            return message
    return f"Write the parts in the order weeks, days, T, hours, minutes, seconds. {EXAMPLE}"


def format_duration(td: timedelta) -> str:
    """The ISO 8601 text of a non-negative timedelta: days, then hours, minutes, seconds."""
    if td < timedelta(0):
        raise ValueError("a duration cannot be negative")
    days, micros = td.days, td.seconds * 1_000_000 + td.microseconds
    hours, micros = divmod(micros, 3_600_000_000)
    minutes, micros = divmod(micros, 60_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros:
        clock += f"{seconds}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"
