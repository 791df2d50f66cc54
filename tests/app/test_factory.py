"""The application factory and its configuration."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from config import ProductionConfig, TestConfig, load_or_create_secret_key


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_or_create_secret_key(tmp_path)
    second = load_or_create_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_dev_app_without_secret_key_uses_the_instance_key(
    tmp_path: Path, database_url: str, make_app: Callable[..., Flask]
) -> None:
    app = make_app(database_url, tmp_path, SECRET_KEY=None)
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_production_refuses_to_start_without_secret_key(tmp_path: Path, database_url: str) -> None:
    config = type(
        "NoKey",
        (ProductionConfig,),
        {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": database_url},
    )
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_refuses_to_start_without_database_url(tmp_path: Path) -> None:
    config = type(
        "NoDatabase",
        (ProductionConfig,),
        {"SECRET_KEY": "k" * 64, "SQLALCHEMY_DATABASE_URI": None},
    )
    with pytest.raises(RuntimeError, match="DATABASE_URL must be set"):
        create_app(config)


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_client_address_comes_from_trusted_proxies_only(
    tmp_path: Path, database_url: str, make_app: Callable[..., Flask], proxies: int, seen: str
) -> None:
    app = make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, TESSERA_PROXY_COUNT=proxies)
    addresses: list[str | None] = []

    @app.get("/_address")
    def _address() -> str:
        from flask import request

        addresses.append(request.remote_addr)
        return "ok"

    app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert addresses == [seen]


def test_factory_builds_independent_apps(
    tmp_path: Path, database_url: str, make_app: Callable[..., Flask]
) -> None:
    one = make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False)
    two = make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False)
    assert one.extensions["appbuilder"] is not two.extensions["appbuilder"]
    assert not TestConfig.WTF_CSRF_ENABLED or one.config["WTF_CSRF_ENABLED"]


@pytest.fixture
def csrf_app(
    _session_app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Flask:
    """A second app on the session database with CSRF protection switched on."""
    return make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, WTF_CSRF_ENABLED=True)


def test_api_login_works_with_csrf_on(csrf_app: Flask) -> None:
    response = csrf_app.test_client().post(
        "/api/v1/security/login",
        json={"username": "admin", "password": "admin", "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json is not None and response.json["access_token"]


def test_console_form_without_csrf_token_is_rejected(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    page = client.get("/login/")
    assert page.status_code == 200
    response = client.post("/login/", data={"username": "admin", "password": "admin"})
    # No token: Flask-WTF refuses the form, the user stays signed out.
    assert response.status_code == 400 or "/login" in response.headers.get("Location", "/login")
    assert client.get("/departments/list/").status_code == 302


def test_ops_post_without_csrf_token_is_rejected(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    html = client.get("/login/").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login/", data={"username": "admin", "password": "admin", "csrf_token": token}
    )
    assert signed_in.status_code == 302
    assert client.get("/ops/failed/").status_code == 200
    assert client.post("/ops/failed/requeue").status_code == 400
