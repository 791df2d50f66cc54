"""The ticket document: the one shape every workflow condition sees (`docs/workflows.md`).

Routing, transition guards and requirements, SLA policies, triggers and automations all read
this document, built here and nowhere else, from a ticket being created or a stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.clock import aware
from app.extensions import db
from app.models import Department
from app.tickets.models import Ticket
from workflows import BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def build(
    *,
    data: Mapping[str, Any],
    template: str,
    priority: str,
    channel: str,
    state: str,
    department: str | None,
    requester: Mapping[str, str | None],
    created_at: datetime,
    calendar: BusinessCalendar,
    chases: int = 0,
) -> dict[str, Any]:
    """The document of a ticket with these values; times in the calendar's zone."""
    local = created_at.astimezone(calendar.timezone)
    return {
        "data": dict(data),
        "template": template,
        "priority": priority,
        "channel": channel,
        "state": state,
        "department": department,
        "requester": dict(requester),
        "created_at": local.isoformat(),
        "hour": local.hour,
        "weekday": WEEKDAYS[local.weekday()],
        "in_business_hours": calendar.is_open(created_at),
        "chases": chases,
    }


def department_key(department_id: int | None) -> str | None:
    """The key of a department by id (None for none; no query when the session holds it)."""
    if department_id is None:
        return None
    department = db.session.get(Department, department_id)
    return None if department is None else department.key


def of_ticket(ticket: Ticket, calendar: BusinessCalendar, data: Any = None) -> dict[str, Any]:
    """The document of a stored ticket (with `data` instead of its own when given)."""
    return build(
        data=ticket.data if data is None else data,
        template=ticket.template,
        priority=ticket.priority,
        channel=ticket.channel,
        state=ticket.state,
        department=department_key(ticket.department_id),
        requester={
            "name": ticket.requester_name,
            "email": ticket.requester_email,
            "phone": ticket.requester_phone,
        },
        created_at=aware(ticket.created_at),
        calendar=calendar,
        chases=ticket.chases or 0,
    )
