"""Console input no database can store, or that no row can have, answers 4xx, never a 500.

NUL characters (PostgreSQL refuses them in text), lone surrogates (no UTF-8), numbers beyond
float range (JSON has no Infinity), keys with a trailing newline (`$` matches before it) and
ids beyond 32 bits, in the definitions editor, the FAB model views and the /ops tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.definitions import store
from app.extensions import db
from app.models import Definition, Department

FIELDS = "/definitions/fields"
TEMPLATES = "/definitions/templates"
HUGE = ("2147483648", "99999999999", "-99999999999", "9" * 5000)

Client = Callable[[str], FlaskClient]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def field_inputs(key: str, **changes: str) -> dict[str, str]:
    """What the field editor posts; `changes` replace inputs (JSON parts as raw text)."""
    inputs = {
        "key": key,
        "title": "Serial",
        "schema": '{"type": "string"}',
        "ui": "{}",
        "tags": "",
    }
    return {**inputs, **changes}


def template_inputs(key: str) -> dict[str, str]:
    return {
        "key": key,
        "title": "Loan",
        "schema": '{"type": "object", "properties": {"tag": {"type": "string"}}}',
        "uiSchema": "",
        "settings": '{"default_department": "repair"}',
        "formData": "",
    }


def definition_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Definition)) or 0
        db.session.remove()
    return count


# (editor, inputs, the pointer of the error). JSON parts are the text an admin types: the
# escapes `\u0000` and `\ud800` are plain ASCII there.
BAD_DOCUMENTS = [
    ("field", {"title": "Serial\x00"}, "/title"),
    ("field", {"key": "serial\x00x"}, "/key"),
    ("field", {"schema": '{"type": "string", "title": "\\ud800"}'}, "/schema/title"),
    ("field", {"schema": '{"type": "string", "pattern": "^a\\u0000"}'}, "/schema/pattern"),
    ("field", {"schema": '{"type": "string", "default": "\\u0000"}'}, "/schema/default"),
    ("field", {"schema": '{"type": "number", "maximum": 1e400}'}, "/schema/maximum"),
    ("field", {"schema": '{"type": "number", "minimum": NaN}'}, "/schema/minimum"),
    ("field", {"ui": '{"ui:help": "\\udc00"}'}, "/ui/ui:help"),
    ("template", {"title": "Loan\x00"}, "/title"),
    ("template", {"uiSchema": '{"tag": {"ui:help": "\\ud800"}}'}, "/uiSchema/tag/ui:help"),
    ("template", {"settings": '{"default_department": "repair\\n"}'},
     "/settings/default_department"),
    ("template", {"formData": '{"tag": "\\u0000"}'}, "/formData/tag"),
]


def _inputs(kind: str, changes: dict[str, str]) -> tuple[str, dict[str, str]]:
    base, make = (FIELDS, field_inputs) if kind == "field" else (TEMPLATES, template_inputs)
    return base, {**make(unique("bad")), **changes}


@pytest.mark.parametrize(("kind", "changes", "where"), BAD_DOCUMENTS)
def test_editor_shows_the_error_at_its_pointer_and_saves_nothing(
    app: Flask, client_as: Client, kind: str, changes: dict[str, str], where: str
) -> None:
    admin = client_as("admin")
    base, inputs = _inputs(kind, changes)
    before = definition_count(app)
    response = admin.post(f"{base}/new", data=inputs)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<code class="tessera-pointer">{where}</code>' in html
    assert definition_count(app) == before


@pytest.mark.parametrize(("kind", "changes", "where"), BAD_DOCUMENTS)
def test_preview_and_test_submit_answer_422_at_the_pointer(
    client_as: Client, kind: str, changes: dict[str, str], where: str
) -> None:
    admin = client_as("admin")
    base, inputs = _inputs(kind, changes)
    for route in ("preview", "try"):
        response = admin.post(f"{base}/{route}", data=inputs)
        assert response.status_code == 422, route
        assert where in response.json["errors"], (route, response.json["errors"])


def test_editing_a_draft_refuses_text_no_database_stores(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = unique("draft")
    created = admin.post(f"{FIELDS}/new", data=field_inputs(key))
    assert created.status_code == 302
    pk = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    schema = '{"type": "string", "examples": ["\\u0000"]}'
    response = admin.post(f"{FIELDS}/edit/{pk}", data=field_inputs(key, schema=schema))
    assert response.status_code == 422
    assert '<code class="tessera-pointer">/schema/examples/0</code>' in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert store.get(pk).body["schema"] == {"type": "string"}
        db.session.remove()


# -- FAB model views: departments and memberships -------------------------------------------


@pytest.mark.parametrize("view", ["departments", "memberships"])
@pytest.mark.parametrize("page", ["show", "edit", "delete"])
def test_model_view_pages_of_ids_no_row_has_are_404(
    client_as: Client, view: str, page: str
) -> None:
    admin = client_as("admin")
    for pk in (*HUGE, "1%00"):
        assert admin.get(f"/{view}/{page}/{pk}").status_code in (302, 404), pk
        if page != "show":
            assert admin.post(f"/{view}/{page}/{pk}", data={}).status_code == 404, pk


def test_membership_action_on_an_id_no_row_has_changes_nothing(client_as: Client) -> None:
    admin = client_as("admin")
    for pk in HUGE:
        assert admin.post(f"/memberships/action/mark_away/{pk}").status_code == 302
        response = admin.post(
            "/memberships/action_post", data={"action": "mark_away", "rowid": pk}
        )
        assert response.status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "_flt_0_capacity=99999999999",
        "_flt_1_capacity=-99999999999",
        "_flt_0_department=99999999999",
        "_flt_1_user=" + "9" * 5000,
        "_flt_7_user=1",  # past the column's filters
        "page_MembershipView=abc",
        "page_MembershipView=-1",
        "page_MembershipView=99999999999999999999",
        "psize_MembershipView=-1",
        "psize_MembershipView=99999999999999999999",
        "_oc_MembershipView=nope&_od_MembershipView=asc",
        "_oc_MembershipView=%00&_od_MembershipView=desc",
    ],
)
def test_membership_list_arguments_no_query_can_take_are_ignored(
    client_as: Client, query: str
) -> None:
    assert client_as("admin").get(f"/memberships/list/?{query}").status_code == 200


@pytest.mark.parametrize("column", ["key", "name", "email"])
def test_a_nul_in_a_list_filter_is_400(client_as: Client, column: str) -> None:
    assert client_as("admin").get(f"/departments/list/?_flt_0_{column}=a%00").status_code == 400


def test_department_form_refuses_nul_and_a_key_with_a_newline(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    for key, name, message in (
        ("nul\x00key", "Nul", "Must not contain NUL characters."),
        ("nulname", "Nul\x00", "Must not contain NUL characters."),
        ("newline\n", "Newline", "Use a lowercase slug"),
    ):
        response = admin.post("/departments/add", data={"key": key, "name": name})
        assert response.status_code == 200, key  # the form again, with the error
        assert message in response.get_data(as_text=True), key
    with app.app_context():
        keys = set(db.session.scalars(select(Department.key)))
        db.session.remove()
    assert not {"nul\x00key", "nulname", "newline\n", "newline"} & keys


# -- Flask-Admin tables under /ops --------------------------------------------------------

TABLES = ("department", "membership", "definition", "audit_log")


@pytest.mark.parametrize("table", TABLES)
def test_ops_pages_of_ids_no_row_has_say_it_does_not_exist(client_as: Client, table: str) -> None:
    admin = client_as("admin")
    for pk in (*HUGE, "%00", "abc", "1.5"):
        for page in ("details", "edit"):
            response = admin.get(f"/ops/tables/{table}/{page}/?id={pk}")
            assert response.status_code == 302, (page, pk)  # back to the list, with a message


@pytest.mark.parametrize("table", ["department", "membership"])
def test_ops_delete_of_ids_no_row_has_deletes_nothing(client_as: Client, table: str) -> None:
    admin = client_as("admin")
    for pk in (*HUGE, "\x00", "abc"):
        assert admin.post(f"/ops/tables/{table}/delete/", data={"id": pk}).status_code == 302
        action = {"action": "delete", "rowid": pk}
        assert admin.post(f"/ops/tables/{table}/action/", data=action).status_code == 302


def test_ops_bulk_delete_deletes_the_selected_rows(app: Flask, client_as: Client) -> None:
    with app.app_context():
        department = Department(key=unique("gone").replace("_", "-"), name="Gone")
        db.session.add(department)
        db.session.commit()
        pk = department.id
        db.session.remove()
    response = client_as("admin").post(
        "/ops/tables/department/action/", data={"action": "delete", "rowid": [str(pk), "x"]}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Department, pk) is None
        db.session.remove()


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("query", ["page=-1", "page=99999999999999999999", "page=abc"])
def test_ops_list_pages_out_of_range_show_the_first(
    client_as: Client, table: str, query: str
) -> None:
    admin = client_as("admin")
    assert admin.get(f"/ops/tables/{table}/?{query}").status_code == 200
    assert admin.get(f"/ops/tables/{table}/export/csv/?{query}").status_code == 200


def test_ops_forms_refuse_nul(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    response = admin.post("/ops/tables/department/new/", data={"key": "nul\x00", "name": "N"})
    assert response.status_code == 200
    assert "Must not contain NUL characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Department).where(Department.name == "N")) is None
        db.session.remove()
