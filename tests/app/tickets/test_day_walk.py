"""Date-range pages by walking the days of the window: exactly the rows of the plain query.

`zzw_day` has its field index, so on PostgreSQL a whole-days range on it pages by the day walk
(`query._day_walk`) once the probe of the newest rows falls short (PROBE_ROWS is patched to
force that). `zzw_noix` holds the same values without an index: the walk must stay away, or
fall back by itself when the index goes missing after the check.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.extensions import db
from app.tickets import query
from app.tickets.fields import FieldKind, drop_field_index, ensure_field_index
from app.tickets.query import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    FieldFilter,
    TicketFilters,
    day_index_ready,
    day_walk_field,
    explain,
    list_statement,
    list_tickets,
    page_statement,
)
from tests.app.tickets.bulk import Stored, all_pages, expected_ids, insert_tickets, listed
from tests.app.tickets.conftest import Setting

FIELD = "zzw_day"
UNINDEXED = "zzw_noix"
FIRST_DAY = date(2020, 3, 1)
DAYS = 60
START = datetime(2020, 3, 1, 8, tzinfo=UTC)


def day(n: int) -> str:
    return (FIRST_DAY + timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def day_index(_session_app: Flask) -> Iterator[None]:
    """The field index of `zzw_day` (PostgreSQL), built once for this module and dropped after."""
    with _session_app.app_context():
        ensure_field_index(db.engine, FIELD, FieldKind.DATE)
        yield
        db.session.remove()
        drop_field_index(db.engine, FIELD, FieldKind.DATE)


@pytest.fixture
def stored(day_index: None, setting: Setting) -> list[Stored]:
    """~400 tickets whose days follow creation time, with ties on created_at, in two templates.

    Some lack the field or hold a non-date string; days run over 60 distinct values.
    """
    rng = random.Random(11)
    tied = START + timedelta(days=30)
    specs = []
    for n in range(420):
        offset = rng.randint(0, DAYS - 1)
        created = START + timedelta(days=offset + rng.uniform(0, 20))
        if n % 9 == 0:
            created = tied  # the same created_at across many days: ties break on id
        elif n % 13 == 0:
            created = START + timedelta(days=offset)  # ties within one day too
        data: dict[str, object] = {"region": rng.choice(["north", "south", "east"])}
        roll = rng.random()
        if roll < 0.9:
            data[FIELD] = data[UNINDEXED] = day(offset)
        elif roll < 0.95:
            data[FIELD] = data[UNINDEXED] = "n/a"  # text, not a date: still compared as text
        specs.append(
            {
                "template": setting.template if n % 10 else setting.template + "_b",
                "department_id": setting.department_id if n % 3 else setting.other_department_id,
                "assignee_id": [None, setting.agent_id, setting.other_agent_id][n % 4 % 3],
                "state": ["new", "open", "solved"][n % 7 % 3],
                "data": data,
                "created_at": created,
                "updated_at": created,
            }
        )
    return insert_tickets(specs)


def _walk_ran(filters: TicketFilters) -> bool:
    """Whether the page's statement walked the days (EXPLAIN ANALYZE of what list_tickets runs)."""
    plan = explain(db.session.connection(), page_statement(filters, None, 50, db.session), True)
    lines = [line for line in plan.splitlines() if "CTE Scan on days" in line]
    return bool(lines) and all("never executed" not in line for line in lines)


def _cases(s: Setting) -> list[tuple[str, TicketFilters]]:
    both = [s.department_id, s.other_department_id]

    def walked(*fields: FieldFilter, **system: object) -> TicketFilters:
        return TicketFilters(template=s.template, fields=fields, **system)  # type: ignore[arg-type]

    def window(start: str | None, end: str | None) -> DateRange:
        return DateRange(FIELD, start, end, whole_days=True)

    return [
        ("wide", walked(window(day(0), day(59)))),
        ("wide old", walked(window(day(0), day(35)))),
        ("narrow old", walked(window(day(3), day(6)))),
        ("one day", walked(window(day(10), day(10)))),
        ("recent", walked(window(day(50), None))),
        ("until", walked(window(None, day(20)))),
        ("from (takes in 'n/a')", walked(window(day(40), None))),
        ("any value", walked(window(None, None))),
        ("no such days", walked(window("1999-01-01", "1999-12-31"))),
        ("inverted window", walked(window(day(30), day(10)))),
        ("department", walked(window(day(0), day(40)), department_ids=[s.department_id])),
        ("both departments", walked(window(day(5), day(45)), department_ids=both)),
        ("no department", walked(window(day(0), day(59)), department_ids=[])),
        ("assignee", walked(window(day(0), day(50)), assignee=s.agent_id)),
        ("unassigned", walked(window(day(0), day(50)), assignee=UNASSIGNED)),
        ("states", walked(window(day(0), day(50)), states=("new", "open"))),
        ("enum too", walked(window(day(0), day(50)), EnumIs("region", ("north", "east")))),
        (
            "another date range",
            walked(window(day(0), day(45)), DateRange(UNINDEXED, day(20), day(58))),
        ),
        ("two windows", walked(window(day(0), day(40)), window(day(25), day(59)))),
        (
            "everything",
            walked(
                window(day(2), day(55)),
                EnumIs("region", ("south", "north")),
                department_ids=both,
                assignee=s.other_agent_id,
                states=("new", "open", "solved"),
            ),
        ),
    ]


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize("probe_rows", [0, 40])
def test_walked_pages_are_the_plain_pages(
    backend: str,
    setting: Setting,
    stored: list[Stored],
    probe_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(query, "PROBE_ROWS", probe_rows)
    walked = set()
    for name, filters in _cases(setting):
        expected = expected_ids(stored, filters)
        assert day_walk_field(filters) is not None
        for limit in (1, 7, 50):
            assert listed(filters, limit) == expected, (name, limit)
        if _walk_ran(filters):
            walked.add(name)
    # With no probe every case walks (but the one PostgreSQL sees is empty); with a 40-row
    # probe at least the old windows do.
    if probe_rows == 0:
        assert walked == {name for name, _ in _cases(setting)} - {"no department"}
    else:
        assert {"wide old", "narrow old", "until", "everything"} <= walked


@pytest.mark.backend("postgresql")
def test_first_and_second_page_with_ties(
    backend: str, setting: Setting, stored: list[Stored], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "PROBE_ROWS", 0)
    filters = TicketFilters(
        template=setting.template, fields=(DateRange(FIELD, day(0), day(59), whole_days=True),)
    )
    expected = expected_ids(stored, filters)
    assert len(expected) > 100
    by_id = {r.id: r for r in stored}
    first = list_tickets(filters, limit=50)
    assert [t.id for t in first.tickets] == expected[:50]
    second = list_tickets(filters, after=first.next_cursor, limit=50)
    assert [t.id for t in second.tickets] == expected[50:100]
    # The data tie: a page boundary falls inside a run of equal created_at.
    stamps = [by_id[i].created_at for i in expected]
    assert any(stamps[k] == stamps[k + 1] for k in range(len(stamps) - 1))
    pages = all_pages(filters, 9)
    cut = [k for k in range(len(pages) - 1) if by_id[pages[k][-1]].created_at
           == by_id[pages[k + 1][0]].created_at]
    assert cut, "no page boundary inside a tie"
    assert _walk_ran(filters)


@pytest.mark.backend("postgresql")
def test_no_walk_without_the_index(
    backend: str, setting: Setting, stored: list[Stored], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without its index a whole-days field pages as before; the check is the catalog's."""
    monkeypatch.setattr(query, "PROBE_ROWS", 0)
    filters = TicketFilters(
        template=setting.template,
        fields=(DateRange(UNINDEXED, day(0), day(40), whole_days=True),),
    )
    assert day_index_ready(db.session, FIELD) and not day_index_ready(db.session, UNINDEXED)
    assert not _walk_ran(filters)
    sql = str(page_statement(filters, None, 50, db.session).compile(dialect=db.engine.dialect))
    assert "RECURSIVE" not in sql and "LATERAL" not in sql
    assert listed(filters, 7) == expected_ids(stored, filters)


@pytest.mark.backend("postgresql")
def test_an_index_gone_after_the_check_falls_back_in_the_statement(
    backend: str, setting: Setting, stored: list[Stored], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk statement whose index is missing as it runs reads in created_at order instead."""
    monkeypatch.setattr(query, "PROBE_ROWS", 0)
    filters = TicketFilters(
        template=setting.template,
        fields=(DateRange(UNINDEXED, day(0), day(40), whole_days=True),),
    )
    statement = list_statement(filters, limit=500, day_walk=True)  # as if the check said yes
    plan = explain(db.session.connection(), statement, analyze=True)
    in_order = plan[plan.index("Subquery Scan on in_order") :]
    assert "One-Time Filter" in in_order and "never executed" not in in_order.splitlines()[0]
    assert [t.id for t in db.session.scalars(statement)] == expected_ids(stored, filters)


@pytest.mark.backend("postgresql")
def test_an_invalid_index_does_not_count(backend: str, setting: Setting, stored: object) -> None:
    db.session.commit()
    with db.engine.connect() as conn:
        assert day_index_ready(conn, FIELD)
        conn.execute(
            text(
                "UPDATE pg_index SET indisvalid = false "
                f"WHERE indexrelid = 'ix_ticket_fv_{FIELD}'::regclass"
            )
        )
        assert not day_index_ready(conn, FIELD)  # as a build CONCURRENTLY leaves it until done
        conn.rollback()
        assert day_index_ready(conn, FIELD)


def test_whole_days_changes_no_row(
    backend: str, setting: Setting, stored: list[Stored], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On both backends the flag only picks a plan (SQLite never walks: no LATERAL)."""
    monkeypatch.setattr(query, "PROBE_ROWS", 0)
    for name, filters in _cases(setting)[:8]:
        plain = TicketFilters(
            template=filters.template,
            fields=tuple(
                DateRange(f.field, f.start, f.end) if isinstance(f, DateRange) else f
                for f in filters.fields
            ),
        )
        assert listed(filters, 11) == listed(plain, 11) == expected_ids(stored, plain), name
    if backend == "sqlite":
        assert not day_index_ready(db.session, FIELD)


def test_when_a_walk_may_serve(setting: Setting) -> None:
    whole = DateRange(FIELD, day(0), day(9), whole_days=True)
    assert day_walk_field(TicketFilters(template="t", fields=(whole,))) == whole
    assert day_walk_field(TicketFilters(fields=(whole,))) is None  # no template
    assert day_walk_field(TicketFilters(template="t", fields=(DateRange(FIELD),))) is None
    assert day_walk_field(TicketFilters(template="t", fields=(whole,), sort="oldest")) is None


days_st = st.one_of(st.none(), st.integers(-3, DAYS + 3).map(day))


@pytest.mark.backend("postgresql")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=days_st,
    end=days_st,
    departments=st.sampled_from(["one", "both", None]),
    assignee=st.sampled_from([None, "agent", UNASSIGNED]),
    states=st.one_of(st.none(), st.sets(st.sampled_from(["new", "open", "solved"]), min_size=1)),
    region=st.one_of(st.none(), st.sampled_from(["north", "south", "east"])),
    limit=st.sampled_from([3, 20, 50]),
    probe_rows=st.sampled_from([0, 30, 5000]),
)
def test_walked_pages_property(
    backend: str,
    setting: Setting,
    stored: list[Stored],
    start: str | None,
    end: str | None,
    departments: str | None,
    assignee: str | None,
    states: set[str] | None,
    region: str | None,
    limit: int,
    probe_rows: int,
) -> None:
    scope = {
        "one": [setting.department_id],
        "both": [setting.department_id, setting.other_department_id],
        None: None,
    }[departments]
    fields: list[FieldFilter] = [DateRange(FIELD, start, end, whole_days=True)]
    if region:
        fields.append(EnumIs("region", (region,)))
    filters = TicketFilters(
        template=setting.template,
        department_ids=scope,
        assignee=setting.agent_id if assignee == "agent" else assignee,  # type: ignore[arg-type]
        states=tuple(sorted(states)) if states else None,
        fields=tuple(fields),
    )
    old = query.PROBE_ROWS
    query.PROBE_ROWS = probe_rows  # monkeypatch is function-scoped: undone by hand per example
    try:
        assert listed(filters, limit) == expected_ids(stored, filters)
    finally:
        query.PROBE_ROWS = old
