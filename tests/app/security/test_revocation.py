"""Logout and password changes revoke sessions and JWTs (access and refresh), everywhere."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.auth.models import UserTokenVersion
from app.extensions import db
from tests.app.security.conftest import (
    Person,
    accepted,
    api_tokens,
    bearer,
    copy_session,
    csrf_token,
    log_out,
    recorded_statements,
    sign_in,
    signed_in,
)
from tests.conftest import login

NEW_PASSWORD = "quiet-meadow-compass-77"


def _api_answers(app: Flask, access: str) -> int:
    return app.test_client().get("/api/v1/menu/", headers=bearer(access)).status_code


def _refresh_answers(app: Flask, refresh: str) -> int:
    return app.test_client().post("/api/v1/security/refresh", headers=bearer(refresh)).status_code


def test_get_logout_shows_a_form_and_keeps_the_session(app: Flask, person: Person) -> None:
    client = login(app.test_client(), person.username, person.password)
    page = client.get("/logout/")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert signed_in(client)


def test_post_logout_without_the_csrf_token_is_refused(app: Flask, person: Person) -> None:
    client = login(app.test_client(), person.username, person.password)
    assert client.post("/logout/").status_code == 400
    assert client.post("/logout/", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(client)


def test_logout_ends_a_copied_session_cookie(app: Flask, person: Person) -> None:
    client = login(app.test_client(), person.username, person.password)
    other_device = copy_session(app, client)
    assert signed_in(other_device)
    assert log_out(client) == 302
    assert not signed_in(client)
    assert not signed_in(other_device)
    refused = other_device.get("/users/userinfo/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    # Signing in again works, and the fresh session is good.
    assert signed_in(login(app.test_client(), person.username, person.password))


def test_logout_also_ends_the_users_jwts(app: Flask, person: Person) -> None:
    tokens = api_tokens(app.test_client(), person.username, person.password)
    assert _api_answers(app, tokens["access"]) == 200
    log_out(login(app.test_client(), person.username, person.password))
    assert _api_answers(app, tokens["access"]) == 401
    assert _refresh_answers(app, tokens["refresh"]) == 401


def test_own_password_change_ends_other_sessions_and_tokens(app: Flask, person: Person) -> None:
    client = login(app.test_client(), person.username, person.password)
    other_device = copy_session(app, client)
    tokens = api_tokens(app.test_client(), person.username, person.password)
    assert _refresh_answers(app, tokens["refresh"]) == 200

    changed = client.post(
        "/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert signed_in(client)  # the browser that changed it stays signed in
    assert not signed_in(other_device)
    assert _api_answers(app, tokens["access"]) == 401
    assert _refresh_answers(app, tokens["refresh"]) == 401

    assert not accepted(sign_in(app.test_client(), person.username, person.password))
    fresh = api_tokens(app.test_client(), person.username, NEW_PASSWORD)
    assert _api_answers(app, fresh["access"]) == 200
    assert _refresh_answers(app, fresh["refresh"]) == 200
    assert signed_in(login(app.test_client(), person.username, NEW_PASSWORD))


def test_admin_password_reset_ends_the_users_sessions_and_tokens(
    app: Flask, person: Person
) -> None:
    client = login(app.test_client(), person.username, person.password)
    tokens = api_tokens(app.test_client(), person.username, person.password)
    admin = login(app.test_client(), "admin")
    reset = admin.post(
        f"/resetpassword/form?pk={person.id}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert reset.status_code == 302
    assert not signed_in(client)
    assert _api_answers(app, tokens["access"]) == 401
    assert _refresh_answers(app, tokens["refresh"]) == 401
    assert signed_in(admin)  # the admin's own session is not touched
    assert signed_in(login(app.test_client(), person.username, NEW_PASSWORD))


def test_version_rows_count_revocations(app: Flask, person: Person) -> None:
    for _ in range(2):
        client = login(app.test_client(), person.username, person.password)
        token = csrf_token(client)
        assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        row = db.session.get(UserTokenVersion, person.id)
        assert row is not None and row.version == 2
        db.session.remove()


def _statements(app: Flask, run: Callable[[], object]) -> list[str]:
    with recorded_statements(app) as seen:
        run()
    return seen


def test_the_version_check_is_the_one_user_query(app: Flask, person: Person) -> None:
    """Session and JWT requests load user and version in a single query, as FAB did the user."""
    client = login(app.test_client(), person.username, person.password)
    access = api_tokens(app.test_client(), person.username, person.password)["access"]
    for run in (
        lambda: client.get("/api/v1/menu/"),
        lambda: app.test_client().get("/api/v1/menu/", headers=bearer(access)),
        lambda: app.test_client().get("/api/v1/tickets/", headers=bearer(access)),
    ):
        statements = _statements(app, run)
        user_queries = [s for s in statements if "FROM ab_user" in s and "ab_user.id =" in s]
        versions = [s for s in statements if "user_token_version" in s]
        assert len(versions) == 1, statements
        assert user_queries == versions, statements
