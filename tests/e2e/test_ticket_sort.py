"""A template's list sorted by a custom column: one click ascending, a second descending."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in


def _shown(page: Page, numbers: list[str]) -> list[str]:
    """The given ticket numbers in the order the list shows them."""
    cells = page.locator("#tickets td.ticket-number").all_inner_texts()
    return [n for n in (c.strip() for c in cells) if n in numbers]


def test_a_custom_column_header_sorts_both_ways(
    page: Page, live_server: str, e2e_app: Flask
) -> None:
    order = order_number()
    amounts = [75.25, 3, 1200]
    numbers = [
        make_ticket(
            e2e_app, "refund", "billing", refund_data(f"{order}{n}", refund_amount=amount)
        )[1]
        for n, amount in enumerate(amounts)
    ]
    by_amount = [numbers[1], numbers[0], numbers[2]]
    sign_in(page, live_server, "agent3")  # Billing
    page.goto(f"{live_server}/tickets/?template=refund&q={order}")
    header = page.locator("#sort-f-refund_amount")
    expect(header).to_be_visible()
    expect(page.locator("th", has=header)).not_to_have_attribute("aria-sort", "ascending")

    header.click()
    page.wait_for_url("**sort=f.refund_amount**")
    expect(page.locator("th", has=page.locator("#sort-f-refund_amount"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _shown(page, numbers) == by_amount
    expect(page.locator("#filter-sort")).to_have_value("f.refund_amount")

    page.locator("#sort-f-refund_amount").click()
    page.wait_for_url("**sort=-f.refund_amount**")
    expect(page.locator("th", has=page.locator("#sort-f-refund_amount"))).to_have_attribute(
        "aria-sort", "descending"
    )
    assert _shown(page, numbers) == by_amount[::-1]
    expect(page.locator("#filter-q")).to_have_value(order)  # the search is kept
