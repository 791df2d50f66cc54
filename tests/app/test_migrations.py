"""Migrations build the whole schema, and models and migrations agree."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import app.models  # noqa: F401  (registers Tessera's tables on FAB's metadata)
from app.extensions import db
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_pg() -> Iterator[str]:
    name = f"tessera_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("empty_pg"))
    return "sqlite:///" + str(tmp_path / "empty.db")


def test_upgrade_builds_schema_that_matches_the_models(
    empty_database: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    app = make_app(empty_database, tmp_path, FAB_UPDATE_PERMS=False)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Model.metadata
            )
            tables = set(inspect(conn).get_table_names())
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"ab_user", "ab_role", "department", "membership"} <= tables


def test_downgrade_to_base_and_back(
    empty_database: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    app = make_app(empty_database, tmp_path, FAB_UPDATE_PERMS=False)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        upgrade()
    assert left == set()
