"""POST /api/v1/tickets/<id>/chase (催单): the ticket back, 404, 422, 429 with Retry-After."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Ticket, TicketEvent
from tests.app.api import test_ticket_workflow_api as workflow_api
from tests.app.api.test_ticket_workflow_api import API, Api, create, take

api = workflow_api.api  # the fixtures, by their names
template = workflow_api.template


def chase(api: Api, ticket_id: int, user: str = "agent3", **body: Any) -> Any:
    return api("POST", f"{API}{ticket_id}/chase", user=user, json=body)


def chased(app: Flask, ticket_id: int) -> tuple[int, list[tuple[Any, int | None, str, Any]]]:
    """(chases, [(new, actor_id, channel, note) of each chased event])."""
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        rows = db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "chased")
            .order_by(TicketEvent.id)
        ).all()
        found = ticket.chases, [(e.new, e.actor_id, e.channel, e.note) for e in rows]
        db.session.remove()
    return found


def age_chases(app: Flask, ticket_id: int, seconds: int) -> None:
    with app.app_context():
        for event in db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "chased"
            )
        ):
            event.at = event.at - timedelta(seconds=seconds)
        db.session.commit()
        db.session.remove()


def user_id(app: Flask, username: str) -> int:
    from app.security import security_manager

    with app.app_context():
        found = security_manager().find_user(username=username)
        assert found is not None
        ident = int(found.id)
        db.session.remove()
    return ident


def test_a_chase_answers_the_ticket_and_keeps_its_version(
    app: Flask, api: Api, template: str
) -> None:
    ticket = create(api, template)
    response = chase(api, ticket["id"], note="Third call today")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["id"], body["number"], body["lock_version"]) == (
        ticket["id"], ticket["number"], ticket["lock_version"]
    )
    assert body["updated_at"] == ticket["updated_at"]
    assert chased(app, ticket["id"]) == (
        1, [({"chases": 1}, user_id(app, "agent3"), "api", "Third call today")]
    )
    # The version the caller read still takes a transition.
    assert take(api, ticket, "start").status_code == 200


def test_an_empty_body_chases_without_a_note(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    assert chase(api, ticket["id"]).status_code == 200
    assert chase(api, ticket["id"], user="admin", note=None).status_code == 200
    count, rows = chased(app, ticket["id"])
    assert count == 2 and [(r[0], r[3]) for r in rows] == [
        ({"chases": 1}, None), ({"chases": 2}, None)
    ]


def test_a_repeated_chase_is_429_with_retry_after(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    assert chase(api, ticket["id"]).status_code == 200
    again = chase(api, ticket["id"], note="again")
    assert again.status_code == 429 and again.is_json
    wait = int(again.headers["Retry-After"])
    assert 590 <= wait <= 600
    assert again.json["retry_after"] == wait and str(wait) in again.json["message"]
    assert chased(app, ticket["id"])[0] == 1
    # Another caller is not held back; after the interval the first may chase again.
    assert chase(api, ticket["id"], user="admin").status_code == 200
    age_chases(app, ticket["id"], 601)
    assert chase(api, ticket["id"]).status_code == 200
    assert chased(app, ticket["id"])[0] == 3


def test_the_interval_comes_from_the_config(
    app: Flask, api: Api, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TESSERA_CHASE_INTERVAL", 45)
    ticket = create(api, template)
    assert chase(api, ticket["id"]).status_code == 200
    again = chase(api, ticket["id"])
    assert again.status_code == 429 and 35 <= int(again.headers["Retry-After"]) <= 45


def test_a_solved_ticket_is_422_at_category(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    started = take(api, ticket, "start")
    assert started.status_code == 200, started.json
    solved = take(api, started.json, "solve", data={"resolution": "Refunded the fee."})
    assert solved.status_code == 200, solved.json
    refused = chase(api, ticket["id"], note="Still waiting?")
    assert refused.status_code == 422 and refused.is_json
    assert refused.json["errors"] == {
        "/category": ["This ticket is already solved; reopen it instead."]
    }
    assert isinstance(refused.json["message"], str)
    assert chased(app, ticket["id"]) == (0, [])


def test_unknown_and_foreign_tickets_are_404(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)  # Billing's: agent5 (After-sales Repair) does not see it
    for user, ident in (("agent5", ticket["id"]), ("agent3", 999999), ("admin", 999999)):
        response = chase(api, ident, user=user)
        assert response.status_code == 404 and response.is_json, (user, response.json)
        assert isinstance(response.json["message"], str)
    assert chased(app, ticket["id"]) == (0, [])


def test_bad_bodies_are_refused(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    path = f"{API}{ticket['id']}/chase"
    bad = chase(api, ticket["id"], note=5, reason="x")
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"/note", "/reason"}
    long = chase(api, ticket["id"], note="x" * 2001)
    assert long.status_code == 422 and list(long.json["errors"]) == ["/note"]
    assert api("POST", path).status_code == 415
    assert api("POST", path, data="[]", content_type="application/json").status_code == 400
    assert chased(app, ticket["id"]) == (0, [])


def test_the_spec_documents_the_chase(app: Flask, api: Api) -> None:
    spec = api("GET", "/api/v1/_openapi").json
    operation = spec["paths"]["/api/v1/tickets/{pk}/chase"]["post"]
    assert {"200", "404", "422", "429"} <= set(operation["responses"])
    assert "Retry-After" in operation["responses"]["429"]["headers"]
