"""Sortable column headers: a custom column (one click ascending, a second descending) and
the priority (one click urgent first, a second low first)."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import update

from app.extensions import db
from app.tickets.models import Ticket
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
        make_ticket(e2e_app, "refund", "billing", refund_data(f"{order}{n}", refund_amount=amount))[
            1
        ]
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


def _set_priority(app: Flask, ticket_id: int, priority: str) -> None:
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(priority=priority))
        db.session.commit()
        db.session.remove()


def test_the_priority_header_sorts_urgent_first_then_low_first(
    page: Page, live_server: str, e2e_app: Flask
) -> None:
    order = order_number()
    priorities = ["normal", "urgent", "low", "high"]
    numbers = []
    for n, priority in enumerate(priorities):
        ticket_id, number = make_ticket(e2e_app, "refund", "billing", refund_data(f"{order}{n}"))
        _set_priority(e2e_app, ticket_id, priority)
        numbers.append(number)
    urgent_first = [numbers[1], numbers[3], numbers[0], numbers[2]]
    sign_in(page, live_server, "agent3")  # Billing
    page.goto(f"{live_server}/tickets/?q={order}")
    header = page.locator("#sort-priority")
    expect(header).to_be_visible()
    expect(page.locator("th", has=header)).not_to_have_attribute("aria-sort", "descending")

    header.click()
    page.wait_for_url("**sort=-priority**")
    expect(page.locator("th", has=page.locator("#sort-priority"))).to_have_attribute(
        "aria-sort", "descending"
    )
    assert _shown(page, numbers) == urgent_first
    expect(page.locator("#filter-sort")).to_have_value("-priority")

    page.locator("#sort-priority").click()
    page.wait_for_url("**sort=priority**")
    expect(page.locator("th", has=page.locator("#sort-priority"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _shown(page, numbers) == urgent_first[::-1]
    expect(page.locator("#filter-q")).to_have_value(order)  # the search is kept
