"""A ticket through its workflow: what may be taken, taking it, claiming and transferring it.

Every move is decided by the workflow the ticket pinned (`app.tickets.workflow.workflow_of`)
on the one ticket document (`app.tickets.document`), and written through the ticket service in
one transaction: the state through `change_state`, assignee and department through
`update_ticket`. A refusal is a `TicketError` with its HTTP status and writes nothing.

- `offer` / `available`: the transitions the user's roles on the ticket allow now (none while
  a transition waits for approval; the pending request is shown instead).
- `take`: a transition with an optional merge patch of the data (checked against the ticket's
  template version, then against the transition's `requires`); its `set` is applied; one that
  needs approval opens an `ApprovalRequest` instead and changes nothing else.
- `claim` (抢单): an agent of the department takes an unassigned ticket still being worked, by
  one conditional UPDATE, so of two agents claiming at once exactly one wins.
- `transfer`: to another agent of the department, or to another department (its group queue or
  one of its members), with a reason.

Each committed change is one ticket version and one group of history rows written at one
instant (`app.tickets.merge` rebuilds older versions from that): a request for approval and a
claim, which write no column through the service, bump `lock_version` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.approvals import open_request
from app.clock import utcnow
from app.extensions import db
from app.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Department,
    MemberRole,
    Membership,
)
from app.pointers import tokens
from app.security import ROLE_ADMIN
from app.tickets import document
from app.tickets.access import department_members, users_by_id
from app.tickets.errors import (
    AlreadyClaimed,
    ApprovalPending,
    NotAMember,
    TicketInvalid,
    TransitionForbidden,
    TransitionInvalid,
    TransitionUnavailable,
    TransitionUnknown,
)
from app.tickets.models import ACTIVE_CATEGORIES, Channel, EventKind, Ticket
from app.tickets.patch import merge_patch
from app.tickets.service import change_state, get_ticket, record_event, stale_ticket, update_ticket
from app.tickets.templates import template_version
from app.tickets.workflow import workflow_of
from workflows import Outcome, State, Transition, TransitionCheck, Workflow

MAX_NOTE = 2000
MAX_REASON = 2000


# ---------------------------------------------------------------------------------------------
# Who the user is on the ticket, and what they may take


def roles_on(ticket: Ticket, user: Any) -> set[str]:
    """The workflow roles of `user` on `ticket`: agent (member), head, admin (FAB Admin)."""
    roles: set[str] = set()
    mine = [m for m in department_members(ticket.department_id) if m["id"] == user.id]
    role = mine[0]["role"] if mine else None
    if role is not None:
        roles.add("agent")
    if role == MemberRole.HEAD.value:
        roles.add("head")
    if any(r.name == ROLE_ADMIN for r in getattr(user, "roles", [])):
        roles.add("admin")
    return roles


def pending_approval(ticket_id: int) -> ApprovalRequest | None:
    """The transition of the ticket waiting for a head's decision, if one is."""
    return db.session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.ticket_id == ticket_id,
            ApprovalRequest.status == ApprovalStatus.PENDING.value,
        )
    )


def required_fields(transition: Transition) -> tuple[str, ...]:
    """The data fields the transition's `requires` names (required or constrained)."""
    schema = transition.requires.schema if transition.requires is not None else None
    data = _member(_member(schema, "properties"), "data")
    required = data.get("required") if isinstance(data, dict) else None
    names = [*(required if isinstance(required, list) else []), *_member(data, "properties")]
    return tuple(dict.fromkeys(n for n in names if isinstance(n, str)))


def _member(schema: Any, name: str) -> dict[str, Any]:
    found = schema.get(name) if isinstance(schema, dict) else None
    return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class Offered:
    """A transition the user may take now: the fields it asks for, whether it waits for a head.

    `approval` is judged on the ticket as it is; data given with the transition may change it.
    """

    transition: Transition
    fields: tuple[str, ...]
    approval: bool


@dataclass(frozen=True)
class Offer:
    """The ticket's state in its workflow, what the user may take, and a pending request."""

    state: State | None
    transitions: list[Offered]
    pending: ApprovalRequest | None


def offer(ticket: Ticket, user: Any) -> Offer:
    """What the ticket page and the API show: the state, the transitions, a pending request."""
    workflow = workflow_of(ticket).workflow
    state = workflow.states.get(ticket.state)
    pending = pending_approval(ticket.id)
    if pending is not None:
        return Offer(state, [], pending)
    doc = document.of_ticket(ticket, workflow.calendar)
    found = workflow.transitions(ticket.state, roles_on(ticket, user), doc)
    return Offer(state, [_offered(t, doc) for t in found], None)


def _offered(transition: Transition, doc: Mapping[str, Any]) -> Offered:
    approval = transition.approval
    waits = approval is not None and (approval.when is None or approval.when(doc))
    return Offered(transition, required_fields(transition), waits)


def available(ticket: Ticket, user: Any) -> list[Transition]:
    """The transitions `user` may take on `ticket` now (none while an approval is pending)."""
    return [o.transition for o in offer(ticket, user).transitions]


# ---------------------------------------------------------------------------------------------
# Taking a transition


@dataclass(frozen=True)
class Taken:
    """The ticket after a transition; `approval` is the request opened instead, if one was."""

    ticket: Ticket
    approval: ApprovalRequest | None


@dataclass(frozen=True)
class Move:
    """A transition the workflow allows, with what goes with it."""

    ticket: Ticket
    transition: Transition
    data: dict[str, Any]
    note: str | None
    channel: str
    actor_id: int
    expected: int


def take(
    ticket_id: int,
    name: str,
    expected_lock_version: int,
    user: Any,
    data: Any = None,
    note: str | None = None,
    channel: str = Channel.AGENT.value,
) -> Taken:
    """Take the transition `name` with `data` (a merge patch of the ticket's data) and a note.

    Refusals: TicketInvalid (422: data, note; TransitionUnknown at /transition,
    TransitionInvalid at the `requires` pointers), TransitionForbidden (403),
    TransitionUnavailable, ApprovalPending, StaleTicket (409). Nothing is written then.
    """
    try:
        ticket = get_ticket(ticket_id)
        note = clean_text(note, "/note", MAX_NOTE)
        if ticket.lock_version != expected_lock_version:
            raise stale_ticket(ticket_id, expected_lock_version)
        refuse_if_pending(ticket.id)
        merged = merged_data(ticket, data)
        workflow = workflow_of(ticket).workflow
        doc = document.of_ticket(ticket, workflow.calendar, merged)
        check = workflow.check_transition(name, doc, roles_on(ticket, user))
        refusal = REFUSALS.get(check.outcome)
        if refusal is not None:
            raise refusal(check, name, ticket, workflow)
        assert check.transition is not None
        move = Move(ticket, check.transition, merged, note, channel, user.id, ticket.lock_version)
        return PROCEED[check.outcome](move)
    except BaseException:
        db.session.rollback()
        raise


def clean_text(value: Any, pointer: str, limit: int) -> str | None:
    """Optional text, stripped (None when blank); TicketInvalid at `pointer` when unusable."""
    if value is None:
        return None
    if not isinstance(value, str) or "\x00" in value:
        raise TicketInvalid({pointer: [_("Must be text without NUL characters.")]})
    if len(value) > limit:
        raise TicketInvalid({pointer: [_("Must be at most %(n)d characters.", n=limit)]})
    return value.strip() or None


def refuse_if_pending(ticket_id: int) -> None:
    """ApprovalPending (409) while a transition of the ticket waits for a decision."""
    pending = pending_approval(ticket_id)
    if pending is not None:
        raise ApprovalPending(
            _(
                "The transition %(transition)s is waiting for a department head's approval; "
                "nothing else can be done with the ticket's state until it is decided.",
                transition=pending.transition,
            )
        )


def merged_data(ticket: Ticket, patch: Any) -> dict[str, Any]:
    """The ticket's data with the merge patch applied, valid under its template version."""
    if patch is None:
        return dict(ticket.data or {})
    if not isinstance(patch, dict):
        raise TicketInvalid({"/data": [_("Must be an object (a JSON merge patch of the data).")]})
    if not patch:  # changes nothing: the stored data stands as it was checked
        return dict(ticket.data or {})
    data = merge_patch(ticket.data or {}, patch)
    found = template_version(ticket.template, ticket.template_version).errors(data, "/data")
    if found:
        raise TicketInvalid(found)
    return dict(data)


def state_label(workflow: Workflow, state: str) -> str:
    """How the workflow names a state (its name when it has no label, or no such state)."""
    found = workflow.states.get(state)
    return found.label if found is not None and found.label else state


Refusal = Callable[[TransitionCheck, str, Ticket, Workflow], Exception]


def _unknown(check: TransitionCheck, name: str, ticket: Ticket, workflow: Workflow) -> Exception:
    return TransitionUnknown(
        {"/transition": [_("The ticket's workflow has no transition %(name)s.", name=name)]}
    )


def _unavailable(
    check: TransitionCheck, name: str, ticket: Ticket, workflow: Workflow
) -> Exception:
    return TransitionUnavailable(
        _(
            "%(transition)s cannot be taken from the state %(state)s.",
            transition=_label(check, name),
            state=state_label(workflow, ticket.state),
        )
    )


def _forbidden(check: TransitionCheck, name: str, ticket: Ticket, workflow: Workflow) -> Exception:
    roles = ", ".join(sorted(check.transition.roles)) if check.transition else ""
    return TransitionForbidden(
        _(
            "Your roles on this ticket do not allow %(transition)s (it takes: %(roles)s).",
            roles=roles,
            transition=_label(check, name),
        )
    )


def _invalid(check: TransitionCheck, name: str, ticket: Ticket, workflow: Workflow) -> Exception:
    return TransitionInvalid({pointer: list(texts) for pointer, texts in check.errors.items()})


def _label(check: TransitionCheck, name: str) -> str:
    return check.transition.label or name if check.transition is not None else name


REFUSALS: dict[Outcome, Refusal] = {
    Outcome.UNKNOWN: _unknown,
    Outcome.UNAVAILABLE: _unavailable,
    Outcome.FORBIDDEN: _forbidden,
    Outcome.INVALID: _invalid,
}


def _set_priority(values: dict[str, Any], parts: list[str], value: Any) -> None:
    values["priority"] = value


def _set_data(values: dict[str, Any], parts: list[str], value: Any) -> None:
    values["data"] = {**values["data"], parts[1]: value}


# `set` pointers by their first token: `/priority` or `/data/<field>` (the loader checks them).
SETTERS: dict[str, Callable[[dict[str, Any], list[str], Any], None]] = {
    "priority": _set_priority,
    "data": _set_data,
}


def with_set(transition: Transition, data: dict[str, Any], priority: str) -> dict[str, Any]:
    """{"data", "priority"} once the transition's `set` is written over them."""
    values: dict[str, Any] = {"data": dict(data), "priority": priority}
    for pointer, value in transition.set.items():
        parts = tokens(pointer)
        SETTERS[parts[0]](values, parts, value)
    return values


def changes_for(ticket: Ticket, transition: Transition, data: dict[str, Any]) -> dict[str, Any]:
    """What `change_state` writes beside the state: the data and priority that differ.

    TransitionUnavailable when the values the transition sets are not valid data.
    """
    values = with_set(transition, data, ticket.priority)
    if transition.set and values["data"] != data:
        tf = template_version(ticket.template, ticket.template_version)
        found = tf.errors(values["data"], "/data")
        if found:
            pointer, texts = next(iter(found.items()))
            raise TransitionUnavailable(
                _(
                    "The workflow's transition %(transition)s writes a value the template "
                    "refuses (%(pointer)s: %(message)s).",
                    transition=transition.name, pointer=pointer, message=texts[0],
                )
            )
    return {name: value for name, value in values.items() if getattr(ticket, name) != value}


def _complete(move: Move) -> Taken:
    also = changes_for(move.ticket, move.transition, move.data)
    ticket = change_state(
        move.ticket.id, move.transition.to, move.expected, move.actor_id,
        also=also, channel=move.channel, note=move.note,
    )
    return Taken(ticket, None)


def bump(s: Session, ticket_id: int, expected: int, at: datetime) -> None:
    """One new version of the ticket for a change no column records (StaleTicket if moved)."""
    result = s.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.lock_version == expected)
        .values(lock_version=Ticket.lock_version + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise stale_ticket(ticket_id, expected, s)


def _request_approval(move: Move) -> Taken:
    s, ticket = db.session, move.ticket
    now = utcnow()
    bump(s, ticket.id, move.expected, now)
    try:
        request = open_request(
            ApprovalKind.TRANSITION, [ticket.department_id], move.actor_id,
            ticket_id=ticket.id, transition=move.transition.name, data=move.data,
            note=move.note,
        )
    except IntegrityError as exc:  # another request took the one pending slot meanwhile
        s.rollback()
        raise ApprovalPending(
            _("Another transition of this ticket was sent for approval meanwhile.")
        ) from exc
    record_event(
        s, ticket, EventKind.APPROVAL_REQUESTED, at=now, actor_id=move.actor_id,
        channel=move.channel,
        new={
            "approval_id": request.id,
            "transition": move.transition.name,
            "to": move.transition.to,
            "lock_version": move.expected + 1,
        },
        note=move.note,
    )
    s.commit()
    return Taken(get_ticket(ticket.id), request)


PROCEED: dict[Outcome, Callable[[Move], Taken]] = {
    Outcome.OK: _complete,
    Outcome.APPROVAL: _request_approval,
}


# ---------------------------------------------------------------------------------------------
# Claim and transfer


def claim(ticket_id: int, user: Any, *, channel: str = Channel.AGENT.value) -> Ticket:
    """Take an unassigned ticket still being worked as its assignee (抢单), race-safe.

    NotAMember (403) for anyone but an agent or head of the ticket's department;
    AlreadyClaimed (409, naming who has it) when the conditional UPDATE finds it taken.
    """
    s = db.session
    try:
        ticket = get_ticket(ticket_id)
        if "agent" not in roles_on(ticket, user):
            raise NotAMember(_("Only members of the ticket's department can claim it."))
        now = utcnow()
        result = s.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id,
                Ticket.assignee_id.is_(None),
                Ticket.category.in_(ACTIVE_CATEGORIES),
            )
            .values(assignee_id=user.id, lock_version=Ticket.lock_version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise _not_claimed(s, ticket_id)
        record_event(
            s, ticket, EventKind.CLAIMED, at=now, actor_id=user.id, channel=channel,
            pointer="/assignee_id", old=None, new=user.id,
        )
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return get_ticket(ticket_id)


def _not_claimed(s: Session, ticket_id: int) -> AlreadyClaimed:
    s.rollback()
    current = get_ticket(ticket_id)
    if current.assignee_id is None:
        return AlreadyClaimed(
            _(
                "This ticket is %(category)s: only tickets still being worked can be claimed.",
                category=current.category,
            ),
            None,
        )
    holder = users_by_id([current.assignee_id]).get(current.assignee_id) or {}
    name = holder.get("name") or holder.get("username") or _("someone")
    return AlreadyClaimed(
        _("%(name)s has this ticket already.", name=name), current.assignee_id
    )


def transfer(
    ticket_id: int,
    expected_lock_version: int,
    user: Any,
    *,
    assignee_id: int | None = None,
    department_id: int | None = None,
    reason: Any,
    channel: str = Channel.AGENT.value,
) -> Ticket:
    """Hand the ticket to another agent of its department, or to another department.

    With `department_id` it goes to that department: to `assignee_id` (a member of it), or
    its group queue. Writes the `assigned` events of `update_ticket` and one `transferred`
    event (old and new department and assignee), all with the reason as their note.
    """
    s = db.session
    try:
        ticket = get_ticket(ticket_id)
        if not roles_on(ticket, user) & {"agent", "admin"}:
            raise NotAMember(_("Only members of the ticket's department can transfer it."))
        text = clean_text(reason, "/reason", MAX_REASON)
        if text is None:
            raise TicketInvalid({"/reason": [_("Say why the ticket is transferred.")]})
        before = {"department_id": ticket.department_id, "assignee_id": ticket.assignee_id}
        after = _destination(ticket, assignee_id, department_id)
        changed = update_ticket(
            ticket_id, after, expected_lock_version, user.id,
            channel=channel, note=text, commit=False,
        )
        record_event(
            s, changed, EventKind.TRANSFERRED, at=changed.updated_at, actor_id=user.id,
            channel=channel, old=before, new=after, note=text,
        )
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return get_ticket(ticket_id)


def _destination(
    ticket: Ticket, assignee_id: int | None, department_id: int | None
) -> dict[str, int | None]:
    """Where a transfer sends the ticket, checked (TicketInvalid at /assignee, /department)."""
    if assignee_id is None and department_id is None:
        raise TicketInvalid({"": [_("Give the agent or the department to transfer to.")]})
    target = ticket.department_id if department_id is None else department_id
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise TicketInvalid({"/department": [_("No such department.")]})
    if assignee_id is not None and not _member_of(assignee_id, target):
        raise TicketInvalid(
            {"/assignee": [_("Not a member of the department the ticket goes to.")]}
        )
    after: dict[str, int | None] = {"department_id": target, "assignee_id": assignee_id}
    if after == {"department_id": ticket.department_id, "assignee_id": ticket.assignee_id}:
        where = "/department" if assignee_id is None else "/assignee"
        raise TicketInvalid({where: [_("The ticket is there already.")]})
    return after


def _member_of(user_id: int, department_id: int) -> bool:
    found = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.department_id == department_id
        )
    )
    return found is not None
