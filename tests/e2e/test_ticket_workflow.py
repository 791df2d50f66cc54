"""An agent claims a ticket from the queue and solves it in Chromium; refusals show at the field."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.app.tickets.test_transitions import billing_ticket, publish_billing_flow, stored_ticket
from tests.e2e.conftest import sign_in


def test_an_agent_claims_a_ticket_and_solves_it(
    page: Page, live_server: str, e2e_app: Flask
) -> None:
    key = publish_billing_flow(e2e_app)
    ticket_id, _version = billing_ticket(e2e_app, key, summary="Charged twice")
    sign_in(page, live_server, "agent3")  # Billing
    page.goto(f"{live_server}/tickets/{ticket_id}")
    expect(page.locator("#wf-state")).to_have_text("New")
    expect(page.locator("#sla")).to_contain_text("First response")

    # Claim it from the department's queue (抢单).
    page.click("#claim")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#system")).to_contain_text("Agent3 Demo")
    expect(page.locator("#claim")).to_have_count(0)

    page.click("#transition-start button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#wf-state")).to_have_text("Open")

    # Solving needs a resolution of at least 10 characters: refused at the field, kept.
    solve = page.locator("#transition-solve")
    solve.locator("summary").click()
    field = solve.locator('[name="t-solve-/resolution"]')
    field.fill("Refunded")
    solve.locator("input[name=note]").fill("Checked with the bank")
    solve.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    solve = page.locator("#transition-solve")
    error = solve.locator('[data-tf-field="t-solve-/resolution"] .tf-error')
    expect(error).to_be_visible()
    expect(error).to_contain_text("10")
    expect(solve.locator('[name="t-solve-/resolution"]')).to_have_value("Refunded")
    expect(solve.locator("input[name=note]")).to_have_value("Checked with the bank")
    expect(page.locator("#wf-state")).to_have_text("Open")
    expect(page.locator('#edit-form [name="/summary"]')).to_have_value("Charged twice")
    assert stored_ticket(e2e_app, ticket_id)["state"] == "open"

    solve.locator('[name="t-solve-/resolution"]').fill("Refunded the duplicate charge.")
    solve.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#wf-state")).to_have_text("Solved")
    expect(page.locator("#state")).to_contain_text("solved")
    expect(page.locator("#sla")).to_contain_text("met")
    expect(page.locator("#custom")).to_contain_text("Refunded the duplicate charge.")
    stored = stored_ticket(e2e_app, ticket_id)
    assert stored["state"] == "solved"
    assert stored["data"]["resolution"] == "Refunded the duplicate charge."
