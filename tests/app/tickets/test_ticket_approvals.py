"""Transitions waiting for a department head: approving completes them, rejecting keeps all."""

from __future__ import annotations

import pytest
from flask_appbuilder.security.sqla.models import User

from app.approvals import AlreadyDecided, CommentRequired, NotAllowed
from app.extensions import db
from app.models import ApprovalRequest, AuditLog
from app.tickets.approvals import decide_transition
from app.tickets.errors import ApprovalPending, TransitionLapsed
from app.tickets.models import Ticket
from app.tickets.service import change_state, update_ticket
from app.tickets.templates import TemplateForm
from app.tickets.transitions import take
from tests.app.tickets.conftest import Setting
from tests.app.tickets.test_transitions import (
    events,
    fresh,
    member,
    one_group_per_version,
    opened,
    publish_flow,
)


@pytest.fixture
def flow(setting: Setting) -> TemplateForm:
    return publish_flow(setting)


@pytest.fixture
def agent(setting: Setting) -> User:
    return member(setting.department_id)


@pytest.fixture
def head(setting: Setting) -> User:
    return member(setting.department_id, "head", "DepartmentHead")


def requested(flow: TemplateForm, by: User, **data: object) -> tuple[Ticket, ApprovalRequest]:
    """An open ticket with a refund over the limit, its solve waiting for approval."""
    ticket = opened(flow, by, amount=900, summary="Broken on arrival", **data)
    taken = take(
        ticket.id, "solve", ticket.lock_version, by,
        data={"resolution": "Refund the whole order."}, note="Regular customer",
    )
    assert taken.approval is not None
    return fresh(ticket.id), taken.approval


def stored_request(approval_id: int) -> ApprovalRequest:
    db.session.expire_all()
    found = db.session.get(ApprovalRequest, approval_id)
    assert found is not None
    return found


def test_approving_completes_the_transition(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket, request = requested(flow, agent)
    version = ticket.lock_version
    done = decide_transition(request.id, head.id, True, "Fine by me")
    stored = fresh(done.id)
    assert (stored.state, stored.category) == ("solved", "solved")
    assert stored.resolved_at is not None and stored.lock_version == version + 1
    assert stored.data["resolution"] == "Refund the whole order."
    decided = stored_request(request.id)
    assert (decided.status, decided.decided_by_id, decided.comment) == (
        "approved", head.id, "Fine by me"
    )
    rows = events(ticket.id)
    last = rows[-1]
    assert (last.kind, last.actor_id, last.note) == ("approval_decided", head.id, "Fine by me")
    assert last.new == {"approval_id": request.id, "transition": "solve", "decision": "approved"}
    moved = next(e for e in rows if e.kind == "state_changed" and e.new == "solved")
    assert (moved.actor_id, moved.note, moved.at) == (head.id, "Regular customer", last.at)
    assert one_group_per_version(stored)
    assert db.session.query(AuditLog).filter_by(object_id=request.id, action="approve").count()


def test_rejecting_keeps_the_ticket_with_the_heads_comment(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket, request = requested(flow, agent)
    with pytest.raises(CommentRequired) as caught:
        decide_transition(request.id, head.id, False, "   ")
    assert caught.value.status == 422 and list(caught.value.errors) == ["/comment"]
    assert stored_request(request.id).status == "pending"
    decide_transition(request.id, head.id, False, "Ask for the receipt first")
    stored = fresh(ticket.id)
    assert (stored.state, stored.data.get("resolution")) == ("open", None)
    decided = stored_request(request.id)
    assert (decided.status, decided.comment) == ("rejected", "Ask for the receipt first")
    last = events(ticket.id)[-1]
    assert (last.kind, last.note, last.actor_id) == (
        "approval_decided", "Ask for the receipt first", head.id
    )
    assert last.new["decision"] == "rejected"
    assert one_group_per_version(stored)
    # Decided: transitions are offered again, and the agent may ask once more.
    taken = take(
        ticket.id, "solve", stored.lock_version, agent, data={"resolution": "Receipt attached."}
    )
    assert taken.approval is not None and taken.approval.id != request.id


def test_the_requester_and_agents_cannot_decide(
    setting: Setting, flow: TemplateForm, agent: User, head: User
) -> None:
    ticket, request = requested(flow, head)
    for who in (head, agent, member(setting.other_department_id, "head", "DepartmentHead")):
        with pytest.raises(NotAllowed) as caught:
            decide_transition(request.id, who.id, True, None)
        assert caught.value.status == 403
    assert stored_request(request.id).status == "pending"
    assert fresh(ticket.id).state == "open"
    second = member(setting.department_id, "head", "DepartmentHead")
    decide_transition(request.id, second.id, True, None)
    assert fresh(ticket.id).state == "solved"


def test_a_second_decision_is_409(flow: TemplateForm, agent: User, head: User) -> None:
    ticket, request = requested(flow, agent)
    decide_transition(request.id, head.id, False, "No")
    count = len(events(ticket.id))
    for approve in (True, False):
        with pytest.raises(AlreadyDecided) as caught:
            decide_transition(request.id, head.id, approve, "Changed my mind")
        assert caught.value.status == 409
    assert stored_request(request.id).status == "rejected"
    assert len(events(ticket.id)) == count and fresh(ticket.id).state == "open"


def test_one_request_per_ticket_while_pending(flow: TemplateForm, agent: User, head: User) -> None:
    ticket, request = requested(flow, agent)
    with pytest.raises(ApprovalPending) as caught:
        take(
            ticket.id, "solve", ticket.lock_version, head,
            data={"resolution": "Another attempt at it."},
        )
    assert caught.value.status == 409
    assert db.session.query(ApprovalRequest).filter_by(ticket_id=ticket.id).count() == 1


def test_edits_made_meanwhile_are_kept_when_approved(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket, request = requested(flow, agent)
    data = {**ticket.data, "summary": "Broken on arrival, box damaged"}
    update_ticket(ticket.id, {"data": data}, ticket.lock_version, head.id)
    decide_transition(request.id, head.id, True, None)
    stored = fresh(ticket.id)
    assert stored.state == "solved"
    assert stored.data == {
        "amount": 900,
        "summary": "Broken on arrival, box damaged",
        "resolution": "Refund the whole order.",
    }


def test_approved_after_the_ticket_moved_records_it_and_leaves_the_ticket(
    flow: TemplateForm, agent: User, head: User
) -> None:
    ticket, request = requested(flow, agent)
    change_state(ticket.id, "closed", ticket.lock_version, None)  # e.g. an automation
    moved = fresh(ticket.id)
    with pytest.raises(TransitionLapsed) as caught:
        decide_transition(request.id, head.id, True, "OK")
    assert caught.value.status == 409
    assert "Closed" in str(caught.value) and "left as it is" in str(caught.value)
    assert stored_request(request.id).status == "approved"
    stored = fresh(ticket.id)
    assert (stored.state, stored.data) == ("closed", moved.data)
    assert events(ticket.id)[-1].kind == "approval_decided"
    assert one_group_per_version(stored)
