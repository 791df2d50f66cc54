"""Deliveries end to end: emit, the runner's job, a real local HTTP receiver that verifies."""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.runner import run
from app.outbox.models import OutboxMessage
from app.webhooks import TOPIC, emit, encode
from app.webhooks.deliver import RETRIES, DeliveryFailed, post
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.app.webhooks.conftest import Endpoints, Receiver

TICKET = {"id": 7, "number": "T-7", "subject": "Printer on fire (打印机着火)", "data": {"n": 1}}


def _key() -> str:
    return f"t7:m{uuid.uuid4().hex[:8]}:ticket.created"


def _emit(key: str, event: str = "ticket.created", **target: str) -> int:
    created = emit(db.session, key=key, event=event, ticket_id=None, payload=TICKET, **target)
    db.session.commit()
    return created


def _delivery(endpoint: WebhookEndpoint, key: str) -> WebhookDelivery:
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.key == f"{key}:w{endpoint.id}")
    )
    assert delivery is not None, f"no delivery {key} to {endpoint.name}"
    return delivery


def _message(delivery: WebhookDelivery) -> OutboxMessage:
    messages = [
        m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == TOPIC))
        if m.payload.get("delivery_id") == delivery.id
    ]
    assert len(messages) == 1, f"{len(messages)} outbox messages for delivery {delivery.id}"
    return messages[0]


def _fresh(row: WebhookDelivery | WebhookEndpoint) -> None:
    db.session.refresh(row)


@pytest.fixture
def setup(
    allow_private: None, receiver: Receiver, endpoints: Endpoints
) -> tuple[Receiver, WebhookEndpoint]:
    endpoint = endpoints.make(receiver.url)
    receiver.secret = endpoint.secret
    return receiver, endpoint


def test_emit_twice_writes_one_delivery_and_one_message(
    receiver: Receiver, endpoints: Endpoints
) -> None:
    subscribed = endpoints.make(receiver.url, events=("ticket.created", "sla.breached"))
    other_event = endpoints.make(receiver.url, events=("sla.breached",))
    inactive = endpoints.make(receiver.url, active=False)
    key = _key()

    assert _emit(key) >= 1
    assert _emit(key) == 0
    emit(db.session, key=key, event="ticket.created", ticket_id=None, payload=TICKET)
    emit(db.session, key=key, event="ticket.created", ticket_id=None, payload=TICKET)
    db.session.commit()

    delivery = _delivery(subscribed, key)
    assert delivery.status == "pending" and delivery.attempts == 0
    _message(delivery)
    for endpoint in (other_event, inactive):
        count = db.session.scalar(
            select(func.count()).select_from(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
        )
        assert count == 0


def test_a_delivery_is_the_signed_document(setup: tuple[Receiver, WebhookEndpoint]) -> None:
    receiver, endpoint = setup
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)

    assert run(_message(delivery).id) == "done"

    [got] = receiver.requests
    assert got.verified
    assert got.path == "/hooks/tessera"
    assert got.headers["X-Tessera-Delivery"] == delivery.key
    assert got.headers["X-Tessera-Event"] == "ticket.created"
    assert got.headers["Content-Type"] == "application/json"
    assert got.body == encode(delivery.payload)
    document = json.loads(got.body)
    assert document["id"] == delivery.key
    assert document["event"] == "ticket.created"
    assert document["ticket"] == TICKET
    assert document["created_at"].startswith(str(delivery.created_at.year))
    _fresh(delivery)
    assert delivery.status == "delivered"
    assert delivery.response_code == 200
    assert delivery.attempts == 1
    assert delivery.duration_ms is not None and delivery.duration_ms > 0
    assert delivery.delivered_at is not None and delivery.last_error is None


def test_500_then_200_retries_and_delivers_once(setup: tuple[Receiver, WebhookEndpoint]) -> None:
    receiver, endpoint = setup
    receiver.answers = [500, 200]
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)
    message_id = _message(delivery).id

    with pytest.raises(DeliveryFailed, match="HTTP 500"):
        run(message_id)
    _fresh(delivery)
    _fresh(endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: answered"
    assert endpoint.failures == 1

    assert run(message_id) == "done"
    assert run(message_id) == "skipped"
    _fresh(delivery)
    _fresh(endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert endpoint.failures == 0
    assert [r.verified for r in receiver.requests] == [True, True]
    assert {r.headers["X-Tessera-Delivery"] for r in receiver.requests} == {delivery.key}
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_slow_receiver_times_out_and_the_failure_is_recorded(
    app: Flask, setup: tuple[Receiver, WebhookEndpoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, endpoint = setup
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_TIMEOUT", 0.3)
    receiver.delay = 3.0
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)

    with pytest.raises(DeliveryFailed, match="timed out"):
        run(_message(delivery).id)

    _fresh(delivery)
    _fresh(endpoint)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.response_code is None
    assert delivery.last_error is not None and "timed out" in delivery.last_error
    assert delivery.duration_ms is not None and 250 <= delivery.duration_ms < 3000
    assert endpoint.failures == 1
    assert len(receiver.requests) == 1


def test_repeated_failures_disable_the_endpoint(
    app: Flask, setup: tuple[Receiver, WebhookEndpoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, endpoint = setup
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_DISABLE_AFTER", 3)
    receiver.answers = [500]
    keys = [_key() for _ in range(4)]
    for key in keys:
        _emit(key)
    messages = [_message(_delivery(endpoint, key)).id for key in keys]

    for message_id in messages[:3]:
        with pytest.raises(DeliveryFailed):
            run(message_id)
    _fresh(endpoint)
    assert endpoint.failures == 3
    assert endpoint.active is False and endpoint.disabled_at is not None

    # The delivery still queued gives up without a request; new events skip the endpoint.
    assert run(messages[3]) == "done"
    last = _delivery(endpoint, keys[3])
    assert last.status == "failed" and last.attempts == 0
    assert last.last_error is not None and "disabled" in last.last_error
    assert len(receiver.requests) == 3
    later = _key()
    _emit(later)
    assert db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.key == f"{later}:w{endpoint.id}")
    ) is None


def test_the_last_attempt_marks_the_delivery_failed(
    setup: tuple[Receiver, WebhookEndpoint],
) -> None:
    receiver, endpoint = setup
    receiver.answers = [503]
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)
    message_id = _message(delivery).id

    for _ in RETRIES:
        with pytest.raises(DeliveryFailed):
            run(message_id)
    assert run(message_id) == "done"  # the last attempt: recorded, not raised

    _fresh(delivery)
    assert delivery.status == "failed"
    assert delivery.attempts == len(RETRIES) + 1 == len(receiver.requests)
    assert delivery.response_code == 503
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None and message.done_at is not None


def test_a_private_address_is_refused_when_not_allowed(
    app: Flask, receiver: Receiver, endpoints: Endpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_ALLOW_PRIVATE", False)
    endpoint = endpoints.make(receiver.url)
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)

    with pytest.raises(DeliveryFailed, match="not a public address"):
        run(_message(delivery).id)

    assert receiver.requests == []
    _fresh(delivery)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "127.0.0.1" in (delivery.last_error or "")


def test_the_connection_itself_refuses_a_private_address(receiver: Receiver) -> None:
    """A name that passed the URL check but connects to a private address (DNS rebinding)."""
    outcome = post(receiver.url, b"{}", {}, timeout=2, allow_private=False)
    assert outcome.code is None and "not a public address" in (outcome.error or "")
    assert receiver.requests == []


def test_redirects_are_not_followed(setup: tuple[Receiver, WebhookEndpoint]) -> None:
    receiver, endpoint = setup
    receiver.answers = [302]
    key = _key()
    _emit(key)
    delivery = _delivery(endpoint, key)

    with pytest.raises(DeliveryFailed, match="HTTP 302"):
        run(_message(delivery).id)

    assert [r.path for r in receiver.requests] == ["/hooks/tessera"]
    _fresh(delivery)
    assert delivery.response_code == 302


def test_a_workflow_action_url_is_signed_with_the_named_secret(
    app: Flask,
    allow_private: None,
    receiver: Receiver,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = f"crm-{uuid.uuid4().hex}"
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_SECRETS", {"crm": secret})
    endpoints.urls.add(receiver.url)
    receiver.secret = secret
    key = f"t7:e9:trigger:to_crm:{uuid.uuid4().hex[:8]}"

    assert _emit(key, url=receiver.url, secret_name="crm") == 1
    assert _emit(key, url=receiver.url, secret_name="crm") == 0
    target = db.session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.url == receiver.url, WebhookEndpoint.name.startswith("workflow-")
        )
    )
    assert target is not None and target.events == [] and target.secret == secret
    delivery = _delivery(target, key)
    assert run(_message(delivery).id) == "done"

    [got] = receiver.requests
    assert got.verified and got.headers["X-Tessera-Delivery"] == delivery.key
    # The one-off target receives no subscribed events.
    other = _key()
    _emit(other)
    assert db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.key == f"{other}:w{target.id}")
    ) is None


def test_a_workflow_action_naming_an_unknown_secret_is_recorded_failed(
    app: Flask, receiver: Receiver, endpoints: Endpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_SECRETS", {})
    endpoints.urls.add(receiver.url)
    key = f"t7:e9:trigger:to_crm:{uuid.uuid4().hex[:8]}"

    assert _emit(key, url=receiver.url, secret_name="missing") == 1

    target = db.session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.url == receiver.url)
    )
    assert target is not None
    delivery = _delivery(target, key)
    assert delivery.status == "failed"
    assert "TESSERA_WEBHOOK_SECRETS" in (delivery.last_error or "")
    messages = [
        m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == TOPIC))
        if m.payload.get("delivery_id") == delivery.id
    ]
    assert messages == []
    assert receiver.requests == []
