"""Lists sorted by a custom field: exactly the right order on every page, cursors kept apart.

The expected order is computed in Python from the rows as stored: (value, newest first) for
the tickets with a value of the field's kind, its exact reverse descending, the tickets
without one last (newest first ascending, oldest first descending).
"""

from __future__ import annotations

import base64
import json
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app.definitions.filterable import FilterSpec
from app.extensions import db
from app.tickets import indexing, query
from app.tickets.errors import BadCursor, BadFilter
from app.tickets.fields import (
    FieldKind,
    drop_field_index,
    drop_indexes,
    ensure_field_index,
    field_index_names,
)
from app.tickets.fieldsort import MAX_CURSOR_TEXT
from app.tickets.query import (
    EnumIs,
    FieldSort,
    Sort,
    TicketFilters,
    decode_field_cursor,
    encode_cursor,
    encode_field_cursor,
    explain,
    list_statement,
    list_tickets,
    read_sort,
)
from tests.app.tickets.bulk import Stored, insert_tickets, listed, matches
from tests.app.tickets.conftest import Setting

START = datetime(2022, 3, 1, 9, tzinfo=UTC)
# The fields and their kinds; `zzs_` names keep this module's field indexes apart.
KINDS = {
    "zzs_amount": "number",
    "zzs_region": "enum",
    "zzs_due": "date",
    "zzs_note": "text",
    "zzs_vip": "boolean",
}
NOTES = ["apple", "Apple", "banana", "b", "ba", "Zebra", "écru", "漢字", "a%_b", ""]
LONG = "L" * (MAX_CURSOR_TEXT + 20)


def _data(rng: random.Random, n: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if n % 10:  # every tenth ticket has none of the fields
        data["zzs_amount"] = rng.choice(
            [rng.randint(-3, 40), Decimal("12.5"), 12, 0.1, 10**20, "12"]  # "12": not a number
        )
        data["zzs_region"] = rng.choice(["north", "south", "中部"])
        data["zzs_due"] = (START.date() + timedelta(days=rng.randint(0, 9))).isoformat()
        data["zzs_note"] = rng.choice([*NOTES, LONG, LONG + "x"])
        data["zzs_vip"] = rng.choice([True, False, False, "yes"])  # "yes": not a boolean
    for name in KINDS:
        if name in data and rng.random() < 0.1:
            del data[name]
    if isinstance(data.get("zzs_amount"), Decimal):
        data["zzs_amount"] = float(data["zzs_amount"])
    return data


@pytest.fixture
def stored(setting: Setting) -> list[Stored]:
    """130 tickets in the test's template (and 20 of another), with ties on values and times."""
    rng = random.Random(11)
    tied = START + timedelta(days=3)
    specs = []
    for n in range(150):
        created = tied if n % 7 == 0 else START + timedelta(hours=rng.randint(0, 24 * 20))
        specs.append(
            {
                "template": setting.template if n % 8 else setting.template + "_b",
                "department_id": setting.department_id if n % 3 else setting.other_department_id,
                "data": _data(rng, n),
                "created_at": created,
                "updated_at": created,
            }
        )
    return insert_tickets(specs)


def _value(row: Stored, sort: FieldSort) -> Any:
    """The value the list sorts the row by, None when it has none of the field's kind."""
    value = row.data.get(sort.field)
    if sort.kind == "number":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return Decimal(str(value)) if number else None
    if sort.kind == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def expected(rows: list[Stored], filters: TicketFilters) -> list[int]:
    sort = filters.sort
    assert isinstance(sort, FieldSort)
    chosen = [r for r in rows if matches(r, filters)]
    valued = [r for r in chosen if _value(r, sort) is not None]
    lacking = [r for r in chosen if _value(r, sort) is None]
    # Ascending: value up, then newest first (created_at, id down).
    valued.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    valued.sort(key=lambda r: _value(r, sort))
    lacking.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    if sort.descending:
        valued.reverse()
        lacking.reverse()
    return [r.id for r in valued + lacking]


def _sorts() -> list[FieldSort]:
    return [FieldSort(f, k, d) for f, k in KINDS.items() for d in (False, True)]


@pytest.mark.parametrize("sort", _sorts(), ids=lambda s: s.value)
def test_a_field_sort_pages_through_the_right_rows(
    setting: Setting, stored: list[Stored], sort: FieldSort
) -> None:
    cases = [
        TicketFilters(template=setting.template, sort=sort),
        TicketFilters(template=setting.template, department_ids=[setting.department_id], sort=sort),
        TicketFilters(
            template=setting.template, fields=(EnumIs("zzs_region", ("north",)),), sort=sort
        ),
    ]
    for filters in cases:
        want = expected(stored, filters)
        assert len(want) > 10
        for limit in (1, 6, 50, 200):
            assert listed(filters, limit) == want, (filters, limit)


def test_the_data_exercise_ties_and_missing_values(setting: Setting, stored: list[Stored]) -> None:
    mine = [r for r in stored if r.template == setting.template]
    for field, kind in KINDS.items():
        values = [_value(r, FieldSort(field, kind)) for r in mine]
        known = [v for v in values if v is not None]
        assert len(set(known)) < len(known) < len(values), field
    assert any(r.data.get("zzs_vip") == "yes" for r in mine)
    assert any(r.data.get("zzs_note") == LONG for r in mine)


def test_a_page_after_a_long_text_value(setting: Setting, stored: list[Stored]) -> None:
    """After a value too long for a cursor, the next page reads that row's value again."""
    sort = FieldSort("zzs_note", "text")
    filters = TicketFilters(template=setting.template, sort=sort)
    want = expected(stored, filters)
    by_id = {r.id: r for r in stored}
    at = next(i for i, pk in enumerate(want) if by_id[pk].data.get("zzs_note") == LONG)
    page = list_tickets(filters, limit=at + 1)
    assert [t.id for t in page.tickets] == want[: at + 1]
    assert page.next_cursor is not None and len(page.next_cursor) < 300
    rest = list_tickets(filters, after=page.next_cursor, limit=500)
    assert [t.id for t in rest.tickets] == want[at + 1 :]


def test_a_cursor_is_valid_for_its_own_field_sort_only(
    setting: Setting, stored: list[Stored]
) -> None:
    sorts: list[Sort | FieldSort] = [*_sorts(), Sort.NEWEST, Sort.DUE]
    cursors = {}
    for sort in sorts:
        page = list_tickets(TicketFilters(template=setting.template, sort=sort), limit=5)
        assert page.next_cursor is not None
        cursors[sort] = page.next_cursor
    for sort, cursor in cursors.items():
        for other in sorts:
            filters = TicketFilters(template=setting.template, sort=other)
            if other == sort:
                assert len(list_tickets(filters, after=cursor, limit=5).tickets) == 5
            else:
                with pytest.raises(BadCursor):
                    list_tickets(filters, after=cursor, limit=5)


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_field_cursor_contents() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    amount = FieldSort("amount", "number", descending=True)
    cursor = encode_field_cursor(amount, Decimal("12345678901234567890.125"), stamp, 7)
    found = decode_field_cursor(cursor, amount)
    assert (found.value, found.created_at, found.ticket_id) == (
        Decimal("12345678901234567890.125"),
        stamp,
        7,
    )
    assert json.loads(base64.urlsafe_b64decode(cursor + "==")) == [
        "12345678901234567890.125",
        stamp.isoformat(),
        7,
        "-f.amount",
    ]
    vip = FieldSort("vip", "boolean")
    assert decode_field_cursor(encode_field_cursor(vip, "true", stamp, 7), vip).value == "true"
    assert (
        json.loads(base64.urlsafe_b64decode(encode_field_cursor(vip, "false", stamp, 7) + "=="))[0]
        is False
    )
    assert decode_field_cursor(encode_field_cursor(vip, None, stamp, 7), vip).value is None
    day = FieldSort("due", "date")
    assert decode_field_cursor(encode_field_cursor(day, "2026-01-02", stamp, 7), day).value == (
        "2026-01-02"
    )
    when = stamp.isoformat()
    for sort, bad in [
        (amount, ["12abc", when, 7, "-f.amount"]),
        (amount, ["1e999999", when, 7, "-f.amount"]),
        (amount, [12.5, when, 7, "-f.amount"]),  # a JSON number: ours are decimal text
        (vip, ["true", when, 7, "f.vip"]),  # a boolean's value is true or false
        (day, [3, when, 7, "f.due"]),
        (day, ["x\x00", when, 7, "f.due"]),
        (day, ["2026-01-02", "yesterday", 7, "f.due"]),
        (day, ["2026-01-02", when, 2**31, "f.due"]),
        (day, ["2026-01-02", when, True, "f.due"]),
        (day, ["2026-01-02", when, 7, "-f.due"]),  # the other direction
        (day, ["2026-01-02", when, 7, "f.other"]),  # another field
        (day, [when, 7, "newest"]),  # a system sort's cursor
        (day, {"at": when}),
        (day, "not base64 !"),
    ]:
        cursor = bad if isinstance(bad, str) else _raw(bad)
        with pytest.raises(BadCursor):
            decode_field_cursor(cursor, sort)
    with pytest.raises(BadCursor):  # and a field cursor is no system sort's
        query.decode_cursor(encode_field_cursor(day, "2026-01-02", stamp, 7), Sort.NEWEST)
    assert query.decode_cursor(encode_cursor(stamp, 7)) == (stamp, 7)


SPECS = [FilterSpec("amount", "number", "Amount"), FilterSpec("vip", "boolean", "VIP")]


def test_read_sort() -> None:
    assert read_sort(None) is Sort.NEWEST and read_sort("") is Sort.NEWEST
    assert read_sort("due", SPECS, "t") is Sort.DUE
    assert read_sort("f.amount", SPECS, "t") == FieldSort("amount", "number")
    assert read_sort("-f.vip", SPECS, "t") == FieldSort("vip", "boolean", descending=True)
    assert FieldSort("amount", "number", descending=True).value == "-f.amount"
    with pytest.raises(BadFilter, match="needs a template"):
        read_sort("f.amount", SPECS, None)
    for bad in ("f.colour", "f.amount.min", "f.bad name", "+f.amount", "f.", "sideways"):
        with pytest.raises(BadFilter):
            read_sort(bad, SPECS, "t")


def test_only_newest_first_walks_days(setting: Setting) -> None:
    from app.tickets.query import DateRange

    dates = (DateRange("zzs_due", "2022-03-01", None, whole_days=True),)
    filters = TicketFilters(template=setting.template, fields=dates, sort=_sorts()[0])
    assert query.day_walk_field(filters) is None
    sql = str(list_statement(filters, day_walk=True).compile(dialect=db.engine.dialect))
    assert "probe" not in sql and "part" in sql


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the parts walk the field's index


@pytest.fixture(scope="module")
def sort_indexes(_session_app: Flask) -> Iterator[None]:
    with _session_app.app_context():
        if db.engine.dialect.name != "postgresql":
            yield
            return
        for field, kind in KINDS.items():
            indexing.ensure_sort_indexes(db.engine, field, kind)
        yield
        db.session.remove()
        for field, kind in KINDS.items():
            drop_field_index(db.engine, field, kind)
            drop_indexes(db.engine, [indexing.missing_index_name(field, kind)])


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize("sort", _sorts(), ids=lambda s: s.value)
@pytest.mark.usefixtures("sort_indexes")
def test_field_sorts_walk_the_field_index(
    backend: str, setting: Setting, stored: list[Stored], sort: FieldSort
) -> None:
    """Each part reads an index in its order (no sort step but the page's own, ≤ 3 × 51 rows)."""
    filters = TicketFilters(template=setting.template, sort=sort)
    index = field_index_names(sort.field, sort.kind)[0]
    first = list_tickets(filters, limit=3)
    assert first.next_cursor is not None
    direction = "Index Scan Backward using" if sort.descending else "Index Scan using"
    with db.engine.connect() as conn:
        # A test table is small: without these the planner may just sort it.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        for after in (None, first.next_cursor):
            plan = explain(conn, list_statement(filters, after))
            # The parts (CTEs), cut before the page's own sort of its few rows.
            parts = plan.split("\n  ->  Sort")[0].split("CTE part")[1:]
            # value parts (booleans: false and true; after a cursor: its value, the next
            # ones) and the tickets without a value
            assert len(parts) == (2 if after is None and sort.kind != "boolean" else 3), plan
            assert f"{direction} {index} " in parts[0], plan
            # the tickets without a value: their own partial index, in creation order
            assert f" {indexing.missing_index_name(sort.field, sort.kind)} " in parts[-1], plan
            assert not any("Sort" in part for part in parts), plan
        conn.rollback()


@pytest.mark.backend("postgresql")
def test_a_page_past_the_values_skips_the_value_walks(
    backend: str, setting: Setting, stored: list[Stored]
) -> None:
    """After a cursor on a ticket without a value only the creation-order part is read."""
    sort = FieldSort("zzs_amount", "number")
    filters = TicketFilters(template=setting.template, sort=sort)
    want = expected(stored, filters)
    by_id = {r.id: r for r in stored}
    first_lacking = next(i for i, pk in enumerate(want) if _value(by_id[pk], sort) is None)
    page = list_tickets(filters, limit=first_lacking + 1)
    assert page.next_cursor is not None
    plan = explain(db.session.connection(), list_statement(filters, page.next_cursor), True)
    assert plan.count("CTE part") == 1, plan
    assert [t.id for t in list_tickets(filters, page.next_cursor, 500).tickets] == want[
        first_lacking + 1 :
    ]


@pytest.mark.backend("postgresql")
@pytest.mark.usefixtures("sort_indexes")
@pytest.mark.parametrize("kind", ["number", "boolean", "date"])
def test_where_no_ticket_lacks_the_value_the_last_page_reads_nothing_more(
    backend: str, setting: Setting, kind: str
) -> None:
    """With every ticket valued, the part after the values finds its index empty at once."""
    field = next(f for f, k in KINDS.items() if k == kind)
    values = {"number": 3, "boolean": True, "date": "2022-03-04"}
    insert_tickets(
        [
            {
                "template": setting.template,
                "department_id": setting.department_id,
                "data": {field: values[kind]},
                "created_at": START + timedelta(hours=n),
                "updated_at": START + timedelta(hours=n),
            }
            for n in range(5)
        ]
    )
    sort = FieldSort(field, kind)
    filters = TicketFilters(template=setting.template, sort=sort)
    page = list_tickets(filters, limit=5)
    assert len(page.tickets) == 5 and page.next_cursor is None
    last = page.tickets[-1]
    after = encode_field_cursor(
        sort, values[kind] if kind != "boolean" else "true", last.created_at, last.id
    )
    assert list_tickets(filters, after=after, limit=5).tickets == []
    with db.engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = explain(conn, list_statement(filters, after), analyze=True)
        conn.rollback()
    lacking = plan.split("CTE part")[-1].split("\n  ->  ")[0]
    index = indexing.missing_index_name(field, kind)
    assert re.search(rf"Index (Only )?Scan using {index} .*rows=0 loops=1", lacking), plan


def test_sorting_is_the_same_with_other_filters(setting: Setting, stored: list[Stored]) -> None:
    sort = FieldSort("zzs_due", "date", descending=True)
    base = TicketFilters(template=setting.template, sort=sort, states=("new",))
    assert listed(base, 9) == expected(stored, base)
    other = replace(base, template=setting.template + "_b")
    assert listed(other, 4) == expected(stored, other)


# ---------------------------------------------------------------------------------------------
# Indexes: the sortable shapes replace the earlier ones; pages remember the day index a while


@pytest.mark.backend("postgresql")
def test_reconcile_builds_the_sortable_shape_and_lists_the_old_one_unused(
    backend: str, app_ctx: Flask
) -> None:
    from tests.app.tickets.test_indexing import publish, template_body

    field = f"zzo_{uuid.uuid4().hex[:6]}"
    old = f"ix_ticket_fn_{field}"
    db.session.commit()
    with db.engine.connect() as conn:  # the number index as it was built before (no tail)
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(
                f"CREATE INDEX {old} ON ticket (template, (CASE WHEN jsonb_typeof(data -> "
                f"'{field}') = 'number' THEN (data ->> '{field}')::numeric END))"
            )
        )
    try:
        key = f"srt_{uuid.uuid4().hex[:8]}"
        publish(template_body(key, {field: "number"}, filters=[field]))
        db.session.commit()
        done = indexing.reconcile()
        new = field_index_names(field, "number")[0]
        assert new.startswith("ix_ticket_fns_") and new in done.built
        lacking = indexing.missing_index_name(field, "number")
        assert lacking.startswith("ix_ticket_fnm_") and lacking in done.built
        ddl = db.session.scalar(
            text("SELECT pg_get_indexdef(CAST(:n AS regclass))"), {"n": lacking}
        )
        assert "(template, created_at DESC, id DESC) WHERE" in str(ddl), ddl
        assert str(ddl).endswith("END IS NULL)"), ddl
        assert old in done.unused and old in indexing.existing()
        ddl = db.session.scalar(text("SELECT pg_get_indexdef(CAST(:n AS regclass))"), {"n": new})
        assert "CASE" in str(ddl) and "created_at DESC, id DESC" in str(ddl), ddl
        db.session.commit()
        dropped = indexing.reconcile(drop_unused=True)
        assert old in dropped.unused and old not in indexing.existing()
    finally:
        db.session.rollback()
        built = [
            field_index_names(field, "number")[0],
            indexing.missing_index_name(field, "number"),
        ]
        drop_indexes(db.engine, [old, *built])


@pytest.mark.backend("postgresql")
def test_pages_remember_whether_a_day_index_is_there(
    backend: str, app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`day_index_known` asks the catalog once per TTL; `forget_day_indexes` asks again."""
    field = f"zzd_{uuid.uuid4().hex[:6]}"
    clock = [1000.0]
    monkeypatch.setattr(query.time, "monotonic", lambda: clock[0])
    query.forget_day_indexes()
    db.session.commit()

    def known() -> bool:
        found = query.day_index_known(db.session, field)
        db.session.commit()  # CREATE/DROP INDEX CONCURRENTLY wait for open transactions
        return found

    try:
        assert not known()
        ensure_field_index(db.engine, field, FieldKind.DATE)
        assert query.day_index_ready(db.session, field)  # the catalog says so at once
        db.session.commit()
        assert not known()  # the page's answer is kept
        clock[0] += query.DAY_INDEX_TTL + 1
        assert known()
        drop_field_index(db.engine, field, FieldKind.DATE)
        assert known()
        query.forget_day_indexes()
        assert not known()
    finally:
        db.session.rollback()
        drop_field_index(db.engine, field, FieldKind.DATE)
        query.forget_day_indexes()


def test_off_postgresql_there_is_no_day_index(backend: str, app_ctx: Flask) -> None:
    assert query.day_index_known(db.session, "zzs_due") is (
        backend == "postgresql" and query.day_index_ready(db.session, "zzs_due")
    )
