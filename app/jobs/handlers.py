"""The ticket topics of the outbox: triggers and webhooks, SLA timers, auto-close, indexes.

Each handler reloads what it acts on and asks again whether its work still stands (the ticket
moved on while the job waited); it runs inside the runner's transaction, which also marks the
message done, and takes an effect key before every effect.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.clock import aware, iso, utcnow
from app.outbox import handles, once
from app.outbox.models import OutboxMessage
from app.tickets.models import Channel, EventKind, Ticket
from app.tickets.service import change_state, record_event
from app.tickets.workflow import workflow_of
from workflows import Category

log = logging.getLogger(__name__)

_LEVEL_EVENTS = {"warning": EventKind.SLA_WARNING, "breach": EventKind.SLA_BREACHED}
_DUE_COLUMNS = {"first_response": "first_response_due_at", "resolution": "resolution_due_at"}


def _ticket(s: Session, message: OutboxMessage) -> Ticket | None:
    if message.ticket_id is None:
        return None
    return s.get(Ticket, message.ticket_id, populate_existing=True)


@handles("ticket.events", queue="high")
def ticket_events(s: Session, message: OutboxMessage) -> None:
    """Send the webhooks of each event the change raised and run the triggers it fires."""
    from app.api.represent import represent
    from app.tickets.triggers import fire
    from app.webhooks import emit

    ticket = _ticket(s, message)
    if ticket is None:
        return
    workflow = workflow_of(ticket).workflow
    for event in message.payload.get("topics", []):
        key = f"t{ticket.id}:m{message.id}:{event}"
        emit(s, key=key, event=event, ticket_id=ticket.id, payload=represent([ticket])[0])
        fire(s, ticket, workflow, event, key)


def _still_due(ticket: Ticket, target: str, due_at: str) -> bool:
    """The timer's due time is the ticket's current one, the clock runs, the target is open."""
    from app.tickets.followups import met

    current = getattr(ticket, _DUE_COLUMNS[target])
    # The same instant, whatever offset each side was written with (a calendar's +08:00, UTC).
    return (
        current is not None
        and aware(current) == datetime.fromisoformat(due_at)
        and ticket.sla_paused_at is None
        and not met(ticket)[target]
    )


@handles("sla.check", queue="high")
def sla_check(s: Session, message: OutboxMessage) -> None:
    """A warning or breach time came: record it once if it still stands."""
    ticket = _ticket(s, message)
    payload = message.payload
    if ticket is None or not _still_due(ticket, payload["target"], payload["due_at"]):
        return
    level = payload["level"]
    key = f"t{ticket.id}:sla:{payload['target']}:{level}:{payload['due_at']}"
    if not once(s, key, f"sla.{level}", ticket.id):
        return
    now = utcnow()
    record_event(
        s, ticket, _LEVEL_EVENTS[level], at=now, actor_id=None, channel=Channel.SYSTEM.value,
        pointer=f"/sla/{payload['target']}", new={"due_at": payload["due_at"]},
    )
    column = Ticket.sla_warned_at if level == "warning" else Ticket.sla_breached_at
    # A Core UPDATE: an SLA event must not make an agent's open edit stale.
    s.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, column.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )


def _solved_at(ticket: Ticket) -> str | None:
    resolved: datetime | None = ticket.resolved_at
    return iso(aware(resolved)) if resolved is not None else None


@handles("ticket.autoclose", queue="high")
def autoclose(s: Session, message: OutboxMessage) -> None:
    """Close a ticket still solved since the time the timer was planned for."""
    ticket = _ticket(s, message)
    payload = message.payload
    if ticket is None or ticket.category != Category.SOLVED.value:
        return
    if _solved_at(ticket) != payload["resolved_at"]:
        return  # reopened (and perhaps solved again: that solve planned its own timer)
    if not once(s, f"t{ticket.id}:autoclose:{payload['resolved_at']}", "autoclose", ticket.id):
        return
    change_state(
        ticket.id, payload["to"], ticket.lock_version, None, channel=Channel.SYSTEM.value,
        note=_("Closed automatically: solved and not reopened."), commit=False, session=s,
    )


@handles("fields.reconcile", queue="low", timeout=2 * 3600, retries=(60, 600))
def fields_reconcile(s: Session, message: OutboxMessage) -> None:
    """Build the per-field indexes the published templates want (PostgreSQL; idempotent)."""
    from app.tickets.indexing import reconcile

    result = reconcile()
    log.info("field indexes: %s", result.as_dict())
