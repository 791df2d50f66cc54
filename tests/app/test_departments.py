"""Admins manage departments and memberships in the console; others cannot."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Department, Membership
from app.security import security_manager


def _department_form(key: str) -> dict[str, str]:
    return {"key": key, "name": f"Returns {key}", "description": "Returns desk", "email": ""}


def test_admin_creates_department_and_adds_agent_with_skills(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    key = f"returns-{uuid.uuid4().hex[:8]}"
    created = admin.post("/departments/add", data=_department_form(key))
    assert created.status_code == 302
    with app.app_context():
        department = db.session.scalar(select(Department).where(Department.key == key))
        assert department is not None
        agent = security_manager().find_user(username="agent2")
        department_id, agent_id = department.id, agent.id

    added = admin.post(
        "/memberships/add",
        data={
            "user": str(agent_id),
            "department": str(department_id),
            "role": "agent",
            "skills": "VIP, english, vip",
            "capacity": "7",
            "availability": "available",
        },
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(Membership.department_id == department_id)
        )
        assert membership is not None
        assert membership.skills == ["vip", "english"]
        assert (membership.capacity, membership.role) == (7, "agent")
        membership_id = membership.id

    away = admin.post(
        "/memberships/action_post", data={"action": "mark_away", "rowid": [membership_id]}
    )
    assert away.status_code == 302
    with app.app_context():
        assert db.session.get(Membership, membership_id).availability == "away"


def test_bad_skill_is_a_field_error_and_nothing_is_saved(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    with app.app_context():
        before = len(db.session.scalars(select(Membership)).all())
        department_id = db.session.scalar(select(Department.id).where(Department.key == "billing"))
        user_id = security_manager().find_user(username="agent1").id
    page = admin.post(
        "/memberships/add",
        data={
            "user": str(user_id),
            "department": str(department_id),
            "role": "agent",
            "skills": "vip, <script>",
            "capacity": "5",
            "availability": "available",
        },
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "is not a valid skill" in html
    assert "Skill 2 is not a valid skill" in html
    assert "<script>" not in html
    with app.app_context():
        assert len(db.session.scalars(select(Membership)).all()) == before


def test_department_key_must_be_a_slug(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    page = client_as("admin").post("/departments/add", data=_department_form("Not A Slug"))
    assert page.status_code == 200
    assert "Use a lowercase slug" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Department).where(Department.key == "Not A Slug")) is None


def test_agent_and_head_cannot_create_departments(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    for role in ("agent", "head"):
        key = f"sneaky-{role}-{uuid.uuid4().hex[:6]}"
        assert (
            client_as(role).post("/departments/add", data=_department_form(key)).status_code == 403
        )
        with app.app_context():
            assert db.session.scalar(select(Department).where(Department.key == key)) is None
