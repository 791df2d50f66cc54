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

and the sort (`read_sort`): a system sort's name (`newest`, `oldest`, `priority`, `-priority`,
...), or `f.<field>` / `-f.<field>` for a custom field of the list's template, ascending /
descending.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from flask_babel import gettext as _

from app.definitions.filterable import FilterSpec
from app.limits import MAX_ID
from app.tickets.errors import BadFilter
from app.tickets.fields import check_field_name
from app.tickets.models import Priority
from app.tickets.search import MAX_TERM_CHARS, SearchMode
from workflows import Category

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
    # By priority (low < normal < high < urgent, `Priority`'s order, not the text's), ties
    # newest first (created_at DESC, id DESC) either way (`keyedsort.priority_statement`).
    PRIORITY = "priority"  # low first
    PRIORITY_DESC = "-priority"  # urgent first


@dataclass(frozen=True)
class FieldSort:
    """A list sorted by a custom field of its template (`?sort=f.<field>` / `-f.<field>`).

    `kind` is the field's filter kind (app.definitions.filterable), which says how values
    compare: numbers as numbers, booleans false before true, dates as ISO text, enums and text
    in code-point order (case-sensitive, as "starts with" reads them). Ascending: ties on the
    value newest first; descending is that order reversed. Either way the tickets without a
    value (or with one of another type) come last, newest first when ascending, oldest first
    when descending (app.tickets.fieldsort).
    """

    field: str
    kind: str
    descending: bool = False

    @property
    def value(self) -> str:
        """The sort as the query string gives it: `f.amount` or `-f.amount`."""
        return f"{'-' if self.descending else ''}f.{self.field}"


@dataclass(frozen=True)
class Search:
    """Free-text search: `text` in the tickets' search text (`app.tickets.search`)."""

    text: str
    mode: SearchMode | str = SearchMode.CONTAINS


@dataclass(frozen=True)
class TimeRange:
    """start ≤ stamp < before on a system time stamp (created_at, updated_at); either: None."""

    start: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class SlaDue:
    """The ticket's next SLA target is due before `before`, overdue ones included: the first
    response while none was sent, else the resolution. `alerted`: or its SLA warned or breached.

    Tickets that met their targets keep their due times: combine with `categories`.
    """

    before: datetime
    alerted: bool = False


@dataclass(frozen=True)
class TicketFilters:
    """What a list page shows, and in which order (`sort`, a Sort or its value).

    `department_ids` is the caller's scope: None = every department. `created_by` keeps the
    tickets one user created (their "Created by me" list, which has no department scope).
    `states`, `categories` and `priorities`: any of those (None: any at all).
    """

    template: str | None = None
    states: tuple[str, ...] | None = None
    department_ids: Collection[int] | None = None
    assignee: int | Literal["unassigned"] | None = None
    created_by: int | None = None
    fields: tuple[FieldFilter, ...] = ()
    sort: Sort | FieldSort | str = Sort.NEWEST
    categories: tuple[str, ...] | None = None
    priorities: tuple[str, ...] | None = None
    created: TimeRange | None = None
    updated: TimeRange | None = None
    search: Search | None = None
    sla_due: SlaDue | None = None


def as_sort(value: Sort | str) -> Sort:
    """The Sort that `value` names; BadFilter for anything else."""
    try:
        return Sort(value)
    except ValueError as exc:
        raise BadFilter(
            _("Unknown sort %(sort)r (one of: %(sorts)s, or f.<field> / -f.<field> on a "
              "template's list).", sort=value, sorts=", ".join(Sort))
        ) from exc


def as_order(value: Sort | FieldSort | str) -> Sort | FieldSort:
    """A list's order: a FieldSort as it is, else the Sort `value` names (`as_sort`)."""
    return value if isinstance(value, FieldSort) else as_sort(value)


# `f.<field>` ascending, `-f.<field>` descending (no white space: see FIELD_PARAM).
SORT_FIELD = re.compile(r"(-?)f\.([^.\s]+)")


def read_sort(
    value: str | None, offered: Iterable[FilterSpec] = (), template: str | None = None
) -> Sort | FieldSort:
    """A `sort` parameter: newest when empty, a Sort's name, or `f.<field>` / `-f.<field>`.

    A custom field sorts only a list of one `template`, by a field `offered` (its filterable
    fields, whose kinds say how values compare): BadFilter otherwise, naming the parameter.
    """
    if not value:
        return Sort.NEWEST
    match = SORT_FIELD.fullmatch(value)
    if match is None:
        return as_sort(value)
    field = check_field_name(match.group(2))
    if template is None:
        raise BadFilter(
            _("sort=%(sort)s sorts by a custom field: it needs a template (template=<key>).",
              sort=value)
        )
    spec = next((s for s in offered if s.name == field), None)
    if spec is None:
        raise BadFilter(
            _("sort=%(sort)s: the template %(template)s cannot sort by %(field)s (only by its "
              "top-level enum, number, date, boolean and text fields).",
              sort=value, field=field, template=template)
        )
    return FieldSort(field, spec.kind, descending=match.group(1) == "-")


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


# ---------------------------------------------------------------------------------------------
# The system filters' parameters (the API and the list page read them here)

SYSTEM_PARAMS: Final = (
    "q", "q_mode", "state", "category", "priority", "assignee",
    "created_from", "created_to", "updated_from", "updated_to",
)
"""Query parameters `read_system_filters` reads. Repeatable lists: `state`, `category` and
`priority` (each value may also be comma-separated); any other is given once."""


def _given(args: Mapping[str, Any], name: str) -> str | None:
    """The one non-empty value of a parameter; None when absent or empty; BadFilter if twice."""
    if name not in args:
        return None
    values = [v for v in _values(args, name) if v]
    if len(values) > 1:
        raise BadFilter(_("Give %(name)s once.", name=name))
    return values[0] if values else None


def _listed(args: Mapping[str, Any], name: str, allowed: Iterable[str] | None = None) -> (
    tuple[str, ...] | None
):
    """The values of a list parameter (repeated and/or comma-separated); None when none."""
    if name not in args:
        return None
    found = [p.strip() for v in _values(args, name) for p in v.split(",") if p.strip()]
    if not found:
        return None
    known = None if allowed is None else set(allowed)
    for value in found:
        if "\x00" in value:
            raise BadFilter(_("%(name)s must not contain NUL characters.", name=name))
        if known is not None and value not in known:
            raise BadFilter(
                _("%(name)s must be among: %(known)s.", name=name, known=", ".join(allowed or ()))
            )
    return tuple(dict.fromkeys(found))


def read_assignee(value: str | None, me: int) -> int | Literal["unassigned"] | None:
    """An `assignee` parameter: "me", "unassigned" or a user id; BadFilter for anything else."""
    if value is None:
        return None
    if value == "me":
        return me
    if value == UNASSIGNED:
        return UNASSIGNED
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    raise BadFilter(_("assignee must be a user id, 'me' or 'unassigned'."))


def _stamp(name: str, value: str, end: bool) -> datetime | None:
    """A range bound: an ISO date (a whole day, in UTC) or date-time (UTC when naive).

    `end`: the first instant after the range (None when there is none).
    """
    message = _("%(name)s must be an ISO date (YYYY-MM-DD) or date-time.", name=name)
    if "\x00" in value or len(value) > 64 or not _iso_date(value):
        raise BadFilter(message)
    try:
        if len(value) == 10:
            stamp = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            step = timedelta(days=1)
        else:
            stamp = datetime.fromisoformat(value)
            # In UTC, as stored (SQLite keeps the text of the UTC time, without an offset).
            stamp = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
            step = timedelta(microseconds=1)
    except ValueError as exc:
        raise BadFilter(message) from exc
    if not end:
        return stamp
    try:
        return stamp + step
    except OverflowError:  # the end of the year 9999: every stamp is before it
        return None


def _time_range(args: Mapping[str, Any], column: str) -> TimeRange | None:
    low, high = _given(args, f"{column}_from"), _given(args, f"{column}_to")
    if low is None and high is None:
        return None
    start = _stamp(f"{column}_from", low, end=False) if low is not None else None
    before = _stamp(f"{column}_to", high, end=True) if high is not None else None
    return TimeRange(start, before)


def read_search(args: Mapping[str, Any]) -> Search | None:
    """`q` (the search term) and `q_mode` (contains, the default, or prefix)."""
    mode_text = _given(args, "q_mode") or SearchMode.CONTAINS.value
    if mode_text not in set(SearchMode):
        raise BadFilter(
            _("q_mode must be one of: %(modes)s.", modes=", ".join(m.value for m in SearchMode))
        )
    term = (_given(args, "q") or "").strip()
    if not term:
        return None
    if "\x00" in term:
        raise BadFilter(_("The search text must not contain NUL characters."))
    if len(term) > MAX_TERM_CHARS:
        raise BadFilter(
            _("The search text must be at most %(limit)d characters.", limit=MAX_TERM_CHARS)
        )
    return Search(term, SearchMode(mode_text))


def read_system_filters(
    args: Mapping[str, Any], me: int, base: TicketFilters | None = None
) -> TicketFilters:
    """`base` (default: no filters) with the SYSTEM_PARAMS of a query string; BadFilter if bad.

    `me` is the caller's user id (`assignee=me`). An empty parameter is no filter, on the API
    and the list page alike. Only what the query string gives replaces `base`'s value.
    """
    base = base or TicketFilters()
    found: dict[str, Any] = {
        "search": read_search(args),
        "states": _listed(args, "state"),
        "categories": _listed(args, "category", [c.value for c in Category]),
        "priorities": _listed(args, "priority", [p.value for p in Priority]),
        "assignee": read_assignee(_given(args, "assignee"), me),
        "created": _time_range(args, "created"),
        "updated": _time_range(args, "updated"),
    }
    return replace(base, **{name: v for name, v in found.items() if v is not None})
