"""Creators and commenters keep reading a ticket routed or transferred out of their departments.

agent1 works in frontline; the demo refund workflow routes every refund to billing. What agent1
creates there they may read, reply to and find under "Created by me", not change; a frontline
colleague who neither created nor commented still gets a 404, as for any other department.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Department
from app.security import security_manager
from app.tickets.models import Ticket
from app.tickets.service import add_comment, create_ticket
from app.tickets.templates import published_template
from tests.app.api.test_tickets_api import bearer
from tests.app.test_ticket_views import order_number, posted, refund_data, ticket_by_order
from tests.conftest import login


def _created_by_agent1(app: Flask) -> tuple[Any, Ticket]:
    """agent1's client and the refund they created through the page (routed to billing)."""
    client = login(app.test_client(), "agent1")
    order = order_number()
    response = client.post("/tickets/new/refund", data=posted(app, "refund", refund_data(order)))
    assert response.status_code == 302, response.text
    ticket = ticket_by_order(app, order)
    assert ticket is not None
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    return client, ticket


def _user_id(app: Flask, username: str) -> int:
    with app.app_context():
        user_id = int(security_manager().find_user(username=username).id)
        db.session.remove()
    return user_id


def _department_id(app: Flask, key: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Department.id).where(Department.key == key))
        db.session.remove()
    assert found is not None
    return int(found)


def test_the_creator_reads_a_ticket_routed_elsewhere(app: Flask) -> None:
    client, ticket = _created_by_agent1(app)
    assert ticket.department_id == _department_id(app, "billing")
    assert ticket.created_by_id == _user_id(app, "agent1")
    page = client.get(f"/tickets/{ticket.id}")
    assert page.status_code == 200
    assert ticket.number in page.text
    assert ticket.subject in page.text
    assert 'id="read-only"' in page.text
    for action in ('id="edit-panel"', 'id="assign-form"', "transition-form", 'id="claim-form"'):
        assert action not in page.text, action
    assert 'name="body"' in page.text  # the reply box stays
    own = login(app.test_client(), "agent3").get(f"/tickets/{ticket.id}")  # billing works on it
    assert 'id="edit-panel"' in own.text and 'id="read-only"' not in own.text


def test_the_creator_finds_it_under_created_by_me_only(app: Flask) -> None:
    client, ticket = _created_by_agent1(app)
    created = client.get("/tickets/?view=created")
    assert created.status_code == 200
    assert ticket.number in created.text
    for view in ("all", "mine", "queue"):
        assert ticket.number not in client.get(f"/tickets/?view={view}").text, view


def test_a_colleague_who_did_not_create_it_gets_404(app: Flask) -> None:
    _, ticket = _created_by_agent1(app)
    colleague = login(app.test_client(), "agent2")  # frontline too
    assert colleague.get(f"/tickets/{ticket.id}").status_code == 404
    assert ticket.number not in colleague.get("/tickets/?view=created").text


def test_the_creator_may_reply_but_not_change_it(app: Flask) -> None:
    client, ticket = _created_by_agent1(app)
    reply = client.post(f"/tickets/{ticket.id}/comment", data={"body": "Any news?"})
    assert reply.status_code == 302
    with app.app_context():
        stored = db.session.get(Ticket, ticket.id)
        assert stored is not None
        assert [c.body for c in stored.comments] == ["Any news?"]
        version = stored.lock_version
        db.session.remove()
    edit = client.post(
        f"/tickets/{ticket.id}/edit",
        data=posted(app, "refund", refund_data("SO-1"), lock_version=str(version)),
    )
    assert edit.status_code == 403
    assert client.post(f"/tickets/{ticket.id}/claim").status_code == 403
    with app.app_context():
        after = db.session.get(Ticket, ticket.id)
        assert after is not None and after.lock_version == version
        assert after.data["order_number"] == ticket.data["order_number"]
        db.session.remove()


def test_a_commenter_keeps_reading_after_the_ticket_moves(app: Flask) -> None:
    agent1 = _user_id(app, "agent1")
    with app.app_context():
        tf = published_template("refund")
        ticket = create_ticket(
            template="refund",
            template_version=tf.version,
            subject="Moved away",
            department_id=_department_id(app, "technical"),
            data=refund_data(order_number()),
        )
        pk = ticket.id
        db.session.remove()
    client = login(app.test_client(), "agent1")
    assert client.get(f"/tickets/{pk}").status_code == 404
    with app.app_context():
        add_comment(pk, "Looked at it before it moved.", agent1, internal=True)
        db.session.remove()
    assert client.get(f"/tickets/{pk}").status_code == 200


def test_the_api_reads_lists_and_refuses_changes_alike(app: Flask) -> None:
    _, ticket = _created_by_agent1(app)
    client = app.test_client()
    headers = bearer(app, "agent1")
    read = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers)
    assert read.status_code == 200, read.json
    version = read.json["result"]["lock_version"]
    listed = client.get("/api/v1/tickets/?created_by=me", headers=headers)
    assert listed.status_code == 200, listed.json
    assert ticket.id in [t["id"] for t in listed.json["result"]]
    everyone = client.get("/api/v1/tickets/", headers=headers)
    assert ticket.id not in [t["id"] for t in everyone.json["result"]]
    patch = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"lock_version": version, "priority": "high"},
        headers=headers,
    )
    assert patch.status_code == 403
    assert "another department" in patch.json["message"]
    other = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(app, "agent2"))
    assert other.status_code == 404
    bad = client.get("/api/v1/tickets/?created_by=someone", headers=headers)
    assert bad.status_code == 400
