"""The workflow builder's data route and the workflow editor page that loads the builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.definitions import store
from app.extensions import db


def test_fields_of_the_templates_following_a_workflow(
    client_as: Callable[[str], FlaskClient],
) -> None:
    response = client_as("admin").get("/definitions/builder/workflow-fields/refund")
    assert response.status_code == 200
    data = response.get_json()
    # Other tests of the session may add templates following "refund": the demo one is there.
    assert "refund" in [t["key"] for t in data["templates"]]
    fields = {f["name"]: f for f in data["fields"]}
    assert {"summary", "order_number", "refund_amount", "reason", "details"} <= set(fields)
    # A library field, resolved: its title and kind come from the published library.
    assert fields["refund_amount"]["kind"] == "number"
    assert fields["refund_amount"]["title"] != "refund_amount"
    # A choice labelled by ui:enumNames: stored values with their labels.
    assert fields["reason"]["kind"] == "enum"
    assert fields["reason"]["options"][0] == {
        "value": "duplicate_charge",
        "label": "Charged twice (重复扣款)",
    }
    assert fields["details"]["title"] == "Details (详细说明)"  # a sibling of $ref wins
    assert "options" not in fields["summary"]


def test_a_workflow_no_template_follows_has_no_fields(
    client_as: Callable[[str], FlaskClient],
) -> None:
    data = client_as("admin").get("/definitions/builder/workflow-fields/nobody_follows").get_json()
    assert data == {"templates": [], "fields": []}


def test_the_newest_version_of_a_template_counts(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    body: dict[str, Any] = {
        "key": "wb_probe_tpl",
        "title": "Probe",
        "schema": {
            "type": "object",
            "properties": {
                "level": {
                    "type": "integer",
                    "title": "Level",
                    "oneOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}],
                },
                "notes": {"type": "array", "items": {"type": "string"}},
            },
        },
        "settings": {"workflow": "wb_probe_flow"},
    }
    with app.app_context():
        store.save_draft("template", body["key"], body, None)
        db.session.remove()
    data = client_as("admin").get("/definitions/builder/workflow-fields/wb_probe_flow").get_json()
    assert data["templates"] == [{"key": "wb_probe_tpl", "title": "Probe"}]
    assert data["fields"] == [
        {
            "name": "level",
            "title": "Level",
            "kind": "enum",
            "options": [{"value": 1, "label": "One"}, {"value": 2, "label": "Two"}],
        },
        {"name": "notes", "title": "notes", "kind": "other"},
    ]


def test_the_fields_are_for_admins_only(client_as: Callable[[str], FlaskClient]) -> None:
    for role in ("agent", "head"):
        response = client_as(role).get("/definitions/builder/workflow-fields/refund")
        assert response.status_code in (302, 403)


def test_only_the_workflow_editor_loads_the_workflow_builder(
    client_as: Callable[[str], FlaskClient],
) -> None:
    admin = client_as("admin")
    page = admin.get("/definitions/workflows/new").get_data(as_text=True)
    assert 'id="workflow-builder"' in page and "tessera/workflow_builder/main.js" in page
    assert 'id="workflow-builder-strings"' in page
    assert 'data-fields-url="/definitions/builder/workflow-fields/"' in page
    template_page = admin.get("/definitions/templates/new").get_data(as_text=True)
    assert "workflow-builder" not in template_page
