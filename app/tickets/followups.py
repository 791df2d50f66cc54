"""What a ticket change leaves for later, written in its own transaction (the outbox).

`service.record_event` notes every event in the session; just before the commit this module
turns them, per ticket, into outbox messages:
- one `ticket.events` message naming the trigger events the change raised (`ticket.created`,
  `ticket.transitioned`, `sla.breached`, ...), the event ids and the trigger depth: the job
  runs the pinned workflow's triggers and sends the webhooks;
- `sla.check` timers (warning and breach of each target still open) when the SLA clock was
  started or its due times changed;
- one `ticket.autoclose` timer when the ticket was solved.
A timer that no longer stands when it fires (the due time moved, the ticket was reopened) does
nothing: the job compares what it was planned for with the ticket as it is then.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.clock import aware, iso
from app.outbox import add
from app.tickets.models import EventKind, Ticket, TicketEvent
from app.tickets.sla import clock_of
from workflows import Category
from workflows.timers import auto_close, auto_close_at, policy_targets, sla_timers

EVENTS = "tessera_ticket_events"  # session.info: (ticket, event, depth), not yet committed

TOPICS: dict[str, str] = {
    EventKind.CREATED: "ticket.created",
    EventKind.FIELD_CHANGED: "ticket.updated",
    EventKind.ASSIGNED: "ticket.assigned",
    EventKind.ROUTED: "ticket.assigned",
    EventKind.CLAIMED: "ticket.assigned",
    EventKind.TRANSFERRED: "ticket.assigned",
    EventKind.STATE_CHANGED: "ticket.transitioned",
    EventKind.COMMENTED: "ticket.commented",
    EventKind.CHASED: "ticket.chased",
    EventKind.APPROVAL_REQUESTED: "approval.requested",
    EventKind.APPROVAL_DECIDED: "approval.decided",
    EventKind.SLA_WARNING: "sla.warning",
    EventKind.SLA_BREACHED: "sla.breached",
}
"""Event kinds → the trigger event names of the workflow language."""

_REPLAN = frozenset({EventKind.CREATED.value, EventKind.SLA_CHANGED.value})


def met(ticket: Ticket) -> dict[str, bool]:
    """Which SLA targets the ticket has met."""
    return {
        "first_response": ticket.first_response_at is not None,
        "resolution": ticket.resolved_at is not None,
    }


def plan_sla(s: Session, ticket: Ticket) -> int:
    """Write the `sla.check` timers of the ticket's current due times; how many."""
    from app.tickets.workflow import workflow_of

    clock = clock_of(ticket)
    if clock is None or ticket.sla_policy is None:
        return 0
    workflow = workflow_of(ticket).workflow
    targets = policy_targets(workflow.parts, ticket.sla_policy, ticket.priority)
    if targets is None:
        return 0
    timers = sla_timers(workflow.calendar, clock, targets, workflow.parts.warning, met(ticket))
    for timer in timers:
        add(
            s, "sla.check", ticket_id=ticket.id, run_at=timer.at,
            payload={"target": timer.target, "level": timer.level, "due_at": iso(timer.due)},
        )
    return len(timers)


def plan_auto_close(s: Session, ticket: Ticket) -> bool:
    """Write the `ticket.autoclose` timer of a solved ticket; False when there is none."""
    from app.tickets.workflow import workflow_of

    if ticket.category != Category.SOLVED.value or ticket.resolved_at is None:
        return False
    workflow = workflow_of(ticket).workflow
    rule = auto_close(workflow.parts)
    if rule is None:
        return False
    solved_at = aware(ticket.resolved_at)
    add(
        s, "ticket.autoclose", ticket_id=ticket.id,
        run_at=auto_close_at(rule, workflow.calendar, solved_at),
        payload={"resolved_at": iso(solved_at), "to": rule.to},
    )
    return True


Noted = tuple[Ticket, TicketEvent, int]


def _grouped(noted: Sequence[Noted]) -> dict[int, tuple[Ticket, list[TicketEvent], int]]:
    groups: dict[int, tuple[Ticket, list[TicketEvent], int]] = {}
    for ticket, event, depth in noted:
        _, events, deepest = groups.get(id(ticket), (ticket, [], 0))
        events.append(event)
        groups[id(ticket)] = (ticket, events, max(deepest, depth))
    return groups


def write(s: Session, noted: Sequence[Noted]) -> None:
    """The outbox messages of the noted events (flushed: they have ids)."""
    for ticket, events, depth in _grouped(noted).values():
        kinds = [e.kind for e in events]
        topics = list(dict.fromkeys(TOPICS[k] for k in kinds if k in TOPICS))
        if topics:
            add(
                s, "ticket.events", ticket_id=ticket.id,
                payload={"topics": topics, "events": [e.id for e in events], "depth": depth},
            )
        if _REPLAN.intersection(kinds):
            plan_sla(s, ticket)
        if EventKind.STATE_CHANGED.value in kinds:
            plan_auto_close(s, ticket)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the transaction goes on
    noted = session.info.pop(EVENTS, None)
    if not noted:
        return
    session.flush()  # the events get their ids
    write(session, noted)
    session.flush()


def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(EVENTS, None)


def install() -> None:
    """Listen on every Session (idempotent)."""
    if sa_event.contains(Session, "before_commit", _before_commit):
        return
    sa_event.listen(Session, "before_commit", _before_commit)
    sa_event.listen(Session, "after_rollback", _forget)
