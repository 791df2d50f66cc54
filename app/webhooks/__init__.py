"""Outgoing webhooks: ticket events POSTed, signed, to the endpoints that asked for them.

`emit(...)` runs inside a job's transaction (the trigger engine calls it for every ticket event
and for the workflow action `{"type": "webhook", "url": ..., "secret": <secret name>}`). It
writes one `WebhookDelivery` per target and one `webhook.deliver` outbox message for it; the
handler in `app.webhooks.deliver` POSTs the delivery's document after the commit, and retries.

- A delivery's key is `f"{key}:w{endpoint_id}"` (a digest stands for the end of a key too long
  for the column): emitting the same event twice (a second run of the same job) finds the
  delivery and writes nothing.
- The document sent is built here, once, and kept in `WebhookDelivery.payload`:
  `{"id": <delivery key>, "event": ..., "created_at": <ISO time>, "ticket": {...}}`; `encode`
  turns it into the bytes that are signed and sent (sorted keys, compact separators, UTF-8),
  the same bytes on every attempt.
- A workflow action's one-off URL is served by an endpoint row made on demand: named
  `workflow-<hash of URL and secret name>`, subscribed to no event (so `emit` for an event
  never picks it), its secret the one `TESSERA_WEBHOOK_SECRETS` gives that name.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import outbox
from app.clock import utcnow
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["EVENTS", "TEST_EVENT", "TOPIC", "Status", "emit", "encode", "send_test"]

TOPIC = "webhook.deliver"
TEST_EVENT = "webhook.test"
KEY_LENGTH = 255  # WebhookDelivery.key
# The events an endpoint may subscribe to, in the order the console lists them.
EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.transitioned",
    "ticket.commented",
    "ticket.assigned",
    "ticket.chased",
    "sla.warning",
    "sla.breached",
    "approval.requested",
    "approval.decided",
)


class Status(enum.StrEnum):
    """Where a delivery stands: pending → delivered | failed (gave up)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def _jsonable(value: Any) -> Any:
    """JSON for the values a ticket document holds beyond JSON's own types."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"webhook payload: {type(value).__name__} is not JSON serialisable")


def encode(document: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: sorted keys, compact separators, UTF-8."""
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return text.encode("utf-8")


def _document(
    key: str, event: str, payload: Mapping[str, Any], created_at: datetime
) -> dict[str, Any]:
    """The delivery's JSON document, its values already plain JSON."""
    document = {
        "id": key,
        "event": event,
        "created_at": created_at.isoformat(),
        "ticket": payload,
    }
    parsed: dict[str, Any] = json.loads(encode(document))
    return parsed


def _delivery_key(key: str, endpoint_id: int) -> str:
    """`f"{key}:w{endpoint_id}"`; a key too long for the column keeps its start and a digest."""
    suffix = f":w{endpoint_id}"
    if len(key) + len(suffix) > KEY_LENGTH:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        key = f"{key[: KEY_LENGTH - len(suffix) - 33]}~{digest}"
    return key + suffix


def _deliver_to(
    s: Session,
    endpoint: WebhookEndpoint,
    key: str,
    event: str,
    ticket_id: int | None,
    payload: Mapping[str, Any],
) -> WebhookDelivery | None:
    """Write the delivery of this event to `endpoint` and its outbox message; None if it exists.

    An endpoint without a secret gets its delivery recorded as failed, and no message.
    """
    delivery_key = _delivery_key(key, endpoint.id)
    if s.scalar(select(WebhookDelivery.id).where(WebhookDelivery.key == delivery_key)):
        return None
    now = utcnow()
    delivery = WebhookDelivery(
        key=delivery_key,
        endpoint_id=endpoint.id,
        event=event,
        ticket_id=ticket_id,
        payload=_document(delivery_key, event, payload, now),
        created_at=now,
        status=Status.PENDING.value,
        attempts=0,
    )
    if not endpoint.secret:
        delivery.status = Status.FAILED.value
        delivery.last_error = _(
            "The endpoint %(name)s has no secret (a workflow action's secret is named in "
            "TESSERA_WEBHOOK_SECRETS).",
            name=endpoint.name,
        )
    s.add(delivery)
    s.flush()
    if delivery.status == Status.PENDING.value:
        outbox.add(s, TOPIC, ticket_id=ticket_id, payload={"delivery_id": delivery.id})
    return delivery


def _subscribers(s: Session, event: str) -> list[WebhookEndpoint]:
    """Active, not disabled endpoints whose events include `event`, in id order."""
    endpoints = s.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.active.is_(True), WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.id)
    )
    return [e for e in endpoints if event in (e.events or [])]


def _one_off(s: Session, url: str, secret_name: str | None) -> WebhookEndpoint:
    """The endpoint row standing for a workflow action's URL; made on first use.

    Its secret follows `TESSERA_WEBHOOK_SECRETS[secret_name]`; empty when the name is unknown,
    and its deliveries are then recorded as failed (never sent unsigned).
    """
    digest = hashlib.sha256(f"{url}\n{secret_name or ''}".encode()).hexdigest()[:16]
    name = f"workflow-{digest}"
    secrets: Mapping[str, str] = current_app.config.get("TESSERA_WEBHOOK_SECRETS") or {}
    secret = secrets.get(secret_name or "", "")
    endpoint = s.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))
    if endpoint is None:
        endpoint = WebhookEndpoint(
            name=name, url=url, secret=secret, events=[], active=True, failures=0,
            created_at=utcnow(),
        )
        s.add(endpoint)
        s.flush()
    elif endpoint.secret != secret:
        endpoint.secret = secret
    return endpoint


def emit(
    s: Session,
    *,
    key: str,
    event: str,
    ticket_id: int | None,
    payload: Mapping[str, Any],
    url: str | None = None,
    secret_name: str | None = None,
) -> int:
    """Queue `event` for every subscribed endpoint (or for `url` alone); deliveries created.

    `key` identifies the effect (ticket, event, action); with `url`, the target is the
    workflow action's URL, signed with the secret `secret_name` names.
    """
    if url is None:
        targets = _subscribers(s, event)
    else:
        endpoint = _one_off(s, url, secret_name)
        targets = [endpoint] if endpoint.active and endpoint.disabled_at is None else []
    created = 0
    for endpoint in targets:
        if _deliver_to(s, endpoint, key, event, ticket_id, payload) is not None:
            created += 1
    return created


def send_test(s: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to `endpoint` (the console's "Send test")."""
    key = f"test:{uuid.uuid4().hex}"
    delivery = _deliver_to(s, endpoint, key, TEST_EVENT, None, {})
    if delivery is None:
        raise RuntimeError(f"webhook test delivery {key} exists already")
    return delivery


# Registers the `webhook.deliver` handler wherever deliveries can be written, so the
# dispatcher enqueues them with the handler's retries and timeout.
from app.webhooks import deliver as _deliver  # noqa: E402, F401
