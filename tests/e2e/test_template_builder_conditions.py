"""The template builder's conditions, clicked in Chromium: an administrator builds a refund
request from an empty form, with an amount shown and required only when the request is a
refund, and publishes it; the saved document is the expected JSON."""

from __future__ import annotations

import json

from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import saved_body, sign_in
from tests.e2e.test_csp import Watch
from tests.e2e.test_template_builder import canvas_names, item, new_template, watch

__all__ = ["watch"]  # the fixture: console errors and CSP violations, checked at the end


def add_basic(page: Page, kind: str, name: str, label: str) -> None:
    page.locator(f'.tb-add-basic[data-type="{kind}"]').click()
    page.fill("#tb-p-name", name)
    page.press("#tb-p-name", "Tab")
    page.fill("#tb-p-label", label)


def test_admin_builds_the_refund_request_with_a_condition_by_clicking(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    item(page, "summary").locator(".tb-delete").click()

    for library_key in ("summary", "order_number"):
        page.fill("#tb-search", library_key)
        page.locator(f'#tb-library .tb-add-library[data-key="{library_key}"]').click()

    add_basic(page, "choice", "request_type", "Request type")
    page.fill("#tb-option-0-value", "question")
    page.fill("#tb-option-0-label", "Question (咨询)")
    page.fill("#tb-option-1-value", "refund")
    page.fill("#tb-option-1-label", "Refund (退款)")
    page.check("#tb-p-required")

    add_basic(page, "number", "amount", "Amount")
    page.fill("#tb-p-minimum", "0")
    page.click("#tb-show-when")
    rule = page.locator("#tb-conditions .tb-rule")
    expect(rule.locator(".tb-rule-effect")).to_have_text("Shown only when")
    rule.locator("select[id$='-field']").select_option("request_type")
    rule.locator("select[id$='-op']").select_option("is")
    rule.locator("select[id$='-value']").select_option("refund")
    page.check("#tb-p-required")
    expect(page.locator("label[for='tb-p-required']")).to_contain_text("Required when shown")
    expect(item(page, "amount").locator(".tb-condition-mark")).to_have_text(
        "shown when Request type is Refund (退款)"
    )
    add_basic(page, "textarea", "details", "Details")
    assert canvas_names(page) == ["summary", "order_number", "request_type", "amount", "details"]
    expect(page.locator("#tb-form-advanced")).to_have_count(0)  # the condition is understood

    # The live preview shows the amount only for a refund.
    preview = page.locator("#preview-pane")
    expect(page.locator("#preview-status")).to_have_text("up to date")
    expect(preview.get_by_label("Amount")).to_be_hidden()
    preview.get_by_label("Request type").select_option("refund")
    expect(preview.get_by_label("Amount")).to_be_visible()

    # Settings: the subject, list columns, a filter and the default department.
    page.select_option("#tb-s-subject", "summary")
    for column in ("order_number", "request_type", "amount"):
        page.select_option("#tb-s-column-add", column)
        page.click("#tb-s-column-add-button")
    page.locator('#tb-s-filters .checkbox[data-name="request_type"] input').check()
    page.select_option("#tb-s-department", "billing")

    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    body = saved_body(e2e_app, key)
    assert body["settings"] == {
        "subject": "/summary",
        "default_department": "billing",
        "list_columns": ["/order_number", "/request_type", "/amount"],
        "filters": ["request_type"],
    }
    assert body["schema"] == {
        "type": "object",
        "properties": {
            "summary": {"$ref": "field:summary"},
            "order_number": {"$ref": "field:order_number"},
            "request_type": {
                "type": "string",
                "title": "Request type",
                "oneOf": [
                    {"const": "question", "title": "Question (咨询)"},
                    {"const": "refund", "title": "Refund (退款)"},
                ],
            },
            "details": {"type": "string", "title": "Details"},
        },
        "required": ["request_type"],
        "if": {"properties": {"request_type": {"const": "refund"}}, "required": ["request_type"]},
        "then": {
            "properties": {"amount": {"type": "number", "title": "Amount", "minimum": 0}},
            "required": ["amount"],
        },
    }
    assert body["uiSchema"] == {
        "ui:order": ["summary", "order_number", "request_type", "amount", "details"],
        "details": {"ui:widget": "textarea"},
    }

    # Reopened, the condition is read back into the panel; publishing keeps the document.
    item(page, "amount").click()
    expect(page.locator("#tb-conditions .tb-rule select[id$='-value']")).to_have_value("refund")
    page.click("#publish")
    page.click("#publish-confirm")
    expect(page.locator(".alert-success")).to_contain_text("Published")
    assert json.dumps(saved_body(e2e_app, key)["schema"]) == json.dumps(body["schema"])
    watch.assert_clean()


def test_a_field_moves_into_a_group_from_its_panel(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    add_basic(page, "group", "address", "Address")
    add_basic(page, "text", "city", "City")
    page.check("#tb-p-required")
    assert canvas_names(page) == ["summary", "address", "city"]
    page.select_option("#tb-p-container", label="Group: address")
    expect(page.locator("#tb-status")).to_have_text("Moved City to Group: address.")
    assert canvas_names(page) == ["summary", "address"]
    nested = page.locator('#tb-canvas .tb-item[data-name="address"] .tb-nested > .tb-item')
    expect(nested).to_have_count(1)
    expect(nested.first).to_have_attribute("data-name", "city")
    expect(page.locator("#tb-p-name")).to_have_value("city")  # still selected, in its group
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    properties = saved_body(e2e_app, key)["schema"]["properties"]
    assert properties["address"] == {
        "type": "object",
        "title": "Address",
        "properties": {"city": {"type": "string", "title": "City"}},
        "required": ["city"],
    }
    watch.assert_clean()


def test_fields_reorder_by_dragging_with_the_mouse(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    add_basic(page, "text", "first", "First")
    add_basic(page, "text", "second", "Second")
    assert canvas_names(page) == ["summary", "first", "second"]
    item(page, "second").locator(".tb-grip").drag_to(item(page, "summary"))
    expect(page.locator("#tb-status")).to_have_text("Moved Second to position 1 of 3.")
    assert canvas_names(page) == ["second", "summary", "first"]
    page.click("#tb-undo")
    assert canvas_names(page) == ["summary", "first", "second"]
    page.click("#tb-redo")
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    assert list(saved_body(e2e_app, key)["schema"]["properties"]) == ["second", "summary", "first"]
    watch.assert_clean()
