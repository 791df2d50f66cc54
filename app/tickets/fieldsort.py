"""Lists sorted by a custom field (`?sort=f.<field>` / `-f.<field>`): keys, order and cursors.

One entry per field kind in `ORDERS`: the expression the list sorts by (the one its per-field
index is built on, `app.tickets.fields`), which tickets have a value, and how a cursor holds
that value. `app.tickets.query` builds the page statement from these pieces.

The order, ascending: (value, created_at DESC, id DESC), i.e. the per-field index's own order,
so a page reads it forward (descending: backward, the exact reverse). Tickets without a value
come after all the others in both directions, in creation order (newest first when ascending,
oldest first when descending), read through the template's created_at index.

A cursor holds the last row's value, typed by the kind (numbers as exact decimal text,
booleans as true/false, the rest as text; null for a ticket without a value), its created_at
and id, and the sort it belongs to (`f.amount` is not `-f.amount`, nor another field's).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, String, column, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from app.limits import MAX_ID
from app.tickets.conditions import pattern_compare
from app.tickets.errors import BadCursor, BadFilter
from app.tickets.fields import FieldFlag, FieldKind, FieldNumber, FieldText
from app.tickets.filters import FieldSort

# Longest text value a cursor carries (a page's link must stay within a request line, 4 KiB
# for gunicorn). After a longer one the cursor holds ROW_REF: the next page reads that row's
# value again (`Position.value` is then ROW_VALUE), the same unless the ticket changed since.
MAX_CURSOR_TEXT = 500
ROW_REF: dict[str, str] = {"ref": "row"}


class _RowValue:
    """The value of the cursor's own row, to be read from it (after a long text value)."""

    def __repr__(self) -> str:
        return "ROW_VALUE"


ROW_VALUE = _RowValue()
# Exact decimal text (no exponent: a huge one would overflow the numeric cast).
DECIMAL_TEXT = re.compile(r"-?[0-9]{1,1000}(?:\.[0-9]{1,1000})?")
FLAGS = ("false", "true")


def _number_out(value: Any) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(number, "f")


def _number_in(value: Any) -> Decimal:
    if not isinstance(value, str) or not DECIMAL_TEXT.fullmatch(value):
        raise ValueError("number")
    return Decimal(value)


def _text_out(value: Any) -> str | dict[str, str]:
    text = str(value)
    return text if len(text) <= MAX_CURSOR_TEXT else ROW_REF


def _text_in(value: Any) -> str | _RowValue:
    if value == ROW_REF:
        return ROW_VALUE
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_CURSOR_TEXT:
        raise ValueError("text")
    return value


def _flag_out(value: Any) -> bool:
    return value == "true"


def _flag_in(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError("boolean")
    return FLAGS[value]


def _not_null(key: ColumnElement[Any]) -> ColumnElement[bool]:
    return key.is_not(None)


def _null(key: ColumnElement[Any]) -> ColumnElement[bool]:
    return key.is_(None)


def _is_flag(key: ColumnElement[Any]) -> ColumnElement[bool]:
    return key.in_(FLAGS)


# The flags as SQL literals where they decide which rows lack a value: the partial index of
# those rows (`missing_predicate`) has this very predicate, and a generic prepared plan proves
# a partial index's predicate only from literals.
_FLAG_LITERALS = tuple(literal_column(f"'{flag}'", String()) for flag in FLAGS)


def _not_flag(key: ColumnElement[Any]) -> ColumnElement[bool]:
    return or_(key.is_(None), key.not_in(_FLAG_LITERALS))


@dataclass(frozen=True)
class FieldOrder:
    """How one kind of field sorts: its key, which rows have a value, its cursor value.

    `key(field)` is the expression over `ticket.data`; `has_value(key)` the rows sorted by it,
    `lacks(key)` the others (they come last); `pattern`: compare and order byte-wise with
    PostgreSQL's pattern operators, as the text fields' index (text_pattern_ops) does;
    `dump` / `load` turn a key into a cursor's JSON value and back (`load` raises ValueError
    for a value of another type).
    """

    key: Callable[..., ColumnElement[Any]]
    has_value: Callable[[ColumnElement[Any]], ColumnElement[bool]]
    lacks: Callable[[ColumnElement[Any]], ColumnElement[bool]]
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    pattern: bool = False
    values: tuple[str, ...] = ()


ORDERS: dict[FieldKind, FieldOrder] = {
    FieldKind.NUMBER: FieldOrder(FieldNumber, _not_null, _null, _number_out, _number_in),
    FieldKind.DATE: FieldOrder(FieldText, _not_null, _null, _text_out, _text_in),
    FieldKind.ENUM: FieldOrder(FieldText, _not_null, _null, _text_out, _text_in),
    FieldKind.TEXT: FieldOrder(FieldText, _not_null, _null, _text_out, _text_in, pattern=True),
    # `data ->> 'f'` on PostgreSQL (the index's expression): 'false' and 'true' are booleans,
    # any other text a value of another type, which sorts with the missing ones.
    FieldKind.BOOLEAN: FieldOrder(
        FieldFlag, _is_flag, _not_flag, _flag_out, _flag_in, values=FLAGS
    ),
}


def order_of(sort: FieldSort) -> FieldOrder:
    """The FieldOrder of a sort's kind; BadFilter for a kind lists cannot sort by."""
    try:
        return ORDERS[FieldKind(sort.kind)]
    except ValueError as exc:
        raise BadFilter(f"A {sort.kind!r} field cannot be sorted by.") from exc


def sort_key(sort: FieldSort, data: ColumnElement[Any] | None = None) -> ColumnElement[Any]:
    """The expression a list sorted by `sort` orders by (over `data`, default `ticket.data`)."""
    return order_of(sort).key(sort.field) if data is None else order_of(sort).key(sort.field, data)


def has_value(sort: FieldSort) -> ColumnElement[bool]:
    """The rows that sort by their value (the rest come last)."""
    order = order_of(sort)
    return order.has_value(order.key(sort.field))


def missing(sort: FieldSort) -> ColumnElement[bool]:
    """The rows without a value of the field's kind (NULL, or another type for booleans)."""
    order = order_of(sort)
    return order.lacks(order.key(sort.field))


def missing_predicate(field: str, kind: FieldKind | str) -> str:
    """PostgreSQL text of `missing` over an unqualified `data` column (a partial index's WHERE).

    Compiled from the same expression a page's part 3 reads, so the planner finds the index
    serves it.
    """
    from sqlalchemy.dialects import postgresql

    order = ORDERS[FieldKind(kind)]
    lacks = order.lacks(order.key(field, column("data")))
    return str(lacks.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def values_from(sort: FieldSort, value: Any = None) -> tuple[str, ...] | None:
    """The kind's few values (`FieldOrder.values`) in the sort's direction, from `value` on
    (all of them for None); None for kinds with too many values to walk one by one."""
    order = order_of(sort)
    if not order.values:
        return None
    ordered = order.values[::-1] if sort.descending else order.values
    return ordered if value is None else ordered[ordered.index(value) :]


def after(sort: FieldSort, value: Any) -> ColumnElement[bool]:
    """The rows whose value comes after `value` in the sort's direction."""
    order = order_of(sort)
    key = order.key(sort.field)
    op = "<" if sort.descending else ">"
    if order.pattern:
        return pattern_compare(key, op, value)
    return key < value if sort.descending else key > value


def key_order(sort: FieldSort, key: ColumnElement[Any] | None = None) -> ColumnElement[Any]:
    """The ORDER BY element of the value (or of `key`) in the sort's direction.

    NULLs are not placed: the parts of a page read only rows with a value, and the page
    orders the rows without one last by itself (`missing`).
    """
    order = order_of(sort)
    key = order.key(sort.field) if key is None else key
    if order.pattern:
        return _PatternOrder(key, sort.descending)
    return key.desc() if sort.descending else key.asc()


class _PatternOrder(ColumnElement[Any]):
    """`expr USING ~<~` (or `~>~`) on PostgreSQL, the text_pattern_ops order; ASC/DESC elsewhere.

    SQLite's BINARY collation is that order already (UTF-8 bytes, code points).
    """

    inherit_cache = True
    type = String()
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("descending", InternalTraversal.dp_boolean),
    ]

    def __init__(self, expr: ColumnElement[Any], descending: bool) -> None:
        self.expr = expr
        self.descending = descending


@compiles(_PatternOrder, "postgresql")
def _pg_pattern_order(element: _PatternOrder, compiler: SQLCompiler, **kw: Any) -> str:
    op = "~>~" if element.descending else "~<~"
    return f"{compiler.process(element.expr, **kw)} USING {op}"


@compiles(_PatternOrder)
def _pattern_order(element: _PatternOrder, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.expr, **kw)} {'DESC' if element.descending else 'ASC'}"


# ---------------------------------------------------------------------------------------------
# Cursors


@dataclass(frozen=True)
class Position:
    """Where a cursor stands: the row's value (None: a row without one), created_at and id."""

    value: Any
    created_at: datetime
    ticket_id: int


def encode_keyed_cursor(key: Any, created_at: datetime, ticket_id: int, order: str) -> str:
    """An opaque cursor for the position after a row of a list sorted by a key, then newest
    first: `[key, created_at, id, order]` as JSON, base64url; `order` names the sort it is for."""
    raw = json.dumps(
        [key, created_at.isoformat(), ticket_id, order], separators=(",", ":"), ensure_ascii=False
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyed_cursor(cursor: str, order: str) -> tuple[Any, datetime, int]:
    """The (key as written, created_at, id) of a cursor of sort `order`; BadCursor when it is
    not one of ours, or one of another sort (its position means nothing in this order)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        if not isinstance(decoded, list) or len(decoded) not in (2, 3, 4):
            raise ValueError("shape")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("Not a valid page cursor.") from exc
    if len(decoded) != 4 or decoded[3] != order:
        raise BadCursor("This page cursor belongs to another sort order.")
    key, stamp, ticket_id, _ = decoded
    try:
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise ValueError("id")
        if not 0 <= ticket_id <= MAX_ID:  # a larger id would be a database error
            raise ValueError("id range")
        if not isinstance(stamp, str):
            raise ValueError("stamp")
        return key, datetime.fromisoformat(stamp), ticket_id
    except (ValueError, TypeError) as exc:
        raise BadCursor("Not a valid page cursor.") from exc


def encode_field_cursor(sort: FieldSort, key: Any, created_at: datetime, ticket_id: int) -> str:
    """An opaque cursor for the position after a row of a list sorted by `sort`.

    `key` is the row's `sort_key` as the database returned it (None: no value).
    """
    value = None if key is None else order_of(sort).dump(key)
    return encode_keyed_cursor(value, created_at, ticket_id, sort.value)


def decode_field_cursor(cursor: str, sort: FieldSort) -> Position:
    """The position a cursor of `sort` stands for; BadCursor when it is not one of ours.

    A cursor of another sort (a system sort, the other direction, another field) is refused:
    its position means nothing in this order. So is a value of another type than the kind's.
    """
    value, stamp, ticket_id = decode_keyed_cursor(cursor, sort.value)
    try:
        return Position(None if value is None else order_of(sort).load(value), stamp, ticket_id)
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadCursor("Not a valid page cursor.") from exc
