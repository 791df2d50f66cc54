"""The transactional outbox: later work written with the change that causes it, done once.

- `add(session, topic, ...)` writes a message in the caller's transaction. Nothing reaches
  Redis before the commit; after it, `app.outbox.dispatch` enqueues the message as the RQ job
  `app.jobs.runner.run(message_id)` with job id `outbox-<id>` (and the periodic sweep enqueues
  whatever the commit could not: Redis down, a process that died in between).
- A topic's handler is a function `(session, message) -> None` registered with `@handles`;
  the runner calls it inside one transaction that also marks the message done.
- `once(session, key, kind)` records one effect's key; it answers False when the effect
  already happened (a second run of the same message, or two runs at once), and the caller
  skips it. Keys are derived from (ticket, event, action), never from time or chance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.clock import utcnow
from app.outbox.models import Effect, OutboxMessage

__all__ = [
    "DEPTH", "HANDLERS", "Handler", "Topic", "add", "handles", "insert_once", "job_id", "once",
    "retries_of",
]

PENDING = "tessera_outbox_pending"  # session.info: messages written, not yet dispatched
DEPTH = "tessera_trigger_depth"  # session.info: how many trigger rounds led to this change

Handler = Callable[[Session, OutboxMessage], None]


@dataclass(frozen=True)
class Topic:
    """How a topic runs: its handler, the RQ queue, and the retry delays in seconds."""

    name: str
    handler: Handler
    queue: str = "default"
    retries: tuple[int, ...] = (2, 10, 60, 300, 1800)
    timeout: int = 180


HANDLERS: dict[str, Topic] = {}


def handles(
    topic: str, *, queue: str = "default", retries: tuple[int, ...] | None = None,
    timeout: int = 180,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `topic`."""

    def register(func: Handler) -> Handler:
        HANDLERS[topic] = Topic(
            topic, func, queue, retries if retries is not None else Topic.retries, timeout
        )
        return func

    return register


def retries_of(name: str) -> tuple[int, ...]:
    """The retry delays of a topic: `TESSERA_JOB_RETRIES[name]` when configured, else its own."""
    from flask import current_app, has_app_context

    configured = current_app.config.get("TESSERA_JOB_RETRIES", {}) if has_app_context() else {}
    if name in configured:
        return tuple(int(delay) for delay in configured[name])
    topic = HANDLERS.get(name)
    return topic.retries if topic is not None else Topic.retries


def job_id(message_id: int) -> str:
    """The RQ job id of a message: enqueuing it twice finds the first job."""
    return f"outbox-{message_id}"


def add(
    s: Session,
    topic: str,
    *,
    ticket_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    run_at: datetime | None = None,
) -> OutboxMessage:
    """Write one message in the caller's transaction; it is enqueued after the commit.

    `run_at` is stored in UTC: SQLite keeps a time's wall clock and drops its offset, so a
    calendar's +08:00 would otherwise come back eight hours late.
    """
    if run_at is not None and run_at.tzinfo is not None:
        run_at = run_at.astimezone(UTC)
    message = OutboxMessage(
        topic=topic, ticket_id=ticket_id, payload=dict(payload or {}), run_at=run_at,
        created_at=utcnow(), attempts=0,
    )
    s.add(message)
    s.info.setdefault(PENDING, []).append(message)
    return message


def insert_once(s: Session, model: type[Any], values: Mapping[str, Any]) -> int | None:
    """Insert one row unless its unique `key` is taken; its id, or None when it was.

    `INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id` (PostgreSQL, SQLite): a row another
    run inserted first is skipped and the caller's transaction goes on, with no SAVEPOINT.
    """
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = s.get_bind().dialect.name
    inserts: dict[str, Callable[..., Any]] = {
        "postgresql": postgresql_insert, "sqlite": sqlite_insert,
    }
    insert = inserts.get(dialect)
    if insert is None:
        raise RuntimeError(f"no conflict-free insert for the {dialect} database")
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=["key"])
        .returning(model.id)
    )
    found = s.execute(statement).scalar()
    return int(found) if found is not None else None


def once(s: Session, key: str, kind: str, ticket_id: int | None = None) -> bool:
    """Record the effect `key` in the caller's transaction; False when it already happened."""
    values = {"key": key[:255], "kind": kind, "ticket_id": ticket_id, "created_at": utcnow()}
    return insert_once(s, Effect, values) is not None


@dataclass(frozen=True)
class Backlog:
    """Messages not done yet that should have run: how many, the oldest's age, and failing."""

    due: int
    oldest_seconds: float | None
    failing: int


def backlog(s: Session) -> Backlog:
    """The outbox backlog: due messages not done (future timers are not backlog)."""
    from sqlalchemy import func, or_, select

    from app.clock import aware

    now = utcnow()
    due = (
        OutboxMessage.done_at.is_(None),
        or_(OutboxMessage.run_at.is_(None), OutboxMessage.run_at <= now),
    )
    count, oldest = s.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(*due)
    ).one()
    failing = s.scalar(select(func.count()).where(*due, OutboxMessage.last_error.is_not(None)))
    age = (now - aware(oldest)).total_seconds() if oldest is not None else None
    return Backlog(int(count or 0), age, int(failing or 0))


def oldest_unsent_age(s: Session) -> float | None:
    """Seconds the oldest message never enqueued has waited (one indexed row; None: none)."""
    from sqlalchemy import select

    from app.clock import aware

    oldest = s.scalar(
        select(OutboxMessage.created_at)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.enqueued_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    return (utcnow() - aware(oldest)).total_seconds() if oldest is not None else None
