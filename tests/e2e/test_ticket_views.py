"""An agent creates a ticket through a generated form in Chromium, takes it, finds it, notes
with a file, edits."""

from __future__ import annotations

import random

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in


def test_agent_creates_finds_notes_and_meets_a_stale_edit(
    page: Page, browser: Browser, live_server: str
) -> None:
    order = f"SO-{random.randrange(10**8):08d}"
    sign_in(page, live_server, "agent3")  # Billing: refunds are routed there
    page.goto(f"{live_server}/tickets/new/")
    page.click("a[href$='/tickets/new/refund']")
    page.wait_for_load_state("networkidle")

    note = page.locator('[data-tf-field="/manager_approval_note"]')
    expect(note).to_be_hidden()
    page.fill('[name="/summary"]', f"Charged twice for {order}")
    page.fill('[name="/order_number"]', order)
    page.fill('[name="/refund_amount"]', "1500")
    expect(note).to_be_visible()  # refunds above 1,000 need a note for the manager
    page.check('[name="/reason"][value="duplicate_charge"]')
    page.fill('[name="/bank_account_last4"]', "12ab")
    page.fill('[name="/contact"]', "li.na@example.com")
    page.fill('[name="requester_name"]', "Li Na")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    # 422: the errors sit on their fields; what was typed is still there.
    expect(page.locator('[data-tf-field="/bank_account_last4"] .tf-error')).to_be_visible()
    expect(page.locator('[data-tf-field="/manager_approval_note"] .tf-error')).to_be_visible()
    expect(page.locator('[name="/order_number"]')).to_have_value(order)

    page.fill('[name="/bank_account_last4"]', "4821")
    page.fill('[name="/manager_approval_note"]', "Duplicate capture confirmed in the gateway.")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    heading = page.locator("h1").inner_text()
    assert order in heading, heading
    number = heading.split(":", 1)[0].strip()

    # The refund workflow gives it to billing's one agent with the refund skill, this agent,
    # unless earlier tests filled their capacity: then it waits in the queue and they take it.
    take = page.locator("#take")
    if take.count():
        take.click()
        page.wait_for_load_state("networkidle")
    expect(page.locator("#system")).to_contain_text("Agent3 Demo")
    page.goto(f"{live_server}/tickets/?view=mine")
    expect(page.locator("#tickets")).to_contain_text(number)

    # Found in the refund list by a custom-field filter; option labels, not stored values.
    page.goto(f"{live_server}/tickets/?template=refund")
    page.fill('[name="f.order_number.prefix"]', order)
    page.click("#ticket-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#tickets")).to_contain_text(number)
    expect(page.locator("#ticket-count")).to_contain_text("1 ticket")
    expect(page.locator("#tickets")).to_contain_text("Charged twice (重复扣款)")

    # An internal note with a file, marked as such on the page; the file downloads intact.
    page.click(f"#tickets a:text('{number}')")
    page.wait_for_load_state("networkidle")
    ticket_url = page.url
    log = f"gateway capture {order}\n".encode()
    page.fill("#comment-body", "Checked the gateway log.")
    page.check("#comment-form [name=internal]")
    page.set_input_files(
        "#comment-files", files=[{"name": "gateway.txt", "mimeType": "text/plain", "buffer": log}]
    )
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    note_item = page.locator("#comments .internal-note")
    expect(note_item).to_contain_text("Checked the gateway log.")
    expect(note_item.locator(".comment-attachments a")).to_have_text("gateway.txt")
    expect(page.locator("#attachments")).to_contain_text("internal note")
    href = note_item.locator(".comment-attachments a").get_attribute("href")
    assert href is not None
    download = page.request.get(f"{live_server}{href}")
    assert download.ok and download.body() == log
    assert download.headers["content-disposition"] == 'attachment; filename="gateway.txt"'

    # A second session (the Billing head) saves first; the agent's stale save is refused.
    context = browser.new_context()
    try:
        other = context.new_page()
        other.set_default_timeout(15_000)
        sign_in(other, live_server, "head1")
        other.goto(ticket_url)
        page.reload()
        page.wait_for_load_state("networkidle")
        other.click("#edit-toggle")  # the edit form is folded until asked for
        other.fill('#edit-form [name="/bank_account_last4"]', "1111")
        other.click("#edit-form button[type=submit]")
        other.wait_for_load_state("networkidle")
        page.click("#edit-toggle")
        page.fill('#edit-form [name="/bank_account_last4"]', "2222")
        page.click("#edit-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#stale")).to_contain_text("Head1 Demo")
        expect(page.locator('#edit-form [name="/bank_account_last4"]')).to_have_value("2222")
    finally:
        context.close()
