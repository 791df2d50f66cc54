"""Shared fixtures: apps on real PostgreSQL and SQLite, real Redis, clients per role.

- One PostgreSQL database is created fresh per test session on the local server and dropped
  afterwards; one SQLite file per session. Both are built by running the Alembic migrations.
- Redis is the local server, on a dedicated database number, flushed before every test.
  Run in parallel (`pytest -n N`, pytest-xdist), each worker takes the next database number
  after the configured one, so workers never flush each other's data.
- The integration fixtures (`app`, `client`, ...) are parametrized over both backends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis


def _worker_redis_url() -> None:
    """Give an xdist worker (`gw0`, `gw1`, ...) a Redis database of its own, before config loads."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or os.environ.get("TESSERA_TEST_REDIS_WORKER") == worker:
        return
    base = os.environ.get("TESSERA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    head, _, number = base.rpartition("/")
    database = (int(number) + 1 + int(worker[2:])) % 16 if number.isdigit() else 0
    os.environ["TESSERA_TEST_REDIS_URL"] = f"{head}/{database}"
    os.environ["TESSERA_TEST_REDIS_WORKER"] = worker


_worker_redis_url()

from config import TestConfig  # noqa: E402

PG_ADMIN_URL = os.environ.get("TESSERA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["postgresql", "sqlite"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.backend("postgresql")`: that backend only (deselected, not skipped)."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("backend") if callspec else None
        if marker and param is not None and param != marker.args[0]:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this session; dropped at the end."""
    name = f"tessera_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this session."""
    return str(tmp_path_factory.mktemp("sqlite") / "tessera.db")


def make_config(database_url: str, instance: Path, **overrides: object) -> type[TestConfig]:
    """A TestConfig subclass bound to one database and instance folder."""
    attrs = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    config = type("BoundTestConfig", (TestConfig,), attrs)
    os.environ["TESSERA_INSTANCE_PATH"] = str(instance)
    return config


def build_app(database_url: str, instance: Path, **overrides: object) -> Flask:
    """Create an app, run the migrations, and sync roles and permissions like a release."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(make_config(database_url, instance, FAB_UPDATE_PERMS=False, **overrides))
    with app.app_context():
        upgrade()
        dispose_engine()
    # A second app on the migrated schema syncs roles and permissions, as the release step does.
    app = create_app(make_config(database_url, instance, FAB_UPDATE_PERMS=True, **overrides))
    with app.app_context():
        app.appbuilder.add_permissions(update_perms=True)
        from app.demo import load_demo
        from app.extensions import db

        load_demo()
        db.session.remove()
    return app


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """`make_app(database_url, instance, **config)`: extra apps, their pools closed after."""
    from app import create_app

    created: list[Flask] = []

    def make(database_url: str, instance: Path, **overrides: object) -> Flask:
        app = create_app(make_config(database_url, instance, **overrides))
        created.append(app)
        return app

    yield make
    for app in created:
        with app.app_context():
            dispose_engine()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        return _sqlalchemy_url(request.getfixturevalue("pg_database"))
    return "sqlite:///" + request.getfixturevalue("sqlite_database")


def dispose_engine() -> None:
    """Close the pooled connections of the current app's engine."""
    from app.extensions import db

    db.session.remove()
    db.engine.dispose()


@pytest.fixture(scope="session")
def _session_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = build_app(database_url, tmp_path_factory.mktemp("instance"))
    yield app
    with app.app_context():
        dispose_engine()
    redis = app.extensions.get("tessera_redis")
    if redis is not None:
        redis.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return TestConfig.REDIS_URL


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[Redis]:
    """The test Redis database, flushed before each test."""
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.close()


@pytest.fixture
def app(_session_app: Flask, redis_conn: Redis) -> Flask:
    """The migrated, demo-loaded app of the current backend, with a clean Redis.

    No app context is pushed here: requests must each get their own (a shared one would
    carry `g.user` from one request to the next). Use `app_ctx` to touch the database.
    """
    _session_app.extensions.pop("tessera_redis_health", None)
    return _session_app


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context for direct database work in a test."""
    from app.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def login(client: FlaskClient, username: str, password: str | None = None) -> FlaskClient:
    """Sign `client` in through FAB's login form; fails the test if it does not work."""
    response = client.post(
        "/login/", data={"username": username, "password": password or username}
    )
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    assert "/login" not in response.headers["Location"], f"login of {username} rejected"
    return client


ROLE_USERS: dict[str, str | None] = {
    "anonymous": None,
    "agent": "agent3",
    "head": "head1",
    "admin": "admin",
}


@pytest.fixture
def client_as(app: Flask):  # type: ignore[no-untyped-def]
    """`client_as("agent")` → a fresh client signed in as that role's demo user."""

    def make(role: str) -> FlaskClient:
        fresh = app.test_client()
        username = ROLE_USERS[role]
        return fresh if username is None else login(fresh, username)

    return make
