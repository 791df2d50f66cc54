"""`flask tessera` commands: demo, create-admin, worker, defs import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from app.definitions import store
from app.extensions import db
from app.models import Department, Membership
from app.security import security_manager

ROOT = Path(__file__).resolve().parents[2]


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Department)) or 0,
            db.session.scalar(select(func.count()).select_from(Membership)) or 0,
            len(security_manager().get_all_users()),
        )


def test_demo_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    before = _counts(app)
    result = runner.invoke(args=["tessera", "demo"])
    assert result.exit_code == 0, result.output
    assert "agent6   / agent6" in result.output
    assert _counts(app) == before


def test_demo_users_have_their_roles(app: Flask) -> None:
    with app.app_context():
        sm = security_manager()
        roles = {u.username: {r.name for r in u.roles} for u in sm.get_all_users()}
    assert roles["admin"] == {"Admin"}
    assert all(roles[f"agent{i}"] == {"Agent"} for i in range(1, 7))
    assert roles["head1"] == roles["head2"] == {"DepartmentHead"}


def test_create_admin(app: Flask) -> None:
    runner = app.test_cli_runner()
    name = f"ops{uuid.uuid4().hex[:6]}"
    args = [
        "tessera",
        "create-admin",
        "--username",
        name,
        "--email",
        f"{name}@example.com",
        "--password",
        "long enough passphrase 7",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = security_manager().find_user(username=name)
        assert {r.name for r in user.roles} == {"Admin"}
        assert security_manager().auth_user_db(name, "long enough passphrase 7") is not None
    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_worker_command_runs_jobs_with_an_app_context(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    """A real `flask tessera worker --burst` process runs the self-check job."""
    job = Queue("default", connection=redis_conn).enqueue("app.jobs.selfcheck")
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    job.refresh()
    assert job.is_finished, done.stderr[-3000:]
    result = job.return_value()
    assert result["departments"] == _counts(app)[0]
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]
    assert result["database"] == backend


def test_defs_import_publish_refuses_a_template_without_department(
    app: Flask, tmp_path: Path
) -> None:
    key = f"loan_{uuid.uuid4().hex[:8]}"
    body = {
        "key": key,
        "title": "Loan",
        "schema": {"type": "object", "properties": {"tag": {"type": "string"}}},
        "settings": {"default_department": "nowhere"},
    }
    (tmp_path / "template").mkdir()
    (tmp_path / "template" / f"{key}.json").write_text(json.dumps(body), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tessera", "defs", "import", "--publish", str(tmp_path)])
    assert result.exit_code != 0
    assert f"template/{key}.json#/settings/default_department: There is no department" in (
        result.output
    )
    assert "nothing was imported" in result.output
    with app.app_context():
        assert store.versions("template", key) == []
    drafts = runner.invoke(args=["tessera", "defs", "import", str(tmp_path)])
    assert drafts.exit_code == 0, drafts.output
    with app.app_context():
        assert [r.status for r in store.versions("template", key)] == ["draft"]
