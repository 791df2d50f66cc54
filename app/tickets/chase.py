"""Chasing a ticket (催单): the customer asks again about a ticket that takes too long.

A chase counts on the ticket (`Ticket.chases`) and records one `chased` event, in one
transaction; the workflow's triggers react to that event. The count is raised by a Core
UPDATE (`chases = chases + 1`) that leaves `lock_version` alone, as comments do: an agent
editing the ticket is not made stale by a chase.

Refused, writing nothing: a solved or closed ticket (TicketInvalid at `/category`: it is
reopened instead), and a second chase by the same actor within `TESSERA_CHASE_INTERVAL`
seconds (ChaseTooSoon, 429, with the seconds left to wait). Chases without an actor
(`actor_id` None) count as one actor's.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.clock import aware, utcnow
from app.tickets.errors import ChaseTooSoon, TicketInvalid
from app.tickets.models import Category, Channel, EventKind, Ticket, TicketEvent
from app.tickets.service import get_ticket, record_event
from app.tickets.transitions import MAX_NOTE, clean_text

__all__ = ["DEFAULT_INTERVAL", "chase", "chase_interval", "ordinal"]

DEFAULT_INTERVAL = 600  # seconds, when TESSERA_CHASE_INTERVAL is not configured

DONE = (Category.SOLVED.value, Category.CLOSED.value)


def chase_interval() -> int:
    """Seconds before the same actor may chase the same ticket again (config, at least 0)."""
    return max(int(current_app.config.get("TESSERA_CHASE_INTERVAL", DEFAULT_INTERVAL)), 0)


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def chase(
    ticket_id: int,
    actor_id: int | None,
    *,
    channel: str,
    note: str | None = None,
    commit: bool = True,
    session: Session | None = None,
) -> Ticket:
    """Count one chase of the ticket and record its `chased` event; the ticket, counted.

    TicketNotFound for no such ticket; TicketInvalid at `/category` for a solved or closed
    one, at `/channel` or `/note` for unusable values; ChaseTooSoon when `actor_id` chased it
    less than `chase_interval()` seconds ago. With `commit=False` it only flushes.
    """
    if channel not in set(Channel):
        raise TicketInvalid({"/channel": [f"must be one of {', '.join(Channel)}"]})
    text = clean_text(note, "/note", MAX_NOTE)
    s = _session(session)
    try:
        ticket = get_ticket(ticket_id, s)
        if ticket.category in DONE:
            raise _done(ticket.category)
        now = utcnow()
        count = _count_one(s, ticket_id)
        if count is None:  # solved or closed meanwhile
            raise _done(s.scalar(select(Ticket.category).where(Ticket.id == ticket_id)))
        _refuse_if_recent(s, ticket_id, actor_id, now)
        set_committed_value(ticket, "chases", count)  # the stored count, not a change to flush
        record_event(
            s, ticket, EventKind.CHASED, at=now, actor_id=actor_id, channel=channel,
            new={"chases": count}, note=text,
        )
        s.flush()
        if commit:
            s.commit()
    except BaseException:
        s.rollback()
        raise
    return ticket


def _count_one(s: Session, ticket_id: int) -> int | None:
    """`chases = chases + 1` on a ticket still being worked; the new count (None: not done).

    A Core UPDATE: neither the version counter nor loaded objects are touched. It also holds
    the ticket's row until the commit, so two chases of one ticket are checked one at a time.
    """
    return s.scalar(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.category.not_in(DONE))
        .values(chases=Ticket.chases + 1)
        .returning(Ticket.chases)
        .execution_options(synchronize_session=False)
    )


def _last_chase(s: Session, ticket_id: int, actor_id: int | None) -> datetime | None:
    """When `actor_id` (None: no actor) last chased the ticket."""
    actor = TicketEvent.actor_id.is_(None) if actor_id is None else TicketEvent.actor_id == actor_id
    found = s.scalar(
        select(func.max(TicketEvent.at)).where(
            TicketEvent.ticket_id == ticket_id,
            TicketEvent.kind == EventKind.CHASED.value,
            actor,
        )
    )
    return aware(found) if found is not None else None


def _refuse_if_recent(s: Session, ticket_id: int, actor_id: int | None, now: datetime) -> None:
    """ChaseTooSoon when the actor's last chase is less than the chase interval ago."""
    last = _last_chase(s, ticket_id, actor_id)
    if last is None:
        return
    left = chase_interval() - (now - last).total_seconds()
    if left > 0:
        seconds = math.ceil(left)
        raise ChaseTooSoon(
            _(
                "You chased this ticket already; you may chase it again in %(seconds)d "
                "seconds.",
                seconds=seconds,
            ),
            seconds,
        )


def _done(category: str | None) -> TicketInvalid:
    if category == Category.CLOSED.value:
        message = _("This ticket is already closed; it cannot be chased.")
    else:
        message = _("This ticket is already solved; reopen it instead.")
    return TicketInvalid({"/category": [message]})


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st (English ordinals)."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
