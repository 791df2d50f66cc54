"""Time-based rules: tickets in a situation for longer than a period get the rule's actions.

A periodic job (`app.jobs.automations.run_automations`, enqueued by the one cron process)
walks, for every workflow version with automations, the tickets that pinned it and are not
closed, whose clock for the rule (`created_at`, `updated_at` or `state_entered_at`) is old
enough, and runs the actions of each rule whose condition holds. A rule acts once per ticket
and period: the effect key holds the rule and the time its clock started, so the next period
(the ticket entered the state again, was updated again) may act again, but a second run of the
job or a second cron process may not. Tickets are read in id order, a batch per transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.clock import aware, iso
from app.models import Definition
from app.tickets import document
from app.tickets.models import Ticket
from app.tickets.triggers import Firing, run_actions
from app.tickets.workflow import Pinned, loaded
from workflows import Category, WorkflowError
from workflows.model import Automation
from workflows.timers import automation_due

SINCE: dict[str, InstrumentedAttribute[datetime | None]] = {
    "created": Ticket.created_at,
    "updated": Ticket.updated_at,
    "state_entered": Ticket.state_entered_at,
}
BATCH = 500


@dataclass
class Swept:
    """What one run saw and did."""

    tickets: int = 0
    matched: int = 0
    actions: int = 0
    rules: list[str] = field(default_factory=list)


def _versions(s: Session) -> Iterator[Pinned]:
    rows = s.scalars(
        select(Definition).where(Definition.kind == "workflow").order_by(Definition.id)
    ).all()
    for row in rows:
        try:
            pinned = loaded(row)
        except WorkflowError:
            continue
        if pinned.workflow.parts.automations:
            yield pinned


def _candidates(
    s: Session, pinned: Pinned, rule: Automation, now: datetime, after_id: int
) -> list[Ticket]:
    since = SINCE[rule.since]
    conditions: list[ColumnElement[bool]] = [
        Ticket.workflow_key == pinned.key,
        Ticket.workflow_version == pinned.version,
        Ticket.category != Category.CLOSED.value,
        since.is_not(None),
        since <= now - rule.after,  # business time runs slower than calendar time
        Ticket.id > after_id,
    ]
    return list(s.scalars(select(Ticket).where(*conditions).order_by(Ticket.id).limit(BATCH)))


def _act(s: Session, pinned: Pinned, rule: Automation, ticket: Ticket, now: datetime) -> int:
    workflow = pinned.workflow
    started = getattr(ticket, SINCE[rule.since].key)
    since = aware(started)
    if automation_due(rule, workflow.calendar, since) > now:
        return -1
    if rule.when is not None and not rule.when(document.of_ticket(ticket, workflow.calendar)):
        return -1
    key = f"t{ticket.id}:auto:{rule.name}:{iso(since)}"
    return run_actions(Firing(s, ticket, workflow, f"automation.{rule.name}", key), rule.actions)


def sweep(s: Session, now: datetime) -> Swept:
    """Run every automation once over the tickets due now; commits a batch at a time."""
    swept = Swept()
    for pinned in list(_versions(s)):
        for rule in pinned.workflow.parts.automations:
            swept.rules.append(f"{pinned.key} v{pinned.version}: {rule.name}")
            after_id = 0
            while True:
                batch = _candidates(s, pinned, rule, now, after_id)
                if not batch:
                    break
                for ticket in batch:
                    swept.tickets += 1
                    ran = _act(s, pinned, rule, ticket, now)
                    if ran >= 0:
                        swept.matched += 1
                        swept.actions += ran
                after_id = batch[-1].id
                s.commit()
    s.commit()
    return swept
