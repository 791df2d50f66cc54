"""Writing tickets: create, update with optimistic locking, comment, attach.

Each public function is one unit of work and commits it, or raises and leaves nothing (the
session is rolled back). Every change is recorded as `ticket_event` rows in the same
transaction, so the history never disagrees with the ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.models import utcnow
from app.tickets.errors import StaleTicket, TicketInvalid, TicketNotFound
from app.tickets.models import (
    Attachment,
    Channel,
    Comment,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
)
from app.tickets.numbers import DEFAULT_PREFIX, format_number, next_number
from app.tickets.storage import FileStorage, clean_filename

# Columns `update_ticket` may change, with the event kind a change records.
EDITABLE: dict[str, EventKind] = {
    "subject": EventKind.FIELD_CHANGED,
    "priority": EventKind.FIELD_CHANGED,
    "state": EventKind.STATE_CHANGED,
    "department_id": EventKind.ASSIGNED,
    "assignee_id": EventKind.ASSIGNED,
    "requester_name": EventKind.FIELD_CHANGED,
    "requester_email": EventKind.FIELD_CHANGED,
    "requester_phone": EventKind.FIELD_CHANGED,
    "resolved_at": EventKind.FIELD_CHANGED,
    "closed_at": EventKind.FIELD_CHANGED,
}

# Extra writes that must commit with the new ticket (e.g. outbox rows); raising aborts all.
CreateHook = Callable[[Session, Ticket], object]


@dataclass(frozen=True)
class Requester:
    """Who the ticket is for."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def _check(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "priority" in values and values["priority"] not in set(Priority):
        errors["/priority"] = [f"must be one of {', '.join(Priority)}"]
    if "channel" in values and values["channel"] not in set(Channel):
        errors["/channel"] = [f"must be one of {', '.join(Channel)}"]
    if "subject" in values and not str(values["subject"] or "").strip():
        errors["/subject"] = ["must not be empty"]
    if "state" in values and not str(values["state"] or "").strip():
        errors["/state"] = ["must not be empty"]
    if "data" in values and not isinstance(values["data"], dict):
        errors["/data"] = ["must be an object"]
    if errors:
        raise TicketInvalid(errors)


def create_ticket(
    *,
    template: str,
    template_version: int,
    subject: str,
    department_id: int,
    data: dict[str, Any],
    requester: Requester | None = None,
    priority: str = Priority.NORMAL.value,
    channel: str = Channel.AGENT.value,
    state: str = "new",
    assignee_id: int | None = None,
    actor_id: int | None = None,
    prefix: str = DEFAULT_PREFIX,
    also: Sequence[CreateHook] = (),
    session: Session | None = None,
) -> Ticket:
    """Insert a ticket, its `created` event and whatever `also` adds, in one transaction."""
    _check(
        {"priority": priority, "channel": channel, "subject": subject, "state": state, "data": data}
    )
    s = _session(session)
    requester = requester or Requester()
    try:
        number = format_number(next_number(s), prefix)
        now = utcnow()  # after the number: waiting for the counter must not reorder the two
        ticket = Ticket(
            number=number,
            template=template,
            template_version=template_version,
            subject=subject.strip(),
            state=state,
            priority=priority,
            department_id=department_id,
            assignee_id=assignee_id,
            requester_name=requester.name,
            requester_email=requester.email,
            requester_phone=requester.phone,
            channel=channel,
            data=data,
            created_at=now,
            updated_at=now,
        )
        s.add(ticket)
        s.flush()
        s.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor_id=actor_id,
                channel=channel,
                kind=EventKind.CREATED.value,
                new={"number": ticket.number, "state": state},
            )
        )
        for hook in also:
            hook(s, ticket)
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return ticket


def escape_pointer_token(token: str) -> str:
    """RFC 6901: `~` → `~0`, `/` → `~1`."""
    return token.replace("~", "~0").replace("/", "~1")


_ABSENT = object()


def diff_documents(old: Any, new: Any, pointer: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(pointer, old, new) for every changed leaf; objects recurse, arrays change as a whole.

    An absent value is reported as None (the event's JSON null).
    """
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from diff_documents(
                old.get(key, _ABSENT),
                new.get(key, _ABSENT),
                f"{pointer}/{escape_pointer_token(key)}",
            )
        return
    if old is _ABSENT and new is _ABSENT:
        return
    if old is new or (type(old) is type(new) and old == new):
        return
    yield pointer, None if old is _ABSENT else old, None if new is _ABSENT else new


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _latest_change(s: Session, ticket_id: int) -> TicketEvent | None:
    # Comments do not bump lock_version, so they are not what made a version stale.
    return s.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind != EventKind.COMMENTED.value)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()


def _stale(s: Session, ticket_id: int, expected: int) -> StaleTicket:
    s.rollback()
    current = s.scalar(select(Ticket.lock_version).where(Ticket.id == ticket_id))
    if current is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    last = _latest_change(s, ticket_id)
    s.rollback()
    return StaleTicket(
        ticket_id, expected, current, last.actor_id if last else None, last.at if last else None
    )


def get_ticket(ticket_id: int, session: Session | None = None) -> Ticket:
    """One ticket by id; TicketNotFound otherwise."""
    ticket = _session(session).get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    return ticket


def update_ticket(
    ticket_id: int,
    changes: Mapping[str, Any],
    expected_lock_version: int,
    actor_id: int | None,
    *,
    channel: str = Channel.AGENT.value,
    note: str | None = None,
    session: Session | None = None,
) -> Ticket:
    """Apply `changes` (columns in EDITABLE, and/or `data`: the whole new document).

    Writes one event per changed JSON pointer (`/subject`, `/data/serial_number`, ...). Raises
    StaleTicket, writing nothing, when the ticket is no longer at `expected_lock_version`,
    whether that is seen on reading or, for a concurrent write, by the versioned UPDATE.
    """
    unknown = sorted(set(changes) - set(EDITABLE) - {"data"})
    if unknown:
        raise TicketInvalid({f"/{name}": ["cannot be changed here"] for name in unknown})
    _check({**changes, "channel": channel})
    s = _session(session)
    try:
        ticket = s.get(Ticket, ticket_id, populate_existing=True)
        if ticket is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        if ticket.lock_version != expected_lock_version:
            raise _stale(s, ticket_id, expected_lock_version)
        now = utcnow()
        events = list(_apply(ticket, changes, now))
        if not events:
            s.rollback()
            return ticket
        for kind, pointer, old, new in events:
            s.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    actor_id=actor_id,
                    channel=channel,
                    kind=kind.value,
                    pointer=pointer,
                    old=old,
                    new=new,
                    note=note,
                )
            )
        ticket.updated_at = now
        s.flush()
        s.commit()
    except StaleDataError:
        raise _stale(s, ticket_id, expected_lock_version) from None
    except BaseException:
        s.rollback()
        raise
    return ticket


def _apply(
    ticket: Ticket, changes: Mapping[str, Any], now: Any
) -> Iterator[tuple[EventKind, str, Any, Any]]:
    for name, value in changes.items():
        if name == "data":
            continue
        old = getattr(ticket, name)
        if old == value:
            continue
        setattr(ticket, name, value)
        yield EDITABLE[name], f"/{name}", _json_value(old), _json_value(value)
    if "data" in changes:
        old_data = ticket.data or {}
        for pointer, old, new in diff_documents(old_data, changes["data"]):
            yield EventKind.FIELD_CHANGED, f"/data{pointer}", old, new
        if old_data != changes["data"]:
            ticket.data = dict(changes["data"])


def add_comment(
    ticket_id: int,
    body: str,
    author_id: int | None,
    *,
    internal: bool = False,
    channel: str = Channel.AGENT.value,
    session: Session | None = None,
) -> Comment:
    """Add a public reply or an internal note and its `commented` event.

    The first public agent reply sets `first_response_at`. Comments do not bump the ticket's
    `lock_version`: an agent editing the ticket is not made stale by someone's note.
    """
    if not body.strip():
        raise TicketInvalid({"/body": ["must not be empty"]})
    _check({"channel": channel})
    s = _session(session)
    try:
        if s.scalar(select(Ticket.id).where(Ticket.id == ticket_id)) is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        now = utcnow()
        comment = Comment(
            ticket_id=ticket_id,
            author_id=author_id,
            body=body,
            internal=internal,
            channel=channel,
            created_at=now,
        )
        s.add(comment)
        s.flush()
        s.add(
            TicketEvent(
                ticket_id=ticket_id,
                at=now,
                actor_id=author_id,
                channel=channel,
                kind=EventKind.COMMENTED.value,
                pointer=f"/comments/{comment.id}",
                new={"internal": internal},
            )
        )
        if not internal and channel == Channel.AGENT.value:
            # A Core UPDATE: neither the version counter nor loaded objects are touched.
            s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.first_response_at.is_(None))
                .values(first_response_at=now)
                .execution_options(synchronize_session=False)
            )
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return comment


def add_attachment(
    ticket_id: int,
    stream: BinaryIO,
    filename: str,
    content_type: str,
    storage: FileStorage,
    *,
    comment_id: int | None = None,
    uploaded_by_id: int | None = None,
    session: Session | None = None,
) -> Attachment:
    """Store a file (limits checked while streaming) and record it on the ticket."""
    s = _session(session)
    if s.scalar(select(Ticket.id).where(Ticket.id == ticket_id)) is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    name = clean_filename(filename)
    stored = storage.save(stream, name, content_type)
    try:
        attachment = Attachment(
            ticket_id=ticket_id,
            comment_id=comment_id,
            filename=name,
            content_type=stored.content_type,
            size=stored.size,
            storage_key=stored.key,
            sha256=stored.sha256,
            uploaded_by_id=uploaded_by_id,
            created_at=utcnow(),
        )
        s.add(attachment)
        s.commit()
    except BaseException:
        # The bytes stay: content-addressed files may be shared with other attachments.
        s.rollback()
        raise
    return attachment
