"""Every registered route answers each role as the access matrix says."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Membership
from tests.app.access_matrix import MATRIX, PATH_ARGS, ROLES
from tests.conftest import ROLE_USERS, login

IGNORED_METHODS = {"HEAD", "OPTIONS"}
_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, rule) for every route except static files."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in rule.methods - IGNORED_METHODS:
            routes.add((method, rule.rule))
    return routes


def concrete_path(rule: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return PATH_ARGS[match.group(1)].format(**values)

    return _PARAM.sub(fill, rule)


def test_every_route_has_an_entry(app: Flask) -> None:
    routes = registered_routes(app)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without an access-matrix entry: {missing}"
    assert not stale, f"access-matrix entries for routes that no longer exist: {stale}"


@pytest.fixture
def session_cookies(app: Flask) -> dict[str, str | None]:
    """A signed-in session cookie per role (None for anonymous)."""
    cookies: dict[str, str | None] = {}
    for role in ROLES:
        username = ROLE_USERS[role]
        if username is None:
            cookies[role] = None
            continue
        client = login(app.test_client(), username)
        cookie = client.get_cookie("session")
        assert cookie is not None
        cookies[role] = cookie.value
    return cookies


def test_routes_answer_as_the_matrix_says(
    app: Flask, session_cookies: dict[str, str | None]
) -> None:
    with app.app_context():
        memberships = db.session.scalars(select(Membership)).all()
        agent5 = next(m.id for m in memberships if m.user.username == "agent5")
    values = {"agent5_membership": str(agent5)}
    mismatches = []
    for (method, rule), expected in sorted(MATRIX.items()):
        path = concrete_path(rule, values)
        for role, want in zip(ROLES, expected, strict=True):
            client = app.test_client()
            if session_cookies[role] is not None:
                client.set_cookie("session", session_cookies[role])
            got = client.open(path, method=method, buffered=True).status_code
            if got != want:
                mismatches.append(f"{method} {path} as {role}: expected {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)
