"""SQL statements per ticket page, as an agent and as an admin: at most a budget each.

Pages are requested twice and the second request is counted: per-process caches (compiled
forms, loaded workflows, the outbox banner's reading) are warm, as on a running server.
The banner's reading is taken afresh by the first request, so it cannot expire in between.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Department, Membership
from app.security import security_manager
from app.tickets.service import create_ticket
from app.tickets.templates import published_template
from app.web import OUTBOX_AGE_KEY
from tests.app.security.conftest import recorded_statements
from tests.app.test_ticket_views import order_number, posted, refund_data, ticket_by_order
from tests.conftest import ROLE_USERS

BUDGET = 10
REPAIR_DATES = "template=repair&f.purchase_date.from=2020-01-01&f.purchase_date.to=2030-12-31"
LISTS = [
    "/tickets/?view=mine",
    "/tickets/?view=queue",
    "/tickets/?view=all",
    "/tickets/?template=refund&f.reason=duplicate_charge",
    # A whole-days date range: the page may walk the days once it knows the field's index.
    f"/tickets/?{REPAIR_DATES}",
    # "Created by me": tickets routed elsewhere, assigned to someone of another department.
    f"/tickets/?view=created&{REPAIR_DATES}",
    "/tickets/?template=refund&q=refund&priority=normal&state=new&assignee=me",
    "/tickets/?template=refund&sort=f.refund_amount",
    "/tickets/?template=refund&sort=-f.reason&view=queue",
    f"/tickets/?view=created&{REPAIR_DATES}&sort=-f.purchase_date",
]
# A one-row page has a next page, so the list is counted too (a list that fits is not).
LIST_PAGES = LISTS + [f"{path}&limit=1" for path in LISTS]
ROLES = ["agent", "admin"]


def warm_statements(client: FlaskClient, app: Flask, path: str) -> list[str]:
    """The statements of the second GET of `path` (which must answer 200)."""
    app.extensions.pop(OUTBOX_AGE_KEY, None)
    assert client.get(path).status_code == 200, path
    with recorded_statements(app) as seen:
        response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return seen


@pytest.fixture
def billing_lists(app: Flask) -> None:
    """Two refunds assigned to the agent (agent3, billing) and two in billing's queue; and two
    repairs the agent created, routed to repair and assigned there."""
    with app.app_context():
        tf = published_template("refund")
        billing = db.session.scalar(select(Department.id).where(Department.key == "billing"))
        agent = security_manager().find_user(username=ROLE_USERS["agent"]).id
        for assignee in (agent, agent, None, None):
            data = refund_data(order_number())
            create_ticket(
                template="refund",
                template_version=tf.version,
                subject=data["summary"],
                department_id=billing,
                data=data,
                assignee_id=assignee,
            )
        repair = db.session.scalar(select(Department.id).where(Department.key == "repair"))
        fixer = db.session.scalar(
            select(Membership.user_id).where(
                Membership.department_id == repair, Membership.user_id != agent
            )
        )
        for day in ("2026-01-05", "2026-02-07"):
            create_ticket(
                template="repair",
                template_version=published_template("repair").version,
                subject=f"Repair bought {day}",
                department_id=repair,
                data={"summary": "Screen flickers", "purchase_date": day},
                assignee_id=fixer,
                actor_id=agent,
            )
        db.session.remove()


@pytest.fixture
def refund_ticket(app: Flask, client_as: Any) -> int:
    """A billing refund created through the agent's form, with a reply: a page with people."""
    agent = client_as("agent")
    order = order_number()
    response = agent.post("/tickets/new/refund", data=posted(app, "refund", refund_data(order)))
    assert response.status_code == 302, response.text
    ticket = ticket_by_order(app, order)
    assert ticket is not None
    reply = agent.post(f"/tickets/{ticket.id}/comment", data={"body": "Refund on its way."})
    assert reply.status_code == 302, reply.text
    return ticket.id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LIST_PAGES)
@pytest.mark.usefixtures("billing_lists")
def test_a_ticket_list_page_stays_within_the_budget(
    app: Flask, client_as: Any, role: str, path: str
) -> None:
    seen = warm_statements(client_as(role), app, path)
    assert len(seen) <= BUDGET, "\n".join(seen)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path",
    ["/tickets/?template=refund&sort=f.refund_amount", f"/tickets/?view={{view}}&{REPAIR_DATES}"],
)
@pytest.mark.usefixtures("billing_lists")
def test_a_later_page_stays_within_the_budget(
    app: Flask, client_as: Any, role: str, path: str
) -> None:
    """The page a "Next page" link leads to (a cursor, and the list counted).

    The agent's repairs are those they created (routed to repair); the admin sees them all.
    """
    client = client_as(role)
    path = path.format(view="created" if role == "agent" else "all")
    first = client.get(f"{path}&limit=1")
    match = re.search(r'id="next-page"[^>]*href="([^"]+)"', first.text)
    assert match, f"{path}: no next page"
    seen = warm_statements(client, app, match.group(1).replace("&amp;", "&"))
    assert len(seen) <= BUDGET, "\n".join(seen)


@pytest.mark.parametrize("role", ROLES)
def test_the_ticket_page_stays_within_the_budget(
    app: Flask, client_as: Any, refund_ticket: int, role: str
) -> None:
    seen = warm_statements(client_as(role), app, f"/tickets/{refund_ticket}")
    assert len(seen) <= BUDGET, "\n".join(seen)


@pytest.mark.parametrize("role", ROLES)
def test_a_page_reads_the_roles_permissions_at_most_once(
    app: Flask, client_as: Any, refund_ticket: int, role: str
) -> None:
    """The menu's and the view's permission checks: one query for database roles, no EXISTS each.

    The agent's role is a builtin one (FAB_ROLES): no permission query at all.
    """
    seen = warm_statements(client_as(role), app, "/tickets/")
    grants = [s for s in seen if "ab_permission_view" in s]
    assert len(grants) == (1 if role == "admin" else 0), "\n".join(grants)
    assert not any(s.startswith("SELECT EXISTS") for s in grants)


@pytest.mark.parametrize("role", ROLES)
def test_the_user_comes_with_roles_and_groups_in_one_query(
    app: Flask, client_as: Any, role: str
) -> None:
    seen = warm_statements(client_as(role), app, "/tickets/")
    assert not [s for s in seen if s.startswith(("SELECT ab_role.", "SELECT ab_group."))], seen
    loads = [s for s in seen if "user_token_version" in s]
    assert len(loads) == 1 and "ab_user_role" in loads[0] and "ab_user_group" in loads[0], loads
