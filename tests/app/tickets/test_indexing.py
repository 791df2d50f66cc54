"""Per-field indexes follow the published templates: job on publish, real worker, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import func, select, text

from app.definitions import store
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.tickets import indexing
from app.tickets.fields import field_index_names

ROOT = Path(__file__).resolve().parents[3]


def template_body(key: str, names: dict[str, str], **settings: Any) -> dict[str, Any]:
    kinds = {
        "enum": {"enum": ["a", "b"]},
        "number": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "text": {"type": "string"},
        "boolean": {"type": "boolean"},
    }
    return {
        "key": key,
        "title": "Indexed",
        "schema": {
            "type": "object",
            "properties": {name: kinds[kind] for name, kind in names.items()},
        },
        "settings": {"default_department": "repair", **settings},
    }


@pytest.fixture
def fields() -> dict[str, str]:
    tag = uuid.uuid4().hex[:6]
    return {f"m{tag}": "enum", f"n{tag}": "number", f"d{tag}": "date", f"t{tag}": "text"}


@pytest.fixture
def ctx(app_ctx: Flask) -> Iterator[Flask]:
    yield app_ctx
    db.session.rollback()


def publish(body: dict[str, Any]) -> None:
    row = store.save_draft("template", body["key"], body, actor_id=None)
    store.publish(row.id, actor_id=None)


def jobs(redis_conn: Redis) -> list[str]:
    """The outbox topics waiting on the low queue."""
    queue = Queue(indexing.QUEUE, connection=redis_conn)
    return [str(job.description).split(" #")[0] for job in queue.get_jobs()]


def index_names(names: dict[str, str]) -> set[str]:
    return {field_index_names(n, k)[0].lower() for n, k in names.items()}


def valid_indexes() -> set[str]:
    return {name for name, valid in indexing.existing().items() if valid}


def test_publishing_a_template_enqueues_the_index_job_on_postgresql_only(
    ctx: Flask, redis_conn: Redis, fields: dict[str, str]
) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    publish(template_body(key, fields, filters=sorted(fields)))
    postgres = db.engine.dialect.name == "postgresql"
    assert jobs(redis_conn) == ([indexing.TOPIC] if postgres else [])


def test_a_rolled_back_publish_enqueues_nothing(
    ctx: Flask, redis_conn: Redis, fields: dict[str, str]
) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    row = store.save_draft("template", key, template_body(key, fields), actor_id=None)
    store.publish(row.id, actor_id=None, commit=False)
    db.session.rollback()
    db.session.commit()
    assert jobs(redis_conn) == []


def test_publishing_a_field_enqueues_nothing(ctx: Flask, redis_conn: Redis) -> None:
    key = f"fld_{uuid.uuid4().hex[:8]}"
    row = store.save_draft("field", key, {"key": key, "title": "F", "schema": {}}, None)
    store.publish(row.id, actor_id=None)
    assert jobs(redis_conn) == []


def test_publish_succeeds_while_redis_is_down_and_leaves_the_job_to_the_outbox_sweep(
    ctx: Flask, redis_conn: Redis, fields: dict[str, str]
) -> None:
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    db.session.rollback()
    saved = ctx.config["REDIS_URL"], ctx.extensions.pop("tessera_redis", None)
    ctx.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        key = f"idx_{uuid.uuid4().hex[:8]}"
        publish(template_body(key, fields, filters=sorted(fields)))
    finally:
        ctx.extensions.pop("tessera_redis", None)
        ctx.config["REDIS_URL"] = saved[0]
        if saved[1] is not None:
            ctx.extensions["tessera_redis"] = saved[1]
    assert store.published("template", key) is not None
    waiting = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.id > before,
            OutboxMessage.topic == indexing.TOPIC,
            OutboxMessage.enqueued_at.is_(None),
        )
    ).all()
    assert len(waiting) == (1 if db.engine.dialect.name == "postgresql" else 0)
    assert jobs(redis_conn) == []


@pytest.mark.backend("postgresql")
def test_a_real_worker_builds_the_indexes_then_the_cli_finds_them_present(
    ctx: Flask, redis_conn: Redis, redis_url: str, fields: dict[str, str], tmp_path: Path
) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    publish(template_body(key, fields, filters=sorted(fields)))
    db.session.commit()
    assert not index_names(fields) & valid_indexes()
    env = {
        **os.environ,
        "DATABASE_URL": ctx.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker", "--burst",
         "-q", indexing.QUEUE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    db.session.rollback()
    assert index_names(fields) <= valid_indexes(), done.stderr[-3000:]
    result = ctx.test_cli_runner().invoke(args=["tessera", "indexes"])
    assert result.exit_code == 0, result.output
    present = result.output.split("present:", 1)[1].split("\n", 1)[0]
    assert all(name in present for name in index_names(fields))


@pytest.mark.backend("postgresql")
def test_reconcile_builds_the_list_columns_by_default_and_rebuilds_an_invalid_index(
    ctx: Flask, fields: dict[str, str]
) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    enum_field, number_field = sorted(n for n, k in fields.items() if k in ("enum", "number"))
    publish(template_body(key, fields, list_columns=[f"/{enum_field}"]))
    wanted = field_index_names(enum_field, fields[enum_field])[0].lower()
    first = indexing.reconcile()
    assert wanted in first.built
    assert field_index_names(number_field, "number")[0].lower() not in valid_indexes()
    with db.engine.connect() as conn:  # what an interrupted CONCURRENTLY build leaves
        conn.execute(
            text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = CAST(:n AS regclass)"),
            {"n": wanted},
        )
        conn.commit()
    assert indexing.existing()[wanted] is False
    again = indexing.reconcile()
    assert wanted in again.built
    assert indexing.existing()[wanted] is True
    assert wanted in indexing.reconcile().present


@pytest.mark.backend("postgresql")
def test_indexes_of_a_retired_template_are_unused_and_dropped_on_request(
    ctx: Flask, fields: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    publish(template_body(key, fields, filters=sorted(fields)))
    indexing.reconcile()
    mine = index_names(fields)
    store.retire(store.published("template", key).id, actor_id=None)
    assert mine <= set(indexing.reconcile().unused)
    real_existing = indexing.existing
    # Only this test's indexes are offered for dropping (the database is shared).
    monkeypatch.setattr(
        indexing, "existing", lambda: {n: v for n, v in real_existing().items() if n in mine}
    )
    result = ctx.test_cli_runner().invoke(args=["tessera", "indexes", "--drop-unused"])
    assert result.exit_code == 0, result.output
    assert "dropped: " in result.output
    assert not mine & set(real_existing())
    stats = db.session.execute(text("SELECT stxname FROM pg_statistic_ext")).scalars().all()
    assert not {"st" + n[2:] for n in mine} & set(stats)


@pytest.mark.backend("sqlite")
def test_reconcile_is_a_no_op_on_sqlite(ctx: Flask, fields: dict[str, str]) -> None:
    key = f"idx_{uuid.uuid4().hex[:8]}"
    publish(template_body(key, fields, filters=sorted(fields)))
    assert indexing.reconcile().as_dict() == {"built": [], "present": [], "unused": []}
