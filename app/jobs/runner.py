"""The one RQ job of the outbox: run a message's topic handler once, in one transaction.

`run(message_id)` counts the attempt (committed on its own, so a failing handler still leaves
it), locks the message row (a second copy of the job waits, then finds it done), calls the
topic's handler, and marks the message done in the handler's transaction. A handler that
raises rolls everything back; the error is recorded and re-raised so RQ retries the job with
the topic's delays and finally parks it in the failed registry (requeue it from /ops).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.clock import aware, utcnow
from app.jobs import with_app_context
from app.outbox import DEPTH, HANDLERS
from app.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

EARLY = timedelta(seconds=2)  # clocks of hosts differ a little; more than this is too early

class UnknownTopic(RuntimeError):
    """A message whose topic no handler serves (a newer release wrote it)."""


@with_app_context
def run(message_id: int) -> str:
    """Run outbox message `message_id`; "done", "gone" or "skipped" (already done)."""
    from app.extensions import db
    from app.jobs.topics import load

    load()
    s = db.session
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.done_at.is_(None))
        .values(attempts=OutboxMessage.attempts + 1)
    )
    s.commit()
    try:
        message = s.scalars(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        ).first()
        if message is None:
            s.rollback()
            return "gone"  # its ticket was deleted
        if message.done_at is not None:
            s.rollback()
            return "skipped"
        if message.run_at is not None and aware(message.run_at) > utcnow() + EARLY:
            s.rollback()
            return "early"  # left pending: the sweep's audit enqueues it again for its time
        topic = HANDLERS.get(message.topic)
        if topic is None:
            raise UnknownTopic(f"No handler for outbox topic {message.topic!r}.")
        s.info[DEPTH] = int((message.payload or {}).get("depth", 0))
        topic.handler(s, message)
        message.done_at = utcnow()
        message.last_error = None
        s.commit()
    except BaseException as exc:
        s.rollback()
        _record_error(message_id, exc)
        raise
    finally:
        s.info.pop(DEPTH, None)
    return "done"


def _record_error(message_id: int, exc: BaseException) -> None:
    from app.extensions import db

    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(last_error=f"{type(exc).__name__}: {exc}"[:2000])
            )
    except Exception:  # the database itself may be what failed
        log.exception("outbox: could not record the error of message %s", message_id)
