"""From committed outbox rows to RQ jobs: right after the commit, and by the periodic sweep.

The session hooks remember the messages a transaction flushed and enqueue them once it has
committed (never before: a rolled-back change leaves no job behind). When Redis is known to be
down (the cached health check) the request does not wait on it: the sweep enqueues later.
Enqueuing checks the job id first, so a message enqueued by both paths runs as one job; if both
still race, the runner's row lock and the effect keys keep the effect single.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import ColumnElement, event, select, update
from sqlalchemy.orm import Session

from app.clock import aware, utcnow
from app.outbox import HANDLERS, PENDING, Topic, job_id, retries_of
from app.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

RUN = "app.jobs.runner.run"
FLUSHED = "tessera_outbox_flushed"  # session.info: (id, topic, run_at) flushed, not committed
# session.info: True while a bulk load (the demo tickets) leaves its messages to the sweep.
HOLD = "tessera_outbox_hold"
# Topics whose handler module is not imported yet default to this.
FALLBACK = Topic("", lambda s, m: None)


@dataclass(frozen=True)
class Pending:
    """What enqueuing a message needs, read while its row was at hand."""

    id: int
    topic: str
    run_at: datetime | None


def topic_of(name: str) -> Topic:
    """The registered topic (queue, retries, timeout) or the defaults."""
    return HANDLERS.get(name, FALLBACK)


def _enqueue_one(connection: Any, message: Pending, now: datetime) -> None:
    topic = topic_of(message.topic)
    queue = Queue(topic.queue, connection=connection)
    options: dict[str, Any] = {
        "job_id": job_id(message.id),
        "job_timeout": topic.timeout,
        "result_ttl": 3600,
        "failure_ttl": 30 * 24 * 3600,
        "description": f"{message.topic} #{message.id}",
    }
    retries = retries_of(message.topic)
    if retries:
        options["retry"] = Retry(max=len(retries), interval=list(retries))
    run_at = aware(message.run_at) if message.run_at is not None else None
    if run_at is not None and run_at > now:
        queue.enqueue_at(run_at, RUN, message.id, **options)
    else:
        queue.enqueue(RUN, message.id, **options)


def enqueue(app: Flask, messages: Sequence[Pending]) -> list[int]:
    """Enqueue the messages whose job does not exist yet; the ids now in Redis.

    Stops at the first Redis error (logged): what is left is the sweep's.
    """
    if not messages:
        return []
    from app.queue import redis_connection

    connection = redis_connection(app)
    now = utcnow()
    done: list[int] = []
    try:
        pipe = connection.pipeline(transaction=False)
        for message in messages:
            pipe.exists(Job.key_for(job_id(message.id)))
        exists = pipe.execute()
        for message, present in zip(messages, exists, strict=True):
            if not present:
                _enqueue_one(connection, message, now)
            done.append(message.id)
    except (RedisError, OSError) as exc:
        log.warning("outbox: Redis refused %d message(s) (%s); the sweep retries", len(messages)
                    - len(done), exc)
    return done


def mark_enqueued(app: Flask, ids: Iterable[int]) -> None:
    """Stamp `enqueued_at` in a transaction of its own (the caller's has ended)."""
    ids = list(ids)
    if not ids:
        return
    from app.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.enqueued_at.is_(None))
            .values(enqueued_at=utcnow())
        )


def dispatch(app: Flask, messages: Sequence[Pending]) -> None:
    """After a commit: enqueue now unless Redis is known to be down."""
    from app.queue import queue_online

    with app.app_context():
        online, _ = queue_online(app)
    if not online:
        return
    mark_enqueued(app, enqueue(app, messages))


def sweep(app: Flask, *, grace: timedelta = timedelta(seconds=10), limit: int = 1000) -> int:
    """Enqueue messages the commit could not (never enqueued, older than `grace`); how many.

    Also enqueues again, a batch at a time, messages whose job is gone (Redis restarted
    without persistence) or orphaned: started, but nobody holds the message's row lock any
    more, because the worker running it died (see `_orphaned`).
    """
    from app.extensions import db

    now = utcnow()
    with app.app_context():
        waiting = _unfinished(
            limit, OutboxMessage.enqueued_at.is_(None), OutboxMessage.created_at < now - grace
        )
        missing, orphaned = _audit(app, now, grace, limit)
        db.session.rollback()
    sent = enqueue(app, waiting)
    mark_enqueued(app, sent)
    return len(sent) + len(enqueue(app, missing)) + _force(app, orphaned)


def _unfinished(limit: int, *where: ColumnElement[bool]) -> list[Pending]:
    """Up to `limit` messages not done that also meet `where`, oldest first."""
    from app.extensions import db

    query = (
        select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.run_at)
        .where(OutboxMessage.done_at.is_(None), *where)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Pending(*row) for row in db.session.execute(query)]


_audit_from = 0  # the audit walks the enqueued, unfinished rows in id order, a batch per sweep
PREFIX = job_id(0)[:-1]  # "outbox-": the jobs of outbox messages, among RQ's others


def _audit(
    app: Flask, now: datetime, grace: timedelta, limit: int
) -> tuple[list[Pending], list[Pending]]:
    """(messages whose job is gone, messages whose started job nobody runs any more).

    Jobs Redis lost are found by walking the enqueued, unfinished messages a batch per beat (a
    large backlog of timers takes a few beats). Orphans are found every beat, whatever the
    backlog: they are among the jobs RQ's started registries hold, a few per worker.
    """
    global _audit_from
    from app.queue import redis_connection

    rows = _unfinished(
        limit, OutboxMessage.enqueued_at < now - grace, OutboxMessage.id > _audit_from
    )
    _audit_from = rows[-1].id if len(rows) == limit else 0
    try:
        connection = redis_connection(app)
        started = _started(app, connection, now - grace)
        pipe = connection.pipeline(transaction=False)
        for row in rows:
            pipe.exists(Job.key_for(job_id(row.id)))
        found = pipe.execute() if rows else []
    except (RedisError, OSError):
        return [], []
    missing = [row for row, exists in zip(rows, found, strict=True) if not exists]
    return missing, _orphaned(started)


def _started(app: Flask, connection: Any, before: datetime) -> list[Pending]:
    """Unfinished messages whose job RQ lists as started before `before`."""
    from rq.registry import StartedJobRegistry

    ids: list[int] = []
    for name in app.config["RQ_QUEUES"]:
        # No clean-up here: RQ's would fail an abandoned job before it could be given back.
        registry = StartedJobRegistry(name, connection=connection)
        for job in registry.get_job_ids(cleanup=False):
            if job.startswith(PREFIX) and job[len(PREFIX):].isdigit():
                ids.append(int(job[len(PREFIX):]))
    if not ids:
        return []
    pipe = connection.pipeline(transaction=False)
    for message in ids:
        pipe.hmget(Job.key_for(job_id(message)), "status", "started_at")
    stamps = pipe.execute()
    old = {
        message for message, (status, started_at) in zip(ids, stamps, strict=True)
        if status == b"started" and _older(started_at, before)
    }
    return _unfinished(len(old), OutboxMessage.id.in_(old)) if old else []


def _older(stamp: bytes | None, than: datetime) -> bool:
    if not stamp:
        return False
    try:
        return aware(datetime.fromisoformat(stamp.decode().replace("Z", "+00:00"))) < than
    except ValueError:
        return False


def _orphaned(started: Sequence[Pending]) -> list[Pending]:
    """The started messages whose row no transaction locks: their worker died (PostgreSQL).

    The runner holds the row lock for the whole job, and the database drops the locks of a
    connection that goes away with its process. SQLite has no row locks to ask; there a dead
    worker's job waits for RQ's own clean-up of abandoned jobs.
    """
    from app.extensions import db

    if not started or db.engine.dialect.name != "postgresql":
        return []
    free = set(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.id.in_([m.id for m in started]))
            .with_for_update(skip_locked=True)
        )
    )
    db.session.rollback()
    return [m for m in started if m.id in free]


def _force(app: Flask, messages: Sequence[Pending]) -> int:
    """Enqueue orphaned messages again under their job id (the old job record is replaced)."""
    if not messages:
        return 0
    from app.queue import redis_connection

    connection, now = redis_connection(app), utcnow()
    try:
        for message in messages:
            log.warning("outbox: message %s was started by a worker that is gone; again",
                        message.id)
            _enqueue_one(connection, message, now)
    except (RedisError, OSError) as exc:
        log.warning("outbox: Redis refused a message again (%s)", exc)
        return 0
    return len(messages)


def _remember_flushed(session: Session, flush_context: Any) -> None:
    pending: list[OutboxMessage] | None = session.info.pop(PENDING, None)
    if pending:
        flushed: list[Pending] = session.info.setdefault(FLUSHED, [])
        flushed.extend(Pending(m.id, m.topic, m.run_at) for m in pending)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the transaction goes on
    flushed: list[Pending] | None = session.info.pop(FLUSHED, None)
    if flushed and has_app_context() and not session.info.get(HOLD):
        dispatch(current_app._get_current_object(), flushed)  # type: ignore[attr-defined]


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # back to a SAVEPOINT: what was written before it still commits
    session.info.pop(PENDING, None)
    session.info.pop(FLUSHED, None)


def install() -> None:
    """Listen on every Session (idempotent): remember flushed messages, dispatch on commit."""
    if event.contains(Session, "after_flush", _remember_flushed):
        return
    event.listen(Session, "after_flush", _remember_flushed)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
