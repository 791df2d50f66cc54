"""Tickets API, workflow part: transitions offered and taken, approvals asked, claim, transfer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.api.ticket_workflow import TicketWorkflowApi
from app.api.tickets import TicketsApi
from app.definitions import store
from app.extensions import db
from app.models import ApprovalRequest
from app.tickets.models import Ticket, TicketEvent
from tests.app.api.test_tickets_api import bearer, tag

API = "/api/v1/tickets/"
Api = Callable[..., Any]


@pytest.fixture
def api(app: Flask) -> Api:
    """`api(method, path, user="agent3", json=...)` → response, authenticated with a JWT."""
    tokens: dict[str, dict[str, str]] = {}
    client: FlaskClient = app.test_client()

    def call(method: str, path: str, user: str = "agent3", **kwargs: Any) -> Any:
        if user not in tokens:
            tokens[user] = bearer(app, user)
        return client.open(path, method=method, headers=tokens[user], **kwargs)

    return call


def needs(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "properties": {"data": {"properties": {field: schema}, "required": [field]}},
        "required": ["data"],
    }


WORKFLOW: dict[str, Any] = {
    "states": [
        {"name": "new", "label": "New", "category": "new"},
        {"name": "open", "label": "Open", "category": "open"},
        {"name": "solved", "label": "Solved", "category": "solved"},
        {"name": "closed", "label": "Closed", "category": "closed"},
    ],
    "initial": "new",
    "transitions": [
        {"name": "start", "label": "Start", "from": ["new"], "to": "open", "roles": ["agent"]},
        {
            "name": "solve",
            "label": "Solve",
            "from": ["open"],
            "to": "solved",
            "roles": ["agent"],
            "requires": needs("resolution", {"type": "string", "minLength": 10}),
            "approval": {"by": "department_head", "when": needs("amount", {"minimum": 500})},
        },
        {
            "name": "escalate",
            "label": "Escalate",
            "from": ["open"],
            "to": "open",
            "roles": ["head"],
            "set": {"/priority": "urgent"},
        },
        {"name": "close", "label": "Close", "from": ["solved"], "to": "closed", "roles": ["agent"]},
    ],
    "sla": {
        "policies": [
            {"name": "standard", "targets": {"normal": {"first_response": "PT4H"},
                                             "urgent": {"first_response": "PT1H"}}}
        ]
    },
}


@pytest.fixture
def template(app: Flask) -> str:
    """A fresh template following a fresh workflow, routed to Billing's group queue."""
    key = f"wfapi_{tag()}"
    with app.app_context():
        body = {"key": key, "title": f"Workflow {key}", **WORKFLOW}
        row = store.save_draft("workflow", key, body, None)
        store.publish(row.id, None, approved_by_import=True)  # as an operator's import does
        template = {
            "key": key,
            "title": f"Workflow API {key}",
            "schema": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string", "minLength": 3},
                    "resolution": {"type": "string", "maxLength": 300},
                    "amount": {"type": "number"},
                },
                "required": ["summary"],
            },
            "settings": {"subject": "/summary", "default_department": "billing",
                         "workflow": key},
        }
        store.publish(store.save_draft("template", key, template, None).id, None)
        db.session.remove()
    return key


def create(api: Api, template: str, **data: Any) -> dict[str, Any]:
    response = api(
        "POST", API, user="admin",
        json={"template": template, "data": {"summary": f"Refund {tag()}", **data}},
    )
    assert response.status_code == 201, response.json
    return dict(response.json)


def take(api: Api, ticket: dict[str, Any], transition: str, user: str = "agent3",
         **body: Any) -> Any:
    payload = {"transition": transition, "lock_version": ticket["lock_version"], **body}
    return api("POST", f"{API}{ticket['id']}/transitions", user=user, json=payload)


def event_count(app: Flask, ticket_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        )
        db.session.remove()
    return int(count or 0)


def test_the_ticket_shows_its_category_sla_and_workflow(
    app: Flask, api: Api, template: str
) -> None:
    ticket = create(api, template)
    assert ticket["category"] == "new" and ticket["state"] == "new"
    assert ticket["workflow"]["key"] == template and ticket["workflow"]["version"] >= 1
    sla = ticket["sla"]
    assert (sla["policy"], sla["paused"], sla["resolution_due_at"]) == ("standard", False, None)
    assert sla["first_response_due_at"] is not None
    detail = api("GET", f"{API}{ticket['id']}").json["result"]
    assert detail["sla"] == sla and detail["category"] == "new"


def test_get_transitions_lists_what_the_caller_may_take(api: Api, template: str) -> None:
    ticket = create(api, template)
    response = api("GET", f"{API}{ticket['id']}/transitions")
    assert response.status_code == 200, response.json
    offer = response.json["result"]
    assert offer["state"] == {"name": "new", "label": "New", "category": "new"}
    assert offer["lock_version"] == ticket["lock_version"]
    assert offer["pending_approval"] is None
    assert [t["name"] for t in offer["transitions"]] == ["start"]
    opened = take(api, ticket, "start").json
    as_head = api("GET", f"{API}{ticket['id']}/transitions", user="head1").json["result"]
    solve, escalate = as_head["transitions"]
    assert solve == {
        "name": "solve",
        "label": "Solve",
        "to": {"name": "solved", "label": "Solved", "category": "solved"},
        "fields": ["resolution"],
        "approval": False,
    }
    assert escalate["name"] == "escalate" and as_head["lock_version"] == opened["lock_version"]
    agents = api("GET", f"{API}{ticket['id']}/transitions").json["result"]["transitions"]
    assert [t["name"] for t in agents] == ["solve"]
    assert api("GET", f"{API}{ticket['id']}/transitions", user="agent4").status_code == 404


def test_taking_a_transition_answers_the_ticket(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    response = take(api, ticket, "start", note="On it")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["state"], body["category"]) == ("open", "open")
    assert body["lock_version"] == ticket["lock_version"] + 1
    response = take(
        api, body, "solve", data={"resolution": "Refund sent to the card."}
    )
    assert response.status_code == 200, response.json
    solved = response.json
    assert (solved["state"], solved["category"]) == ("solved", "solved")
    assert solved["resolved_at"] is not None
    assert solved["data"]["resolution"] == "Refund sent to the card."
    history = api("GET", f"{API}{ticket['id']}").json["result"]["history"]
    notes = [e["note"] for e in history if e["kind"] == "state_changed"]
    assert notes == ["On it", None]
    assert {e["channel"] for e in history if e["kind"] == "state_changed"} == {"api"}


def test_set_by_a_head(api: Api, template: str) -> None:
    ticket = take(api, create(api, template), "start").json
    response = take(api, ticket, "escalate", user="head1")
    assert response.status_code == 200, response.json
    assert response.json["priority"] == "urgent"
    assert response.json["sla"]["first_response_due_at"] != ticket["sla"]["first_response_due_at"]


@pytest.mark.parametrize(
    ("body", "status", "pointers"),
    [
        ({"transition": "fly"}, 422, ["/transition"]),
        ({"transition": "solve"}, 422, ["/data/resolution"]),
        ({"transition": "solve", "data": {"resolution": "short"}}, 422, ["/data/resolution"]),
        ({"transition": "solve", "data": {"resolution": 5}}, 422, ["/data/resolution"]),
        ({"transition": "solve", "data": [1]}, 422, ["/data"]),
        ({"transition": "solve", "colour": "red"}, 422, ["/colour"]),
        ({"transition": "", "lock_version": "1"}, 422, ["/lock_version", "/transition"]),
        ({"transition": "start"}, 409, None),
        ({"transition": "escalate"}, 403, None),
        ({"transition": "solve", "lock_version": 1}, 409, None),
    ],
)
def test_refusals_write_nothing(
    app: Flask, api: Api, template: str, body: dict[str, Any], status: int,
    pointers: list[str] | None,
) -> None:
    ticket = take(api, create(api, template), "start").json
    before = event_count(app, ticket["id"])
    payload = {"lock_version": ticket["lock_version"], **body}
    response = api("POST", f"{API}{ticket['id']}/transitions", json=payload)
    assert response.status_code == status, response.json
    assert isinstance(response.json["message"], str)
    if pointers is not None:
        assert sorted(response.json["errors"]) == pointers
    if payload.get("lock_version") == 1:
        assert response.json["current_lock_version"] == ticket["lock_version"]
    assert event_count(app, ticket["id"]) == before
    assert api("GET", f"{API}{ticket['id']}").json["result"]["lock_version"] == ticket[
        "lock_version"
    ]


def test_a_transition_needing_approval_answers_202(app: Flask, api: Api, template: str) -> None:
    ticket = take(api, create(api, template, amount=800), "start").json
    response = take(
        api, ticket, "solve", data={"resolution": "Full refund approved?"}, note="Big one"
    )
    assert response.status_code == 202, response.json
    request = response.json
    assert (request["status"], request["ticket_id"], request["note"]) == (
        "pending", ticket["id"], "Big one"
    )
    assert request["transition"] == {"name": "solve", "label": "Solve"}
    assert request["to"]["name"] == "solved"
    assert request["data"]["resolution"] == "Full refund approved?"
    assert request["requested_by"]["username"] == "agent3"
    offer = api("GET", f"{API}{ticket['id']}/transitions").json["result"]
    assert offer["transitions"] == [] and offer["pending_approval"]["id"] == request["id"]
    assert offer["state"]["name"] == "open"
    again = take(
        api, {**ticket, "lock_version": offer["lock_version"]}, "solve",
        data={"resolution": "Asking once more."},
    )
    assert again.status_code == 409, again.json
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(ApprovalRequest).where(
                ApprovalRequest.ticket_id == ticket["id"]
            )
        )
        db.session.remove()
    assert count == 1


def test_claim(api: Api, template: str) -> None:
    ticket = create(api, template)
    assert ticket["assignee"] is None
    response = api("POST", f"{API}{ticket['id']}/claim")
    assert response.status_code == 200, response.json
    assert response.json["assignee"]["username"] == "agent3"
    assert response.json["lock_version"] == ticket["lock_version"] + 1
    again = api("POST", f"{API}{ticket['id']}/claim", user="head1")
    assert again.status_code == 409, again.json
    assert again.json["assignee"]["username"] == "agent3"
    assert "Agent3" in again.json["message"]
    assert api("POST", f"{API}{ticket['id']}/claim", user="admin").status_code == 403
    assert api("POST", f"{API}{ticket['id']}/claim", user="agent4").status_code == 404
    assert api("POST", f"{API}999999/claim").status_code == 404


def test_transfer(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    path = f"{API}{ticket['id']}/transfer"
    version = ticket["lock_version"]
    bad = api("POST", path, json={"lock_version": version, "assignee": "me", "reason": " "})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["/reason"]
    bad = api("POST", path, json={"lock_version": version, "department": "nope", "reason": "x"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["/department"]
    bad = api("POST", path, json={"lock_version": version, "assignee": "me", "size": 1,
                                  "reason": "x"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["/size"]
    outsider = api("POST", path, user="agent4",
                   json={"lock_version": version, "assignee": "me", "reason": "x"})
    assert outsider.status_code == 404
    before = event_count(app, ticket["id"])
    stale = api("POST", path, json={"lock_version": version + 5, "assignee": "me",
                                    "reason": "mine"})
    assert stale.status_code == 409 and event_count(app, ticket["id"]) == before
    mine = api("POST", path, json={"lock_version": version, "assignee": "me", "reason": "mine"})
    assert mine.status_code == 200, mine.json
    assert mine.json["assignee"]["username"] == "agent3"
    away = api(
        "POST", path,
        json={"lock_version": mine.json["lock_version"], "department": "frontline",
              "reason": "A frontline question"},
    )
    assert away.status_code == 200, away.json
    assert away.json["department"]["key"] == "frontline" and away.json["assignee"] is None
    history = api("GET", f"{API}{ticket['id']}", user="admin").json["result"]["history"]
    moved = [e for e in history if e["kind"] == "transferred"]
    assert [e["note"] for e in moved] == ["mine", "A frontline question"]
    # Out of Billing now: agent3 no longer sees it.
    assert api("GET", f"{API}{ticket['id']}/transitions").status_code == 404


def test_the_spec_documents_the_workflow_endpoints(api: Api) -> None:
    spec = api("GET", "/api/v1/_openapi").json
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tickets/{pk}/transitions"])
    assert "post" in paths["/api/v1/tickets/{pk}/claim"]
    assert "post" in paths["/api/v1/tickets/{pk}/transfer"]
    take_op = paths["/api/v1/tickets/{pk}/transitions"]["post"]
    assert {"200", "202", "403", "409", "422"} <= set(take_op["responses"])
    ticket = spec["components"]["schemas"]["Ticket"]
    assert {"category", "sla", "workflow"} <= set(ticket["required"])
    assert "TransitionOffer" in spec["components"]["schemas"]


def test_both_ticket_apis_keep_the_same_permissions(app: Flask) -> None:
    kinds = (TicketsApi, TicketWorkflowApi)
    apis = {type(v): v for v in app.appbuilder.baseviews if isinstance(v, kinds)}
    assert set(apis) == {TicketsApi, TicketWorkflowApi}
    assert sorted(apis[TicketsApi].base_permissions) == sorted(
        apis[TicketWorkflowApi].base_permissions
    )


def test_ticket_rows_are_untouched_by_reads(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    for _ in range(2):
        api("GET", f"{API}{ticket['id']}/transitions")
    with app.app_context():
        stored = db.session.get(Ticket, ticket["id"])
        assert stored is not None and stored.lock_version == ticket["lock_version"]
        db.session.remove()
