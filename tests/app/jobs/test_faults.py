"""Faults of the real parts: a private redis-server stopped on purpose, real `tessera worker`
processes, the real database. Each test counts rows and effects at the end, exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pytest_redis import factories
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import MailMessage, Notification
from app.notifications.sink import start_sink
from app.outbox.dispatch import sweep
from app.outbox.models import OutboxMessage
from app.tickets.models import Ticket
from tests.app.api.test_tickets_api import bearer
from tests.app.test_run import _free_port
from tests.app.tickets.conftest import Setting, setting  # noqa: F401  (the fixture)
from tests.app.tickets.test_routing import agents, publish_template, publish_workflow
from tests.app.tickets.test_triggers import STATES, TRANSITIONS

ROOT = Path(__file__).resolve().parents[3]
TICKETS = 200
pytestmark = pytest.mark.backend("postgresql")
faulty_redis = factories.redis_proc(port=None)


@pytest.fixture
def redis_we_stop(app: Flask, faulty_redis: Any) -> Iterator[Any]:  # noqa: ANN401
    """The app on a private redis-server the test may stop and start again."""
    if not faulty_redis.running():
        faulty_redis.start()
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://{faulty_redis.host}:{faulty_redis.port}/0"
    app.extensions.pop("tessera_redis", None)
    app.extensions.pop("tessera_redis_health", None)
    yield faulty_redis
    if not faulty_redis.running():
        faulty_redis.start()
    app.config["REDIS_URL"] = saved
    app.extensions.pop("tessera_redis", None)
    app.extensions.pop("tessera_redis_health", None)


def burst_worker(app: Flask, tmp_path: Path, mail_port: int) -> subprocess.CompletedProcess[str]:
    """One `tessera worker --burst`: it runs what is queued, then stops."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


def test_redis_down_while_tickets_arrive_loses_none_and_notifies_each_once(
    app: Flask, setting: Setting, redis_we_stop: Any, tmp_path: Path  # noqa: F811
) -> None:
    agents(setting.department_id, 2)
    key = f"wf_{setting.template}"
    publish_workflow(
        key, states=STATES, transitions=TRANSITIONS, routing={"strategy": "round_robin"},
        triggers=[{"name": "tell", "on": ["ticket.created"],
                   "actions": [{"type": "notify", "to": ["assignee"]}]}],
    )
    template = publish_template(setting, key)
    before = db.session.scalar(select(func.max(Ticket.id))) or 0
    db.session.commit()
    headers = bearer(app, "admin")
    client = app.test_client()

    redis_we_stop.stop()
    app.extensions.pop("tessera_redis_health", None)
    answers = [
        client.post(
            "/api/v1/tickets/", headers=headers,
            json={"template": template.key, "data": {"topic": "printer"}, "subject": f"#{n}"},
        ).status_code
        for n in range(TICKETS)
    ]
    assert answers == [201] * TICKETS
    ids = list(db.session.scalars(select(Ticket.id).where(Ticket.id > before)))
    assert len(ids) == TICKETS
    unsent = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.ticket_id.in_(ids), OutboxMessage.enqueued_at.is_(None)
        )
    )
    assert unsent == TICKETS  # one ticket.events message each, none reached Redis
    db.session.rollback()

    redis_we_stop.start()
    app.extensions.pop("tessera_redis", None)
    app.extensions.pop("tessera_redis_health", None)
    assert sweep(app, grace=timedelta(0)) >= TICKETS
    mail_port = _free_port()
    sink = start_sink("127.0.0.1", mail_port, tmp_path / "mail")
    try:
        done = burst_worker(app, tmp_path, mail_port)  # the ticket.events jobs, then the mail
        assert done.returncode == 0, done.stderr[-3000:]
        sweep(app, grace=timedelta(0))
        done = burst_worker(app, tmp_path, mail_port)
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        sink.stop()
    db.session.rollback()
    per_ticket = db.session.execute(
        select(Notification.ticket_id, func.count()).where(Notification.ticket_id.in_(ids))
        .group_by(Notification.ticket_id)
    ).all()
    assert sorted(per_ticket) == [(i, 1) for i in sorted(ids)]
    sent = db.session.scalar(
        select(func.count()).where(MailMessage.ticket_id.in_(ids), MailMessage.sent_at.is_not(None))
    )
    assert sent == TICKETS
    assert len(list((tmp_path / "mail").glob("*.eml"))) == TICKETS
    left = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.ticket_id.in_(ids), OutboxMessage.done_at.is_(None)
        )
    )
    assert left == 0
    assigned = db.session.scalar(
        select(func.count()).where(Ticket.id.in_(ids), Ticket.assignee_id.is_not(None))
    )
    assert assigned == TICKETS
