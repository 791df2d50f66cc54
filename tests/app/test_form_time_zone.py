"""A date-time typed in the create form is read in the browser's zone (cookie `tessera_tz`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Ticket
from tests.app.api.test_tickets_api import API, bearer, publish, tag
from tests.conftest import login


@pytest.fixture
def template(app: Flask) -> str:
    """A published template with a date-time and a time field."""
    key = f"tz_{tag()}"
    publish(
        app,
        key,
        {
            "key": key,
            "title": "Site visit",
            "schema": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string", "minLength": 3},
                    "visit": {"type": "string", "format": "date-time", "title": "Visit"},
                    "slot": {"type": "string", "format": "time", "title": "Slot"},
                },
                "required": ["summary", "visit"],
            },
            "settings": {"subject": "/summary", "default_department": "repair"},
        },
    )
    return key


def stored(app: Flask, summary: str) -> Ticket:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.subject == summary))
        assert ticket is not None
        db.session.expunge(ticket)
        db.session.remove()
    return ticket


def input_value(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert found, f"no input {name}"
    return found.group(1)


def api(app: Flask, method: str, path: str, **kwargs: Any) -> Any:
    return app.test_client().open(path, method=method, headers=bearer(app, "admin"), **kwargs)


def test_a_date_time_typed_in_shanghai_is_stored_as_that_instant(app: Flask, template: str) -> None:
    client = login(app.test_client(), "admin")
    client.set_cookie("tessera_tz", "Asia%2FShanghai")  # as the page's script writes it
    page = client.get(f"/tickets/new/{template}")
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.text and 'type="time"' in page.text
    assert ">Asia/Shanghai</span>" in page.text  # the zone beside the input
    summary = f"Visit {tag()}"
    body: dict[str, Any] = {
        "/summary": summary,
        "/visit": "2024-05-01T10:30",  # what the browser's datetime-local posts
        "/slot": "09:15",
        "priority": "normal",
        "requester_name": "Li Na",
        "requester_email": "li.na@example.com",
        "requester_phone": "",
    }
    response = client.post(f"/tickets/new/{template}", data=body)
    assert response.status_code == 302, response.text
    ticket = stored(app, summary)
    assert ticket.data["visit"] == "2024-05-01T02:30:00Z"
    assert ticket.data["slot"] == "09:15:00+08:00"

    # the ticket page shows it back in the viewer's zone
    shanghai = client.get(f"/tickets/{ticket.id}").text
    assert input_value(shanghai, "/visit") == "2024-05-01T10:30"
    assert input_value(shanghai, "/slot") == "09:15"
    utc = login(app.test_client(), "admin").get(f"/tickets/{ticket.id}").text
    assert input_value(utc, "/visit") == "2024-05-01T02:30"
    assert ">UTC</span>" in utc

    # the API returns and takes RFC 3339 strings unchanged
    result = api(app, "GET", f"{API}{ticket.id}").json["result"]
    assert result["data"]["visit"] == "2024-05-01T02:30:00Z"
    created = api(
        app,
        "POST",
        API,
        json={
            "template": template,
            "data": {"summary": f"Visit {tag()}", "visit": "2024-05-01T10:30:00+08:00"},
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["data"]["visit"] == "2024-05-01T10:30:00+08:00"
