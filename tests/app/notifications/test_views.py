"""The bell's pages: the navbar count, the list, marking read, other users' rows, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.notifications import notify
from app.tickets.models import Ticket
from tests.app.notifications.conftest import Scene, form_login, is_read, plain_rows
from tests.conftest import login


def signed_in(app: Flask, scene: Scene, user_id: int) -> FlaskClient:
    name = scene.usernames[user_id]
    return login(app.test_client(), name, name)


def bell_rows(app: Flask, scene: Scene, key: str, to: list[str]) -> None:
    with app.app_context():
        ticket = db.session.get(Ticket, scene.ticket_id)
        assert ticket is not None
        notify(db.session, key=key, ticket=ticket, event="ticket.created", to=to)
        db.session.commit()


def badge(html: str) -> str | None:
    found = re.search(r'id="bell-count">([^<]+)<', html)
    return found.group(1) if found else None


def test_the_navbar_shows_the_unread_count_to_signed_in_users(
    app: Flask, scene: Scene, client: FlaskClient
) -> None:
    agent = signed_in(app, scene, scene.agent)
    page = agent.get("/notifications/").get_data(as_text=True)
    assert 'id="navbar-bell"' in page and badge(page) is None  # nothing yet
    bell_rows(app, scene, f"t{scene.ticket_id}:nav", ["department"])
    assert badge(agent.get("/tickets/").get_data(as_text=True)) == "1"
    plain_rows(app, scene.agent, 120)
    assert badge(agent.get("/team/").get_data(as_text=True)) == "99+"
    # Anonymous visitors get no bell.
    assert 'id="navbar-bell"' not in client.get("/login/").get_data(as_text=True)


def test_the_list_is_the_users_own_newest_first_with_links_to_tickets(
    app: Flask, scene: Scene
) -> None:
    bell_rows(app, scene, f"t{scene.ticket_id}:list", ["assignee", "department_head"])
    [older, newer] = plain_rows(app, scene.assignee, 2)
    assert is_read(app, older) == [False]
    head_html = signed_in(app, scene, scene.head).get("/notifications/").get_data(as_text=True)
    assert f"notification-{older}" not in head_html  # not the head's
    response = signed_in(app, scene, scene.assignee).get("/notifications/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'id="notification-(\d+)"', html)]
    assert ids == sorted(ids, reverse=True) and ids[:2] == [newer, older] and len(ids) == 3
    linked = re.search(rf'id="notification-{ids[2]}".*?</li>', html, re.S)
    assert linked and f'href="/tickets/{scene.ticket_id}"' in linked.group(0)
    assert "New ticket: Printer jams" in linked.group(0)
    assert html.count("notification unread") == 3


def test_marking_one_and_all_read(app: Flask, scene: Scene) -> None:
    first, second, third = plain_rows(app, scene.agent, 3)
    agent = signed_in(app, scene, scene.agent)
    answer = agent.post(f"/notifications/{second}/read")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/notifications/")
    assert is_read(app, first, second, third) == [False, True, False]
    assert badge(agent.get("/notifications/").get_data(as_text=True)) == "2"
    unread = agent.get("/notifications/?unread=1").get_data(as_text=True)
    assert f'id="notification-{second}"' not in unread and f'id="notification-{first}"' in unread
    assert agent.post("/notifications/read").status_code == 302
    assert is_read(app, first, second, third) == [True, True, True]
    assert badge(agent.get("/notifications/").get_data(as_text=True)) is None


def test_another_users_row_is_not_found_and_stays_unread(app: Flask, scene: Scene) -> None:
    [theirs] = plain_rows(app, scene.head, 1)
    mine = plain_rows(app, scene.agent, 1)
    agent = signed_in(app, scene, scene.agent)
    assert agent.post(f"/notifications/{theirs}/read").status_code == 404
    assert agent.post("/notifications/read").status_code == 302  # marks only the agent's
    assert is_read(app, theirs, *mine) == [False, True]


def test_pages_of_fifty(app: Flask, scene: Scene) -> None:
    ids = plain_rows(app, scene.outsider, 55)
    client = signed_in(app, scene, scene.outsider)
    html = client.get("/notifications/").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'id="notification-(\d+)"', html)]
    assert shown == ids[::-1][:50]
    older = re.search(r'href="([^"]+)" class="btn btn-default" id="older"', html)
    assert older is not None
    rest = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'id="notification-(\d+)"', rest)] == ids[::-1][50:]
    assert 'id="older"' not in rest
    assert client.get("/notifications/?before=abc").status_code == 400


@pytest.fixture
def csrf_app(
    _session_app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Flask:
    """A second app on the session database with CSRF protection on, as in production."""
    return make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, WTF_CSRF_ENABLED=True)


def test_marking_read_needs_the_csrf_token(csrf_app: Flask, scene: Scene) -> None:
    [row] = plain_rows(csrf_app, scene.agent, 1)
    agent = form_login(csrf_app, scene.usernames[scene.agent])
    assert agent.post(f"/notifications/{row}/read").status_code == 400
    assert agent.post("/notifications/read").status_code == 400
    assert is_read(csrf_app, row) == [False]
    html = agent.get("/notifications/").get_data(as_text=True)
    form = re.search(rf'action="/notifications/{row}/read".*?</form>', html, re.S)
    assert form is not None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.group(0))
    assert token is not None
    answer = agent.post(f"/notifications/{row}/read", data={"csrf_token": token.group(1)})
    assert answer.status_code == 302
    assert is_read(csrf_app, row) == [True]
