"""Real RQ workers (subprocesses) on the test Redis and PostgreSQL run the outbox's jobs.

Every test counts rows and effects at the end and asserts exact numbers; waits poll the
database with a deadline instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.outbox.models import Effect, OutboxMessage
from app.tickets.models import EventKind, Ticket, TicketEvent
from tests.app.tickets.conftest import Setting, setting  # noqa: F401  (the fixture)
from tests.app.tickets.test_routing import create, publish_template, publish_workflow
from tests.app.tickets.test_triggers import STATES, TRANSITIONS

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.backend("postgresql")


@pytest.fixture
def start_worker(app: Flask, redis_url: str, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """`start_worker()` starts one `tessera worker` (with the scheduler); all stop at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
    }

    def start() -> None:
        log = (tmp_path / f"worker{len(processes)}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def count(ticket: Ticket, kind: EventKind) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind.value
            )
        )
        or 0
    )


def pending(ticket: Ticket) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                OutboxMessage.ticket_id == ticket.id, OutboxMessage.done_at.is_(None)
            )
        )
        or 0
    )


def test_a_deadline_that_passed_while_no_worker_ran_is_recorded_once_when_one_returns(
    setting: Setting, start_worker: Callable[[], None]  # noqa: F811
) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(
        key, states=STATES, transitions=TRANSITIONS,
        sla={"policies": [{"name": "quick", "targets": {"normal": {"resolution": "PT2S"}}}],
             "warning": 0.5},
        triggers=[
            {
                "name": "bump",
                "on": ["ticket.created"],
                "actions": [{"type": "set_priority", "priority": "normal"}],
            },
            {
                "name": "breach_raises",
                "on": ["sla.breached"],
                "actions": [{"type": "set_priority", "priority": "high"}],
            },
        ],
    )
    ticket = create(publish_template(setting, key))
    time.sleep(2.5)  # the deadline passes while no worker runs (the one sleep: it is the fault)
    start_worker()
    start_worker()  # two workers: each job still runs once
    wait_until(lambda: count(ticket, EventKind.SLA_BREACHED) == 1, "the breach")
    wait_until(lambda: pending(ticket) == 0, "every message done")
    db.session.refresh(ticket)
    assert ticket.priority == "high"
    assert count(ticket, EventKind.SLA_WARNING) == 1
    assert count(ticket, EventKind.SLA_BREACHED) == 1
    priority_changes = db.session.scalars(
        select(TicketEvent.new).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.pointer == "/priority"
        )
    ).all()
    assert priority_changes == ["high"]  # normal → normal is no change; the breach raised it
    keys = set(db.session.scalars(select(Effect.key).where(Effect.ticket_id == ticket.id)))
    assert len([k for k in keys if ":sla:resolution:" in k]) == 2  # the warning and the breach
