"""The template builder's settings controls: an admin sets a template's settings by clicking.

The controls edit the editor's settings textarea; what is saved is whatever it holds, so the
test ends by reading the saved body from the database.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.e2e import test_csp
from tests.e2e.conftest import saved_body, sign_in
from tests.e2e.test_csp import Watch
from tests.e2e.test_template_builder import new_template

watch = test_csp.watch  # console errors and CSP violations of the page, checked at the end


def add_library_field(page: Page, key: str) -> None:
    page.fill("#tb-search", key)
    page.locator(f'#tb-library .tb-add-library[data-key="{key}"]').click()


def settings_text(page: Page) -> Any:
    return json.loads(page.locator("#def-settings").input_value())


def filter_box(page: Page, name: str) -> Locator:
    return page.locator(f'#tb-s-filters .checkbox[data-name="{name}"] input')


def column_names(page: Page) -> list[str]:
    return page.locator("#tb-s-column-list .tb-s-column").evaluate_all(
        "items => items.map(item => item.dataset.name)"
    )


def option_texts(page: Page, select: str) -> list[str]:
    return page.locator(f"{select} option").evaluate_all("options => options.map(o => o.text)")


def test_admin_sets_the_template_settings_only_by_clicking(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    expect(page.locator("#tb-settings")).to_be_visible()
    start = settings_text(page)
    assert start["subject"] == "/summary"
    expect(page.locator("#tb-s-subject")).to_have_value("summary")

    add_library_field(page, "order_number")
    add_library_field(page, "urgency")
    add_library_field(page, "photo")
    # The server's answer about the new fields arrives (debounced): urgency can be a filter.
    expect(filter_box(page, "urgency")).to_be_visible()

    # A file field is not offered as a filter, nor as a subject; choices are no subject either.
    expect(page.locator('#tb-s-filters .checkbox[data-name="photo"]')).to_have_count(0)
    assert page.locator("#tb-s-filters .checkbox").evaluate_all(
        "rows => rows.map(row => row.dataset.name)"
    ) == ["summary", "order_number", "urgency"]
    subjects = page.locator("#tb-s-subject option").evaluate_all("o => o.map(x => x.value)")
    assert subjects == ["", "summary", "order_number"]

    # Subject.
    page.select_option("#tb-s-subject", "order_number")
    expect(page.locator("#tb-s-subject")).to_be_focused()

    # List columns: add two, then put the second first.
    expect(page.locator("#tb-s-no-columns")).to_be_visible()
    page.select_option("#tb-s-column-add", "urgency")
    page.click("#tb-s-column-add-button")
    page.select_option("#tb-s-column-add", "summary")
    page.click("#tb-s-column-add-button")
    assert column_names(page) == ["urgency", "summary"]
    assert "urgency" not in page.locator("#tb-s-column-add option").evaluate_all(
        "o => o.map(x => x.value)"
    )  # a field already shown is not offered again
    page.click("#tb-s-column-1-up")
    assert column_names(page) == ["summary", "urgency"]
    expect(page.locator("#tb-s-column-0-down")).to_be_focused()  # focus moves along

    # A filter, the default department, a workflow and a channel.
    filter_box(page, "urgency").check()
    expect(page.locator("#tb-s-filters-note")).to_have_count(0)
    page.select_option("#tb-s-department", "repair")
    workflows = option_texts(page, "#tb-s-workflow")
    assert workflows[0] == "(built-in default workflow)"
    assert any(text.startswith("Refund") for text in workflows)
    page.select_option("#tb-s-workflow", "refund")
    page.check("#tb-s-channel-web")

    # Undo takes back one settings change: the e-mail channel comes and goes.
    page.check("#tb-s-channel-email")
    assert settings_text(page)["channels"] == ["web", "email"]
    page.click("#tb-undo")
    expect(page.locator("#tb-s-channel-email")).not_to_be_checked()
    expect(page.locator("#tb-s-channel-web")).to_be_checked()
    assert settings_text(page)["channels"] == ["web"]

    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    assert saved_body(e2e_app, key)["settings"] == {
        "subject": "/order_number",
        "default_department": "repair",
        "list_columns": ["/summary", "/urgency"],
        "filters": ["urgency"],
        "workflow": "refund",
        "channels": ["web"],
    }
    # The saved template opens with its settings in the controls.
    expect(page.locator("#tb-s-subject")).to_have_value("order_number")
    expect(filter_box(page, "urgency")).to_be_checked()
    assert column_names(page) == ["summary", "urgency"]
    watch.assert_clean()


def test_a_filter_that_cannot_filter_is_kept_and_shown_with_the_reason(
    page: Page, live_server: str, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    new_template(page, live_server)
    add_library_field(page, "photo")
    page.click("#tb-tab-json")
    settings = settings_text(page)
    page.fill("#def-settings", json.dumps({**settings, "filters": ["photo", "summary"]}))
    page.click("#tb-tab-builder")
    stray = page.locator('#tb-s-filters .checkbox[data-name="photo"]')
    expect(stray.locator(".tb-s-reason")).to_contain_text("A file field")
    expect(stray.locator("input")).to_be_checked()
    expect(filter_box(page, "summary")).to_be_checked()
    # The save check refuses it too (the live preview shows where).
    pointers = page.locator("#preview-pane .tessera-pointer")
    expect(pointers.filter(has_text="/settings/filters/0")).to_have_count(1)

    # Unticking summary leaves photo as written; unticking photo removes it too.
    filter_box(page, "summary").uncheck()
    assert settings_text(page)["filters"] == ["photo"]
    stray.locator("input").click()  # unticked, it is no longer offered: the row goes
    expect(stray).to_have_count(0)
    assert settings_text(page)["filters"] == []
    expect(page.locator("#tb-s-filters-note")).to_have_text(
        "None ticked: the list offers no filters."
    )
    page.click("#tb-s-filters-all")
    assert "filters" not in settings_text(page)
    expect(page.locator("#tb-s-filters-note")).to_contain_text("every field it can filter on")
    expect(page.locator("#preview-status")).to_have_text("up to date")
    # The only console errors: the preview's 422 answers while the photo filter was there.
    assert watch.console and all("/preview" in m and "422" in m for m in watch.console)
    watch.console.clear()
    watch.assert_clean()
