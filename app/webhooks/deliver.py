"""The `webhook.deliver` handler: POST one delivery, record how it went, retry on failure.

One attempt: load the delivery (delivered or failed: nothing to do), refuse a disabled
endpoint, check the URL against the SSRF rule (`app.webhooks.ssrf`; DNS may have changed since
it was saved), and POST the delivery's document signed with the endpoint's secret
(`app.webhooks.signing`) with `urllib.request`: no proxy, no redirect followed, a timeout of
`TESSERA_WEBHOOK_TIMEOUT` seconds per socket operation, and the address checked again when the
socket connects.

- A 2xx answer: the delivery is `delivered` and the endpoint's count of failures in a row is
  reset, in the job's transaction.
- Anything else: the attempt is recorded in a transaction of its own (the runner rolls the
  job's back when the handler raises), the endpoint's failures grow by one and past
  `TESSERA_WEBHOOK_DISABLE_AFTER` the endpoint is disabled; then the handler raises so RQ
  retries after the next delay of `RETRIES`. On the last attempt it marks the delivery
  `failed` and returns instead.
"""

from __future__ import annotations

import functools
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.outbox import handles, retries_of
from app.outbox.models import OutboxMessage
from app.webhooks import TOPIC, Status, encode, signing, ssrf
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["RETRIES", "DeliveryFailed", "Outcome", "deliver", "post"]

# Seconds RQ waits before each retry: 7 attempts over about an hour and a half.
RETRIES = (5, 30, 120, 600, 1800, 3600)
USER_AGENT = "Tessera-Webhooks/1"
ERROR_BODY = 300  # bytes of an error answer kept in last_error


class DeliveryFailed(RuntimeError):
    """An attempt failed and is recorded; raised so RQ retries the job."""


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: the HTTP status (if any answer came), the error, the time taken."""

    code: int | None
    error: str | None
    duration_ms: float | None

    @property
    def ok(self) -> bool:
        return self.error is None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: a 3xx answer is an HTTPError like any other non-2xx."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _GuardedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket connects only to addresses the SSRF rule allows."""

    def __init__(self, *args: Any, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(
            ssrf.create_connection, allow_private=allow_private
        )


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    """The HTTPS twin of `_GuardedHTTPConnection` (the certificate is checked as usual)."""

    def __init__(self, *args: Any, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(
            ssrf.create_connection, allow_private=allow_private
        )


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_GuardedHTTPConnection, allow_private=self.allow_private)
        return self.do_open(connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_GuardedHTTPSConnection, allow_private=self.allow_private)
        return self.do_open(connection, req)  # the default context: certificates verified


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """urllib without environment proxies and redirects, connecting through the SSRF guard."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirect(),
        _HTTPHandler(allow_private),
        _HTTPSHandler(allow_private),
    )


def _error_answer(exc: urllib.error.HTTPError) -> str:
    """`HTTP <code>: <start of the answer's body>`; the answer is closed."""
    try:
        snippet = exc.read(ERROR_BODY).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        snippet = ""
    finally:
        exc.close()
    return f"HTTP {exc.code}: {snippet}" if snippet else f"HTTP {exc.code}"


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Outcome:
    """POST `body` to `url` once; never raises for network or HTTP errors."""
    request = urllib.request.Request(
        url, data=body, headers={**headers, "User-Agent": USER_AGENT}, method="POST"
    )
    started = time.monotonic()

    def elapsed() -> float:
        return round((time.monotonic() - started) * 1000, 1)

    try:
        with _opener(allow_private).open(request, timeout=timeout) as response:
            code = int(response.status)
        return Outcome(code, None, elapsed())
    except urllib.error.HTTPError as exc:
        return Outcome(exc.code, _error_answer(exc), elapsed())
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = str(reason) if isinstance(reason, ssrf.RefusedAddress | str) else (
            f"{type(reason).__name__}: {reason}"
        )
        return Outcome(None, text, elapsed())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}", elapsed())


def _attempt(message: OutboxMessage, delivery: WebhookDelivery) -> int:
    """The number of this attempt (1 = the first): the runner's count, or the delivery's."""
    return max(int(message.attempts or 0), int(delivery.attempts or 0) + 1)


def _record_failure(
    delivery_id: int, endpoint_id: int, outcome: Outcome, final: bool, disable_after: int
) -> None:
    """Write the failed attempt and the endpoint's failure count in a transaction of its own."""
    from app.extensions import db

    now = utcnow()
    reached = WebhookEndpoint.failures + 1 >= disable_after
    with db.engine.begin() as conn:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(
                attempts=WebhookDelivery.attempts + 1,
                response_code=outcome.code,
                duration_ms=outcome.duration_ms,
                last_error=(outcome.error or "")[:2000],
                status=Status.FAILED.value if final else Status.PENDING.value,
            )
        )
        conn.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(
                failures=WebhookEndpoint.failures + 1,
                active=case((reached, False), else_=WebhookEndpoint.active),
                disabled_at=case(
                    (and_(reached, WebhookEndpoint.disabled_at.is_(None)), now),
                    else_=WebhookEndpoint.disabled_at,
                ),
            )
        )


def _succeeded(delivery: WebhookDelivery, outcome: Outcome) -> None:
    delivery.status = Status.DELIVERED.value
    delivery.attempts = int(delivery.attempts or 0) + 1
    delivery.response_code = outcome.code
    delivery.duration_ms = outcome.duration_ms
    delivery.last_error = None
    delivery.delivered_at = utcnow()
    delivery.endpoint.failures = 0


def _give_up(delivery: WebhookDelivery, error: str) -> None:
    """Mark the delivery failed without an attempt (committed with the job)."""
    delivery.status = Status.FAILED.value
    delivery.last_error = error


def _send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    """Check the URL, then POST the signed document: one attempt."""
    config = current_app.config
    allow_private = bool(config.get("TESSERA_WEBHOOK_ALLOW_PRIVATE", False))
    refusal = ssrf.check_url(endpoint.url, allow_private)
    if refusal is not None:
        return Outcome(None, refusal, None)
    body = encode(delivery.payload)
    headers = signing.headers(
        endpoint.secret, body, time.time(), delivery=delivery.key, event=delivery.event
    )
    return post(
        endpoint.url,
        body,
        headers,
        timeout=float(config.get("TESSERA_WEBHOOK_TIMEOUT", 10)),
        allow_private=allow_private,
    )


@handles(TOPIC, queue="default", retries=RETRIES, timeout=60)
def deliver(s: Session, message: OutboxMessage) -> None:
    """Deliver `message.payload["delivery_id"]` once; raise DeliveryFailed to be retried."""
    delivery_id = int((message.payload or {}).get("delivery_id", 0))
    delivery = s.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None or delivery.status != Status.PENDING.value:
        return
    endpoint = delivery.endpoint
    if not endpoint.active or endpoint.disabled_at is not None:
        _give_up(delivery, _("The endpoint %(name)s is disabled.", name=endpoint.name))
        return
    if not endpoint.secret:
        _give_up(delivery, _("The endpoint %(name)s has no secret.", name=endpoint.name))
        return
    outcome = _send(endpoint, delivery)
    if outcome.ok:
        _succeeded(delivery, outcome)
        return
    final = _attempt(message, delivery) > len(retries_of(TOPIC))
    disable_after = int(current_app.config.get("TESSERA_WEBHOOK_DISABLE_AFTER", 15))
    _record_failure(delivery.id, endpoint.id, outcome, final, disable_after)
    if not final:
        raise DeliveryFailed(
            f"webhook delivery {delivery.id} ({delivery.key}) to {endpoint.name}: "
            f"{outcome.error}"
        )
