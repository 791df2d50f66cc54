"""Pages sorted by a key that is not a ticket column: a custom field, or the priority.

Both page on (key, created_at, id) with a keyed cursor (`app.tickets.fieldsort`), and both
build one statement of a few index walks chained so that each runs only when those before it
ran short (`chained`). `app.tickets.query.list_statement` calls them; the figures are in
bench/README.md ("Custom-field sorts and the priority sort").
"""

from __future__ import annotations

import operator
from datetime import datetime
from functools import reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.selectable import CTE, CompoundSelect

from app.tickets.conditions import conditions
from app.tickets.errors import BadCursor
from app.tickets.fieldsort import (
    ROW_VALUE,
    Position,
    decode_field_cursor,
    decode_keyed_cursor,
    encode_keyed_cursor,
    has_value,
    key_order,
    missing,
    sort_key,
    values_from,
)
from app.tickets.fieldsort import after as after_value
from app.tickets.filters import FieldSort, Sort, TicketFilters
from app.tickets.models import Priority, Ticket


def rows(n: int) -> ColumnElement[int]:
    """LIMIT n as a literal: a generic prepared plan then still knows it is a small page."""
    return literal_column(str(int(n)), Integer)


# ---------------------------------------------------------------------------------------------
# Custom-field sorts


def field_sort_statement(
    filters: TicketFilters, sort: FieldSort, after: str | None, limit: int
) -> Select[Any]:
    """A page sorted by a custom field, in one statement: at most three index walks.

    The order is (value, created_at DESC, id DESC) ascending, its exact reverse descending,
    and the tickets without a value last (`app.tickets.fieldsort`). Each part below reads one
    index range in its own order and stops after `limit + 1` rows:

    1. after a cursor on a value, the rest of that value's tickets (index range: the value,
       then the cursor's (created_at, id));
    2. the values after it (the first page: every value), walking the field's index
       (`(template, <expr>, created_at DESC, id DESC)`); booleans instead read false, then
       true (or the other way round) by equality, each a range of that index in order;
    3. the tickets without a value, walking `(template, created_at DESC, id DESC)` (after a
       cursor that stands on one, the part alone).

    A part runs only when those before it found `limit` rows or fewer (a one-time filter), so
    a page past the first value reads about `limit + 1` index entries, as a first page does.
    Part 3 reads the template's tickets in creation order until it finds tickets without a
    value: quick where they are common, a walk over the template on the one page where values
    run out when there are none (bench/list_bench.py, "page where values run out"). The
    outer SELECT puts the (at most 3 × (limit + 1)) rows in order.
    """
    key = sort_key(sort)
    where = conditions(filters)
    position = decode_field_cursor(after, sort) if after is not None else None
    tie = tie_order(newest=not sort.descending)
    parts: list[Select[Any]] = []
    if position is None or position.value is not None:
        parts += _valued_parts(sort, where, position)
    lacking = [*where, missing(sort)]
    if position is not None and position.value is None:
        lacking.append(_beyond(position, sort))
    parts.append(select(Ticket.id).where(*lacking).order_by(*tie))
    page = chained(parts, limit)
    shown = case((has_value(sort), key))  # the key, NULL for the tickets without a value
    return (
        select(Ticket, shown.label("sort_key"))
        .where(Ticket.id.in_(page))
        .order_by(missing(sort), key_order(sort, shown), *tie)
        .limit(rows(limit + 1))
    )


def chained(parts: list[Select[Any]], limit: int) -> CompoundSelect:
    """The ids of `parts` (each cut to `limit + 1`), a part read only when those before it found
    `limit` rows or fewer (a one-time filter on their counts): a page past the first parts
    costs about what a first page does."""
    ctes: list[CTE] = []
    for n, part in enumerate(parts):
        if ctes:
            counts = [select(func.count()).select_from(c).scalar_subquery() for c in ctes]
            part = part.where(reduce(operator.add, counts) <= limit)
        ctes.append(
            part.limit(rows(limit + 1))
            .cte(f"part{n}")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
    return union_all(*(select(c.c.id) for c in ctes))


def _valued_parts(
    sort: FieldSort, where: list[ColumnElement[bool]], position: Position | None
) -> list[Select[Any]]:
    """The parts of a page that read rows with a value (parts 1 and 2 of the statement).

    A kind of a few values (booleans) reads each of them by equality instead of part 2.
    """
    key = sort_key(sort)
    few = values_from(sort, None if position is None else position.value)
    if few is not None:
        parts = [select(Ticket.id).where(*where, key == value) for value in few]
        if position is not None:
            parts[0] = parts[0].where(_beyond(position, sort))
        return [part.order_by(*tie_order(newest=not sort.descending)) for part in parts]
    tie = tie_order(newest=not sort.descending)
    valued = [*where, has_value(sort)]
    parts = []
    if position is not None:
        bound = _cursor_value(sort, position)
        same = select(Ticket.id).where(*valued, key == bound, _beyond(position, sort))
        parts.append(same.order_by(*tie))
        valued.append(after_value(sort, bound))
    parts.append(select(Ticket.id).where(*valued).order_by(key_order(sort), *tie))
    return parts


def tie_order(newest: bool) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The order among equal values: newest first (ascending sorts) or oldest first."""
    if newest:
        return Ticket.created_at.desc(), Ticket.id.desc()
    return Ticket.created_at.asc(), Ticket.id.asc()


def _beyond(position: Position, sort: FieldSort) -> ColumnElement[bool]:
    """Rows after the cursor's (created_at, id) in the order among equal values."""
    row = tuple_(Ticket.created_at, Ticket.id)
    stamp = bindparam("after_stamp", position.created_at, type_=Ticket.created_at.type)
    mark = tuple_(stamp, bindparam("after_id", position.ticket_id, type_=Ticket.id.type))
    return row > mark if sort.descending else row < mark


def _cursor_value(sort: FieldSort, position: Position) -> Any:
    """The cursor's value, or (after a long text value) its row's value read again."""
    if position.value is not ROW_VALUE:
        return position.value
    row = Ticket.__table__.alias("cursor_row")
    return (
        select(sort_key(sort, row.c.data))
        .where(row.c.id == bindparam("row_id", position.ticket_id, type_=Ticket.id.type))
        .scalar_subquery()
    )


# ---------------------------------------------------------------------------------------------
# The priority sorts

# Lowest first (`Priority`'s order, not the text's); `-priority` reads it the other way round.
PRIORITIES = tuple(p.value for p in Priority)
PRIORITY_SORTS = frozenset({Sort.PRIORITY, Sort.PRIORITY_DESC})


def priority_order(sort: Sort, start: str | None = None) -> tuple[str, ...]:
    """The priorities in `sort`'s order, from `start` on (all of them for None)."""
    ordered = PRIORITIES[::-1] if sort is Sort.PRIORITY_DESC else PRIORITIES
    return ordered if start is None else ordered[ordered.index(start) :]


def encode_priority_cursor(priority: str, created_at: datetime, ticket_id: int, sort: Sort) -> str:
    """An opaque cursor for the position after a row of a list sorted by priority."""
    return encode_keyed_cursor(priority, created_at, ticket_id, sort.value)


def decode_priority_cursor(cursor: str, sort: Sort) -> tuple[str, datetime, int]:
    """The (priority, created_at, id) a cursor of `sort` stands for; BadCursor otherwise."""
    priority, stamp, ticket_id = decode_keyed_cursor(cursor, sort.value)
    if priority not in PRIORITIES:
        raise BadCursor("Not a valid page cursor.")
    return str(priority), stamp, ticket_id


def priority_statement(
    filters: TicketFilters, sort: Sort, after: str | None, limit: int
) -> Select[Any]:
    """A page sorted by priority, in one statement: one index range per priority.

    Part n reads the tickets of the n-th priority in the sort's order, newest first, through
    `(template, priority, created_at DESC, id DESC)` (a template's list) or `(priority,
    created_at DESC, id DESC)`; after a cursor the parts start at its priority, the first one
    below its (created_at, id). Parts run in turn while those before found `limit` rows or
    fewer (`chained`), so a page where a priority runs out reads into the next one and no
    further. An ordinal CASE over the column would make one range of an expression index, but
    a cursor inside a priority would then be a range the index cannot start at (it reads the
    priority's rows before the cursor again); equality per priority needs a plain column index.
    """
    where = conditions(filters)
    start: str | None = None
    beyond: list[ColumnElement[bool]] = []
    if after is not None:
        start, stamp, ticket_id = decode_priority_cursor(after, sort)
        mark = tuple_(
            bindparam("after_stamp", stamp, type_=Ticket.created_at.type),
            bindparam("after_id", ticket_id, type_=Ticket.id.type),
        )
        beyond = [tuple_(Ticket.created_at, Ticket.id) < mark]
    shown = priority_order(sort, start)
    # A priority the filters leave out has no part (its walk would find nothing); the cursor's
    # own stays when it is the only one left (a cursor of other filters: an empty page).
    kept = [v for v in shown if filters.priorities is None or v in filters.priorities]
    parts = [
        select(Ticket.id)
        .where(*where, Ticket.priority == value, *(beyond if value == shown[0] else []))
        .order_by(*tie_order(newest=True))
        for value in kept or shown[:1]
    ]
    rank = case({value: n for n, value in enumerate(priority_order(sort))}, value=Ticket.priority)
    return (
        select(Ticket)
        .where(Ticket.id.in_(chained(parts, limit)))
        .order_by(rank, *tie_order(newest=True))
        .limit(rows(limit + 1))
    )
