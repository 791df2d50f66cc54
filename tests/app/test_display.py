"""Console values: times to the minute, no "None", skills as tags, on every admin page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from app.definitions import store
from app.extensions import db
from app.models import Department, Membership
from app.ops import TABLES
from app.views.display import DASH, minute, or_dash, skill_tags
from tests.app.test_ticket_views import make_ticket, order_number, refund_data

NONE = re.compile(r"\bNone\b")
SECONDS = re.compile(r"\d{2}:\d{2}:\d{2}")  # microseconds come after seconds


class VisibleText(HTMLParser):
    """The text a reader sees: everything outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def test_times_are_shown_to_the_minute() -> None:
    assert minute(datetime(2025, 3, 1, 14, 5, 59, 123456)) == "2025-03-01 14:05"
    assert minute(None) == ""


def test_nothing_is_a_dash() -> None:
    assert or_dash(None) == DASH and or_dash("") == DASH
    assert or_dash(0) == 0 and or_dash("billing@example.com") == "billing@example.com"


def test_skills_are_escaped_tags() -> None:
    html = str(skill_tags(["vip", "<b>printer</b>"]))
    assert html.count('class="label label-info tessera-tag"') == 2
    assert ">vip</span>" in html and "&lt;b&gt;printer&lt;/b&gt;" in html
    assert "overflow-wrap:anywhere" in html and "white-space:normal" in html
    assert str(skill_tags([])) == DASH and str(skill_tags(None)) == DASH


def admin_pages(app: Flask) -> list[str]:
    """The console's pages, with rows in them (a ticket fills the outbox; RQ holds a failure)."""
    with app.app_context():
        field = store.published("field", "summary")
        template = store.published("template", "refund")
        assert field is not None and template is not None
        department = db.session.scalar(select(Department).order_by(Department.id).limit(1))
        membership = db.session.scalar(select(Membership).order_by(Membership.id).limit(1))
        assert department is not None and membership is not None
        ids = (field.id, template.id, department.id, membership.id)
        db.session.remove()
    field_id, template_id, department_id, membership_id = ids
    tables = [model.__tablename__ for model, _, _ in TABLES]
    return [
        "/definitions/fields/",
        f"/definitions/fields/history/{field_id}",
        f"/definitions/fields/edit/{field_id}",
        "/definitions/templates/",
        f"/definitions/templates/history/{template_id}",
        "/definitions/workflows/",
        "/definitions/files/",
        "/team/",
        "/departments/list/",
        f"/departments/show/{department_id}",
        "/memberships/list/",
        f"/memberships/show/{membership_id}",
        "/ops/",
        "/ops/failed/",
        *(f"/ops/tables/{name}/" for name in tables),
        f"/ops/tables/department/details/?id={department_id}",
        f"/ops/tables/membership/details/?id={membership_id}",
    ]


def test_admin_pages_show_no_none_and_no_seconds(
    app: Flask, client_as: Callable[[str], FlaskClient], redis_conn: Redis
) -> None:
    make_ticket(app, "refund", "billing", refund_data(order_number()))
    queue = Queue("default", connection=redis_conn)
    queue.enqueue("tests.app.jobfixtures.explode", "printer on fire")
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    admin = client_as("admin")
    problems = []
    for path in admin_pages(app):
        response = admin.get(path)
        assert response.status_code == 200, path
        text = visible_text(response.get_data(as_text=True))
        problems += [f"{path}: {found!r}" for found in NONE.findall(text)]
        problems += [f"{path}: {found!r}" for found in SECONDS.findall(text)]
    assert not problems, "\n".join(problems)


def test_team_and_membership_pages_show_skills_as_tags(
    client_as: Callable[[str], FlaskClient],
) -> None:
    team = client_as("agent").get("/team/").get_data(as_text=True)  # agent3: refund, vip
    assert '<span class="label label-info tessera-tag"' in team
    assert ">refund</span>" in team and ">vip</span>" in team
    memberships = client_as("admin").get("/memberships/list/").get_data(as_text=True)
    assert ">refund</span>" in memberships
    assert "[&#39;" not in memberships  # no Python list
