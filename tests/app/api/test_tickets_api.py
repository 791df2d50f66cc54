"""Tickets API: every status code, department scoping, merge-patch edits, bad bodies (JWT)."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from app.definitions import store
from app.extensions import db
from app.models import Department
from app.tickets.models import Ticket, TicketEvent
from tests.app.test_ticket_attachments import stored_files, unique

API = "/api/v1/tickets/"
Api = Callable[..., Any]


def bearer(app: Flask, username: str) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def api(app: Flask) -> Api:
    """`api(method, path, user="admin", json=...)` → response, authenticated with a JWT."""
    tokens: dict[str, dict[str, str]] = {}
    client: FlaskClient = app.test_client()

    def call(method: str, path: str, user: str = "admin", **kwargs: Any) -> Any:
        if user not in tokens:
            tokens[user] = bearer(app, user)
        return client.open(path, method=method, headers=tokens[user], **kwargs)

    return call


def tag() -> str:
    return uuid.uuid4().hex[:10]


def template_body(key: str, extra_required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "key": key,
        "title": f"API test {key}",
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "minLength": 3, "maxLength": 200},
                "qty": {"type": "integer", "minimum": 1},
                "color": {"enum": ["red", "blue"]},
                "due": {"type": "string", "format": "date"},
                "urgent": {"type": "boolean"},
                "code": {"type": "string"},
                "extra": {"type": "string"},
                "contact": {
                    "type": "object",
                    "properties": {"email": {"type": "string", "format": "email"}},
                },
            },
            "required": ["summary", "qty", *extra_required],
        },
        "settings": {"subject": "/summary", "default_department": "repair"},
    }


def publish(app: Flask, key: str, body: dict[str, Any]) -> int:
    """Publish a template version in its own app context (requests must not share one)."""
    with app.app_context():
        row = store.save_draft("template", key, body, None)
        pk = store.publish(row.id, None).id
        db.session.remove()
    return pk


def retire(app: Flask, pk: int) -> None:
    with app.app_context():
        store.retire(pk, None)
        db.session.remove()


@pytest.fixture
def template(app: Flask) -> str:
    """A fresh published template routed to After-sales Repair."""
    key = f"api_{tag()}"
    publish(app, key, template_body(key))
    return key


def ticket_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Ticket))
        db.session.remove()
    return int(count or 0)


def events(app: Flask, ticket_id: int) -> list[tuple[str, str | None, Any, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        ).all()
        out = [(e.kind, e.pointer, e.old, e.new) for e in rows]
        db.session.remove()
    return out


def good(template: str, **data: Any) -> dict[str, Any]:
    return {
        "template": template,
        "data": {"summary": f"Printer {tag()} jams", "qty": 2, "color": "red", **data},
        "requester": {"name": "Li Wei", "email": "li@example.test", "phone": "+86 10 1234"},
    }


def create(api: Api, template: str, user: str = "admin", **data: Any) -> dict[str, Any]:
    response = api("POST", API, user=user, json=good(template, **data))
    assert response.status_code == 201, response.json
    return dict(response.json)


# ---------------------------------------------------------------------------------------------
# Create


def test_create_returns_the_ticket_in_the_default_department(
    app: Flask, api: Api, template: str
) -> None:
    payload = good(template, code="AB-1")
    response = api("POST", API, user="agent3", json=payload)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["number"].startswith("TS-")
    assert body["state"] == "new" and body["priority"] == "normal"
    assert body["department"]["key"] == "repair" and body["assignee"] is None
    assert (body["template"], body["template_version"], body["lock_version"]) == (template, 1, 1)
    assert body["subject"] == payload["data"]["summary"]
    assert body["channel"] == "api"
    assert body["data"] == payload["data"]
    assert body["requester"] == payload["requester"]
    assert body["created_at"]
    assert [e[0] for e in events(app, body["id"])] == ["created"]


def test_create_with_subject_priority_and_channel(api: Api, template: str) -> None:
    payload = {**good(template), "subject": "  Given subject ", "priority": "urgent"}
    payload["channel"] = "email"
    body = api("POST", API, json=payload).json
    assert (body["subject"], body["priority"], body["channel"]) == (
        "Given subject",
        "urgent",
        "email",
    )


def test_create_from_a_demo_template(api: Api, app: Flask) -> None:
    with app.app_context():
        row = store.published("template", "repair")
        assert row is not None
        data = dict(row.body["formData"], serial_number=f"SN{tag().upper()}")
        db.session.remove()
    response = api("POST", API, json={"template": "repair", "data": data})
    assert response.status_code == 201, response.json
    assert response.json["subject"] == data["summary"]
    assert response.json["requester"] == {"name": None, "email": None, "phone": None}


def test_subject_falls_back_to_the_template_title(api: Api, app: Flask) -> None:
    key = f"api_{tag()}"
    body = template_body(key)
    body["settings"] = {"subject": "/extra", "default_department": "repair"}
    publish(app, key, body)
    response = api("POST", API, json=good(key))
    assert response.status_code == 201 and response.json["subject"] == f"API test {key}"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda p: p["data"].pop("qty"), "/data/qty"),
        (lambda p: p["data"].update(qty="two"), "/data/qty"),
        (lambda p: p["data"].update(qty=0), "/data/qty"),
        (lambda p: p["data"].update(color="green"), "/data/color"),
        (lambda p: p["data"].update(due="31/12/2026"), "/data/due"),
        (lambda p: p["data"].update(contact={"email": "nope"}), "/data/contact/email"),
        (lambda p: p.update(data=[1]), "/data"),
        (lambda p: p.pop("data"), "/data"),
        (lambda p: p.pop("template"), "/template"),
        (lambda p: p.update(template=5), "/template"),
        (lambda p: p["requester"].update(email="not-an-email"), "/requester/email"),
        (lambda p: p["requester"].update(name=["x"]), "/requester/name"),
        (lambda p: p["requester"].update(age=3), "/requester/age"),
        (lambda p: p.update(requester="Li"), "/requester"),
        (lambda p: p.update(priority="asap"), "/priority"),
        (lambda p: p.update(channel="fax"), "/channel"),
        (lambda p: p.update(subject=""), "/subject"),
        (lambda p: p.update(subject="x" * 301), "/subject"),
        (lambda p: p.update(bogus=1), "/bogus"),
        (lambda p: p["data"].update(code="a\x00b"), "/data/code"),
    ],
)
def test_invalid_create_is_422_at_the_pointer(
    app: Flask, api: Api, template: str, change: Callable[[dict[str, Any]], Any], pointer: str
) -> None:
    payload = good(template)
    change(payload)
    before = ticket_count(app)
    response = api("POST", API, json=payload)
    assert response.status_code == 422, response.json
    assert pointer in response.json["errors"], response.json
    assert ticket_count(app) == before


def test_unknown_members_are_named(api: Api, template: str) -> None:
    response = api("POST", API, json={**good(template), "asignee": 3, "stat": "x"})
    assert response.status_code == 422
    assert {"/asignee", "/stat"} <= set(response.json["errors"])


def test_unknown_template_is_404_and_retired_409(api: Api, app: Flask) -> None:
    assert api("POST", API, json=good(f"nope_{tag()}")).status_code == 404
    key = f"api_{tag()}"
    retire(app, publish(app, key, template_body(key)))
    response = api("POST", API, json=good(key))
    assert response.status_code == 409 and "retired" in response.json["message"]


def test_template_without_default_department_is_409(api: Api, app: Flask) -> None:
    key = f"api_{tag()}"
    body = template_body(key)
    with app.app_context():
        department = Department(key=f"d{tag()}", name=f"Gone {key}", description="test")
        db.session.add(department)
        db.session.commit()
        body["settings"] = {"subject": "/summary", "default_department": department.key}
        db.session.remove()
    publish(app, key, body)
    original, renamed = body["settings"]["default_department"], f"r{tag()}"
    rename_department(app, original, renamed)  # publication checked it; now it dangles
    try:
        assert api("POST", API, json=good(key)).status_code == 409
    finally:  # the published template must not outlive the test pointing nowhere
        rename_department(app, renamed, original)


def rename_department(app: Flask, key: str, new_key: str) -> None:
    with app.app_context():
        db.session.execute(update(Department).where(Department.key == key).values(key=new_key))
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"{nope", 400),
        (b"", 400),
        (b"[1, 2]", 400),
        (b'"text"', 400),
        (b"null", 400),
        (b'{"template": NaN}', 400),
        (b'{"template": "a", "template": "b"}', 400),
        (b"\xff\xfe", 400),
        (b'{"data": ' * 40 + b"1" + b"}" * 40, 422),
        (b"[" * 100_000 + b"]" * 100_000, 422),
    ],
)
def test_malformed_bodies(app: Flask, api: Api, data: bytes, status: int) -> None:
    before = ticket_count(app)
    response = api("POST", API, data=data, content_type="application/json")
    assert response.status_code == status, response.data[:200]
    assert response.is_json and "message" in response.json
    assert ticket_count(app) == before


def test_deep_data_is_422(api: Api, template: str) -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"a": deep}
    response = api("POST", API, json=good(template, extra=deep))
    assert response.status_code == 422


def test_oversize_body_is_413_json(app: Flask, api: Api, template: str) -> None:
    before = ticket_count(app)
    response = api("POST", API, json=good(template, code="x" * 1_100_000))
    assert response.status_code == 413 and response.is_json
    assert ticket_count(app) == before
    pk = create(api, template)["id"]
    big = {"lock_version": 1, "data": {"code": "x" * 1_100_000}}
    assert api("PATCH", f"{API}{pk}", json=big).status_code == 413
    note = {"body": "x" * 1_100_000}
    assert api("POST", f"{API}{pk}/comments", json=note).status_code == 413
    assert [e[0] for e in events(app, pk)] == ["created"]


# ---------------------------------------------------------------------------------------------
# Read, list, scoping


def test_get_returns_ticket_comments_and_history(api: Api, template: str) -> None:
    ticket = create(api, template)
    api("POST", f"{API}{ticket['id']}/comments", json={"body": "On it", "internal": True})
    response = api("GET", f"{API}{ticket['id']}")
    assert response.status_code == 200
    result = response.json["result"]
    assert result["number"] == ticket["number"] and result["data"] == ticket["data"]
    assert [c["body"] for c in result["comments"]] == ["On it"]
    assert result["comments"][0]["internal"] is True
    assert [e["kind"] for e in result["history"]] == ["created", "commented"]


def test_unknown_ticket_is_404(api: Api) -> None:
    for method, path in [
        ("GET", f"{API}999999"),
        ("PATCH", f"{API}999999"),
        ("POST", f"{API}999999/comments"),
        ("GET", f"{API}99999999999999999999999"),
    ]:
        response = api(method, path, json={"lock_version": 1, "body": "x"})
        assert response.status_code == 404 and response.is_json


def test_billing_agent_cannot_reach_a_repair_ticket(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template)
    pk = ticket["id"]
    assert api("GET", f"{API}{pk}", user="agent3").status_code == 404
    patched = api("PATCH", f"{API}{pk}", user="agent3", json={"lock_version": 1, "subject": "x"})
    assert patched.status_code == 404
    commented = api("POST", f"{API}{pk}/comments", user="agent3", json={"body": "hi"})
    assert commented.status_code == 404
    listed = api("GET", f"{API}?template={template}", user="agent3").json
    assert listed["result"] == [] and listed["count"] == 0
    assert (
        api("GET", f"{API}?template={template}&department=repair", user="agent3").json["result"]
        == []
    )
    assert [e[0] for e in events(app, pk)] == ["created"]
    # Nor its files: not by the download URL, not by a comment with files.
    note = api("POST", f"{API}{pk}/comments", data={"files": [upload(b"%PDF " + unique())]})
    url = note.json["attachments"][0]["url"]
    denied = api("GET", url, user="agent3")
    assert denied.status_code == 404 and denied.is_json
    sneaky = api(
        "POST", f"{API}{pk}/comments", user="agent3",
        data={"body": "hi", "files": [upload(unique(), "x.txt", "text/plain")]},
    )
    assert sneaky.status_code == 404 and sneaky.is_json
    assert [e[0] for e in events(app, pk)] == ["created", "commented"]
    # head2 (Technical Support + After-sales Repair) can.
    assert api("GET", url, user="head2", buffered=True).status_code == 200
    assert api("GET", f"{API}{pk}", user="head2").status_code == 200
    listed = api("GET", f"{API}?template={template}", user="head2").json
    assert [t["id"] for t in listed["result"]] == [pk]
    ok = api("PATCH", f"{API}{pk}", user="head2", json={"lock_version": 1, "subject": "Hd"})
    assert ok.status_code == 200
    assert api("POST", f"{API}{pk}/comments", user="head2", json={"body": "x"}).status_code == 201


def test_unknown_attachment_is_404(api: Api, template: str) -> None:
    first, second = create(api, template)["id"], create(api, template)["id"]
    note = api("POST", f"{API}{first}/comments", data={"files": [upload(b"%PDF " + unique())]})
    aid = note.json["attachments"][0]["id"]
    for path in [
        f"{API}{second}/attachments/{aid}",  # it belongs to another ticket
        f"{API}{first}/attachments/999999",
        f"{API}{first}/attachments/99999999999999999999",
        f"{API}999999/attachments/{aid}",
    ]:
        response = api("GET", path)
        assert response.status_code == 404 and response.is_json, path


def test_list_filters_pagination_and_counts(api: Api, template: str) -> None:
    a = create(api, template, qty=1, color="red", code="AB-1", due="2026-01-10", urgent=True)
    b = create(api, template, qty=5, color="blue", code="AB-2", due="2026-03-10", urgent=False)
    c = create(api, template, qty=9, color="blue", code="CD-3", due="2026-05-10")

    def ids(query: str) -> list[int]:
        response = api("GET", f"{API}?template={template}{query}")
        assert response.status_code == 200, response.json
        return [t["id"] for t in response.json["result"]]

    assert ids("") == [c["id"], b["id"], a["id"]]
    assert ids("&f.color=blue") == [c["id"], b["id"]]
    assert ids("&f.color=red&f.color=blue") == [c["id"], b["id"], a["id"]]
    assert ids("&f.qty.min=2&f.qty.max=5") == [b["id"]]
    assert ids("&f.code.prefix=AB") == [b["id"], a["id"]]
    assert ids("&f.due.from=2026-02-01&f.due.to=2026-12-31") == [c["id"], b["id"]]
    assert ids("&f.urgent.is=true") == [a["id"]]
    assert ids("&f.urgent.is=false") == [b["id"]]
    assert ids("&state=new,closed&department=repair&assignee=unassigned") == [
        c["id"],
        b["id"],
        a["id"],
    ]
    assert ids("&state=closed") == []
    assert ids("&assignee=me") == []
    # Custom-field filters alone (an Admin has no department condition either).
    only_fields = api("GET", f"{API}?f.code.prefix=CD-3&f.color=blue").json
    assert c["id"] in [t["id"] for t in only_fields["result"]] and only_fields["count"] >= 1
    first = api("GET", f"{API}?template={template}&limit=2").json
    assert [t["id"] for t in first["result"]] == [c["id"], b["id"]]
    assert (first["count"], first["count_capped"]) == (3, False)
    second = api("GET", f"{API}?template={template}&limit=2&cursor={first['next_cursor']}").json
    assert [t["id"] for t in second["result"]] == [a["id"]] and second["next_cursor"] is None


def test_list_sorts_and_contains(api: Api, template: str) -> None:
    a = create(api, template, code="Ab-50%-x")
    b = create(api, template, code="ab-5000")
    c = create(api, template, code="zz")
    patched = api(
        "PATCH", f"{API}{a['id']}", json={"lock_version": a["lock_version"], "priority": "high"}
    )
    assert patched.status_code == 200, patched.json

    def ids(query: str) -> list[int]:
        response = api("GET", f"{API}?template={template}{query}")
        assert response.status_code == 200, response.json
        return [t["id"] for t in response.json["result"]]

    assert ids("&sort=oldest") == [a["id"], b["id"], c["id"]]
    assert ids("&sort=recently_updated") == [a["id"], c["id"], b["id"]]
    assert ids("&sort=least_recently_updated") == [b["id"], c["id"], a["id"]]
    assert ids("&f.code.contains=B-50") == [b["id"], a["id"]]
    assert ids("&f.code.contains=50%25") == [a["id"]]  # % is a literal character
    assert ids("&f.code.contains=_") == []
    first = api("GET", f"{API}?template={template}&sort=oldest&limit=1").json
    cursor = first["next_cursor"]
    second = api("GET", f"{API}?template={template}&sort=oldest&limit=1&cursor={cursor}").json
    assert [t["id"] for t in second["result"]] == [b["id"]]
    mixed = api("GET", f"{API}?template={template}&sort=newest&cursor={cursor}")
    assert mixed.status_code == 400 and mixed.json["message"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=x",
        "limit=%C2%B2",
        "assignee=%C2%B2",
        "cursor=nonsense",
        "bogus=1",
        "f.bad-name=1",
        "f.qty.min=abc",
        "f.qty.min=1e999999",
        "f.due.from=yesterday",
        "f.urgent.is=maybe",
        "department=no_such_department",
        "assignee=someone",
        "template=a%00b",
        "limit=1&limit=2",
        "sort=sideways",
        "sort=newest&sort=oldest",
    ],
)
def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    response = api("GET", f"{API}?{query}")
    assert response.status_code == 400, response.json
    assert response.is_json and response.json["message"]


# ---------------------------------------------------------------------------------------------
# Edit


def test_merge_patch_records_field_changes(app: Flask, api: Api, template: str) -> None:
    ticket = create(api, template, code="AB-1", contact={"email": "a@example.test"})
    pk = ticket["id"]
    response = api(
        "PATCH",
        f"{API}{pk}",
        json={
            "lock_version": 1,
            "data": {"qty": 7, "code": None, "contact": {"email": "b@example.test"}},
            "priority": "high",
            "requester": {"phone": None},
        },
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["lock_version"] == 2 and body["priority"] == "high"
    assert body["data"]["qty"] == 7 and "code" not in body["data"]
    assert body["data"]["summary"] == ticket["data"]["summary"]
    assert body["requester"] == {"name": "Li Wei", "email": "li@example.test", "phone": None}
    changed = {(kind, pointer, old, new) for kind, pointer, old, new in events(app, pk)[1:]}
    assert changed == {
        ("field_changed", "/priority", "normal", "high"),
        ("field_changed", "/requester_phone", "+86 10 1234", None),
        ("field_changed", "/data/qty", 2, 7),
        ("field_changed", "/data/code", "AB-1", None),
        ("field_changed", "/data/contact/email", "a@example.test", "b@example.test"),
    }


def test_stale_patch_is_409_with_the_current_version(app: Flask, api: Api, template: str) -> None:
    pk = create(api, template)["id"]
    assert (
        api("PATCH", f"{API}{pk}", json={"lock_version": 1, "data": {"qty": 3}}).json[
            "lock_version"
        ]
        == 2
    )
    stale = api("PATCH", f"{API}{pk}", user="head2", json={"lock_version": 1, "subject": "Mine"})
    assert stale.status_code == 409
    assert stale.json["current_lock_version"] == 2
    assert stale.json["changed_by"]["username"] == "admin"
    assert stale.json["changed_at"] and stale.json["message"]
    current = api("GET", f"{API}{pk}").json["result"]
    assert current["lock_version"] == 2 and current["subject"] != "Mine"


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        ({"lock_version": 1, "data": {"qty": "many"}}, "/data/qty"),
        ({"lock_version": 1, "data": {"summary": None}}, "/data/summary"),
        ({"lock_version": 1, "data": [1]}, "/data"),
        ({"lock_version": 1, "subject": " "}, "/subject"),
        ({"lock_version": 1, "priority": 3}, "/priority"),
        ({"lock_version": 1, "state": "closed"}, "/state"),
        ({"lock_version": "1"}, "/lock_version"),
        ({"lock_version": True}, "/lock_version"),
        ({"data": {"qty": 3}}, "/lock_version"),
        ({"lock_version": 1, "requester": {"email": "x"}}, "/requester/email"),
    ],
)
def test_invalid_patch_is_422_and_writes_nothing(
    app: Flask, api: Api, template: str, patch: dict[str, Any], pointer: str
) -> None:
    pk = create(api, template)["id"]
    response = api("PATCH", f"{API}{pk}", json=patch)
    assert response.status_code == 422, response.json
    assert pointer in response.json["errors"]
    assert api("GET", f"{API}{pk}").json["result"]["lock_version"] == 1
    assert len(events(app, pk)) == 1


def test_edits_validate_against_the_ticket_template_version(
    api: Api, template: str, app: Flask
) -> None:
    pk = create(api, template)["id"]
    publish(app, template, template_body(template, extra_required=("extra",)))
    # New tickets need v2's required field; the v1 ticket is still edited under v1.
    assert api("POST", API, json=good(template)).status_code == 422
    response = api("PATCH", f"{API}{pk}", json={"lock_version": 1, "data": {"qty": 4}})
    assert response.status_code == 200, response.json
    assert response.json["template_version"] == 1
    created = create(api, template, extra="here")
    assert created["template_version"] == 2


def test_patch_without_changes_keeps_the_version(api: Api, template: str) -> None:
    pk = create(api, template)["id"]
    response = api("PATCH", f"{API}{pk}", json={"lock_version": 1, "data": {"qty": 2}})
    assert response.status_code == 200 and response.json["lock_version"] == 1


# ---------------------------------------------------------------------------------------------
# Comments


def test_comments(app: Flask, api: Api, template: str) -> None:
    pk = create(api, template)["id"]
    reply = api("POST", f"{API}{pk}/comments", user="head2", json={"body": "We will call you."})
    assert reply.status_code == 201, reply.json
    assert reply.json["internal"] is False and reply.json["author"]["username"] == "head2"
    note = api("POST", f"{API}{pk}/comments", json={"body": "VIP", "internal": True})
    assert note.status_code == 201 and note.json["internal"] is True
    for bad, pointer in [
        ({"body": "  "}, "/body"),
        ({}, "/body"),
        ({"body": 5}, "/body"),
        ({"body": "x", "internal": "yes"}, "/internal"),
        ({"body": "x", "author": 1}, "/author"),
    ]:
        response = api("POST", f"{API}{pk}/comments", json=bad)
        assert response.status_code == 422 and pointer in response.json["errors"]
    malformed = api("POST", f"{API}{pk}/comments", data=b"{", content_type="application/json")
    assert malformed.status_code == 400
    assert [e[0] for e in events(app, pk)] == ["created", "commented", "commented"]
    assert api("GET", f"{API}{pk}").json["result"]["lock_version"] == 1


# ---------------------------------------------------------------------------------------------
# Comments with files (multipart/form-data)


def upload(
    content: bytes, name: str = "scan.pdf", kind: str = "application/pdf"
) -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(content), name, kind


def test_comment_with_files_lists_and_downloads_them(
    app: Flask, api: Api, template: str
) -> None:
    pk = create(api, template)["id"]
    text, pdf = unique("notes"), b"%PDF-1.7 " + unique()
    response = api(
        "POST", f"{API}{pk}/comments", user="head2",
        data={"body": "Scans attached", "internal": "true",
              "files": [upload(text, "notes.txt", "text/plain"), upload(pdf, "报价.pdf")]},
    )
    assert response.status_code == 201, response.json
    comment = response.json
    assert (comment["body"], comment["internal"]) == ("Scans attached", True)
    files = comment["attachments"]
    assert [(f["filename"], f["size"], f["content_type"], f["comment_id"]) for f in files] == [
        ("notes.txt", len(text), "text/plain", comment["id"]),
        ("报价.pdf", len(pdf), "application/pdf", comment["id"]),
    ]
    assert files[0]["sha256"] == hashlib.sha256(text).hexdigest()
    assert files[0]["uploaded_by"]["username"] == "head2"
    ticket = api("GET", f"{API}{pk}", user="head2").json["result"]
    assert ticket["attachments"] == files
    assert ticket["comments"][0]["attachments"] == files
    for item, content in zip(files, (text, pdf), strict=True):
        assert item["url"] == f"{API}{pk}/attachments/{item['id']}"
        got = api("GET", item["url"], user="head2", buffered=True)
        assert got.status_code == 200 and got.data == content
        assert got.mimetype == item["content_type"]
        assert got.headers["Content-Disposition"].startswith("attachment; filename=")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got.headers["Content-Security-Policy"]
    assert "filename*=UTF-8''%E6%8A%A5%E4%BB%B7.pdf" in got.headers["Content-Disposition"]
    csv = upload(unique(), "a.csv", "text/csv")
    only = api("POST", f"{API}{pk}/comments", data={"files": [csv]})
    assert only.status_code == 201, only.json
    assert (only.json["body"], only.json["internal"]) == ("", False)
    assert [e[0] for e in events(app, pk)] == ["created", "commented", "commented"]


def _ok() -> tuple[io.BytesIO, str, str]:
    return upload(unique("ok"), "ok.txt", "text/plain")


def _bad_comment_forms() -> list[tuple[dict[str, Any], int, str]]:
    """(form, status, pointer): each form is wrong in one way; fresh streams per call."""
    html = upload(b"<html>", "page.html", "text/html")
    exe = upload(unique(), "run.exe", "text/plain")  # allowed type, but the name says .exe
    big = upload(b"x" * 1001, "big.txt", "text/plain")
    ok = _ok
    return [
        ({"body": "x", "colour": "red"}, 422, "/colour"),
        ({"body": "x", "internal": "yes"}, 422, "/internal"),
        ({"body": "x", "internal": ["true", "false"]}, 422, "/internal"),
        ({"body": "  "}, 422, "/body"),
        ({"body": "a\x00b"}, 422, "/body"),
        ({"body": "x" * 50_001}, 422, "/body"),
        ({"body": "x", "attachment": [ok()]}, 422, "/attachment"),
        ({"body": "x", "files": [ok(), html]}, 422, "/files/1"),
        ({"body": "x", "files": [ok(), exe]}, 422, "/files/1"),
        ({"body": "x", "files": [big, ok()]}, 413, "/files/0"),
        ({"body": "x", "files": [ok() for _ in range(11)]}, 422, "/files"),
    ]


def test_bad_multipart_comments_are_4xx_json_and_write_nothing(
    app: Flask, api: Api, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pk = create(api, template)["id"]
    monkeypatch.setitem(app.config, "TESSERA_ATTACHMENT_MAX_BYTES", 1000)
    before = stored_files(app)
    for data, status, pointer in _bad_comment_forms():
        response = api("POST", f"{API}{pk}/comments", data=data, content_type="multipart/form-data")
        assert response.status_code == status, (data, response.json)
        assert response.is_json and pointer in response.json["errors"], response.json
    garbled = api(
        "POST", f"{API}{pk}/comments", data=b"--x\r\nnot a part",
        content_type="multipart/form-data; boundary=x",
    )
    assert garbled.status_code == 422 and garbled.is_json
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    whole = api("POST", f"{API}{pk}/comments", data={"files": [upload(b"x" * 3000, "b.txt")]})
    assert whole.status_code == 413 and whole.is_json
    assert stored_files(app) == before
    result = api("GET", f"{API}{pk}").json["result"]
    assert result["comments"] == [] and result["attachments"] == []
    assert [e[0] for e in events(app, pk)] == ["created"]


# ---------------------------------------------------------------------------------------------
# Access and the spec


def test_anonymous_is_401(app: Flask) -> None:
    client = app.test_client()
    assert client.get(API).status_code == 401
    assert client.post(API, json={}).status_code == 401
    assert client.get(f"{API}1").status_code == 401
    assert client.patch(f"{API}1", json={}).status_code == 401
    assert client.post(f"{API}1/comments", json={}).status_code == 401
    assert client.get(f"{API}1/attachments/1").status_code == 401


def test_the_spec_lists_the_tickets_api(api: Api) -> None:
    paths = api("GET", "/api/v1/_openapi").json["paths"]
    assert {"/api/v1/tickets/", "/api/v1/tickets/{pk}", "/api/v1/tickets/{pk}/comments"} <= set(
        paths
    )
    assert {"get", "post"} <= set(paths["/api/v1/tickets/"])
    assert {"get", "patch"} <= set(paths["/api/v1/tickets/{pk}"])
    comment_body = paths["/api/v1/tickets/{pk}/comments"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(comment_body)
    download = paths["/api/v1/tickets/{pk}/attachments/{aid}"]["get"]
    # Served with the content type stored with each file, whichever of the allowed types.
    assert set(download["responses"]["200"]["content"]) == {"*/*"}


# ---------------------------------------------------------------------------------------------
# Generated bad bodies

PRIORITIES = {"low", "normal", "high", "urgent"}
CHANNELS = {"agent", "web", "email", "api", "import"}
_json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_json = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_not_object = _json.filter(lambda v: not isinstance(v, dict))
_not_string = _json.filter(lambda v: not isinstance(v, str))


def _member_of(value: Any, names: set[str]) -> bool:
    return isinstance(value, str) and value in names


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"x": value}
    return value


def bad_bodies(template: str) -> st.SearchStrategy[bytes]:
    """Bodies each broken in at least one way the API must refuse."""
    base = st.fixed_dictionaries(
        {"template": st.just(template), "data": st.just({"summary": "abc", "qty": 1})}
    )

    def dumped(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
        return strategy.map(lambda v: json.dumps(v).encode())

    def with_member(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
        return dumped(st.tuples(base, values).map(lambda t: {**t[0], name: t[1]}))

    unknown = st.text(min_size=1, max_size=12).filter(
        lambda n: n not in {"template", "data", "requester", "subject", "priority", "channel"}
    )
    return st.one_of(
        st.binary(max_size=60),  # rarely JSON, never an acceptable ticket
        dumped(_not_object),
        with_member("template", _not_string),
        with_member("data", _not_object),
        with_member("data", st.dictionaries(st.text(max_size=6), _json, max_size=4)),
        with_member("requester", _not_object),
        with_member(
            "requester",
            st.fixed_dictionaries(
                {"email": _not_string.filter(lambda v: v is not None) | st.just("x")}
            ),
        ),
        with_member("priority", _json.filter(lambda v: not _member_of(v, PRIORITIES))),
        with_member("channel", _json.filter(lambda v: not _member_of(v, CHANNELS))),
        with_member("subject", _not_string | st.just("") | st.just("   ")),
        st.tuples(base, unknown, _json).map(lambda t: json.dumps({**t[0], t[1]: t[2]}).encode()),
        st.integers(min_value=33, max_value=60).map(
            lambda d: json.dumps({"template": template, "data": _deep(d)}).encode()
        ),
        st.text(max_size=30).map(lambda s: ('{"template": ' + s).encode("utf-8", "replace")),
    ).filter(lambda body: _still_bad(body, template))


def _still_bad(body: bytes, template: str) -> bool:
    """Drop the rare generated body that is a valid ticket after all."""
    try:
        value = json.loads(body)
    except ValueError:
        return True
    if not isinstance(value, dict) or set(value) - {"template", "data", "requester"}:
        return True
    data = value.get("data")
    return not (
        value.get("template") == template
        and isinstance(data, dict)
        and isinstance(data.get("summary"), str)
        and isinstance(data.get("qty"), int)
        and set(data) <= {"summary", "qty"}
        and "requester" not in value
    )


def test_generated_bad_bodies_are_refused_without_writing(
    app: Flask, api: Api, template: str
) -> None:
    before = ticket_count(app)
    seen: list[int] = []

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(bad_bodies(template))
    def post(body: bytes) -> None:
        response = api("POST", API, data=body, content_type="application/json")
        assert 400 <= response.status_code < 500, (body, response.status_code, response.data)
        assert response.is_json and isinstance(response.json, dict), body
        seen.append(response.status_code)

    post()
    assert len(seen) >= 200 and {400, 422} <= set(seen)
    assert ticket_count(app) == before


def _dumped(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return strategy.map(lambda v: json.dumps(v).encode())


_bad_qty = st.text() | st.lists(st.integers(), max_size=2) | st.integers(max_value=0) | st.none()
_not_lock_version = _json.filter(lambda v: not isinstance(v, int) or isinstance(v, bool))


def patch_bad_bodies() -> st.SearchStrategy[bytes]:
    """PATCH bodies each broken in at least one way (lock_version 1 is the current one)."""
    unknown = st.text(min_size=1, max_size=12).filter(
        lambda n: n not in {"lock_version", "data", "requester", "subject", "priority"}
    )
    return st.one_of(
        st.binary(max_size=60).filter(lambda b: not b.strip().startswith(b"{")),
        _dumped(_not_object),
        _dumped(st.fixed_dictionaries({"lock_version": _not_lock_version})),
        _dumped(st.fixed_dictionaries({"lock_version": st.just(1), "data": _not_object})),
        _dumped(
            st.fixed_dictionaries(
                {"lock_version": st.just(1), "data": st.builds(dict, qty=_bad_qty)}
            )
        ),
        _dumped(
            st.fixed_dictionaries(
                {"lock_version": st.just(1), "subject": _not_string | st.just(" ")}
            )
        ),
        st.tuples(unknown, _json).map(
            lambda t: json.dumps({"lock_version": 1, "subject": "New", t[0]: t[1]}).encode()
        ),
        st.integers(min_value=33, max_value=50).map(
            lambda d: json.dumps({"lock_version": 1, "data": {"extra": _deep(d)}}).encode()
        ),
    )


def comment_bad_bodies() -> st.SearchStrategy[bytes]:
    """Comment bodies each broken in at least one way."""
    unknown = st.text(min_size=1, max_size=12).filter(lambda n: n not in {"body", "internal"})
    return st.one_of(
        st.binary(max_size=60).filter(lambda b: not b.strip().startswith(b"{")),
        _dumped(_not_object),
        _dumped(st.fixed_dictionaries({"body": _not_string | st.just("  ")})),
        _dumped(
            st.fixed_dictionaries(
                {"body": st.just("Hello"), "internal": _json.filter(lambda v: v is not False)}
            ).filter(lambda v: v["internal"] is not True)
        ),
        st.tuples(unknown, _json).map(lambda t: json.dumps({"body": "Hi", t[0]: t[1]}).encode()),
    )


BAD_BODY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_generated_bad_patches_and_comments_write_nothing(
    app: Flask, api: Api, template: str
) -> None:
    pk = create(api, template)["id"]

    @BAD_BODY_SETTINGS
    @given(st.sampled_from(["PATCH", "COMMENT"]), st.data())
    def send(kind: str, draw: st.DataObject) -> None:
        if kind == "PATCH":
            body = draw.draw(patch_bad_bodies())
            response = api("PATCH", f"{API}{pk}", data=body, content_type="application/json")
        else:
            body = draw.draw(comment_bad_bodies())
            response = api(
                "POST", f"{API}{pk}/comments", data=body, content_type="application/json"
            )
        assert 400 <= response.status_code < 500, (kind, body, response.status_code)
        assert response.is_json and isinstance(response.json, dict), body

    send()
    result = api("GET", f"{API}{pk}").json["result"]
    assert result["lock_version"] == 1 and result["comments"] == []
    assert [e[0] for e in events(app, pk)] == ["created"]


def test_text_the_databases_refuse_is_422(app: Flask, api: Api, template: str) -> None:
    before = ticket_count(app)
    for raw in [
        '{"template": "%s", "data": {"summary": "abc", "qty": 1, "code": "\\ud800"}}',
        '{"template": "%s", "data": {"summary": "abc", "qty": 1, "c\\u0000": "x"}}',
        '{"template": "%s", "data": {"summary": "abc", "qty": 1}, "subject": "a\\u0000"}',
    ]:
        body = (raw % template).encode()
        response = api("POST", API, data=body, content_type="application/json")
        assert response.status_code == 422, response.json
    assert ticket_count(app) == before


def test_patch_assignee_within_the_department(app: Flask, api: Api, template: str) -> None:
    from app.security import security_manager

    made = create(api, template)
    with app.app_context():
        sm = security_manager()
        repair_member = int(sm.find_user(username="agent5").id)
        outsider = int(sm.find_user(username="agent3").id)
        db.session.remove()
    path = f"{API}{made['id']}"

    def patch(value: Any, version: int) -> Any:
        return api("PATCH", path, json={"lock_version": version, "assignee": value})

    for bad in (outsider, "someone", True, 0, 2**40, [1]):
        refused = patch(bad, made["lock_version"])
        assert refused.status_code == 422, (bad, refused.json)
        assert list(refused.json["errors"]) == ["/assignee"]
    done = patch(repair_member, made["lock_version"])
    assert done.status_code == 200, done.json
    assert done.json["assignee"]["id"] == repair_member
    assert ("assigned", "/assignee_id", None, repair_member) in events(app, made["id"])
    back = patch(None, done.json["lock_version"])
    assert back.status_code == 200 and back.json["assignee"] is None
    stale = patch(repair_member, done.json["lock_version"])
    assert stale.status_code == 409


def test_a_401_digit_integer_is_a_field_error(app: Flask, api: Api) -> None:
    key = f"api_{tag()}"
    body = template_body(key)
    body["schema"]["properties"]["weight"] = {"type": "number", "maximum": 99.5}
    pk = publish(app, key, body)
    try:
        payload = json.dumps(good(key)).replace('"qty": 2', '"qty": 2, "weight": ' + "9" * 401)
        before = ticket_count(app)
        response = api("POST", API, data=payload, content_type="application/json")
        assert response.status_code == 422, response.json
        assert response.json["errors"] == {"/data/weight": ["This number is too large."]}
        assert ticket_count(app) == before
    finally:
        retire(app, pk)
