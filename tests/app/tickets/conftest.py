"""Ticket fixtures: a fresh department and template key per test (the database is shared)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Department
from app.security import security_manager
from app.tickets.models import Ticket
from app.tickets.service import Requester, create_ticket


@dataclass
class Setting:
    """What one test works in: its own template key and department, two demo agents."""

    template: str
    department_id: int
    other_department_id: int
    agent_id: int
    other_agent_id: int


@pytest.fixture
def setting(app_ctx: Flask) -> Iterator[Setting]:
    tag = uuid.uuid4().hex[:8]
    departments = [
        Department(key=f"t{tag}{n}", name=f"Tickets {tag} {n}", description="test") for n in (1, 2)
    ]
    db.session.add_all(departments)
    db.session.commit()
    sm = security_manager()
    yield Setting(
        template=f"tpl_{tag}",
        department_id=departments[0].id,
        other_department_id=departments[1].id,
        agent_id=sm.find_user(username="agent1").id,
        other_agent_id=sm.find_user(username="agent2").id,
    )
    db.session.rollback()


@pytest.fixture
def new_ticket(setting: Setting) -> Callable[..., Ticket]:
    """`new_ticket(data={...}, **overrides)` creates a ticket in the test's setting."""

    def make(data: dict[str, Any] | None = None, **overrides: Any) -> Ticket:
        values: dict[str, Any] = {
            "template": setting.template,
            "template_version": 1,
            "subject": "Printer jams",
            "department_id": setting.department_id,
            "data": data if data is not None else {},
            "requester": Requester("Li Wei", "li@example.test", "+86 10 1234"),
            "actor_id": setting.agent_id,
        }
        values.update(overrides)
        return create_ticket(**values)

    return make
