"""The ticket page's Chase button (催单): the form, the POST, its flash, CSRF and scoping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Ticket, TicketEvent
from tests.app.api.test_csrf import signed_in
from tests.app.tickets.test_transitions import (
    billing_ticket,
    post_transition,
    publish_billing_flow,
)
from tests.conftest import login


@pytest.fixture
def ticket_id(app: Flask) -> int:
    """A new ticket of a fresh workflow's template, in Billing's queue (agent3's department)."""
    key = publish_billing_flow(app)
    found, _version = billing_ticket(app, key)
    return found


def stored(app: Flask, ticket_id: int) -> tuple[int, int, list[tuple[Any, str | None]]]:
    """(chases, lock_version, [(new, note) of each chased event])."""
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        rows = db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "chased")
            .order_by(TicketEvent.id)
        ).all()
        found = ticket.chases, ticket.lock_version, [(e.new, e.note) for e in rows]
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


def test_the_page_offers_the_chase_form(app: Flask, client_as: Any, ticket_id: int) -> None:
    page = client_as("agent").get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    form = re.search(r'<form[^>]*id="chase-form".*?</form>', page.text, re.S)
    assert form is not None, page.text
    assert f'action="/tickets/{ticket_id}/chase"' in form.group(0)
    assert 'name="csrf_token"' in form.group(0) and 'name="note"' in form.group(0)
    assert ">Chase<" in page.text
    assert 'id="chased"' not in page.text  # never chased yet


def test_a_chase_is_recorded_flashed_and_shown(
    app: Flask, client_as: Any, ticket_id: int
) -> None:
    agent = client_as("agent")
    _chases, version, _rows = stored(app, ticket_id)
    response = agent.post(f"/tickets/{ticket_id}/chase", data={"note": "Customer called"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket_id}")
    page = agent.get(response.headers["Location"])
    assert "Chase recorded." in page.text
    assert re.search(r'id="chased"><strong>Chased 1 time<', page.text), page.text
    assert "Customer chased (1st time)" in page.text  # the history row
    assert stored(app, ticket_id) == (1, version, [({"chases": 1}, "Customer called")])
    # Someone else chases too: the count and the history say so.
    head = client_as("head")
    assert head.post(f"/tickets/{ticket_id}/chase", data={"note": ""}).status_code == 302
    page = agent.get(f"/tickets/{ticket_id}")
    assert "Chased 2 times" in page.text and "Customer chased (2nd time)" in page.text
    chases, after, rows = stored(app, ticket_id)
    assert (chases, after, rows[-1]) == (2, version, ({"chases": 2}, None))


def test_an_agent_editing_is_not_made_stale_by_a_chase(
    app: Flask, client_as: Any, ticket_id: int
) -> None:
    agent = client_as("agent")
    page = agent.get(f"/tickets/{ticket_id}").text
    form = re.search(r'<form[^>]*id="transition-start".*?</form>', page, re.S)
    assert form is not None
    opened = re.search(r'name="lock_version" value="(\d+)"', form.group(0))
    assert opened is not None
    assert client_as("head").post(f"/tickets/{ticket_id}/chase").status_code == 302
    # The transition form the agent opened before the chase still goes through.
    taken = agent.post(
        f"/tickets/{ticket_id}/transition",
        data={"lock_version": opened.group(1), "transition": "start"},
    )
    assert taken.status_code == 302
    assert stored(app, ticket_id)[:2] == (1, int(opened.group(1)) + 1)


def test_a_repeated_chase_is_refused_with_a_flash(
    app: Flask, client_as: Any, ticket_id: int
) -> None:
    agent = client_as("agent")
    assert agent.post(f"/tickets/{ticket_id}/chase").status_code == 302
    agent.get(f"/tickets/{ticket_id}")  # the first flash is shown and gone
    again = agent.post(f"/tickets/{ticket_id}/chase", data={"note": "again"})
    assert again.status_code == 302
    page = agent.get(again.headers["Location"])
    assert "You chased this ticket already" in page.text and "Chase recorded." not in page.text
    assert stored(app, ticket_id)[0] == 1
    age_chases(app, ticket_id, 601)
    assert agent.post(f"/tickets/{ticket_id}/chase").status_code == 302
    assert stored(app, ticket_id)[0] == 2


def test_a_solved_ticket_offers_no_chase_and_refuses_one(
    app: Flask, client_as: Any, ticket_id: int
) -> None:
    agent = client_as("agent")
    assert post_transition(agent, ticket_id, app, "start").status_code == 302
    solve = {"t-solve-/resolution": "Refunded the fee."}
    assert post_transition(agent, ticket_id, app, "solve", **solve).status_code == 302
    assert 'id="chase-form"' not in agent.get(f"/tickets/{ticket_id}").text
    refused = agent.post(f"/tickets/{ticket_id}/chase")
    assert refused.status_code == 302
    page = agent.get(refused.headers["Location"])
    assert "This ticket is already solved; reopen it instead." in page.text
    assert stored(app, ticket_id)[0] == 0


def test_another_departments_agent_gets_404(
    app: Flask, client_as: Any, ticket_id: int
) -> None:
    repair = login(app.test_client(), "agent5")
    assert repair.get(f"/tickets/{ticket_id}").status_code == 404
    assert repair.post(f"/tickets/{ticket_id}/chase", data={"note": "x"}).status_code == 404
    assert client_as("agent").post("/tickets/999999/chase").status_code == 404
    assert client_as("anonymous").post(f"/tickets/{ticket_id}/chase").status_code == 302
    assert stored(app, ticket_id)[0] == 0


@pytest.fixture
def csrf_app(
    _session_app: Flask, database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> Flask:
    """A second app on the session database with CSRF protection on, as in production."""
    return make_app(database_url, tmp_path, FAB_UPDATE_PERMS=False, WTF_CSRF_ENABLED=True)


def test_a_chase_needs_the_pages_csrf_token(csrf_app: Flask, app: Flask, ticket_id: int) -> None:
    agent = signed_in(csrf_app, "agent3")
    assert agent.post(f"/tickets/{ticket_id}/chase", data={"note": "x"}).status_code == 400
    assert agent.post(
        f"/tickets/{ticket_id}/chase", data={"note": "x", "csrf_token": "forged"}
    ).status_code == 400
    assert stored(app, ticket_id)[0] == 0
    page = agent.get(f"/tickets/{ticket_id}").text
    form = re.search(r'<form[^>]*id="chase-form".*?</form>', page, re.S)
    assert form is not None
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token is not None
    done = agent.post(
        f"/tickets/{ticket_id}/chase", data={"note": "x", "csrf_token": token.group(1)}
    )
    assert done.status_code == 302
    assert stored(app, ticket_id)[0] == 1
