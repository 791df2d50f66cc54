"""Admins see the console menu; agents neither see it nor reach it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in


def test_admin_sees_console_menu(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "admin")
    expect(page.locator("text=Signed in as")).to_be_visible()
    console = page.locator("a.dropdown-toggle", has_text="Console")
    expect(console).to_be_visible()
    console.click()
    page.locator("a", has_text="Departments").first.click()
    expect(page.locator("h1, .panel-title, .list-container").first).to_be_visible()
    # Other tests add departments to the shared database: find the demo one by its name.
    page.goto(f"{live_server}/departments/list/?_flt_0_name=Technical")
    expect(page.locator("body")).to_contain_text("Technical Support (技术支持)")


def test_agent_has_no_console_and_gets_403(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "agent3")
    expect(page.locator("text=Signed in as")).to_be_visible()
    expect(page.locator("a.dropdown-toggle", has_text="Console")).to_have_count(0)
    expect(page.locator("a", has_text="Team").first).to_be_visible()
    response = page.goto(f"{live_server}/departments/list/")
    assert response is not None and response.status == 403
    response = page.goto(f"{live_server}/ops/")
    assert response is not None and response.status == 403


def test_agent_marks_self_away_in_the_browser(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "agent4")
    page.goto(f"{live_server}/team/")
    row = page.locator("#team tr", has_text="agent4")
    row.locator("select[name=availability]").select_option("away")
    row.locator("button", has_text="Save").click()
    expect(page.locator(".alert")).to_contain_text("is now away")
    row = page.locator("#team tr", has_text="agent4")
    expect(row.locator("select[name=availability]")).to_have_value("away")
    row.locator("select[name=availability]").select_option("available")
    row.locator("button", has_text="Save").click()
    expect(page.locator(".alert")).to_contain_text("is now available")
