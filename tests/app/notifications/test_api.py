"""The bell over the API: one's own notifications, newest first, and marking one read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from app.extensions import db
from app.notifications import notify
from app.tickets.models import Ticket
from tests.app.api.test_definitions_api import bearer
from tests.app.notifications.conftest import Scene, form_login, is_read, plain_rows

API = "/api/v1/notifications/"


@pytest.fixture
def api(app: Flask) -> Callable[..., Any]:
    """`api(method, path, username, **kwargs)` → response, with the user's JWT."""
    tokens: dict[str, dict[str, str]] = {}
    client: FlaskClient = app.test_client()

    def call(method: str, path: str, user: str, **kwargs: Any) -> Any:
        if user not in tokens:
            tokens[user] = bearer(app, user)
        return client.open(path, method=method, headers=tokens[user], **kwargs)

    return call


def test_the_list_is_the_callers_own_newest_first(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    with app.app_context():
        ticket = db.session.get(Ticket, scene.ticket_id)
        assert ticket is not None
        notify(db.session, key=f"t{scene.ticket_id}:api", ticket=ticket,
               event="sla.breached", to=["assignee", "department_head"])
        db.session.commit()
        number = ticket.number
    [plain] = plain_rows(app, scene.assignee, 1)
    answer = api("GET", API, scene.usernames[scene.assignee])
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["unread"] == 2 and body["next_before"] is None
    newest, oldest = body["result"]
    assert newest["id"] == plain and newest["ticket"] is None
    assert oldest["event"] == "sla.breached" and oldest["read_at"] is None
    assert oldest["subject"].startswith(f"[{number}] SLA breached: Printer jams")
    assert oldest["ticket"] == {
        "id": scene.ticket_id, "number": number, "subject": "Printer jams 打印机卡纸",
        "url": f"/api/v1/tickets/{scene.ticket_id}",
    }
    assert "/tickets/" in oldest["body"] and oldest["created_at"].endswith("+00:00")
    head = api("GET", API, scene.usernames[scene.head]).json["result"]
    assert [n["event"] for n in head] == ["sla.breached"]


def test_mark_read_then_unread_only(app: Flask, api: Callable[..., Any], scene: Scene) -> None:
    first, second = plain_rows(app, scene.agent, 2)
    user = scene.usernames[scene.agent]
    answer = api("POST", f"{API}{first}/read", user)
    assert answer.status_code == 200, answer.json
    assert answer.json["result"]["id"] == first and answer.json["result"]["read_at"]
    again = api("POST", f"{API}{first}/read", user)
    assert again.json["result"]["read_at"] == answer.json["result"]["read_at"]
    unread = api("GET", f"{API}?unread=1", user).json
    assert [n["id"] for n in unread["result"]] == [second] and unread["unread"] == 1
    assert [n["id"] for n in api("GET", f"{API}?unread=0", user).json["result"]] == [
        second, first,
    ]


def test_another_users_notification_is_not_found(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    [theirs] = plain_rows(app, scene.head, 1)
    answer = api("POST", f"{API}{theirs}/read", scene.usernames[scene.agent])
    assert answer.status_code == 404 and answer.json["message"]
    assert is_read(app, theirs) == [False]


def test_pages_and_bad_parameters(app: Flask, api: Callable[..., Any], scene: Scene) -> None:
    ids = plain_rows(app, scene.outsider, 52)
    user = scene.usernames[scene.outsider]
    first = api("GET", API, user).json
    assert [n["id"] for n in first["result"]] == ids[::-1][:50]
    rest = api("GET", f"{API}?before={first['next_before']}", user).json
    assert [n["id"] for n in rest["result"]] == ids[::-1][50:] and rest["next_before"] is None
    for query in ("unread=yes", "before=-1", "before=x", "before=99999999999"):
        bad = api("GET", f"{API}?{query}", user)
        assert bad.status_code == 400 and bad.json["message"], query


def test_anonymous_callers_are_refused(client: FlaskClient) -> None:
    assert client.get(API).status_code == 401
    assert client.post(f"{API}1/read").status_code == 401


@pytest.fixture
def csrf_app(
    _session_app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Flask:
    app = make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, WTF_CSRF_ENABLED=True)

    @app.get("/_csrf")
    def _csrf() -> str:
        return generate_csrf()

    return app


def test_a_cookie_signed_mark_needs_the_csrf_header(csrf_app: Flask, scene: Scene) -> None:
    [row] = plain_rows(csrf_app, scene.agent, 1)
    browser = form_login(csrf_app, scene.usernames[scene.agent])
    assert browser.post(f"{API}{row}/read").status_code == 403
    assert is_read(csrf_app, row) == [False]
    token = browser.get("/_csrf").get_data(as_text=True)
    answer = browser.post(f"{API}{row}/read", headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    assert is_read(csrf_app, row) == [True]
