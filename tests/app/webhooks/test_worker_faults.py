"""A webhook receiver that is down, then slow, then up, behind a real worker and its scheduler:
retries with backoff, one successful delivery, and the ticket's own job never waits for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.webhooks.models import WebhookDelivery
from tests.app.jobs.test_worker import start_worker, wait_until  # noqa: F401  (the fixture)
from tests.app.tickets.conftest import Setting, setting  # noqa: F401  (the fixture)
from tests.app.tickets.test_routing import create, publish_template, publish_workflow
from tests.app.tickets.test_triggers import STATES, TRANSITIONS
from tests.app.webhooks.conftest import Endpoints, Receiver

pytestmark = pytest.mark.backend("postgresql")


def test_a_receiver_down_then_slow_then_up_gets_one_delivery_and_blocks_nothing(
    app: Flask,
    setting: Setting,  # noqa: F811
    start_worker: Callable[[], None],  # noqa: F811
    receiver: Receiver,
    endpoints: Endpoints,
    allow_private: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    retries = {"webhook.deliver": [1, 1, 1, 1]}
    monkeypatch.setitem(app.config, "TESSERA_JOB_RETRIES", retries)  # the enqueuing side
    monkeypatch.setenv("TESSERA_JOB_RETRIES", json.dumps(retries))  # the worker's side
    monkeypatch.setenv("TESSERA_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("TESSERA_WEBHOOK_TIMEOUT", "1")
    endpoint = endpoints.make(receiver.url)
    receiver.secret = endpoint.secret
    receiver.answers = [503, 200, 200]  # down (unavailable), then an answer that comes too late
    key = f"wf_{setting.template}"
    publish_workflow(key, states=STATES, transitions=TRANSITIONS)
    ticket = create(publish_template(setting, key))
    start_worker()

    def delivery() -> WebhookDelivery | None:
        return db.session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.ticket_id == ticket.id,
                WebhookDelivery.endpoint_id == endpoint.id,
            )
        ).first()

    wait_until(lambda: len(receiver.requests) == 1, "the first attempt (receiver down)")
    receiver.delay = 3.0  # slow: beyond the 1 s timeout
    events = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.topic == "ticket.events"
        )
    ).one()
    assert events.done_at is not None  # the ticket's job finished; the delivery retries alone
    wait_until(lambda: len(receiver.requests) == 2, "the second attempt (receiver slow)")
    receiver.delay = 0.0
    wait_until(
        lambda: (found := delivery()) is not None and found.status == "delivered",
        "the delivery once the receiver is up",
    )
    found = delivery()
    assert found is not None
    assert (found.attempts, found.response_code) == (3, 200)
    assert [r.verified for r in receiver.requests] == [True, True, True]
    assert len({r.headers["X-Tessera-Delivery"] for r in receiver.requests}) == 1
    times = [datetime.fromtimestamp(int(r.headers["X-Tessera-Timestamp"]), UTC)
             for r in receiver.requests]
    assert times == sorted(times)
