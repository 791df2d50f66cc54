"""A real HTTP receiver on a free local port, and endpoints that are cleaned up afterwards."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.webhooks import TOPIC
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import verify


@dataclass
class Received:
    """One request the receiver got, and whether its signature checked out."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """What the receiver answers (one status per request, the last one repeats) and got."""

    url: str
    secret: str = ""
    answers: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Record a request; the status to answer it with."""
        verified = verify(
            self.secret,
            headers.get("X-Tessera-Timestamp", ""),
            body,
            headers.get("X-Tessera-Signature", ""),
            time.time(),
        )
        with self.lock:
            self.requests.append(Received(path, headers, body, verified))
            index = min(len(self.requests), len(self.answers)) - 1
            return self.answers[index]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = receiver.take(self.path, dict(self.headers.items()), body)
        if receiver.delay:
            receiver.stop.wait(receiver.delay)
        try:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"answered")
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left is what some tests want


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver on 127.0.0.1 that verifies signatures with `receiver.secret`."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/tessera")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.receiver
    server.receiver.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def allow_private(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let deliveries reach the local receiver."""
    monkeypatch.setitem(app.config, "TESSERA_WEBHOOK_ALLOW_PRIVATE", True)


class Endpoints:
    """Endpoints a test makes (committed), and URLs whose workflow endpoints it makes."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.urls: set[str] = set()

    def make(self, url: str, events: tuple[str, ...] = ("ticket.created",), **columns: Any) -> Any:
        """A committed endpoint for `url`, subscribed to `events`."""
        values: dict[str, Any] = {
            "name": f"test-{uuid.uuid4().hex[:12]}",
            "secret": f"secret-{uuid.uuid4().hex}",
            "active": True,
            "failures": 0,
            **columns,
        }
        endpoint = WebhookEndpoint(url=url, events=list(events), **values)
        db.session.add(endpoint)
        db.session.commit()
        self.ids.append(endpoint.id)
        self.urls.add(url)
        return endpoint

    def clean(self) -> None:
        """Delete the endpoints, their deliveries and the deliveries' outbox messages."""
        s = db.session
        s.rollback()
        ids = set(self.ids) | set(
            s.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.url.in_(self.urls)))
        )
        deliveries = set(
            s.scalars(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id.in_(ids)))
        )
        for message in s.scalars(select(OutboxMessage).where(OutboxMessage.topic == TOPIC)):
            if (message.payload or {}).get("delivery_id") in deliveries:
                s.delete(message)
        s.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(deliveries)))
        s.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
        s.commit()


@pytest.fixture
def endpoints(app_ctx: Flask) -> Iterator[Endpoints]:
    """Make endpoints in the test; they and all their deliveries are deleted afterwards."""
    made = Endpoints()
    yield made
    made.clean()
