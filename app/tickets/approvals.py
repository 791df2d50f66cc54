"""Deciding a ticket transition that waits for a department head.

`app.tickets.transitions.take` opens the request (the transition's name, the ticket's data with
the requester's changes, their note); `decide_transition` records a head's decision through
the shared rules of `app.approvals` and, in the same transaction, either completes the
transition (approved) or leaves the ticket as it is with the head's comment in its history
(rejected). The Approvals inbox and its API call it.

Approving completes the transition on the ticket as it is now: the requester's changes to the
data are applied over what others saved meanwhile (where both changed a value, the approved
one wins), and the workflow is asked again whether the transition still applies there. When it
no longer does, the decision stays recorded, the ticket is left alone and the answer is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals import ApprovalNotFound, record_decision
from app.clock import utcnow
from app.extensions import db
from app.models import ApprovalKind, ApprovalRequest
from app.tickets import document, merge
from app.tickets.errors import TransitionLapsed, TransitionUnavailable
from app.tickets.models import Channel, EventKind, Ticket, TicketEvent
from app.tickets.service import change_state, get_ticket, record_event
from app.tickets.templates import template_version
from app.tickets.transitions import bump, changes_for, state_label
from app.tickets.workflow import workflow_of
from workflows import Outcome, Transition, TransitionCheck, Workflow


def decide_transition(
    approval_id: int,
    user_id: int,
    approve: bool,
    comment: str | None,
    *,
    channel: str = Channel.AGENT.value,
) -> Ticket:
    """Approve (the transition completes now) or reject (the ticket stays) a request.

    Raises what `app.approvals.record_decision` raises (403 not a head or the requester, 409
    decided, 422 rejecting without a comment) before anything is written, ApprovalNotFound
    (404) for no such transition request, and TransitionLapsed (409) when approved but no
    longer applicable: then the approval is recorded and the ticket is not changed.
    """
    s = db.session
    try:
        request = _locked_request(s, approval_id)
        record_decision(request, user_id, approve, comment)
        ticket = s.get(Ticket, request.ticket_id, populate_existing=True)
        if ticket is None:
            raise ApprovalNotFound(_("No approval request %(id)d.", id=approval_id))
        if approve:
            return _approve(s, request, ticket, user_id, channel)
        now = utcnow()
        bump(s, ticket.id, ticket.lock_version, now)
        _record(s, request, ticket, user_id, channel, now)
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return get_ticket(ticket.id)


def _locked_request(s: Session, approval_id: int) -> ApprovalRequest:
    """The transition request, row-locked so that two heads deciding at once take turns."""
    request = s.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == approval_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None or request.kind != ApprovalKind.TRANSITION.value:
        raise ApprovalNotFound(_("No approval request %(id)d.", id=approval_id))
    return request


def _record(
    s: Session,
    request: ApprovalRequest,
    ticket: Ticket,
    user_id: int,
    channel: str,
    at: datetime,
) -> None:
    record_event(
        s, ticket, EventKind.APPROVAL_DECIDED, at=at, actor_id=user_id, channel=channel,
        new={
            "approval_id": request.id,
            "transition": request.transition,
            "decision": request.status,
        },
        note=request.comment,
    )


def _approve(
    s: Session, request: ApprovalRequest, ticket: Ticket, user_id: int, channel: str
) -> Ticket:
    workflow = workflow_of(ticket).workflow
    data = data_to_write(s, ticket, request)
    transition = workflow.transition(request.transition or "")
    problem = _lapse(ticket, workflow, transition, data)
    also: dict[str, Any] = {}
    if problem is None and transition is not None:
        try:
            also = changes_for(ticket, transition, data)
        except TransitionUnavailable as exc:
            problem = str(exc)
    if problem is not None or transition is None:
        now = utcnow()
        bump(s, ticket.id, ticket.lock_version, now)
        _record(s, request, ticket, user_id, channel, now)
        s.commit()
        raise TransitionLapsed(
            _(
                "The approval is recorded, but %(problem)s: the ticket was left as it is.",
                problem=problem or _("the ticket's workflow no longer has this transition"),
            )
        )
    before = ticket.lock_version
    changed = change_state(
        ticket.id, transition.to, before, user_id, also=also,
        channel=channel, note=request.note, commit=False,
    )
    at = changed.updated_at
    if changed.lock_version == before:  # a move onto its own state with nothing to write
        at = utcnow()
        bump(s, ticket.id, before, at)
    _record(s, request, changed, user_id, channel, at)
    s.commit()
    return get_ticket(ticket.id)


def data_to_write(s: Session, ticket: Ticket, request: ApprovalRequest) -> dict[str, Any]:
    """The requester's data applied over the ticket's now (the approved value wins a clash).

    The version the request was made at is rebuilt from the history; when it cannot be,
    the requested data is taken as it is.
    """
    stored = dict(request.data) if isinstance(request.data, dict) else dict(ticket.data or {})
    current = dict(ticket.data or {})
    events = list(
        s.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )
    version = _requested_at(events, request.id)
    if version == ticket.lock_version:
        return stored
    history = [
        merge.Change(e.at, e.actor_id, e.channel, e.kind, e.pointer, e.old, e.new) for e in events
    ]
    changes = merge.since(history, version, ticket.lock_version) if version else None
    base = (
        merge.UNKNOWN
        if changes is None
        else merge.rewind({"data": current}, changes, {"data": stored})["data"]
    )
    merged, conflicts = merge.three_way(base, stored, current)
    return dict(merge.resolve(merged, conflicts, {c.pointer: "mine" for c in conflicts}))


def _requested_at(events: list[TicketEvent], approval_id: int) -> int | None:
    """The ticket version the request was made at (its `approval_requested` event says)."""
    for event in reversed(events):
        new = event.new if isinstance(event.new, dict) else {}
        if event.kind != EventKind.APPROVAL_REQUESTED.value:
            continue
        if new.get("approval_id") == approval_id:
            version = new.get("lock_version")
            return version if isinstance(version, int) else None
    return None


Lapse = Callable[[TransitionCheck, Ticket, Workflow], str]


def _moved(check: TransitionCheck, ticket: Ticket, workflow: Workflow) -> str:
    return _(
        "the ticket is now in the state %(state)s, where %(transition)s cannot be taken",
        state=state_label(workflow, ticket.state),
        transition=check.transition.label if check.transition else "",
    )


def _unmet(check: TransitionCheck, ticket: Ticket, workflow: Workflow) -> str:
    pointer, texts = next(iter(check.errors.items()), ("", [""]))
    return _(
        "the ticket no longer meets the transition's requirements (%(pointer)s: %(message)s)",
        pointer=pointer or "/", message=texts[0] if texts else "",
    )


def _gone(check: TransitionCheck, ticket: Ticket, workflow: Workflow) -> str:
    return _("the ticket's workflow no longer has this transition")


LAPSES: dict[Outcome, Lapse] = {
    Outcome.UNKNOWN: _gone,
    Outcome.UNAVAILABLE: _moved,
    Outcome.INVALID: _unmet,
}


def _lapse(
    ticket: Ticket, workflow: Workflow, transition: Transition | None, data: dict[str, Any]
) -> str | None:
    """Why the approved transition cannot complete on the ticket now, or None when it can.

    The requester's roles were checked when they asked and a head approved: only the state,
    the guard, the requirements and the data are looked at again.
    """
    if transition is None:
        return _("the ticket's workflow no longer has this transition")
    found = template_version(ticket.template, ticket.template_version).errors(data, "/data")
    if found:
        pointer, texts = next(iter(found.items()))
        return _(
            "the data it would write is no longer valid (%(pointer)s: %(message)s)",
            pointer=pointer, message=texts[0],
        )
    doc = document.of_ticket(ticket, workflow.calendar, data)
    check = workflow.check_transition(transition.name, doc, transition.roles)
    lapse = LAPSES.get(check.outcome)
    return lapse(check, ticket, workflow) if lapse is not None else None


__all__ = ["data_to_write", "decide_transition"]
