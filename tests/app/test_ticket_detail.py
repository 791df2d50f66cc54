"""The ticket page as people read it: header first, nothing autofocused, the edit form folded,
values and history in words, a refused comment that leaves the rest of the page intact."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.tickets.filefields import format_ref
from app.tickets.models import Ticket
from app.tickets.service import update_ticket
from app.views.ticket_edits import without_autofocus
from tests.app.test_ticket_attachments import attach, files, unique
from tests.app.test_ticket_views import lock_version, make_ticket, order_number, refund_data

Client = Callable[[str], FlaskClient]


class FormReader(HTMLParser):
    """What a browser would post for one <form> of a page, as rendered."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.values: MultiDict[str, str] = MultiDict()
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        if not (self.inside or found.get("form") == self.form_id) or "disabled" in found:
            return
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("file", "submit"):
            if found.get("type") not in ("radio", "checkbox") or "checked" in found:
                self.values.add(name, found.get("value", "on" if "checked" in found else ""))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in found:
            self.values.add(self.select, found.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.values.add(self.textarea, self.text.removeprefix("\n"))
            self.textarea = None


def posted_form(page: str, form_id: str) -> MultiDict[str, str]:
    reader = FormReader(form_id)
    reader.feed(page)
    return reader.values


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def history_rows(page: str) -> list[str]:
    """The history table's rows as text, one line each."""
    table = section(page, 'id="history"', "</table>")
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", row.split(">", 1)[1])).split())
        for row in table.split("<tr")[2:]
    ]


def billing_ticket(app: Flask, **extra: Any) -> tuple[int, str, dict[str, Any]]:
    data = refund_data(order_number(), **extra)
    ticket_id, number = make_ticket(app, "refund", "billing", data)
    return ticket_id, number, data


# ---------------------------------------------------------------------------------------------
# A refused comment


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "TESSERA_ATTACHMENT_MAX_BYTES", 1000)
    return 1000


def test_a_refused_upload_keeps_the_stored_values_in_the_edit_form_and_the_typed_comment(
    app: Flask, client_as: Client, small_limit: int
) -> None:
    ticket_id, _number, data = billing_ticket(app, reason="other", details="Two captures.")
    client = client_as("agent")
    typed = f"See the log {uuid.uuid4().hex}"
    response = client.post(
        f"/tickets/{ticket_id}/comment",
        data={"body": typed, "files": files((b"x" * (small_limit + 1), "big.log", "text/plain"))},
    )
    assert response.status_code == 413
    page = response.text
    edit = posted_form(page, "edit-form")
    assert edit["/order_number"] == data["order_number"]
    assert edit["/bank_account_last4"] == "4821"
    assert edit["/reason"] == "other" and edit["/details"] == "Two captures."
    assert edit["/currency"] == "CNY" and edit["/refund_amount"] == "120.5"
    assert edit["subject"] == data["summary"]
    assert posted_form(page, "comment-form")["body"] == typed
    # The reason is said next to the comment box; the top of the page points there.
    assert "big.log: Files may be at most 1,000 bytes." in section(
        page, 'id="comment-errors"', "</div>"
    )
    assert page.index('id="comment-alert"') < page.index('id="ticket-header"')
    assert 'href="#comment-form"' in section(page, 'id="comment-alert"', "</div>")
    assert re.search(r'<details id="edit-panel"\s*>', page)  # the edit form stays folded
    # Saving the edit form as the page shows it now saves: no errors the agent never caused.
    saved = client.post(f"/tickets/{ticket_id}/edit", data=edit)
    assert saved.status_code == 302, saved.text
    with app.app_context():
        stored = db.session.get(Ticket, ticket_id)
        assert stored is not None and stored.data == data
        db.session.remove()


def test_a_request_too_large_to_read_keeps_the_edit_form_too(
    app: Flask, client_as: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id, _number, data = billing_ticket(app)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/comment",
        data={"body": "x", "files": files((b"y" * 5000, "huge.txt", "text/plain"))},
    )
    assert response.status_code == 413
    assert "The request is larger than 2,000 bytes" in section(
        response.text, 'id="comment-errors"', "</div>"
    )
    edit = posted_form(response.text, "edit-form")
    assert edit["/order_number"] == data["order_number"] and edit["/reason"] == "duplicate_charge"


def test_a_get_of_the_comment_address_goes_back_to_the_ticket(
    app: Flask, client_as: Client
) -> None:
    ticket_id, _number, _data = billing_ticket(app)
    client = client_as("agent")
    response = client.get(f"/tickets/{ticket_id}/comment")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket_id}")
    assert client.get(f"/tickets/{ticket_id}/comment", follow_redirects=True).status_code == 200
    repair_id, _ = make_ticket(app, "repair", "repair", {"summary": f"Repair {order_number()}"})
    assert client.get(f"/tickets/{repair_id}/comment").status_code == 404  # not the agent's


# ---------------------------------------------------------------------------------------------
# Where the page opens


def test_nothing_on_the_ticket_page_autofocuses(app: Flask, client_as: Client) -> None:
    client = client_as("agent")
    # The template's summary field asks for autofocus: the new-ticket form keeps it.
    assert re.search(r'name="/summary"[^>]*autofocus', client.get("/tickets/new/refund").text)
    ticket_id, _number, _data = billing_ticket(app)
    version = str(lock_version(app, ticket_id))
    pages = {
        "shown": client.get(f"/tickets/{ticket_id}"),
        "invalid edit": client.post(
            f"/tickets/{ticket_id}/edit",
            data={"lock_version": version, "priority": "normal", "/bank_account_last4": "12ab"},
        ),
        "refused comment": client.post(f"/tickets/{ticket_id}/comment", data={"body": "a\x00b"}),
    }
    assert [r.status_code for r in pages.values()] == [200, 422, 422]
    for what, response in pages.items():
        assert "autofocus" not in response.text, what


def test_without_autofocus_drops_every_autofocus() -> None:
    ui = {
        "a": {"ui:autofocus": True, "ui:placeholder": "x"},
        "b": {"items": {"c": {"ui:options": {"autofocus": True, "rows": 2}}}},
        "ui:order": ["a", "b"],
    }
    assert without_autofocus(ui) == {
        "a": {"ui:placeholder": "x"},
        "b": {"items": {"c": {"ui:options": {"rows": 2}}}},
        "ui:order": ["a", "b"],
    }


def test_the_page_reads_header_values_conversation_history_with_the_edit_form_folded(
    app: Flask, client_as: Client
) -> None:
    ticket_id, number, _data = billing_ticket(app)
    page = client_as("agent").get(f"/tickets/{ticket_id}").text
    places = [
        page.index(marker)
        for marker in (
            f"<h1>{number}:",
            'id="system"',
            'id="custom"',
            'id="edit-panel"',
            'id="comments"',
            'id="comment-form"',
            'id="history"',
        )
    ]
    assert places == sorted(places)
    header = section(page, 'id="system"', "</dl>")
    for label in ("State", "Priority", "Department", "Assignee", "Billing"):
        assert label in header
    assert re.search(r'<details id="edit-panel"\s*>', page)  # closed
    assert "edit-alert" not in page


def test_an_invalid_edit_opens_the_panel_and_says_so_at_the_top(
    app: Flask, client_as: Client
) -> None:
    ticket_id, _number, _data = billing_ticket(app)
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/edit",
        data={
            "lock_version": str(lock_version(app, ticket_id)),
            "priority": "normal",
            "/bank_account_last4": "12ab",
        },
    )
    assert response.status_code == 422
    page = response.text
    assert re.search(r'<details id="edit-panel" open>', page)
    assert page.index('id="edit-alert"') < page.index('id="ticket-header"')
    assert 'href="#edit-panel"' in section(page, 'id="edit-alert"', "</div>")


def test_a_conflict_opens_the_panel_with_both_values(app: Flask, client_as: Client) -> None:
    ticket_id, _number, data = billing_ticket(app)
    client = client_as("agent")
    page = client.get(f"/tickets/{ticket_id}").text
    edit = posted_form(page, "edit-form")
    with app.app_context():
        update_ticket(
            ticket_id, {"data": {**data, "currency": "USD"}}, lock_version(app, ticket_id), None
        )
        db.session.remove()
    edit["/currency"] = "EUR"
    response = client.post(f"/tickets/{ticket_id}/edit", data=edit)
    assert response.status_code == 409
    assert re.search(r'<details id="edit-panel" open>', response.text)
    conflict = section(response.text, 'id="conflicts"', "</table>")
    assert "Currency (币种)" in conflict and "EUR 欧元" in conflict and "USD 美元" in conflict
    assert response.text.index('id="edit-alert"') < response.text.index('id="ticket-header"')


# ---------------------------------------------------------------------------------------------
# Values and history in words


def test_the_history_names_fields_by_title_and_values_by_label(
    app: Flask, client_as: Client
) -> None:
    ticket_id, _number, data = billing_ticket(app)
    with app.app_context():
        update_ticket(
            ticket_id,
            {"priority": "high", "data": {**data, "reason": "other", "details": "Two captures."}},
            lock_version(app, ticket_id),
            None,
        )
        db.session.remove()
    page = client_as("agent").get(f"/tickets/{ticket_id}").text
    rows = history_rows(page)
    assert rows[0].endswith("system Ticket created State: New")
    changes = [row.split(" system ", 1)[1] for row in rows[1:]]
    assert sorted(changes) == sorted(
        [
            "Field changed Priority: normal → high",
            "Field changed Reason (退款原因): Charged twice (重复扣款) → Other (其他)",
            "Field changed Details (详细说明): (empty) → Two captures.",
        ]
    )
    table = section(page, 'id="history"', "</table>")
    assert "/data/" not in table and "/priority" not in table
    assert all("field_changed" not in row and "{" not in row for row in rows)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC ", rows[0])  # the zone is said


def test_assignment_history_names_people_and_departments(app: Flask, client_as: Client) -> None:
    ticket_id, _number, _data = billing_ticket(app)
    client = client_as("agent")
    response = client.post(
        f"/tickets/{ticket_id}/assign",
        data={"assignee": "me", "lock_version": str(lock_version(app, ticket_id))},
    )
    assert response.status_code == 302
    rows = history_rows(client.get(f"/tickets/{ticket_id}").text)
    assert rows[-1].endswith("Assignment changed Assignee: (unassigned) → Agent3 Demo"), rows


def test_a_file_reference_shows_as_a_link_to_the_ticket_s_file(
    app: Flask, client_as: Client
) -> None:
    summary = f"Broken screen {order_number()}"
    ticket_id, _number = make_ticket(app, "repair", "repair", {"summary": summary})
    content = b"\x89PNG\r\n" + unique("photo")
    aid = attach(app, ticket_id, "crack <1>.png", content, "image/png")
    with app.app_context():
        update_ticket(
            ticket_id,
            {"data": {"summary": summary, "photo": format_ref(aid, "crack <1>.png")}},
            lock_version(app, ticket_id),
            None,
        )
        db.session.remove()
    client = client_as("admin")
    page = client.get(f"/tickets/{ticket_id}").text
    link = f'<a class="tessera-file" href="/tickets/{ticket_id}/attachments/{aid}" download>'
    custom = section(page, 'id="custom"', "</dl>")
    assert f"{link}crack &lt;1&gt;.png</a>" in custom and "attachment:" not in custom
    assert link in section(page, 'id="history"', "</table>")
    assert client.get(f"/tickets/{ticket_id}/attachments/{aid}", buffered=True).data == content


def test_an_inline_file_never_shows_its_bytes(app: Flask, client_as: Client) -> None:
    inline = "data:image/png;name=old.png;base64," + "iVBORw0KGgo" * 200
    summary = f"Old photo {order_number()}"
    ticket_id, _number = make_ticket(app, "repair", "repair", {"summary": summary, "photo": inline})
    page = client_as("admin").get(f"/tickets/{ticket_id}").text
    assert "old.png (" in section(page, 'id="custom"', "</dl>")
    assert "iVBORw0KGgo" not in page.split('id="edit-panel"', 1)[0]


def test_a_comment_with_files_is_phrased_in_the_history(app: Flask, client_as: Client) -> None:
    ticket_id, _number, _data = billing_ticket(app)
    client = client_as("agent")
    response = client.post(
        f"/tickets/{ticket_id}/comment",
        data={
            "body": "Logs.",
            "internal": "1",
            "files": [
                (io.BytesIO(unique("a")), "a.txt", "text/plain"),
                (io.BytesIO(unique("b")), "b.txt", "text/plain"),
            ],
        },
    )
    assert response.status_code == 302
    rows = history_rows(client.get(f"/tickets/{ticket_id}").text)
    assert rows[-1].endswith("Agent3 Demo Internal note added 2 files"), rows
