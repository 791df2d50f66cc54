"""What a ticket list shows: its filters and sort, and the `f.<field>[.op]` query grammar.

Plain data (frozen dataclasses a view or the API builds from its query string);
`app.tickets.conditions` turns them into WHERE clauses, `app.tickets.query` into pages and
counts. `read_field_filters` is the one reader of the custom-field query parameters, for the
API and the list page alike:

    f.<field>=v              equality with an enum value (repeat for any of several)
    f.<field>.min / .max     number range (decimal text: 12, -3.5)
    f.<field>.from / .to     ISO date range (2026-11-01, or a date-time)
    f.<field>.prefix         text prefix (case-sensitive)
    f.<field>.contains       substring (case-insensitive)
    f.<field>.is             boolean: true or false
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from flask_babel import gettext as _

from app.definitions.filterable import FilterSpec
from app.tickets.errors import BadFilter
from app.tickets.fields import check_field_name

UNASSIGNED: Final = "unassigned"


@dataclass(frozen=True)
class EnumIs:
    """The field equals one of `values` (compared as text: `data ->> 'f'`)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class NumberRange:
    """low ≤ field ≤ high (either bound may be None); bounds are Decimals, never floats."""

    field: str
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True)
class DateRange:
    """start ≤ field ≤ end on ISO-8601 text (`2026-11-01`); either bound may be None.

    An `end` that is a bare date includes that whole day, also for date-time values.
    `whole_days`: the caller knows every value is a day (the schema says `format: date`), so a
    window holds few distinct values. On PostgreSQL that lets an old, wide window be paged by
    walking those days instead of sorting every match (`query._day_walk`). The rows are the same
    either way; leave it False for `date-time` fields, whose values are nearly all distinct.
    """

    field: str
    start: str | None = None
    end: str | None = None
    whole_days: bool = False


@dataclass(frozen=True)
class TextPrefix:
    """The field's text starts with `prefix` (case-sensitive, code-point order)."""

    field: str
    prefix: str


@dataclass(frozen=True)
class TextContains:
    """The field's text contains `text`, ignoring case; `%`, `_` and `/` in it are literal.

    PostgreSQL: ILIKE, case folding per the database's LC_CTYPE (C.UTF-8 folds non-ASCII
    letters too); a GIN trigram index (`ix_ticket_ft_<field>`) serves it. SQLite: LIKE, which
    folds ASCII letters only (`É` does not match `é`) unless SQLite is built with ICU.
    """

    field: str
    text: str


@dataclass(frozen=True)
class FlagIs:
    """The boolean field is `value` (absent fields match neither true nor false)."""

    field: str
    value: bool


FieldFilter = EnumIs | NumberRange | DateRange | TextPrefix | TextContains | FlagIs


class Sort(enum.StrEnum):
    """The order of a list page. Ties break on id in the same direction."""

    NEWEST = "newest"  # created_at DESC: the default
    OLDEST = "oldest"  # created_at ASC
    RECENTLY_UPDATED = "recently_updated"  # updated_at DESC
    LEAST_RECENTLY_UPDATED = "least_recently_updated"  # updated_at ASC: untouched longest
    DUE = "due"  # resolution_due_at ASC, tickets without a due time (no SLA, paused) last


@dataclass(frozen=True)
class TicketFilters:
    """What a list page shows, and in which order (`sort`, a Sort or its value).

    `department_ids` is the caller's scope: None = every department. `created_by` keeps the
    tickets one user created (their "Created by me" list, which has no department scope).
    """

    template: str | None = None
    states: tuple[str, ...] | None = None
    department_ids: Collection[int] | None = None
    assignee: int | Literal["unassigned"] | None = None
    created_by: int | None = None
    fields: tuple[FieldFilter, ...] = ()
    sort: Sort | str = Sort.NEWEST


def as_sort(value: Sort | str) -> Sort:
    """The Sort that `value` names; BadFilter for anything else."""
    try:
        return Sort(value)
    except ValueError as exc:
        raise BadFilter(f"Unknown sort {value!r} (one of: {', '.join(Sort)}).") from exc


def as_decimal(value: Any) -> Decimal | None:
    """A number bound as Decimal (a float would bind as float8 and miss the numeric index)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadFilter(f"{value!r} is not a number.")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise BadFilter(f"{value!r} is not a number.") from exc
    if not number.is_finite():
        raise BadFilter(f"{value!r} is not a finite number.")
    return number


# ---------------------------------------------------------------------------------------------
# The query grammar

# No white space in a field name: `FIELD_NAME.match` alone would let a trailing newline through.
FIELD_PARAM = re.compile(r"f\.([^.\s]+)(?:\.(min|max|from|to|prefix|contains|is))?")
# Plain decimal text only: no exponent (1e999999 would overflow the numeric column), no
# spaces, ASCII digits (`\d` would take any script's digits).
NUMBER_TEXT = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_VALUE_CHARS = 500

# The operators each kind of filter input reads (None: `f.<field>` itself, equality).
OPS: dict[str, tuple[str | None, ...]] = {
    "enum": (None,),
    "number": ("min", "max"),
    "date": ("from", "to"),
    "boolean": ("is",),
    "text": ("prefix", "contains"),
}

Given = dict[str | None, list[str]]  # operator → the values of its parameter


def field_param(name: str) -> tuple[str, str | None] | None:
    """(field, operator) of an `f.<field>[.op]` parameter name; None for any other name."""
    match = FIELD_PARAM.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None


def _param(field: str, op: str | None) -> str:
    return f"f.{field}" if op is None else f"f.{field}.{op}"


def _label(field: str, op: str | None, spec: FilterSpec | None) -> str:
    """How a message names a parameter: its field's title too, when the template gives one."""
    return f"{spec.title} ({_param(field, op)})" if spec is not None else _param(field, op)


def _enum(field: str, given: Given, spec: FilterSpec | None) -> list[FieldFilter]:
    values = given.get(None)
    return [] if values is None else [EnumIs(field, tuple(values))]


def _number(field: str, given: Given, spec: FilterSpec | None) -> list[FieldFilter]:
    bounds: dict[str, Decimal] = {}
    for op in ("min", "max"):
        if op in given:
            value = given[op][0]
            if not NUMBER_TEXT.fullmatch(value):
                raise BadFilter(
                    _("%(label)s must be a decimal number, like 12 or -3.5.",
                      label=_label(field, op, spec))
                )
            bounds[op] = Decimal(value)
    if not bounds:
        return []
    return [NumberRange(field, bounds.get("min"), bounds.get("max"))]


def _iso_date(value: str) -> bool:
    """A bare ISO date, or text that starts with one (a date-time)."""
    day = value[:10]
    if not DATE_TEXT.fullmatch(day):
        return False
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def _date(field: str, given: Given, spec: FilterSpec | None) -> list[FieldFilter]:
    bounds: dict[str, str] = {}
    for op in ("from", "to"):
        if op in given:
            value = given[op][0]
            if not _iso_date(value):
                raise BadFilter(
                    _("%(label)s must be an ISO date (YYYY-MM-DD), optionally with a time.",
                      label=_label(field, op, spec))
                )
            bounds[op] = value
    if not bounds:
        return []
    whole_days = spec is not None and spec.whole_days
    return [DateRange(field, bounds.get("from"), bounds.get("to"), whole_days=whole_days)]


def _boolean(field: str, given: Given, spec: FilterSpec | None) -> list[FieldFilter]:
    if "is" not in given:
        return []
    value = given["is"][0]
    if value not in ("true", "false"):
        raise BadFilter(_("%(label)s must be true or false.", label=_label(field, "is", spec)))
    return [FlagIs(field, value == "true")]


def _text(field: str, given: Given, spec: FilterSpec | None) -> list[FieldFilter]:
    found: list[FieldFilter] = []
    if "prefix" in given:
        found.append(TextPrefix(field, given["prefix"][0]))
    if "contains" in given:
        found.append(TextContains(field, given["contains"][0]))
    return found


READERS: dict[str, Callable[[str, Given, FilterSpec | None], list[FieldFilter]]] = {
    "enum": _enum,
    "number": _number,
    "date": _date,
    "boolean": _boolean,
    "text": _text,
}


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    """Every value of a parameter: a MultiDict's list, or a plain mapping's value or list."""
    getlist = getattr(args, "getlist", None)
    found = getlist(name) if callable(getlist) else args[name]
    return [found] if isinstance(found, str) else [str(v) for v in found]


def _check_value(field: str, op: str | None, value: str, spec: FilterSpec | None) -> None:
    if "\x00" in value:
        raise BadFilter(
            _("%(label)s must not contain NUL characters.", label=_label(field, op, spec))
        )
    if len(value) > MAX_VALUE_CHARS:
        raise BadFilter(
            _("%(label)s must be at most %(limit)d characters.",
              label=_label(field, op, spec), limit=MAX_VALUE_CHARS)
        )


def _collect(
    args: Mapping[str, Any], offered: Mapping[str, FilterSpec], form: bool
) -> dict[str, Given]:
    """{field: {operator: values}} of the filter parameters `read_field_filters` reads."""
    found: dict[str, Given] = {}
    for name in args:
        if not name.startswith("f."):
            continue
        parsed = field_param(name)
        if parsed is None:
            if form:
                continue  # not an input of the page's form
            ops = ", ".join(op for kind in OPS.values() for op in kind if op)
            raise BadFilter(
                _("Unknown filter parameter '%(name)s': use f.<field> or f.<field>.<op> "
                  "(op: %(ops)s).", name=name, ops=ops)
            )
        field, op = parsed
        spec = offered.get(field)
        if form and (spec is None or op not in OPS[spec.kind]):
            continue  # the page has no such input (another template's, say)
        check_field_name(field)
        values = _values(args, name)
        if form:
            values = [v for v in values if v]  # an empty input is no filter
            if not values:
                continue
        if op is not None and len(values) > 1:
            raise BadFilter(_("Give %(name)s once.", name=name))
        for value in values:
            _check_value(field, op, value, spec)
        found.setdefault(field, {})[op] = values
    return found


def read_field_filters(
    args: Mapping[str, Any], offered: Iterable[FilterSpec] = (), *, form: bool = False
) -> tuple[FieldFilter, ...]:
    """The custom-field filters of a query string; BadFilter naming the parameter when bad.

    `offered`: the template's filter specs (their kinds, titles and `whole_days`).

    - API (`form=False`): every `f.` parameter, for any field name and any operator; each
      value is taken as given (`f.color=` looks for the empty text); a name outside the
      grammar is refused. Filters come in the order their fields first appear.
    - The list page (`form=True`): only the inputs the page renders, i.e. the fields `offered`
      with their kind's operators; other `f.` parameters (say, of the template shown before)
      are ignored, and an empty input is no filter. Filters come in the order of `offered`.

    Either way an operator other than equality is given once, values are checked the same way
    (decimal text, ISO dates, true/false, no NUL, at most MAX_VALUE_CHARS characters), and the
    bounds of one field's range make one filter.
    """
    specs = {s.name: s for s in offered}
    given = _collect(args, specs, form)
    order = [name for name in specs if name in given] if form else list(given)
    filters: list[FieldFilter] = []
    for field in order:
        spec = specs.get(field)
        kinds = [spec.kind] if form and spec is not None else list(READERS)
        for kind in kinds:
            filters += READERS[kind](field, given[field], spec)
    return tuple(filters)
