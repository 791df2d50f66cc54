"""The builder's palette route and the editor page that loads the builder."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from app.views.builder import fitting_widgets


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
