"""The workflow editor's tools in Chromium: the route tester loads into the editor and answers
in place, in the page's language; the diagram's zoom says whether it is on."""

from __future__ import annotations

import json
import re

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.app.test_workflow_tools import published_workflow
from tests.e2e import test_csp
from tests.e2e.conftest import sign_in
from tests.e2e.test_csp import Watch

watch = test_csp.watch  # console errors and CSP violations of the page, checked at the end
REFUSED = re.compile(r"/route/\d+: Failed to load resource: .* 422")


def test_the_route_tester_answers_inside_the_editor(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    pk, _ = published_workflow(e2e_app, "refund")
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/definitions/workflows/edit/{pk}")
    pane = page.locator("#route-tester-pane")
    expect(pane.locator("#route-tester-form")).to_be_visible()  # fetched by the script
    pane.locator("#route-document").fill(json.dumps({"data": {"refund_amount": 9000}}))
    pane.locator("#route-use-document").click()
    expect(pane.locator("#route-rule")).to_contain_text("large")
    expect(page).to_have_url(f"{live_server}/definitions/workflows/edit/{pk}")  # no navigation
    pane.locator("#route-document").fill("{nope")
    pane.locator("#route-use-document").click()
    expect(pane.locator("#route-document-error")).to_contain_text("Not valid JSON")
    expect(page.locator("#route-document")).to_be_focused()
    zoom = page.locator("#diagram-zoom")
    if zoom.count():
        before = zoom.get_attribute("aria-pressed")
        zoom.click()
        expect(zoom).not_to_have_attribute("aria-pressed", before or "")
    # the refused document answers 422, which Chromium logs as a failed resource; nothing else
    assert watch.violations == [] and watch.unprotected == []
    assert [c for c in watch.console if not REFUSED.search(c)] == [], watch.console


def test_the_route_tester_speaks_chinese_in_a_chinese_browser(
    browser: Browser, live_server: str, e2e_app: Flask
) -> None:
    pk, _ = published_workflow(e2e_app, "refund")
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, "admin")
        page.goto(f"{live_server}/definitions/workflows/edit/{pk}")
        pane = page.locator("#route-tester-pane")
        expect(pane.locator("#route-use-document")).to_be_visible()
        expect(pane.locator("#route-use-document")).not_to_have_text("Route this document")
        # a word of the script itself (data-messages), once the server cannot be reached
        page.route("**/route/**", lambda route: route.fulfill(status=502, body="down"))
        pane.locator("#route-use-document").click()
        expect(pane.locator(".alert-danger")).to_contain_text("502")
        expect(pane.locator(".alert-danger")).not_to_contain_text("could not be loaded")
    finally:
        context.close()
