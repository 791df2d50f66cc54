"""A scene per test: a fresh department with its people, and a ticket in it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Department, MemberRole, Membership
from app.notifications.models import Notification
from app.security import ROLE_AGENT, ROLE_HEAD, security_manager
from app.tickets.service import Requester, create_ticket


@dataclass(frozen=True)
class Scene:
    """Who is where: user ids by part, their addresses, the ticket and its requester."""

    tag: str
    department_id: int
    assignee: int  # an agent of the department, assigned the ticket
    agent: int  # another agent of the department
    head: int  # the department's head
    idle: int  # an inactive agent of the department
    outsider: int  # an agent of no department
    emails: dict[int, str]
    usernames: dict[int, str]
    ticket_id: int
    requester_email: str


def _user(tag: str, name: str, role: str, active: bool = True) -> tuple[int, str, str]:
    sm = security_manager()
    username = f"{name}_{tag}"
    email = f"{name}.{tag}@example.test"
    user = sm.add_user(username, name.title(), f"Tester {tag}", email, sm.find_role(role),
                       password=username)
    assert user, f"could not create {username}"
    if not active:
        user.active = False
        db.session.commit()
    return int(user.id), email, username


def make_scene() -> Scene:
    """Create the department, five users and an assigned ticket (committed)."""
    tag = uuid.uuid4().hex[:8]
    department = Department(key=f"n{tag}", name=f"Notify {tag} (通知)", description="test")
    db.session.add(department)
    db.session.commit()
    people = {
        "assignee": _user(tag, "assignee", ROLE_AGENT),
        "agent": _user(tag, "agent", ROLE_AGENT),
        "head": _user(tag, "head", ROLE_HEAD),
        "idle": _user(tag, "idle", ROLE_AGENT, active=False),
        "outsider": _user(tag, "outsider", ROLE_AGENT),
    }
    for part in ("assignee", "agent", "head", "idle"):
        role = MemberRole.HEAD.value if part == "head" else MemberRole.AGENT.value
        db.session.add(
            Membership(user_id=people[part][0], department_id=department.id, role=role)
        )
    db.session.commit()
    requester = f"li.{tag}@example.test"
    ticket = create_ticket(
        template=f"tpl_{tag}", template_version=1, subject="Printer jams 打印机卡纸",
        department_id=department.id, data={}, requester=Requester("Li Wei 李伟", requester),
        assignee_id=people["assignee"][0], actor_id=None,
    )
    return Scene(
        tag=tag, department_id=department.id,
        **{part: found[0] for part, found in people.items()},
        emails={found[0]: found[1] for found in people.values()},
        usernames={found[0]: found[2] for found in people.values()},
        ticket_id=ticket.id, requester_email=requester,
    )


@pytest.fixture
def scene(app: Flask) -> Iterator[Scene]:
    """A fresh scene, built in an app context of its own."""
    with app.app_context():
        made = make_scene()
        db.session.remove()
    yield made


def plain_rows(app: Flask, user_id: int, count: int, ticket_id: int | None = None) -> list[int]:
    """`count` notifications for the user, oldest first; their ids."""
    with app.app_context():
        rows = [
            Notification(key=f"plain:{uuid.uuid4().hex}", user_id=user_id,
                         ticket_id=ticket_id, event="ticket.updated", subject=f"Row {n}",
                         body="")
            for n in range(count)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def is_read(app: Flask, *ids: int) -> list[bool]:
    """Whether each notification is read, in the order given."""
    with app.app_context():
        found = dict(db.session.execute(
            select(Notification.id, Notification.read_at).where(Notification.id.in_(ids))
        ).all())
        return [found[i] is not None for i in ids]


def form_login(app: Flask, username: str) -> FlaskClient:
    """A browser signed in through the login form, CSRF token included."""
    client = app.test_client()
    html = client.get("/login/").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login/", data={"username": username, "password": username, "csrf_token": token}
    )
    assert response.status_code == 302
    return client
