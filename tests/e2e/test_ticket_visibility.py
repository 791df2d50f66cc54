"""A frontline agent opens a refund in Chromium: it goes to billing, and stays in their sight."""

from __future__ import annotations

import random

from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in


def test_a_ticket_routed_to_another_department_stays_readable_for_its_creator(
    page: Page, live_server: str
) -> None:
    order = f"SO-{random.randrange(10**8):08d}"
    sign_in(page, live_server, "agent1")  # frontline; the refund workflow routes to billing
    page.goto(f"{live_server}/tickets/new/refund")
    page.fill('[name="/summary"]', f"Charged twice for {order}")
    page.fill('[name="/order_number"]', order)
    page.fill('[name="/refund_amount"]', "120")
    page.check('[name="/reason"][value="duplicate_charge"]')
    page.fill('[name="/bank_account_last4"]', "4821")
    page.fill('[name="/contact"]', "li.na@example.com")
    page.fill('[name="requester_name"]', "Li Na")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    # The ticket page, not a 404: read-only, in billing, with the reply box.
    heading = page.locator("h1").inner_text()
    assert order in heading, heading
    number = heading.split(":", 1)[0].strip()
    expect(page.locator("#department")).to_contain_text("Billing")
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#edit-panel")).to_have_count(0)
    page.fill("#comment-body", "The customer called again.")
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#comments")).to_contain_text("The customer called again.")

    # Found under "Created by me", and only there.
    page.goto(f"{live_server}/tickets/")
    page.click("#ticket-views a[href*='view=created']")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#tickets")).to_contain_text(number)
    page.goto(f"{live_server}/tickets/?view=all")
    expect(page.locator("main, body").first).not_to_contain_text(number)
