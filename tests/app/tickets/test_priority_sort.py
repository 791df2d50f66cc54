"""Lists sorted by priority (`?sort=priority` / `-priority`): order, cursors, index, budget.

The expected order is computed in Python from the rows as stored: low < normal < high < urgent
(urgent first for `-priority`), ties newest first (created_at, then id, down) either way.
"""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.extensions import db
from app.tickets import keyedsort, query
from app.tickets.errors import BadCursor
from app.tickets.models import Ticket
from app.tickets.query import (
    EnumIs,
    FieldSort,
    Sort,
    TicketFilters,
    decode_priority_cursor,
    encode_cursor,
    encode_field_cursor,
    encode_priority_cursor,
    explain,
    list_statement,
    list_tickets,
    read_sort,
)
from tests.app.api.test_tickets_api import API, Api, api, good, template  # noqa: F401
from tests.app.security.test_statement_budget import (  # noqa: F401
    BUDGET,
    billing_lists,
    warm_statements,
)
from tests.app.tickets.bulk import Stored, insert_tickets, listed, matches
from tests.app.tickets.conftest import Setting

START = datetime(2023, 5, 1, 9, tzinfo=UTC)
RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
SORTS = [Sort.PRIORITY, Sort.PRIORITY_DESC]


@pytest.fixture
def stored(setting: Setting) -> dict[int, tuple[Stored, str]]:
    """{id: (row, priority)}: 120 tickets, 20 of another template; tied creation times."""
    rng = random.Random(5)
    tied = START + timedelta(days=2)
    specs = []
    for n in range(120):
        created = tied if n % 6 == 0 else START + timedelta(hours=rng.randint(0, 24 * 10))
        specs.append(
            {
                "template": setting.template if n % 6 != 1 else setting.template + "_b",
                "department_id": setting.department_id if n % 3 else setting.other_department_id,
                "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
                "data": {"region": rng.choice(["north", "south"])},
                "created_at": created,
                "updated_at": created,
            }
        )
    rows = insert_tickets(specs)
    priorities = dict(
        db.session.execute(
            select(Ticket.id, Ticket.priority).where(Ticket.id.in_([r.id for r in rows]))
        ).all()
    )
    db.session.commit()
    return {r.id: (r, priorities[r.id]) for r in rows}


def expected(stored: dict[int, tuple[Stored, str]], filters: TicketFilters) -> list[int]:
    chosen = [(r, p) for r, p in stored.values() if matches(r, filters)]
    if filters.priorities is not None:
        chosen = [(r, p) for r, p in chosen if p in filters.priorities]
    chosen.sort(key=lambda rp: (rp[0].created_at, rp[0].id), reverse=True)
    chosen.sort(key=lambda rp: RANK[rp[1]], reverse=filters.sort is Sort.PRIORITY_DESC)
    return [r.id for r, _ in chosen]


def _cases(s: Setting, sort: Sort) -> list[TicketFilters]:
    both = [s.department_id, s.other_department_id]
    return [
        TicketFilters(template=s.template, sort=sort),
        TicketFilters(department_ids=both, sort=sort),
        TicketFilters(template=s.template, department_ids=[s.department_id], sort=sort),
        TicketFilters(template=s.template, fields=(EnumIs("region", ("north",)),), sort=sort),
        TicketFilters(template=s.template, priorities=("low", "urgent"), sort=sort),
    ]


@pytest.mark.parametrize("sort", SORTS)
def test_a_priority_sort_pages_through_the_right_rows(
    setting: Setting, stored: dict[int, tuple[Stored, str]], sort: Sort
) -> None:
    for filters in _cases(setting, sort):
        want = expected(stored, filters)
        assert len(want) > 10, filters
        for limit in (1, 7, 50, 200):
            assert listed(filters, limit) == want, (filters, limit)


def test_a_cursor_past_the_filtered_priorities_shows_an_empty_page(
    setting: Setting, stored: dict[int, tuple[Stored, str]]
) -> None:
    filters = TicketFilters(
        template=setting.template, priorities=("urgent",), sort=Sort.PRIORITY_DESC
    )
    assert listed(filters, 5) == expected(stored, filters)
    later = encode_priority_cursor("high", START + timedelta(days=30), 1, Sort.PRIORITY_DESC)
    page = list_tickets(filters, after=later, limit=5)
    assert page.tickets == [] and page.next_cursor is None


def test_the_data_exercise_every_priority_and_ties(
    setting: Setting, stored: dict[int, tuple[Stored, str]]
) -> None:
    mine = [(r, p) for r, p in stored.values() if r.template == setting.template]
    assert {p for _, p in mine} == set(RANK)
    tie = (START + timedelta(days=2)).replace(tzinfo=None)
    tied = [p for r, p in mine if r.created_at.replace(tzinfo=None) == tie]
    assert len(tied) > len(set(tied))  # equal creation times within one priority


@pytest.mark.parametrize("sort", SORTS)
def test_pages_cross_priority_boundaries(
    setting: Setting, stored: dict[int, tuple[Stored, str]], sort: Sort
) -> None:
    """A page ending on the last ticket of a priority leads to the next priority's newest."""
    filters = TicketFilters(template=setting.template, sort=sort)
    want = expected(stored, filters)
    priority = {pk: p for pk, (_, p) in stored.items()}
    ends = [i for i in range(len(want) - 1) if priority[want[i]] != priority[want[i + 1]]]
    assert len(ends) == 3
    for end in ends:
        page = list_tickets(filters, limit=end + 1)
        assert [t.id for t in page.tickets] == want[: end + 1]
        assert page.next_cursor is not None
        assert decode_priority_cursor(page.next_cursor, sort)[0] == priority[want[end]]
        rest = list_tickets(filters, after=page.next_cursor, limit=3)
        assert [t.id for t in rest.tickets] == want[end + 1 : end + 4]
        # and a page that starts one before the boundary runs over into the next priority
        before = list_tickets(filters, limit=end)
        assert before.next_cursor is not None
        over = list_tickets(filters, after=before.next_cursor, limit=2)
        assert [t.id for t in over.tickets] == want[end : end + 2]


def test_priority_cursors_keep_to_their_sort(
    setting: Setting, stored: dict[int, tuple[Stored, str]]
) -> None:
    sorts: list[Sort | FieldSort] = [*SORTS, Sort.NEWEST, FieldSort("region", "enum")]
    cursors = {}
    for sort in sorts:
        page = list_tickets(TicketFilters(template=setting.template, sort=sort), limit=4)
        assert page.next_cursor is not None
        cursors[sort] = page.next_cursor
    for sort, cursor in cursors.items():
        for other in sorts:
            filters = TicketFilters(template=setting.template, sort=other)
            if other == sort:
                assert len(list_tickets(filters, after=cursor, limit=4).tickets) == 4
            else:
                with pytest.raises(BadCursor):
                    list_tickets(filters, after=cursor, limit=4)


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_priority_cursor_contents() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    cursor = encode_priority_cursor("high", stamp, 7, Sort.PRIORITY_DESC)
    assert decode_priority_cursor(cursor, Sort.PRIORITY_DESC) == ("high", stamp, 7)
    assert json.loads(base64.urlsafe_b64decode(cursor + "==")) == [
        "high",
        stamp.isoformat(),
        7,
        "-priority",
    ]
    when = stamp.isoformat()
    for bad in [
        _raw(["critical", when, 7, "priority"]),  # not a priority
        _raw([None, when, 7, "priority"]),
        _raw(["high", when, 7, "-priority"]),  # the other direction
        _raw(["high", "yesterday", 7, "priority"]),
        _raw(["high", when, 2**31, "priority"]),
        _raw(["high", when, True, "priority"]),
        _raw(["high", when, 7, "f.priority"]),  # a custom field's sort
        encode_cursor(stamp, 7, Sort.NEWEST),
        encode_field_cursor(FieldSort("high", "enum"), "x", stamp, 7),
        "not base64 !",
    ]:
        with pytest.raises(BadCursor):
            decode_priority_cursor(bad, Sort.PRIORITY)
    with pytest.raises(BadCursor):  # and a priority cursor is no other sort's
        query.decode_cursor(cursor, Sort.NEWEST)


def test_read_sort_knows_the_priority_sorts() -> None:
    assert read_sort("priority") is Sort.PRIORITY
    assert read_sort("-priority", (), "some_template") is Sort.PRIORITY_DESC
    query.check_cursor(encode_priority_cursor("low", START, 3, Sort.PRIORITY), "priority")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: each part reads one range of a priority index, in its order


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize(
    ("per_template", "index"),
    [(True, "ix_ticket_template_priority"), (False, "ix_ticket_priority")],
)
def test_priority_sorts_read_their_index(
    backend: str,
    setting: Setting,
    stored: dict[int, tuple[Stored, str]],
    sort: Sort,
    per_template: bool,
    index: str,
) -> None:
    filters = TicketFilters(
        template=setting.template if per_template else None,
        department_ids=None
        if per_template
        else [setting.department_id, setting.other_department_id],
        sort=sort,
    )
    first = list_tickets(filters, limit=3)
    assert first.next_cursor is not None
    with db.engine.connect() as conn:
        # A test table is small: without these the planner may just sort it; with statistics
        # it knows the test's template is a small part of the table.
        conn.execute(text("ANALYZE ticket"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        conn.execute(text("SET LOCAL enable_sort = off"))
        for after in (None, first.next_cursor):
            plan = explain(conn, list_statement(filters, after))
            # The parts (CTEs), cut before the page's own sort of its few rows: one per
            # priority, from the cursor's on.
            parts = plan.split("\n  ->  Sort")[0].split("CTE part")[1:]
            start = None if after is None else decode_priority_cursor(after, sort)[0]
            assert len(parts) == len(keyedsort.priority_order(sort, start)), plan
            # each part walks an index in its order (where a priority is common in a small
            # test table, the creation-order index with a filter may be the planner's pick)
            assert all(re.search(r"Index (Only )?Scan using", part) for part in parts), plan
            assert re.search(rf"Index (Only )?Scan using {index} ", plan), plan
            assert not any("Sort" in part for part in parts), plan
        conn.rollback()


# ---------------------------------------------------------------------------------------------
# The list page and the API


def _sort_header(client: FlaskClient, path: str) -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200
    found = re.search(
        r'<th([^>]*)>\s*<a class="ticket-sort" id="sort-priority" href="([^"]+)"', page.text
    )
    assert found is not None, page.text
    return found.group(1), found.group(2).replace("&amp;", "&")


def test_the_priority_header_sorts_urgent_first_then_low_first(
    app: Flask, client: FlaskClient
) -> None:
    with client:
        client.post("/login/", data={"username": "admin", "password": "admin"})
        attrs, link = _sort_header(client, "/tickets/?view=all&q=x")
        assert "aria-sort" not in attrs and "sort=-priority" in link and "q=x" in link
        attrs, link = _sort_header(client, "/tickets/?view=all&sort=-priority")
        assert 'aria-sort="descending"' in attrs and "sort=priority" in link
        attrs, link = _sort_header(client, "/tickets/?view=all&sort=priority")
        assert 'aria-sort="ascending"' in attrs and "sort=-priority" in link
        options = client.get("/tickets/?sort=priority").text
        assert '<option value="-priority"' in options and '<option value="priority" ' in options


def test_the_api_sorts_by_priority(api: Api, template: str) -> None:  # noqa: F811
    made = {}
    for name, priority in [("a", "high"), ("b", "low"), ("c", "urgent"), ("d", "high")]:
        payload: dict[str, Any] = {"priority": priority}
        response = api("POST", API, json={**good(template), **payload})
        assert response.status_code == 201, response.json
        made[name] = response.json["id"]

    def pages(sort: str, limit: int) -> list[int]:
        ids: list[int] = []
        cursor = ""
        for _ in range(10):
            response = api("GET", f"{API}?template={template}&sort={sort}&limit={limit}{cursor}")
            assert response.status_code == 200, response.json
            ids += [t["id"] for t in response.json["result"]]
            if response.json["next_cursor"] is None:
                return ids
            cursor = f"&cursor={response.json['next_cursor']}"
        raise AssertionError("pagination does not end")

    for limit in (1, 3, 50):
        assert pages("priority", limit) == [made[n] for n in "bdac"], limit
        assert pages("-priority", limit) == [made[n] for n in "cdab"], limit
    first = api("GET", f"{API}?template={template}&sort=priority&limit=1").json
    other = api("GET", f"{API}?template={template}&sort=-priority&cursor={first['next_cursor']}")
    assert other.status_code == 400, other.json


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.parametrize(
    "path",
    [
        "/tickets/?view=all&sort=-priority",
        "/tickets/?view=queue&sort=priority&limit=1",
        "/tickets/?template=refund&sort=-priority&limit=1",
        "/tickets/?template=refund&sort=priority&priority=high&priority=normal",
    ],
)
@pytest.mark.usefixtures("billing_lists")
def test_a_priority_sorted_page_keeps_the_statement_budget(
    app: Flask, client_as: Any, role: str, path: str
) -> None:
    seen = warm_statements(client_as(role), app, path)
    assert len(seen) <= BUDGET, "\n".join(seen)


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.usefixtures("billing_lists")
def test_the_next_page_by_priority_keeps_the_statement_budget(
    app: Flask, client_as: Any, role: str
) -> None:
    client = client_as(role)
    first = client.get("/tickets/?template=refund&sort=-priority&limit=1")
    match = re.search(r'id="next-page"[^>]*href="([^"]+)"', first.text)
    assert match, first.text
    seen = warm_statements(client, app, match.group(1).replace("&amp;", "&"))
    assert len(seen) <= BUDGET, "\n".join(seen)
