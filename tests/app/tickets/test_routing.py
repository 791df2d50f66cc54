"""Routing on create: the workflow's rules, assignment strategies, pinned versions, SLA clocks."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.clock import aware
from app.definitions import store
from app.extensions import db
from app.models import Department, Membership
from app.security import security_manager
from app.tickets.intake import CheckedData, NewTicket, check_data, open_ticket
from app.tickets.models import Channel, EventKind, Ticket, TicketEvent
from app.tickets.service import Requester
from app.tickets.templates import TemplateForm, published_template
from app.tickets.workflow import WorkflowUnavailable
from tests.app.tickets.conftest import Setting
from workflows import BusinessCalendar

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "topic": {"type": "string", "enum": ["bill", "printer", "other"]},
        "tier": {"type": "string", "enum": ["standard", "vip"]},
        "amount": {"type": "number"},
    },
}
STATES = [
    {"name": "triage", "category": "new"},
    {"name": "working", "category": "open"},
    {"name": "done", "category": "closed"},
]
TRANSITIONS = [
    {"name": "take", "from": ["triage"], "to": "working", "roles": ["agent"]},
    {"name": "finish", "from": ["working"], "to": "done", "roles": ["agent"]},
]


def data_is(field: str, value: Any) -> dict[str, Any]:
    return {"properties": {"data": {"properties": {field: {"const": value}}, "required": [field]}}}


def dept_key(department_id: int) -> str:
    department = db.session.get(Department, department_id)
    assert department is not None
    return department.key


def publish_workflow(key: str, **parts: Any) -> int:
    body = {
        "key": key,
        "title": f"Workflow {key}",
        "states": STATES,
        "initial": "triage",
        "transitions": TRANSITIONS,
        **parts,
    }
    row = store.save_draft("workflow", key, body, None)
    store.publish(row.id, None, approved_by_import=True)
    return row.version


def publish_template(setting: Setting, workflow: str | None) -> TemplateForm:
    settings: dict[str, Any] = {"default_department": dept_key(setting.department_id)}
    if workflow is not None:
        settings["workflow"] = workflow
    body = {
        "key": setting.template,
        "title": "Routing test",
        "schema": SCHEMA,
        "settings": settings,
    }
    row = store.save_draft("template", setting.template, body, None)
    store.publish(row.id, None)
    return published_template(setting.template)


def create(template: TemplateForm, priority: str | None = None, **data: Any) -> Ticket:
    checked: CheckedData = check_data(template, data)
    return open_ticket(
        NewTicket(
            checked,
            Requester("Li Wei", "li@example.test"),
            Channel.API.value,
            None,
            priority=priority,
        )
    )


def routing(ticket: Ticket) -> dict[str, Any]:
    """The routing decision the ticket's `created` event records (its only event)."""
    (event,) = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert event.kind == EventKind.CREATED.value
    return dict(event.new["routing"])


def agents(department_id: int, count: int, **member: Any) -> list[int]:
    """`count` new agent users in the department (capacity, skills... from `member`)."""
    sm = security_manager()
    ids = []
    for _ in range(count):
        name = f"rt_{uuid.uuid4().hex[:10]}"
        user = sm.add_user(
            name,
            "R",
            "T",
            f"{name}@example.test",
            sm.find_role("Agent"),
            password="correct horse battery staple",
        )
        assert user
        db.session.add(
            Membership(user_id=user.id, department_id=department_id, **{"capacity": 1000, **member})
        )
        ids.append(user.id)
    db.session.commit()
    return ids


def test_a_template_without_a_workflow_follows_the_default(setting: Setting) -> None:
    ticket = create(publish_template(setting, None), topic="bill")
    assert (ticket.state, ticket.category, ticket.assignee_id) == ("new", "new", None)
    assert (ticket.workflow_key, ticket.workflow_version) == (None, None)
    assert ticket.department_id == setting.department_id
    assert ticket.first_response_due_at is None and ticket.sla_policy is None
    event = routing(ticket)
    assert event["rule"] is None and event["strategy"] == "manual"


def test_the_first_matching_rule_routes_and_the_version_is_pinned(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    version = publish_workflow(
        key,
        routing={
            "rules": [
                {
                    "name": "vip",
                    "when": data_is("tier", "vip"),
                    "then": {
                        "department": dept_key(setting.other_department_id),
                        "priority": "high",
                    },
                },
            ]
        },
    )
    template = publish_template(setting, key)
    vip = create(template, priority="low", tier="vip")
    plain = create(template, priority="low", tier="standard")
    assert (vip.department_id, vip.priority) == (setting.other_department_id, "high")
    assert (plain.department_id, plain.priority) == (setting.department_id, "low")
    assert (vip.state, vip.category) == ("triage", "new")
    assert (vip.workflow_key, vip.workflow_version) == (key, version)
    event = routing(vip)
    assert event["rule"] == "vip" and event["workflow_version"] == version
    assert event["department"] == dept_key(setting.other_department_id)
    assert routing(plain)["rule"] is None


def test_a_new_version_routes_new_tickets_only(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key)
    template = publish_template(setting, key)
    before = create(template, topic="bill")
    second = publish_workflow(
        key,
        routing={
            "rules": [
                {
                    "name": "bills",
                    "when": data_is("topic", "bill"),
                    "then": {"department": dept_key(setting.other_department_id)},
                }
            ]
        },
    )
    after = create(template, topic="bill")
    db.session.refresh(before)
    assert before.workflow_version == second - 1 and before.department_id == setting.department_id
    assert after.workflow_version == second and after.department_id == setting.other_department_id


def test_an_unpublished_workflow_saves_nothing(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key)
    template = publish_template(setting, key)
    row = store.published("workflow", key)
    assert row is not None
    store.retire(row.id, None)
    count = db.session.scalar(select(func.count()).select_from(Ticket))
    with pytest.raises(WorkflowUnavailable) as caught:
        create(template, topic="bill")
    assert caught.value.status == 409
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == count


def test_round_robin_takes_turns_and_skips_the_away_and_the_full(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key, routing={"strategy": "round_robin"})
    template = publish_template(setting, key)
    first, second, away, full = agents(setting.department_id, 4)
    for user_id, change in ((away, {"availability": "away"}), (full, {"capacity": 0})):
        member = db.session.scalars(select(Membership).where(Membership.user_id == user_id)).one()
        for name, value in change.items():
            setattr(member, name, value)
    db.session.commit()
    picks = [create(template).assignee_id for _ in range(5)]
    assert picks == [first, second, first, second, first]


def test_skills_and_least_loaded_respect_capacity(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(
        key,
        routing={
            "strategy": "least_loaded",
            "rules": [
                {
                    "name": "printers",
                    "when": data_is("topic", "printer"),
                    "then": {"skills": ["printer"]},
                }
            ],
        },
    )
    template = publish_template(setting, key)
    (printer,) = agents(setting.department_id, 1, skills=["printer"], capacity=2)
    (other,) = agents(setting.department_id, 1, skills=[], capacity=3)
    assert [create(template, topic="printer").assignee_id for _ in range(3)] == [
        printer,
        printer,
        None,
    ]
    assert [create(template).assignee_id for _ in range(4)] == [other, other, other, None]


SLA = {
    "calendar": {
        "timezone": "Asia/Shanghai",
        "hours": {
            d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
        },
    },
    "policies": [
        {
            "name": "vip",
            "when": data_is("tier", "vip"),
            "targets": {"normal": {"first_response": "PT1H", "resolution": "PT4H"}},
        },
        {"name": "standard", "targets": {"normal": {"first_response": "PT8H"}}},
    ],
}


def test_the_sla_clock_starts_with_the_policy_for_the_ticket(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key, sla=SLA)
    template = publish_template(setting, key)
    vip = create(template, tier="vip")
    cal = BusinessCalendar.from_definition(SLA["calendar"])
    created = aware(vip.created_at)
    assert vip.sla_policy == "vip" and aware(vip.sla_started_at) == created
    assert aware(vip.first_response_due_at) == cal.add(created, timedelta(hours=1))
    assert aware(vip.resolution_due_at) == cal.add(created, timedelta(hours=4))
    plain = create(template, tier="standard")
    assert plain.sla_policy == "standard" and plain.resolution_due_at is None
    assert aware(plain.first_response_due_at) == cal.add(
        aware(plain.created_at), timedelta(hours=8)
    )
    assert isinstance(plain.first_response_due_at, datetime)
    assert create(template, priority="high").sla_policy is None  # no target for high


@pytest.mark.backend("postgresql")
def test_round_robin_is_exact_under_parallel_requests(app: Flask, setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key, routing={"strategy": "round_robin"})
    template = publish_template(setting, key)
    team = agents(setting.department_id, 4)
    results: list[int | None] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(count: int) -> None:
        try:
            with app.app_context():
                for _ in range(count):
                    ticket = create(template)
                    with lock:
                        results.append(ticket.assignee_id)
                db.session.remove()
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(results) == {user_id: 50 for user_id in team}


@pytest.mark.backend("postgresql")
def test_least_loaded_never_passes_a_capacity_under_parallel_requests(
    app: Flask, setting: Setting
) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key, routing={"strategy": "least_loaded"})
    template = publish_template(setting, key)
    team = agents(setting.department_id, 3, capacity=20)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                for _ in range(10):
                    create(template)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loads = Counter(
        db.session.scalars(
            select(Ticket.assignee_id).where(Ticket.department_id == setting.department_id)
        ).all()
    )
    assert {user_id: loads[user_id] for user_id in team} == {user_id: 20 for user_id in team}
    assert loads[None] == 80 - 60
