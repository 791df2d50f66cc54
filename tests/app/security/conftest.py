"""Fixtures for the sign-in security tests: dedicated users, extra apps, CSRF tokens."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from app.extensions import db
from app.security import security_manager

STRONG = "violet-harbour-lantern-42"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass(frozen=True)
class Person:
    """A user made for one test, so changing its password or sessions touches nobody else."""

    id: int
    username: str
    password: str


@pytest.fixture
def make_person(app: Flask) -> Callable[..., Person]:
    """`make_person(role="Agent")` → a new active user with a strong password."""

    def make(role: str = "Agent", password: str = STRONG) -> Person:
        name = f"sec{uuid.uuid4().hex[:8]}"
        with app.app_context():
            sm = security_manager()
            user = sm.add_user(
                name, "Sec", "Person", f"{name}@example.com", sm.find_role(role), password=password
            )
            assert user, f"could not create {name}"
            return Person(user.id, name, password)

    return make


@pytest.fixture
def person(make_person: Callable[..., Person]) -> Person:
    return make_person()


@pytest.fixture
def extra_app(
    app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Callable[..., Flask]:
    """`extra_app(**config)` → another app on the session's migrated database."""

    def make(**overrides: object) -> Flask:
        return make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, **overrides)

    return make


def sign_in(client: FlaskClient, username: str, password: str, **environ: str) -> TestResponse:
    """POST the login form (from `REMOTE_ADDR=...` when given); the raw response."""
    return client.post(
        "/login/", data={"username": username, "password": password}, environ_base=environ
    )


def accepted(response: TestResponse) -> bool:
    """True when a login form POST signed the user in (FAB redirects away from /login/)."""
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def signed_in(client: FlaskClient) -> bool:
    """True when the client's session reaches a page only signed-in users see."""
    return client.get("/users/userinfo/").status_code == 200


def csrf_token(client: FlaskClient, path: str = "/logout/") -> str:
    """The CSRF token of the form on `path` (by default the logout confirmation)."""
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


def log_out(client: FlaskClient) -> int:
    """Sign out the way the navbar does: POST /logout/ with the page's CSRF token."""
    return client.post("/logout/", data={"csrf_token": csrf_token(client)}).status_code


def copy_session(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client holding a copy of `client`'s session cookie (another device)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    twin = app.test_client()
    twin.set_cookie("session", cookie.value)
    return twin


def api_tokens(client: FlaskClient, username: str, password: str) -> dict[str, str]:
    """An access and a refresh token from POST /api/v1/security/login."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json is not None
    return {"access": response.json["access_token"], "refresh": response.json["refresh_token"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile, whitespace collapsed, in order."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
