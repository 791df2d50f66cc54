"""The tickets list endpoint's search and system-filter parameters (the list page's reader too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.tickets.models import Ticket
from tests.app.api import test_tickets_api as tickets_api
from tests.app.api.test_tickets_api import API, Api, create, tag

api = tickets_api.api  # the fixtures of the tickets API tests
template = tickets_api.template


def _stamp(app: Flask, ticket_id: int, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(values))
        db.session.commit()
        db.session.remove()


def _ids(api: Api, template: str, query: str) -> list[int]:
    response = api("GET", f"{API}?template={template}&{query}")
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["result"]]


def test_search_and_system_filters(app: Flask, api: Api, template: str) -> None:
    word = tag()
    a = create(api, template, code=f"ZX{word}", extra="Paper jam in tray two")
    b = create(api, template, code="plain", extra=f"Toner {word.upper()} smear")
    c = create(api, template, code="other")
    patched = api(
        "PATCH", f"{API}{a['id']}", json={"lock_version": a["lock_version"], "priority": "urgent"}
    )
    assert patched.status_code == 200, patched.json
    _stamp(
        app,
        a["id"],
        created_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
        updated_at=datetime(2026, 1, 6, 12, tzinfo=UTC),
    )
    _stamp(
        app,
        b["id"],
        created_at=datetime(2026, 2, 5, 12, tzinfo=UTC),
        updated_at=datetime(2026, 3, 6, 12, tzinfo=UTC),
        state="done",
        category="solved",
    )

    def ids(query: str) -> list[int]:
        return _ids(api, template, query)

    assert ids(f"q={word}") == [b["id"], a["id"]]  # a text field, either case
    assert ids(f"q=zx{word}&q_mode=prefix") == [a["id"]]
    assert ids(f"q=x{word}&q_mode=prefix") == []  # not the start of a value
    assert ids("q=PAPER JAM") == [a["id"]]
    assert ids(f"q={c['number']}") == [c["id"]]
    assert ids("q=li@example") == [c["id"], b["id"], a["id"]]  # the requester's e-mail
    assert ids("q=") == [c["id"], b["id"], a["id"]]  # empty: no search
    assert ids("priority=urgent") == [a["id"]]
    assert ids("priority=urgent,normal") == [c["id"], b["id"], a["id"]]
    assert ids("priority=low&priority=high") == []
    assert ids("category=solved") == [b["id"]]
    assert ids("category=new,open") == [c["id"], a["id"]]
    assert ids("state=done") == [b["id"]]
    assert ids("created_from=2026-01-01&created_to=2026-02-05") == [b["id"], a["id"]]
    assert ids("created_to=2026-01-31") == [a["id"]]
    assert ids("created_from=2026-01-05T13:00:00Z&created_to=2026-02-05T11:00:00Z") == []
    assert ids("created_from=2026-02-05T20:00:00%2B08:00") == [c["id"], b["id"]]  # 12:00Z
    assert ids("updated_from=2026-03-01&updated_to=2026-03-31") == [b["id"]]
    assert ids("assignee=unassigned&q_mode=contains") == [c["id"], b["id"], a["id"]]
    counted = api("GET", f"{API}?template={template}&q={word}").json
    assert (counted["count"], counted["count_capped"]) == (2, False)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("priority=critical", "priority must be among"),
        ("category=pending", "category must be among"),
        ("created_from=2026-02-30", "created_from must be an ISO date"),
        ("updated_to=soon", "updated_to must be an ISO date"),
        ("q_mode=fuzzy", "q_mode must be one of"),
        ("q=" + "x" * 201, "at most 200 characters"),
        ("q=a&q=b", "Give q once"),
        ("assignee=99999999999", "assignee must be a user id"),
    ],
)
def test_bad_search_and_filter_parameters_are_400(api: Api, query: str, says: str) -> None:
    response = api("GET", f"{API}?{query}")
    assert response.status_code == 400, response.json
    assert says in response.json["message"]


def test_the_spec_documents_the_list_parameters(api: Api) -> None:
    spec = api("GET", "/api/v1/_openapi").json
    params = {p["name"] for p in spec["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert {
        "q",
        "q_mode",
        "state",
        "category",
        "priority",
        "assignee",
        "department",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    } <= params
