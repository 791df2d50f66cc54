"""Moments typed in a person's time zone ↔ the RFC 3339 values a schema stores.

Native ``datetime-local`` and ``time`` inputs (and the alt-datetime selects) know no time
zone: what a person types is wall-clock time in their zone, which the app passes to the form
(``Form(timezone=...)``; UTC when none is given). On the way in a ``date-time`` becomes UTC
(``2024-05-01T02:30:00Z``, as RJSF's ``localToUTC``) and a ``time`` gets the zone's offset
(``09:15:00+08:00``, as RJSF's time widget); on the way out a stored value is shown in the
person's zone. A time of day has no date, so its offset is the one the zone has today.

The alt-date and alt-datetime widgets (RJSF's AltDateWidget) post one select per part, in
the order they are shown (``part_order``); the server puts the parts together.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Node(Protocol):
    """What these rules read of a form node (forms.nodes, which asks ``is_local`` in turn)."""

    @property
    def kind(self) -> str: ...
    @property
    def input_type(self) -> Any: ...
    @property
    def widget(self) -> Any: ...
    @property
    def options(self) -> Any: ...

DATE_TIME = "date-time"
TIME = "time"

# what the inputs post: no zone, seconds and fraction optional
_LOCAL = {
    DATE_TIME: re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?"),
    TIME: re.compile(r"\d\d:\d\d(:\d\d(\.\d+)?)?"),
}
_OFFSET = r"([Zz]|[+-]\d\d:\d\d)"
# what a schema stores (RFC 3339); a time may lack its offset (RJSF's older widget wrote none)
_STORED = {
    DATE_TIME: re.compile(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d(?:\.\d+)?)" + _OFFSET),
    TIME: re.compile(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)" + _OFFSET + "?"),
}


def zone_of(value: str | tzinfo | None) -> ZoneInfo:
    """The zone named by an IANA name or a tzinfo (zoneinfo, pytz); UTC when unknown."""
    name = value if isinstance(value, str) else _name_of(value)
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _name_of(zone: tzinfo | None) -> str | None:
    if zone is None:
        return None
    for attribute in ("key", "zone"):  # zoneinfo, pytz
        name = getattr(zone, attribute, None)
        if isinstance(name, str):
            return name
    return "UTC" if zone.utcoffset(None) == timedelta(0) else None


_KINDS = {"datetime-local": DATE_TIME, "time": TIME}  # input type → what it reads


def local_kind(node: Node) -> str | None:
    """``date-time`` or ``time`` when the node's inputs take wall-clock time; else None."""
    return _KINDS.get(node.input_type) if node.kind == "text" else None


def is_local(input_type: str, value: str) -> bool:
    """Whether an input of ``input_type`` would read ``value`` as wall-clock time.

    Such a stored value (a date-time without its offset) cannot be posted as is: it would
    come back as another value, so ``encode`` writes it as JSON text instead.
    """
    kind = _KINDS.get(input_type)
    return kind is not None and _LOCAL[kind].fullmatch(value) is not None


def from_local(kind: str, text: str, zone: ZoneInfo) -> str:
    """The stored value of what a person typed in ``zone``; other text is returned as is."""
    if not _LOCAL[kind].fullmatch(text):
        return text  # a whole RFC 3339 value (an API post, ``Form.encode``) or a typo
    try:
        if kind == TIME:
            moment = datetime.combine(_today(zone), time.fromisoformat(text), zone)
            return _clock(moment.time()) + _offset(moment.utcoffset())
        local = datetime.fromisoformat(text[:10] + "T" + text[11:])
        moment = local.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):  # 25:00, month 13, year 1 before UTC: the schema says
        return text
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{_clock(moment.time())}Z"


def to_local(kind: str, value: str, zone: ZoneInfo) -> str:
    """What the input shows for a stored value: wall-clock time in ``zone``.

    Seconds are left out when they are zero (as RJSF's time widget shows them); a value
    that is no RFC 3339 ``date-time``/``time`` is shown as is.
    """
    if _LOCAL[kind].fullmatch(value):
        return _local_shown(kind, value)
    match = _STORED[kind].fullmatch(value)
    if match is None:
        return value
    try:
        if kind == TIME:
            clock = time.fromisoformat(match.group(1))
            if match.group(2) is None:
                return _shown(clock)
            moment = datetime.combine(_today(zone), clock, _fixed(match.group(2)))
            return _shown(moment.astimezone(zone).time())
        moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
        moment = moment.replace(tzinfo=_fixed(match.group(3))).astimezone(zone)
    except (ValueError, OverflowError):  # 23:59:60 (a leap second), year 0 after the shift
        return value
    return moment.date().isoformat() + "T" + _shown(moment.time())


def _local_shown(kind: str, text: str) -> str:
    """Wall-clock text (no offset) as the input shows it: zero seconds left out."""
    try:
        if kind == TIME:
            return _shown(time.fromisoformat(text))
        return text[:10] + "T" + _shown(time.fromisoformat(text[11:]))
    except ValueError:  # 25:00: shown as typed, the schema says what is wrong
        return text


# RJSF's AltDateWidget: year, month, day (ordered by ``ui:options.format``), then the time
PARTS = ("year", "month", "day", "hour", "minute", "second")
DATE_PARTS = {"alt-date": 3, "alt-datetime": 6}  # widget → how many selects
_ORDERS = {"YMD": (0, 1, 2), "MDY": (1, 2, 0), "DMY": (2, 1, 0)}


def part_order(node: Node) -> list[int]:
    """Positions in ``PARTS`` of the selects an alt-date node shows, in the order shown."""
    count = DATE_PARTS.get(str(node.widget), 3)
    order = _ORDERS.get(str(node.options.get("format", "YMD")), _ORDERS["YMD"])
    return [*order, *range(3, count)]


def in_part_order(node: Node, posted: list[str]) -> list[str]:
    """The posted parts (in the order shown) as year, month, day[, hour, minute, second]."""
    out = [""] * len(posted)
    for shown, position in enumerate(part_order(node)[: len(posted)]):
        out[position] = posted[shown]
    return out


def unquoted(text: str) -> str:
    """A value the form carries as JSON text (one its inputs would misread) as plain text.

    A date-time or time input cannot show JSON text: it shows the value, which is read back
    as typed (so a stored value without its offset comes back unchanged, still invalid).
    """
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, str):
            return value
    return text


def label(zone: ZoneInfo) -> str:
    """The zone's name as shown beside an input (``Asia/Shanghai``)."""
    return zone.key


def _today(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def _fixed(offset: str) -> tzinfo:
    if offset in ("Z", "z"):
        return UTC
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    if minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def _clock(value: time) -> str:
    """HH:MM:SS with the fraction typed (RFC 3339 needs the seconds)."""
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")


def _shown(value: time) -> str:
    """HH:MM, or HH:MM:SS(.fff) when there are seconds (what the inputs accept)."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text
