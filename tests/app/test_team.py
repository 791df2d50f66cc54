"""The team page: who sees whom, and who may mark whom away."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Membership


def _membership_id(app: Flask, username: str, department_key: str) -> int:
    with app.app_context():
        for membership in db.session.scalars(select(Membership)):
            if (membership.user.username, membership.department.key) == (username, department_key):
                return membership.id
    raise AssertionError(f"no membership {username}@{department_key}")


def _availability(app: Flask, membership_id: int) -> str:
    with app.app_context():
        return db.session.get(Membership, membership_id).availability


def test_agent_sees_own_departments_only(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("agent").get("/team/").get_data(as_text=True)  # agent3, Billing
    assert "Billing (财务)" in html
    assert "After-sales Repair" not in html
    assert "agent5" not in html.lower()


def test_agent_marks_self_away_and_back(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    agent = client_as("agent")
    own = _membership_id(app, "agent3", "billing")
    assert agent.post(f"/team/availability/{own}", data={"availability": "away"}).status_code == 302
    assert _availability(app, own) == "away"
    assert (
        agent.post(f"/team/availability/{own}", data={"availability": "available"}).status_code
        == 302
    )
    assert _availability(app, own) == "available"


def test_agent_cannot_change_a_colleague(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    other = _membership_id(app, "head1", "billing")
    response = client_as("agent").post(f"/team/availability/{other}", data={"availability": "away"})
    assert response.status_code == 403
    assert _availability(app, other) == "available"


def test_head_marks_member_of_own_department_away(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    member = _membership_id(app, "agent3", "billing")
    head = client_as("head")  # head1 heads Frontline and Billing
    assert (
        head.post(f"/team/availability/{member}", data={"availability": "away"}).status_code == 302
    )
    assert _availability(app, member) == "away"
    head.post(f"/team/availability/{member}", data={"availability": "available"})
    outside = _membership_id(app, "agent5", "repair")
    assert (
        head.post(f"/team/availability/{outside}", data={"availability": "away"}).status_code == 403
    )


def test_bad_availability_value_is_rejected(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    own = _membership_id(app, "agent3", "billing")
    response = client_as("agent").post(f"/team/availability/{own}", data={"availability": "gone"})
    assert response.status_code == 400
    assert _availability(app, own) == "available"


def test_unknown_membership_is_404(client_as: Callable[[str], FlaskClient]) -> None:
    assert client_as("admin").post("/team/availability/987654", data={}).status_code == 404


def test_odd_availability_values_are_400_and_change_nothing(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    own = _membership_id(app, "agent3", "billing")
    agent = client_as("agent")
    for value in ("\x00", "away\x00", "away\n", "AWAY", "a" * 10000, ""):
        response = agent.post(f"/team/availability/{own}", data={"availability": value})
        assert response.status_code == 400, value
        assert _availability(app, own) == "available"
    assert agent.post("/team/availability/99999999999", data={}).status_code == 404
