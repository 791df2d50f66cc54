"""An admin submits a workflow change in Chromium; a head reviews the diff and the impact and
approves it; new tickets follow the new rule while an open one keeps its pinned version."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.definitions import store
from app.extensions import db
from app.models import Department
from app.tickets.intake import NewTicket, check_data, open_ticket
from app.tickets.models import Channel, Ticket
from app.tickets.service import Requester
from app.tickets.templates import published_template
from tests.e2e.conftest import sign_in

STATES = [
    {"name": "new", "label": "New", "category": "new"},
    {"name": "open", "label": "Open", "category": "open"},
    {"name": "closed", "label": "Closed", "category": "closed"},
]
TRANSITIONS = [
    {"name": "start", "label": "Start", "from": ["new"], "to": "open", "roles": ["agent"]},
    {"name": "close", "label": "Close", "from": ["open"], "to": "closed", "roles": ["agent"]},
]


def routing(department: str) -> dict[str, Any]:
    """Tickets about a bill go to `department`, at high priority."""
    bill = {"properties": {"data": {"properties": {"topic": {"const": "bill"}},
                                    "required": ["topic"]}}}
    return {"rules": [{"name": "bills", "when": bill,
                       "then": {"department": department, "priority": "high"}}]}


def set_up(app: Flask, key: str) -> tuple[int, int, str]:
    """Workflow v1 (bills → billing) published by an operator's import, a template following
    it (default: frontline) and one open bill ticket. (v1 id, ticket id, ticket number)."""
    with app.app_context():
        body = {"key": key, "title": f"Bills {key}", "states": STATES, "initial": "new",
                "transitions": TRANSITIONS, "routing": routing("billing")}
        v1 = store.save_draft("workflow", key, body, None)
        store.publish(v1.id, None, approved_by_import=True)
        template = {"key": key, "title": f"Bill question {key}",
                    "schema": {"type": "object", "required": ["topic"],
                               "properties": {"topic": {"type": "string", "title": "Topic"}}},
                    "settings": {"default_department": "frontline", "workflow": key,
                                 "subject": "/topic"}}
        store.publish(store.save_draft("template", key, template, None).id, None)
        checked = check_data(published_template(key), {"topic": "bill"})
        old = open_ticket(NewTicket(checked, Requester("Li Wei"), Channel.API.value, None))
        result = (v1.id, old.id, old.number)
        db.session.remove()
    return result


def department_of(app: Flask, ticket_id: int) -> tuple[str, int | None]:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        department = db.session.get(Department, ticket.department_id)
        assert department is not None
        found = (department.key, ticket.workflow_version)
        db.session.remove()
    return found


def test_a_head_approves_a_workflow_change_after_seeing_diff_and_impact(
    page: Page, browser: Browser, live_server: str, e2e_app: Flask
) -> None:
    key = f"bills_{uuid.uuid4().hex[:8]}"
    v1, old_ticket, old_number = set_up(e2e_app, key)
    assert department_of(e2e_app, old_ticket) == ("billing", 1)

    # The admin edits the routing: bills now go to technical support; publishing is not offered.
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/definitions/workflows/edit/{v1}")
    page.fill("#def-routing", json.dumps(routing("technical"), indent=2))
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved workflow {key} v2")
    expect(page.locator("#publish")).to_have_count(0)
    page.click("#submit-approval")
    expect(page.locator(".alert-success")).to_contain_text("for approval")
    expect(page.locator("#editor-title .tessera-status")).to_have_text("pending")
    expect(page.locator("#frozen-note")).to_contain_text("waits for a department head")
    expect(page.locator("#withdraw")).to_be_visible()

    # The head of technical support (not the author) reviews and approves it.
    context = browser.new_context()
    try:
        head = context.new_page()
        head.set_default_timeout(15_000)
        sign_in(head, live_server, "head2")
        head.locator("a", has_text="Approvals").first.click()
        head.wait_for_load_state("networkidle")
        card = head.locator("article.approval", has_text=f"Workflow {key} v2")
        expect(card).to_have_count(1)
        card.locator("details.approval-diff summary").click()
        diff = card.locator("pre.tessera-diff")
        expect(diff.locator(".tessera-diff-del")).to_contain_text('"department": "billing"')
        expect(diff.locator(".tessera-diff-add")).to_contain_text('"department": "technical"')
        department_row = card.locator('tr[data-aspect="department"]')
        expect(department_row.locator(".impact-count")).to_have_text("1 of 1")
        expect(department_row.locator(".impact-examples a")).to_have_text(old_number)
        expect(card.locator('tr[data-aspect="priority"] .impact-count')).to_have_text("0 of 1")
        card.locator("textarea").fill("Technical support takes the bills from now on.")
        card.locator("input.approve").click()
        head.wait_for_load_state("networkidle")
        expect(head.locator(".alert-success")).to_contain_text("Approved")
        expect(head.locator("article.approval", has_text=f"Workflow {key} v2")).to_have_count(0)
        head.click("#tab-decided")
        decided = head.locator("article.approval", has_text=f"Workflow {key} v2")
        expect(decided).to_contain_text("Technical support takes the bills from now on.")

        # A new bill ticket follows v2 and goes to technical support.
        head.goto(f"{live_server}/tickets/new/{key}")
        head.fill('[name="/topic"]', "bill")
        head.click("#ticket-form button[type=submit]")
        head.wait_for_load_state("networkidle")
        expect(head.locator("#system")).to_contain_text("Technical Support")
        expect(head.locator("#system")).to_contain_text("high")
    finally:
        context.close()

    # The admin's console shows v2 published; the open ticket keeps v1 and its department.
    page.goto(f"{live_server}/definitions/workflows/history/{v1}")
    expect(page.locator('#versions tr[data-version="2"]')).to_contain_text("published")
    expect(page.locator('#versions tr[data-version="1"]')).to_contain_text("retired")
    assert department_of(e2e_app, old_ticket) == ("billing", 1)
    with e2e_app.app_context():
        newest = db.session.scalars(
            db.select(Ticket).where(Ticket.template == key).order_by(Ticket.id.desc())
        ).first()
        assert newest is not None and newest.id != old_ticket
        assert newest.workflow_version == 2
        db.session.remove()
