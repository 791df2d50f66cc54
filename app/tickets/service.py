"""Writing tickets: create, update with optimistic locking, change state, comment, attach.

Each public function is one unit of work: by default it commits, or raises and leaves nothing
(the session is rolled back). With `commit=False` it only flushes, so that a caller can compose
several writes (a ticket and its first assignment, a transition and its effects) into one
transaction and commit once; a failure still rolls the whole transaction back.

Every change passes `record_event`, which writes the `ticket_event` row in the same transaction
as the change, so the history never disagrees with the ticket; it is also the one place where
rows that must commit with a change (the job runtime's outbox) are written. `state` changes only
through `change_state`, never through `update_ticket`.

Files follow their rows (`app.tickets.uploads`): every upload is checked and staged before
anything is written and placed just before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.clock import utcnow
from app.outbox import DEPTH
from app.pointers import escape
from app.tickets.errors import StaleTicket, TicketInvalid, TicketNotFound
from app.tickets.followups import EVENTS
from app.tickets.lifecycle import follow
from app.tickets.models import (
    VERSIONLESS,
    Attachment,
    Category,
    Channel,
    Comment,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
)
from app.tickets.numbers import DEFAULT_PREFIX, format_number, next_number
from app.tickets.search import SEARCHED, refresh_search_text
from app.tickets.storage import FileStorage, StagedFile, clean_filename
from app.tickets.uploads import Upload, attachment_row, files_follow_rows, stage_uploads

__all__ = [
    "EDITABLE",
    "MAX_FILES_PER_COMMENT",
    "Requester",
    "Upload",
    "add_attachment",
    "add_comment",
    "change_state",
    "create_ticket",
    "diff_documents",
    "get_ticket",
    "record_event",
    "stale_ticket",
    "update_ticket",
]

MAX_FILES_PER_COMMENT = 10

# Columns `update_ticket` may change, with the event kind a change records. `state` is not
# among them: it changes only through `change_state`.
EDITABLE: dict[str, EventKind] = {
    "subject": EventKind.FIELD_CHANGED,
    "priority": EventKind.FIELD_CHANGED,
    "department_id": EventKind.ASSIGNED,
    "assignee_id": EventKind.ASSIGNED,
    "requester_name": EventKind.FIELD_CHANGED,
    "requester_email": EventKind.FIELD_CHANGED,
    "requester_phone": EventKind.FIELD_CHANGED,
    "resolved_at": EventKind.FIELD_CHANGED,
    "closed_at": EventKind.FIELD_CHANGED,
}

# Extra writes that must commit with the new ticket; raising aborts all.
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


def _finish(s: Session, commit: bool) -> None:
    """End a unit of work: commit it, or (composed into a caller's) only flush it."""
    s.flush()
    if commit:
        s.commit()


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


def record_event(
    s: Session,
    ticket: Ticket,
    kind: EventKind,
    *,
    at: datetime,
    actor_id: int | None,
    channel: str,
    pointer: str | None = None,
    old: Any = None,
    new: Any = None,
    note: str | None = None,
) -> TicketEvent:
    """Record one change of `ticket` in the caller's transaction: every change passes here."""
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        actor_id=actor_id,
        channel=channel,
        kind=kind.value,
        pointer=pointer,
        old=old,
        new=new,
        note=note,
    )
    s.add(event)
    # app.tickets.followups turns these into outbox messages just before the commit.
    s.info.setdefault(EVENTS, []).append((ticket, event, int(s.info.get(DEPTH, 0))))
    return event


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
    category: str = Category.NEW.value,
    assignee_id: int | None = None,
    workflow_key: str | None = None,
    workflow_version: int | None = None,
    actor_id: int | None = None,
    prefix: str = DEFAULT_PREFIX,
    prepare: Sequence[CreateHook] = (),
    describe: Callable[[Ticket], Mapping[str, Any]] | None = None,
    also: Sequence[CreateHook] = (),
    commit: bool = True,
    session: Session | None = None,
) -> Ticket:
    """Insert a ticket, its `created` event and whatever `also` adds, in one transaction.

    `prepare` hooks run on the new ticket before it is inserted, once it has its number and
    creation time (ticket numbers are handed out one at a time, so they run one at a time):
    routing assigns and starts the SLA clock there. `describe` adds to what the `created`
    event records (routing: the decision and the rule that made it). `also` hooks run after
    the insert.
    """
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
            workflow_key=workflow_key,
            workflow_version=workflow_version,
            subject=subject.strip(),
            state=state,
            category=category,
            priority=priority,
            department_id=department_id,
            assignee_id=assignee_id,
            created_by_id=actor_id,
            requester_name=requester.name,
            requester_email=requester.email,
            requester_phone=requester.phone,
            channel=channel,
            data=data,
            created_at=now,
            updated_at=now,
            state_entered_at=now,
        )
        for hook in prepare:
            hook(s, ticket)
        refresh_search_text(ticket)
        s.add(ticket)
        s.flush()
        record_event(
            s, ticket, EventKind.CREATED, at=now, actor_id=actor_id, channel=channel,
            new={"number": ticket.number, "state": state, **(describe(ticket) if describe else {})},
        )
        for hook in also:
            hook(s, ticket)
        _finish(s, commit)
    except BaseException:
        s.rollback()
        raise
    return ticket


_ABSENT = object()


def diff_documents(old: Any, new: Any, pointer: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(pointer, old, new) for every changed leaf; objects recurse, arrays change as a whole.

    An absent value is reported as None (the event's JSON null).
    """
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from diff_documents(
                old.get(key, _ABSENT), new.get(key, _ABSENT), f"{pointer}/{escape(key)}"
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
    # Comments, chases and SLA events do not bump lock_version: they never made it stale.
    return s.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.not_in(VERSIONLESS))
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()


def stale_ticket(ticket_id: int, expected: int, session: Session | None = None) -> StaleTicket:
    """The StaleTicket to raise for a caller who read `expected`: who changed it, and when.

    Reads the stored version and the latest change, then rolls the session back (nothing of
    the caller's unit of work is written); TicketNotFound when the ticket is gone.
    """
    s = _session(session)
    try:
        current, last = _current(s, ticket_id)
    except PendingRollbackError:  # a failed flush: only a rolled-back session can read again
        s.rollback()
        current, last = _current(s, ticket_id)
    s.rollback()
    if current is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    return StaleTicket(ticket_id, expected, current, *last)


def _current(
    s: Session, ticket_id: int
) -> tuple[int | None, tuple[int | None, datetime | None]]:
    """The stored lock_version, and who made the latest change when (read before a rollback)."""
    current = s.scalar(select(Ticket.lock_version).where(Ticket.id == ticket_id))
    last = _latest_change(s, ticket_id) if current is not None else None
    return current, (last.actor_id, last.at) if last is not None else (None, None)


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
    commit: bool = True,
    session: Session | None = None,
) -> Ticket:
    """Apply `changes` (columns in EDITABLE, and/or `data`: the whole new document).

    Writes one event per changed JSON pointer (`/subject`, `/data/serial_number`, ...). Raises
    StaleTicket, writing nothing, when the ticket is no longer at `expected_lock_version`,
    whether that is seen on reading or, for a concurrent write, by the versioned UPDATE.
    """
    unknown = sorted(set(changes) - set(EDITABLE) - {"data"})
    if unknown:
        raise TicketInvalid({f"/{escape(name)}": ["cannot be changed here"] for name in unknown})
    _check({**changes, "channel": channel})
    return _change(
        ticket_id, changes, expected_lock_version, actor_id, channel, note, commit, session
    )


def change_state(
    ticket_id: int,
    state: str,
    expected_lock_version: int,
    actor_id: int | None,
    *,
    also: Mapping[str, Any] | None = None,
    channel: str = Channel.AGENT.value,
    note: str | None = None,
    commit: bool = True,
    session: Session | None = None,
) -> Ticket:
    """Move a ticket to `state`: the only way its state changes (the workflow guards it first).

    `also` holds changes that go with the move, as `update_ticket` takes them (a transition's
    `set` and the fields given with it). Records a `state_changed` event at `/state` beside
    theirs; the state's category, stamps and SLA clock follow (`lifecycle.follow`); optimistic
    locking as in `update_ticket`.
    """
    also = dict(also or {})
    unknown = sorted(set(also) - set(EDITABLE) - {"data"})
    if unknown:
        raise TicketInvalid({f"/{escape(name)}": ["cannot be changed here"] for name in unknown})
    _check({**also, "state": state, "channel": channel})
    return _change(
        ticket_id, {**also, "state": state}, expected_lock_version, actor_id, channel, note,
        commit, session,
    )


def _change(
    ticket_id: int,
    changes: Mapping[str, Any],
    expected: int,
    actor_id: int | None,
    channel: str,
    note: str | None,
    commit: bool,
    session: Session | None,
) -> Ticket:
    s = _session(session)
    try:
        ticket = s.get(Ticket, ticket_id, populate_existing=True)
        if ticket is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        if ticket.lock_version != expected:
            raise stale_ticket(ticket_id, expected, s)
        now = utcnow()
        # One flush at the end: an autoflush in between would write a version of its own.
        with s.no_autoflush:
            events = list(_apply(ticket, changes))
            changed = {pointer.split("/")[1] for _, pointer, _, _ in events}
            events += follow(ticket, changed, now)
            if changed & SEARCHED:
                refresh_search_text(ticket)
        if not events:
            if commit:
                s.rollback()
            return ticket
        for kind, pointer, old, new in events:
            record_event(
                s, ticket, kind, at=now, actor_id=actor_id, channel=channel, pointer=pointer,
                old=old, new=new, note=note,
            )
        ticket.updated_at = now
        _finish(s, commit)
    except StaleDataError:
        raise stale_ticket(ticket_id, expected, s) from None
    except BaseException:
        s.rollback()
        raise
    return ticket


_KINDS: dict[str, EventKind] = {**EDITABLE, "state": EventKind.STATE_CHANGED}


def _apply(ticket: Ticket, changes: Mapping[str, Any]) -> Iterator[tuple[EventKind, str, Any, Any]]:
    for name, value in changes.items():
        if name == "data":
            continue
        old = getattr(ticket, name)
        if old == value:
            continue
        setattr(ticket, name, value)
        yield _KINDS[name], f"/{name}", _json_value(old), _json_value(value)
    if "data" in changes:
        old_data = ticket.data or {}
        for pointer, old, new in diff_documents(old_data, changes["data"]):
            yield EventKind.FIELD_CHANGED, f"/data{pointer}", old, new
        if old_data != changes["data"]:
            ticket.data = dict(changes["data"])


def _existing(s: Session, ticket_id: int) -> Ticket:
    ticket = s.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    return ticket


def add_comment(
    ticket_id: int,
    body: str,
    author_id: int | None,
    *,
    internal: bool = False,
    channel: str = Channel.AGENT.value,
    uploads: Sequence[Upload] = (),
    storage: FileStorage | None = None,
    commit: bool = True,
    session: Session | None = None,
) -> Comment:
    """Add a public reply or an internal note, its files and its `commented` event.

    A comment needs text or at least one file. The comment and its files are saved together
    or not at all: a refused file raises TicketInvalid (status 413 when too large, else 422)
    with a message per file at `/files/<index>`, before anything is written.
    The first public agent reply sets `first_response_at`. Comments do not bump the ticket's
    `lock_version`: an agent editing the ticket is not made stale by someone's note.
    With `commit=False` the files are placed now and stay if the caller's commit fails later
    (unused bytes are harmless; missing ones are not).
    """
    if not body.strip() and not uploads:
        raise TicketInvalid({"/body": ["must not be empty"]})
    if len(uploads) > MAX_FILES_PER_COMMENT:
        raise TicketInvalid({"/files": [f"At most {MAX_FILES_PER_COMMENT} files per comment."]})
    _check({"channel": channel})
    s = _session(session)
    staged = stage_uploads(uploads, storage)
    with files_follow_rows(s, storage, staged) as place:
        ticket = _existing(s, ticket_id)
        comment = _record_comment(s, ticket, body, author_id, internal, channel, staged)
        place()
        _finish(s, commit)
    return comment


def _record_comment(
    s: Session,
    ticket: Ticket,
    body: str,
    author_id: int | None,
    internal: bool,
    channel: str,
    staged: Sequence[tuple[str, StagedFile]],
) -> Comment:
    now = utcnow()
    comment = Comment(
        ticket_id=ticket.id,
        author_id=author_id,
        body=body,
        internal=internal,
        channel=channel,
        created_at=now,
    )
    s.add(comment)
    s.flush()
    rows = [attachment_row(ticket.id, name, f, comment.id, author_id) for name, f in staged]
    s.add_all(rows)
    s.flush()
    new: dict[str, Any] = {"internal": internal}
    if rows:
        new["attachments"] = [row.id for row in rows]
    record_event(
        s, ticket, EventKind.COMMENTED, at=now, actor_id=author_id, channel=channel,
        pointer=f"/comments/{comment.id}", new=new,
    )
    if not internal and channel == Channel.AGENT.value:
        _mark_first_response(s, ticket.id, now)
    return comment


def _mark_first_response(s: Session, ticket_id: int, now: datetime) -> None:
    # A Core UPDATE: neither the version counter nor loaded objects are touched.
    s.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.first_response_at.is_(None))
        .values(first_response_at=now)
        .execution_options(synchronize_session=False)
    )


def add_attachment(
    ticket_id: int,
    stream: BinaryIO,
    filename: str,
    content_type: str,
    storage: FileStorage,
    *,
    comment_id: int | None = None,
    uploaded_by_id: int | None = None,
    commit: bool = True,
    session: Session | None = None,
) -> Attachment:
    """Store a file (limits checked while streaming) and record it on the ticket."""
    s = _session(session)
    name = clean_filename(filename)
    staged = [(name, storage.stage(stream, name, content_type))]
    with files_follow_rows(s, storage, staged) as place:
        _existing(s, ticket_id)
        attachment = attachment_row(ticket_id, name, staged[0][1], comment_id, uploaded_by_id)
        s.add(attachment)
        s.flush()
        place()
        _finish(s, commit)
    return attachment
