"""The visual template builder: an admin builds a template by clicking and with the keyboard.

The builder edits the editor's JSON textareas; what is saved is whatever they hold, so each test
ends by reading the saved body from the database.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e import test_csp
from tests.e2e.conftest import saved_body, sign_in
from tests.e2e.test_csp import Watch

watch = test_csp.watch  # console errors and CSP violations of the page, checked at the end


def canvas_names(page: Page) -> list[str]:
    return page.locator("#tb-canvas > .tb-list > .tb-item").evaluate_all(
        "items => items.map(item => item.dataset.name)"
    )


def item(page: Page, name: str) -> Any:
    return page.locator(f'#tb-canvas .tb-item[data-name="{name}"]')


def new_template(page: Page, live_server: str) -> str:
    key = f"built_{uuid.uuid4().hex[:8]}"
    page.goto(f"{live_server}/definitions/templates/new")
    page.fill("#def-key", key)
    page.fill("#def-title", "Visit request")
    expect(page.locator("#template-builder")).to_be_visible()
    expect(page.locator("#tb-library .tb-add-library").first).to_be_visible()  # palette loaded
    # the server has answered about the form's fields: no redraw is on its way under a click
    expect(page.locator("#tb-settings .tb-s-status")).to_have_text("")
    return key


def test_admin_builds_a_template_only_by_clicking(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    settings = json.loads(page.locator("#def-settings").input_value())
    expect(page.locator("#tb-tab-builder")).to_have_attribute("aria-selected", "true")

    # From an empty form: delete the scaffold's field.
    assert canvas_names(page) == ["summary"]
    item(page, "summary").locator(".tb-delete").click()
    expect(page.locator("#tb-canvas .tb-empty")).to_be_visible()
    expect(page.locator("#tb-status")).to_contain_text("Deleted Summary")

    # Two library fields, found by searching.
    page.fill("#tb-search", "summary")
    page.locator('#tb-library .tb-add-library[data-key="summary"]').click()
    page.fill("#tb-search", "contact_em")
    expect(page.locator("#tb-library .tb-add-library")).to_have_count(1)
    page.locator('#tb-library .tb-add-library[data-key="contact_email"]').click()
    expect(item(page, "contact_email").locator(".tb-ref")).to_have_text("library: contact_email")

    # A required short text.
    page.locator('.tb-add-basic[data-type="text"]').click()
    page.fill("#tb-p-name", "room")
    page.press("#tb-p-name", "Tab")
    page.fill("#tb-p-label", "Room number")
    page.check("#tb-p-required")
    expect(item(page, "room").locator(".tb-required")).to_be_visible()
    # The JSON textarea shows each edit as it is made.
    expect(page.locator("#def-schema")).to_have_value(re.compile(r'"required": \[\s*"room"\s*\]'))

    # A single choice with labelled options, shown as radio buttons.
    page.locator('.tb-add-basic[data-type="choice"]').click()
    page.fill("#tb-p-name", "urgency_level")
    page.press("#tb-p-name", "Tab")
    page.fill("#tb-p-label", "How urgent?")
    page.fill("#tb-option-0-value", "low")
    page.fill("#tb-option-0-label", "Low (低)")
    page.fill("#tb-option-1-value", "high")
    page.fill("#tb-option-1-label", "High (高)")
    page.click("#tb-add-option")
    page.fill("#tb-option-2-value", "critical")
    page.fill("#tb-option-2-label", "Critical (紧急)")
    page.select_option("#tb-p-widget", "radio")

    # Reorder with the keyboard: the room number goes above the contact e-mail.
    assert canvas_names(page) == ["summary", "contact_email", "room", "urgency_level"]
    item(page, "room").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#tb-status")).to_contain_text("Moved Room number to position 2 of 4")
    assert canvas_names(page) == ["summary", "room", "contact_email", "urgency_level"]

    # The live preview follows the builder.
    preview = page.locator("#preview-pane")
    expect(preview.locator("label", has_text="Room number")).to_be_visible()
    expect(preview.locator('input[type="radio"]')).to_have_count(3)
    expect(page.locator("#preview-status")).to_have_text("up to date")

    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    assert saved_body(e2e_app, key) == {
        "key": key,
        "title": "Visit request",
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"$ref": "field:summary"},
                "room": {"type": "string", "title": "Room number"},
                "contact_email": {"$ref": "field:contact_email"},
                "urgency_level": {
                    "type": "string",
                    "title": "How urgent?",
                    "oneOf": [
                        {"const": "low", "title": "Low (低)"},
                        {"const": "high", "title": "High (高)"},
                        {"const": "critical", "title": "Critical (紧急)"},
                    ],
                },
            },
            "required": ["room"],
        },
        "uiSchema": {"urgency_level": {"ui:widget": "radio"}},
        # Deleting the scaffold's summary took it out of the subject; adding one back does not.
        "settings": {k: v for k, v in settings.items() if k != "subject"},
    }
    # The saved template opens in the builder as it was built.
    expect(page.locator("#template-builder")).to_be_visible()
    assert canvas_names(page) == ["summary", "room", "contact_email", "urgency_level"]
    watch.assert_clean()


SCHEMA_WITH_UNKNOWNS = """{
  "type": "object",
  "x-audit": {"owner": "ops", "level": 1.0, "ticket": 12345678901234567890},
  "properties": {
    "serial": {"type": "string", "title": "Serial", "x-source": "erp", "maxLength": 20},
    "notes": {"type": "string", "title": "Notes"}
  },
  "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}
}"""


def test_json_tab_edits_reach_the_canvas_and_unknown_keywords_survive(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    sign_in(page, live_server, "admin")
    key = new_template(page, live_server)
    page.click("#tb-tab-json")
    expect(page.locator("#tb-builder")).to_be_hidden()
    page.fill("#def-schema", SCHEMA_WITH_UNKNOWNS)
    page.fill("#def-uiSchema", '{"serial": {"ui:help": "On the label", "ui:x-hint": [1, 2]}}')
    page.click("#tb-tab-builder")
    assert canvas_names(page) == ["serial", "notes"]
    expect(page.locator("#tb-form-advanced")).to_contain_text("x-audit, $defs")
    expect(item(page, "serial").locator(".tb-advanced")).to_be_visible()
    item(page, "serial").click()
    expect(page.locator("#tb-advanced")).to_contain_text("x-source")
    expect(page.locator("#tb-advanced")).to_contain_text("ui:x-hint")

    # A round of builder edits.
    page.fill("#tb-p-label", "Serial number")
    page.fill("#tb-p-maxLength", "30")
    page.fill("#tb-p-pattern", "^[A-Z0-9]{4,30}$")
    page.fill("#tb-p-message", "Letters and digits only")
    page.fill("#tb-p-try", "ab-1")
    expect(page.locator("#tb-pattern-result")).to_have_text("Does not match.")
    page.check("#tb-p-required")
    item(page, "notes").locator(".tb-up").click()
    page.locator('.tb-add-basic[data-type="yesno"]').click()
    item(page, "yesno").locator(".tb-delete").click()
    page.click("#tb-undo")
    page.click("#tb-undo")  # the yes/no field comes back, then goes
    assert canvas_names(page) == ["notes", "serial"]

    text = page.locator("#def-schema").input_value()
    assert '"level": 1.0' in text and '"ticket": 12345678901234567890' in text  # as written
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved template {key} v1")
    body = saved_body(e2e_app, key)
    assert body["schema"] == {
        "type": "object",
        "x-audit": {"owner": "ops", "level": 1.0, "ticket": 12345678901234567890},
        "properties": {
            "serial": {
                "type": "string",
                "title": "Serial number",
                "x-source": "erp",
                "maxLength": 30,
                "pattern": "^[A-Z0-9]{4,30}$",
            },
            "notes": {"type": "string", "title": "Notes"},
        },
        "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        "required": ["serial"],
    }
    assert list(body["schema"]["properties"]) == ["notes", "serial"]
    assert body["uiSchema"] == {
        "serial": {
            "ui:help": "On the label",
            "ui:x-hint": [1, 2],
            "ui:errorMessages": {"pattern": "Letters and digits only"},
        },
    }
    watch.assert_clean()


def test_keyboard_only_reordering_and_delete(page: Page, live_server: str, watch: Watch) -> None:
    sign_in(page, live_server, "admin")
    new_template(page, live_server)
    page.click("#tb-tab-json")
    page.fill(
        "#def-schema",
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "a": {"type": "string", "title": "Alpha"},
                    "b": {"type": "string", "title": "Bravo"},
                    "g": {
                        "type": "object",
                        "title": "Group",
                        "properties": {
                            "x": {"type": "integer", "title": "X-ray"},
                            "y": {"type": "number", "title": "Yankee"},
                        },
                    },
                },
            }
        ),
    )
    page.fill("#def-uiSchema", json.dumps({"ui:order": ["b", "*"]}))
    page.click("#tb-tab-builder")
    assert canvas_names(page) == ["b", "a", "g"]

    # Tab into the canvas, walk it with the arrows, move with Alt+arrows.
    page.focus("#tb-search")
    page.keyboard.press("Tab")
    for _ in range(200):  # past the palette's buttons, however many there are
        if page.evaluate("document.activeElement.classList.contains('tb-item')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.name") == "b"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.name") == "a"
    page.keyboard.press("Alt+ArrowUp")
    assert canvas_names(page) == ["a", "b", "g"]
    assert page.evaluate("document.activeElement.dataset.name") == "a"  # focus moves along
    # "a" was one of the "*" ("all the others"): the order now names it, and the rest.
    ui_order = json.loads(page.locator("#def-uiSchema").input_value())["ui:order"]
    assert ui_order == ["a", "b", "g", "*"]

    # Inside the group: x-ray below yankee.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.name") == "x"
    page.keyboard.press("Alt+ArrowDown")
    schema = json.loads(page.locator("#def-schema").input_value())
    assert list(schema["properties"]["g"]["properties"]) == ["y", "x"]

    # Enter opens the field in the panel; Delete deletes it, Ctrl+Z brings it back.
    page.keyboard.press("Enter")
    expect(page.locator("#tb-p-name")).to_have_value("x")
    item(page, "a").focus()
    page.keyboard.press("Delete")
    assert canvas_names(page) == ["b", "g"]
    expect(page.locator("#tb-undo")).to_be_focused()
    page.keyboard.press("Enter")
    assert canvas_names(page) == ["a", "b", "g"]
    watch.assert_clean()
