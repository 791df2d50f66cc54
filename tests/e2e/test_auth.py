"""Signing in and out through the navbar; the old session cookie is dead afterwards."""

from __future__ import annotations

import re
import uuid

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.extensions import db
from app.security import security_manager
from tests.e2e.conftest import sign_in


def _new_agent(app: Flask) -> str:
    """A user of its own (password = login), so logging it out touches no other test."""
    name = f"e2e{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = security_manager()
        assert sm.add_user(name, "Eve", "Tester", f"{name}@example.com", sm.find_role("Agent"),
                           password=name)
        db.session.remove()
    return name


def test_sign_in_and_out_through_the_navbar(
    page: Page, browser: Browser, live_server: str, e2e_app: Flask
) -> None:
    username = _new_agent(e2e_app)
    sign_in(page, live_server, username)
    expect(page.locator("text=Signed in as")).to_be_visible()
    cookies = page.context.cookies()

    page.locator("a.dropdown-toggle", has_text="Eve Tester").click()
    page.locator("#navbar-logout button", has_text="Logout").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("a", has_text="Login").first).to_be_visible()
    page.goto(f"{live_server}/users/userinfo/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))

    # Another browser holding the cookie from before the logout is signed out as well.
    other = browser.new_context()
    try:
        other.add_cookies(cookies)  # type: ignore[arg-type]
        stale = other.new_page()
        stale.goto(f"{live_server}/users/userinfo/")
        assert "/login/" in stale.url
    finally:
        other.close()
