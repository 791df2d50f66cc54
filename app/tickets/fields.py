"""Custom-field expressions over `ticket.data`, and the per-field indexes that serve them.

One SQL construct per way of reading a field, compiled per dialect: on PostgreSQL exactly the
expression the index is built on (`data ->> 'f'`, the field name a literal so generic prepared
plans still match), on SQLite the JSON1 equivalent. The index DDL is produced from the same
text (`pg_field_sql`), so query and index cannot drift apart.

Index design (measured on ticket list pages at 1,000,000 tickets): one btree per field name
(not per template: per-template partial indexes get no statistics and break generic plans), led
by `template` and ending in `created_at DESC, id DESC` (the order of a list sorted by the
field), plus `CREATE STATISTICS` on (template, expression). Text fields also get a GIN trigram
index for "contains" filters when the pg_trgm extension can be had.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Numeric, String, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.definitions.filterable import FIELD_NAME
from app.tickets.errors import BadFilter

log = logging.getLogger(__name__)


class FieldKind(enum.StrEnum):
    """How a custom field is filtered, hence which index serves it."""

    ENUM = "enum"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    BOOLEAN = "boolean"


def check_field_name(name: str) -> str:
    """The name itself if it may appear in SQL text as a literal; BadFilter otherwise."""
    if not FIELD_NAME.match(name):
        raise BadFilter(f"Field name {name!r} cannot be filtered on (letters, digits, _ only).")
    return name


def pg_field_sql(name: str, reading: str, column: str = "data") -> str:
    """PostgreSQL text of one reading of a field: 'text' or 'number'."""
    check_field_name(name)
    if reading == "number":
        # Never raises on a non-number (a field name may be a number in one template and a
        # string in another): CASE evaluates the cast only for JSON numbers.
        return (
            f"(CASE WHEN jsonb_typeof({column} -> '{name}') = 'number' "
            f"THEN ({column} ->> '{name}')::numeric END)"
        )
    return f"({column} ->> '{name}')"


class _FieldExpr(ColumnElement[Any]):
    inherit_cache = True
    # The name is part of the statement cache key (it is SQL text, not a bound parameter).
    _traverse_internals = [
        ("name", InternalTraversal.dp_string),
        ("data", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, name: str, data: ColumnElement[Any] | None = None) -> None:
        """`data`: the JSON column to read (default `ticket.data`; a subquery's column too)."""
        self.name = check_field_name(name)
        if data is None:
            from app.tickets.models import Ticket

            data = Ticket.__table__.c.data
        self.data = data


class FieldText(_FieldExpr):
    """The field as text: `data ->> 'f'` (enums, ISO dates, text, booleans as 'true')."""

    inherit_cache = True
    type = String()


class FieldNumber(_FieldExpr):
    """The field as a number, NULL when it is absent or not a JSON number."""

    inherit_cache = True
    type = Numeric()


class FieldFlag(_FieldExpr):
    """'true' / 'false' for JSON booleans, else something else or NULL."""

    inherit_cache = True
    type = String()


def _data(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.data, **kw))


@compiles(FieldText, "postgresql")
@compiles(FieldFlag, "postgresql")
def _pg_text(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    return pg_field_sql(element.name, "text", _data(element, compiler, **kw))


@compiles(FieldNumber, "postgresql")
def _pg_number(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    return pg_field_sql(element.name, "number", _data(element, compiler, **kw))


def _path(name: str) -> str:
    return f"'$.\"{name}\"'"


@compiles(FieldText, "sqlite")
def _sqlite_text(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(json_extract({_data(element, compiler, **kw)}, {_path(element.name)}) AS TEXT)"


@compiles(FieldFlag, "sqlite")
def _sqlite_flag(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_type({_data(element, compiler, **kw)}, {_path(element.name)})"


@compiles(FieldNumber, "sqlite")
def _sqlite_number(element: _FieldExpr, compiler: SQLCompiler, **kw: Any) -> str:
    data, path = _data(element, compiler, **kw), _path(element.name)
    return (
        f"(CASE WHEN json_type({data}, {path}) IN ('integer', 'real') "
        f"THEN json_extract({data}, {path}) END)"
    )


# ---------------------------------------------------------------------------------------------
# Per-field indexes (PostgreSQL)

# Index shape per kind: (name prefix, reading, key after `template`, extra keys). Every shape
# ends in `created_at DESC, id DESC`: equality pages then skip the sort, and a list sorted by
# the field (app.tickets.fieldsort: value, then newest first) walks the index in either
# direction, a cursor's position being one index range.
_TAIL = ", created_at DESC, id DESC"
_SHAPES: dict[FieldKind, tuple[str, str, str, str]] = {
    FieldKind.ENUM: ("fv", "text", "{expr}", _TAIL),
    FieldKind.DATE: ("fv", "text", "{expr}", _TAIL),
    FieldKind.BOOLEAN: ("fv", "text", "{expr}", _TAIL),
    FieldKind.NUMBER: ("fns", "number", "{expr}", _TAIL),
    # Prefix search: byte-wise order, so `~>=~` / `~<~` ranges use it under any collation.
    FieldKind.TEXT: ("fps", "text", "{expr} text_pattern_ops", _TAIL),
}


# Every prefix a field index has had: `reconcile` lists those of earlier shapes as unused
# (`ix_ticket_fn_` and `ix_ticket_fp_` had no tail, so they could not serve a sorted list).
FIELD_INDEX_PREFIXES = (
    "ix_ticket_fv_",
    "ix_ticket_fns_",
    "ix_ticket_fps_",
    "ix_ticket_ft_",
    "ix_ticket_fn_",
    "ix_ticket_fp_",
    "ix_ticket_fnm_",  # the tickets missing a value, for the sorts (app/tickets/indexing.py)
    "ix_ticket_fbm_",
    "ix_ticket_fvm_",
)

# "Contains" filters (ILIKE '%...%') on text fields: a GIN trigram index from this extension
# (trusted since PostgreSQL 13: a database owner may create it without being superuser).
TRIGRAM_EXTENSION = "pg_trgm"


def is_field_index(name: str | None) -> bool:
    """True for the indexes `ensure_field_index` builds (migrations/env.py leaves them alone)."""
    return bool(name) and str(name).startswith(FIELD_INDEX_PREFIXES)


def _object_name(prefix: str, field: str) -> str:
    name = f"{prefix}_{field}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(field.encode()).hexdigest()[:8]
    return f"{name[: 63 - 9]}_{digest}"


def field_index_names(field: str, kind: FieldKind | str) -> tuple[str, str]:
    """(index name, statistics name) that `ensure_field_index` uses for this field and kind."""
    prefix = _SHAPES[FieldKind(kind)][0]
    check_field_name(field)
    return _object_name(f"ix_ticket_{prefix}", field), _object_name(f"st_ticket_{prefix}", field)


def field_index_ddl(field: str, kind: FieldKind | str) -> list[str]:
    """The PostgreSQL statements that build the index and statistics for one field."""
    shape = _SHAPES[FieldKind(kind)]
    expr = pg_field_sql(field, shape[1])
    index, stats = field_index_names(field, kind)
    key = shape[2].format(expr=expr)
    statements = [
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON ticket "
        f"(template, {key}{shape[3]}) WHERE {expr} IS NOT NULL",
        f"CREATE STATISTICS IF NOT EXISTS {stats} ON template, {expr} FROM ticket",
    ]
    if FieldKind(kind) is FieldKind.TEXT:
        statements += [
            f"ALTER INDEX {index} ALTER COLUMN 2 SET STATISTICS {TEXT_STATISTICS_TARGET}",
            f"ALTER STATISTICS {stats} SET STATISTICS {TEXT_STATISTICS_TARGET}",
        ]
    return statements


# "contains" estimates match the pattern against a histogram of the field's values (the
# indexes' expression statistics): with the default 100 entries a 3-character substring's
# estimate jumps between 0 %, 1 % and 2 %, and at 2 % the planner picks a LIMIT-ed seq scan
# for the capped count (~200 ms at 1M tickets; bench/README.md). 1,000 entries on every
# statistic of the expression keep it near the truth. SHARE UPDATE EXCLUSIVE: reads and
# writes go on.
TEXT_STATISTICS_TARGET = 1000


def trigram_index_name(field: str) -> str:
    """The name of a text field's GIN trigram index (`ix_ticket_ft_<field>`)."""
    check_field_name(field)
    return _object_name("ix_ticket_ft", field)


def trigram_index_ddl(field: str) -> list[str]:
    """The PostgreSQL statements that build a text field's trigram index (needs pg_trgm).

    No `template` in it (GIN cannot hold a btree column without btree_gin); the template is
    checked on the few rows the index finds. fastupdate off: no pending list, whose flush
    would stall an insert now and then.
    """
    expr = pg_field_sql(field, "text")
    index = trigram_index_name(field)
    return [
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON ticket "
        f"USING gin ({expr} gin_trgm_ops) WITH (fastupdate = off) WHERE {expr} IS NOT NULL",
        f"ALTER INDEX {index} ALTER COLUMN 1 SET STATISTICS {TEXT_STATISTICS_TARGET}",
    ]


def ensure_field_index(bind: Engine | Connection, field: str, kind: FieldKind | str) -> str | None:
    """Build (once) the index and statistics for a filterable field; no-op on SQLite.

    Runs `CREATE INDEX CONCURRENTLY` (inserts and updates go on meanwhile), so `bind` must be an
    Engine or a Connection that is not inside a transaction. An index left INVALID by an
    interrupted build is dropped and rebuilt. Run ANALYZE afterwards for the statistics to fill.
    A text field also gets its trigram index, unless pg_trgm is missing and cannot be created
    (then a warning is logged, and "contains" filters read every row of the template).
    Returns the (btree) index name, or None where there is nothing to do.
    """
    if bind.dialect.name != "postgresql":
        return None
    index, _ = field_index_names(field, kind)
    with _autocommit(bind) as conn:
        _build(conn, index, field, kind)
    return index


@contextmanager
def _autocommit(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection outside any transaction: CREATE/DROP INDEX CONCURRENTLY need one."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
    else:
        yield bind.execution_options(isolation_level="AUTOCOMMIT")


def _build(conn: Connection, index: str, field: str, kind: FieldKind | str) -> None:
    _drop_if_invalid(conn, index)
    for statement in field_index_ddl(field, kind):
        conn.execute(text(statement))
    if FieldKind(kind) is FieldKind.TEXT and _has_trigram(conn):
        _drop_if_invalid(conn, trigram_index_name(field))
        for statement in trigram_index_ddl(field):
            conn.execute(text(statement))


def _drop_if_invalid(conn: Connection, index: str) -> None:
    valid = conn.execute(
        text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name"
        ),
        {"name": index},
    ).scalar()
    if valid is False:
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {index}"))


def _has_trigram(conn: Connection) -> bool:
    """pg_trgm is there, or could be created now; False (logged) when it cannot be had."""
    found = conn.execute(
        text("SELECT 1 FROM pg_extension WHERE extname = :name"), {"name": TRIGRAM_EXTENSION}
    ).scalar()
    if found:
        return True
    try:
        conn.execute(text(f'CREATE EXTENSION IF NOT EXISTS "{TRIGRAM_EXTENSION}"'))
    except DBAPIError as exc:  # no privilege, or the extension is not installed on the server
        log.warning(
            "Text fields get no trigram index (contains filters will scan): cannot create "
            "extension %s: %s",
            TRIGRAM_EXTENSION,
            str(exc.orig).strip(),
        )
        return False
    return True


def drop_field_index(bind: Engine | Connection, field: str, kind: FieldKind | str) -> None:
    """Drop the index and statistics of a field that is no longer filterable; no-op on SQLite."""
    index, _ = field_index_names(field, kind)
    extra = [trigram_index_name(field)] if FieldKind(kind) is FieldKind.TEXT else []
    drop_indexes(bind, [index, *extra])


def statistics_name(index: str) -> str:
    """The statistics object built with a field index (`ix_ticket_…` → `st_ticket_…`)."""
    return "st" + index[2:]


def _quoted(name: str) -> str:
    # Field index names are created unquoted, so PostgreSQL keeps them folded to lower case.
    return '"' + name.lower().replace('"', '""') + '"'


def drop_indexes(bind: Engine | Connection, indexes: list[str]) -> None:
    """Drop field indexes (by name) and their statistics, CONCURRENTLY; no-op on SQLite."""
    if bind.dialect.name != "postgresql":
        return
    statements = []
    for index in indexes:
        statements.append(f"DROP INDEX CONCURRENTLY IF EXISTS {_quoted(index)}")
        statements.append(f"DROP STATISTICS IF EXISTS {_quoted(statistics_name(index))}")
    with _autocommit(bind) as conn:
        for statement in statements:
            conn.execute(text(statement))
