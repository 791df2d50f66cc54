"""Many tickets at once for the list-query tests, and the pages a list must show of them.

Plain INSERTs with chosen timestamps (the service stamps `now`, and ties or old dates need
exact control); the expected pages come from Python over the rows as the database stored them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from app.extensions import db
from app.tickets import query
from app.tickets.models import Ticket
from app.tickets.query import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    FieldFilter,
    TicketFilters,
    list_tickets,
)


@dataclass(frozen=True)
class Stored:
    """A ticket as stored: what the filters and sorts read."""

    id: int
    template: str
    state: str
    department_id: int
    assignee_id: int | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    resolution_due_at: datetime | None = None


def insert_tickets(specs: list[dict[str, Any]]) -> list[Stored]:
    """INSERT one ticket per spec (template, department_id, data, created_at, updated_at, ...).

    The other NOT NULL columns get fixed values; returns the rows read back, in id order.
    """
    tag = uuid.uuid4().hex[:10]
    base = {
        "template_version": 1,
        "subject": "Bulk",
        "state": "new",
        "priority": "normal",
        "channel": "agent",
        "lock_version": 1,
        "assignee_id": None,
    }
    values = [{**base, "number": f"B{tag}-{n}", **spec} for n, spec in enumerate(specs)]
    db.session.execute(insert(Ticket.__table__), values)
    db.session.commit()
    t = Ticket.__table__.c
    stored = db.session.execute(
        select(
            t.id, t.template, t.state, t.department_id, t.assignee_id, t.data,
            t.created_at, t.updated_at, t.resolution_due_at,
        )
        .where(t.number.like(f"B{tag}-%"))
        .order_by(t.id)
    ).all()
    db.session.commit()
    return [Stored(*row) for row in stored]


FieldCheck = Callable[[Any, FieldFilter], bool]


def field_matches(value: Any, f: FieldFilter) -> bool:
    """Enum and date filters on a stored value (others: pass `check` to `expected_ids`)."""
    if isinstance(f, EnumIs):
        return isinstance(value, str) and value in f.values
    assert isinstance(f, DateRange), f
    return (
        isinstance(value, str)
        and (f.start is None or value >= f.start)
        and (f.end is None or value <= f.end)
    )


def matches(row: Stored, filters: TicketFilters, check: FieldCheck = field_matches) -> bool:
    """Whether a list with `filters` shows `row` (a Stored row or a Ticket)."""
    if filters.template is not None and row.template != filters.template:
        return False
    if filters.states is not None and row.state not in filters.states:
        return False
    if filters.department_ids is not None and row.department_id not in filters.department_ids:
        return False
    if filters.assignee == UNASSIGNED and row.assignee_id is not None:
        return False
    if isinstance(filters.assignee, int) and row.assignee_id != filters.assignee:
        return False
    return all(check(row.data.get(f.field), f) for f in filters.fields)


def expected_ids(
    rows: list[Stored], filters: TicketFilters, check: FieldCheck = field_matches
) -> list[int]:
    """The ids a list with `filters` shows, in its sort order."""
    sort = query.as_sort(filters.sort)
    column, descending = query.SORT_KEYS[sort]
    chosen = [r for r in rows if matches(r, filters, check)]
    if sort in query.NULLS_LAST:  # NULLs after every value, by id among themselves
        chosen.sort(key=lambda r: (getattr(r, column) is None, _stamp(getattr(r, column)), r.id))
    else:
        chosen.sort(key=lambda r: (getattr(r, column), r.id), reverse=descending)
    return [r.id for r in chosen]


def _stamp(value: datetime | None) -> datetime:
    return value if value is not None else datetime.min


def all_pages(filters: TicketFilters, limit: int, most: int = 500) -> list[list[int]]:
    """Every page of the list, following the cursors; fails if pagination does not end."""
    pages: list[list[int]] = []
    cursor = None
    for _ in range(most):
        page = list_tickets(filters, after=cursor, limit=limit)
        pages.append([t.id for t in page.tickets])
        if page.next_cursor is None:
            return pages
        assert len(page.tickets) == limit, "a page before the last one is short"
        cursor = page.next_cursor
    raise AssertionError("pagination does not end")


def listed(filters: TicketFilters, limit: int) -> list[int]:
    """Every id of the list, page after page."""
    return [i for page in all_pages(filters, limit) for i in page]

