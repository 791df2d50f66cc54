"""Agent ticket pages: create through the generated form, lists, detail, stale edits, scoping."""

from __future__ import annotations

import html
import json
import random
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Department
from app.security import security_manager
from app.tickets.assignment import candidates
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


def _free_refund_agent(app: Flask) -> int | None:
    """Who the demo refund workflow gives a new refund to now: agent3, unless at capacity."""
    with app.app_context():
        billing = db.session.scalar(select(Department).where(Department.key == "billing"))
        assert billing is not None
        agent3 = security_manager().find_user(username="agent3")
        (seen,) = [c for c in candidates(db.session, billing.id) if c.user_id == agent3.id]
        db.session.remove()
    return agent3.id if seen.free else None


def test_create_through_the_form(app: Flask, client_as: Any) -> None:
    order = order_number()
    expected_assignee = _free_refund_agent(app)
    response = client_as("agent").post(
        "/tickets/new/refund", data=posted(app, "refund", refund_data(order), priority="high")
    )
    assert response.status_code == 302, response.text
    ticket = ticket_by_order(app, order)
    assert ticket is not None
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    assert ticket.channel == "agent"
    assert ticket.priority == "high"
    assert ticket.subject == f"Charged twice for {order}"
    assert ticket.requester_email == "li.na@example.com"
    assert ticket.data["refund_amount"] == 120.5
    with app.app_context():
        billing = db.session.scalar(select(Department).where(Department.key == "billing"))
        assert billing is not None and ticket.department_id == billing.id
        events = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        ).all()
        # The demo refund workflow gives every refund to billing's agent with the refund
        # skill, agent3, while below capacity (other tests may have filled it: the queue).
        assert ticket.assignee_id == expected_assignee
        assert [e.kind for e in events] == ["created"]
        assert events[0].new["routing"]["rule"] == "refunds"
        assert (ticket.workflow_key, ticket.state) == ("refund", "new")
        db.session.remove()


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
    # settings.filters names the filters offered: other text fields get no inputs
    assert 'name="f.contact.contains"' in page.text
    assert 'name="f.details.prefix"' not in page.text


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
    history = page.text.split('id="history"', 1)[1].split("</table>", 1)[0]
    rows = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", r)).split())
            for r in history.split("<tr")[2:]]
    assert rows[0].endswith("Ticket created State: New")
    assert rows[-1].endswith("Field changed Currency (币种): CNY 人民币 → USD 美元")
    assert "/data/currency" not in history
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


def stored(app: Flask, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        db.session.expunge(ticket)
        db.session.remove()
    return ticket


def event_count(app: Flask, ticket_id: int) -> int:
    with app.app_context():
        count = len(
            db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).all()
        )
        db.session.remove()
    return count


def test_stale_edit_of_other_fields_is_merged_and_keeps_both_changes(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    theirs = posted(
        app, "refund", refund_data(order, currency="USD"), subject="S", priority="urgent",
        lock_version=read,
    )
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    # The agent read the same version and changes the amount only.
    mine = posted(
        app, "refund", refund_data(order, refund_amount=777.77), subject="S", lock_version=read
    )
    response = agent.post(f"/tickets/{ticket_id}/edit", data=mine)
    assert response.status_code == 302, response.text
    ticket = stored(app, ticket_id)
    assert ticket.data["refund_amount"] == 777.77  # mine
    assert ticket.data["currency"] == "USD" and ticket.priority == "urgent"  # theirs, kept
    page = agent.get(response.headers["Location"]).text
    assert "were kept" in page and "Head1 Demo" in page and "Priority" in page


def test_a_stale_edit_saved_twice_never_reverts_theirs(app: Flask, client_as: Any) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    theirs = posted(app, "refund", refund_data(order), subject="S", priority="high",
                    lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    mine = posted(app, "refund", refund_data(order, bank_account_last4="1111"), subject="S",
                  lock_version=read)
    for _attempt in range(2):  # a double submit posts the same version twice
        assert agent.post(f"/tickets/{ticket_id}/edit", data=mine).status_code == 302
    ticket = stored(app, ticket_id)
    assert ticket.priority == "high" and ticket.data["bank_account_last4"] == "1111"


def test_same_field_conflict_is_409_shows_both_and_saves_the_choice(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    theirs = posted(app, "refund", refund_data(order, currency="USD", refund_amount=10),
                    subject="S", priority="high", lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    saved = event_count(app, ticket_id)
    mine = posted(app, "refund", refund_data(order, currency="EUR", bank_account_last4="9999"),
                  subject="S", lock_version=read)
    response = agent.post(f"/tickets/{ticket_id}/edit", data=mine)
    assert response.status_code == 409
    assert event_count(app, ticket_id) == saved  # nothing written
    page = response.text
    box = page.split('id="conflicts"', 1)[1].split("</table>", 1)[0]
    assert "EUR 欧元" in box and "USD 美元" in box and "Head1 Demo" in box
    assert 'name="conflict" value="/data/currency"' in box
    assert 'name="choice:/data/currency" value="mine"' in box
    assert "/priority" not in box and "/data/refund_amount" not in box  # only theirs changed
    changed = page.split('id="stale-changed"', 1)[1].split("</dl>", 1)[0]
    assert "Priority" in changed and "Refund amount" in changed
    current = lock_version(app, ticket_id)
    assert f'name="lock_version" value="{current}"' in page
    # The form holds the combined version: their priority and amount, my account digits.
    assert re.search(r'<option value="high"\s+selected', page)
    assert 'value="9999"' in page

    # Saving without a choice asks again and writes nothing.
    again = MultiDict(mine)
    again["lock_version"] = str(current)
    again["priority"] = "high"
    again.setlist("/refund_amount", ["10"])
    again.add("conflict", "/data/currency")
    unchosen = agent.post(f"/tickets/{ticket_id}/edit", data=again)
    assert unchosen.status_code == 409 and 'id="choose"' in unchosen.text
    assert event_count(app, ticket_id) == saved

    again["choice:/data/currency"] = "mine"
    assert agent.post(f"/tickets/{ticket_id}/edit", data=again).status_code == 302
    ticket = stored(app, ticket_id)
    assert ticket.data["currency"] == "EUR" and ticket.data["bank_account_last4"] == "9999"
    assert ticket.priority == "high" and ticket.data["refund_amount"] == 10


def test_take_theirs_keeps_their_value_and_my_other_changes(app: Flask, client_as: Any) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    theirs = posted(app, "refund", refund_data(order), subject="Theirs", lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    mine = posted(app, "refund", refund_data(order, refund_amount=55), subject="Mine",
                  lock_version=read)
    response = agent.post(f"/tickets/{ticket_id}/edit", data=mine)
    assert response.status_code == 409
    assert 'name="conflict" value="/subject"' in response.text
    again = MultiDict(mine)
    again["lock_version"] = str(lock_version(app, ticket_id))
    again.add("conflict", "/subject")
    again["choice:/subject"] = "theirs"
    assert agent.post(f"/tickets/{ticket_id}/edit", data=again).status_code == 302
    ticket = stored(app, ticket_id)
    assert ticket.subject == "Theirs" and ticket.data["refund_amount"] == 55


def test_take_theirs_needs_no_readable_value_of_mine_and_a_refusal_keeps_the_choices(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    theirs = posted(app, "refund", refund_data(order, refund_amount=10), subject="S",
                    lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    mine = posted(app, "refund", refund_data(order, refund_amount=20, currency="EUR"),
                  subject="S", lock_version=read)
    assert agent.post(f"/tickets/{ticket_id}/edit", data=mine).status_code == 409
    again = MultiDict(mine)
    again["lock_version"] = str(lock_version(app, ticket_id))
    again.add("conflict", "/data/refund_amount")
    again["choice:/data/refund_amount"] = "theirs"
    # Refused for another field: the conflict and its choice are still on the page.
    again["requester_name"] = "x\x00"
    refused = agent.post(f"/tickets/{ticket_id}/edit", data=again)
    assert refused.status_code == 422
    assert 'name="choice:/data/refund_amount" value="theirs" checked' in refused.text
    # Taking theirs, what I typed there does not matter (even when it cannot be read).
    again["requester_name"] = "Li Na"
    again.setlist("/refund_amount", ["lots"])
    assert agent.post(f"/tickets/{ticket_id}/edit", data=again).status_code == 302
    ticket = stored(app, ticket_id)
    assert ticket.data["refund_amount"] == 10 and ticket.data["currency"] == "EUR"


def test_a_conflict_saved_after_yet_another_change_merges_again(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    head, agent, admin = client_as("head"), client_as("agent"), client_as("admin")
    read = str(lock_version(app, ticket_id))
    theirs = posted(app, "refund", refund_data(order, currency="USD"), subject="S",
                    lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    mine = posted(app, "refund", refund_data(order, currency="EUR"), subject="S",
                  lock_version=read)
    assert agent.post(f"/tickets/{ticket_id}/edit", data=mine).status_code == 409
    shown = str(lock_version(app, ticket_id))
    # While the agent decides, someone else changes the priority.
    third = posted(app, "refund", refund_data(order, currency="USD"), subject="S",
                   priority="low", lock_version=shown)
    assert admin.post(f"/tickets/{ticket_id}/edit", data=third).status_code == 302
    again = MultiDict(mine)
    again["lock_version"] = shown
    again.add("conflict", "/data/currency")
    again["choice:/data/currency"] = "mine"
    assert agent.post(f"/tickets/{ticket_id}/edit", data=again).status_code == 302
    ticket = stored(app, ticket_id)
    assert ticket.data["currency"] == "EUR" and ticket.priority == "low"


def test_a_merge_that_breaks_the_schema_is_shown_for_fixing(app: Flask, client_as: Any) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(
        app, "refund", "billing", refund_data(order, details="Came twice on the statement.")
    )
    head, agent = client_as("head"), client_as("agent")
    read = str(lock_version(app, ticket_id))
    # They set the reason to "other", which needs the details; I remove the details.
    theirs = posted(app, "refund", refund_data(order, reason="other",
                                               details="Came twice on the statement."),
                    subject="S", lock_version=read)
    assert head.post(f"/tickets/{ticket_id}/edit", data=theirs).status_code == 302
    mine = posted(app, "refund", refund_data(order), subject="S", lock_version=read)
    response = agent.post(f"/tickets/{ticket_id}/edit", data=mine)
    assert response.status_code == 409
    assert "not valid yet" in response.text
    assert re.search(r'id="tf--2f-details-err"[^>]*>This field is required', response.text)
    ticket = stored(app, ticket_id)
    assert ticket.data["details"] == "Came twice on the statement." and ticket.data[
        "reason"] == "other"


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


def test_a_probed_search_count_says_at_least(
    app: Flask, client_as: Any, monkeypatch: Any
) -> None:
    from app.tickets import query

    base = order_number()[:-1]
    for i in "123":
        make_ticket(app, "refund", "billing", refund_data(base + i, summary=f"Probe {base}"))
    # the planner expects more than the cap, and the probe reads one candidate only
    monkeypatch.setattr(query, "estimate_tickets", lambda filters, session=None: 1001)
    monkeypatch.setattr(query, "SEARCH_PROBE_ROWS", 1)
    agent = client_as("agent")
    page = agent.get("/tickets/", query_string={"template": "refund", "q": base, "limit": 2})
    assert page.status_code == 200
    # at least the page's 2 rows and the next page's first
    assert "At least 3 tickets (a search stops counting after 1 ticket)" in page.text
    api = agent.get("/api/v1/tickets/", query_string={"template": "refund", "q": base, "limit": 2})
    assert (api.json["count"], api.json["count_capped"]) == (3, True)


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


def repair_data(serial: str, bought: str) -> dict[str, Any]:
    """The demo template's own example, with a serial number and purchase date of our own."""
    path = "app/demo/definitions/template/repair.json"
    with open(path, encoding="utf-8") as handle:
        example: dict[str, Any] = json.load(handle)["formData"]
    return {**example, "serial_number": serial, "purchase_date": bought}


def test_lists_and_detail_show_option_labels_not_stored_values(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    ticket_id, number = make_ticket(app, "refund", "billing", refund_data(order))
    client = client_as("agent")
    args = {"template": "refund", "f.order_number.prefix": order}
    page = client.get("/tickets/", query_string=args)
    assert number in page.text
    row = page.text.split(number, 1)[1].split("</tr>", 1)[0]
    assert "Charged twice (重复扣款)" in row and "duplicate_charge" not in row
    # the enum filter offers the labels, and posts the stored values
    assert '<option value="duplicate_charge" >Charged twice (重复扣款)</option>' in page.text
    detail = client.get(f"/tickets/{ticket_id}").text
    custom = detail.split('id="custom"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>Charged twice (重复扣款)</dd>" in custom and "duplicate_charge" not in custom


def test_list_sorts_and_the_cursor_keeps_its_sort(app: Flask, client_as: Any) -> None:
    base = order_number()[:-1]
    ids = [make_ticket(app, "refund", "billing", refund_data(base + str(i))) for i in "123"]
    with app.app_context():  # the oldest ticket becomes the most recently updated
        update_ticket(ids[0][0], {"priority": "high"}, lock_version(app, ids[0][0]), None)
        db.session.remove()
    client = client_as("agent")

    def order_of(sort: str, **extra: str) -> list[str]:
        args = {"template": "refund", "f.order_number.prefix": base, "sort": sort, **extra}
        text = client.get("/tickets/", query_string=args).text
        return sorted((n for _, n in ids if n in text), key=text.index)

    numbers = [n for _, n in ids]
    assert order_of("newest") == numbers[::-1]
    assert order_of("oldest") == numbers
    assert order_of("recently_updated") == [numbers[0], numbers[2], numbers[1]]
    assert order_of("least_recently_updated") == [numbers[1], numbers[2], numbers[0]]
    first = client.get(
        "/tickets/",
        query_string={"template": "refund", "f.order_number.prefix": base, "sort": "oldest",
                      "limit": "2"},
    )
    link = re.search(r'id="next-page"[^>]*href="([^"]+)"', first.text)
    assert link and "sort=oldest" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert numbers[2] in second and numbers[0] not in second
    cursor = re.search(r"cursor=([^&\"]+)", link.group(1))
    assert cursor
    mixed = client.get(
        "/tickets/",
        query_string={"template": "refund", "sort": "newest", "cursor": cursor.group(1)},
    )
    assert mixed.status_code == 400
    assert client.get("/tickets/?sort=sideways").status_code == 400


def test_list_filters_by_date_range_and_contains(app: Flask, client_as: Any) -> None:
    serial = f"CN{random.randrange(10**8):08d}"
    made = {
        day: make_ticket(app, "repair", "repair", repair_data(f"{serial}{day[-2:]}", day))[1]
        for day in ("2024-01-10", "2024-02-20", "2024-03-30")
    }
    client = client_as("admin")

    def found(**args: str) -> set[str]:
        text = client.get("/tickets/", query_string={"template": "repair", **args}).text
        return {day for day, number in made.items() if number in text}

    contains = {"f.serial_number.contains": serial[2:].lower()}  # case-insensitive substring
    assert found(**contains) == set(made)
    assert found(**contains, **{"f.purchase_date.from": "2024-02-01"}) == {
        "2024-02-20", "2024-03-30",
    }
    assert found(**contains, **{"f.purchase_date.to": "2024-02-20"}) == {
        "2024-01-10", "2024-02-20",
    }
    assert found(
        **contains, **{"f.purchase_date.from": "2024-02-20", "f.purchase_date.to": "2024-02-20"}
    ) == {"2024-02-20"}
    assert found(**{"f.serial_number.contains": serial + "%"}) == set()  # % is literal
    page = client.get("/tickets/", query_string={"template": "repair"}).text
    assert 'name="f.purchase_date.from"' in page and 'name="f.serial_number.contains"' in page


def _user_id(app: Flask, username: str) -> int:
    with app.app_context():
        user_id = int(security_manager().find_user(username=username).id)
        db.session.remove()
    return user_id


def _assignee(app: Flask, ticket_id: int) -> int | None:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        found = ticket.assignee_id
        db.session.remove()
    return found


def test_take_assign_and_return_a_ticket_to_the_queue(app: Flask, client_as: Any) -> None:
    ticket_id, number = make_ticket(app, "refund", "billing", refund_data(order_number()))
    agent, head = client_as("agent"), client_as("head")
    page = agent.get(f"/tickets/{ticket_id}").text
    assert 'id="take"' in page and ">Head One<" not in page.split('id="assignee"', 1)[0]

    taken = agent.post(
        f"/tickets/{ticket_id}/assign",
        data={"assignee": "me", "lock_version": lock_version(app, ticket_id)},
    )
    assert taken.status_code == 302
    assert _assignee(app, ticket_id) == _user_id(app, "agent3")
    assert number in agent.get("/tickets/?view=mine").text
    assert number not in agent.get("/tickets/?view=queue").text
    with app.app_context():
        kinds = [(e.kind, e.pointer) for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))]
        db.session.remove()
    assert ("assigned", "/assignee_id") in kinds

    # A stale form (read before the take) changes nothing.
    stale = head.post(f"/tickets/{ticket_id}/assign", data={"assignee": "", "lock_version": "0"})
    assert stale.status_code == 303
    assert _assignee(app, ticket_id) == _user_id(app, "agent3")

    # Only members of the ticket's department can hold it.
    outsider = _user_id(app, "agent5")  # Repair
    refused = head.post(
        f"/tickets/{ticket_id}/assign",
        data={"assignee": str(outsider), "lock_version": lock_version(app, ticket_id)},
    )
    assert refused.status_code == 303
    assert _assignee(app, ticket_id) == _user_id(app, "agent3")
    assert "Not a member of the ticket" in head.get(f"/tickets/{ticket_id}").text

    back = head.post(
        f"/tickets/{ticket_id}/assign",
        data={"assignee": "", "lock_version": lock_version(app, ticket_id)},
    )
    assert back.status_code == 302 and _assignee(app, ticket_id) is None
    assert number in agent.get("/tickets/?view=queue").text


# ---------------------------------------------------------------------------------------------
# Input the databases refuse: a 4xx that says where, never a 500


def form_body(body: MultiDict[str, Any], **replaced: str) -> str:
    """A URL-encoded body as a browser sends it (lone surrogates as their UTF-8 bytes)."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k, v in body.items(multi=True) if k not in replaced]
    return urlencode([*pairs, *replaced.items()], encoding="utf-8", errors="surrogatepass")


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "query",
    [
        "template=complaint&f.customer_tier=%00",
        "template=refund&f.order_number.prefix=%00",
        "template=refund&f.order_number.contains=a%00",
        "template=repair&f.purchase_date.from=%00",
        "template=repair&f.purchase_date.to=2024-01-01%00",
        "template=refund&f.refund_amount.min=1e999999999",
        "template=refund&f.refund_amount.max=-1e999999999",
        "template=refund&f.refund_amount.min=1e-999999999",
        "template=%00",
    ],
)
def test_list_filters_the_database_cannot_take_are_400(client_as: Any, query: str) -> None:
    page = client_as("admin").get(f"/tickets/?{query}")
    assert page.status_code == 400, page.text[:300]
    assert "NUL" in page.text or "number" in page.text


def test_a_filter_name_with_a_newline_is_no_filter(app: Flask, client_as: Any) -> None:
    order = order_number()
    _, number = make_ticket(app, "refund", "billing", refund_data(order))
    client = client_as("agent")
    wanted = f"/tickets/?template=refund&f.order_number.prefix={order}"
    assert number in client.get(wanted).text
    # `f.order_number\n.prefix` is not the field's input: it filters nothing out, or in.
    odd = client.get(wanted + "&f.order_number%0A.prefix=SO-nothing&f.x%0A=1")
    assert odd.status_code == 200 and number in odd.text


def test_new_ticket_for_a_template_key_with_nul_is_400(client_as: Any) -> None:
    response = client_as("agent").get("/tickets/new/%00")
    assert response.status_code == 400
    assert "NUL" in response.text
    assert client_as("agent").post("/tickets/new/%00", data={}).status_code == 400


@pytest.mark.parametrize(
    ("field", "pointer_id"),
    [
        ("requester_name", "sys-requester_name"),
        ("requester_phone", "sys-requester_phone"),
        ("requester_email", "sys-requester_email"),
        ("/details", "tf--2f-details"),
        ("/manager_approval_note", "tf--2f-manager_approval_note"),
    ],
)
def test_nul_in_a_new_ticket_field_is_422_at_that_field(
    app: Flask, client_as: Any, field: str, pointer_id: str
) -> None:
    order = order_number()
    body = posted(app, "refund", refund_data(order))
    value = "a\x00@b.test" if field == "requester_email" else "typed\x00text"
    response = client_as("agent").post(
        "/tickets/new/refund", data=form_body(body, **{field: value}), content_type=FORM
    )
    assert response.status_code == 422
    assert ticket_by_order(app, order) is None
    at_field = response.text.split(f'id="{pointer_id}"', 1)[1].split("</div>", 1)[0]
    assert "Must not contain NUL characters." in at_field
    assert order in response.text and "li.na@example.com" in response.text  # the rest is kept


@pytest.mark.parametrize("field", ["subject", "requester_name", "/details", "/order_number"])
def test_nul_in_an_edit_is_422_at_that_field_and_writes_nothing(
    app: Flask, client_as: Any, field: str
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    before = event_count(app, ticket_id)
    body = posted(app, "refund", refund_data(order, refund_amount=42), subject="Typed subject",
                  lock_version=str(lock_version(app, ticket_id)))
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/edit", data=form_body(body, **{field: "x\x00y"}), content_type=FORM
    )
    assert response.status_code == 422
    assert "Must not contain NUL characters." in response.text
    assert event_count(app, ticket_id) == before
    form = response.text.split('id="edit-form"', 1)[1]
    assert 'value="42"' in form
    if field != "subject":
        assert 'value="Typed subject"' in form


def test_surrogate_bytes_in_a_form_never_become_a_lone_surrogate(
    app: Flask, client_as: Any
) -> None:
    order = order_number()
    body = posted(app, "refund", refund_data(order))
    raw = form_body(body).replace("requester_name=Li+Na", "requester_name=Li%ED%A0%80Na")
    assert "requester_name=Li%ED%A0%80Na" in raw
    response = client_as("agent").post("/tickets/new/refund", data=raw, content_type=FORM)
    assert response.status_code == 302
    ticket = ticket_by_order(app, order)
    # Werkzeug keeps bytes that are not UTF-8 as their percent text: plain, storable text.
    assert ticket is not None and ticket.requester_name == "Li%ED%A0%80Na"


def test_a_lock_version_beyond_every_version_is_400(app: Flask, client_as: Any) -> None:
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order_number()))
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/edit", data={"lock_version": "9" * 5000, "subject": "x"}
    )
    assert response.status_code == 400
