"""The demo tickets: about 200, spread over templates, departments, states and a month, valid,
opened and moved through the ticket services, loaded once.

They are loaded into a database of their own (the demo fills only a desk without tickets; the
suite's shared one has the tickets of other tests).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func, select

from app.clock import aware, utcnow
from app.demo.tickets import DEMO_TICKETS, SPREAD, load_demo_tickets, plan_tickets
from app.extensions import db
from app.models import ApprovalRequest, ApprovalStatus, Department
from app.outbox.models import OutboxMessage
from app.tickets.models import VERSIONLESS, Comment, EventKind, Ticket, TicketEvent
from app.tickets.templates import template_version
from tests.conftest import PG_ADMIN_URL, _sqlalchemy_url, build_app, dispose_engine


@dataclass
class Loaded:
    app: Flask
    opened: int
    seconds: float


def _fresh_database(backend: str, folder: Path) -> tuple[str, str | None]:
    """(SQLAlchemy URL, PostgreSQL database name to drop afterwards)."""
    if backend == "sqlite":
        return "sqlite:///" + str(folder / "demo.db"), None
    name = f"tessera_demo_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _sqlalchemy_url(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"), name


@pytest.fixture(scope="module")
def loaded(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    url, pg_name = _fresh_database(backend, tmp_path_factory.mktemp("demo"))
    app = build_app(url, tmp_path_factory.mktemp("demo-instance"))
    try:
        with app.app_context():
            started = time.monotonic()
            opened = load_demo_tickets()
            seconds = time.monotonic() - started
            db.session.remove()
        yield Loaded(app, opened, seconds)
    finally:
        with app.app_context():
            dispose_engine()
        if pg_name is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _tickets(app: Flask) -> list[Ticket]:
    with app.app_context():
        found = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
        db.session.expunge_all()
        return found


def test_the_stories_are_the_same_every_time() -> None:
    now = utcnow()
    first, second = plan_tickets(DEMO_TICKETS, now), plan_tickets(DEMO_TICKETS, now)
    assert first == second
    assert plan_tickets(DEMO_TICKETS, now, seed=1) != first


def test_about_200_tickets_over_every_template_department_state_and_a_month(
    loaded: Loaded,
) -> None:
    assert loaded.opened == DEMO_TICKETS == 200
    tickets = _tickets(loaded.app)
    assert len(tickets) == 200
    templates = Counter(t.template for t in tickets)
    assert set(templates) == {"complaint", "it_support", "refund", "repair"}
    assert min(templates.values()) >= 25
    with loaded.app.app_context():
        departments = {d.id: d.key for d in db.session.scalars(select(Department))}
    assert {departments[t.department_id] for t in tickets} == {
        "frontline",
        "billing",
        "technical",
        "repair",
    }
    categories = Counter(t.category for t in tickets)
    assert {"new", "open", "waiting", "closed"} <= set(categories)
    assert (
        categories["closed"] < 180 and sum(categories[c] for c in ("new", "open", "waiting")) >= 30
    )
    assert len({t.state for t in tickets}) >= 5
    assert len({t.priority for t in tickets}) >= 3
    assert any(t.assignee_id is None for t in tickets if t.category == "new")
    now = utcnow()
    created = sorted(aware(t.created_at) for t in tickets)
    assert now - SPREAD - timedelta(hours=1) <= created[0]
    assert created[-1] <= now
    assert created[-1] - created[0] >= timedelta(days=20)
    assert [aware(t.created_at) for t in tickets] == created  # opened oldest first


def test_every_ticket_is_valid_under_its_template_version(loaded: Loaded) -> None:
    with loaded.app.app_context():
        for ticket in db.session.scalars(select(Ticket)):
            form = template_version(ticket.template, ticket.template_version)
            assert form.errors(ticket.data) == {}, ticket.number
            if ticket.category in ("solved", "closed"):
                assert len(ticket.data["resolution"]) >= 10  # the solve transition's requirement


def test_the_history_happened_at_the_planned_times(loaded: Loaded) -> None:
    with loaded.app.app_context():
        s = db.session
        comments = s.scalar(select(func.count()).select_from(Comment)) or 0
        assert comments >= 80
        statuses = Counter(s.scalars(select(ApprovalRequest.status)))
        assert statuses[ApprovalStatus.PENDING.value] >= 1
        assert statuses[ApprovalStatus.APPROVED.value] >= 5
        for ticket in s.scalars(select(Ticket)):
            events = list(
                s.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.id)
                )
            )
            assert events[0].kind == EventKind.CREATED.value
            times = [aware(e.at) for e in events]
            assert times == sorted(times), ticket.number
            assert times[0] == aware(ticket.created_at)
            versioned = [aware(e.at) for e in events if e.kind not in VERSIONLESS]
            assert aware(ticket.updated_at) == versioned[-1], ticket.number  # not comments
            states = [e.new for e in events if e.kind == EventKind.STATE_CHANGED.value]
            assert (states[-1] if states else "new") == ticket.state, ticket.number
            if ticket.category == "closed":
                assert ticket.closed_at is not None and ticket.resolved_at is not None
                assert aware(ticket.closed_at) == times[-1]


def test_the_sla_follows_the_planned_times(loaded: Loaded) -> None:
    with loaded.app.app_context():
        s = db.session
        timers = {}
        for message in s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == "sla.check", OutboxMessage.done_at.is_(None)
            )
        ):
            timers.setdefault(message.ticket_id, []).append(message.payload)
        for ticket in s.scalars(select(Ticket)):
            assert ticket.sla_policy is not None, ticket.number
            assert aware(ticket.sla_started_at) == aware(ticket.created_at)
            if ticket.category == "waiting":
                assert ticket.sla_paused_at is not None and ticket.resolution_due_at is None
                continue
            due = aware(ticket.resolution_due_at)
            assert aware(ticket.created_at) < aware(ticket.first_response_due_at) <= due
            # the timers still to run are those of the moved due times, never the played ones
            current = {aware(ticket.first_response_due_at), due}
            planned = [datetime.fromisoformat(p["due_at"]) for p in timers.get(ticket.id, [])]
            assert all(at in current for at in planned), (ticket.number, current, planned)
            if ticket.category in ("new", "open") and ticket.first_response_at is None:
                assert any(p["target"] == "first_response" for p in timers.get(ticket.id, []))
        # what the stories wrote to the outbox is settled: nothing of it waits to be sent
        history = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "ticket.events", OutboxMessage.done_at.is_(None))
        )
        assert history == 0


def test_a_second_load_adds_nothing(loaded: Loaded) -> None:
    with loaded.app.app_context():
        assert load_demo_tickets() == 0
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 200
        db.session.remove()


def test_the_demo_command_says_what_it_did(loaded: Loaded) -> None:
    loaded.app.config["TESSERA_DEMO_TICKETS"] = DEMO_TICKETS
    try:
        result = loaded.app.test_cli_runner().invoke(args=["tessera", "demo"])
    finally:
        loaded.app.config["TESSERA_DEMO_TICKETS"] = 0
    assert result.exit_code == 0, result.output
    assert "Demo tickets: none added, the desk has tickets already." in result.output
    assert "agent6   / agent6" in result.output
