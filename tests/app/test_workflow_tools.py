"""The workflow editor's state diagram and route tester."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.definitions import store
from app.extensions import db
from app.models import Definition, Department
from app.security import security_manager
from app.tickets.models import Ticket
from app.tickets.service import Requester, create_ticket
from tests.app.access_matrix import MATRIX, ROLES

Client = Callable[[str], FlaskClient]
CONSOLE = "/definitions/workflows"
TOOLS = "/definitions/workflow-tools"
JSON = {"Accept": "application/json"}
SVG = "{http://www.w3.org/2000/svg}"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def editor_inputs(body: dict[str, Any]) -> dict[str, str]:
    """What the workflow editor posts for `body`."""
    inputs = {"key": body["key"], "title": body["title"], "initial": body["initial"]}
    for part in ("states", "transitions", "routing", "sla", "triggers", "automations"):
        if part in body:
            inputs[part] = json.dumps(body[part])
    return inputs


def published_workflow(app: Flask, key: str) -> tuple[int, dict[str, Any]]:
    with app.app_context():
        row = store.published("workflow", key)
        assert row is not None
        found = row.id, dict(row.body)
        db.session.remove()
    return found


def refund_ticket(app: Flask, amount: float, subject: str = "Refund please") -> tuple[int, str]:
    """A ticket of the demo refund template (which follows the refund workflow)."""
    with app.app_context():
        billing = db.session.scalar(select(Department.id).where(Department.key == "billing"))
        assert billing is not None
        ticket = create_ticket(
            template="refund", template_version=1, subject=subject, department_id=billing,
            data={"refund_amount": amount, "order_number": "A-1"}, priority="low",
            requester=Requester("Li Wei", "li@example.test", None),
            actor_id=security_manager().find_user(username="admin").id,
        )
        found = ticket.id, ticket.number
        db.session.remove()
    return found


def payload(response: Any) -> dict[str, Any]:
    """The JSON answer of a request that accepted JSON."""
    data = response.get_json()
    assert isinstance(data, dict), response.status_code
    return data


def run_tester(admin: FlaskClient, pk: int, **form: str) -> Any:
    return admin.post(f"{TOOLS}/route/{pk}", data=form, headers=JSON)


def rule_rows(html: str) -> dict[str, str]:
    """data-rule → the classes of its row."""
    return dict(
        (name, css)
        for css, name in re.findall(r'<tr class="route-rule([^"]*)" data-rule="([^"]+)"', html)
    )


def only_svg(html: str) -> ET.Element:
    (svg,) = re.findall(r"<svg .*?</svg>", html, re.S)
    return ET.fromstring(svg)


# -- the diagram -----------------------------------------------------------------------------


def test_the_editor_previews_a_demo_workflow_as_a_diagram(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    pk, body = published_workflow(app, "repair")
    page = admin.get(f"{CONSOLE}/edit/{pk}").get_data(as_text=True)
    assert 'id="preview-pane"' in page and f'data-url="{TOOLS}/route/{pk}"' in page
    assert "tessera/workflow-tools.js" in page
    preview = admin.post(f"{CONSOLE}/preview", data=editor_inputs(body))
    assert preview.status_code == 200 and payload(preview)["ok"]
    html = payload(preview)["html"]
    svg = only_svg(html)
    states = [g.attrib["data-state"] for g in svg.iter(f"{SVG}g") if "data-state" in g.attrib]
    assert states == [s["name"] for s in body["states"]]
    groups = [g.attrib.get("data-transition") for g in svg.iter(f"{SVG}g")]
    assert [n for n in groups if n] == [t["name"] for t in body["transitions"]]
    assert "<code>waiting_parts</code>" in html  # the outline is still there, beside it
    assert svg.find(f"{SVG}title").text == f"{body['title']}: states and transitions"  # type: ignore[union-attr]


def test_the_preview_escapes_labels_and_shows_errors_instead_of_a_broken_diagram(
    client_as: Client,
) -> None:
    admin = client_as("admin")
    body: dict[str, Any] = {
        "key": unique("wf"), "title": "<script>alert(1)</script>", "initial": "new",
        "states": [
            {"name": "new", "label": "<img src=x onerror=f()>", "category": "new"},
            {"name": "closed", "category": "closed"},
        ],
        "transitions": [{"name": "close", "label": "</svg><script>", "from": ["new"],
                         "to": "closed", "roles": ["agent"]}],
    }
    html = payload(admin.post(f"{CONSOLE}/preview", data=editor_inputs(body)))["html"]
    assert "<script" not in html and "<img" not in html
    svg = only_svg(html)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<img src=x onerror=f()>" in texts and "</svg><script>" in texts
    body["transitions"][0]["to"] = "nowhere"
    broken = admin.post(f"{CONSOLE}/preview", data=editor_inputs(body))
    assert broken.status_code == 422 and "/transitions/0/to" in payload(broken)["errors"]
    assert "<svg" not in payload(broken)["html"]


# -- the route tester ------------------------------------------------------------------------


def test_the_tester_explains_a_pasted_document(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    pk, _ = published_workflow(app, "refund")
    document = json.dumps({"data": {"refund_amount": 9000}})
    big = run_tester(admin, pk, use="document", document=document)
    assert big.status_code == 200 and payload(big)["ok"], big.json
    html = payload(big)["html"]
    assert rule_rows(html) == {"large": " success route-rule-decides", "refunds": " text-muted"}
    assert re.search(r'id="route-department">billing: Billing', html)
    assert re.search(r'id="route-priority">high', html)
    assert re.search(r'id="route-rule"><code>large</code>', html)
    assert '<code>refund</code>' in html  # the skill

    small = run_tester(admin, pk, use="document", document='{"data": {"refund_amount": 10}}')
    html = payload(small)["html"]
    assert rule_rows(html) == {"large": "", "refunds": " success route-rule-decides"}
    large = html[html.index('data-rule="large"'):html.index('data-rule="refunds"')]
    assert "<code title=\"/routing/rules/0/when/properties/data/properties/refund_amount" in large
    assert ">exclusiveMinimum</code>" in large and "/data/refund_amount" in large
    assert re.search(r'id="route-priority">normal', html)  # no priority given, none set


def test_the_tester_routes_one_of_the_recent_tickets(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    pk, _ = published_workflow(app, "refund")
    made = [refund_ticket(app, 100 + n, f"Refund {n}") for n in range(21)]
    page = payload(admin.get(f"{TOOLS}/route/{pk}", headers=JSON))["html"]
    offered = [int(v) for v in re.findall(r'<option value="(\d+)"', page)]
    assert offered == [pk_ for pk_, _ in reversed(made)][:20]  # the 20 newest, newest first
    ticket_id, number = refund_ticket(app, 7500.5, "Big refund")
    answer = run_tester(admin, pk, use="ticket", ticket=str(ticket_id))
    assert answer.status_code == 200, answer.json
    html = payload(answer)["html"]
    assert f"Ticket {number} would go to" in html
    assert rule_rows(html)["large"] == " success route-rule-decides"
    assert re.search(r'id="route-priority">high', html)
    shown = re.search(r'<textarea[^>]*name="document"[^>]*>(.*?)</textarea>', html, re.S)
    assert shown is not None  # the built document, ready to edit and route again
    doc = json.loads(shown.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert doc["data"]["refund_amount"] == 7500.5 and doc["template"] == "refund"
    assert doc["priority"] == "low" and doc["state"] == "new" and doc["department"] == "billing"


def test_the_tester_page_works_without_javascript(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    pk, _ = published_workflow(app, "refund")
    page = admin.get(f"{TOOLS}/route/{pk}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'id="route-tester-form"' in text and f'href="{CONSOLE}/edit/{pk}"' in text
    posted = admin.post(f"{TOOLS}/route/{pk}", data={"use": "document", "document": "{}"})
    assert posted.status_code == 200
    assert rule_rows(posted.get_data(as_text=True))["refunds"] == " success route-rule-decides"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"use": "document", "document": "{nope"}, "document", "Not valid JSON"),
        ({"use": "document", "document": "[1, 2]"}, "document", "JSON object"),
        ({"use": "document", "document": '{"a": 1, "a": 2}'}, "document", "Duplicate key"),
        ({"use": "document", "document": "[" * 5000 + "]" * 5000}, "document", "JSON"),
        ({"use": "document", "document": "  "}, "document", "Paste a ticket document"),
        ({"use": "ticket", "ticket": ""}, "ticket", "Choose a ticket"),
        ({"use": "ticket", "ticket": "9" * 40}, "ticket", "one of the tickets"),
        ({"use": "ticket", "ticket": "2147483648"}, "ticket", "one of the tickets"),
        ({"use": "ticket", "ticket": "١٢"}, "ticket", "one of the tickets"),
    ],
)
def test_bad_input_is_a_field_error(
    app: Flask, client_as: Client, form: dict[str, str], field: str, message: str
) -> None:
    admin = client_as("admin")
    pk, _ = published_workflow(app, "refund")
    answer = run_tester(admin, pk, **form)
    assert answer.status_code == 422
    errors, html = payload(answer)["errors"], payload(answer)["html"]
    assert list(errors) == [field] and message in errors[field][0]
    assert "has-error" in html and 'id="route-result"' not in html
    page = admin.post(f"{TOOLS}/route/{pk}", data=form)
    assert page.status_code == 422 and "has-error" in page.get_data(as_text=True)


def test_a_ticket_of_a_template_that_follows_another_workflow_is_refused(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    ticket_id, _ = refund_ticket(app, 50)
    pk, _ = published_workflow(app, "repair")
    answer = run_tester(admin, pk, use="ticket", ticket=str(ticket_id))
    assert answer.status_code == 422 and "ticket" in payload(answer)["errors"]
    assert f'<option value="{ticket_id}"' not in payload(answer)["html"]


def test_a_draft_is_tested_as_it_is_saved(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    _, body = published_workflow(app, "refund")
    key = unique("wf")
    rule = {
        "name": "email", "label": "By e-mail",
        "when": {"properties": {"channel": {"const": "email"}}, "required": ["channel"]},
        "then": {"department": "nowhere_yet", "priority": "urgent"},
    }
    draft = {**body, "key": key, "routing": {"strategy": "least_loaded", "rules": [rule]}}
    with app.app_context():
        admin_id = security_manager().find_user(username="admin").id
        pk = store.save_draft("workflow", key, draft, admin_id).id
        db.session.remove()
    page = admin.get(f"{CONSOLE}/edit/{pk}").get_data(as_text=True)
    assert f'data-url="{TOOLS}/route/{pk}"' in page
    hit = payload(run_tester(admin, pk, use="document", document='{"channel": "email"}'))["html"]
    assert "nowhere_yet (no department has this key yet)" in hit
    assert re.search(r'id="route-priority">urgent', hit)
    document = '{"channel": "web", "department": "billing"}'
    miss = run_tester(admin, pk, use="document", document=document)
    html = payload(miss)["html"]
    assert rule_rows(html) == {"email": ""}
    assert "the template&#39;s default department (billing)" in html
    assert "strategy least_loaded" in html and ">const</code>" in html


def test_other_kinds_and_missing_versions_are_404(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    with app.app_context():
        template = db.session.scalar(
            select(Definition.id).where(Definition.kind == "template").limit(1)
        )
        last = db.session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
        db.session.remove()
    assert admin.get(f"{TOOLS}/route/{template}").status_code == 404
    assert admin.post(f"{TOOLS}/route/{template}", data={"document": "{}"}).status_code == 404
    assert admin.get(f"{TOOLS}/route/{(last or 0) + 10**6}").status_code == 404


TOOL_ROUTES = [(method, rule) for method, rule in MATRIX if rule.startswith(f"{TOOLS}/")]


def test_every_tool_route_has_matrix_rows(app: Flask) -> None:
    registered = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules() if rule.rule.startswith(f"{TOOLS}/")
        for method in rule.methods or () if method not in {"HEAD", "OPTIONS"}
    }
    assert registered == set(TOOL_ROUTES) and len(registered) == 2


@pytest.mark.parametrize("role", ["anonymous", "agent", "head"])
def test_only_admins_may_use_the_tester(app: Flask, client_as: Client, role: str) -> None:
    client = client_as(role)
    pk, _ = published_workflow(app, "refund")
    column = ROLES.index(role)
    for method, rule in TOOL_ROUTES:
        expected = MATRIX[(method, rule)][column]
        assert expected in (302, 403)
        path = rule.replace("<int:pk>", str(pk))
        answer = client.open(path, method=method, data={"document": "{}"})
        assert answer.status_code == expected, (method, path)
        assert "route-rule" not in answer.get_data(as_text=True)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "data": st.dictionaries(
            st.sampled_from(["refund_amount", "warranty_status", "customer_tier", "x"]),
            JSON_VALUES, max_size=3,
        ) | JSON_VALUES,
        "template": st.sampled_from(["refund", "repair", "complaint"]) | JSON_VALUES,
        "priority": st.sampled_from(["low", "urgent", "nope"]) | JSON_VALUES,
        "channel": st.sampled_from(["web", "email"]) | JSON_VALUES,
        "hour": st.integers(-1, 25) | JSON_VALUES,
        "in_business_hours": st.booleans() | JSON_VALUES,
    },
)


@pytest.mark.backend("sqlite")
def test_any_pasted_document_is_routed_or_refused_never_a_500(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")  # signed in once: every example posts with it
    keys = ("refund", "repair", "complaint", "triage")
    workflows = {key: published_workflow(app, key) for key in keys}

    @settings(max_examples=40, deadline=None)
    @given(doc=DOCUMENTS, key=st.sampled_from(sorted(workflows)))
    def routed(doc: dict[str, Any], key: str) -> None:
        pk, body = workflows[key]
        answer = run_tester(admin, pk, use="document", document=json.dumps(doc))
        assert answer.status_code == 200, payload(answer)["errors"]
        rows = rule_rows(payload(answer)["html"])
        assert list(rows) == [r["name"] for r in body.get("routing", {}).get("rules", [])]
        assert sum("route-rule-decides" in css for css in rows.values()) <= 1

    routed()
