"""The ticket list query: filters, keyset pagination on (created_at DESC, id DESC), capped counts.

Statements are plain SQLAlchemy Core, one for both backends: the custom-field expressions
(`app.tickets.fields`) compile to `data ->> 'f'` on PostgreSQL, matching the per-field indexes
exactly, and to JSON1 on SQLite. `list_statement` is what `list_tickets` runs and what
`bench/list_bench.py` measures (figures in bench/README.md).

- Equality, number, prefix and boolean filters: one `ORDER BY created_at DESC, id DESC LIMIT n`
  statement; the planner picks the per-field index or the created_at walk.
- Date ranges: a probe of the newest candidates, else every match sorted (one statement; see
  `_date_range_statement`), because dates follow creation time and fool the walk.
- Counts: capped at `cap + 1` rows, and answered from the planner's estimate when that is far
  above the cap.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.tickets.errors import BadCursor, BadFilter
from app.tickets.fields import FieldFlag, FieldNumber, FieldText, check_field_name
from app.tickets.models import Ticket

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
UNASSIGNED = "unassigned"
COUNT_CAP = 1000  # counts stop here: "1,000+" is shown instead of counting further


# ---------------------------------------------------------------------------------------------
# Filters


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
    """start ≤ field ≤ end on ISO-8601 text (`2026-11-01`); either bound may be None."""

    field: str
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class TextPrefix:
    """The field's text starts with `prefix` (case-sensitive, code-point order)."""

    field: str
    prefix: str


@dataclass(frozen=True)
class FlagIs:
    """The boolean field is `value` (absent fields match neither true nor false)."""

    field: str
    value: bool


FieldFilter = EnumIs | NumberRange | DateRange | TextPrefix | FlagIs


@dataclass(frozen=True)
class TicketFilters:
    """What a list page shows. `department_ids` is the caller's scope: None = every department."""

    template: str | None = None
    states: tuple[str, ...] | None = None
    department_ids: Collection[int] | None = None
    assignee: int | Literal["unassigned"] | None = None
    fields: tuple[FieldFilter, ...] = ()


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


class _PatternCompare(ColumnElement[bool]):
    """`expr ~>=~ bound` / `expr ~<~ bound` on PostgreSQL (text_pattern_ops); >= / < elsewhere."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # no "= 1" appended on SQLite
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("bound", InternalTraversal.dp_clauseelement),
        ("below", InternalTraversal.dp_boolean),
    ]

    def __init__(self, expr: ColumnElement[Any], bound: str, below: bool) -> None:
        self.expr = expr
        self.bound = literal(bound)
        self.below = below


@compiles(_PatternCompare, "postgresql")
def _pg_pattern(element: _PatternCompare, compiler: SQLCompiler, **kw: Any) -> str:
    op = "~<~" if element.below else "~>=~"
    return f"{compiler.process(element.expr, **kw)} {op} {compiler.process(element.bound, **kw)}"


@compiles(_PatternCompare)
def _pattern(element: _PatternCompare, compiler: SQLCompiler, **kw: Any) -> str:
    op = "<" if element.below else ">="
    return f"{compiler.process(element.expr, **kw)} {op} {compiler.process(element.bound, **kw)}"


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
        parts.append(expr <= f.end)
    return and_(*parts) if parts else expr.is_not(None)


def _prefix(f: TextPrefix, data: ColumnElement[Any]) -> ColumnElement[bool]:
    expr = FieldText(f.field, data)
    if not f.prefix:
        return expr.is_not(None)
    upper = prefix_successor(f.prefix)
    lower = _PatternCompare(expr, f.prefix, below=False)
    return lower if upper is None else and_(lower, _PatternCompare(expr, upper, below=True))


def _flag(f: FlagIs, data: ColumnElement[Any]) -> ColumnElement[bool]:
    return FieldFlag(f.field, data) == ("true" if f.value else "false")


FIELD_FILTERS: dict[type, Callable[[Any, ColumnElement[Any]], ColumnElement[bool]]] = {
    EnumIs: _enum,
    NumberRange: _number,
    DateRange: _date,
    TextPrefix: _prefix,
    FlagIs: _flag,
}


def field_condition(f: FieldFilter, data: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """The WHERE clause of one custom-field filter over `data` (default `ticket.data`)."""
    handler = FIELD_FILTERS.get(type(f))
    if handler is None:
        raise BadFilter(f"Unknown filter {f!r}.")
    check_field_name(f.field)
    return handler(f, Ticket.__table__.c.data if data is None else data)


def conditions(
    filters: TicketFilters, fields: bool | Callable[[FieldFilter], bool] = True
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter set: system columns, then the custom fields `fields` keeps."""
    where: list[ColumnElement[bool]] = []
    if filters.template is not None:
        where.append(Ticket.template == filters.template)
    if filters.states is not None:
        states = list(filters.states)
        where.append(Ticket.state == states[0] if len(states) == 1 else Ticket.state.in_(states))
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
    for f in filters.fields:
        if fields is True or (callable(fields) and fields(f)):
            where.append(field_condition(f))
    return where


# ---------------------------------------------------------------------------------------------
# Cursors


def encode_cursor(created_at: datetime, ticket_id: int) -> str:
    """An opaque cursor for the position after (created_at, id)."""
    raw = json.dumps([created_at.isoformat(), ticket_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) a cursor stands for; BadCursor when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, ticket_id = json.loads(raw)
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise ValueError("id")
        return datetime.fromisoformat(stamp), ticket_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("Not a valid page cursor.") from exc


# ---------------------------------------------------------------------------------------------
# Statements


# How many of the newest candidate rows a date-range page looks at before it collects every
# match (see `_date_range_statement`).
PROBE_ROWS = 5000


def _is_date(f: FieldFilter) -> bool:
    return isinstance(f, DateRange)


def _rows(n: int) -> ColumnElement[int]:
    # LIMIT as a literal: a generic prepared plan then still knows it is a small page.
    return literal_column(str(int(n)), Integer)


def list_statement(
    filters: TicketFilters, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> Select[Ticket]:
    """The SELECT of one list page: `limit + 1` rows so the caller knows if there is a next."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadFilter(f"limit must be between 1 and {MAX_LIMIT}.")
    keyset: list[ColumnElement[bool]] = []
    if after is not None:
        created_at, ticket_id = decode_cursor(after)
        position = (
            bindparam("after_created_at", created_at, type_=Ticket.created_at.type),
            bindparam("after_id", ticket_id, type_=Ticket.id.type),
        )
        keyset.append(tuple_(Ticket.created_at, Ticket.id) < tuple_(*position))
    if any(_is_date(f) for f in filters.fields):
        return _date_range_statement(filters, keyset, limit)
    return (
        select(Ticket)
        .where(*conditions(filters), *keyset)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(_rows(limit + 1))
    )


def _date_range_statement(
    filters: TicketFilters, keyset: list[ColumnElement[bool]], limit: int
) -> Select[Ticket]:
    """A date-range page in one statement: probe the newest rows, else collect every match.

    Dates tend to follow creation time, so walking the created_at order until `limit` matches
    turn up may read most of a template when the window is old (STACK.md: p95 240-288 ms).
    Collecting the matches through the field index and sorting them costs what they number
    (~1 µs each): right for narrow windows, slow for wide ones. So: `probe` checks the
    `PROBE_ROWS` newest candidates (those passing every other filter); if `limit + 1` of them
    match, they are the page (recent windows, wide or narrow). Only otherwise does `matches`
    run (its one-time filter skips it when the probe sufficed).
    """
    others = conditions(filters, fields=lambda f: not _is_date(f))
    dates = [f for f in filters.fields if _is_date(f)]
    newest = (Ticket.created_at.desc(), Ticket.id.desc())
    recent = (
        select(Ticket.id, Ticket.created_at, Ticket.data)
        .where(*others, *keyset)
        .order_by(*newest)
        .limit(_rows(PROBE_ROWS))
        .subquery("recent")
    )
    probe = (
        select(recent.c.id, recent.c.created_at)
        .where(*(field_condition(f, recent.c.data) for f in dates))
        .order_by(recent.c.created_at.desc(), recent.c.id.desc())
        .limit(_rows(limit + 1))
        .cte("probe")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    found = select(func.count()).select_from(probe).scalar_subquery()
    matches = (
        select(Ticket.id, Ticket.created_at)
        .where(*others, *(field_condition(f) for f in dates), *keyset, found <= limit)
        .cte("matches")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    collected = (
        select(matches.c.id)
        .order_by(matches.c.created_at.desc(), matches.c.id.desc())
        .limit(_rows(limit + 1))
        .subquery("collected")
    )
    page = union_all(
        select(probe.c.id).where(found > limit),
        select(collected.c.id),
    )
    return select(Ticket).where(Ticket.id.in_(page)).order_by(*newest)


def count_statement(filters: TicketFilters, cap: int) -> Select[int]:
    """SELECT count(*) over at most `cap + 1` matching rows (never an unbounded count)."""
    capped = (
        select(literal(1).label("one"))
        .select_from(Ticket)  # custom-field conditions alone name no table
        .where(*conditions(filters))
        .limit(_rows(cap + 1))
    )
    return select(func.count()).select_from(capped.subquery("capped"))


@dataclass(frozen=True)
class TicketPage:
    """One page of tickets, newest first, and the cursor of the next page (None: last page)."""

    tickets: Sequence[Ticket]
    next_cursor: str | None


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def list_tickets(
    filters: TicketFilters,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    session: Session | None = None,
) -> TicketPage:
    """One page of tickets matching `filters`, after the cursor `after` (None: first page)."""
    rows = list(_session(session).scalars(list_statement(filters, after, limit)))
    if len(rows) <= limit:
        return TicketPage(rows, None)
    rows = rows[:limit]
    return TicketPage(rows, encode_cursor(rows[-1].created_at, rows[-1].id))


# count_tickets answers "more than cap" from the planner's estimate when it exceeds the cap this
# many times over (estimates with the per-field statistics are within 1.0-1.6x, STACK.md).
ESTIMATE_MARGIN = 10


def count_tickets(
    filters: TicketFilters, cap: int = COUNT_CAP, session: Session | None = None
) -> tuple[int, bool]:
    """(number of matching tickets up to `cap`, whether there are more than `cap`).

    Never an unbounded count: a LIMIT-capped subquery, skipped on PostgreSQL when the planner
    expects far more than `cap` rows (a LIMIT-ed scan can still read half the table when the
    matches sit together in an old part of it).
    """
    if cap < 1:
        raise BadFilter("cap must be at least 1.")
    s = _session(session)
    estimate = estimate_tickets(filters, s)
    if estimate is not None and estimate > cap * ESTIMATE_MARGIN:
        return cap, True
    n = int(s.scalar(count_statement(filters, cap)) or 0)
    return (cap, True) if n > cap else (n, False)


def estimate_tickets(filters: TicketFilters, session: Session | None = None) -> int | None:
    """PostgreSQL's row estimate for the filters (about 1 ms); None on other databases."""
    conn = _session(session).connection()
    if conn.dialect.name != "postgresql":
        return None
    statement = select(literal(1)).select_from(Ticket).where(*conditions(filters))
    plan: Any = conn.exec_driver_sql(
        *_driver_sql(conn, statement, "EXPLAIN (FORMAT JSON) ")
    ).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _driver_sql(
    conn: Connection, statement: ClauseElement, prefix: str
) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    return prefix + str(compiled), dict(compiled.params)


def explain(conn: Connection, statement: ClauseElement, analyze: bool = False) -> str:
    """PostgreSQL's plan for a statement of this module (for benchmarks, tests and debugging)."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    rows = conn.exec_driver_sql(*_driver_sql(conn, statement, prefix)).scalars()
    return "\n".join(str(row) for row in rows)
