"""The admin builds a field and a template in the browser, with the live preview."""

from __future__ import annotations

import json
import re
import uuid

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.conftest import sign_in

XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def test_admin_builds_a_field_and_a_template_with_live_preview(
    page: Page, live_server: str
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    sign_in(page, live_server, "admin")
    field_key = f"asset_{uuid.uuid4().hex[:8]}"
    template_key = f"loan_{uuid.uuid4().hex[:8]}"
    preview = page.locator("#preview-pane")

    # A library field; its help text carries a script and an image payload.
    page.goto(f"{live_server}/definitions/fields/new")
    page.fill("#def-key", field_key)
    page.fill("#def-title", f"Asset tag {XSS}")
    page.fill("#def-schema", json.dumps({"type": "string", "title": "Asset tag", "maxLength": 8}))
    page.fill("#def-ui", json.dumps({"ui:help": f"{XSS} {IMG}"}))
    expect(preview.locator("label")).to_contain_text("Asset tag")
    expect(preview.locator(".tf-help")).to_have_text(f"{XSS} {IMG}")
    page.click("#format-json")
    expect(page.locator("#def-schema")).to_have_value(
        '{\n  "type": "string",\n  "title": "Asset tag",\n  "maxLength": 8\n}'
    )
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved field {field_key} v1")
    # Publishing asks first, in a dialog; Cancel leaves the draft as it is.
    dialog = page.locator("#publish-dialog")
    expect(dialog).to_be_hidden()
    page.click("#publish")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Publish field {field_key} v1?")
    page.click("#publish-cancel")
    expect(dialog).to_be_hidden()
    expect(page.locator("#editor-title")).to_contain_text("draft")
    page.click("#publish")
    page.click("#publish-confirm")
    row = page.locator(f'#definitions tr[data-key="{field_key}"]')
    expect(row.locator(".tessera-version")).to_have_text("v1")
    expect(row).to_contain_text("published")
    expect(row.locator(".tessera-title")).to_have_text(f"Asset tag {XSS}")

    # A template that uses it; the preview follows the typing, broken JSON included.
    page.goto(f"{live_server}/definitions/templates/new")
    page.fill("#def-key", template_key)
    page.fill("#def-title", f"Device loan {XSS}")
    # The scaffold routes new tickets to a department, which publishing needs.
    expect(page.locator("#def-settings")).to_have_value(re.compile('"default_department": "'))
    page.fill("#def-settings", json.dumps({"default_department": "repair"}))
    schema = page.locator("#def-schema")
    schema.fill(
        '{"type": "object", "required": ["tag"], "properties": {"tag": {"$ref": "field:'
        + field_key
        + '"}, "room": {"type": "string", "minLength": 2, "title": "'
    )
    expect(preview.locator(".tessera-preview-errors")).to_contain_text("Not valid JSON")
    schema.press("End")
    schema.press_sequentially('Room number"}}}', delay=20)
    expect(preview.locator("label", has_text="Room number")).to_be_visible()
    expect(preview.locator("label", has_text="Asset tag")).to_be_visible()
    expect(page.locator("#preview-status")).to_have_text("up to date")

    # Test submit: a too short room number is reported; nothing is created.
    preview.locator('input[name="/tag"]').fill("LT-42")
    preview.locator('input[name="/room"]').fill("B")
    page.click("#test-submit")
    expect(preview.locator(".tessera-try-result")).to_contain_text("/room")
    expect(preview.locator('input[name="/room"]')).to_have_value("B")
    preview.locator('input[name="/room"]').fill("B-204")
    page.click("#test-submit")
    expect(preview.locator(".tessera-try-result")).to_contain_text("Valid.")
    expect(preview.locator(".tessera-try-result pre")).to_contain_text('"room": "B-204"')

    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {template_key} v1")
    page.click("#publish")
    page.click("#publish-confirm")
    expect(page.locator(".alert-success")).to_contain_text(f"Published template {template_key}")
    row = page.locator(f'#definitions tr[data-key="{template_key}"]')
    expect(row.locator(".tessera-version")).to_have_text("v1")
    expect(row).to_contain_text("published")
    expect(row.locator(".tessera-title")).to_have_text(f"Device loan {XSS}")

    # The field now lists the template, pinned to v1.
    page.goto(f"{live_server}/definitions/fields/?q={field_key}")
    page.locator(f'#definitions tr[data-key="{field_key}"] a', has_text="History").click()
    expect(page.locator("#usages")).to_contain_text(template_key)
    expect(page.locator("#usages")).to_contain_text("pinned to v1")
    assert dialogs == [], f"a script ran: {dialogs}"


def test_preview_shows_conditional_fields_only_when_they_apply(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/definitions/templates/new")
    page.fill("#def-key", f"cond_{uuid.uuid4().hex[:8]}")
    page.fill("#def-title", "Conditional")
    schema = {
        "type": "object",
        "properties": {"escalate": {"type": "boolean", "title": "Escalate"}},
        "if": {"properties": {"escalate": {"const": True}}, "required": ["escalate"]},
        "then": {
            "properties": {"reason": {"type": "string", "title": "Reason", "minLength": 3}},
            "required": ["reason"],
        },
    }
    page.fill("#def-schema", json.dumps(schema))
    preview = page.locator("#preview-pane")
    expect(preview.locator("label", has_text="Escalate")).to_be_visible()
    reason = preview.locator('input[name="/reason"]')
    expect(reason).to_be_hidden()
    preview.locator('input[name="/escalate"]').check()
    expect(reason).to_be_visible()
    page.click("#test-submit")
    expect(preview.locator(".tessera-try-result")).to_contain_text("/reason")
    expect(preview.locator('input[name="/reason"]')).to_be_visible()  # still applies


def test_without_scripts_publish_and_retire_ask_on_a_page(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "admin")
        key = f"plain_{uuid.uuid4().hex[:8]}"
        page.goto(f"{live_server}/definitions/fields/new")
        page.fill("#def-key", key)
        page.fill("#def-title", "Without scripts")
        page.fill("#def-schema", json.dumps({"type": "string"}))
        page.fill("#def-ui", "{}")
        page.click("#save-draft")
        page.click("#publish")
        expect(page.locator("h1#publish-question")).to_have_text(f"Publish field {key} v1?")
        page.click("#publish-cancel")
        expect(page.locator("#editor-title")).to_contain_text("draft")
        page.click("#publish")
        page.click("#publish-confirm")
        expect(page.locator(".alert-success")).to_contain_text(f"Published field {key} v1")
        page.locator(f'#definitions tr[data-key="{key}"] a', has_text="Edit").click()
        page.click("#retire")
        expect(page.locator("h1#retire-question")).to_have_text(f"Retire field {key} v1?")
        page.click("#retire-confirm")
        expect(page.locator(".alert-success")).to_contain_text(f"Retired field {key} v1")
    finally:
        context.close()
