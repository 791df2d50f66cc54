"""The ticket page in Chromium: it opens at its header, and a refused upload keeps the page."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.tickets.service import add_comment
from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in

LIMIT = 1000  # bytes per file while the refusal is provoked


def long_ticket(app: Flask) -> tuple[int, dict[str, object]]:
    """A refund ticket with enough comments to make its page several screens long."""
    data = refund_data(order_number(), reason="other", details="Charged on two cards.")
    ticket_id, _number = make_ticket(app, "refund", "billing", data)
    with app.app_context():
        for n in range(25):
            add_comment(ticket_id, f"Update {n}: still checking with the bank.", None)
        db.session.remove()
    return ticket_id, data


def at_the_top(page: Page) -> None:
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("#ticket-header h1")).to_be_in_viewport()


def test_the_page_opens_at_its_header_and_a_refused_upload_keeps_the_values(
    page: Page, live_server: str, e2e_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id, data = long_ticket(e2e_app)
    sign_in(page, live_server, "agent3")  # Billing
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.wait_for_load_state("networkidle")
    height = page.evaluate("document.documentElement.scrollHeight / window.innerHeight")
    assert height > 3, height  # a long page: an autofocused field would have scrolled it
    at_the_top(page)
    expect(page.locator("#edit-form")).to_be_hidden()

    monkeypatch.setitem(e2e_app.config, "TESSERA_ATTACHMENT_MAX_BYTES", LIMIT)
    typed = "The bank statement is attached."
    page.fill("#comment-body", typed)
    page.set_input_files(
        "#comment-files",
        files=[
            {
                "name": "statement.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n" + b"0" * (2 * LIMIT),
            }
        ],
    )
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    # Refused: said at the top and next to the comment box; the text and every value kept.
    at_the_top(page)
    expect(page.locator("#comment-alert")).to_be_visible()
    expect(page.locator("#comment-errors")).to_contain_text("statement.pdf")
    expect(page.locator("#comment-body")).to_have_value(typed)
    page.click("#edit-toggle")
    for name in ("order_number", "bank_account_last4", "details"):
        expect(page.locator(f'#edit-form [name="/{name}"]')).to_have_value(str(data[name]))
    expect(page.locator('#edit-form [name="/currency"]')).to_have_value("CNY")
    expect(page.locator('#edit-form [name="/reason"][value="other"]')).to_be_checked()

    # A refused edit opens at the top too, its panel open, saying so first.
    page.fill('#edit-form [name="/bank_account_last4"]', "12ab")
    page.click("#edit-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    at_the_top(page)
    expect(page.locator("#edit-alert")).to_be_visible()
    expect(
        page.locator('#edit-form [data-tf-field="/bank_account_last4"] .tf-error')
    ).to_be_visible()

    # The form as it stands saves at once: nothing the agent did not type is wrong in it.
    page.fill('#edit-form [name="/bank_account_last4"]', "9876")
    page.click("#edit-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("Saved")
    expect(page.locator("#custom")).to_contain_text("9876")
    expect(page.locator("#custom")).to_contain_text("Other (其他)")
    expect(page.locator("#history")).to_contain_text(
        "Bank account, last 4 digits (银行账号后四位): 4821 → 9876"
    )
    at_the_top(page)
