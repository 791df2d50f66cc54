"""The password policy: on self-service and admin resets, admin user add, and create-admin."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.passwords import common_passwords, password_problems
from app.security import security_manager
from tests.app.security.conftest import Person, accepted, sign_in
from tests.conftest import login

TOO_SHORT = "Use at least 12 characters."
TOO_COMMON = "This password is too common"
GOOD = "amber-glacier-tuesday-19"
SHORT = "Xk9#mP2q"
COMMON = "Password1234"


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", [TOO_SHORT]),
        (SHORT, [TOO_SHORT]),
        ("qwerty", [TOO_SHORT, TOO_COMMON]),
        (COMMON, [TOO_COMMON]),
        ("P@ssw0rd2024!!", [TOO_COMMON]),
        ("123456789012", [TOO_COMMON]),
        ("  Summer!!2025 ", [TOO_COMMON]),
        ("qwertyuiopasdf", [TOO_COMMON]),
        (GOOD, []),
        ("correct horse battery staple", []),
    ],
)
def test_password_problems(password: str, expected: list[str]) -> None:
    problems = password_problems(password, 12)
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


def test_the_minimum_length_is_a_parameter() -> None:
    assert password_problems("Xk9#mP2qZ", 8) == []
    assert password_problems(GOOD, 30) == ["Use at least 30 characters."]


def test_the_shipped_list_is_read_lower_case() -> None:
    common = common_passwords()
    assert len(common) > 1000
    assert {"password", "qwerty", "123456", "iloveyou", "tessera"} <= common
    assert all(entry == entry.lower() for entry in common)


@pytest.fixture
def strict(extra_app: Callable[..., Flask]) -> Flask:
    """An app with the policy on at its default settings."""
    return extra_app(FAB_PASSWORD_COMPLEXITY_ENABLED=True)


def _page(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _reset_mine(client: FlaskClient, password: str) -> TestResponse:
    return client.post(
        "/resetmypassword/form", data={"password": password, "conf_password": password}
    )


def test_self_service_reset_refuses_weak_passwords(strict: Flask, person: Person) -> None:
    client = login(strict.test_client(), person.username, person.password)
    for weak, message in ((SHORT, TOO_SHORT), (COMMON, TOO_COMMON)):
        refused = _reset_mine(client, weak)
        assert refused.status_code == 200  # the form again, with the message
        assert message in _page(refused)
        assert not accepted(sign_in(strict.test_client(), person.username, weak))
    assert _reset_mine(client, GOOD).status_code == 302
    assert accepted(sign_in(strict.test_client(), person.username, GOOD))


def test_admin_reset_refuses_weak_passwords(strict: Flask, person: Person) -> None:
    admin = login(strict.test_client(), "admin")
    path = f"/resetpassword/form?pk={person.id}"
    for weak, message in ((SHORT, TOO_SHORT), (COMMON, TOO_COMMON)):
        refused = admin.post(path, data={"password": weak, "conf_password": weak})
        assert refused.status_code == 200
        assert message in _page(refused)
    assert admin.post(path, data={"password": GOOD, "conf_password": GOOD}).status_code == 302
    assert accepted(sign_in(strict.test_client(), person.username, GOOD))


def test_admin_user_add_refuses_weak_passwords(strict: Flask) -> None:
    admin = login(strict.test_client(), "admin")
    with strict.app_context():
        agent_role = security_manager().find_role("Agent").id

    def add(username: str, password: str) -> TestResponse:
        return admin.post(
            "/users/add",
            data={
                "first_name": "New",
                "last_name": "Person",
                "username": username,
                "active": "y",
                "email": f"{username}@example.com",
                "roles": str(agent_role),
                "password": password,
                "conf_password": password,
            },
        )

    name = f"new{uuid.uuid4().hex[:8]}"
    for weak, message in ((SHORT, TOO_SHORT), (COMMON, TOO_COMMON)):
        refused = add(name, weak)
        assert refused.status_code == 200
        assert message in _page(refused)
    with strict.app_context():
        assert security_manager().find_user(username=name) is None
    assert add(name, GOOD).status_code == 302
    assert accepted(sign_in(strict.test_client(), name, GOOD))


def _create_admin(app: Flask, password: str) -> tuple[str, Result]:
    name = f"ops{uuid.uuid4().hex[:6]}"
    args = ["tessera", "create-admin", "--username", name, "--email", f"{name}@example.com",
            "--password", password]
    return name, app.test_cli_runner().invoke(args=args)


def test_create_admin_refuses_weak_passwords(strict: Flask) -> None:
    for weak, message in ((SHORT, TOO_SHORT), (COMMON, TOO_COMMON)):
        name, result = _create_admin(strict, weak)
        assert result.exit_code != 0
        assert message in result.output
        with strict.app_context():
            assert security_manager().find_user(username=name) is None
    name, result = _create_admin(strict, GOOD)
    assert result.exit_code == 0, result.output
    assert accepted(sign_in(strict.test_client(), name, GOOD))


def test_min_length_is_configurable(extra_app: Callable[..., Flask]) -> None:
    longer = extra_app(FAB_PASSWORD_COMPLEXITY_ENABLED=True, TESSERA_PASSWORD_MIN_LENGTH=30)
    _, result = _create_admin(longer, GOOD)
    assert result.exit_code != 0
    assert "Use at least 30 characters." in result.output


def test_demo_users_keep_their_simple_passwords(strict: Flask) -> None:
    """The demo loader writes users through `add_user`, which no policy checks."""
    from app.demo import load_demo
    from app.extensions import db

    name = f"demo{uuid.uuid4().hex[:6]}"
    with strict.app_context():
        load_demo()
        sm = security_manager()
        assert sm.add_user(name, "D", "Emo", f"{name}@example.com", sm.find_role("Agent"),
                           password=name)
        db.session.remove()
    assert accepted(sign_in(strict.test_client(), "agent1", "agent1"))
    assert accepted(sign_in(strict.test_client(), name, name))
