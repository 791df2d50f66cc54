"""The builder's routes (palette, a form's top-level fields) and the editor page that loads it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.definitions.checked import FieldVersion
from app.definitions.filterable import filterable
from app.definitions.schema_checks import resolve_fields
from app.views.builder import fitting_widgets

DEMO = Path(__file__).resolve().parents[3] / "app" / "demo" / "definitions" / "template"


def test_palette_lists_published_fields_and_the_widgets_the_compiler_takes(
    client_as: Callable[[str], FlaskClient],
) -> None:
    response = client_as("admin").get("/definitions/builder/palette")
    assert response.status_code == 200
    data = response.get_json()
    by_key = {f["key"]: f for f in data["fields"]}
    assert by_key["contact_email"]["schema"]["format"] == "email"
    assert by_key["fault_symptom"]["ui"]["ui:widget"] == "checkboxes"
    assert [f["key"] for f in data["fields"]] == sorted(by_key)
    assert data["widgets"]["choice"] == ["radio", "select"]
    assert data["widgets"]["multi"] == ["checkboxes", "select"]
    assert "textarea" in data["widgets"]["text"] and "hidden" not in data["widgets"]["text"]
    assert "textarea" not in data["widgets"]["number"]


def test_palette_lists_what_the_settings_and_workflow_dropdowns_offer(
    client_as: Callable[[str], FlaskClient],
) -> None:
    data = client_as("admin").get("/definitions/builder/palette").get_json()
    departments = {d["key"]: d["name"] for d in data["departments"]}
    assert {"billing", "frontline", "technical", "repair"} <= set(departments)
    assert [d["key"] for d in data["departments"]] == sorted(departments)
    workflows = {w["key"]: w for w in data["workflows"]}
    assert workflows["refund"]["published"] is True and workflows["refund"]["title"]
    assert "refund" in data["skills"] and data["skills"] == sorted(set(data["skills"]))
    assert data["channels"] == ["agent", "web", "email", "api", "import"]
    assert data["priorities"] == ["low", "normal", "high", "urgent"]
    assert data["roles"] == ["agent", "head", "admin"]
    assert "waiting" in data["categories"] and "round_robin" in data["strategies"]


def test_the_palette_is_for_admins_only(client_as: Callable[[str], FlaskClient]) -> None:
    assert client_as("agent").get("/definitions/builder/palette").status_code in (302, 403)


def test_widgets_are_asked_from_the_compiler() -> None:
    widgets = fitting_widgets()
    assert set(widgets) == {"text", "number", "integer", "yesno", "choice", "multi", "file"}
    assert widgets["yesno"] == ["checkbox", "radio", "select"]


def test_only_the_template_editor_loads_the_builder(
    client_as: Callable[[str], FlaskClient],
) -> None:
    admin = client_as("admin")
    page = admin.get("/definitions/templates/new").get_data(as_text=True)
    assert 'id="template-builder"' in page and "tessera/builder/main.js" in page
    assert 'id="builder-strings"' in page
    field_page = admin.get("/definitions/fields/new").get_data(as_text=True)
    assert "template-builder" not in field_page


# -- POST /definitions/builder/fields ---------------------------------------------------------

FORM = {
    "type": "object",
    "properties": {
        "summary": {"$ref": "field:summary"},
        "photo": {"$ref": "field:photo"},
        "scan": {"type": "string", "title": "Scan"},
        "urgency": {"$ref": "field:urgency", "title": "How urgent?"},
        "when": {"type": "string", "format": "date"},
        "notes": {"type": "string", "title": "Notes"},
        "room-no": {"type": "string", "title": "Room"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        "ghost": {"$ref": "field:no_such_field"},
    },
    "if": {"properties": {"urgency": {"const": "high"}}},
    "then": {"properties": {"callback": {"type": "boolean", "title": "Call back?"}}},
}
UI = {
    "ui:order": ["notes", "*", "summary"],
    "scan": {"ui:widget": "file"},
    "notes": {"ui:title": "Remarks", "ui:widget": "textarea"},
}


def post_fields(client: FlaskClient, body: object) -> TestResponse:
    return client.post("/definitions/builder/fields", json=body)


def test_fields_answers_the_top_level_fields_in_display_order(
    client_as: Callable[[str], FlaskClient],
) -> None:
    response = post_fields(client_as("admin"), {"schema": FORM, "uiSchema": UI})
    assert response.status_code == 200
    fields = response.get_json()["fields"]
    assert [f["name"] for f in fields] == [
        "notes", "photo", "scan", "urgency", "when", "room-no", "address", "ghost", "callback",
        "summary",
    ]  # fmt: skip
    by_name = {f["name"]: f for f in fields}
    # Titles: ui:title, else the (resolved) schema's, the template's siblings winning.
    assert by_name["notes"]["title"] == "Remarks"
    assert by_name["summary"]["title"] == "Summary (摘要)"
    assert by_name["urgency"]["title"] == "How urgent?"
    assert by_name["address"]["title"] == "address"
    # Text fields (what a subject can be): strings that are not files, dates or choices.
    texts = [f["name"] for f in fields if f["text"]]
    assert texts == ["notes", "room-no", "summary"]
    filterable = [f["name"] for f in fields if f["filterable"]]
    assert filterable == ["notes", "urgency", "when", "callback", "summary"]
    assert all("reason" not in by_name[name] for name in filterable)


def test_fields_says_why_a_field_cannot_be_a_filter(
    client_as: Callable[[str], FlaskClient],
) -> None:
    fields = post_fields(client_as("admin"), {"schema": FORM, "uiSchema": UI}).get_json()["fields"]
    reasons = {f["name"]: f.get("reason") for f in fields if not f["filterable"]}
    assert set(reasons) == {"photo", "scan", "room-no", "address", "ghost"}
    assert "file field" in reasons["photo"]  # format data-url, from the library field
    assert "file field" in reasons["scan"]  # the uiSchema's file widget
    assert "letters, digits and _" in reasons["room-no"]
    assert "Not an enum, number, date, boolean or text field" in reasons["address"]
    assert "no library field 'no_such_field'" in reasons["ghost"]


def test_fields_agrees_with_the_filter_check_of_a_save(
    client_as: Callable[[str], FlaskClient],
) -> None:
    template = json.loads((DEMO / "refund.json").read_text())
    body = {"schema": template["schema"], "uiSchema": template.get("uiSchema", {})}
    fields = post_fields(client_as("admin"), body).get_json()["fields"]
    resolved, ui, _pins, errors = resolve_fields(
        template["schema"], template.get("uiSchema", {}), lambda key: _library(key)
    )
    assert not errors
    assert {f["name"] for f in fields if f["filterable"]} == set(filterable(resolved, ui))
    assert set(template["settings"]["filters"]) <= {f["name"] for f in fields if f["filterable"]}


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ("not json", 400, ""),
        ([1, 2], 400, ""),
        ({"uiSchema": {}}, 422, "/schema"),
        ({"schema": "x", "uiSchema": {}}, 422, "/schema"),
        ({"schema": {}, "uiSchema": []}, 422, "/uiSchema"),
        ({"schema": {"properties": []}, "uiSchema": {"ui:order": 3}}, 200, None),
        ({"schema": {"properties": {"a": True, "b": None}}}, 200, None),
    ],
)
def test_fields_answers_junk_with_a_json_error(
    client_as: Callable[[str], FlaskClient], body: object, status: int, where: str | None
) -> None:
    client = client_as("admin")
    if isinstance(body, str):
        response = client.post(
            "/definitions/builder/fields", data=body, content_type="application/json"
        )
    else:
        response = post_fields(client, body)
    assert response.status_code == status
    data = response.get_json()
    if where is None:
        assert isinstance(data["fields"], list)
    else:
        assert where in data["errors"] and data["errors"][where][0]


def test_fields_refuses_what_is_not_json_and_nesting_past_the_limit(
    client_as: Callable[[str], FlaskClient],
) -> None:
    client = client_as("admin")
    plain = client.post("/definitions/builder/fields", data={"schema": "{}"})
    assert plain.status_code == 415 and plain.get_json()["errors"][""]
    deep = "{" + '"properties": {"a": ' * 5000 + "{}" + "}" * 5000 + "}"
    text = '{"schema": ' + deep + ', "uiSchema": {}}'
    response = client.post(
        "/definitions/builder/fields", data=text, content_type="application/json"
    )
    assert response.status_code in (400, 422) and response.get_json()["errors"]


def test_fields_is_for_admins_only(client_as: Callable[[str], FlaskClient]) -> None:
    body = {"schema": FORM, "uiSchema": UI}
    assert post_fields(client_as("agent"), body).status_code in (302, 403)
    assert post_fields(client_as("head"), body).status_code in (302, 403)


def _library(key: str) -> FieldVersion | None:
    text = (DEMO.parent / "field" / f"{key}.json").read_text()
    return FieldVersion(key, 1, json.loads(text))
