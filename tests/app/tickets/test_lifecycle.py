"""What follows a change from the ticket's workflow: category, stamps, SLA policy and clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import aware
from app.extensions import db
from app.tickets.errors import TicketInvalid
from app.tickets.models import EventKind, TicketEvent
from app.tickets.service import change_state, update_ticket
from tests.app.tickets.conftest import Setting
from tests.app.tickets.test_routing import (
    create,
    dept_key,
    publish_template,
    publish_workflow,
)
from workflows import BusinessCalendar


def test_a_transfer_re_reads_an_sla_policy_that_looks_at_the_department(setting: Setting) -> None:
    other = dept_key(setting.other_department_id)
    key = f"wf_{setting.template}"
    publish_workflow(
        key,
        sla={
            "policies": [
                {
                    "name": "fast_desk",
                    "when": {"properties": {"department": {"const": other}}},
                    "targets": {"normal": {"resolution": "PT2H"}},
                },
                {"name": "standard", "targets": {"normal": {"resolution": "PT8H"}}},
            ]
        },
    )
    ticket = create(publish_template(setting, key))
    assert ticket.sla_policy == "standard"
    moved = update_ticket(
        ticket.id,
        {"department_id": setting.other_department_id},
        ticket.lock_version,
        setting.agent_id,
    )
    assert moved.sla_policy == "fast_desk"
    started = aware(moved.sla_started_at)
    assert aware(moved.resolution_due_at) == BusinessCalendar.from_definition(None).add(
        started, timedelta(hours=2)
    )
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert EventKind.SLA_CHANGED.value in kinds


def test_a_state_the_workflow_lacks_is_refused_and_nothing_changes(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key)
    ticket = create(publish_template(setting, key))
    with pytest.raises(TicketInvalid) as caught:
        change_state(ticket.id, "nowhere", ticket.lock_version, setting.agent_id)
    assert list(caught.value.errors) == ["/state"]
    db.session.refresh(ticket)
    assert (ticket.state, ticket.category, ticket.lock_version) == ("triage", "new", 1)


def test_entering_a_state_takes_its_category_and_stamps(setting: Setting) -> None:
    key = f"wf_{setting.template}"
    publish_workflow(key)
    ticket = create(publish_template(setting, key))
    working = change_state(ticket.id, "working", ticket.lock_version, setting.agent_id)
    assert (working.category, working.resolved_at, working.closed_at) == ("open", None, None)
    done = change_state(ticket.id, "done", working.lock_version, setting.agent_id)
    assert done.category == "closed"
    assert done.closed_at is not None and done.resolved_at is not None
