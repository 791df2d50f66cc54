"""The outbox's retention: done messages go after their days; pending and failed ones stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.jobs.cron import PURGE_EVERY, Beat
from app.outbox.models import Effect, OutboxMessage
from app.outbox.retention import cutoff, purge

MINE = "retention."  # the topics of this module's messages: nothing else sweeps or counts them


@pytest.fixture(autouse=True)
def _own_messages(app: Flask) -> Iterator[None]:
    """Only this module's messages are in play, and none is left behind for other tests."""
    def clear() -> None:
        with app.app_context():
            db.session.query(OutboxMessage).filter(OutboxMessage.topic.like(f"{MINE}%")).delete()
            db.session.query(Effect).filter(Effect.key == "t1:keep").delete()
            db.session.commit()

    clear()
    with app.app_context():
        others = db.session.query(OutboxMessage).filter(OutboxMessage.done_at.is_not(None))
        others.update({OutboxMessage.done_at: utcnow()})  # recent: the purge leaves them
        db.session.commit()
    yield
    clear()


def _message(topic: str, done_days_ago: float | None, attempts: int = 1) -> int:
    now = utcnow()
    message = OutboxMessage(
        topic=MINE + topic,
        payload={},
        created_at=now - timedelta(days=(done_days_ago or 0) + 1),
        done_at=None if done_days_ago is None else now - timedelta(days=done_days_ago),
        attempts=attempts,
    )
    db.session.add(message)
    db.session.flush()
    return message.id


def _left() -> set[str]:
    topics = db.session.scalars(
        select(OutboxMessage.topic).where(OutboxMessage.topic.like(f"{MINE}%"))
    )
    return {t.removeprefix(MINE) for t in topics}


def _seed() -> None:
    _message("old.done", 40)
    _message("older.done", 400)
    _message("recent.done", 2)
    _message("pending.timer", None, attempts=0)
    failed = _message("failed", None, attempts=5)
    db.session.get(OutboxMessage, failed).last_error = "boom"  # type: ignore[union-attr]
    db.session.add(Effect(key="t1:keep", kind="trigger"))
    db.session.commit()


def test_purge_deletes_only_messages_done_before_the_cutoff(app: Flask) -> None:
    with app.app_context():
        _seed()
        assert purge(db.session, 30, batch=1) == 2  # batches of one until none is left
        assert _left() == {"recent.done", "pending.timer", "failed"}
        assert db.session.scalar(select(Effect.key).where(Effect.key == "t1:keep")) == "t1:keep"
        assert purge(db.session, 30) == 0


def test_zero_days_keeps_everything(app: Flask) -> None:
    with app.app_context():
        _seed()
        assert cutoff(0) is None
        assert purge(db.session, 0) == 0
        assert "older.done" in _left()


def test_the_beat_purges_one_batch_a_minute(app: Flask) -> None:
    with app.app_context():
        _seed()
    beat = Beat(app, 1.0)
    assert beat.purge(now=1000.0) == 2
    with app.app_context():
        _message("another.old", 50)
        db.session.commit()
    assert beat.purge(now=1000.0 + PURGE_EVERY / 2) == 0  # too soon
    assert beat.purge(now=1000.0 + PURGE_EVERY) == 1
    with app.app_context():
        assert _left() == {"recent.done", "pending.timer", "failed"}


def test_the_command_takes_its_days(app: Flask) -> None:
    with app.app_context():
        _seed()
    result = app.test_cli_runner().invoke(args=["tessera", "purge-outbox", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "deleted 3 done outbox message(s)" in result.output
    with app.app_context():
        assert _left() == {"pending.timer", "failed"}
