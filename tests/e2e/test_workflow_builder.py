"""The visual workflow builder: an admin builds routing, SLA and transitions by clicking and with
the keyboard.

The builder edits the editor's inputs; what is saved is whatever they hold, so each test ends by
reading the saved body from the database.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from app.definitions import store
from app.extensions import db
from app.views import definition_editor as editor
from tests.e2e import test_csp
from tests.e2e.conftest import saved_body, sign_in
from tests.e2e.test_csp import Watch

watch = test_csp.watch  # console errors and CSP violations of the page, checked at the end
REFUND = json.loads(
    (Path(__file__).resolve().parents[2] / "app/demo/definitions/workflow/refund.json").read_text()
)


# A new workflow's first preview is refused until it has a title, and a save with problems is
# refused: both answer 422 with the problems, which Chromium logs as a failed resource. Nothing
# else may reach the console.
PREVIEW_PROBLEMS = re.compile(
    r"/definitions/workflows/(preview|new): Failed to load resource: .* 422"
)


def assert_clean(watch: Watch) -> None:
    """No console error, uncaught error or CSP violation but the preview's answer."""
    watch.console[:] = [line for line in watch.console if not PREVIEW_PROBLEMS.search(line)]
    watch.assert_clean()


def following_template(app: Flask, workflow: str) -> None:
    """A template draft that follows `workflow`, with a number and a labelled choice."""
    key = f"tpl_{uuid.uuid4().hex[:8]}"
    body = {
        "key": key,
        "title": "Claim",
        "schema": {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "title": "Amount"},
                "tier": {
                    "type": "string",
                    "title": "Tier",
                    "oneOf": [
                        {"const": "gold", "title": "Gold"},
                        {"const": "basic", "title": "Basic"},
                    ],
                },
            },
        },
        "settings": {"workflow": workflow, "default_department": "billing"},
    }
    with app.app_context():
        store.save_draft("template", key, body, None)
        db.session.remove()


def data_test(name: str, keyword: str, value: Any) -> dict[str, Any]:
    """The condition the builder writes for one custom field test."""
    return {
        "properties": {"data": {"properties": {name: {keyword: value}}, "required": [name]}},
        "required": ["data"],
    }


def new_workflow(page: Page, live_server: str, key: str) -> None:
    page.goto(f"{live_server}/definitions/workflows/new")
    page.fill("#def-key", key)
    page.press("#def-key", "Tab")  # the builder asks for the custom fields of this key
    page.fill("#def-title", "Claims")
    expect(page.locator("#workflow-builder")).to_be_visible()
    expect(page.locator("#wb-data-status")).to_have_text("")


def rule_names(page: Page) -> list[str]:
    return page.locator("#wb-rules .wb-rule").evaluate_all("rows => rows.map(r => r.dataset.name)")


def test_admin_builds_routing_sla_and_transitions_by_clicking(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    key = f"wf_{uuid.uuid4().hex[:8]}"
    following_template(e2e_app, key)
    sign_in(page, live_server, "admin")
    new_workflow(page, live_server, key)
    expect(page.locator("#wb-tab-builder")).to_have_attribute("aria-selected", "true")

    # States: a new one, renamed; the diagram follows.
    page.click("#wb-add-state")
    page.fill("#wb-state-4-name", "review")
    page.press("#wb-state-4-name", "Tab")
    page.fill("#wb-state-4-label", "In review")
    page.select_option("#wb-state-4-category", "waiting")

    # Transitions: one into the new state; "solve" needs the amount filled in and a head's
    # approval over 1000. The diagram follows.
    page.click("#wb-sec-transitions")
    page.click("#wb-add-transition")
    page.fill("#wb-tr-4-name", "send_review")
    page.press("#wb-tr-4-name", "Tab")
    page.select_option("#wb-tr-4-to", "review")
    # The checks' problems show on the builder's controls: the new state has no way out.
    expect(page.locator("#wb-badge-states")).to_have_text("1")
    page.click("#wb-sec-states")
    expect(page.locator("#wb-state-4-name-error")).to_contain_text(
        "Only a closed state may be final"
    )
    page.click("#wb-sec-transitions")
    page.check("#wb-tr-2-from-review")
    expect(page.locator("#wb-badge-states")).to_be_hidden()
    expect(page.locator("#outline-transitions")).to_contain_text("send_review")
    expect(page.locator("#outline-states")).to_contain_text("In review")
    page.check("#wb-tr-1-requires-amount")
    page.check("#wb-tr-1-approval")
    page.click("#wb-tr-1-when-add")
    page.select_option("#wb-tr-1-when-0-op", "gt")
    page.fill("#wb-tr-1-when-0-value", "1000")

    # Routing: gold claims over 500 go to billing's refund specialists, urgently.
    page.click("#wb-sec-routing")
    expect(page.locator("#wb-no-rules")).to_be_visible()
    page.click("#wb-add-rule")
    expect(page.locator("#wb-rule-0-when .wb-every")).to_have_text("Every ticket.")
    page.click("#wb-rule-0-when-add")
    page.select_option("#wb-rule-0-when-0-op", "gte")
    page.fill("#wb-rule-0-when-0-value", "500")
    page.click("#wb-rule-0-when-add")
    page.select_option("#wb-rule-0-when-1-field", label="Tier (tier)")
    page.select_option("#wb-rule-0-when-1-value", label="Gold")
    page.click("#wb-rule-0-when-add")
    page.select_option("#wb-rule-0-when-2-field", label="Priority")
    page.select_option("#wb-rule-0-when-2-op", "oneOf")
    page.check("#wb-rule-0-when-2-value-2")  # high, beside the first (low)
    page.uncheck("#wb-rule-0-when-2-value-0")
    page.click("#wb-rule-0-when-2-remove")  # on second thoughts, not the priority
    page.select_option("#wb-rule-0-department", "billing")
    page.select_option("#wb-rule-0-strategy", "skills")
    page.check("#wb-rule-0-skill-refund")
    page.select_option("#wb-rule-0-priority", "urgent")
    page.fill("#wb-rule-0-label", "Big gold claims")
    page.click("#wb-add-rule")
    page.select_option("#wb-rule-1-department", "frontline")
    page.click("#wb-rule-1-delete")
    expect(page.locator("#wb-status")).to_contain_text("Deleted rule_2. Undo brings it back.")
    page.click("#wb-undo")
    assert rule_names(page) == ["rule_1", "rule_2"]
    page.select_option("#wb-strategy", "least_loaded")

    # SLA: a policy with targets typed and picked, the calendar, a holiday.
    page.click("#wb-sec-sla")
    page.click("#wb-add-policy")
    page.fill("#wb-policy-0-high-first_response-h", "2")
    page.fill("#wb-policy-0-high-first_response-m", "30")
    expect(page.locator("#wb-policy-0-high-first_response")).to_have_value("PT2H30M")
    page.fill("#wb-policy-0-high-resolution", "P1D")
    expect(page.locator("#wb-policy-0-high-resolution-h")).to_have_value("24")
    page.fill("#wb-policy-0-normal-resolution", "PT3X")
    expect(page.locator("#wb-policy-0-normal-resolution-error")).to_contain_text("PT4H")
    page.fill("#wb-policy-0-normal-resolution", "")
    page.fill("#wb-timezone", "Asia/Shanghai")
    page.click("#wb-hours-mon-add")
    page.fill("#wb-hours-mon-0-end", "17:30")
    page.fill("#wb-holidays-new", "2026-10-01")
    page.click("#wb-holidays-add")
    expect(page.locator("#wb-holidays")).to_contain_text("2026-10-01")
    page.fill("#wb-warning", "0.75")

    # The JSON inputs show each edit as it is made.
    expect(page.locator("#def-sla")).to_have_value(
        re.compile(r'"holidays": \[\s*"2026-10-01"\s*\]')
    )
    expect(page.locator("#preview-status")).to_have_text("up to date")
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved workflow {key} v1")
    starter = editor.starter("workflow")
    transitions = starter["transitions"]
    transitions[1]["requires"] = {
        "properties": {"data": {"required": ["amount"]}},
        "required": ["data"],
    }
    transitions[1]["approval"] = {
        "by": "department_head",
        "when": {
            "properties": {
                "data": {
                    "properties": {"amount": {"exclusiveMinimum": 1000}},
                    "required": ["amount"],
                }
            },
            "required": ["data"],
        },
    }
    transitions[2]["from"] = ["solved", "review"]
    transitions.append(
        {"name": "send_review", "from": ["new"], "to": "review", "roles": ["agent", "head"]}
    )
    assert saved_body(e2e_app, key, "workflow") == {
        "key": key,
        "title": "Claims",
        "states": [
            *starter["states"],
            {"name": "review", "label": "In review", "category": "waiting"},
        ],
        "initial": "new",
        "transitions": transitions,
        "routing": {
            "rules": [
                {
                    "name": "rule_1",
                    "when": {
                        "allOf": [
                            data_test("amount", "minimum", 500),
                            data_test("tier", "const", "gold"),
                        ]
                    },
                    "then": {
                        "department": "billing",
                        "strategy": "skills",
                        "skills": ["refund"],
                        "priority": "urgent",
                    },
                    "label": "Big gold claims",
                },
                {"name": "rule_2", "when": True, "then": {"department": "frontline"}},
            ],
            "strategy": "least_loaded",
        },
        "sla": {
            "calendar": {
                "timezone": "Asia/Shanghai",
                "hours": {"mon": [["09:00", "17:30"]]},
                "holidays": ["2026-10-01"],
            },
            "warning": 0.75,
            "policies": [
                {
                    "name": "standard",
                    "targets": {"high": {"first_response": "PT2H30M", "resolution": "P1D"}},
                },
            ],
        },
    }
    # The saved workflow opens in the builder as it was built.
    page.click("#wb-sec-routing")
    assert rule_names(page) == ["rule_1", "rule_2"]
    expect(page.locator("#wb-rule-0-when-1-value")).to_have_value("0")  # Gold
    assert_clean(watch)


ROUTING = {
    "strategy": "round_robin",
    "rules": [
        {
            "name": "alpha",
            "when": {"properties": {"priority": {"const": "urgent"}}, "required": ["priority"]},
            "then": {"department": "billing"},
        },
        {"name": "bravo", "when": True, "then": {"department": "frontline"}},
        {"name": "charlie", "when": {"required": ["channel"]}, "then": {"priority": "low"}},
    ],
}


def test_keyboard_only_reordering_of_rules(page: Page, live_server: str, watch: Watch) -> None:
    sign_in(page, live_server, "admin")
    new_workflow(page, live_server, f"wf_{uuid.uuid4().hex[:8]}")
    page.click("#wb-tab-json")
    expect(page.locator("#wb-builder")).to_be_hidden()
    page.fill("#def-routing", json.dumps(ROUTING))
    page.click("#wb-tab-builder")
    page.click("#wb-sec-routing")
    assert rule_names(page) == ["alpha", "bravo", "charlie"]

    # Tab to the rules from the default strategy, walk them with the arrows, move with Alt.
    page.focus("#wb-strategy")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.name") == "alpha"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.name") == "charlie"
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    assert rule_names(page) == ["charlie", "alpha", "bravo"]
    assert page.evaluate("document.activeElement.dataset.name") == "charlie"  # focus moves along
    expect(page.locator("#wb-status")).to_have_text("Moved rule charlie to position 1 of 3.")
    page.keyboard.press("Alt+ArrowDown")
    assert rule_names(page) == ["alpha", "charlie", "bravo"]
    routing = json.loads(page.locator("#def-routing").input_value())
    assert [r["name"] for r in routing["rules"]] == ["alpha", "charlie", "bravo"]
    assert routing["rules"][1] == ROUTING["rules"][2]  # moved as it was

    # Delete deletes the rule; the undo button (focused) brings it back.
    page.keyboard.press("Delete")
    assert rule_names(page) == ["alpha", "bravo"]
    expect(page.locator("#wb-undo")).to_be_focused()
    page.keyboard.press("Enter")
    assert rule_names(page) == ["alpha", "charlie", "bravo"]
    # The move buttons do the same.
    page.click("#wb-rule-2-up")
    assert rule_names(page) == ["alpha", "bravo", "charlie"]
    expect(page.locator("#wb-rule-1-up")).to_be_focused()
    assert_clean(watch)


def test_an_unknown_keyword_survives_and_json_edits_reach_the_builder(
    page: Page, live_server: str, e2e_app: Flask, watch: Watch
) -> None:
    key = f"refund_{uuid.uuid4().hex[:6]}"
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/definitions/workflows/new")
    page.fill("#def-key", key)
    # A copy of the demo refund workflow, with a keyword no builder knows in a condition.
    body = json.loads(json.dumps(REFUND))
    body["routing"]["rules"][0]["when"]["x-reviewed-by"] = {"team": "finance", "on": 20260101}
    body["sla"]["warning"] = 0.80
    texts = editor.split("workflow", body)
    for name, text in texts.items():
        page.fill(f"#def-{name}", text)
    warning = texts["sla"].replace('"warning": 0.8', '"warning": 0.80')
    page.fill("#def-sla", warning)  # a number as written, not as JSON.parse would write it
    expect(page.locator("#workflow-builder")).to_be_visible()

    # The JSON reaches the builder: a state typed there appears in the builder's lists.
    states = json.loads(texts["states"]) + [
        {"name": "escalated", "label": "Escalated", "category": "open"}
    ]
    page.fill("#def-states", json.dumps(states, indent=2))
    expect(page.locator("#wb-state-5-name")).to_have_value("escalated")
    expect(page.locator("#wb-initial option[value=escalated]")).to_have_count(1)
    page.click("#wb-sec-routing")
    expect(page.locator("#wb-rule-0-when")).to_contain_text("written by hand")
    page.click("#wb-sec-transitions")
    expect(page.locator("#wb-tr-3-requires .wb-advanced")).to_contain_text(
        "properties/data/properties"
    )

    # A round of builder edits.
    page.check("#wb-tr-0-from-escalated")
    page.click("#wb-sec-routing")
    page.click("#wb-rule-1-up")
    page.select_option("#wb-rule-0-priority", "low")
    page.click("#wb-sec-sla")
    page.fill("#wb-policy-0-urgent-resolution", "PT3H")
    page.fill("#wb-holidays-new", "2026-12-25")
    page.click("#wb-holidays-add")
    page.click("#wb-sec-states")
    page.fill("#wb-state-0-name", "received")
    page.press("#wb-state-0-name", "Tab")
    expect(page.locator("#def-initial")).to_have_value("received")
    assert '"warning": 0.80' in page.locator("#def-sla").input_value()

    # Refused: nothing leads to the new state. The server's error shows on its control.
    page.click("#save-draft")
    expect(page.locator("#editor-errors")).to_contain_text("No transition leads here")
    page.click("#wb-sec-states")
    expect(page.locator("#wb-state-5-name-error")).to_contain_text("No transition leads here")
    expect(page.locator("#wb-badge-states")).to_have_text("1")
    page.click("#wb-sec-transitions")
    page.select_option("#wb-tr-4-to", "escalated")  # reopen goes to the new state
    page.click("#save-draft")
    expect(page.locator(".alert-success")).to_contain_text(f"Saved workflow {key} v1")
    saved = saved_body(e2e_app, key, "workflow")
    rules = saved["routing"]["rules"]
    assert [r["name"] for r in rules] == ["refunds", "large"]
    assert rules[1]["when"]["x-reviewed-by"] == {"team": "finance", "on": 20260101}
    assert rules[1]["when"] == body["routing"]["rules"][0]["when"]
    assert rules[0]["then"]["priority"] == "low"
    assert saved["initial"] == "received"
    assert saved["transitions"][0]["from"] == ["received", "escalated"]
    assert saved["transitions"][3]["from"] == ["received", "open", "waiting"]
    assert saved["transitions"][3]["requires"] == REFUND["transitions"][3]["requires"]
    assert saved["transitions"][4]["to"] == "escalated"
    assert saved["sla"]["policies"][0]["targets"]["urgent"]["resolution"] == "PT3H"
    assert "2026-12-25" in saved["sla"]["calendar"]["holidays"]
    assert saved["triggers"] == REFUND["triggers"] and saved["auto_close"] == REFUND["auto_close"]
    assert_clean(watch)
