"""Failed logins are throttled per address and per username, through the form and the API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from werkzeug.test import TestResponse

from tests.app.security.conftest import Person, accepted, sign_in

ROOT = Path(__file__).resolve().parents[3]
PER_ADDRESS = 10  # config.Config defaults: "10 per minute" and "5 per minute"
PER_USERNAME = 5
MESSAGE = "Too many failed sign-in attempts"


def api_login(client: FlaskClient, username: str, password: str, address: str) -> TestResponse:
    return client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db"},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def throttled(extra_app: Callable[..., Flask]) -> Flask:
    """An app with throttling on, counting in memory, at the default limits."""
    return extra_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")


def test_the_default_config_throttles_logins() -> None:
    code = (
        "import config; c = config.Config; "
        "print(c.RATELIMIT_ENABLED, c.RATELIMIT_STORAGE_URI, c.TESSERA_LOGIN_LIMIT_PER_ADDRESS, "
        "c.TESSERA_LOGIN_LIMIT_PER_USERNAME, c.FAB_PASSWORD_COMPLEXITY_ENABLED)"
    )
    names = ("RATELIMIT_", "TESSERA_LOGIN_", "TESSERA_PASSWORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(names)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "True memory:// 10 per minute 5 per minute True"


def test_form_throttles_an_address_that_keeps_failing(throttled: Flask, person: Person) -> None:
    client = throttled.test_client()
    for i in range(PER_ADDRESS):  # different usernames: only the address counter fills up
        assert sign_in(client, f"ghost{i}", "wrong", REMOTE_ADDR="10.1.0.1").status_code == 302
    refused = sign_in(client, person.username, person.password, REMOTE_ADDR="10.1.0.1")
    assert refused.status_code == 429
    assert MESSAGE in refused.get_data(as_text=True)  # flashed on the login page
    assert int(refused.headers["Retry-After"]) >= 1
    # The same user from another address is not held up.
    assert accepted(sign_in(throttled.test_client(), person.username, person.password,
                            REMOTE_ADDR="10.1.0.2"))


def test_form_throttles_a_username_guessed_from_many_addresses(
    throttled: Flask, person: Person, make_person: Callable[..., Person]
) -> None:
    for i in range(PER_USERNAME):
        sign_in(throttled.test_client(), person.username, "wrong", REMOTE_ADDR=f"10.2.0.{i}")
    fresh_address = "10.2.1.1"
    refused = sign_in(throttled.test_client(), person.username, person.password,
                      REMOTE_ADDR=fresh_address)
    assert refused.status_code == 429
    assert MESSAGE in refused.get_data(as_text=True)
    # Someone else signs in from that same address.
    other = make_person()
    assert accepted(sign_in(throttled.test_client(), other.username, other.password,
                            REMOTE_ADDR=fresh_address))


def test_successful_logins_do_not_count(throttled: Flask, person: Person) -> None:
    for _ in range(PER_ADDRESS + 2):
        assert accepted(sign_in(throttled.test_client(), person.username, person.password,
                                REMOTE_ADDR="10.3.0.1"))


def test_api_throttles_per_address_with_a_json_message(throttled: Flask, person: Person) -> None:
    client = throttled.test_client()
    for i in range(PER_ADDRESS):
        assert api_login(client, f"ghost{i}", "wrong", "10.4.0.1").status_code == 401
    refused = api_login(client, person.username, person.password, "10.4.0.1")
    assert refused.status_code == 429
    assert refused.json is not None and MESSAGE in refused.json["message"]
    assert api_login(client, person.username, person.password, "10.4.0.2").status_code == 200


def test_api_throttles_per_username(throttled: Flask, person: Person) -> None:
    client = throttled.test_client()
    for i in range(PER_USERNAME):
        assert api_login(client, person.username, "wrong", f"10.5.0.{i}").status_code == 401
    refused = api_login(client, person.username, person.password, "10.5.1.1")
    assert refused.status_code == 429
    assert refused.json is not None and MESSAGE in refused.json["message"]


def test_form_and_api_share_the_username_count(throttled: Flask, person: Person) -> None:
    client = throttled.test_client()
    for i in range(PER_USERNAME - 1):
        api_login(client, person.username, "wrong", f"10.6.0.{i}")
    sign_in(client, person.username.upper(), "wrong", REMOTE_ADDR="10.6.0.9")
    assert api_login(client, person.username, person.password, "10.6.1.1").status_code == 429


def test_ratelimit_enabled_false_switches_it_off(
    extra_app: Callable[..., Flask], person: Person
) -> None:
    relaxed = extra_app(RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI="memory://")
    client = relaxed.test_client()
    for _ in range(PER_ADDRESS + 2):
        assert sign_in(client, person.username, "wrong", REMOTE_ADDR="10.7.0.1").status_code == 302
        assert api_login(client, person.username, "wrong", "10.7.0.1").status_code == 401
    assert accepted(sign_in(client, person.username, person.password, REMOTE_ADDR="10.7.0.1"))


def test_two_processes_share_the_count_in_redis(
    extra_app: Callable[..., Flask], redis_url: str, redis_conn: Redis, person: Person
) -> None:
    one, two = (
        extra_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url) for _ in range(2)
    )
    for i in range(PER_USERNAME):
        web = one if i % 2 else two
        sign_in(web.test_client(), person.username, "wrong", REMOTE_ADDR=f"10.8.0.{i}")
    for web in (one, two):
        refused = api_login(web.test_client(), person.username, person.password, "10.8.1.1")
        assert refused.status_code == 429
    assert any(b"tessera-login" in key for key in redis_conn.keys("*"))
