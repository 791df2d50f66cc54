"""The job runtime on tickets: outbox messages, triggers once and bounded, SLA timers, auto-close.

Jobs run here in-process (`app.jobs.runner.run`, as a worker calls it); the worker processes
and the faults are in tests/app/jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job
from sqlalchemy import func, select, update

from app.clock import aware, utcnow
from app.extensions import db
from app.jobs.runner import run
from app.outbox import job_id
from app.outbox.dispatch import sweep
from app.outbox.models import Effect, OutboxMessage
from app.tickets.models import EventKind, Ticket, TicketEvent
from app.tickets.service import change_state, update_ticket
from tests.app.tickets.conftest import Setting
from tests.app.tickets.test_routing import create, publish_template, publish_workflow
from workflows.timers import MAX_DEPTH

STATES = [
    {"name": "triage", "category": "new"},
    {"name": "working", "category": "open"},
    {"name": "solved", "category": "solved"},
    {"name": "done", "category": "closed"},
]
TRANSITIONS = [
    {"name": "take", "from": ["triage"], "to": "working", "roles": ["agent"]},
    {"name": "solve", "from": ["working"], "to": "solved", "roles": ["agent"]},
    {"name": "reopen", "from": ["solved"], "to": "working", "roles": ["agent"]},
    {"name": "finish", "from": ["solved"], "to": "done", "roles": ["agent"]},
]


def messages(ticket: Ticket, topic: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
    if topic is not None:
        query = query.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def drain(ticket: Ticket, limit: int = 50) -> int:
    """Run the ticket's due messages (as workers would) until none is left; how many ran."""
    ran = 0
    for _ in range(limit):
        now = utcnow()
        waiting = [
            m.id for m in messages(ticket)
            if m.done_at is None and (m.run_at is None or aware(m.run_at) <= now)
        ]
        db.session.rollback()
        if not waiting:
            return ran
        for message_id in waiting:
            assert run(message_id) == "done"
            ran += 1
    raise AssertionError("the messages never ran out")


def events(ticket: Ticket, kind: EventKind) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind.value)
            .order_by(TicketEvent.id)
        )
    )


def workflow(setting: Setting, **parts: Any) -> Ticket:
    key = f"wf_{setting.template}"
    publish_workflow(key, states=STATES, transitions=TRANSITIONS, **parts)
    return create(publish_template(setting, key))


def test_a_change_leaves_one_events_message_enqueued_after_the_commit(
    setting: Setting, redis_conn: Redis
) -> None:
    ticket = workflow(setting)
    (message,) = messages(ticket, "ticket.events")
    assert message.payload["topics"] == ["ticket.created"]
    assert message.payload["depth"] == 0
    assert message.enqueued_at is not None
    job = Job.fetch(job_id(message.id), connection=redis_conn)
    assert job.args == (message.id,)
    update_ticket(ticket.id, {"priority": "high"}, ticket.lock_version, setting.agent_id)
    topics = [m.payload["topics"] for m in messages(ticket, "ticket.events")]
    assert topics == [["ticket.created"], ["ticket.updated"]]


def test_a_rolled_back_change_leaves_no_message_and_no_job(
    setting: Setting, redis_conn: Redis
) -> None:
    ticket = workflow(setting)
    before = db.session.scalar(select(func.max(OutboxMessage.id)))
    update_ticket(
        ticket.id, {"priority": "high"}, ticket.lock_version, setting.agent_id, commit=False
    )
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(select(func.max(OutboxMessage.id))) == before
    assert not Job.exists(job_id((before or 0) + 1), connection=redis_conn)


def test_a_trigger_acts_once_even_when_its_job_runs_twice(setting: Setting) -> None:
    ticket = workflow(
        setting,
        triggers=[
            {
                "name": "urgent_bills",
                "on": ["ticket.created"],
                "when": {"properties": {"priority": {"const": "normal"}}},
                "actions": [{"type": "set_priority", "priority": "urgent"}],
            }
        ],
    )
    (created,) = messages(ticket, "ticket.events")
    assert run(created.id) == "done"
    assert run(created.id) == "skipped"
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == created.id)
                       .values(done_at=None))  # as if the first run's commit was lost
    db.session.commit()
    assert run(created.id) == "done"
    db.session.refresh(ticket)
    assert ticket.priority == "urgent"
    changes = [e for e in events(ticket, EventKind.FIELD_CHANGED) if e.pointer == "/priority"]
    assert [(e.old, e.new, e.channel, e.actor_id) for e in changes] == [
        ("normal", "urgent", "system", None)
    ]


def test_triggers_fired_by_their_own_changes_stop_at_the_depth_bound(setting: Setting) -> None:
    def flip(name: str, when: str, to: str) -> dict[str, Any]:
        return {
            "name": name,
            "on": ["ticket.created", "ticket.updated"],
            "when": {"properties": {"priority": {"const": when}}},
            "actions": [{"type": "set_priority", "priority": to}],
        }

    key = f"wf_{setting.template}"
    publish_workflow(
        key, states=STATES, transitions=TRANSITIONS,
        triggers=[flip("up", "low", "high"), flip("down", "high", "low")],
    )
    ticket = create(publish_template(setting, key), priority="low")
    drain(ticket)  # without the bound the two triggers would flip the priority forever
    db.session.refresh(ticket)
    flips = [e.new for e in events(ticket, EventKind.FIELD_CHANGED) if e.pointer == "/priority"]
    assert flips == ["high", "low", "high"][:MAX_DEPTH]
    depths = [m.payload["depth"] for m in messages(ticket, "ticket.events")]
    assert depths == list(range(MAX_DEPTH + 1))
    assert all(m.done_at is not None for m in messages(ticket, "ticket.events"))


SLA = {
    "policies": [
        {
            "name": "standard",
            "targets": {"normal": {"first_response": "PT1H", "resolution": "PT4H"}},
        }
    ],
    "warning": 0.75,
}


# Round the clock, so the due times below are plain sums; its offset (+08:00) is what a timer's
# due time is written with, and must still match the ticket's UTC column.
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHANGHAI = {
    "timezone": "Asia/Shanghai",
    "hours": {day: [["00:00", "24:00"]] for day in WEEK},
}


@pytest.mark.parametrize("calendar", [None, SHANGHAI], ids=["default", "shanghai"])
def test_sla_timers_are_planned_on_create_and_a_breach_is_recorded_once(
    setting: Setting, calendar: dict[str, Any] | None
) -> None:
    ticket = workflow(setting, sla=SLA if calendar is None else {**SLA, "calendar": calendar})
    timers = messages(ticket, "sla.check")
    started = aware(ticket.sla_started_at)
    planned = sorted((m.payload["target"], m.payload["level"], aware(m.run_at)) for m in timers)
    assert planned == [
        ("first_response", "breach", started + timedelta(hours=1)),
        ("first_response", "warning", started + timedelta(minutes=45)),
        ("resolution", "breach", started + timedelta(hours=4)),
        ("resolution", "warning", started + timedelta(hours=3)),
    ]
    (breach,) = [m for m in timers if (m.payload["target"], m.payload["level"]) == (
        "resolution", "breach")]
    assert datetime.fromisoformat(breach.payload["due_at"]) == aware(ticket.resolution_due_at)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == breach.id)
                       .values(run_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run(breach.id) == "done"
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == breach.id)
                       .values(done_at=None))
    db.session.commit()
    assert run(breach.id) == "done"
    (recorded,) = events(ticket, EventKind.SLA_BREACHED)
    assert recorded.pointer == "/sla/resolution"
    assert recorded.new == {"due_at": breach.payload["due_at"]}
    db.session.refresh(ticket)
    assert ticket.sla_breached_at is not None
    assert ["sla.breached"] in [m.payload["topics"] for m in messages(ticket, "ticket.events")]


def test_a_timer_whose_due_time_moved_or_was_met_does_nothing(setting: Setting) -> None:
    ticket = workflow(setting, sla=SLA)
    old = {m.payload["target"] + m.payload["level"]: m for m in messages(ticket, "sla.check")}
    moved = update_ticket(ticket.id, {"priority": "high"}, ticket.lock_version, setting.agent_id)
    assert moved.sla_policy is None  # no targets for high: no due times, no new timers
    for message in old.values():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                           .values(run_at=None))
    db.session.commit()
    for message in old.values():
        assert run(message.id) == "done"
    assert events(ticket, EventKind.SLA_BREACHED) == events(ticket, EventKind.SLA_WARNING) == []
    keys = db.session.scalars(select(Effect.key).where(Effect.ticket_id == ticket.id)).all()
    assert not [k for k in keys if ":sla:" in k]


def test_a_solved_ticket_closes_after_the_period_unless_reopened(setting: Setting) -> None:
    ticket = workflow(setting, auto_close={"after": "P2D"})
    ticket = change_state(ticket.id, "working", ticket.lock_version, setting.agent_id)
    solved = change_state(ticket.id, "solved", ticket.lock_version, setting.agent_id)
    (first,) = messages(ticket, "ticket.autoclose")
    assert aware(first.run_at) == aware(solved.resolved_at) + timedelta(days=2)
    reopened = change_state(ticket.id, "working", solved.lock_version, setting.agent_id)
    solved_again = change_state(ticket.id, "solved", reopened.lock_version, setting.agent_id)
    second = messages(ticket, "ticket.autoclose")[-1]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.topic == "ticket.autoclose",
                                                   OutboxMessage.ticket_id == ticket.id)
                       .values(run_at=None))
    db.session.commit()
    assert run(first.id) == "done"
    db.session.refresh(solved_again)
    assert solved_again.state == "solved"  # the first solve was undone: its timer is stale
    assert run(second.id) == "done"
    db.session.refresh(solved_again)
    assert (solved_again.state, solved_again.category) == ("done", "closed")
    (closing,) = [e for e in events(ticket, EventKind.STATE_CHANGED) if e.new == "done"]
    assert (closing.channel, closing.actor_id) == ("system", None)


def test_messages_redis_refused_are_enqueued_by_the_sweep(
    setting: Setting, app_ctx: Flask, redis_conn: Redis
) -> None:
    saved = app_ctx.config["REDIS_URL"], app_ctx.extensions.pop("tessera_redis", None)
    app_ctx.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app_ctx.extensions.pop("tessera_redis_health", None)
    try:
        ticket = workflow(setting)
    finally:
        app_ctx.extensions.pop("tessera_redis", None)
        app_ctx.extensions.pop("tessera_redis_health", None)
        app_ctx.config["REDIS_URL"] = saved[0]
        if saved[1] is not None:
            app_ctx.extensions["tessera_redis"] = saved[1]
    (message,) = messages(ticket, "ticket.events")
    assert message.enqueued_at is None
    db.session.rollback()
    assert sweep(app_ctx, grace=timedelta(0)) >= 1
    db.session.refresh(message)
    assert message.enqueued_at is not None
    assert Job.exists(job_id(message.id), connection=redis_conn)


def test_an_automation_acts_once_per_ticket_and_period(setting: Setting) -> None:
    from app.tickets.automations import sweep as run_automations

    ticket = workflow(
        setting,
        automations=[
            {
                "name": "stale_work",
                "when": {"properties": {"state": {"const": "working"}}},
                "after": "PT1H",
                "since": "state_entered",
                "actions": [{"type": "set_priority", "priority": "raise"}],
            }
        ],
    )
    working = change_state(ticket.id, "working", ticket.lock_version, setting.agent_id)

    def age_state(hours: float) -> None:
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id)
            .values(state_entered_at=utcnow() - timedelta(hours=hours))
        )
        db.session.commit()

    age_state(0.5)
    assert run_automations(db.session, utcnow()).matched == 0  # not long enough yet
    age_state(2)
    first = run_automations(db.session, utcnow())
    second = run_automations(db.session, utcnow())  # a second run, or a second cron process
    assert (first.actions, second.actions) == (1, 0)
    db.session.refresh(working)
    assert working.priority == "high"
    solved = change_state(ticket.id, "solved", working.lock_version, setting.agent_id)
    again = change_state(ticket.id, "working", solved.lock_version, setting.agent_id)
    age_state(3)  # a new period: the ticket entered the state again
    assert run_automations(db.session, utcnow()).actions == 1
    db.session.refresh(again)
    assert again.priority == "urgent"
