"""The definitions console: editor, live preview, test submit, publish/retire, history, usages."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.definitions import store
from app.extensions import db
from app.models import Definition, Department

FIELDS = "/definitions/fields"
TEMPLATES = "/definitions/templates"
XSS = "<script>alert(1)</script>"
CONFIRMED = {"confirm": "1"}  # what the confirmation dialog and page post

Client = Callable[[str], FlaskClient]


def unique(prefix: str) -> str:
    """A key no other test (or backend run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def field_inputs(key: str, title: str = "Serial number", **schema: Any) -> dict[str, str]:
    """What the field editor posts."""
    body = {"type": "string", "title": title, **schema}
    return {"key": key, "title": title, "schema": json.dumps(body), "ui": "{}", "tags": "demo"}


def template_inputs(key: str, properties: dict[str, Any], **extra: Any) -> dict[str, str]:
    """What the template editor posts."""
    schema = {"type": "object", "properties": properties, **extra}
    return {
        "key": key,
        "title": f"Template {key}",
        "description": "",
        "schema": json.dumps(schema),
        "uiSchema": "",
        "settings": json.dumps({"default_department": "repair"}),
        "formData": "",
    }


def versions(app: Flask, kind: str, key: str) -> list[tuple[int, int, str, dict[str, int]]]:
    """(id, version, status, pins) of every version of a key, newest first."""
    with app.app_context():
        rows = [(r.id, r.version, r.status, dict(r.pins)) for r in store.versions(kind, key)]
        db.session.remove()
    return rows


def create(admin: FlaskClient, base: str, inputs: dict[str, str]) -> int:
    """Save a new draft through the editor; return its id."""
    response = admin.post(f"{base}/new", data=inputs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def publish(admin: FlaskClient, base: str, pk: int) -> None:
    response = admin.post(f"{base}/publish/{pk}", data=CONFIRMED)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{base}/")


def published_field(admin: FlaskClient, **schema: Any) -> str:
    key = unique("f")
    publish(admin, FIELDS, create(admin, FIELDS, field_inputs(key, **schema)))
    return key


def test_admin_creates_edits_and_publishes_a_field(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = unique("serial")
    assert admin.get(f"{FIELDS}/new").status_code == 200
    pk = create(admin, FIELDS, field_inputs(key))
    page = admin.get(f"{FIELDS}/edit/{pk}").get_data(as_text=True)
    assert f"Saved field {key} v1 as a draft." in page
    assert "Publish v1" in page

    edited = admin.post(f"{FIELDS}/edit/{pk}", data=field_inputs(key, "Serial no."))
    assert edited.status_code == 302
    assert versions(app, "field", key) == [(pk, 1, "draft", {})]
    with app.app_context():
        assert store.get(pk).title == "Serial no."

    publish(admin, FIELDS, pk)
    assert versions(app, "field", key)[0][1:3] == (1, "published")
    page = admin.get(f"{FIELDS}/edit/{pk}").get_data(as_text=True)
    assert "Retire v1" in page and "never changes" in page

    # Editing the published version makes v2; v1 stays as it was.
    response = admin.post(f"{FIELDS}/edit/{pk}", data=field_inputs(key, "Serial (v2)"))
    assert response.status_code == 302
    assert [v[1:3] for v in versions(app, "field", key)] == [(2, "draft"), (1, "published")]

    # Saving unchanged inputs creates nothing.
    again = admin.post(f"{FIELDS}/edit/{pk}", data=field_inputs(key, "Serial no."))
    assert again.status_code == 302
    assert len(versions(app, "field", key)) == 2


def test_template_uses_a_field_and_pins_its_version(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    field_key = published_field(admin, maxLength=40)
    library = admin.get(f"{TEMPLATES}/new").get_data(as_text=True)
    assert f'field:{field_key}"}}</code>' in library  # the library list names it
    key = unique("tpl")
    inputs = template_inputs(
        key, {"serial": {"$ref": f"field:{field_key}"}, "note": {"type": "string"}},
        required=["serial"],
    )
    pk = create(admin, TEMPLATES, inputs)
    field_id = versions(app, "field", field_key)[0][0]
    draft_usage = admin.get(f"{FIELDS}/history/{field_id}").get_data(as_text=True)
    assert key in draft_usage and "draft: uses the published version" in draft_usage

    publish(admin, TEMPLATES, pk)
    assert versions(app, "template", key) == [(pk, 1, "published", {field_key: 1})]
    for page in (f"{FIELDS}/history/{field_id}", f"{FIELDS}/edit/{field_id}"):
        html = admin.get(page).get_data(as_text=True)
        assert key in html and "pinned to v1" in html


def test_list_shows_latest_version_status_and_search(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin, title="Warranty card")
    field_id = versions(app, "field", key)[0][0]
    admin.post(f"{FIELDS}/edit/{field_id}", data=field_inputs(key, "Warranty card (new)"))
    html = admin.get(f"{FIELDS}/?q={key}").get_data(as_text=True)
    row = html[html.index(f'data-key="{key}"'):]
    row = row[: row.index("</tr>")]
    assert "v2" in row and "draft" in row and "Warranty card (new)" in row
    assert "Admin" in row  # updated by
    assert f'data-key="{key}"' in admin.get(f"{FIELDS}/?q=WARRANTY CARD (NEW)").get_data(
        as_text=True
    )
    missing = admin.get(f"{FIELDS}/?q=no-such-{key}").get_data(as_text=True)
    assert key not in missing.replace(f"no-such-{key}", "")
    assert "match" in missing


def test_preview_renders_the_compiled_form(client_as: Client) -> None:
    admin = client_as("admin")
    response = admin.post(f"{FIELDS}/preview", data=field_inputs(unique("p"), "Model number"))
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["ok"] is True and payload["errors"] == {}
    assert "data-tf-form" in payload["html"] and "Model number" in payload["html"]
    assert 'id="preview-form"' in payload["html"]


def test_preview_of_a_new_field_without_key_still_renders(client_as: Client) -> None:
    inputs = field_inputs("", "Untitled yet")
    response = client_as("admin").post(f"{FIELDS}/preview", data=inputs)
    assert response.status_code == 200 and "Untitled yet" in response.get_json()["html"]


@pytest.mark.parametrize(
    ("schema", "pointer", "message"),
    [
        ('{"type": "string",', "/schema", "Not valid JSON"),
        ('{"type": "strin"}', "/schema/type", "Not a valid JSON Schema"),
        ('{"type": "string", "pattern": "(a+)+$"}', "/schema/pattern", "pattern"),
    ],
)
def test_preview_reports_errors_by_pointer(
    client_as: Client, schema: str, pointer: str, message: str
) -> None:
    inputs = {**field_inputs(unique("bad")), "schema": schema}
    response = client_as("admin").post(f"{FIELDS}/preview", data=inputs)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["ok"] is False
    assert pointer in payload["errors"], payload["errors"]
    assert any(message in m for m in payload["errors"][pointer])
    assert pointer in payload["html"] and "has problems" in payload["html"]


def test_preview_of_template_with_missing_field(client_as: Client) -> None:
    inputs = template_inputs(unique("t"), {"x": {"$ref": "field:no_such_field_anywhere"}})
    response = client_as("admin").post(f"{TEMPLATES}/preview", data=inputs)
    assert response.status_code == 422
    assert "/schema/properties/x/$ref" in response.get_json()["errors"]


def test_preview_fills_the_template_example(client_as: Client) -> None:
    inputs = template_inputs(unique("t"), {"city": {"type": "string", "title": "City"}})
    inputs["formData"] = json.dumps({"city": "Hangzhou"})
    payload = client_as("admin").post(f"{TEMPLATES}/preview", data=inputs).get_json()
    assert 'value="Hangzhou"' in payload["html"]


def test_test_submit_reports_field_errors_and_creates_nothing(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    key = unique("try")
    inputs = template_inputs(
        key,
        {"summary": {"type": "string", "minLength": 5}, "qty": {"type": "integer"}},
        required=["summary"],
    )
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Definition))
        db.session.remove()
    bad = admin.post(f"{TEMPLATES}/try", data={**inputs, "/summary": "abc", "/qty": "many"})
    assert bad.status_code == 200
    payload = bad.get_json()
    assert payload["valid"] is False
    assert set(payload["submission_errors"]) == {"/summary", "/qty"}
    assert "not valid" in payload["html"] and 'value="abc"' in payload["html"]

    good = admin.post(f"{TEMPLATES}/try", data={**inputs, "/summary": "Printer jams", "/qty": "2"})
    payload = good.get_json()
    assert payload["valid"] is True and payload["submission_errors"] == {}
    assert "Nothing was saved" in payload["html"] and "Printer jams" in payload["html"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Definition)) == before
        db.session.remove()
    assert versions(app, "template", key) == []


def test_history_shows_a_diff_between_two_versions(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin, title="Old title")
    first = versions(app, "field", key)[0][0]
    admin.post(f"{FIELDS}/edit/{first}", data=field_inputs(key, "New title"))
    html = admin.get(f"{FIELDS}/history/{first}?old=1&new=2").get_data(as_text=True)
    assert '<span class="tessera-diff-del">-  &#34;title&#34;: &#34;Old title&#34;' in html
    assert '<span class="tessera-diff-add">+  &#34;title&#34;: &#34;New title&#34;' in html
    same = admin.get(f"{FIELDS}/history/{first}?old=2&new=2").get_data(as_text=True)
    assert "have the same content" in same
    for query in ("new=1", "old=0&new=2"):
        whole = admin.get(f"{FIELDS}/history/{first}?{query}").get_data(as_text=True)
        assert "Compared with nothing" in whole and "(nothing)" in whole
    assert "published field:" in html  # the audit trail


def test_invalid_save_rerenders_the_editor_with_pointer_errors(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    key = unique("inv")
    inputs = {**field_inputs(key), "schema": '{"type": "string", "minLength": -1}'}
    response = admin.post(f"{FIELDS}/new", data=inputs)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="editor-errors"' in html and "/schema/minLength" in html
    assert "&#34;minLength&#34;: -1" in html  # what the admin typed is kept
    assert versions(app, "field", key) == []

    broken = admin.post(f"{FIELDS}/new", data={**inputs, "schema": "{nope"})
    assert broken.status_code == 422 and "Not valid JSON" in broken.get_data(as_text=True)


def test_new_with_an_existing_key_is_refused(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin)
    response = admin.post(f"{FIELDS}/new", data=field_inputs(key, "Other"))
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    assert len(versions(app, "field", key)) == 1


def test_conflicts_are_messages_not_errors(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin)
    pk = versions(app, "field", key)[0][0]
    again = admin.post(f"{FIELDS}/publish/{pk}", data=CONFIRMED, follow_redirects=True)
    assert again.status_code == 200 and "Only drafts can be published" in again.get_data(
        as_text=True
    )
    assert admin.post(f"{FIELDS}/retire/{pk}", data=CONFIRMED).status_code == 302
    retired = admin.post(f"{FIELDS}/retire/{pk}", data=CONFIRMED, follow_redirects=True)
    assert "Only published versions can be retired" in retired.get_data(as_text=True)
    assert versions(app, "field", key)[0][2] == "retired"


def test_publishing_a_template_whose_field_was_retired_shows_why(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    field_key = published_field(admin)
    inputs = template_inputs(unique("t"), {"a": {"$ref": f"field:{field_key}"}})
    pk = create(admin, TEMPLATES, inputs)
    admin.post(f"{FIELDS}/retire/{versions(app, 'field', field_key)[0][0]}", data=CONFIRMED)
    response = admin.post(f"{TEMPLATES}/publish/{pk}", data=CONFIRMED)
    assert response.status_code == 422
    assert "has no published version" in response.get_data(as_text=True)


def test_pages_of_the_other_kind_and_missing_rows_are_404(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin)
    pk = versions(app, "field", key)[0][0]
    assert admin.get(f"{TEMPLATES}/edit/{pk}").status_code == 404
    assert admin.get(f"{TEMPLATES}/history/{pk}").status_code == 404
    assert admin.post(f"{TEMPLATES}/publish/{pk}").status_code == 404
    assert admin.get(f"{FIELDS}/edit/999999").status_code == 404


CONSOLE_PAGES = [
    ("GET", "/"), ("GET", "/new"), ("POST", "/new"), ("GET", "/edit/{pk}"),
    ("POST", "/edit/{pk}"), ("POST", "/publish/{pk}"), ("POST", "/retire/{pk}"),
    ("GET", "/history/{pk}"), ("POST", "/preview"), ("POST", "/try"),
]


@pytest.mark.parametrize("role", ["agent", "head"])
def test_agents_and_heads_get_403_everywhere(app: Flask, client_as: Client, role: str) -> None:
    admin = client_as("admin")
    key = unique("guard")
    pk = create(admin, FIELDS, field_inputs(key))
    user = client_as(role)
    for base in (FIELDS, TEMPLATES):
        for method, path in CONSOLE_PAGES:
            response = user.open(base + path.format(pk=pk), method=method, data=field_inputs(key))
            assert response.status_code == 403, (method, base + path)
    assert versions(app, "field", key)[0][1:3] == (1, "draft")
    assert "Console" not in user.get("/").get_data(as_text=True)


def test_titles_and_help_with_script_render_as_text(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = unique("xss")
    inputs = field_inputs(key, XSS)
    inputs["ui"] = json.dumps({"ui:help": XSS, "ui:placeholder": '"><img src=x onerror=alert(1)>'})
    inputs["description"] = XSS
    pk = create(admin, FIELDS, inputs)
    admin.post(f"{FIELDS}/edit/{pk}", data={**inputs, "title": XSS + " v1"})
    pages = [
        admin.get(f"{FIELDS}/").get_data(as_text=True),
        admin.get(f"{FIELDS}/edit/{pk}").get_data(as_text=True),
        admin.get(f"{FIELDS}/history/{pk}").get_data(as_text=True),
        admin.post(f"{FIELDS}/preview", data=inputs).get_json()["html"],
        admin.post(f"{FIELDS}/try", data=inputs).get_json()["html"],
        admin.post(f"{FIELDS}/new", data={**inputs, "schema": "{" + XSS}).get_data(as_text=True),
    ]
    for html in pages:
        assert XSS not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_scripts_are_served(client_as: Client) -> None:
    admin = client_as("admin")
    html = admin.get(f"{FIELDS}/new").get_data(as_text=True)
    for path in (f"{FIELDS}/static/tessera-forms.js", "/static/tessera/definitions.js"):
        assert path in html
        response = admin.get(path)
        assert response.status_code == 200 and b"use strict" in response.data
        response.close()


def test_new_template_scaffold_routes_to_the_first_department(
    app: Flask, client_as: Client
) -> None:
    with app.app_context():
        first = db.session.scalar(select(func.min(Department.key)))
        db.session.remove()
    html = client_as("admin").get(f"{TEMPLATES}/new").get_data(as_text=True)
    assert f"&#34;default_department&#34;: &#34;{first}&#34;" in html
    fields = client_as("admin").get(f"{FIELDS}/new").get_data(as_text=True)
    assert "default_department" not in fields


def test_publishing_a_template_that_cannot_take_tickets_is_422_at_its_pointer(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    key = unique("t")
    inputs = {**template_inputs(key, {"tag": {"type": "string"}}), "settings": ""}
    pk = create(admin, TEMPLATES, inputs)  # the draft saves without a department
    response = admin.post(f"{TEMPLATES}/publish/{pk}", data=CONFIRMED)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "/settings/default_department" in html and "cannot be published yet" in html
    assert versions(app, "template", key) == [(pk, 1, "draft", {})]


def test_publish_without_confirmation_asks_first_and_changes_nothing(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    key = unique("ask")
    pk = create(admin, FIELDS, field_inputs(key))
    response = admin.post(f"{FIELDS}/publish/{pk}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Publish field {key} v1?" in html
    assert 'name="confirm" value="1"' in html
    assert f'action="{FIELDS}/publish/{pk}"' in html
    assert f'href="{FIELDS}/edit/{pk}" id="publish-cancel"' in html
    assert "<dialog" not in html  # the page itself asks: no script needed
    assert versions(app, "field", key) == [(pk, 1, "draft", {})]

    publish(admin, FIELDS, pk)
    assert versions(app, "field", key)[0][1:3] == (1, "published")


def test_retire_without_confirmation_asks_first_and_changes_nothing(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    key = published_field(admin)
    pk = versions(app, "field", key)[0][0]
    asked = admin.post(f"{FIELDS}/retire/{pk}")
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert f"Retire field {key} v1?" in html and "then has no published version" in html
    assert versions(app, "field", key)[0][2] == "published"
    assert admin.post(f"{FIELDS}/retire/{pk}", data={"confirm": "yes"}).status_code == 200
    assert versions(app, "field", key)[0][2] == "published"
    done = admin.post(f"{FIELDS}/retire/{pk}", data=CONFIRMED)
    assert done.status_code == 302
    assert versions(app, "field", key)[0][2] == "retired"


def test_the_editor_carries_the_confirmation_dialogs(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = published_field(admin, title="First")
    first = versions(app, "field", key)[0][0]
    admin.post(f"{FIELDS}/edit/{first}", data=field_inputs(key, "Second"))
    second = versions(app, "field", key)[0][0]

    draft = admin.get(f"{FIELDS}/edit/{second}").get_data(as_text=True)
    assert 'data-confirm="publish-dialog"' in draft
    dialog = draft[draft.index('<dialog id="publish-dialog"') : draft.index("</dialog>")]
    assert f"Publish field {key} v2?" in dialog
    assert "v2 becomes the published version" in dialog and "v1, published now, retires." in dialog
    assert 'name="confirm" value="1"' in dialog and 'formmethod="dialog"' in dialog

    live = admin.get(f"{FIELDS}/edit/{first}").get_data(as_text=True)
    assert 'data-confirm="retire-dialog"' in live and 'id="publish-dialog"' not in live
    assert f"Retire field {key} v1?" in live


def test_a_workflow_publish_is_refused_without_asking(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    with app.app_context():
        row = store.published("workflow", "refund")
        assert row is not None
        pk = row.id
        db.session.remove()
    page = admin.get(f"/definitions/workflows/edit/{pk}").get_data(as_text=True)
    assert 'data-confirm="retire-dialog"' in page  # retiring a workflow asks first
    refused = admin.post(f"/definitions/workflows/publish/{pk}")
    assert refused.status_code == 409 and "submit it" in refused.get_data(as_text=True)


def test_preview_shows_the_example_as_rjsf_shows_form_data(client_as: Client) -> None:
    rows = {
        "type": "array",
        "title": "Rows",
        "items": {
            "type": "object",
            "properties": {
                "part": {"type": "string", "title": "Part"},
                "qty": {"type": "integer", "title": "Qty", "default": 4},
            },
        },
    }
    codes = {"type": "array", "title": "Codes", "minItems": 2, "items": {"type": "integer"}}
    extra = {"type": "object", "title": "Extra", "additionalProperties": {"type": "string"}}
    inputs = template_inputs(unique("t"), {"rows": rows, "codes": codes, "extra": extra})
    example = {"rows": [{"part": "fan"}, {"part": "belt"}], "extra": {"k1": "v1"}}
    inputs["formData"] = json.dumps(example)
    payload = client_as("admin").post(f"{TEMPLATES}/preview", data=inputs).get_json()
    html = payload["html"]
    assert payload["ok"] is True
    assert 'value="fan"' in html and 'value="belt"' in html  # the example's rows
    assert html.count('value="4"') >= 2  # their defaults, as RJSF fills them
    assert 'value="k1"' in html and 'value="v1"' in html  # the extra property
    assert 'name="/codes/1"' in html  # blank rows up to minItems
    assert 'value="null"' not in html
    assert 'id="example-warnings"' not in html


def test_preview_keeps_an_example_that_does_not_fit_and_warns(client_as: Client) -> None:
    inputs = template_inputs(
        unique("t"), {"age": {"type": "integer", "title": "Age", "minimum": 18}}
    )
    inputs["formData"] = json.dumps({"age": 12})
    response = client_as("admin").post(f"{TEMPLATES}/preview", data=inputs)
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert 'id="example-warnings"' in html and "/formData/age" in html
    assert 'value="12"' in html and 'id="preview-form"' in html


def test_an_upload_of_a_playground_document_reports_its_example_warnings(
    app: Flask, client_as: Client
) -> None:
    key = unique("pg")
    body = {
        "schema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["firstName"],
            "properties": {
                "firstName": {"type": "string", "default": "Chuck"},
                "point": {"type": "array", "items": [{"type": "number"}, {"type": "number"}]},
                "word": {"type": "string", "minLength": 5},
            },
        },
        "uiSchema": {},
        "formData": {"point": [1, 2], "word": "hi"},
    }
    data = json.dumps(body).encode()
    form = {"file": (io.BytesIO(data), f"{key}.json")}
    response = client_as("admin").post(
        "/definitions/files/import", data=form, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert f"template:{key} v1" in html
    assert 'id="import-warnings"' in html and "/formData/word" in html
    assert "/formData/firstName" not in html  # filled from its default
    assert [v[2] for v in versions(app, "template", key)] == ["draft"]
