"""Workflows, the third kind of definition: checks, store, lookups, API, import, console."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import workflows
from app.approvals import workflows as approvals
from app.definitions import io, store
from app.definitions.checked import FieldVersion, PublishLookups
from app.definitions.checks import KINDS, check_definition, meta_schema
from app.definitions.errors import DefinitionInvalid
from app.extensions import db
from app.models import AuditLog
from app.views import definition_editor as editor
from tests.app.access_matrix import MATRIX, ROLES
from tests.app.api.test_definitions_api import bearer

API = "/api/v1/definitions/"
CONSOLE = "/definitions/workflows"
APP_SCHEMAS = Path(__file__).resolve().parents[3] / "app" / "definitions" / "schemas"


def unique(prefix: str) -> str:
    """A key no other test (or backend run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def workflow(key: str = "support", **members: Any) -> dict[str, Any]:
    """A workflow the engine loads, with `members` laid over it."""
    body: dict[str, Any] = {
        "key": key,
        "title": "Support",
        "states": [
            {"name": "new", "label": "New", "category": "new"},
            {"name": "open", "label": "Open", "category": "open"},
            {"name": "closed", "label": "Closed", "category": "closed"},
        ],
        "initial": "new",
        "transitions": [
            {"name": "start", "from": ["new"], "to": "open", "roles": ["agent"]},
            {"name": "close", "label": "Close", "from": ["open"], "to": "closed",
             "roles": ["agent", "head"]},
        ],
    }
    return {**body, **members}


def routed(key: str, department: str, skill: str, template: str) -> dict[str, Any]:
    """A workflow whose one rule names a department, a skill and a template."""
    rule = {
        "name": "by_template",
        "when": {"properties": {"template": {"const": template}}, "required": ["template"]},
        "then": {"department": department, "skills": [skill]},
    }
    return workflow(key, routing={"strategy": "skills", "rules": [rule]})


RULE = "/routing/rules/0"
AT_DEPARTMENT = f"{RULE}/then/department"
AT_SKILL = f"{RULE}/then/skills/0"
AT_TEMPLATE = f"{RULE}/when/properties/template/const"


def no_field(key: str) -> FieldVersion | None:
    return None


def lookups(
    departments: Iterable[str] = (),
    skills: Iterable[str] = (),
    templates: Iterable[str] = (),
    workflows_by_status: dict[str, str] | None = None,
) -> PublishLookups:
    """Publish lookups answering from these names only."""
    statuses = workflows_by_status or {}
    return PublishLookups(
        department=set(departments).__contains__,
        skill=set(skills).__contains__,
        template=set(templates).__contains__,
        workflow=statuses.get,
    )


def errors_of(body: Any, publish: PublishLookups | None = None) -> dict[str, list[str]]:
    with pytest.raises(DefinitionInvalid) as caught:
        check_definition("workflow", body, no_field, publish=publish)
    return caught.value.errors


def engine_errors(body: Any) -> dict[str, list[str]]:
    with pytest.raises(workflows.DefinitionError) as caught:
        workflows.load_workflow(body)
    return caught.value.errors


# -- the kind and its checks (pure) -------------------------------------------------------


def test_workflow_is_the_kind_between_fields_and_templates() -> None:
    assert KINDS == ("field", "workflow", "template")


def test_the_meta_schema_is_the_engines_own() -> None:
    assert meta_schema("workflow") == workflows.meta_schema()
    assert not (APP_SCHEMAS / "workflow.json").exists()


def test_a_good_workflow_checks() -> None:
    checked = check_definition("workflow", workflow(), no_field, key="support")
    assert (checked.kind, checked.key, checked.title) == ("workflow", "support", "Support")
    assert checked.body == workflow()


BROKEN = {
    "unknown initial state": workflow(initial="draft"),
    "transition to nowhere": workflow(
        transitions=[
            {"name": "start", "from": ["new"], "to": "opn", "roles": ["agent"]},
            {"name": "close", "from": ["open"], "to": "closed", "roles": ["agent"]},
        ]
    ),
    "unreachable and not final": workflow(
        transitions=[{"name": "close", "from": ["new"], "to": "closed", "roles": ["agent"]}]
    ),
    "twice the same state": workflow(
        states=[
            {"name": "new", "category": "new"},
            {"name": "new", "category": "open"},
            {"name": "open", "category": "open"},
            {"name": "closed", "category": "closed"},
        ]
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_engine_errors_pass_through_with_their_pointers(name: str) -> None:
    body = BROKEN[name]
    expected = engine_errors(body)
    assert expected and all(where.startswith("/") for where in expected)
    assert errors_of(body) == expected


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"key": "Not A Key"}, "/key"),
        ({"states": []}, "/states"),
        ({"routing": {"strategy": "random"}}, "/routing/strategy"),
        ({"colour": "blue"}, ""),
    ],
)
def test_meta_schema_errors_are_at_their_pointer(change: dict[str, Any], where: str) -> None:
    errors = errors_of({**workflow(), **change})
    assert where in errors
    assert where in engine_errors({**workflow(), **change})


def test_draft_checks_ask_no_lookup() -> None:
    body = routed("support", "nowhere", "juggling", "no_template")
    assert check_definition("workflow", body, no_field).key == "support"


def test_publishing_asks_for_every_department_skill_and_template() -> None:
    body = routed("support", "nowhere", "juggling", "no_template")
    assert errors_of(body, lookups()) == {
        AT_DEPARTMENT: ["There is no department called nowhere."],
        AT_SKILL: ["No member of any department holds the skill juggling."],
        AT_TEMPLATE: ["There is no template called no_template."],
    }


def test_each_existing_name_is_accepted_on_its_own() -> None:
    body = routed("support", "billing", "vip", "refund")
    known = lookups({"billing"}, {"vip"}, {"refund"})
    assert check_definition("workflow", body, no_field, publish=known).key == "support"
    only_department = lookups({"billing"})
    assert set(errors_of(body, only_department)) == {AT_SKILL, AT_TEMPLATE}
    assert set(errors_of(body, lookups(skills={"vip"}))) == {AT_DEPARTMENT, AT_TEMPLATE}


def test_skills_of_automation_actions_are_checked_too() -> None:
    action = {"type": "assign", "strategy": "skills", "skills": ["vip", "karaoke"]}
    automation = {"name": "nudge", "after": "PT4H", "actions": [action]}
    body = workflow(automations=[automation])
    errors = errors_of(body, lookups(skills={"vip"}))
    assert errors == {
        "/automations/0/actions/0/skills/1": [
            "No member of any department holds the skill karaoke."
        ]
    }


def template_naming(workflow_key: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"default_department": "billing", "subject": "/summary"}
    if workflow_key is not None:
        settings["workflow"] = workflow_key
    return {
        "key": "refund",
        "title": "Refund",
        "schema": {"type": "object", "properties": {"summary": {"type": "string"}}},
        "settings": settings,
    }


@pytest.mark.parametrize(
    ("statuses", "message"),
    [
        ({}, "There is no workflow 'support'."),
        ({"support": "draft"}, "The workflow 'support' has no published version"),
        ({"support": "retired"}, "(its newest is retired)"),
    ],
)
def test_a_template_publishes_only_with_a_published_workflow(
    statuses: dict[str, str], message: str
) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        check_definition(
            "template", template_naming("support"), no_field,
            publish=lookups({"billing"}, workflows_by_status=statuses),
        )
    assert list(caught.value.errors) == ["/settings/workflow"]
    assert message in caught.value.errors["/settings/workflow"][0]


def test_a_template_with_a_published_workflow_or_none_publishes() -> None:
    live = lookups({"billing"}, workflows_by_status={"support": "published"})
    check_definition("template", template_naming("support"), no_field, publish=live)
    check_definition("template", template_naming(None), no_field, publish=lookups({"billing"}))


def test_a_template_draft_may_name_a_missing_workflow() -> None:
    assert check_definition("template", template_naming("nowhere"), no_field).key == "refund"


def test_a_lone_workflow_file_is_recognised_by_its_shape() -> None:
    assert io._kind_and_key("support.json", workflow()) == ("workflow", "support")
    assert io._kind_and_key("x/support.draft.json", workflow()) == ("workflow", "support")
    assert io._kind_and_key("refund.json", template_naming(None)) == ("template", "refund")
    assert io._kind_and_key("workflow/odd.json", {"key": "odd"}) == ("workflow", "odd")


# -- the store (both databases) -----------------------------------------------------------


@pytest.fixture
def ctx(app_ctx: Flask) -> Iterator[None]:
    yield
    db.session.rollback()


def test_save_edit_publish_and_next_version(ctx: None) -> None:
    key = unique("wf")
    row = store.save_draft("workflow", key, workflow(key), actor_id=None)
    assert (row.kind, row.version, row.status) == ("workflow", 1, "draft")
    store.update_draft(row.id, workflow(key, title="Support desk"), actor_id=None)
    assert row.title == "Support desk"
    store.publish(row.id, actor_id=None, approved_by_import=True)
    assert store.published("workflow", key) is row
    second = store.save_draft("workflow", key, workflow(key, title="v2"), actor_id=None)
    assert (second.version, second.status) == (2, "draft")
    actions = db.session.scalars(
        select(AuditLog.action)
        .where(AuditLog.object_type == "definition:workflow", AuditLog.object_id == row.id)
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "edit", "publish"]


@pytest.mark.parametrize("name", BROKEN)
def test_the_store_refuses_an_invalid_workflow_at_the_engines_pointers(
    ctx: None, name: str
) -> None:
    key = unique("bad")
    body = {**BROKEN[name], "key": key}
    with pytest.raises(DefinitionInvalid) as caught:
        store.save_draft("workflow", key, body, actor_id=None)
    assert caught.value.errors == engine_errors(body)
    assert store.versions("workflow", key) == []


def test_publishing_looks_names_up_in_the_database(ctx: None) -> None:
    key = unique("wf")
    draft = store.save_draft(
        "workflow", key, routed(key, "nowhere", "juggling", "no_template"), None
    )
    with pytest.raises(DefinitionInvalid) as caught:
        store.publish(draft.id, actor_id=None, approved_by_import=True)
    assert set(caught.value.errors) == {AT_DEPARTMENT, AT_SKILL, AT_TEMPLATE}
    assert caught.value.errors[AT_DEPARTMENT] == ["There is no department called nowhere."]
    db.session.rollback()
    assert store.get(draft.id).status == "draft"
    # The demo has department billing, agent3 holds "refund" and template refund exists.
    fixed = store.update_draft(draft.id, routed(key, "billing", "refund", "refund"), None)
    assert store.publish(fixed.id, None, approved_by_import=True).status == "published"


def test_a_template_waits_for_its_workflow_to_be_published(ctx: None) -> None:
    wf, tpl = unique("wf"), unique("tpl")
    flow = store.save_draft("workflow", wf, workflow(wf), None)
    body = {**template_naming(wf), "key": tpl}
    template = store.save_draft("template", tpl, body, None)
    with pytest.raises(DefinitionInvalid) as caught:
        store.publish(template.id, actor_id=None)
    assert list(caught.value.errors) == ["/settings/workflow"]
    assert "(its newest is draft)" in caught.value.errors["/settings/workflow"][0]
    db.session.rollback()
    store.publish(flow.id, actor_id=None, approved_by_import=True)
    assert store.publish(template.id, actor_id=None).status == "published"


def test_the_lookups_read_the_database(ctx: None) -> None:
    lookups_now = store.publish_lookups()
    assert lookups_now.department("repair") and not lookups_now.department("nowhere")
    assert lookups_now.skill("printer") and not lookups_now.skill("juggling")
    assert lookups_now.template("refund") and not lookups_now.template("no_template")
    assert lookups_now.workflow(unique("none")) is None


# -- import and export --------------------------------------------------------------------


def test_export_then_import_of_a_workflow_is_the_identity(ctx: None, tmp_path: Path) -> None:
    key = unique("wf")
    body = routed(key, "repair", "printer", "repair")
    store.publish(store.save_draft("workflow", key, body, None).id, None, approved_by_import=True)
    files = io.export_files()
    name = f"workflow/{key}.json"
    assert json.loads(files[name]) == body
    (tmp_path / "workflow").mkdir()
    (tmp_path / name).write_text(files[name], encoding="utf-8")
    report = io.import_texts(io.read_path(tmp_path), publish=True, actor_id=None)
    assert (report.created, report.unchanged) == ([], [f"workflow:{key}"])
    assert io.export_files()[name] == files[name]


def test_an_imported_workflow_exports_byte_for_byte(ctx: None) -> None:
    key = unique("wf")
    text = store.canonical_json(workflow(key))
    report = io.import_texts({f"{key}.json": text}, publish=True, actor_id=None)
    assert report.created == [f"workflow:{key} v1"]
    assert io.export_files()[f"workflow/{key}.json"] == text


def test_import_publishes_workflows_before_the_templates_naming_them(ctx: None) -> None:
    wf, tpl = unique("wf"), unique("tpl")
    # Each names the other: the template follows the workflow, whose rule tests the template.
    files = {
        f"template/{tpl}.json": json.dumps({**template_naming(wf), "key": tpl}),
        f"workflow/{wf}.json": json.dumps(routed(wf, "billing", "refund", tpl)),
    }
    report = io.import_texts(files, publish=True, actor_id=None)
    assert report.created == [f"workflow:{wf} v1", f"template:{tpl} v1"]
    flow, template = store.published("workflow", wf), store.published("template", tpl)
    assert flow is not None and template is not None
    assert flow.published_at is not None and template.published_at is not None
    assert flow.id < template.id


def test_import_refuses_a_template_whose_workflow_is_missing(ctx: None) -> None:
    tpl = unique("tpl")
    files = {f"template/{tpl}.json": json.dumps({**template_naming("nowhere"), "key": tpl})}
    with pytest.raises(io.ImportFailed) as caught:
        io.import_texts(files, publish=True, actor_id=None)
    assert list(caught.value.by_file[f"template/{tpl}.json"]) == ["/settings/workflow"]
    # Without publishing, the template is only a draft: it may wait for its workflow.
    report = io.import_texts(files, publish=False, actor_id=None)
    assert report.created == [f"template:{tpl} v1"]


def test_import_reports_workflow_problems_by_file_and_pointer(ctx: None) -> None:
    key = unique("wf")
    body = {**BROKEN["transition to nowhere"], "key": key}
    with pytest.raises(io.ImportFailed) as caught:
        io.import_texts({f"workflow/{key}.json": json.dumps(body)}, publish=False, actor_id=None)
    assert caught.value.by_file[f"workflow/{key}.json"] == engine_errors(body)


# -- the API ------------------------------------------------------------------------------


@pytest.fixture
def api(app: Flask) -> Callable[..., Any]:
    """`api(method, path, json=...)` → response, as admin with a JWT."""
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login",
        json={"username": "admin", "password": "admin", "provider": "db"},
    )
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def test_the_api_saves_lists_and_publishes_workflows(
    app: Flask, api: Callable[..., Any]
) -> None:
    key = unique("wf")
    created = api("POST", API, json={"kind": "workflow", "key": key, "body": workflow(key)})
    assert created.status_code == 201, created.json
    assert (created.json["kind"], created.json["status"]) == ("workflow", "draft")
    listed = api("GET", API, query_string={"kind": "workflow"})
    assert listed.status_code == 200
    assert key in {row["key"] for row in listed.json["result"]}
    assert {row["kind"] for row in listed.json["result"]} == {"workflow"}
    # Department heads approve workflows: publishing directly is refused, submitting is not.
    refused = api("POST", f"{API}{created.json['id']}/publish")
    assert refused.status_code == 409 and "submit it" in refused.json["message"]
    submitted = api("POST", f"{API}{created.json['id']}/submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "pending"
    published = app.test_client().post(
        f"{API}{created.json['id']}/approve", json={}, headers=bearer(app, "head1")
    )
    assert published.status_code == 200 and published.json["status"] == "published"
    exported = api("GET", f"{API}export")
    assert exported.json["files"][f"workflow/{key}.json"] == workflow(key)


def test_the_api_answers_422_with_the_engines_pointers(api: Callable[..., Any]) -> None:
    key = unique("wf")
    body = {**BROKEN["unknown initial state"], "key": key}
    response = api("POST", API, json={"kind": "workflow", "key": key, "body": body})
    assert response.status_code == 422
    assert response.json["errors"] == engine_errors(body)


def test_the_api_refuses_publishing_unknown_names_at_their_pointers(
    api: Callable[..., Any],
) -> None:
    key = unique("wf")
    body = routed(key, "nowhere", "refund", "refund")
    created = api("POST", API, json={"kind": "workflow", "key": key, "body": body})
    assert created.status_code == 201
    response = api("POST", f"{API}{created.json['id']}/submit")  # submitting checks as publishing
    assert response.status_code == 422
    assert response.json["errors"] == {AT_DEPARTMENT: ["There is no department called nowhere."]}


def test_the_openapi_document_lists_every_kind(api: Callable[..., Any]) -> None:
    spec = api("GET", "/api/v1/_openapi").json
    operations = spec["paths"]["/api/v1/definitions/"]
    kind = next(p for p in operations["get"]["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"] == list(KINDS)
    body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["kind"]["enum"] == list(KINDS)
    assert "$kinds" not in json.dumps(spec)


# -- the console --------------------------------------------------------------------------


def editor_inputs(body: dict[str, Any]) -> dict[str, str]:
    """What the workflow editor posts for `body`."""
    inputs = {"key": body["key"], "title": body["title"], "initial": body["initial"]}
    for part in ("states", "transitions", "routing", "sla", "triggers", "automations"):
        if part in body:
            inputs[part] = json.dumps(body[part])
    return inputs


def test_admin_creates_previews_and_publishes_a_workflow(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    listing = admin.get(f"{CONSOLE}/")
    assert listing.status_code == 200 and "Workflows" in listing.get_data(as_text=True)
    new = admin.get(f"{CONSOLE}/new").get_data(as_text=True)
    assert 'name="transitions"' in new and "States and transitions" in new
    key = unique("wf")
    created = admin.post(f"{CONSOLE}/new", data=editor_inputs(workflow(key)))
    assert created.status_code == 302, created.get_data(as_text=True)
    pk = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    page = admin.get(f"{CONSOLE}/edit/{pk}").get_data(as_text=True)
    assert f"Saved workflow {key} v1 as a draft." in page
    assert admin.get(f"{CONSOLE}/history/{pk}").status_code == 200
    # A department head approves it: the editor submits instead of publishing.
    assert 'id="submit-approval"' in page and 'id="publish"' not in page
    refused = admin.post(f"{CONSOLE}/publish/{pk}")
    assert refused.status_code == 409 and "submit it" in refused.get_data(as_text=True)
    assert admin.post(f"{CONSOLE}/submit/{pk}").status_code == 302
    with app.app_context():
        assert store.get(pk).status == "pending"
        approval_id = approvals.pending_request(pk).id
        db.session.remove()
    decided = client_as("head").post(
        f"/approvals/{approval_id}/decide", data={f"a{approval_id}-approve": "Approve"}
    )
    assert decided.status_code == 302
    with app.app_context():
        assert store.get(pk).status == "published"
        db.session.remove()


def test_the_preview_outlines_states_and_transitions(
    client_as: Callable[[str], FlaskClient],
) -> None:
    admin = client_as("admin")
    response = admin.post(f"{CONSOLE}/preview", data=editor_inputs(workflow(unique("wf"))))
    assert response.status_code == 200 and response.json["ok"]
    html = response.json["html"]
    assert "<code>closed</code> Closed" in html
    assert "<code>close</code> Close: open → closed" in html
    assert "preview-form" not in html  # no form to fill for a workflow


def test_the_preview_and_the_editor_show_engine_errors_at_their_pointers(
    client_as: Callable[[str], FlaskClient],
) -> None:
    admin = client_as("admin")
    body = {**BROKEN["transition to nowhere"], "key": unique("wf")}
    inputs = editor_inputs(body)
    preview = admin.post(f"{CONSOLE}/preview", data=inputs)
    assert preview.status_code == 422
    assert "/transitions/0/to" in preview.json["errors"]
    assert preview.json["errors"] == engine_errors(body)
    saved = admin.post(f"{CONSOLE}/new", data=inputs)
    assert saved.status_code == 422
    assert "/transitions/0/to" in saved.get_data(as_text=True)


def test_the_new_workflow_scaffold_saves_as_it_is(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    page = admin.get(f"{CONSOLE}/new").get_data(as_text=True)
    assert re.search(r'name="initial"\s+value="new"', page)  # the scaffold fills the editor
    key = unique("wf")
    starter = {**editor.starter("workflow"), "key": key, "title": "Scaffold"}
    assert admin.post(f"{CONSOLE}/new", data=editor_inputs(starter)).status_code == 302
    with app.app_context():
        assert store.versions("workflow", key)[0].body == starter
        db.session.remove()


def test_there_is_no_test_submit_for_workflows(client_as: Callable[[str], FlaskClient]) -> None:
    admin = client_as("admin")
    assert admin.post(f"{CONSOLE}/try", data=editor_inputs(workflow())).status_code == 404


def test_the_publish_refusal_shows_in_the_editor(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    key = unique("wf")
    body = copy.deepcopy(routed(key, "nowhere", "refund", "refund"))
    created = admin.post(f"{CONSOLE}/new", data=editor_inputs(body))
    pk = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    refused = admin.post(f"{CONSOLE}/submit/{pk}")  # submitting checks as publishing does
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert AT_DEPARTMENT in page and "There is no department called nowhere." in page


CONSOLE_PAGES = [
    (method, rule) for method, rule in MATRIX if rule.startswith(f"{CONSOLE}/")
]


def test_every_console_route_has_matrix_rows() -> None:
    assert {rule.removeprefix(CONSOLE) for _, rule in CONSOLE_PAGES} == {
        "/", "/new", "/edit/<int:pk>", "/history/<int:pk>", "/preview", "/try",
        "/publish/<int:pk>", "/retire/<int:pk>", "/submit/<int:pk>", "/withdraw/<int:pk>",
    }


@pytest.mark.parametrize("role", ["agent", "head"])
def test_agents_and_heads_are_refused_as_the_matrix_says(
    client_as: Callable[[str], FlaskClient], role: str
) -> None:
    client = client_as(role)
    column = ROLES.index(role)
    for method, rule in CONSOLE_PAGES:
        path = rule.replace("<int:pk>", "1")
        expected = MATRIX[(method, rule)][column]
        assert expected == 403
        assert client.open(path, method=method).status_code == expected, (method, path)
