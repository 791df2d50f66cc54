"""The /ops webhook screens: endpoints with a checked URL and a secret shown once; the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.webhooks import TEST_EVENT, TOPIC
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.app.webhooks.conftest import Endpoints

NEW = "/ops/tables/webhook_endpoint/new/"
LIST = "/ops/tables/webhook_endpoint/"
LOG = "/ops/tables/webhook_delivery/"


@pytest.fixture
def admin(client_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_as("admin")


def _public_url(endpoints: Endpoints) -> str:
    url = f"http://93.184.216.34/hooks/{uuid.uuid4().hex[:8]}"
    endpoints.urls.add(url)
    return url


def _by_url(url: str) -> WebhookEndpoint | None:
    db.session.rollback()
    return db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == url))


def test_a_new_endpoint_gets_a_generated_secret_shown_once(
    admin: FlaskClient, endpoints: Endpoints
) -> None:
    url = _public_url(endpoints)
    name = f"crm-{uuid.uuid4().hex[:6]}"
    response = admin.post(
        NEW,
        data={"name": name, "url": url, "events": ["sla.breached", "ticket.created"],
              "active": "y", "new_secret": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    endpoint = _by_url(url)
    assert endpoint is not None
    assert endpoint.events == ["ticket.created", "sla.breached"]  # the list's order
    assert len(endpoint.secret) >= 32
    assert endpoint.secret in response.get_data(as_text=True)

    for page in (LIST, f"{LIST}edit/?id={endpoint.id}", f"{LIST}details/?id={endpoint.id}",
                 f"{LIST}export/csv/"):
        html = admin.get(page).get_data(as_text=True)
        assert name in html
        assert endpoint.secret not in html, page


def test_an_edit_keeps_the_secret_unless_a_new_one_is_typed(
    admin: FlaskClient, endpoints: Endpoints
) -> None:
    endpoint = endpoints.make(_public_url(endpoints))
    old = endpoint.secret
    form = {"name": endpoint.name, "url": endpoint.url, "events": ["ticket.chased"],
            "active": "y", "new_secret": ""}
    assert admin.post(f"{LIST}edit/?id={endpoint.id}", data=form).status_code == 302
    again = _by_url(endpoint.url)
    assert again is not None and again.secret == old and again.events == ["ticket.chased"]

    typed = "a-new-secret-of-enough-length"
    form["new_secret"] = typed
    assert admin.post(f"{LIST}edit/?id={endpoint.id}", data=form).status_code == 302
    again = _by_url(endpoint.url)
    assert again is not None and again.secret == typed


def test_a_private_url_is_refused_unless_allowed(
    app: Flask, admin: FlaskClient, endpoints: Endpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "http://169.254.169.254/latest/meta-data/"
    endpoints.urls.add(url)
    form = {"name": f"meta-{uuid.uuid4().hex[:6]}", "url": url, "events": ["ticket.created"],
            "active": "y"}
    response = admin.post(NEW, data=form)
    assert response.status_code == 200
    assert "not a public address" in response.get_data(as_text=True)
    assert _by_url(url) is None

    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_ALLOW_PRIVATE", True)
    assert admin.post(NEW, data=form).status_code == 302
    assert _by_url(url) is not None


def test_unknown_events_are_refused(admin: FlaskClient, endpoints: Endpoints) -> None:
    url = _public_url(endpoints)
    form = {"name": f"x-{uuid.uuid4().hex[:6]}", "url": url, "events": ["ticket.deleted"]}
    assert admin.post(NEW, data=form).status_code == 200
    assert _by_url(url) is None


def test_reactivating_a_disabled_endpoint_clears_its_failures(
    admin: FlaskClient, endpoints: Endpoints
) -> None:
    from app.clock import utcnow

    endpoint = endpoints.make(
        _public_url(endpoints), active=False, failures=15, disabled_at=utcnow()
    )
    form = {"name": endpoint.name, "url": endpoint.url, "events": ["ticket.created"],
            "active": "y"}
    assert admin.post(f"{LIST}edit/?id={endpoint.id}", data=form).status_code == 302
    again = _by_url(endpoint.url)
    assert again is not None
    assert (again.active, again.failures, again.disabled_at) == (True, 0, None)


def test_send_test_queues_a_test_delivery(admin: FlaskClient, endpoints: Endpoints) -> None:
    endpoint = endpoints.make(_public_url(endpoints))
    response = admin.post(
        f"{LIST}action/", data={"action": "send_test", "rowid": [str(endpoint.id)]}
    )
    assert response.status_code == 302
    db.session.rollback()
    [delivery] = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    )
    assert delivery.event == TEST_EVENT and delivery.status == "pending"
    assert delivery.payload["event"] == TEST_EVENT
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == TOPIC))
    assert [m for m in messages if m.payload.get("delivery_id") == delivery.id]


def test_the_delivery_log_is_read_only_and_newest_first(
    admin: FlaskClient, endpoints: Endpoints
) -> None:
    from app.clock import utcnow

    endpoint = endpoints.make(_public_url(endpoints))
    tag = uuid.uuid4().hex[:8]
    for number, (status, code, error) in enumerate(
        [("failed", 500, f"HTTP 500: older-{tag}"), ("delivered", 204, None)]
    ):
        db.session.add(WebhookDelivery(
            key=f"log-{tag}-{number}:w{endpoint.id}", endpoint_id=endpoint.id,
            event="ticket.created", payload={}, created_at=utcnow(), status=status,
            attempts=number + 1, response_code=code, duration_ms=12.5, last_error=error,
        ))
    db.session.commit()

    html = admin.get(f"{LOG}?search=log-{tag}").get_data(as_text=True)
    newer, older = html.find(f"log-{tag}-1"), html.find(f"log-{tag}-0")
    assert 0 < newer < older
    assert f"HTTP 500: older-{tag}" in html and "delivered" in html and "204" in html
    assert admin.get(f"{LOG}new/").status_code == 302
    row = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.key.startswith(f"log-{tag}-0"))
    )
    assert row is not None
    assert admin.post(f"{LOG}delete/", data={"id": str(row.id)}).status_code == 302
    assert db.session.get(WebhookDelivery, row.id) is not None


def test_deleting_an_endpoint_deletes_its_deliveries(
    admin: FlaskClient, endpoints: Endpoints
) -> None:
    from app.clock import utcnow

    endpoint = endpoints.make(_public_url(endpoints))
    db.session.add(WebhookDelivery(
        key=f"gone-{uuid.uuid4().hex[:8]}:w{endpoint.id}", endpoint_id=endpoint.id,
        event="ticket.created", payload={}, created_at=utcnow(), status="pending", attempts=0,
    ))
    db.session.commit()
    assert admin.post(f"{LIST}delete/", data={"id": str(endpoint.id)}).status_code == 302
    db.session.rollback()
    assert db.session.get(WebhookEndpoint, endpoint.id) is None
    assert db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    ).all() == []
