"""A ticket's SLA clock in its columns: started on create, paused in waiting states, recomputed.

The arithmetic is the engine's (`workflows.sla`); this module reads and writes the columns that
hold the clock (`sla_policy`, `sla_started_at`, `sla_paused_seconds`, `sla_paused_at`) and the
due times lists sort by (`first_response_due_at`, `resolution_due_at`). A met target (the first
public reply, the resolution) keeps its due time, so reports can compare the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from app.clock import aware
from app.tickets.models import Ticket
from workflows import Category, Workflow
from workflows import sla as clocks


def clock_of(ticket: Ticket) -> clocks.Clock | None:
    """The ticket's SLA clock from its columns (None: none started)."""
    if ticket.sla_started_at is None:
        return None
    paused_at = ticket.sla_paused_at
    return clocks.Clock(
        aware(ticket.sla_started_at),
        timedelta(seconds=ticket.sla_paused_seconds or 0.0),
        aware(paused_at) if paused_at is not None else None,
    )


def _utc(value: datetime | None) -> datetime | None:
    """Times are stored in UTC: SQLite keeps the wall time and drops the offset."""
    return value.astimezone(UTC) if value is not None else None


def _store(ticket: Ticket, clock: clocks.Clock) -> None:
    ticket.sla_started_at = _utc(clock.started_at)
    ticket.sla_paused_seconds = clock.paused.total_seconds()
    ticket.sla_paused_at = _utc(clock.paused_since)


def start(ticket: Ticket, workflow: Workflow, doc: Mapping[str, Any], at: datetime) -> None:
    """Start the clock of a new ticket at `at` under the policy that applies to it."""
    _store(ticket, clocks.Clock(at))
    apply_targets(ticket, workflow, doc)


def apply_targets(ticket: Ticket, workflow: Workflow, doc: Mapping[str, Any]) -> None:
    """Due times for the ticket's priority and document now (after a priority change too)."""
    clock = clock_of(ticket)
    terms = workflow.sla(ticket.priority, doc)
    if clock is None or terms is None:
        ticket.sla_policy = None
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    due = clocks.due(terms.calendar, clock, terms.targets)
    ticket.sla_policy = terms.policy
    ticket.first_response_due_at = _utc(due.first_response)
    ticket.resolution_due_at = _utc(due.resolution)


def enter(
    ticket: Ticket,
    workflow: Workflow,
    doc: Mapping[str, Any],
    category: Category,
    at: datetime,
) -> None:
    """The ticket enters a state of `category` at `at`: pause or resume its clock."""
    clock = clock_of(ticket)
    if clock is None:
        return
    if category is Category.WAITING:
        _store(ticket, clocks.pause(clock, at))
    else:
        _store(ticket, clocks.resume(workflow.calendar, clock, at))
    apply_targets(ticket, workflow, doc)
