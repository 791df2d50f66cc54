"""What follows a change from the ticket's workflow: its state's category, stamps, SLA clock.

`service._change` calls `follow` after applying a change, in the same transaction: a new state
takes the category the pinned workflow gives it (a state the workflow does not have is refused),
entering a waiting state pauses the SLA clock and leaving it resumes it, solving and closing
stamp `resolved_at` / `closed_at` (reopening clears `resolved_at`), and a change of priority,
data or department re-reads the SLA policy (its conditions see them) and the due times.
Changed due times are recorded as one event.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.clock import iso
from app.tickets import document, sla
from app.tickets.errors import TicketInvalid
from app.tickets.models import EventKind, Ticket
from app.tickets.workflow import workflow_of
from workflows import Category

Change = tuple[EventKind, str, Any, Any]
FOLLOWED = frozenset({"state", "priority", "data", "department_id"})


def _sla_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "policy": ticket.sla_policy,
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "paused": ticket.sla_paused_at is not None,
    }


def _stamp(ticket: Ticket, category: Category, now: datetime) -> None:
    if category is Category.SOLVED:
        ticket.resolved_at = now
    elif category is Category.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None


def follow(ticket: Ticket, changed: Set[str], now: datetime) -> Iterator[Change]:
    """Apply what the workflow says follows from `changed` columns; yield the SLA's change."""
    if not changed & FOLLOWED:
        return
    workflow = workflow_of(ticket).workflow
    if "state" not in changed and not workflow.parts.policies:
        return  # no SLA to re-read: skip building the document on every edit
    before = _sla_view(ticket)
    doc = document.of_ticket(ticket, workflow.calendar)
    if "state" in changed:
        category = workflow.category(ticket.state)
        if category is None:
            raise TicketInvalid(
                {"/state": [_("The ticket's workflow has no state %(state)s.", state=ticket.state)]}
            )
        ticket.category = category.value
        ticket.state_entered_at = now
        _stamp(ticket, category, now)
        sla.enter(ticket, workflow, doc, category, now)
    else:
        sla.apply_targets(ticket, workflow, doc)
    after = _sla_view(ticket)
    if after != before:
        yield EventKind.SLA_CHANGED, "/sla", before, after
