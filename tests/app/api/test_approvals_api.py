"""Approvals over the API: submit/withdraw/approve/reject a workflow version, the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.definitions import store
from app.extensions import db
from app.models import Membership
from app.tickets.models import Ticket
from tests.app.api.test_definitions_api import bearer
from tests.app.approvals.test_workflows import (
    Scene,
    closing_request,
    make_scene,
    ticket,
    username,
    workflow_body,
)

DEFS = "/api/v1/definitions/"
INBOX = "/api/v1/approvals/"


@pytest.fixture
def scene(app: Flask) -> Iterator[Scene]:
    with app.app_context():
        made = make_scene()
        db.session.remove()
    yield made


@pytest.fixture
def api(app: Flask) -> Callable[..., Any]:
    """`api(method, path, user_id or username, json=...)` → response (JWT bearer)."""
    tokens: dict[str, dict[str, str]] = {}
    client: FlaskClient = app.test_client()

    def call(method: str, path: str, user: int | str, **kwargs: Any) -> Any:
        if isinstance(user, int):
            with app.app_context():
                user = username(user)
        if user not in tokens:
            tokens[user] = bearer(app, user)
        return client.open(path, method=method, headers=tokens[user], **kwargs)

    return call


def status_of(app: Flask, definition_id: int) -> str:
    with app.app_context():
        return store.get(definition_id).status


def submitted(api: Callable[..., Any], scene: Scene, by: int | None = None) -> int:
    """Submit v2 through the API; the id of its approval request (from the head's inbox)."""
    answer = api("POST", f"{DEFS}{scene.v2}/submit", by or scene.admin)
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "pending"
    inbox = api("GET", INBOX, scene.head_b).json["result"]
    return int(next(r["id"] for r in inbox if (r["definition"] or {}).get("id") == scene.v2))


def test_submit_then_a_head_reviews_and_approves(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    with app.app_context():
        bill = ticket(scene, "bill")
        number, ticket_id = bill.number, bill.id
    approval_id = submitted(api, scene)
    edit = api("PUT", f"{DEFS}{scene.v2}", scene.admin,
               json={"body": workflow_body(scene.key, scene.a.key)})
    assert edit.status_code == 409
    listed = api("GET", INBOX, scene.head_b).json["result"]
    mine = next(r for r in listed if r["id"] == approval_id)
    assert mine["kind"] == "workflow" and mine["status"] == "pending"
    assert {d["key"] for d in mine["departments"]} == {scene.a.key, scene.b.key}
    assert mine["requested_by"]["username"] == "admin" and mine["decided_by"] is None
    detail = api("GET", f"{INBOX}{approval_id}", scene.head_b).json["result"]
    assert f'+          "department": "{scene.b.key}",' in detail["diff"].splitlines()
    impact = detail["impact"]
    assert impact["tickets"] == 1 and impact["changed"]["department"] == 1
    example = impact["examples"]["department"][0]
    assert (example["number"], example["url"]) == (number, f"/api/v1/tickets/{ticket_id}")
    assert example["before"]["department"] == scene.a.key
    assert example["after"]["department"] == scene.b.key
    done = api("POST", f"{INBOX}{approval_id}/approve", scene.head_b, json={"comment": "Fine."})
    assert done.status_code == 200
    assert (done.json["result"]["status"], done.json["result"]["comment"]) == ("approved", "Fine.")
    assert status_of(app, scene.v2) == "published" and status_of(app, scene.v1) == "retired"
    again = api("POST", f"{INBOX}{approval_id}/approve", scene.head_a, json={})
    assert again.status_code == 409 and "message" in again.json
    decided = api("GET", f"{INBOX}?status=decided", scene.head_b).json["result"]
    assert approval_id in {r["id"] for r in decided}
    assert approval_id not in {r["id"] for r in api("GET", INBOX, scene.head_b).json["result"]}
    assert api("GET", f"{INBOX}{approval_id}", scene.head_b).json["result"]["impact"] is None


def test_approve_and_reject_on_the_definitions_api(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    submitted(api, scene)
    assert api("GET", f"{DEFS}{scene.v2}", scene.head_a).status_code == 403  # only decide
    no_reason = api("POST", f"{DEFS}{scene.v2}/reject", scene.head_a, json={})
    assert no_reason.status_code == 422
    assert list(no_reason.json["errors"]) == ["/comment"]
    wrong = api("POST", f"{DEFS}{scene.v2}/reject", scene.head_a, json={"comment": 7})
    assert wrong.status_code == 422 and list(wrong.json["errors"]) == ["/comment"]
    extra = api("POST", f"{DEFS}{scene.v2}/reject", scene.head_a, json={"why": "x"})
    assert extra.status_code == 422 and list(extra.json["errors"]) == ["/why"]
    not_json = api("POST", f"{DEFS}{scene.v2}/reject", scene.head_a, data="comment=x",
                   content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415
    assert status_of(app, scene.v2) == "pending"
    rejected = api("POST", f"{DEFS}{scene.v2}/reject", scene.head_a,
                   json={"comment": "Bills stay with A."})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert api("POST", f"{DEFS}{scene.v2}/approve", scene.head_b, json={}).status_code == 409
    # A new draft may start from the rejected version, and go the same way.
    again = api("POST", DEFS, scene.admin, json={
        "kind": "workflow", "key": scene.key, "body": workflow_body(scene.key, scene.b.key),
    })
    assert again.status_code == 201 and again.json["version"] == 3
    assert api("POST", f"{DEFS}{again.json['id']}/submit", scene.admin).status_code == 200
    approved = api("POST", f"{DEFS}{again.json['id']}/approve", scene.head_b, json={})
    assert approved.status_code == 200 and approved.json["status"] == "published"


def test_who_may_not_decide_over_the_api(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    approval_id = submitted(api, scene, by=scene.admin_head)
    # The submitter heads department a: still not theirs to decide.
    own = api("POST", f"{INBOX}{approval_id}/approve", scene.admin_head, json={})
    assert own.status_code == 403 and "another head" in own.json["message"]
    own = api("POST", f"{DEFS}{scene.v2}/approve", scene.admin_head, json={})
    assert own.status_code == 403
    # The demo admin heads nothing: the request is not theirs to see, nor to decide.
    assert api("GET", f"{INBOX}{approval_id}", "admin").status_code == 404
    assert api("POST", f"{INBOX}{approval_id}/approve", "admin", json={}).status_code == 404
    assert api("POST", f"{DEFS}{scene.v2}/approve", "admin", json={}).status_code == 403
    # Agents have no part in it.
    for path in (INBOX, f"{INBOX}{approval_id}"):
        assert api("GET", path, scene.agent_a).status_code == 403
    assert api("POST", f"{INBOX}{approval_id}/approve", scene.agent_a, json={}).status_code == 403
    # Withdrawing is for whoever submitted it.
    assert api("POST", f"{DEFS}{scene.v2}/withdraw", "admin").status_code == 403
    assert status_of(app, scene.v2) == "pending"
    back = api("POST", f"{DEFS}{scene.v2}/withdraw", scene.admin_head)
    assert back.status_code == 200 and back.json["status"] == "draft"
    assert api("POST", f"{DEFS}{scene.v2}/withdraw", scene.admin_head).status_code == 409


def test_workflows_are_not_published_directly_through_the_api(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    direct = api("POST", f"{DEFS}{scene.v2}/publish", "admin")
    assert direct.status_code == 409 and "submit it" in direct.json["message"]
    files = {f"workflow/{scene.key}.json": workflow_body(scene.key, scene.b.key, strategy="skills")}
    imported = api("POST", f"{DEFS}import", "admin", json={"files": files, "publish": True})
    assert imported.status_code == 409 and "submit it" in imported.json["message"]
    assert status_of(app, scene.v2) == "draft" and status_of(app, scene.v1) == "published"
    unchanged = api("POST", f"{DEFS}import", "admin", json={"files": files})
    assert unchanged.status_code == 200  # a draft, as without approval anyway
    assert api("POST", f"{DEFS}{scene.v1}/submit", "admin").status_code == 409


def test_a_publish_check_failing_at_approval_answers_422(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    skill = f"skill_{uuid.uuid4().hex[:6]}"
    with app.app_context():
        member = db.session.query(Membership).filter_by(user_id=scene.head_b).one()
        member.skills = [skill]
        db.session.commit()
        body = workflow_body(scene.key, scene.b.key)
        body["routing"]["rules"][0]["then"]["skills"] = [skill]
        store.update_draft(scene.v2, body, scene.admin)
    approval_id = submitted(api, scene)
    with app.app_context():
        db.session.query(Membership).filter_by(user_id=scene.head_b).one().skills = []
        db.session.commit()
    refused = api("POST", f"{INBOX}{approval_id}/approve", scene.head_b, json={})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["/routing/rules/0/then/skills/0"]
    assert status_of(app, scene.v2) == "pending" and status_of(app, scene.v1) == "published"
    pending = api("GET", f"{INBOX}{approval_id}", scene.head_b).json["result"]
    assert pending["status"] == "pending"


def test_a_transition_request_is_decided_through_the_ticket_side(
    app: Flask, api: Callable[..., Any], scene: Scene
) -> None:
    with app.app_context():
        approval_id, ticket_id, number = closing_request(scene)
    listed = api("GET", INBOX, scene.head_a).json["result"]
    mine = next(r for r in listed if r["id"] == approval_id)
    assert (mine["kind"], mine["transition"], mine["note"]) == (
        "transition", "close", "Customer agreed."
    )
    assert mine["ticket"]["number"] == number and mine["definition"] is None
    detail = api("GET", f"{INBOX}{approval_id}", scene.head_a).json["result"]
    assert detail["diff"] is None and detail["impact"] is None
    refused = api("POST", f"{INBOX}{approval_id}/reject", scene.head_a, json={"comment": ""})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["/comment"]
    done = api("POST", f"{INBOX}{approval_id}/approve", scene.head_a, json={})
    assert done.status_code == 200 and done.json["result"]["status"] == "approved"
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        assert found is not None and found.state == "closed"


def test_the_inbox_refuses_an_unknown_status(api: Callable[..., Any], scene: Scene) -> None:
    bad = api("GET", f"{INBOX}?status=everything", scene.head_a)
    assert bad.status_code == 400 and "pending or decided" in bad.json["message"]
    assert api("GET", f"{INBOX}?status=", scene.head_a).status_code == 200
