"""Taking transitions: every outcome, `set`, data merged and checked, SLA pauses, stamps, locks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.clock import aware
from app.definitions import store
from app.extensions import db
from app.models import ApprovalRequest, Department, Membership
from app.security import security_manager
from app.tickets import merge, service
from app.tickets.errors import (
    ApprovalPending,
    StaleTicket,
    TicketError,
    TicketInvalid,
    TransitionForbidden,
    TransitionInvalid,
    TransitionUnavailable,
    TransitionUnknown,
)
from app.tickets.intake import NewTicket, check_data, open_ticket
from app.tickets.models import Channel, Ticket, TicketEvent
from app.tickets.service import Requester
from app.tickets.templates import TemplateForm, published_template
from app.tickets.transitions import available, offer, required_fields, roles_on, take
from tests.app.tickets.conftest import Setting

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "resolution": {"type": "string", "maxLength": 500},
        "amount": {"type": "number", "minimum": 0},
        "tier": {"type": "string", "enum": ["standard", "vip"]},
        "closed_by": {"type": "string"},
    },
}


def data_has(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "properties": {"data": {"properties": {field: schema}, "required": [field]}},
        "required": ["data"],
    }


STATES = [
    {"name": "new", "label": "New", "category": "new"},
    {"name": "open", "label": "Open", "category": "open"},
    {"name": "waiting", "label": "Waiting", "category": "waiting"},
    {"name": "solved", "label": "Solved", "category": "solved"},
    {"name": "closed", "label": "Closed", "category": "closed"},
]
TRANSITIONS: list[dict[str, Any]] = [
    {"name": "start", "label": "Start", "from": ["new"], "to": "open", "roles": ["agent"]},
    {"name": "wait", "label": "Wait", "from": ["open"], "to": "waiting", "roles": ["agent"]},
    {"name": "resume", "label": "Resume", "from": ["waiting"], "to": "open", "roles": ["agent"]},
    {
        "name": "solve",
        "label": "Solve",
        "from": ["open", "waiting"],
        "to": "solved",
        "roles": ["agent"],
        "requires": data_has("resolution", {"type": "string", "minLength": 10}),
        "approval": {
            "by": "department_head",
            "when": data_has("amount", {"exclusiveMinimum": 500}),
        },
    },
    {
        "name": "escalate",
        "label": "Escalate",
        "from": ["open"],
        "to": "open",
        "roles": ["head"],
        "set": {"/priority": "urgent"},
    },
    {
        "name": "vip_solve",
        "label": "VIP solve",
        "from": ["open"],
        "to": "solved",
        "roles": ["agent"],
        "when": data_has("tier", {"const": "vip"}),
    },
    {"name": "reopen", "label": "Reopen", "from": ["solved"], "to": "open", "roles": ["agent"]},
    {
        "name": "close",
        "label": "Close",
        "from": ["solved"],
        "to": "closed",
        "roles": ["agent", "admin"],
        "set": {"/data/closed_by": "workflow"},
    },
]
SLA = {
    "policies": [
        {
            "name": "standard",
            "targets": {
                "normal": {"first_response": "PT4H", "resolution": "PT8H"},
                "urgent": {"first_response": "PT1H", "resolution": "PT2H"},
            },
        }
    ]
}


def dept_key(department_id: int) -> str:
    department = db.session.get(Department, department_id)
    assert department is not None
    return department.key


def publish_flow(setting: Setting, **parts: Any) -> TemplateForm:
    """Publish the test workflow and a template following it (department: the setting's)."""
    key = f"wf_{setting.template}"
    body = {
        "key": key,
        "title": f"Workflow {key}",
        "states": STATES,
        "initial": "new",
        "transitions": TRANSITIONS,
        "sla": SLA,
        **parts,
    }
    row = store.save_draft("workflow", key, body, None)
    store.publish(row.id, None, approved_by_import=True)  # as an operator's import does
    template = {
        "key": setting.template,
        "title": "Transition test",
        "schema": SCHEMA,
        "settings": {"default_department": dept_key(setting.department_id), "workflow": key},
    }
    row = store.save_draft("template", setting.template, template, None)
    store.publish(row.id, None)
    return published_template(setting.template)


def member(department_id: int, role: str = "agent", fab_role: str = "Agent") -> User:
    """A new user in the department with the given membership role."""
    sm = security_manager()
    name = f"tr_{uuid.uuid4().hex[:10]}"
    user = sm.add_user(
        name, "T", name, f"{name}@example.test", sm.find_role(fab_role),
        password="correct horse battery staple",
    )
    assert user
    db.session.add(Membership(user_id=user.id, department_id=department_id, role=role))
    db.session.commit()
    return user


def user(username: str) -> User:
    found = security_manager().find_user(username=username)
    assert found is not None
    return found


def create(template: TemplateForm, **data: Any) -> Ticket:
    return open_ticket(
        NewTicket(check_data(template, data), Requester("Li Wei"), Channel.API.value, None)
    )


def events(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )


def fresh(ticket_id: int) -> Ticket:
    db.session.expire_all()
    found = db.session.get(Ticket, ticket_id)
    assert found is not None
    return found


def one_group_per_version(ticket: Ticket) -> bool:
    """The history accounts for every version (what edits of older versions rely on)."""
    history = [
        merge.Change(e.at, e.actor_id, e.channel, e.kind, e.pointer, e.old, e.new)
        for e in events(ticket.id)
    ]
    return merge.since(history, 1, ticket.lock_version) is not None


@pytest.fixture
def flow(setting: Setting) -> TemplateForm:
    return publish_flow(setting)


@pytest.fixture
def agent(setting: Setting) -> User:
    return member(setting.department_id)


@pytest.fixture
def head(setting: Setting) -> User:
    return member(setting.department_id, "head", "DepartmentHead")


def opened(flow: TemplateForm, agent: User, **data: Any) -> Ticket:
    ticket = create(flow, **data)
    return take(ticket.id, "start", ticket.lock_version, agent).ticket


# ---------------------------------------------------------------------------------------------
# Roles and what is offered


def test_roles_on_a_ticket(setting: Setting, flow: TemplateForm, agent: User, head: User) -> None:
    ticket = create(flow)
    outsider = member(setting.other_department_id)
    assert roles_on(ticket, agent) == {"agent"}
    assert roles_on(ticket, head) == {"agent", "head"}
    assert roles_on(ticket, outsider) == set()
    assert roles_on(ticket, user("admin")) == {"admin"}


def test_available_follows_state_roles_and_guards(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket = create(flow, tier="standard")
    assert [t.name for t in available(ticket, agent)] == ["start"]
    assert available(ticket, user("admin")) == []
    ticket = take(ticket.id, "start", ticket.lock_version, agent).ticket
    assert [t.name for t in available(ticket, agent)] == ["wait", "solve"]
    assert [t.name for t in available(ticket, head)] == ["wait", "solve", "escalate"]
    vip = opened(flow, agent, tier="vip")
    assert "vip_solve" in [t.name for t in available(vip, agent)]
    shown = offer(vip, agent)
    assert shown.state is not None and (shown.state.label, shown.pending) == ("Open", None)
    solve = next(o for o in shown.transitions if o.transition.name == "solve")
    assert solve.fields == ("resolution",) and solve.approval is False
    big = opened(flow, agent, amount=900)
    assert next(o for o in offer(big, agent).transitions if o.transition.name == "solve").approval


def test_required_fields_reads_the_requires_schema(flow: TemplateForm) -> None:
    ticket = create(flow)
    from app.tickets.workflow import workflow_of

    workflow = workflow_of(ticket).workflow
    solve, start = workflow.transition("solve"), workflow.transition("start")
    assert solve is not None and start is not None
    assert required_fields(solve) == ("resolution",)
    assert required_fields(start) == ()


# ---------------------------------------------------------------------------------------------
# Outcomes


def test_ok_moves_the_state_with_the_note_in_the_history(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    taken = take(ticket.id, "start", ticket.lock_version, agent, note=" Looking at it ")
    assert taken.approval is None
    stored = fresh(ticket.id)
    assert (stored.state, stored.category, stored.lock_version) == ("open", "open", 2)
    moved = [e for e in events(ticket.id) if e.kind == "state_changed"]
    assert [(e.pointer, e.old, e.new, e.note, e.actor_id) for e in moved] == [
        ("/state", "new", "open", "Looking at it", agent.id)
    ]
    assert one_group_per_version(stored)


def refused(ticket_id: int, error: type[TicketError], *args: Any, **kwargs: Any) -> TicketError:
    """Take a transition that must be refused; check that nothing was written."""
    before = fresh(ticket_id)
    state, version, data = before.state, before.lock_version, dict(before.data)
    count = len(events(ticket_id))
    with pytest.raises(error) as caught:
        take(ticket_id, *args, **kwargs)
    after = fresh(ticket_id)
    assert (after.state, after.lock_version, after.data) == (state, version, data)
    assert len(events(ticket_id)) == count
    return caught.value


def test_unknown_is_422_at_transition(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    error = refused(ticket.id, TransitionUnknown, "fly", ticket.lock_version, agent)
    assert isinstance(error, TicketInvalid) and error.status == 422
    assert list(error.errors) == ["/transition"]


def test_unavailable_is_409_and_says_from_which_state(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    error = refused(ticket.id, TransitionUnavailable, "reopen", ticket.lock_version, agent)
    assert error.status == 409 and "New" in str(error) and "Reopen" in str(error)


def test_a_guard_that_does_not_hold_is_unavailable(flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent, tier="standard")
    refused(ticket.id, TransitionUnavailable, "vip_solve", ticket.lock_version, agent)


def test_forbidden_is_403(setting: Setting, flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent)
    error = refused(ticket.id, TransitionForbidden, "escalate", ticket.lock_version, agent)
    assert error.status == 403
    outsider = member(setting.other_department_id)
    refused(ticket.id, TransitionForbidden, "wait", ticket.lock_version, outsider)


def test_invalid_reports_the_requirements_at_their_pointers(
    flow: TemplateForm, agent: User
) -> None:
    ticket = opened(flow, agent)
    error = refused(ticket.id, TransitionInvalid, "solve", ticket.lock_version, agent)
    assert isinstance(error, TicketInvalid) and error.status == 422
    assert list(error.errors) == ["/data/resolution"]
    error = refused(
        ticket.id, TransitionInvalid, "solve", ticket.lock_version, agent,
        data={"resolution": "short"},
    )
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/data/resolution"]


def test_data_is_merged_and_checked_against_the_template(flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent, summary="Printer jams", amount=20)
    error = refused(
        ticket.id, TicketInvalid, "solve", ticket.lock_version, agent,
        data={"resolution": 12, "amount": -1},
    )
    assert isinstance(error, TicketInvalid)
    assert set(error.errors) == {"/data/resolution", "/data/amount"}
    refused(ticket.id, TicketInvalid, "solve", ticket.lock_version, agent, data=["not", "a patch"])
    taken = take(
        ticket.id, "solve", ticket.lock_version, agent,
        data={"resolution": "Replaced the roller.", "summary": None},
    )
    stored = fresh(taken.ticket.id)
    assert stored.state == "solved"
    assert stored.data == {"amount": 20, "resolution": "Replaced the roller."}
    changed = {(e.pointer, e.old, e.new) for e in events(ticket.id) if e.kind == "field_changed"}
    assert changed == {
        ("/data/resolution", None, "Replaced the roller."),
        ("/data/summary", "Printer jams", None),
    }
    assert one_group_per_version(stored)


def test_a_bad_note_is_422(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    error = refused(ticket.id, TicketInvalid, "start", ticket.lock_version, agent, note="x" * 2001)
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/note"]


def test_a_stale_lock_version_is_409_and_writes_nothing(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    version = ticket.lock_version
    take(ticket.id, "start", version, agent)
    error = refused(ticket.id, StaleTicket, "wait", version, agent)
    assert isinstance(error, StaleTicket)
    assert (error.current_version, error.changed_by_id) == (version + 1, agent.id)


# ---------------------------------------------------------------------------------------------
# What follows: set, stamps, SLA


def test_set_writes_the_priority_and_the_due_times_follow(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket = opened(flow, agent)
    started = aware(ticket.sla_started_at)
    assert aware(ticket.resolution_due_at) == started + timedelta(hours=8)
    take(ticket.id, "escalate", ticket.lock_version, head)
    stored = fresh(ticket.id)
    assert (stored.state, stored.priority) == ("open", "urgent")
    assert aware(stored.resolution_due_at) == started + timedelta(hours=2)
    assert aware(stored.first_response_due_at) == started + timedelta(hours=1)
    kinds = {e.kind for e in events(ticket.id)}
    assert {"field_changed", "sla_changed"} <= kinds


def test_set_writes_data_and_stamps_follow_the_categories(
    flow: TemplateForm, agent: User
) -> None:
    ticket = opened(flow, agent)
    ticket = take(
        ticket.id, "solve", ticket.lock_version, agent, data={"resolution": "Rebooted the box."}
    ).ticket
    stored = fresh(ticket.id)
    assert (stored.category, stored.closed_at) == ("solved", None)
    assert stored.resolved_at is not None
    reopened = take(ticket.id, "reopen", stored.lock_version, agent).ticket
    assert fresh(reopened.id).resolved_at is None
    stored = fresh(ticket.id)
    solved = take(ticket.id, "solve", stored.lock_version, agent).ticket
    closed = take(ticket.id, "close", fresh(solved.id).lock_version, user("admin")).ticket
    stored = fresh(closed.id)
    assert (stored.state, stored.category) == ("closed", "closed")
    assert stored.closed_at is not None and stored.resolved_at is not None
    assert stored.data["closed_by"] == "workflow"
    assert one_group_per_version(stored)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The service's clock, set by the test: `clock[0] = <now>`."""
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(service, "utcnow", lambda: now[0])
    yield now


def test_waiting_pauses_the_clock_and_resuming_moves_the_due_times(
    flow: TemplateForm, agent: User, clock: list[datetime]
) -> None:
    start = clock[0]
    ticket = create(flow)
    assert aware(ticket.resolution_due_at) == start + timedelta(hours=8)
    ticket = take(ticket.id, "start", ticket.lock_version, agent).ticket
    clock[0] = start + timedelta(hours=1)
    take(ticket.id, "wait", ticket.lock_version, agent)
    paused = fresh(ticket.id)
    assert (paused.category, aware(paused.sla_paused_at)) == ("waiting", clock[0])
    assert paused.resolution_due_at is None and paused.first_response_due_at is None
    clock[0] = start + timedelta(hours=3)
    take(ticket.id, "resume", paused.lock_version, agent)
    resumed = fresh(ticket.id)
    assert resumed.sla_paused_at is None
    assert resumed.sla_paused_seconds == pytest.approx(7200)
    assert aware(resumed.resolution_due_at) == start + timedelta(hours=10)
    assert aware(resumed.first_response_due_at) == start + timedelta(hours=6)


# ---------------------------------------------------------------------------------------------
# Approval


def test_a_transition_needing_approval_opens_a_request_and_changes_nothing(
    setting: Setting, flow: TemplateForm, agent: User
) -> None:
    ticket = opened(flow, agent, amount=900)
    version = ticket.lock_version
    taken = take(
        ticket.id, "solve", version, agent, data={"resolution": "Refund the whole order."},
        note="Customer is a regular",
    )
    request = taken.approval
    assert request is not None
    assert (request.kind, request.status, request.transition) == ("transition", "pending", "solve")
    assert request.data == {"amount": 900, "resolution": "Refund the whole order."}
    assert (request.note, request.requested_by_id) == ("Customer is a regular", agent.id)
    assert [d.department_id for d in request.departments] == [setting.department_id]
    stored = fresh(ticket.id)
    assert (stored.state, stored.data) == ("open", {"amount": 900})
    assert stored.lock_version == version + 1  # one version: the request and its event
    last = events(ticket.id)[-1]
    assert (last.kind, last.note, last.actor_id) == (
        "approval_requested", "Customer is a regular", agent.id
    )
    assert last.new["approval_id"] == request.id and last.new["to"] == "solved"
    assert one_group_per_version(stored)
    # While it waits, nothing is offered and nothing else is taken.
    shown = offer(stored, agent)
    assert shown.transitions == [] and shown.pending is not None
    assert shown.pending.id == request.id
    refused(ticket.id, ApprovalPending, "wait", stored.lock_version, agent)
    refused(ticket.id, ApprovalPending, "solve", stored.lock_version, agent)
    count = db.session.scalar(
        select(func.count()).select_from(ApprovalRequest).where(
            ApprovalRequest.ticket_id == ticket.id
        )
    )
    assert count == 1


def test_a_request_below_the_approval_condition_completes_at_once(
    flow: TemplateForm, agent: User
) -> None:
    ticket = opened(flow, agent, amount=100)
    taken = take(
        ticket.id, "solve", ticket.lock_version, agent, data={"resolution": "Small refund sent."}
    )
    assert taken.approval is None and fresh(ticket.id).state == "solved"
    # Raising the amount with the transition itself is judged on the merged data.
    other = opened(flow, agent, amount=100)
    taken = take(
        other.id, "solve", other.lock_version, agent,
        data={"resolution": "Refund of the upgrade.", "amount": 700},
    )
    assert taken.approval is not None and fresh(other.id).state == "open"


# ---------------------------------------------------------------------------------------------
# The ticket page (no app context held by the test: each request has its own)


def publish_billing_flow(app: Flask) -> str:
    """The test workflow and a template following it, routed to Billing's group queue."""
    key = f"wfpage_{uuid.uuid4().hex[:10]}"
    with app.app_context():
        body = {"key": key, "title": key, "states": STATES, "initial": "new",
                "transitions": TRANSITIONS, "sla": SLA}
        store.publish(store.save_draft("workflow", key, body, None).id, None,
                      approved_by_import=True)
        template = {"key": key, "title": "Page test", "schema": SCHEMA,
                    "settings": {"default_department": "billing", "workflow": key}}
        store.publish(store.save_draft("template", key, template, None).id, None)
        db.session.remove()
    return key


def billing_ticket(app: Flask, key: str, **data: Any) -> tuple[int, int]:
    """(id, lock_version) of a new ticket of the template, in Billing's queue."""
    with app.app_context():
        ticket = create(published_template(key), **data)
        found = (ticket.id, ticket.lock_version)
        db.session.remove()
    return found


def stored_ticket(app: Flask, ticket_id: int) -> dict[str, Any]:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        found = {"state": ticket.state, "lock_version": ticket.lock_version,
                 "data": dict(ticket.data), "assignee_id": ticket.assignee_id,
                 "department_id": ticket.department_id}
        db.session.remove()
    return found


def post_transition(client: FlaskClient, ticket_id: int, app: Flask, name: str,
                    **fields: str) -> Any:
    version = stored_ticket(app, ticket_id)["lock_version"]
    form = {"lock_version": str(version), "transition": name, **fields}
    return client.post(f"/tickets/{ticket_id}/transition", data=form)


def test_the_page_offers_the_transitions_and_shows_state_and_sla(
    app: Flask, client_as: Any
) -> None:
    key = publish_billing_flow(app)
    ticket_id, _version = billing_ticket(app, key)
    page = client_as("agent").get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert 'id="transition-start"' in page.text and 'id="transition-solve"' not in page.text
    assert 'id="claim"' in page.text and 'id="transfer-form"' in page.text
    assert 'id="wf-state">New<' in page.text
    assert "First response" in page.text and "left" in page.text


def test_a_refused_transition_shows_the_message_at_the_field_and_keeps_the_value(
    app: Flask, client_as: Any
) -> None:
    key = publish_billing_flow(app)
    ticket_id, _version = billing_ticket(app, key, summary="Charged twice")
    agent = client_as("agent")
    assert post_transition(agent, ticket_id, app, "start").status_code == 302
    page = agent.get(f"/tickets/{ticket_id}")
    assert 'name="t-solve-/resolution"' in page.text  # the field solve requires
    before = stored_ticket(app, ticket_id)
    refused = post_transition(
        agent, ticket_id, app, "solve", **{"t-solve-/resolution": "too short", "note": "n1"}
    )
    assert refused.status_code == 422
    group = re.search(
        r'<div class="form-group has-error" data-tf-field="t-solve-/resolution".*?</div>',
        refused.text, re.S,
    )
    assert group is not None, refused.text
    assert "at least 10" in group.group(0) and 'value="too short"' in group.group(0)
    assert 'value="n1"' in refused.text
    assert 'name="/summary" class="form-control" type="text" value="Charged twice"' in refused.text
    assert stored_ticket(app, ticket_id) == before
    done = post_transition(
        agent, ticket_id, app, "solve", **{"t-solve-/resolution": "Refunded the fee."}
    )
    assert done.status_code == 302
    after = stored_ticket(app, ticket_id)
    assert (after["state"], after["data"]["resolution"]) == ("solved", "Refunded the fee.")


def test_the_page_says_what_is_pending_and_why_a_move_was_refused(
    app: Flask, client_as: Any
) -> None:
    key = publish_billing_flow(app)
    ticket_id, version = billing_ticket(app, key, amount=900)
    agent = client_as("agent")
    stale = agent.post(
        f"/tickets/{ticket_id}/transition",
        data={"lock_version": str(version + 3), "transition": "start"},
    )
    assert stale.status_code == 409 and "nothing was saved" in stale.text
    assert post_transition(agent, ticket_id, app, "start").status_code == 302
    asked = post_transition(
        agent, ticket_id, app, "solve", **{"t-solve-/resolution": "Refund it all, please."}
    )
    assert asked.status_code == 302
    page = agent.get(f"/tickets/{ticket_id}")
    assert 'id="pending-approval"' in page.text and "Solve" in page.text
    assert 'class="transition-form' not in page.text
    refused = post_transition(agent, ticket_id, app, "wait")
    assert refused.status_code == 409 and 'id="wf-refused"' in refused.text
    assert stored_ticket(app, ticket_id)["state"] == "open"
