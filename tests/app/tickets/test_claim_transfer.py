"""Claiming (抢单) from the group queue, race-free; transferring with a reason."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Department
from app.tickets.errors import AlreadyClaimed, NotAMember, StaleTicket, TicketError, TicketInvalid
from app.tickets.models import Ticket
from app.tickets.service import update_ticket
from app.tickets.templates import TemplateForm
from app.tickets.transitions import claim, take, transfer
from tests.app.tickets.conftest import Setting
from tests.app.tickets.test_transitions import (
    billing_ticket,
    create,
    events,
    fresh,
    member,
    one_group_per_version,
    opened,
    publish_billing_flow,
    publish_flow,
    stored_ticket,
    user,
)


@pytest.fixture
def flow(setting: Setting) -> TemplateForm:
    return publish_flow(setting)


@pytest.fixture
def agent(setting: Setting) -> User:
    return member(setting.department_id)


# ---------------------------------------------------------------------------------------------
# Claim


def test_an_agent_claims_an_unassigned_ticket(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    version = ticket.lock_version
    assert ticket.assignee_id is None
    claimed = claim(ticket.id, agent)
    stored = fresh(claimed.id)
    assert (stored.assignee_id, stored.lock_version) == (agent.id, version + 1)
    last = events(ticket.id)[-1]
    assert (last.kind, last.pointer, last.old, last.new, last.actor_id) == (
        "claimed", "/assignee_id", None, agent.id, agent.id
    )
    assert one_group_per_version(stored)


def test_a_head_may_claim_too(setting: Setting, flow: TemplateForm) -> None:
    head = member(setting.department_id, "head", "DepartmentHead")
    assert fresh(claim(create(flow).id, head).id).assignee_id == head.id


def test_a_claimed_ticket_names_who_has_it(
    setting: Setting, flow: TemplateForm, agent: User
) -> None:
    ticket = create(flow)
    claim(ticket.id, agent)
    other = member(setting.department_id)
    count = len(events(ticket.id))
    with pytest.raises(AlreadyClaimed) as caught:
        claim(ticket.id, other)
    assert caught.value.status == 409 and caught.value.assignee_id == agent.id
    assert agent.last_name in str(caught.value)
    assert fresh(ticket.id).assignee_id == agent.id and len(events(ticket.id)) == count


def test_only_members_claim(setting: Setting, flow: TemplateForm) -> None:
    ticket = create(flow)
    for outsider in (member(setting.other_department_id), user("admin")):
        with pytest.raises(NotAMember) as caught:
            claim(ticket.id, outsider)
        assert caught.value.status == 403
    assert fresh(ticket.id).assignee_id is None


def test_a_solved_ticket_is_not_claimed(flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent)
    take(ticket.id, "solve", ticket.lock_version, agent, data={"resolution": "Fixed it, done."})
    with pytest.raises(AlreadyClaimed) as caught:
        claim(ticket.id, agent)
    assert caught.value.assignee_id is None and "solved" in str(caught.value)
    assert fresh(ticket.id).assignee_id is None


def race(app: Flask, ticket_id: int, user_ids: list[int]) -> tuple[list[int], list[int | None]]:
    """Every user claims the ticket at the same moment, each in a thread of its own.

    (winners, who the losers were told has it); a thread's unexpected failure fails the test.
    """
    winners: list[int] = []
    losers: list[int | None] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(user_ids))

    def work(user_id: int) -> None:
        try:
            with app.app_context():
                me = db.session.get(User, user_id)
                start.wait()
                try:
                    claim(ticket_id, me)
                    with lock:
                        winners.append(user_id)
                except AlreadyClaimed as exc:
                    with lock:
                        losers.append(exc.assignee_id)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return winners, losers


@pytest.mark.backend("postgresql")
def test_agents_claiming_at_once_exactly_one_wins(
    app: Flask, setting: Setting, flow: TemplateForm
) -> None:
    ids = [member(setting.department_id).id for _ in range(8)]
    for _round in range(5):
        ticket_id = create(flow).id
        winners, losers = race(app, ticket_id, ids)
        assert len(winners) == 1 and losers == [winners[0]] * (len(ids) - 1)
        stored = fresh(ticket_id)
        assert stored.assignee_id == winners[0] and stored.lock_version == 2
        assert [e.kind for e in events(ticket_id)].count("claimed") == 1


# ---------------------------------------------------------------------------------------------
# Transfer


def test_transfer_to_another_agent_records_the_reason(
    setting: Setting, flow: TemplateForm, agent: User
) -> None:
    ticket = create(flow)
    claim(ticket.id, agent)
    other = member(setting.department_id)
    version = fresh(ticket.id).lock_version
    moved = transfer(
        ticket.id, version, agent, assignee_id=other.id, reason=" Knows printers "
    )
    after = fresh(moved.id)
    assert (after.assignee_id, after.department_id) == (other.id, setting.department_id)
    assert after.lock_version == version + 1
    rows = events(ticket.id)[-2:]
    assert [(e.kind, e.pointer, e.note) for e in rows] == [
        ("assigned", "/assignee_id", "Knows printers"),
        ("transferred", None, "Knows printers"),
    ]
    assert rows[1].old == {"department_id": setting.department_id, "assignee_id": agent.id}
    assert rows[1].new == {"department_id": setting.department_id, "assignee_id": other.id}
    assert rows[0].at == rows[1].at
    assert one_group_per_version(after)


def test_transfer_to_another_department_queue_or_member(
    setting: Setting, flow: TemplateForm, agent: User
) -> None:
    ticket = create(flow)
    claim(ticket.id, agent)
    version = fresh(ticket.id).lock_version
    transfer(
        ticket.id, version, agent, department_id=setting.other_department_id,
        reason="Billing question",
    )
    after = fresh(ticket.id)
    assert (after.department_id, after.assignee_id) == (setting.other_department_id, None)
    assert {e.pointer for e in events(ticket.id) if e.kind == "assigned"} == {
        "/department_id", "/assignee_id"
    }
    there = member(setting.other_department_id)
    transfer(
        ticket.id, after.lock_version, there, department_id=setting.department_id,
        assignee_id=agent.id, reason="Back to the printer team",
    )
    back = fresh(ticket.id)
    assert (back.department_id, back.assignee_id) == (setting.department_id, agent.id)
    assert one_group_per_version(back)


def refused(
    ticket: Ticket, error: type[TicketError], actor: User, version: int | None = None,
    **kwargs: Any,
) -> TicketError:
    """Transfer in a way that must be refused; check that nothing was written."""
    before = fresh(ticket.id)
    place = (before.department_id, before.assignee_id, before.lock_version)
    count = len(events(ticket.id))
    with pytest.raises(error) as caught:
        transfer(ticket.id, before.lock_version if version is None else version, actor, **kwargs)
    after = fresh(ticket.id)
    assert (after.department_id, after.assignee_id, after.lock_version) == place
    assert len(events(ticket.id)) == count
    return caught.value


def test_transfer_refusals_write_nothing(setting: Setting, flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    other = member(setting.department_id)
    outsider = member(setting.other_department_id)
    error = refused(ticket, TicketInvalid, agent, assignee_id=other.id, reason="  ")
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/reason"]
    error = refused(ticket, TicketInvalid, agent, assignee_id=outsider.id, reason="why not")
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/assignee"]
    error = refused(ticket, TicketInvalid, agent, department_id=10**9, reason="nowhere")
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/department"]
    error = refused(ticket, TicketInvalid, agent, reason="no target")
    assert isinstance(error, TicketInvalid) and list(error.errors) == [""]
    error = refused(
        ticket, TicketInvalid, agent, department_id=setting.department_id, reason="same place"
    )
    assert isinstance(error, TicketInvalid) and list(error.errors) == ["/department"]
    refused(ticket, NotAMember, outsider, assignee_id=other.id, reason="not mine")
    stale = ticket.lock_version
    update_ticket(ticket.id, {"subject": "Changed meanwhile"}, stale, agent.id)
    error = refused(ticket, StaleTicket, agent, version=stale, assignee_id=other.id, reason="old")
    assert error.status == 409


# ---------------------------------------------------------------------------------------------
# The ticket page (no app context held by the test: each request has its own)


def test_claim_from_the_page_and_who_has_it(app: Flask, client_as: Any) -> None:
    key = publish_billing_flow(app)
    ticket_id, _version = billing_ticket(app, key)
    assert client_as("agent").post(f"/tickets/{ticket_id}/claim").status_code == 302
    with app.app_context():
        agent3 = user("agent3").id
        db.session.remove()
    assert stored_ticket(app, ticket_id)["assignee_id"] == agent3
    page = client_as("head").get(f"/tickets/{ticket_id}")
    assert 'id="claim"' not in page.text
    late = client_as("head").post(f"/tickets/{ticket_id}/claim")
    assert late.status_code == 409
    assert 'id="claim-refused"' in late.text and "Agent3" in late.text
    assert stored_ticket(app, ticket_id)["assignee_id"] == agent3


def test_transfer_from_the_page_keeps_the_input_when_refused(
    app: Flask, client_as: Any
) -> None:
    key = publish_billing_flow(app)
    ticket_id, version = billing_ticket(app, key)
    with app.app_context():
        frontline = db.session.scalar(select(Department.id).where(Department.key == "frontline"))
        db.session.remove()
    agent = client_as("agent")
    target = f"department:{frontline}"
    refused = agent.post(
        f"/tickets/{ticket_id}/transfer",
        data={"lock_version": str(version), "target": target, "reason": "  "},
    )
    assert refused.status_code == 422
    assert 'id="transfer-errors"' in refused.text
    assert f'value="{target}" selected' in refused.text
    assert stored_ticket(app, ticket_id)["department_id"] != frontline
    moved = agent.post(
        f"/tickets/{ticket_id}/transfer",
        data={"lock_version": str(version), "target": target, "reason": "Frontline asks"},
    )
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/tickets/")
    assert stored_ticket(app, ticket_id)["department_id"] == frontline
