"""A file field in Chromium: chosen on the new-ticket form, stored, shown as a thumbnail."""

from __future__ import annotations

import base64
import uuid

from flask import Flask
from playwright.sync_api import Page, expect

from app.definitions import store
from app.extensions import db
from tests.e2e.conftest import sign_in

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def publish_template(app: Flask) -> str:
    """A template with a summary and a photo, routed to After-sales Repair."""
    key = f"photo_{uuid.uuid4().hex[:8]}"
    body = {
        "key": key,
        "title": "Photo report",
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "title": "Summary"},
                "photo": {"type": "string", "format": "data-url", "title": "Photo"},
            },
            "required": ["summary"],
        },
        "uiSchema": {"photo": {"ui:options": {"accept": "image/*"}}},
        "settings": {"subject": "/summary", "default_department": "repair"},
    }
    with app.app_context():
        row = store.save_draft("template", key, body, None)
        store.publish(row.id, None)
        db.session.remove()
    return key


def test_a_chosen_image_is_stored_and_shown_as_a_thumbnail(
    page: Page, live_server: str, e2e_app: Flask
) -> None:
    key = publish_template(e2e_app)
    sign_in(page, live_server, "agent5")  # After-sales Repair
    page.goto(f"{live_server}/tickets/new/{key}")
    page.fill('[name="/summary"]', "Cracked housing")
    page.set_input_files(
        '[name="/photo"]', files={"name": "crack.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.click("button[type=submit]:has-text('Create ticket')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("Created")
    thumb = page.locator("#ticket-files img.tessera-thumb")
    expect(thumb).to_have_count(1)
    page.wait_for_function(
        "() => { const i = document.querySelector('#ticket-files img.tessera-thumb');"
        " return i && i.complete; }"
    )
    # Loaded, not blocked: the page's policy allows its own images, the download's headers too.
    assert thumb.evaluate("img => img.naturalWidth") == 1
    expect(page.locator("#ticket-files")).to_contain_text("crack.png")
    expect(page.locator("#custom")).to_contain_text("crack.png")
    expect(page.locator("#custom")).not_to_contain_text("base64")
