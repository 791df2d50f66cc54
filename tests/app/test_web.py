"""The admin banner for late background work: its outbox reading is shared for a few seconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app import web
from app.clock import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.app.security.conftest import recorded_statements

BANNER = 'id="outbox-late"'


@pytest.fixture
def late_message(app: Flask) -> Iterator[int]:
    """An outbox message never enqueued, two hours old; deleted afterwards."""
    app.extensions.pop(web.OUTBOX_AGE_KEY, None)
    with app.app_context():
        message = OutboxMessage(
            topic="ticket.events", payload={}, created_at=utcnow() - timedelta(hours=2)
        )
        db.session.add(message)
        db.session.commit()
        pk = message.id
        db.session.remove()
    yield pk
    with app.app_context():
        row = db.session.get(OutboxMessage, pk)
        if row is not None:
            db.session.delete(row)
            db.session.commit()
        db.session.remove()
    app.extensions.pop(web.OUTBOX_AGE_KEY, None)


def _send(app: Flask, pk: int) -> None:
    with app.app_context():
        row = db.session.get(OutboxMessage, pk)
        assert row is not None
        row.enqueued_at = row.done_at = utcnow()
        db.session.commit()
        db.session.remove()


def _outbox_reads(app: Flask, client: Any) -> tuple[bool, int]:
    """(banner shown, outbox queries) of one admin page."""
    with recorded_statements(app) as seen:
        page = client.get("/tickets/")
    assert page.status_code == 200
    return BANNER in page.text, len([s for s in seen if "FROM outbox" in s])


def test_the_reading_is_reused_within_the_ttl(
    app: Flask, client_as: Any, late_message: int
) -> None:
    admin = client_as("admin")
    assert _outbox_reads(app, admin) == (True, 1)
    _send(app, late_message)
    assert _outbox_reads(app, admin) == (True, 0)  # the reading of a moment ago


def test_an_expired_reading_is_taken_again(
    app: Flask, client_as: Any, late_message: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = client_as("admin")
    assert _outbox_reads(app, admin) == (True, 1)
    _send(app, late_message)
    monkeypatch.setattr(web, "OUTBOX_AGE_TTL", 0.0)
    assert _outbox_reads(app, admin) == (False, 1)


def test_agents_neither_see_nor_read_it(app: Flask, client_as: Any, late_message: int) -> None:
    assert _outbox_reads(app, client_as("agent")) == (False, 0)
