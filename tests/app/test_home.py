"""The start page: each role's sections, their counts, and what a role does not see."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.approvals import open_request
from app.clock import utcnow
from app.definitions import store
from app.extensions import db
from app.models import ApprovalKind, Definition, DefinitionStatus, Department, MemberRole
from app.outbox import backlog
from app.security import ROLE_ADMIN, ROLE_AGENT, ROLE_HEAD
from app.tickets.models import Ticket
from app.tickets.service import create_ticket
from tests.app.approvals.test_workflows import new_user, username
from tests.app.security.conftest import recorded_statements
from tests.conftest import login

AGENT, HEAD = MemberRole.AGENT.value, MemberRole.HEAD.value


class Element(HTMLParser):
    """The text, and the elements with attributes, inside the element of one id."""

    def __init__(self, page: str, element_id: str) -> None:
        super().__init__()
        self.wanted, self.depth = element_id, 0
        self.found = False
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if self.depth:
            self.depth += tag not in ("br", "img", "input", "link", "meta")
            self.tags.append((tag, values))
        elif values.get("id") == self.wanted:
            self.found, self.depth = True, 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def first_text(self, page: str, css_class: str) -> str:
        """The text of the first element inside with `css_class` (for badges and counts)."""
        marker = f'class="{css_class}"'
        start = page.index(f'id="{self.wanted}"')
        at = page.index(marker, start)
        return page[page.index(">", at) + 1 : page.index("<", at)].strip()


def element(page: str, element_id: str) -> Element:
    found = Element(page, element_id)
    assert found.found, f"no element #{element_id} on the page"
    return found


def badge(page: str, element_id: str) -> str:
    return element(page, element_id).first_text(page, "badge home-count")


@dataclass
class Desk:
    """Two fresh departments, their people and tickets whose counts the tests know."""

    a: int
    b: int
    agent: int
    head: int
    admin_agent: int
    tickets: dict[str, Ticket]
    make: Callable[..., Ticket]


def _ticket_maker(tag: str) -> Callable[..., Ticket]:
    def make(
        department_id: int,
        category: str = "open",
        assignee_id: int | None = None,
        **due: Any,
    ) -> Ticket:
        ticket = create_ticket(
            template=f"home_{tag}",
            template_version=1,
            subject=f"Home {tag} {uuid.uuid4().hex[:6]}",
            department_id=department_id,
            data={},
            state=category,
            category=category,
            assignee_id=assignee_id,
        )
        if due:
            db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(**due))
            db.session.commit()
        return ticket

    return make


@pytest.fixture
def desk(app_ctx: Flask) -> Iterator[Desk]:
    tag = uuid.uuid4().hex[:8]
    a = Department(key=f"home{tag}a", name=f"Home {tag} A")
    b = Department(key=f"home{tag}b", name=f"Home {tag} B")
    db.session.add_all([a, b])
    db.session.commit()
    agent = new_user(ROLE_AGENT, {a.id: AGENT, b.id: AGENT})
    head = new_user(ROLE_HEAD, {a.id: HEAD})
    admin_agent = new_user(ROLE_ADMIN, {b.id: AGENT})
    now = utcnow()
    make = _ticket_maker(tag)
    tickets = {
        "open1": make(a.id, "open", agent, resolution_due_at=now + timedelta(days=2)),
        "waiting": make(a.id, "waiting", agent),
        "closed": make(a.id, "closed", agent, resolution_due_at=now - timedelta(days=3)),
        # first response due within the hour (not answered yet), resolved in ten hours
        "soon": make(
            a.id,
            "open",
            agent,
            first_response_due_at=now + timedelta(hours=1),
            resolution_due_at=now + timedelta(hours=10),
        ),
        "overdue": make(a.id, "open", agent, resolution_due_at=now - timedelta(hours=2)),
        "queued": make(a.id, "new"),
        "breached": make(
            a.id,
            "new",
            sla_breached_at=now - timedelta(hours=1),
            resolution_due_at=now + timedelta(days=3),
        ),
        "queued_closed": make(a.id, "closed"),
        "queued_b": make(b.id, "new"),
    }
    db.session.commit()
    yield Desk(a.id, b.id, agent, head, admin_agent, tickets, make)
    db.session.rollback()


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    with app.app_context():
        name = username(user_id)
    return login(app.test_client(), name, name)


def home(app: Flask, user_id: int) -> str:
    response = signed_in(app, user_id).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def numbers(page: str, element_id: str) -> list[str]:
    """The ticket numbers a section lists, in its order."""
    found = element(page, element_id)
    return [word for word in found.text.split() if word.startswith("TS-") or word.startswith("TK-")]


def test_an_agent_sees_their_open_tickets_queues_and_what_is_due(app: Flask, desk: Desk) -> None:
    page = home(app, desk.agent)
    t = desk.tickets
    assert badge(page, "my-open") == "4"  # open1, waiting, soon, overdue; not the closed one
    mine = numbers(page, "my-open")
    assert set(mine) == {t[k].number for k in ("open1", "waiting", "soon", "overdue")}
    assert t["closed"].number not in page
    queues = element(page, "queue-counts").text
    rows = {
        attrs["data-department"]: None
        for tag, attrs in element(page, "queue-counts").tags
        if "data-department" in attrs
    }
    assert set(rows) == {str(desk.a), str(desk.b)}
    a_name, b_name = _names(app, desk.a, desk.b)
    assert f"{a_name} 2" in queues  # queued and breached; not the closed one
    assert f"{b_name} 1" in queues
    # overdue first (soonest resolution due time), then the one whose first reply is due
    assert numbers(page, "due-soon") == [t["overdue"].number, t["soon"].number]
    assert badge(page, "due-soon") == "2"
    for absent in ("home-head", "home-admin", "pending-approvals", "drafts", "jobs"):
        assert f'id="{absent}"' not in page
    assert "Console" not in page


def _names(app: Flask, *department_ids: int) -> list[str]:
    with app.app_context():
        return [db.session.get(Department, d).name for d in department_ids]


def test_a_head_sees_approvals_tickets_at_risk_and_workload(app: Flask, desk: Desk) -> None:
    t = desk.tickets
    with app.app_context():
        open_request(
            ApprovalKind.TRANSITION,
            [desk.a],
            desk.agent,
            ticket_id=t["open1"].id,
            transition="start",
        )
        db.session.commit()
    page = home(app, desk.head)
    assert badge(page, "pending-approvals") == "1"
    assert t["open1"].number in element(page, "pending-approvals").text
    # due within 8 hours or overdue, or the SLA breached: not open1 (two days), not closed
    assert set(numbers(page, "at-risk")) == {
        t["overdue"].number,
        t["soon"].number,
        t["breached"].number,
    }
    assert badge(page, "at-risk") == "3"
    workload = element(page, "workload")
    loads = {
        attrs["data-user"]: attrs.get("class", "")
        for tag, attrs in workload.tags
        if "data-user" in attrs
    }
    assert set(loads) == {str(desk.agent)}  # the head's department has one agent
    assert "4" in workload.text.split()  # open1, waiting, soon, overdue against capacity 10
    assert "home-unassigned" in page and "unassigned 2" in workload.text
    for absent in ("home-agent", "home-admin", "my-open", "drafts"):
        assert f'id="{absent}"' not in page
    assert "Console" not in page


def test_an_admin_who_also_works_sees_both_sections(app: Flask, desk: Desk) -> None:
    with app.app_context():
        title = f"Home draft {uuid.uuid4().hex[:6]}"
        key = f"home_{uuid.uuid4().hex[:8]}"
        store.save_draft(
            "field",
            key,
            {"key": key, "title": title, "schema": {"type": "string"}},
            desk.admin_agent,
        )
        drafts = db.session.scalar(
            select(func.count())
            .select_from(Definition)
            .where(Definition.status == DefinitionStatus.DRAFT.value)
        )
        due = backlog(db.session).due
        db.session.remove()
    page = home(app, desk.admin_agent)
    assert 'id="home-agent"' in page and 'id="home-admin"' in page
    assert 'id="home-head"' not in page
    assert badge(page, "my-open") == "0"
    b_name = _names(app, desk.b)[0]
    assert f"{b_name} 1" in element(page, "queue-counts").text
    assert badge(page, "drafts") == f"{drafts:,}"
    assert title in element(page, "drafts").text
    assert f"created field:{key} v1" in element(page, "recent-audit").text
    assert element(page, "outbox-due").text == str(due)
    assert {"high", "default", "low"} <= {
        attrs["data-queue"] for _, attrs in element(page, "jobs").tags if "data-queue" in attrs
    }


def test_the_demo_admin_sees_administration_only(
    client_as: Callable[[str], FlaskClient],
) -> None:
    page = client_as("admin").get("/").get_data(as_text=True)
    assert 'id="home-admin"' in page
    assert 'id="home-agent"' not in page and 'id="home-head"' not in page
    assert "Signed in as" in page


def test_anonymous_users_get_the_sign_in_link(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/login/"' in page
    assert 'id="home-agent"' not in page and 'id="home-admin"' not in page


def test_counts_stop_at_the_cap(app: Flask, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        for _ in range(3):
            desk.make(desk.a, "open", desk.agent)
    monkeypatch.setattr("app.views.home.COUNT_CAP", 5)
    page = home(app, desk.agent)
    assert badge(page, "my-open") == "5+"  # 7 open tickets, counted up to 5
    assert len(numbers(page, "my-open")) == 5
    assert "All my open tickets (5+)" in element(page, "my-open").text


def statements(app: Flask, run: Callable[[], object]) -> list[str]:
    with recorded_statements(app) as seen:
        run()
    return seen


def test_the_page_reads_a_few_statements_however_many_tickets(app: Flask, desk: Desk) -> None:
    """An agent who is also the head of a department: two sections' worth of statements."""
    with app.app_context():
        both = new_user(ROLE_HEAD, {desk.b: HEAD})
        from app.models import Membership

        db.session.add(Membership(user_id=both, department_id=desk.a, role=AGENT))
        db.session.commit()
        for _ in range(6):
            desk.make(desk.a, "open", both, resolution_due_at=utcnow() + timedelta(hours=1))
            desk.make(desk.b, "new", resolution_due_at=utcnow() - timedelta(hours=1))
    client = signed_in(app, both)
    client.get("/")  # the first page after signing in also loads the user's roles and groups
    before = statements(app, lambda: client.get("/"))
    with app.app_context():
        for _ in range(20):
            desk.make(desk.a, "open", both, resolution_due_at=utcnow() + timedelta(hours=1))
            desk.make(desk.b, "new", resolution_due_at=utcnow() - timedelta(hours=1))
    after = statements(app, lambda: client.get("/"))
    page = client.get("/").get_data(as_text=True)
    assert badge(page, "my-open") == "26" and badge(page, "at-risk") == "26"
    assert len(after) == len(before), "\n".join(after)
    assert len(after) <= 30, "\n".join(after)
    ticket_reads = [s for s in after if "FROM ticket" in s]
    # a statement per list, at most two per count (PostgreSQL asks the planner first)
    assert len(ticket_reads) <= 14, "\n".join(ticket_reads)
