"""The approvals inbox: who sees it, what a request shows, deciding through the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.approvals import workflows as approvals
from app.definitions import store
from app.extensions import db
from app.models import ApprovalRequest
from app.security import security_manager
from app.tickets.models import Ticket
from tests.app.approvals.test_workflows import (
    Scene,
    closing_request,
    make_scene,
    ticket,
    username,
)
from tests.conftest import login


@pytest.fixture
def scene(app: Flask) -> Iterator[Scene]:
    with app.app_context():
        made = make_scene()
        db.session.remove()
    yield made


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    with app.app_context():
        name = username(user_id)
    return login(app.test_client(), name, name)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def submit(app: Flask, scene: Scene, submitter: int | None = None) -> int:
    with app.app_context():
        request = approvals.submit(scene.v2, submitter or scene.admin)
        return request.id


def test_agents_get_nothing_and_the_menu_is_for_heads_and_admins(
    app: Flask, scene: Scene, client_as: Callable[[str], FlaskClient]
) -> None:
    submit(app, scene)
    agent = signed_in(app, scene.agent_a)
    assert agent.get("/approvals/").status_code == 403
    assert 'href="/approvals/"' not in agent.get("/").get_data(as_text=True)
    for who in (scene.head_a, scene.admin):
        page = signed_in(app, who).get("/").get_data(as_text=True)
        assert 'href="/approvals/"' in page
    # The demo admin heads nothing: an empty inbox that says why.
    admin = client_as("admin").get("/approvals/")
    assert admin.status_code == 200
    assert 'id="no-departments"' in admin.get_data(as_text=True)


def test_a_head_sees_the_diff_the_impact_and_the_decision_form(
    app: Flask, scene: Scene
) -> None:
    with app.app_context():
        bills = [ticket(scene, "bill").number for _ in range(2)]
        ticket(scene, "other")
    approval_id = submit(app, scene)
    page = signed_in(app, scene.head_b).get("/approvals/")
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    card = html[html.index(f'id="approval-{approval_id}"'):]
    assert re.search(rf'tessera-diff-del">-\s+"department": "{scene.a.key}"', card)
    assert re.search(rf'tessera-diff-add">\+\s+"department": "{scene.b.key}"', card)
    department = re.search(r'data-aspect="department">(.*?)</tr>', card, re.S)
    assert department is not None
    assert "2 of 3" in text_of(department.group(1))
    for number in bills:
        assert number in department.group(1)
    assert f'action="/approvals/{approval_id}/decide"' in card
    assert f'name="a{approval_id}-comment"' in card


def test_the_submitter_sees_the_request_but_no_form(app: Flask, scene: Scene) -> None:
    approval_id = submit(app, scene, scene.admin_head)
    page = signed_in(app, scene.admin_head).get(f"/approvals/{approval_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You asked for this change" in html
    assert f"/approvals/{approval_id}/decide" not in html
    refused = signed_in(app, scene.admin_head).post(
        f"/approvals/{approval_id}/decide", data={f"a{approval_id}-approve": "Approve"}
    )
    assert refused.status_code == 403
    with app.app_context():
        assert store.get(scene.v2).status == "pending"
    # A head of neither department does not even see it.
    with app.app_context():
        head2 = security_manager().find_user(username="head2").id
    assert signed_in(app, head2).get(f"/approvals/{approval_id}").status_code == 404


def test_a_head_rejects_through_the_page_and_finds_it_decided(app: Flask, scene: Scene) -> None:
    approval_id = submit(app, scene)
    head = signed_in(app, scene.head_a)
    url = f"/approvals/{approval_id}/decide"
    empty = head.post(
        url, data={f"a{approval_id}-reject": "Reject", f"a{approval_id}-comment": " "}
    )
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert re.search(r'form-group has-error">.*?comment-error[^>]*>Say why you reject', html, re.S)
    with app.app_context():
        assert store.get(scene.v2).status == "pending"
    done = head.post(
        url, data={f"a{approval_id}-reject": "Reject", f"a{approval_id}-comment": "Not yet."}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/approvals/")
    with app.app_context():
        assert store.get(scene.v2).status == "rejected"
    assert f'id="approval-{approval_id}"' not in head.get("/approvals/").get_data(as_text=True)
    decided = head.get("/approvals/decided").get_data(as_text=True)
    assert f'id="approval-{approval_id}"' in decided and "Not yet." in decided
    # The console's version list shows the rejection and its comment.
    with app.app_context():
        admin = security_manager().find_user(username="admin").id
    history = signed_in(app, admin).get(f"/definitions/workflows/history/{scene.v2}")
    row = re.search(r'data-version="2">(.*?)</tr>', history.get_data(as_text=True), re.S)
    assert row is not None and "rejected" in row.group(1) and "Not yet." in row.group(1)


def test_a_head_approves_through_the_page(app: Flask, scene: Scene) -> None:
    approval_id = submit(app, scene)
    done = signed_in(app, scene.head_b).post(
        f"/approvals/{approval_id}/decide", data={f"a{approval_id}-approve": "Approve"}
    )
    assert done.status_code == 302
    with app.app_context():
        assert store.get(scene.v2).status == "published"
        assert store.get(scene.v1).status == "retired"
        assert db.session.get(ApprovalRequest, approval_id).decided_by_id == scene.head_b


def test_a_transition_request_shows_its_ticket_and_is_decided_on_the_ticket(
    app: Flask, scene: Scene
) -> None:
    with app.app_context():
        approval_id, ticket_id, number = closing_request(scene)
    head = signed_in(app, scene.head_a)
    html = head.get("/approvals/").get_data(as_text=True)
    card = html[html.index(f'id="approval-{approval_id}"'):]
    assert f'href="/tickets/{ticket_id}"' in card and number in card
    assert "Close for good" in card and "Customer agreed." in card
    done = head.post(
        f"/approvals/{approval_id}/decide", data={f"a{approval_id}-approve": "Approve"}
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).state == "closed"
