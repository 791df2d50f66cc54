"""Cross-site request forgery through the API: cookie-signed writes need the CSRF token.

A page on another origin can make a signed-in browser submit a form (urlencoded, multipart or
text/plain) with a JSON-looking body and the session cookie. Every such write is refused and
writes nothing; the same write with the page's token in X-CSRFToken and a JSON body works, and
a client with a bearer token (from /api/v1/security/login) needs no token at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from app.definitions import store
from app.extensions import db
from app.models import Definition
from app.tickets.models import Comment, Ticket
from tests.app.api.test_tickets_api import template_body

ENCTYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


@pytest.fixture
def csrf_app(
    _session_app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Flask:
    """A second app on the session database with CSRF protection on, as in production."""
    app = make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, WTF_CSRF_ENABLED=True)

    @app.get("/_csrf")
    def _csrf() -> str:  # what a console page puts in its forms and scripts
        return generate_csrf()

    return app


def signed_in(app: Flask, username: str) -> FlaskClient:
    """A browser signed in through the console's login form (with its CSRF token)."""
    client = app.test_client()
    html = client.get("/login/").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login/", data={"username": username, "password": username, "csrf_token": token}
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client


@dataclass(frozen=True)
class World:
    """What the forged requests aim at."""

    template: str
    ticket: int
    lock_version: int
    draft: int
    published: int


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def rows(app: Flask) -> dict[str, Any]:
    """Everything a forged request could have written."""
    with app.app_context():
        found = {
            "tickets": _count(Ticket),
            "comments": _count(Comment),
            "definitions": _count(Definition),
            "statuses": sorted((d.id, d.status) for d in db.session.scalars(select(Definition))),
            "subjects": sorted(db.session.scalars(select(Ticket.subject))),
        }
        db.session.remove()
    return found


@pytest.fixture
def world(csrf_app: Flask) -> World:
    """A template routed to Billing (agent3's department), one ticket, a draft and a field."""
    tag = uuid.uuid4().hex[:10]
    body = template_body(f"csrf_{tag}")
    body["settings"]["default_department"] = "billing"
    client = csrf_app.test_client()
    with csrf_app.app_context():
        template = store.publish(store.save_draft("template", body["key"], body, None).id, None)
        draft = store.save_draft("field", f"draft_{tag}", _field(f"draft_{tag}"), None)
        published = store.publish(
            store.save_draft("field", f"live_{tag}", _field(f"live_{tag}"), None).id, None
        )
        ids = template.key, draft.id, published.id
        db.session.remove()
    token = client.post(
        "/api/v1/security/login",
        json={"username": "agent3", "password": "agent3", "provider": "db"},
    ).json["access_token"]
    created = client.post(
        "/api/v1/tickets/",
        json={"template": ids[0], "data": {"summary": "Forgery target", "qty": 1}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    return World(ids[0], created.json["id"], created.json["lock_version"], ids[1], ids[2])


def _field(key: str) -> dict[str, Any]:
    return {"key": key, "title": "Forgery target", "schema": {"type": "string"}}


def attacks(world: World) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(user, method, path, JSON the attacker wants the API to read)."""
    ticket = f"/api/v1/tickets/{world.ticket}"
    files = {f"field/{key}.json": _field(key) for key in ["forged_" + uuid.uuid4().hex[:8]]}
    return [
        ("agent3", "POST", "/api/v1/tickets/",
         {"template": world.template, "data": {"summary": "Forged", "qty": 1}}),
        ("agent3", "POST", f"{ticket}/comments", {"body": "Forged comment"}),
        ("agent3", "PATCH", ticket, {"lock_version": world.lock_version, "subject": "Forged"}),
        ("admin", "POST", "/api/v1/definitions/",
         {"kind": "field", "key": "forged_field", "body": _field("forged_field")}),
        ("admin", "POST", "/api/v1/definitions/import", {"files": files, "publish": True}),
        ("admin", "POST", f"/api/v1/definitions/{world.draft}/publish", None),
        ("admin", "POST", f"/api/v1/definitions/{world.published}/retire", None),
    ]


def forged_body(enctype: str, payload: dict[str, Any] | None) -> tuple[bytes, str]:
    """The body and Content-Type a cross-origin HTML form of `enctype` can send."""
    text = json.dumps(payload or {})
    if enctype == "multipart/form-data":
        boundary = "----forged"
        part = f'--{boundary}\r\nContent-Disposition: form-data; name="{text}"\r\n\r\nx\r\n'
        return f"{part}--{boundary}--\r\n".encode(), f"{enctype}; boundary={boundary}"
    if enctype == "text/plain":
        # <input name='{"body": "x", "pad": "' value='"}'> submits `name=value`: valid JSON.
        return (text[:-1] + ', "pad": "="}').encode(), enctype
    return text.encode(), enctype


@pytest.mark.parametrize("enctype", ENCTYPES)
def test_forged_form_posts_are_refused_and_write_nothing(
    csrf_app: Flask, world: World, enctype: str
) -> None:
    clients = {user: signed_in(csrf_app, user) for user in ("agent3", "admin")}
    before = rows(csrf_app)
    for user, method, path, payload in attacks(world):
        body, content_type = forged_body(enctype, payload)
        response = clients[user].open(path, method=method, data=body, content_type=content_type)
        assert response.status_code == 403, (user, method, path, response.json)
        assert response.is_json and "CSRF" in response.json["message"]
    assert rows(csrf_app) == before


def test_the_same_writes_with_the_token_and_json_work(csrf_app: Flask, world: World) -> None:
    clients = {user: signed_in(csrf_app, user) for user in ("agent3", "admin")}
    tokens = {user: client.get("/_csrf").get_data(as_text=True) for user, client in clients.items()}
    before = rows(csrf_app)
    for user, method, path, payload in attacks(world):
        response = clients[user].open(
            path, method=method, json=payload, headers={"X-CSRFToken": tokens[user]}
        )
        assert response.status_code in (200, 201), (user, method, path, response.json)
    after = rows(csrf_app)
    assert after["tickets"] == before["tickets"] + 1
    assert after["comments"] == before["comments"] + 1
    assert "Forged" in after["subjects"]
    assert (world.published, "retired") in after["statuses"]


def test_a_token_does_not_make_a_form_body_json(csrf_app: Flask, world: World) -> None:
    client = signed_in(csrf_app, "agent3")
    token = client.get("/_csrf").get_data(as_text=True)
    before = rows(csrf_app)
    body, content_type = forged_body("text/plain", {"body": "Not JSON"})
    response = client.post(
        f"/api/v1/tickets/{world.ticket}/comments",
        data=body, content_type=content_type, headers={"X-CSRFToken": token},
    )
    assert response.status_code == 415 and response.is_json
    assert rows(csrf_app) == before


def test_a_wrong_token_is_refused(csrf_app: Flask, world: World) -> None:
    client = signed_in(csrf_app, "agent3")
    response = client.post(
        f"/api/v1/tickets/{world.ticket}/comments",
        json={"body": "Forged"}, headers={"X-CSRFToken": "not-the-token"},
    )
    assert response.status_code == 403 and response.is_json


def test_bearer_clients_need_no_token(csrf_app: Flask, world: World) -> None:
    client = csrf_app.test_client()
    bearers = {}
    for user in ("agent3", "admin"):
        login = client.post(
            "/api/v1/security/login",
            json={"username": user, "password": user, "provider": "db"},
        )
        assert login.status_code == 200, login.json
        bearers[user] = {"Authorization": f"Bearer {login.json['access_token']}"}
    for user, method, path, payload in attacks(world):
        response = client.open(path, method=method, json=payload, headers=bearers[user])
        assert response.status_code in (200, 201), (user, method, path, response.json)


def test_a_bad_bearer_token_is_refused_even_beside_a_session(
    csrf_app: Flask, world: World
) -> None:
    client = signed_in(csrf_app, "agent3")
    response = client.post(
        f"/api/v1/tickets/{world.ticket}/comments",
        json={"body": "x"}, headers={"Authorization": "Bearer not.a.token"},
    )
    assert response.status_code == 401 and response.is_json
    assert isinstance(response.json["message"], str)


def test_reads_with_the_session_need_no_token(csrf_app: Flask, world: World) -> None:
    client = signed_in(csrf_app, "agent3")
    assert client.get(f"/api/v1/tickets/{world.ticket}").status_code == 200


def test_the_session_cookie_is_samesite_lax(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    html = client.get("/login/").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login/", data={"username": "agent3", "password": "agent3", "csrf_token": token}
    )
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies and all("SameSite=Lax" in c for c in cookies), cookies
