"""Agent ticket pages: create through the generated form, lists, detail, stale edits, scoping."""

from __future__ import annotations

import random
import re
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Department
from app.tickets.models import Comment, Ticket, TicketEvent
from app.tickets.service import create_ticket, update_ticket
from app.tickets.templates import published_template


def order_number() -> str:
    return f"SO-{random.randrange(10**8):08d}"


def refund_data(order: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": f"Charged twice for {order}",
        "order_number": order,
        "refund_amount": 120.5,
        "currency": "CNY",
        "reason": "duplicate_charge",
        "bank_account_last4": "4821",
        "contact": "li.na@example.com",
        **extra,
    }


def posted(app: Flask, key: str, data: dict[str, Any], **system: str) -> MultiDict[str, Any]:
    """What a browser posts for the template's form filled with `data`, plus system fields."""
    with app.app_context():
        body = published_template(key).form.encode(data)
        db.session.remove()
    fields = {
        "priority": "normal",
        "requester_name": "Li Na",
        "requester_email": "li.na@example.com",
        "requester_phone": "",
        **system,
    }
    for name, value in fields.items():
        body[name] = value
    return body


def ticket_by_order(app: Flask, order: str) -> Ticket | None:
    with app.app_context():
        rows = db.session.scalars(select(Ticket).where(Ticket.template == "refund")).all()
        found = next((t for t in rows if (t.data or {}).get("order_number") == order), None)
        if found is not None:
            db.session.expunge(found)
        db.session.remove()
    return found


def make_ticket(app: Flask, key: str, department: str, data: dict[str, Any]) -> tuple[int, str]:
    """A ticket created directly through the service (for list and scoping tests)."""
    with app.app_context():
        tf = published_template(key)
        dept = db.session.scalar(select(Department).where(Department.key == department))
        assert dept is not None
        ticket = create_ticket(
            template=key,
            template_version=tf.version,
            subject=str(data.get("summary") or "test"),
            department_id=dept.id,
            data=data,
        )
        out = (ticket.id, ticket.number)
        db.session.remove()
    return out


def lock_version(app: Flask, ticket_id: int) -> int:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        version = ticket.lock_version
        db.session.remove()
    return version


def test_new_index_lists_the_published_templates(client_as: Any) -> None:
    page = client_as("agent").get("/tickets/new/")
    assert page.status_code == 200
    for key in ("it_support", "repair", "refund", "complaint"):
        assert f"/tickets/new/{key}" in page.text


def test_form_renders_with_system_fields_and_script(client_as: Any) -> None:
    page = client_as("agent").get("/tickets/new/refund")
    assert page.status_code == 200
    assert 'name="requester_email"' in page.text
    assert 'name="priority"' in page.text
    assert 'name="subject"' not in page.text  # the template names its subject (/summary)
    assert "tessera-forms.js" in page.text
    script = re.search(r'src="([^"]*tessera-forms\.js)"', page.text)
    assert script and client_as("agent").get(script.group(1)).status_code == 200


def test_unknown_template_is_404(client_as: Any) -> None:
    assert client_as("agent").get("/tickets/new/no_such_template").status_code == 404


def test_create_through_the_form(app: Flask, client_as: Any) -> None:
    order = order_number()
    response = client_as("agent").post(
        "/tickets/new/refund", data=posted(app, "refund", refund_data(order), priority="high")
    )
    assert response.status_code == 302, response.text
    ticket = ticket_by_order(app, order)
    assert ticket is not None
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    assert ticket.channel == "agent"
    assert ticket.assignee_id is None
    assert ticket.priority == "high"
    assert ticket.subject == f"Charged twice for {order}"
    assert ticket.requester_email == "li.na@example.com"
    assert ticket.data["refund_amount"] == 120.5
    with app.app_context():
        billing = db.session.scalar(select(Department).where(Department.key == "billing"))
        assert billing is not None and ticket.department_id == billing.id
        kinds = db.session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
        ).all()
        db.session.remove()
    assert kinds == ["created"]


def test_invalid_create_is_422_with_field_errors_and_saves_nothing(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    body = posted(
        app, "refund", refund_data(order, bank_account_last4="12ab"), requester_email="nope"
    )
    response = client_as("agent").post("/tickets/new/refund", data=body)
    assert response.status_code == 422
    assert "Not a valid email address." in response.text
    assert "has-error" in response.text
    assert "12ab" in response.text  # the typed value is kept
    assert ticket_by_order(app, order) is None


def test_conditional_field_is_required_when_its_condition_holds(
    app: Flask, client_as: Any
) -> None:
    summary = f"Locked out {order_number()}"
    data = {
        "summary": summary,
        "category": "account",
        "urgency": "high",
        "description": "Cannot log in since this morning.",
        "contact": "zhang.wei@example.com",
    }
    client = client_as("admin")
    response = client.post("/tickets/new/it_support", data=posted(app, "it_support", data))
    assert response.status_code == 422
    # The error sits on the username field the condition made required.
    error = re.search(r'id="tf--2f-username-err"[^>]*>([^<]*)<', response.text)
    assert error and error.group(1) == "This field is required."
    assert 'data-tf-field="/username"' in response.text
    with app.app_context():
        assert db.session.scalar(select(Ticket).where(Ticket.subject == summary)) is None
        db.session.remove()
    fixed = posted(app, "it_support", {**data, "username": "zhang.wei"})
    assert client.post("/tickets/new/it_support", data=fixed).status_code == 302


def test_list_filters_by_a_custom_field(app: Flask, client_as: Any) -> None:
    order = order_number()
    base = order[:-1]
    make_ticket(app, "refund", "billing", refund_data(base + "1", reason="other"))
    _, wanted = make_ticket(app, "refund", "billing", refund_data(base + "2"))
    client = client_as("agent")
    page = client.get(
        "/tickets/",
        query_string={
            "template": "refund",
            "f.order_number.prefix": base,
            "f.reason": "duplicate_charge",
            "f.refund_amount.min": "100",
            "f.currency": "",
        },
    )
    assert page.status_code == 200
    assert wanted in page.text
    assert base + "1" not in page.text
    assert "1 ticket" in page.text
    # The template's list_columns are the columns; filters are generated from its schema.
    assert base + "2" in page.text
    assert 'name="f.refund_amount.min"' in page.text
    assert 'name="f.reason"' in page.text


def test_list_pagination_with_a_cursor(app: Flask, client_as: Any) -> None:
    base = order_number()[:-1]
    numbers = [make_ticket(app, "refund", "billing", refund_data(base + str(i)))[1] for i in "123"]
    client = client_as("agent")
    args = {"template": "refund", "f.order_number.prefix": base, "limit": "2"}
    first = client.get("/tickets/", query_string=args)
    assert first.status_code == 200
    assert numbers[2] in first.text and numbers[1] in first.text and numbers[0] not in first.text
    assert "3 tickets" in first.text
    link = re.search(r'id="next-page"[^>]*href="([^"]+)"', first.text)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert numbers[0] in second.text and numbers[2] not in second.text
    assert 'id="next-page"' not in second.text


def test_list_views_mine_queue_and_bad_cursor(app: Flask, client_as: Any) -> None:
    ticket_id, number = make_ticket(app, "refund", "billing", refund_data(order_number()))
    client = client_as("agent")
    assert number in client.get("/tickets/?view=queue").text
    assert number not in client.get("/tickets/?view=mine").text
    assert client.get("/tickets/?cursor=garbage").status_code == 400


def test_detail_shows_fields_history_and_edit_form(app: Flask, client_as: Any) -> None:
    order = order_number()
    ticket_id, number = make_ticket(app, "refund", "billing", refund_data(order))
    client = client_as("agent")
    with app.app_context():
        update_ticket(
            ticket_id, {"data": refund_data(order, currency="USD")}, lock_version(app, ticket_id),
            None,
        )
        db.session.remove()
    page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert number in page.text and order in page.text
    assert "created" in page.text and "/data/currency" in page.text
    assert f'name="lock_version" value="{lock_version(app, ticket_id)}"' in page.text


def test_edit_saves_and_records_the_change(app: Flask, client_as: Any) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    body = posted(
        app, "refund", refund_data(order, refund_amount=99), subject="Edited",
        lock_version=str(lock_version(app, ticket_id)),
    )
    response = client_as("agent").post(f"/tickets/{ticket_id}/edit", data=body)
    assert response.status_code == 302, response.text
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.data["refund_amount"] == 99 and ticket.subject == "Edited"
        pointers = db.session.scalars(
            select(TicketEvent.pointer).where(TicketEvent.ticket_id == ticket_id)
        ).all()
        db.session.remove()
    assert "/data/refund_amount" in pointers and "/subject" in pointers


def test_stale_edit_is_409_names_who_and_keeps_the_typed_values(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head = client_as("head")
    read = str(lock_version(app, ticket_id))
    first = posted(
        app, "refund", refund_data(order, currency="USD"), subject="S", lock_version=read
    )
    assert head.post(f"/tickets/{ticket_id}/edit", data=first).status_code == 302
    typed = posted(
        app, "refund", refund_data(order, refund_amount=777.77), subject="S", lock_version=read
    )
    response = client_as("agent").post(f"/tickets/{ticket_id}/edit", data=typed)
    assert response.status_code == 409
    assert "Head1 Demo" in response.text
    assert "777.77" in response.text  # the agent's value is still in the form
    assert "USD" in response.text  # the current version's values are shown
    assert f'name="lock_version" value="{lock_version(app, ticket_id)}"' in response.text
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.data["refund_amount"] == 120.5
        db.session.remove()


def test_reply_and_internal_note(app: Flask, client_as: Any) -> None:
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order_number()))
    client = client_as("agent")
    reply = f"reply {order_number()}"
    note = f"note <b>{order_number()}</b>"
    assert client.post(f"/tickets/{ticket_id}/comment", data={"body": reply}).status_code == 302
    response = client.post(f"/tickets/{ticket_id}/comment", data={"body": note, "internal": "1"})
    assert response.status_code == 302
    page = client.get(f"/tickets/{ticket_id}")
    assert reply in page.text
    assert "note &lt;b&gt;" in page.text  # escaped
    assert "Internal note" in page.text
    with app.app_context():
        rows = db.session.scalars(select(Comment).where(Comment.ticket_id == ticket_id)).all()
        assert sorted((c.body, c.internal) for c in rows) == sorted([(reply, False), (note, True)])
        db.session.remove()
    assert client.post(f"/tickets/{ticket_id}/comment", data={"body": " "}).status_code == 303


def test_billing_agent_cannot_reach_a_repair_ticket(app: Flask, client_as: Any) -> None:
    ticket_id, number = make_ticket(
        app, "repair", "repair", {"summary": f"Repair {order_number()}"}
    )
    agent = client_as("agent")
    assert agent.get(f"/tickets/{ticket_id}").status_code == 404
    edit = agent.post(f"/tickets/{ticket_id}/edit", data={"lock_version": "0", "subject": "x"})
    assert edit.status_code == 404
    comment = agent.post(f"/tickets/{ticket_id}/comment", data={"body": "sneaky"})
    assert comment.status_code == 404
    for view in ("all", "queue", "mine"):
        assert number not in agent.get(f"/tickets/?view={view}").text
    assert number not in agent.get("/tickets/?template=repair").text
    with app.app_context():
        assert not db.session.scalars(select(Comment).where(Comment.ticket_id == ticket_id)).all()
        db.session.remove()
    admin = client_as("admin")
    assert admin.get(f"/tickets/{ticket_id}").status_code == 200
    assert number in admin.get("/tickets/?view=all&template=repair").text


def test_capped_count_is_said_and_values_are_escaped(
    app: Flask, client_as: Any, monkeypatch: Any
) -> None:
    import app.views.tickets as views

    base = order_number()[:-1]
    for i in "12":
        make_ticket(
            app, "refund", "billing",
            refund_data(base + i, summary=f"<script>alert({i})</script> refund"),
        )
    monkeypatch.setattr(views, "COUNT_CAP", 1)
    page = client_as("agent").get(
        "/tickets/", query_string={"template": "refund", "f.order_number.prefix": base}
    )
    assert page.status_code == 200
    assert "1+ tickets (counting stops at 1)" in page.text
    assert "<script>alert(" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text


def test_list_rejects_a_bad_number_filter(client_as: Any) -> None:
    page = client_as("agent").get(
        "/tickets/", query_string={"template": "refund", "f.refund_amount.min": "lots"}
    )
    assert page.status_code == 400
    assert 'id="filter-error"' in page.text


def test_agents_have_the_tickets_menu(client_as: Any) -> None:
    for role in ("agent", "head"):
        menu = client_as(role).get("/api/v1/menu/")
        assert menu.status_code == 200
        names = [item.get("name") for item in menu.json["result"]]
        assert "Ticket desk" in names, names
        assert client_as(role).get("/tickets/").status_code == 200
