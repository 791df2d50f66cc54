"""Writing tickets: create, update with optimistic locking, comment, attach.

Each public function is one unit of work and commits it, or raises and leaves nothing (the
session is rolled back). Every change is recorded as `ticket_event` rows in the same
transaction, so the history never disagrees with the ticket.

Files follow their rows: every upload is checked and staged before anything is written, placed
in storage just before the commit, and removed again when the commit fails, unless a committed
row already points to the same (content-addressed) bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.models import utcnow
from app.tickets.errors import (
    AttachmentRejected,
    AttachmentTooLarge,
    StaleTicket,
    TicketInvalid,
    TicketNotFound,
)
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
from app.tickets.storage import FileStorage, StagedFile, clean_filename

MAX_FILES_PER_COMMENT = 10

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
class Upload:
    """A file to attach as the client sent it: the stream, its name and declared type."""

    stream: IO[bytes]
    filename: str
    content_type: str


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


def stale_ticket(ticket_id: int, expected: int, session: Session | None = None) -> StaleTicket:
    """The StaleTicket to raise for a caller who read `expected`: who changed it, and when.

    Rolls the session back (nothing of the caller's is written); TicketNotFound when gone.
    """
    s = _session(session)
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
            raise stale_ticket(ticket_id, expected_lock_version, s)
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
        raise stale_ticket(ticket_id, expected_lock_version, s) from None
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
    uploads: Sequence[Upload] = (),
    storage: FileStorage | None = None,
    session: Session | None = None,
) -> Comment:
    """Add a public reply or an internal note, its files and its `commented` event.

    A comment needs text or at least one file. The comment and its files are saved together
    or not at all: a refused file raises TicketInvalid (status 413 when too large, else 422)
    with a message per file at `/files/<index>`, before anything is written.
    The first public agent reply sets `first_response_at`. Comments do not bump the ticket's
    `lock_version`: an agent editing the ticket is not made stale by someone's note.
    """
    if not body.strip() and not uploads:
        raise TicketInvalid({"/body": ["must not be empty"]})
    if len(uploads) > MAX_FILES_PER_COMMENT:
        raise TicketInvalid({"/files": [f"At most {MAX_FILES_PER_COMMENT} files per comment."]})
    _check({"channel": channel})
    s = _session(session)
    staged = stage_uploads(uploads, storage)
    with _files_follow_rows(s, storage, staged) as place:
        if s.scalar(select(Ticket.id).where(Ticket.id == ticket_id)) is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        comment = _record_comment(s, ticket_id, body, author_id, internal, channel, staged)
        place()
        s.commit()
    return comment


def _record_comment(
    s: Session,
    ticket_id: int,
    body: str,
    author_id: int | None,
    internal: bool,
    channel: str,
    staged: Sequence[tuple[str, StagedFile]],
) -> Comment:
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
    rows = [_attachment_row(ticket_id, name, f, comment.id, author_id) for name, f in staged]
    s.add_all(rows)
    s.flush()
    new: dict[str, Any] = {"internal": internal}
    if rows:
        new["attachments"] = [row.id for row in rows]
    s.add(
        TicketEvent(
            ticket_id=ticket_id,
            at=now,
            actor_id=author_id,
            channel=channel,
            kind=EventKind.COMMENTED.value,
            pointer=f"/comments/{comment.id}",
            new=new,
        )
    )
    if not internal and channel == Channel.AGENT.value:
        _mark_first_response(s, ticket_id, now)
    return comment


def _mark_first_response(s: Session, ticket_id: int, now: Any) -> None:
    # A Core UPDATE: neither the version counter nor loaded objects are touched.
    s.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.first_response_at.is_(None))
        .values(first_response_at=now)
        .execution_options(synchronize_session=False)
    )


def stage_uploads(
    uploads: Sequence[Upload], storage: FileStorage | None
) -> list[tuple[str, StagedFile]]:
    """(clean name, staged file) per upload; TicketInvalid naming every refused file.

    Nothing stays staged when one file is refused. The status is 413 when a file is too large,
    422 otherwise; each message starts with the file's (clean) name.
    """
    if uploads and storage is None:
        raise ValueError("Uploads need a storage.")
    staged: list[tuple[str, StagedFile]] = []
    errors: dict[str, list[str]] = {}
    too_large = False
    for index, upload in enumerate(uploads):
        assert storage is not None
        name = clean_filename(upload.filename)
        try:
            staged.append((name, storage.stage(upload.stream, name, upload.content_type)))
        except AttachmentRejected as exc:
            errors[f"/files/{index}"] = [f"{name}: {exc}"]
            too_large = too_large or isinstance(exc, AttachmentTooLarge)
        except BaseException:
            _discard(storage, staged)
            raise
    if errors:
        _discard(storage, staged)
        refused = TicketInvalid(errors)
        refused.status = 413 if too_large else 422
        raise refused
    return staged


def _discard(storage: FileStorage | None, staged: Sequence[tuple[str, StagedFile]]) -> None:
    for _, item in staged:
        assert storage is not None
        storage.discard(item)


@contextmanager
def _files_follow_rows(
    s: Session, storage: FileStorage | None, staged: Sequence[tuple[str, StagedFile]]
) -> Iterator[Callable[[], None]]:
    """Yield `place()`, to call just before the commit; undo rows and new files on failure."""
    placed: list[StagedFile] = []
    added: list[str] = []

    def place() -> None:
        for _, item in staged:
            assert storage is not None
            if storage.place(item):
                added.append(item.stored.key)
            placed.append(item)

    try:
        yield place
    except BaseException:
        s.rollback()
        _discard(storage, [(name, item) for name, item in staged if item not in placed])
        _remove_unreferenced(s, storage, added)
        raise


def _remove_unreferenced(s: Session, storage: FileStorage | None, keys: Sequence[str]) -> None:
    """Delete bytes this transaction added that no committed row points to.

    A concurrent upload of the very same bytes that commits after this check would lose its
    file (it answers 404 on download); that needs equal bytes, a concurrent failing commit
    and this exact moment. When the check itself fails the bytes stay: an unused file is
    harmless, a missing one is not.
    """
    if not keys or storage is None:
        return
    try:
        used = set(
            s.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys)))
        )
        s.rollback()
    except Exception:
        s.rollback()
        return
    for key in keys:
        if key not in used:
            storage.delete(key)


def _attachment_row(
    ticket_id: int,
    name: str,
    staged: StagedFile,
    comment_id: int | None,
    uploaded_by_id: int | None,
) -> Attachment:
    stored = staged.stored
    return Attachment(
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
    name = clean_filename(filename)
    staged = [(name, storage.stage(stream, name, content_type))]
    with _files_follow_rows(s, storage, staged) as place:
        if s.scalar(select(Ticket.id).where(Ticket.id == ticket_id)) is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        attachment = _attachment_row(ticket_id, name, staged[0][1], comment_id, uploaded_by_id)
        s.add(attachment)
        s.flush()
        place()
        s.commit()
    return attachment
