"""List sorts: every sort pages through exactly the right rows, and cursors keep to their sort.

The column sorts (`query.SORT_KEYS`) here; the priority sorts in test_priority_sort.py.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.tickets import query
from app.tickets.errors import BadCursor, BadFilter
from app.tickets.query import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    Sort,
    TicketFilters,
    decode_cursor,
    encode_cursor,
    explain,
    list_statement,
    list_tickets,
)
from tests.app.tickets.bulk import Stored, expected_ids, insert_tickets, listed
from tests.app.tickets.conftest import Setting

START = datetime(2021, 6, 1, 9, tzinfo=UTC)
COLUMN_SORTS = list(query.SORT_KEYS)


@pytest.fixture
def stored(setting: Setting) -> list[Stored]:
    """150 tickets; updated_at is not in created_at order, and both have ties."""
    rng = random.Random(3)
    tied_created = START + timedelta(days=5)
    tied_updated = START + timedelta(days=20)
    tied_due = START + timedelta(days=9)
    specs = []
    for n in range(150):
        created = START + timedelta(hours=rng.randint(0, 24 * 30))
        if n % 8 == 0:
            created = tied_created
        updated = created + timedelta(hours=rng.expovariate(1 / 48))
        if n % 6 == 0:
            updated = max(tied_updated, created)
        # Due times: some none (no SLA or paused), some tied, the rest spread.
        due = None if n % 4 == 0 else created + timedelta(hours=rng.randint(1, 96))
        if n % 9 == 0:
            due = tied_due
        specs.append(
            {
                "template": setting.template if n % 5 else setting.template + "_b",
                "department_id": setting.department_id if n % 3 else setting.other_department_id,
                "assignee_id": [None, setting.agent_id, setting.other_agent_id][n % 4 % 3],
                "state": ["new", "open", "solved"][n % 7 % 3],
                "data": {
                    "region": rng.choice(["north", "south"]),
                    "due": (START.date() + timedelta(days=rng.randint(0, 40))).isoformat(),
                },
                "created_at": created,
                "updated_at": updated,
                "resolution_due_at": due,
            }
        )
    return insert_tickets(specs)


def _cases(s: Setting) -> list[TicketFilters]:
    both = [s.department_id, s.other_department_id]
    return [
        TicketFilters(template=s.template),
        TicketFilters(department_ids=both),
        TicketFilters(department_ids=[s.other_department_id], assignee=UNASSIGNED),
        TicketFilters(department_ids=both, assignee=s.agent_id, states=("new", "open")),
        TicketFilters(template=s.template, fields=(EnumIs("region", ("north",)),)),
        # Date ranges too: other sorts than newest take the plain statement.
        TicketFilters(template=s.template, fields=(DateRange("due", "2021-06-05", "2021-06-30"),)),
        TicketFilters(
            template=s.template,
            fields=(DateRange("due", "2021-06-10", None, whole_days=True),),
        ),
    ]


@pytest.mark.parametrize("sort", COLUMN_SORTS)
def test_every_sort_pages_through_the_right_rows(
    setting: Setting, stored: list[Stored], sort: Sort
) -> None:
    for base in _cases(setting):
        filters = replace(base, sort=sort)
        expected = expected_ids(stored, filters)
        assert expected, filters
        for limit in (1, 7, 50):
            assert listed(filters, limit) == expected, (filters, limit)


def test_sorts_differ_and_ties_exist(setting: Setting, stored: list[Stored]) -> None:
    """The data make the sorts tell apart: five different orders, ties on each column."""
    orders = {
        sort: expected_ids(stored, TicketFilters(template=setting.template, sort=sort))
        for sort in COLUMN_SORTS
    }
    assert len({tuple(ids) for ids in orders.values()}) == 5
    assert orders[Sort.OLDEST] == orders[Sort.NEWEST][::-1]
    assert orders[Sort.LEAST_RECENTLY_UPDATED] == orders[Sort.RECENTLY_UPDATED][::-1]
    mine = [r for r in stored if r.template == setting.template]
    assert len({r.created_at for r in mine}) < len(mine)
    assert len({r.updated_at for r in mine}) < len(mine)
    dues = [r.resolution_due_at for r in mine if r.resolution_due_at is not None]
    assert len(set(dues)) < len(dues) < len(mine)


def test_a_cursor_is_valid_for_its_own_sort_only(setting: Setting, stored: list[Stored]) -> None:
    cursors = {}
    for sort in COLUMN_SORTS:
        page = list_tickets(TicketFilters(template=setting.template, sort=sort), limit=10)
        assert page.next_cursor is not None
        cursors[sort] = page.next_cursor
    for sort, cursor in cursors.items():
        for other in Sort:  # the priority sorts refuse them too
            filters = TicketFilters(template=setting.template, sort=other)
            if other is sort:
                assert len(list_tickets(filters, after=cursor, limit=10).tickets) == 10
            else:
                with pytest.raises(BadCursor):
                    list_tickets(filters, after=cursor, limit=10)


def test_cursor_contents() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    for sort in COLUMN_SORTS:
        assert decode_cursor(encode_cursor(stamp, 7, sort), sort) == (stamp, 7)
        assert decode_cursor(encode_cursor(stamp, 7, sort.value), sort.value) == (stamp, 7)
    # Only a sort whose column may be NULL takes a cursor standing on a NULL.
    assert decode_cursor(encode_cursor(None, 7, Sort.DUE), Sort.DUE) == (None, 7)
    with pytest.raises(BadCursor):
        decode_cursor(encode_cursor(None, 7, Sort.NEWEST), Sort.NEWEST)

    def raw(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    # Cursors made before sorts existed carry none: they are newest-first ones.
    legacy = raw([stamp.isoformat(), 7])
    assert decode_cursor(legacy) == (stamp, 7)
    with pytest.raises(BadCursor):
        decode_cursor(legacy, Sort.OLDEST)
    for bad in (
        raw([stamp.isoformat(), 7, "sideways"]),
        raw([stamp.isoformat(), 7, None]),
        raw([stamp.isoformat(), 7, "newest", "extra"]),
        raw({"at": stamp.isoformat()}),
        raw([stamp.isoformat(), 2**31]),  # beyond ticket.id's integer
        raw([stamp.isoformat(), -1]),
        raw([stamp.isoformat(), True]),
    ):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_unknown_sort_is_a_bad_filter(app_ctx: object) -> None:
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(sort="sideways"))
    with pytest.raises(BadFilter):
        encode_cursor(datetime.now(UTC), 1, "sideways")
    assert query.as_sort("least_recently_updated") is Sort.LEAST_RECENTLY_UPDATED


def test_other_sorts_skip_the_date_range_statement(setting: Setting) -> None:
    dates = (DateRange("due", "2021-06-05", None, whole_days=True),)
    for sort in Sort:
        filters = TicketFilters(template=setting.template, fields=dates, sort=sort)
        sql = str(list_statement(filters, day_walk=True).compile(dialect=db.engine.dialect))
        assert ("probe" in sql) is (sort is Sort.NEWEST), sort


UPDATED_INDEXES = ("ix_ticket_template_updated", "ix_ticket_updated")
CREATED_INDEXES = ("ix_ticket_template_created", "ix_ticket_created")


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize(
    ("sort", "template", "indexes", "direction"),
    [
        (Sort.RECENTLY_UPDATED, True, UPDATED_INDEXES, "Index Scan using"),
        (Sort.LEAST_RECENTLY_UPDATED, True, UPDATED_INDEXES, "Index Scan Backward using"),
        (Sort.RECENTLY_UPDATED, False, UPDATED_INDEXES, "Index Scan using"),
        (Sort.OLDEST, True, CREATED_INDEXES, "Index Scan Backward using"),
    ],
)
def test_sorts_read_their_index(
    backend: str,
    setting: Setting,
    sort: Sort,
    template: bool,
    indexes: tuple[str, ...],
    direction: str,
) -> None:
    """Each sort walks an index in its order (no sort step), with or without a cursor."""
    filters = TicketFilters(
        template=setting.template if template else None,
        department_ids=None if template else [setting.department_id, setting.other_department_id],
        sort=sort,
    )
    with db.engine.connect() as conn:
        # A test table is small: without these the planner may just sort it.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_sort = off"))
        cursor = encode_cursor(datetime(2021, 6, 10, tzinfo=UTC), 1, sort)
        for after in (None, cursor):
            plan = explain(conn, list_statement(filters, after))
            assert any(f"{direction} {index} " in plan for index in indexes), plan
            assert "Sort" not in plan, plan
        conn.rollback()
