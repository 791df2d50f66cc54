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
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from app.extensions import db
from app.outbox import dispatch
from app.outbox.dispatch import sweep
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
    logs: list[IO[str]] = []

    def start() -> None:
        env = {  # read when the worker starts: a test may set more before it
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_url,
            "TESSERA_INSTANCE_PATH": str(tmp_path),
            "FAB_UPDATE_PERMS": "False",
        }
        logs.append((tmp_path / f"worker{len(processes)}.log").open("w"))
        processes.append(
            subprocess.Popen(
                # Not the low queue: its index builds wait for every open transaction.
                [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker",
                 "-q", "high", "-q", "default"],
                cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    start.processes = processes  # type: ignore[attr-defined]
    yield start
    db.session.rollback()
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()


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


def _trigger_workflow(setting: Setting) -> Ticket:  # noqa: F811
    from tests.app.tickets.test_routing import agents

    agents(setting.department_id, 1)
    key = f"wf_{setting.template}"
    publish_workflow(
        key, states=STATES, transitions=TRANSITIONS, routing={"strategy": "round_robin"},
        triggers=[
            {
                "name": "urgent_and_tell",
                "on": ["ticket.created"],
                "actions": [
                    {"type": "set_priority", "priority": "urgent"},
                    {"type": "notify", "to": ["assignee"]},
                ],
            }
        ],
    )
    return create(publish_template(setting, key))


def _events_message(ticket: Ticket) -> OutboxMessage:
    message = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.topic == "ticket.events"
        )
    ).one()
    db.session.rollback()
    return message


def _requeued(app: Flask, message: OutboxMessage) -> bool:
    from rq.job import Job

    from app.outbox import job_id
    from app.queue import redis_connection

    sweep(app, grace=timedelta(0))
    status = redis_connection(app).hget(Job.key_for(job_id(message.id)), "status")
    return status == b"queued"


def _done(message: OutboxMessage) -> bool:
    """The message is done (its mail waits for an SMTP server these tests do not start)."""
    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    return stored is not None and stored.done_at is not None


def _blocked_backend() -> int | None:
    """The pid of a database backend waiting for a lock (the job we hold up), if any."""
    pid = db.session.scalar(
        text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() LIMIT 1"
        )
    )
    return int(pid) if pid is not None else None


def _effects_once(ticket: Ticket) -> None:
    from app.notifications.models import Notification

    db.session.rollback()
    priorities = db.session.scalars(
        select(TicketEvent.new).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.pointer == "/priority"
        )
    ).all()
    assert priorities == ["urgent"]
    notified = db.session.scalar(
        select(func.count()).where(Notification.ticket_id == ticket.id)
    )
    assert notified == 1


def test_a_worker_killed_mid_job_leaves_the_job_to_another_worker_which_acts_once(
    app: Flask,
    setting: Setting,  # noqa: F811
    start_worker: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = _trigger_workflow(setting)
    message = _events_message(ticket)
    with db.engine.connect() as locker:  # hold the ticket: the job blocks on its first write
        locker.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())
        start_worker()
        wait_until(lambda: _blocked_backend() is not None, "the job to block on the ticket")
        victim = start_worker.processes[-1]  # type: ignore[attr-defined]
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its scheduler, mid-job
        victim.wait()
        locker.rollback()
    wait_until(lambda: _blocked_backend() is None, "the dead worker's transaction to end")
    # The orphaned job goes out again, at the next sweep: orphans are looked for among RQ's
    # started jobs every beat, wherever the walk for lost jobs stands (pushed past it here).
    monkeypatch.setattr(dispatch, "_audit_from", message.id)
    wait_until(lambda: _requeued(app, message), "the sweep to send the orphaned job again")
    start_worker()
    wait_until(lambda: _done(message), "the job to run on the second worker")
    _effects_once(ticket)
    db.session.refresh(message)
    assert message.attempts == 2


def test_a_database_connection_dropped_mid_job_fails_the_job_which_retries_and_acts_once(
    app: Flask, setting: Setting, start_worker: Callable[[], None]  # noqa: F811
) -> None:
    ticket = _trigger_workflow(setting)
    message = _events_message(ticket)
    with db.engine.connect() as locker:
        locker.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())
        start_worker()
        wait_until(lambda: _blocked_backend() is not None, "the job to block on the ticket")
        backend = _blocked_backend()
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        db.session.rollback()
        locker.rollback()
    wait_until(lambda: _done(message), "the retried job to finish")
    _effects_once(ticket)
    db.session.refresh(message)
    assert (message.attempts, message.last_error) == (2, None)
