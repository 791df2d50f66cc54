"""Per-field indexes: built once per field name, and the list query's SQL uses them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from app.extensions import db
from app.tickets.errors import BadFilter
from app.tickets.fields import (
    TEXT_STATISTICS_TARGET,
    FieldKind,
    drop_field_index,
    ensure_field_index,
    field_index_ddl,
    field_index_names,
    is_field_index,
    trigram_index_name,
)
from app.tickets.query import (
    DateRange,
    EnumIs,
    FieldFilter,
    FlagIs,
    NumberRange,
    TextPrefix,
    TicketFilters,
    explain,
    list_statement,
)
from tests.app.tickets.conftest import Setting

CASES: list[tuple[str, FieldKind, FieldFilter]] = [
    ("zzt_region", FieldKind.ENUM, EnumIs("zzt_region", ("north",))),
    ("zzt_amount", FieldKind.NUMBER, NumberRange("zzt_amount", Decimal("1"), Decimal("9"))),
    ("zzt_due", FieldKind.DATE, DateRange("zzt_due", "2026-01-01", "2026-02-01")),
    ("zzt_serial", FieldKind.TEXT, TextPrefix("zzt_serial", "AB")),
    ("zzt_vip", FieldKind.BOOLEAN, FlagIs("zzt_vip", True)),
]

STATIC_INDEXES = [
    "ix_ticket_template_created",
    "ix_ticket_created",
    "ix_ticket_department_created",
    "ix_ticket_assignee_created",
    "ix_ticket_group_queue",
]


def test_index_names_are_per_field_and_bounded() -> None:
    assert field_index_names("region", "enum") == ("ix_ticket_fv_region", "st_ticket_fv_region")
    assert field_index_names("due", "date")[0] == field_index_names("due", "enum")[0]
    long_name = "f" * 64
    index, stats = field_index_names(long_name, "number")
    assert len(index) <= 63 and len(stats) <= 63 and index != field_index_names("f" * 63, "number")
    with pytest.raises(BadFilter):
        field_index_ddl("bad name'", "enum")
    assert all(is_field_index(field_index_names("x", kind)[0]) for kind in FieldKind)
    assert not any(is_field_index(n) for n in [*STATIC_INDEXES, None, "ix_ticket_event_at"])


@pytest.mark.backend("sqlite")
def test_sqlite_has_nothing_to_build(app_ctx: object, backend: str) -> None:
    assert ensure_field_index(db.engine, "region", "enum") is None


@pytest.mark.backend("postgresql")  # expression indexes are PostgreSQL's
def test_list_query_uses_the_field_indexes(app_ctx: object, backend: str, setting: Setting) -> None:
    db.session.commit()  # CREATE INDEX CONCURRENTLY waits for open transactions
    db.session.remove()
    try:
        for field, kind, _ in CASES:
            name = ensure_field_index(db.engine, field, kind)
            assert name == field_index_names(field, kind)[0]
            assert ensure_field_index(db.engine, field, kind) == name  # idempotent
        with db.engine.connect() as conn, conn.begin() as transaction:
            # The test table is small: take away the other paths so the plan shows whether
            # the field index matches the query's expression at all. Rolled back below.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            for index in STATIC_INDEXES:
                conn.execute(text(f"DROP INDEX {index}"))
            for field, kind, flt in CASES:
                stmt = list_statement(TicketFilters(template=setting.template, fields=(flt,)))
                plan = explain(conn, stmt)
                assert field_index_names(field, kind)[0] in plan, plan
            stats = conn.execute(
                text("SELECT count(*) FROM pg_statistic_ext WHERE stxname LIKE 'st_ticket_f%zzt_%'")
            ).scalar()
            assert stats == len(CASES)
            transaction.rollback()
    finally:
        for field, kind, _ in CASES:
            drop_field_index(db.engine, field, kind)
    with db.engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_class WHERE relname LIKE 'ix_ticket_f%zzt_%'")
        ).scalar()
    assert left == 0


@pytest.mark.backend("postgresql")
def test_an_invalid_index_is_rebuilt(app_ctx: object, backend: str) -> None:
    db.session.remove()
    index, _ = field_index_names("zzt_broken", "enum")
    with db.engine.connect() as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.execute(text(f"CREATE INDEX {index} ON ticket (id)"))
        auto.execute(
            text(f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{index}'::regclass")
        )
    try:
        ensure_field_index(db.engine, "zzt_broken", "enum")
        with db.engine.connect() as conn:
            valid, definition = conn.execute(
                text(
                    "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    f"WHERE i.indexrelid = '{index}'::regclass"
                )
            ).one()
        assert valid and "zzt_broken" in definition
    finally:
        drop_field_index(db.engine, "zzt_broken", "enum")


@pytest.mark.backend("postgresql")
def test_text_indexes_keep_a_finer_histogram_for_contains_estimates(
    app_ctx: object, backend: str
) -> None:
    db.session.remove()
    try:
        index = ensure_field_index(db.engine, "zzt_note", "text")
        other = ensure_field_index(db.engine, "zzt_level", "enum")
        trigram = trigram_index_name("zzt_note")
        with db.engine.connect() as conn:
            targets = dict(
                conn.execute(
                    text(
                        "SELECT c.relname, a.attstattarget FROM pg_attribute a "
                        "JOIN pg_class c ON c.oid = a.attrelid WHERE "
                        "(c.relname IN (:a, :b) AND a.attnum = 2) OR "
                        "(c.relname = :t AND a.attnum = 1)"
                    ),
                    {"a": index, "b": other, "t": trigram},
                ).all()
            )
            stats = dict(
                conn.execute(
                    text(
                        "SELECT stxname, stxstattarget FROM pg_statistic_ext "
                        "WHERE stxname IN (:a, :b)"
                    ),
                    {
                        "a": field_index_names("zzt_note", "text")[1],
                        "b": field_index_names("zzt_level", "enum")[1],
                    },
                ).all()
            )
        assert targets[index] == targets[trigram] == TEXT_STATISTICS_TARGET
        assert targets[other] in (-1, None)  # the default elsewhere
        assert stats[field_index_names("zzt_note", "text")[1]] == TEXT_STATISTICS_TARGET
        assert stats[field_index_names("zzt_level", "enum")[1]] in (-1, None)
    finally:
        drop_field_index(db.engine, "zzt_note", "text")
        drop_field_index(db.engine, "zzt_level", "enum")
