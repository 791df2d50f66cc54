"""Chromium in Shanghai: after the first page, the ticket page shows its times in CST."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in


def test_times_follow_the_browser_zone(
    browser: Browser, live_server: str, e2e_app: Flask
) -> None:
    pk, _number = make_ticket(e2e_app, "refund", "billing", refund_data(order_number()))
    context = browser.new_context(timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, "agent3")  # the login page's script reports the zone
        cookie = {c["name"]: c["value"] for c in context.cookies()}
        assert cookie.get("tessera_tz") == "Asia%2FShanghai"
        page.goto(f"{live_server}/tickets/{pk}")
        expect(page.locator("#ticket-header")).to_contain_text("CST")
    finally:
        context.close()
