"""The Content-Security-Policy in Chromium: no page trips it, and pages refuse to be framed."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Dialog, Error, Page, Response, expect

from app.definitions import store
from app.extensions import db
from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.e2e.conftest import sign_in

# Runs before any script of every page and frame; the binding survives navigations.
WATCH = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.tesseraCspViolation({
    page: location.href, directive: event.violatedDirective, blocked: event.blockedURI,
    source: event.sourceFile, line: event.lineNumber, sample: event.sample
  });
});
"""


@dataclass
class Watch:
    """CSP violations, console errors and uncaught errors seen by a page."""

    violations: list[Any] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)

    def on_response(self, response: Response) -> None:
        """Every page this origin serves is under the nonce policy (so a clean run means it)."""
        if response.request.resource_type != "document":
            return
        policy = response.headers.get("content-security-policy", "")
        parts = (part.strip().split(" ", 1) for part in policy.split(";"))
        script_src = dict(part for part in parts if len(part) == 2).get("script-src", "")
        if "'nonce-" not in script_src or "'unsafe-inline'" in script_src:
            self.unprotected.append(f"{response.url}: {policy!r}")

    def on_violation(self, violation: Any) -> None:
        self.violations.append(violation)

    def on_console(self, message: ConsoleMessage) -> None:
        url = str(message.location.get("url") or "")
        if message.type == "error":
            self.console.append(f"{url}: {message.text}")

    def on_error(self, error: Error) -> None:
        self.console.append(f"uncaught: {error}")

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert self.unprotected == [], self.unprotected
        assert self.violations == [], self.violations
        assert self.console == [], self.console


@pytest.fixture
def watch(page: Page) -> Iterator[Watch]:
    seen = Watch()
    page.expose_function("tesseraCspViolation", seen.on_violation)
    page.add_init_script(WATCH)
    page.on("console", seen.on_console)
    page.on("pageerror", seen.on_error)
    page.on("dialog", seen.on_dialog)
    page.on("response", seen.on_response)
    yield seen


def published_template(app: Flask, body: dict[str, Any]) -> None:
    with app.app_context():
        store.publish(store.save_draft("template", body["key"], body, None).id, None)
        db.session.remove()


def loan_template(key: str) -> dict[str, Any]:
    """A template with a condition ("long" loans say why) and rows (the loaned items)."""
    return {
        "key": key,
        "title": "Device loan",
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"$ref": "field:summary"},
                "term": {"type": "string", "title": "Term", "enum": ["short", "long"]},
                "items": {
                    "type": "array",
                    "title": "Items",
                    "items": {
                        "type": "object",
                        "title": "Item",
                        "properties": {"tag": {"type": "string", "title": "Asset tag"}},
                    },
                },
            },
            "required": ["summary"],
            "if": {"properties": {"term": {"const": "long"}}, "required": ["term"]},
            "then": {"properties": {"why": {"type": "string", "title": "Why so long"}}},
        },
        "settings": {"subject": "/summary", "default_department": "billing"},
    }


def test_definitions_console_live_preview_runs_under_the_policy(
    page: Page, watch: Watch, live_server: str, e2e_app: Flask
) -> None:
    with e2e_app.app_context():
        row = store.published("template", "it_support")
        assert row is not None
        pk = row.id
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/definitions/templates/edit/{pk}")
    preview = page.locator("#preview-pane")
    expect(preview.locator("label", has_text="Affected system")).to_be_visible()

    schema = page.locator("#def-schema")
    schema.fill(schema.input_value().replace("Affected system", "Impacted service"))
    expect(preview.locator("label", has_text="Impacted service")).to_be_visible()
    expect(page.locator("#preview-status")).to_have_text("up to date")

    # The preview's form script binds the inserted form: the condition follows the category.
    username = preview.locator('[data-tf-field="/username"]')
    preview.locator('[name="/category"]').select_option("hardware")
    expect(username).to_be_hidden()
    preview.locator('[name="/category"]').select_option("account")
    expect(username).to_be_visible()

    page.click("#format-json")
    expect(schema).to_have_value(re.compile(r'^\{\n  "type"'))  # pretty-printed
    watch.assert_clean()


def test_new_ticket_form_conditions_and_rows_run_under_the_policy(
    page: Page, watch: Watch, live_server: str, e2e_app: Flask
) -> None:
    key = f"loan_{uuid.uuid4().hex[:8]}"
    published_template(e2e_app, loan_template(key))
    sign_in(page, live_server, "agent3")
    page.goto(f"{live_server}/tickets/new/{key}")
    page.wait_for_load_state("networkidle")

    why = page.locator('[data-tf-field="/why"]')
    expect(why).to_be_hidden()
    page.select_option('[name="/term"]', "long")
    expect(why).to_be_visible()

    rows = page.locator('[data-tf-array="/items"] [data-tf-rows] > [data-tf-row]')
    before = rows.count()
    page.click('[data-tf-array="/items"] > [data-tf-add]')
    expect(rows).to_have_count(before + 1)
    page.click('[data-tf-array="/items"] > [data-tf-add]')
    expect(rows).to_have_count(before + 2)
    rows.nth(before).locator("input[type=text], input:not([type])").first.fill("LT-1")
    rows.nth(before + 1).locator("input[type=text], input:not([type])").first.fill("LT-2")

    summary = f"Two laptops {uuid.uuid4().hex[:6]}"
    page.fill('[name="/summary"]', summary)
    page.fill('[name="/why"]', "A semester abroad")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text(summary)
    expect(page.locator("#custom")).to_contain_text("LT-2")
    watch.assert_clean()


def test_ticket_page_assign_and_comment_run_under_the_policy(
    page: Page, watch: Watch, live_server: str, e2e_app: Flask
) -> None:
    ticket_id, number = make_ticket(e2e_app, "refund", "billing", refund_data(order_number()))
    sign_in(page, live_server, "agent3")
    page.goto(f"{live_server}/tickets/{ticket_id}")
    expect(page.locator("h1")).to_contain_text(number)

    page.click("#take")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#system")).to_contain_text("Agent3 Demo")

    page.fill("#comment-body", "Called the customer back.")
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#comments")).to_contain_text("Called the customer back.")
    watch.assert_clean()


def test_ops_console_runs_under_the_policy(page: Page, watch: Watch, live_server: str) -> None:
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/ops/")
    expect(page.locator("h1")).to_have_text("Job queues")
    page.goto(f"{live_server}/ops/failed/")
    expect(page.locator("h1")).to_have_text("Failed jobs")

    page.goto(f"{live_server}/ops/tables/department/")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.model-list tbody tr")
    count = rows.count()
    assert count > 0
    # A row's delete asks first (dismissed here: nothing is deleted).
    rows.first.locator("button[data-tessera-confirm]").click()
    assert watch.dialogs == ["Are you sure you want to delete this record?"]
    expect(rows).to_have_count(count)
    # "With selected" → Delete with nothing selected: Flask-Admin's own script answers.
    page.click("a.dropdown-toggle:has-text('With selected')")
    page.click("[data-tessera-action='delete']")
    assert len(watch.dialogs) == 2, watch.dialogs
    # javascript: placeholders (the active tab) go nowhere instead of tripping the policy.
    page.click(".nav-tabs a.active")
    expect(rows).to_have_count(count)
    watch.assert_clean()


CONSOLE_PAGES = [
    "/",
    "/tickets/",
    "/tickets/new/",
    "/team/",
    "/definitions/templates/",
    "/definitions/fields/",
    "/definitions/files/",
    "/departments/list/",
    "/departments/add",
    "/memberships/list/",
    "/memberships/add",
    "/users/list/",
    "/users/add",
    "/roles/list/",
    "/users/userinfo/",
    "/swagger/v1",
    "/ops/tables/membership/",
    "/ops/tables/membership/new/",
]


def test_console_pages_load_without_violations(page: Page, watch: Watch, live_server: str) -> None:
    sign_in(page, live_server, "admin")
    for path in CONSOLE_PAGES:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
    watch.assert_clean()


def test_the_watch_sees_what_the_policy_blocks(page: Page, watch: Watch, live_server: str) -> None:
    page.goto(f"{live_server}/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.appendChild(script);
          document.body.setAttribute("onclick", "window.clicked = true");
          document.body.click();
        }"""
    )
    page.wait_for_timeout(200)  # the reports arrive through the binding, asynchronously
    assert page.evaluate("() => [window.injected, window.clicked]") == [None, None]
    directives = sorted(v["directive"] for v in watch.violations)
    assert directives == ["script-src-attr", "script-src-elem"], watch.violations


class Framer(BaseHTTPRequestHandler):
    """A page on another origin that frames `target`."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f'<!doctype html><iframe id="victim" src="{self.target}"></iframe>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def framer_for() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(target: str) -> str:
        handler = type("TargetFramer", (Framer,), {"target": target})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_ticket_page_refuses_a_cross_origin_frame(
    page: Page, live_server: str, e2e_app: Flask, framer_for: Any
) -> None:
    ticket_id, _ = make_ticket(e2e_app, "refund", "billing", refund_data(order_number()))
    sign_in(page, live_server, "agent3")  # same site, other port: the session cookie goes along
    target = f"{live_server}/tickets/{ticket_id}"
    with page.expect_response(target) as framed:
        page.goto(framer_for(target))
    response = framed.value
    assert response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    # Chromium replaces a refused frame with its own error page: nothing of the ticket shows.
    page.wait_for_load_state("load")
    frame = page.frame(name="victim")
    assert frame is not None
    assert frame.url.startswith("chrome-error://"), frame.url
    assert frame.locator("#take").count() == 0
