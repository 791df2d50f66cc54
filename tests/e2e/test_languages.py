"""Chromium set to Chinese: the pages come in Chinese, and the language menu switches to English."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import sign_in


def test_a_chinese_browser_gets_chinese_pages_until_the_user_picks_english(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(locale="zh-CN")  # Accept-Language: zh-CN
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, "agent1")
        page.goto(f"{live_server}/tickets/")
        expect(page.locator("#ticket-count")).to_contain_text("工单")
        expect(page.locator("html")).to_have_attribute("lang", "zh")
        menu = page.locator("#language-menu")
        expect(menu).to_contain_text("中文")
        menu.locator(".dropdown-toggle").click()
        menu.get_by_role("link", name="English").click()
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server}/tickets/")
        expect(page.locator("#ticket-count")).to_contain_text("ticket")
        expect(page.locator("#ticket-count")).not_to_contain_text("工单")
        expect(page.locator("#language-menu")).to_contain_text("English")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()
