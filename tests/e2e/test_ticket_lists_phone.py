"""The ticket list on a 390 px phone: no sideways page scroll, filters folded until used."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in

PHONE = {"width": 390, "height": 844}


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_the_list_fits_a_phone_and_folds_its_filters(
    browser: Browser, live_server: str, e2e_app: Flask, tmp_path: Path
) -> None:
    order = order_number()
    numbers = [
        make_ticket(
            e2e_app,
            "refund",
            "billing",
            refund_data(f"{order}{n}", summary=f"Charged twice for {order}{n} " + "long " * 12),
        )[1]
        for n in range(3)
    ]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "agent3")  # Billing
        page.goto(f"{live_server}/tickets/?template=refund")
        page.wait_for_load_state("networkidle")
        panel = page.locator("#ticket-filter-panel")
        assert page_width(page) <= PHONE["width"], page_width(page)
        assert panel.evaluate("details => details.open") is False
        expect(page.locator("#ticket-filter-panel > summary")).to_be_visible()
        expect(page.locator("#filter-priority")).to_be_hidden()
        expect(page.locator("#filter-q")).to_be_visible()  # the search stays on the first screen
        page.screenshot(path=str(tmp_path / "ticket-list-390.png"), full_page=True)

        # Searching keeps the panel folded; the cards show the matches without a sideways scroll.
        page.fill("#filter-q", order)
        page.click("#search-submit")
        page.wait_for_load_state("networkidle")
        for number in numbers:
            expect(page.locator("#tickets")).to_contain_text(number)
        assert page_width(page) <= PHONE["width"], page_width(page)
        page.screenshot(path=str(tmp_path / "ticket-list-390-search.png"), full_page=True)

        # Opened by hand, filters fit too; once a filter is active the panel comes back open.
        page.click("#ticket-filter-panel > summary")
        page.select_option("#filter-priority", "normal")
        assert page_width(page) <= PHONE["width"], page_width(page)
        page.click("#filter-submit")
        page.wait_for_load_state("networkidle")
        assert panel.evaluate("details => details.open") is True
        expect(page.locator("#filter-priority")).to_have_value("normal")
        assert page_width(page) <= PHONE["width"], page_width(page)
        page.screenshot(path=str(tmp_path / "ticket-list-390-filtered.png"), full_page=True)
    finally:
        context.close()


def test_on_a_desktop_the_filters_show_and_headers_sort(
    browser: Browser, live_server: str, e2e_app: Flask
) -> None:
    order = order_number()
    make_ticket(e2e_app, "refund", "billing", refund_data(order))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "agent3")
        page.goto(f"{live_server}/tickets/?template=refund&q={order}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#filter-priority")).to_be_visible()  # no need to unfold
        expect(page.locator("#ticket-filter-panel > summary")).to_be_hidden()
        page.click("#sort-created")
        page.wait_for_load_state("networkidle")
        assert "sort=oldest" in page.url and f"q={order}" in page.url
        expect(page.locator("#tickets th[aria-sort=ascending]")).to_have_text(
            [re.compile("Number"), re.compile("Created")]  # numbers follow creation
        )
    finally:
        context.close()
