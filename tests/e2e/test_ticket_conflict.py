"""Two agents edit one ticket in two browsers: nobody's change is lost, clashes are chosen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.extensions import db
from app.tickets.models import Ticket
from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in


@pytest.fixture
def other(browser: Browser) -> Iterator[Page]:
    """A second browser context: another person, signed in separately."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_ticket(page: Page, live_server: str, username: str, ticket_id: int) -> None:
    """Open the ticket's page and unfold its edit form (folded until asked for)."""
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#edit-form")).to_be_hidden()
    page.click("#edit-toggle")


def save(page: Page) -> None:
    page.click("#edit-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def stored(app: Flask, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        db.session.expunge(ticket)
        db.session.remove()
    return ticket


def test_changes_to_different_fields_are_both_kept(
    page: Page, other: Page, live_server: str, e2e_app: Flask
) -> None:
    ticket_id, _ = make_ticket(e2e_app, "refund", "billing", refund_data(order_number()))
    open_ticket(page, live_server, "agent3", ticket_id)  # A opens the ticket
    open_ticket(other, live_server, "head1", ticket_id)  # B too, changes the priority, saves
    other.select_option("#sys-priority", "urgent")
    save(other)
    expect(other.locator("#system")).to_contain_text("urgent")

    # A never touched the priority: A's save keeps B's urgent and adds A's change.
    page.fill('#edit-form [name="/bank_account_last4"]', "5555")
    save(page)
    expect(page.locator("body")).to_contain_text("were kept")
    expect(page.locator("body")).to_contain_text("Head1 Demo")
    expect(page.locator("#system")).to_contain_text("urgent")
    expect(page.locator('#edit-form [name="/bank_account_last4"]')).to_have_value("5555")
    ticket = stored(e2e_app, ticket_id)
    assert ticket.priority == "urgent" and ticket.data["bank_account_last4"] == "5555"


def test_clashing_changes_are_shown_side_by_side_and_chosen_per_field(
    page: Page, other: Page, live_server: str, e2e_app: Flask
) -> None:
    ticket_id, _ = make_ticket(e2e_app, "refund", "billing", refund_data(order_number()))
    open_ticket(page, live_server, "agent3", ticket_id)
    open_ticket(other, live_server, "head1", ticket_id)
    # B: a new priority and currency (A leaves both), and the account digits and subject
    # (A changes those too).
    other.select_option("#sys-priority", "high")
    other.select_option('#edit-form [name="/currency"]', "USD")
    other.fill('#edit-form [name="/bank_account_last4"]', "1111")
    other.fill("#sys-subject", "Subject by B")
    save(other)

    page.fill('#edit-form [name="/bank_account_last4"]', "2222")
    page.fill("#sys-subject", "Subject by A")
    page.fill("#sys-requester_phone", "+86 21 5555")
    save(page)

    # 409: nothing saved yet; both values of each clash side by side, with who changed them.
    stale = page.locator("#stale")
    expect(stale).to_contain_text("Head1 Demo")
    digits = page.locator('#conflicts tr[data-pointer="/data/bank_account_last4"]')
    expect(digits.locator(".mine")).to_have_text("2222")
    expect(digits.locator(".theirs")).to_contain_text("1111")
    expect(digits.locator(".theirs")).to_contain_text("Head1 Demo")
    subject = page.locator('#conflicts tr[data-pointer="/subject"]')
    expect(subject.locator(".theirs")).to_contain_text("Subject by B")
    # B's other changes are marked and already in the form; A's own changes are kept there.
    expect(page.locator("#stale-changed")).to_contain_text("Priority")
    expect(page.locator("#sys-priority")).to_have_value("high")
    expect(page.locator('#edit-form [name="/currency"]')).to_have_value("USD")
    expect(page.locator('#edit-form [data-tf-field="/currency"].tessera-changed')).to_have_count(1)
    expect(page.locator("#sys-requester_phone")).to_have_value("+86 21 5555")
    assert stored(e2e_app, ticket_id).data["bank_account_last4"] == "1111"

    # Saving without choosing asks again; then A keeps its digits and takes B's subject.
    save(page)
    expect(page.locator("#choose")).to_be_visible()
    page.check('input[name="choice:/data/bank_account_last4"][value="mine"]')
    page.check('input[name="choice:/subject"][value="theirs"]')
    save(page)
    expect(page.locator("#stale")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("Subject by B")
    ticket = stored(e2e_app, ticket_id)
    assert ticket.data["bank_account_last4"] == "2222"  # mine, chosen
    assert ticket.subject == "Subject by B"  # theirs, chosen
    assert ticket.priority == "high" and ticket.data["currency"] == "USD"  # theirs, kept
    assert ticket.requester_phone == "+86 21 5555"  # mine, kept
