"""The "contains" filter: case-insensitive substring, wildcards literal, its trigram index."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.extensions import db
from app.tickets import fields as ticket_fields
from app.tickets.errors import BadFilter
from app.tickets.fields import (
    FieldKind,
    drop_field_index,
    ensure_field_index,
    field_index_names,
    is_field_index,
    trigram_index_name,
)
from app.tickets.query import (
    FIELD_FILTERS,
    FieldFilter,
    TextContains,
    TicketFilters,
    count_tickets,
    explain,
    like_pattern,
    list_statement,
    list_tickets,
)
from tests.app.tickets.bulk import Stored, expected_ids, field_matches, insert_tickets, listed
from tests.app.tickets.conftest import Setting

NOTES = [
    "Printer JAMS daily",
    "printer jams",
    "jam session",
    "50% off",
    "500 off",
    "a_b",
    "aXb",
    "path/to/file",
    "pathXto",
    "back\\slash",
    "100/%",
    "Éclair au café",
    "ÉCLAIR",
    "éclair",
    "Жалоба",
    "жалоба на шум",
    "漢字テスト",
    "emoji 🎫 ticket",
    "O'Brien said %s and %(x)s; $1 {0} :name",
    "",
    12345,  # a number reads as its text, as for prefix filters
]

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _folds_non_ascii(backend: str) -> bool:
    """PostgreSQL folds per the database's LC_CTYPE; SQLite's LIKE folds ASCII only."""
    if backend == "sqlite":
        return False
    return bool(db.session.scalar(text("SELECT lower('ÉЖ') = 'éж'")))


def _checker(backend: str) -> Any:
    fold = str.lower if _folds_non_ascii(backend) else (lambda s: s.translate(ASCII_LOWER))

    def check(value: Any, f: FieldFilter) -> bool:
        if not isinstance(f, TextContains):
            return field_matches(value, f)
        if value is None or isinstance(value, bool | dict | list):
            return False
        return fold(f.text) in fold(str(value))

    return check


@pytest.fixture
def stored(setting: Setting) -> list[Stored]:
    """Every note twice in the test's template, once in another, and one ticket without it."""
    start = datetime(2022, 1, 1, tzinfo=UTC)
    datas: list[dict[str, Any]] = [{"note": note} for note in NOTES * 3] + [{}]
    other = range(2 * len(NOTES), 3 * len(NOTES))
    return insert_tickets(
        [
            {
                "template": setting.template + ("_b" if n in other else ""),
                "department_id": setting.department_id,
                "data": data,
                "created_at": start + timedelta(seconds=n),
                "updated_at": start + timedelta(seconds=n),
            }
            for n, data in enumerate(datas)
        ]
    )


SEARCHES = [
    ("ascii any case", "printer JAMS", 4),
    ("lower", "jam", 6),
    ("percent is literal", "50%", 2),
    ("underscore is literal", "a_b", 2),
    ("escape char is literal", "h/t", 2),
    ("escape then percent", "/%", 2),
    ("backslash is literal", "k\\s", 2),
    ("percent alone", "%", 6),
    ("underscore alone", "_", 2),
    ("non-ASCII, same case", "éclair", None),
    ("non-ASCII, other case", "ЖАЛОБА", None),
    ("CJK", "字テ", 2),
    ("emoji", "🎫", 2),
    ("number as text", "234", 2),
    ("nothing", "zzz", 0),
    # Quotes and driver placeholders in the search text are data.
    ("single quote", "O'Brien", 2),
    ("quote and SQL", "'; DROP TABLE ticket; --", 0),
    ("driver placeholders", "%s and %(x)s; $1 {0} :name", 2),
    ("empty: any value", "", 2 * len(NOTES)),
]


@pytest.mark.parametrize(("name", "needle", "count"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_contains_matches_exactly(
    backend: str, setting: Setting, stored: list[Stored], name: str, needle: str, count: int | None
) -> None:
    filters = TicketFilters(template=setting.template, fields=(TextContains("note", needle),))
    expected = expected_ids(stored, filters, _checker(backend))
    if count is not None:
        assert len(expected) == count, name
    assert listed(filters, 5) == expected
    assert count_tickets(filters) == (len(expected), False)


def test_non_ascii_case_folding_per_backend(
    backend: str, setting: Setting, stored: list[Stored]
) -> None:
    """SQLite's LIKE folds ASCII only (documented on TextContains); PostgreSQL here folds all."""

    def found(needle: str) -> int:
        filters = TicketFilters(template=setting.template, fields=(TextContains("note", needle),))
        return len(list_tickets(filters, limit=100).tickets)

    assert found("éclair") == (6 if backend == "postgresql" else 2)  # Éclair, ÉCLAIR, éclair
    assert found("ЖАЛОБА") == (4 if backend == "postgresql" else 0)
    assert found("ÉCLAIR") == (6 if backend == "postgresql" else 4)  # SQLite: É = É only
    assert _folds_non_ascii(backend) is (backend == "postgresql")


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("50%") == "%50/%%"
    assert like_pattern("a_b/c") == "%a/_b//c%"
    assert like_pattern("//%") == "%/////%%"
    assert FIELD_FILTERS[TextContains]


def test_nul_is_refused(app_ctx: object) -> None:
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(fields=(TextContains("note", "a\x00b"),)))
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(fields=(TextContains("bad name", "a"),)))


def test_trigram_index_names() -> None:
    assert trigram_index_name("note") == "ix_ticket_ft_note"
    assert is_field_index(trigram_index_name("x" * 64))
    assert len(trigram_index_name("x" * 64)) <= 63


def _index_names(pattern: str) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT relname FROM pg_class WHERE relname LIKE :p"), {"p": pattern}
            ).scalars()
        )


@pytest.mark.backend("postgresql")
def test_text_fields_get_a_trigram_index(
    backend: str, setting: Setting, stored: list[Stored]
) -> None:
    db.session.remove()
    field = "zzc_note"
    try:
        assert ensure_field_index(db.engine, field, FieldKind.TEXT) == "ix_ticket_fps_zzc_note"
        assert _index_names("ix_ticket_f%_zzc_note") == {
            "ix_ticket_fps_zzc_note",
            "ix_ticket_ft_zzc_note",
        }
        assert ensure_field_index(db.engine, field, FieldKind.TEXT)  # idempotent
        filters = TicketFilters(template=setting.template, fields=(TextContains(field, "jam"),))
        with db.engine.connect() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            # Leave the planner no other path than the trigram index (its choice among the
            # others depends on what the shared test database's statistics say).
            others = conn.execute(
                text(
                    "SELECT indexrelid::regclass::text FROM pg_index "
                    "WHERE indrelid = 'ticket'::regclass AND NOT indisprimary "
                    "AND NOT indisunique AND indexrelid::regclass::text <> 'ix_ticket_ft_zzc_note'"
                )
            ).scalars().all()
            for index in others:
                conn.execute(text(f'DROP INDEX "{index}"'))  # rolled back below
            plan = explain(conn, list_statement(filters))
            assert "ix_ticket_ft_zzc_note" in plan, plan
            conn.rollback()
    finally:
        drop_field_index(db.engine, field, FieldKind.TEXT)
    assert _index_names("ix_ticket_f%_zzc_note") == set()


@pytest.mark.backend("postgresql")
def test_without_pg_trgm_the_field_index_is_still_built(
    backend: str, app_ctx: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An extension that cannot be created (here: not installed) costs the trigram index only."""
    db.session.remove()
    monkeypatch.setattr(ticket_fields, "TRIGRAM_EXTENSION", "zz_no_such_extension")
    field = "zzc_plain"
    try:
        with caplog.at_level(logging.WARNING, logger="app.tickets.fields"):
            assert ensure_field_index(db.engine, field, FieldKind.TEXT)
        assert "zz_no_such_extension" in caplog.text
        assert _index_names("ix_ticket_f%_zzc_plain") == {field_index_names(field, "text")[0]}
    finally:
        drop_field_index(db.engine, field, FieldKind.TEXT)
