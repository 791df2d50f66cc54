"""The WHERE clauses of a ticket list's filters (SQLAlchemy Core, one for both backends).

`app.tickets.filters` says what a list shows (plain frozen dataclasses); this module turns that
into conditions, and `app.tickets.query` into statements, pages and counts. One handler per
custom-field filter kind, gathered in `FIELD_FILTERS`. Each handler reads the field through
`app.tickets.fields`, so the SQL matches the per-field index of its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, and_, bindparam, false, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from app.tickets.errors import BadFilter
from app.tickets.fields import FieldFlag, FieldNumber, FieldText, check_field_name
from app.tickets.filters import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    FieldFilter,
    FlagIs,
    NumberRange,
    Search,
    SlaDue,
    TextContains,
    TextPrefix,
    TicketFilters,
    TimeRange,
    as_decimal,
)
from app.tickets.models import Ticket
from app.tickets.search import SEPARATOR, pattern


class _PatternCompare(ColumnElement[bool]):
    """`expr ~op~ bound` on PostgreSQL (text_pattern_ops: byte-wise); `expr op bound` elsewhere.

    SQLite compares text byte-wise (BINARY) already; UTF-8 byte order is code-point order.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # no "= 1" appended on SQLite
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("bound", InternalTraversal.dp_clauseelement),
        ("comparison", InternalTraversal.dp_string),
    ]

    def __init__(self, expr: ColumnElement[Any], bound: Any, comparison: str) -> None:
        if comparison not in PATTERN_OPS:
            raise ValueError(f"not a comparison: {comparison!r}")
        self.expr = expr
        self.bound = bound if isinstance(bound, ColumnElement) else literal(bound)
        self.comparison = comparison


PATTERN_OPS = ("<", "<=", ">", ">=")


def pattern_compare(expr: ColumnElement[Any], op: str, bound: Any) -> ColumnElement[bool]:
    """`expr op bound` in byte-wise text order, as the text fields' prefix index reads it."""
    return _PatternCompare(expr, bound, op)


@compiles(_PatternCompare, "postgresql")
def _pg_pattern(element: _PatternCompare, compiler: SQLCompiler, **kw: Any) -> str:
    expr, bound = compiler.process(element.expr, **kw), compiler.process(element.bound, **kw)
    return f"{expr} ~{element.comparison}~ {bound}"


@compiles(_PatternCompare)
def _pattern(element: _PatternCompare, compiler: SQLCompiler, **kw: Any) -> str:
    expr, bound = compiler.process(element.expr, **kw), compiler.process(element.bound, **kw)
    return f"{expr} {element.comparison} {bound}"


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code == 0xD800:
            code = 0xE000  # skip surrogates: they never appear in stored text
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _enum(f: EnumIs, data: ColumnElement[Any]) -> ColumnElement[bool]:
    expr = FieldText(f.field, data)
    if not f.values:
        return false()
    if len(f.values) == 1:
        return expr == f.values[0]
    return expr.in_(list(f.values))


def _number(f: NumberRange, data: ColumnElement[Any]) -> ColumnElement[bool]:
    expr = FieldNumber(f.field, data)
    low, high = as_decimal(f.low), as_decimal(f.high)
    parts = []
    if low is not None:
        parts.append(expr >= low)
    if high is not None:
        parts.append(expr <= high)
    return and_(*parts) if parts else expr.is_not(None)


def _date(f: DateRange, data: ColumnElement[Any]) -> ColumnElement[bool]:
    expr = FieldText(f.field, data)
    parts = []
    if f.start:
        parts.append(expr >= f.start)
    if f.end:
        after = None if f.whole_days else _next_day(f.end)
        # "to 2026-11-20" takes in the whole day: 2026-11-20T23:59Z sorts after "2026-11-20"
        parts.append(expr <= f.end if after is None else expr < after)
    return and_(*parts) if parts else expr.is_not(None)


def _next_day(text: str) -> str | None:
    """The ISO date after a bare ISO date (`2026-11-20` → `2026-11-21`); None otherwise."""
    if len(text) != 10:
        return None
    try:
        return (date.fromisoformat(text) + timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        return None


def _prefix(f: TextPrefix, data: ColumnElement[Any]) -> ColumnElement[bool]:
    expr = FieldText(f.field, data)
    if not f.prefix:
        return expr.is_not(None)
    upper = prefix_successor(f.prefix)
    lower = pattern_compare(expr, ">=", f.prefix)
    return lower if upper is None else and_(lower, pattern_compare(expr, "<", upper))


LIKE_ESCAPE = "/"


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards (and the escape character) in `text` made literal."""
    for char in (LIKE_ESCAPE, "%", "_"):  # the escape character first
        text = text.replace(char, LIKE_ESCAPE + char)
    return f"%{text}%"


def _contains(f: TextContains, data: ColumnElement[Any]) -> ColumnElement[bool]:
    if "\x00" in f.text:
        raise BadFilter("Search text cannot contain NUL characters.")
    expr = FieldText(f.field, data)
    if not f.text:
        return expr.is_not(None)
    # ILIKE on PostgreSQL; lower(...) LIKE lower(...) on SQLite (ASCII folding only there).
    # The pattern is rendered into the SQL text (quoted by SQLAlchemy), not bound: the planner
    # estimates a pattern from the index's histogram, which a prepared statement's generic
    # plan cannot do (it assumes 0.5 % for every pattern; bench/README.md, text contains).
    pattern = bindparam(None, like_pattern(f.text), type_=String(), literal_execute=True)
    return expr.ilike(pattern, escape=LIKE_ESCAPE)


def _flag(f: FlagIs, data: ColumnElement[Any]) -> ColumnElement[bool]:
    return FieldFlag(f.field, data) == ("true" if f.value else "false")


FIELD_FILTERS: dict[type, Callable[[Any, ColumnElement[Any]], ColumnElement[bool]]] = {
    EnumIs: _enum,
    NumberRange: _number,
    DateRange: _date,
    TextPrefix: _prefix,
    TextContains: _contains,
    FlagIs: _flag,
}


def field_condition(f: FieldFilter, data: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """The WHERE clause of one custom-field filter over `data` (default `ticket.data`)."""
    handler = FIELD_FILTERS.get(type(f))
    if handler is None:
        raise BadFilter(f"Unknown filter {f!r}.")
    check_field_name(f.field)
    return handler(f, Ticket.__table__.c.data if data is None else data)


def _any_of(column: Any, values: tuple[str, ...]) -> ColumnElement[bool]:
    if not values:
        return false()
    return column == values[0] if len(values) == 1 else column.in_(list(values))


def _time_range(column: Any, found: TimeRange) -> list[ColumnElement[bool]]:
    parts = []
    if found.start is not None:
        parts.append(column >= found.start)
    if found.before is not None:
        parts.append(column < found.before)
    return parts


def _sla_due(due: SlaDue) -> ColumnElement[bool]:
    before = due.before.astimezone(UTC)  # stored in UTC: SQLite compares the wall time
    parts = [
        and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at < before),
        Ticket.resolution_due_at < before,
    ]
    if due.alerted:
        parts += [Ticket.sla_warned_at.is_not(None), Ticket.sla_breached_at.is_not(None)]
    return or_(*parts)


def search_condition(search: Search) -> ColumnElement[bool] | None:
    """`search_text LIKE` the term's pattern (`app.tickets.search`); None for a blank term.

    The pattern is rendered into the SQL text, as for `_contains`: the planner then estimates
    it from the column's statistics and picks the trigram index for rare terms, the sort's
    index for common ones.
    """
    if "\x00" in search.text:
        raise BadFilter("Search text cannot contain NUL characters.")
    found = pattern(search.text, search.mode)
    if found is None:
        return None
    term, prefix = found
    text = like_pattern(term)  # "%term%", wildcards in the term made literal
    if prefix:
        text = "%" + SEPARATOR + text[1:]
    bound = bindparam(None, text, type_=String(), literal_execute=True)
    return Ticket.search_text.like(bound, escape=LIKE_ESCAPE)


def conditions(
    filters: TicketFilters, fields: bool | Callable[[FieldFilter], bool] = True
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter set: system columns, then the custom fields `fields` keeps."""
    where: list[ColumnElement[bool]] = []
    if filters.template is not None:
        where.append(Ticket.template == filters.template)
    if filters.states is not None:
        where.append(_any_of(Ticket.state, filters.states))
    if filters.categories is not None:
        where.append(_any_of(Ticket.category, filters.categories))
    if filters.priorities is not None:
        where.append(_any_of(Ticket.priority, filters.priorities))
    if filters.created is not None:
        where += _time_range(Ticket.created_at, filters.created)
    if filters.updated is not None:
        where += _time_range(Ticket.updated_at, filters.updated)
    if filters.search is not None:
        searched = search_condition(filters.search)
        if searched is not None:
            where.append(searched)
    if filters.sla_due is not None:
        where.append(_sla_due(filters.sla_due))
    if filters.department_ids is not None:
        ids = sorted(set(filters.department_ids))
        if not ids:
            where.append(false())
        else:
            where.append(
                Ticket.department_id == ids[0] if len(ids) == 1 else Ticket.department_id.in_(ids)
            )
    if filters.assignee == UNASSIGNED:
        where.append(Ticket.assignee_id.is_(None))
    elif filters.assignee is not None:
        if not isinstance(filters.assignee, int) or isinstance(filters.assignee, bool):
            raise BadFilter(f"Assignee must be a user id or {UNASSIGNED!r}.")
        where.append(Ticket.assignee_id == filters.assignee)
    if filters.created_by is not None:
        where.append(Ticket.created_by_id == filters.created_by)
    for f in filters.fields:
        if fields is True or (callable(fields) and fields(f)):
            where.append(field_condition(f))
    return where
