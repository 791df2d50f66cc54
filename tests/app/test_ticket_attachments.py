"""Attachments on the ticket pages: upload, list, download, limits, scoping, all or nothing."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from app.extensions import db
from app.tickets.comments import content_disposition
from app.tickets.models import Attachment, Comment, TicketEvent
from app.tickets.service import Upload, add_comment
from app.tickets.storage import LocalFileStorage, storage_for
from tests.app.test_ticket_views import make_ticket, order_number, refund_data

Files = list[tuple[io.BytesIO, str, str]]


def unique(text: str = "") -> bytes:
    """File content no other test stores (storage is content-addressed and shared)."""
    return f"{text} {uuid.uuid4().hex}\n".encode()


def stored_files(app: Flask) -> set[str]:
    """Every file under the storage root, temporary ones included."""
    root = Path(app.instance_path) / "attachments"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def billing_ticket(app: Flask) -> int:
    return make_ticket(app, "refund", "billing", refund_data(order_number()))[0]


def repair_ticket(app: Flask) -> tuple[int, str]:
    return make_ticket(app, "repair", "repair", {"summary": f"Repair {order_number()}"})


def attachments_of(app: Flask, ticket_id: int) -> list[Attachment]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def comment_count(app: Flask, ticket_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.ticket_id == ticket_id)
        )
        db.session.remove()
    return int(count or 0)


def attach(app: Flask, ticket_id: int, name: str, content: bytes, kind: str) -> int:
    """An internal note with one file, written through the service; the attachment id."""
    with app.app_context():
        comment = add_comment(
            ticket_id, "", None, internal=True,
            uploads=[Upload(io.BytesIO(content), name, kind)], storage=storage_for(app),
        )
        aid = comment.attachments[0].id
        db.session.remove()
    return aid


def files(*specs: tuple[bytes, str, str]) -> Files:
    return [(io.BytesIO(content), name, kind) for content, name, kind in specs]


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "TESSERA_ATTACHMENT_MAX_BYTES", 1000)
    return 1000


# ---------------------------------------------------------------------------------------------
# Pages


def test_reply_with_files_is_listed_and_downloads_the_same_bytes(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    ticket_id = billing_ticket(app)
    text, png = unique("log line"), b"\x89PNG\r\n" + unique()
    client = client_as("agent")
    response = client.post(
        f"/tickets/{ticket_id}/comment",
        data={"body": "Both files attached.", "files": files(
            (text, "gateway log.txt", "text/plain"), (png, "screen.png", "image/png")
        )},
    )
    assert response.status_code == 302, response.text
    rows = attachments_of(app, ticket_id)
    assert [(a.filename, a.size, a.content_type) for a in rows] == [
        ("gateway log.txt", len(text), "text/plain"),
        ("screen.png", len(png), "image/png"),
    ]
    assert len({a.comment_id for a in rows}) == 1 and rows[0].comment_id is not None
    assert rows[0].sha256 == hashlib.sha256(text).hexdigest()
    page = client.get(f"/tickets/{ticket_id}")
    comment = re.search(r'<li class="list-group-item" id="comment-\d+">(.*?)</li>\s*</ul>\s*</li>',
                        page.text, re.S)
    assert comment and "gateway log.txt" in comment.group(1) and "screen.png" in comment.group(1)
    table = page.text.split('id="attachments"', 1)[1]
    assert "gateway log.txt" in table and "text/plain" in table and "reply" in table
    for row, content in zip(rows, (text, png), strict=True):
        link = f"/tickets/{ticket_id}/attachments/{row.id}"
        assert f'href="{link}"' in page.text
        download = client.get(link, buffered=True)
        assert download.status_code == 200
        assert download.data == content
        assert download.mimetype == row.content_type
    with app.app_context():
        event = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(
                TicketEvent.id.desc()
            )
        ).first()
        assert event is not None and event.new == {
            "internal": False, "attachments": [a.id for a in rows]
        }
        db.session.remove()


def test_a_files_only_internal_note(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    ticket_id = billing_ticket(app)
    content = unique("gateway export")
    client = client_as("agent")
    response = client.post(
        f"/tickets/{ticket_id}/comment",
        data={"body": "", "internal": "1", "files": files((content, "export.csv", "text/csv"))},
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        note = db.session.scalars(select(Comment).where(Comment.ticket_id == ticket_id)).one()
        assert (note.internal, note.body) == (True, "")
        assert [a.filename for a in note.attachments] == ["export.csv"]
        db.session.remove()
    page = client.get(f"/tickets/{ticket_id}")
    note_html = page.text.split("internal-note", 1)[1].split("</li>\n    \n", 1)[0]
    assert "export.csv" in note_html and "Internal note" in note_html
    # A browser's empty file input (a nameless, empty part) is no file: still "needs text".
    empty = client.post(
        f"/tickets/{ticket_id}/comment",
        data={"body": " ", "files": files((b"", "", "application/octet-stream"))},
    )
    assert empty.status_code == 303
    assert comment_count(app, ticket_id) == 1


def test_oversize_file_is_413_keeps_the_text_and_saves_nothing(
    app: Flask, client_as: Callable[[str], FlaskClient], small_limit: int
) -> None:
    ticket_id = billing_ticket(app)
    before = stored_files(app)
    typed = f"Typed <b>{uuid.uuid4().hex}</b>"
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/comment",
        data={"body": typed, "internal": "1", "files": files(
            (unique("fits"), "small.txt", "text/plain"),
            (b"x" * (small_limit + 1), "big.txt", "text/plain"),
        )},
    )
    assert response.status_code == 413
    errors = response.text.split('id="comment-errors"', 1)[1].split("</div>", 1)[0]
    assert "big.txt: Files may be at most 1,000 bytes." in errors
    assert "small.txt" not in errors
    textarea = re.search(r'<textarea name="body" id="comment-body"[^>]*>([^<]*)<', response.text)
    assert textarea and textarea.group(1) == typed.replace("<", "&lt;").replace(">", "&gt;")
    assert re.search(r'name="internal" value="1" checked', response.text)
    # The edit form still shows the ticket's own values, not the comment post.
    assert re.search(r'name="subject"[^>]*value="Charged twice', response.text)
    assert comment_count(app, ticket_id) == 0
    assert attachments_of(app, ticket_id) == []
    assert stored_files(app) == before


def test_refused_type_is_422_and_names_are_escaped(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    ticket_id = billing_ticket(app)
    before = stored_files(app)
    client = client_as("agent")
    response = client.post(
        f"/tickets/{ticket_id}/comment",
        data={"body": "see file", "files": files(
            (unique(), "fine.txt", "text/plain"),
            (b"<script>alert(1)</script>", "<img src=x onerror=alert(1)>.html", "text/plain"),
            (unique(), "run.exe", "application/x-msdownload"),
        )},
    )
    assert response.status_code == 422
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;.html: Files of type text/html are not allowed." in (
        response.text
    )
    assert "run.exe: Files of type application/x-msdownload are not allowed." in response.text
    assert comment_count(app, ticket_id) == 0
    assert stored_files(app) == before
    # An allowed file with a name full of markup is listed, escaped.
    name = "<img src=x onerror=alert(2)>.txt"
    ok = client.post(
        f"/tickets/{ticket_id}/comment", data={"files": files((unique(), name, "text/plain"))}
    )
    assert ok.status_code == 302
    page = client.get(f"/tickets/{ticket_id}")
    assert "<img src=x" not in page.text
    assert page.text.count("&lt;img src=x onerror=alert(2)&gt;.txt") == 2  # comment and table


def test_too_many_files_is_422(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    ticket_id = billing_ticket(app)
    many = files(*[(unique(), f"f{i}.txt", "text/plain") for i in range(11)])
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/comment", data={"body": "x", "files": many}
    )
    assert response.status_code == 422
    assert "At most 10 files per comment." in response.text
    assert comment_count(app, ticket_id) == 0


def test_text_the_database_refuses_is_422_on_the_page(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    ticket_id = billing_ticket(app)
    response = client_as("agent").post(
        f"/tickets/{ticket_id}/comment", data={"body": "a\x00b"}
    )
    assert response.status_code == 422
    assert "Must not contain NUL characters." in response.text
    assert comment_count(app, ticket_id) == 0


def test_download_headers_keep_files_from_running_in_the_app(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    ticket_id = billing_ticket(app)
    name = '报告 "final";v2.txt'
    content = b"<html><script>alert(document.cookie)</script></html>" + unique()
    aid = attach(app, ticket_id, name, content, "text/plain")
    response = client_as("agent").get(f"/tickets/{ticket_id}/attachments/{aid}", buffered=True)
    assert response.status_code == 200 and response.data == content
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Content-Type"].startswith("text/plain")
    assert "no-store" in headers["Cache-Control"]
    disposition = headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="__ _final__v2.txt"; '
        "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22%3Bv2.txt"
    )
    kind, options = parse_options_header(disposition)
    assert (kind, options["filename"]) == ("attachment", name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("Café.pdf", "attachment; filename=\"Cafe.pdf\"; filename*=UTF-8''Caf%C3%A9.pdf"),
        ("a\\b\r\n.txt", 'attachment; filename="b.txt"'),
        ("..", 'attachment; filename="file"'),
    ],
)
def test_content_disposition(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_a_billing_agent_cannot_reach_a_repair_ticket_or_its_files(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    repair_id, number = repair_ticket(app)
    content = unique("repair photo")
    aid = attach(app, repair_id, "photo.png", content, "image/png")
    own_id = billing_ticket(app)
    agent = client_as("agent")
    before = stored_files(app)
    for path in (
        f"/tickets/{repair_id}",
        f"/tickets/{repair_id}/attachments/{aid}",
        f"/tickets/{own_id}/attachments/{aid}",  # through a ticket the agent does see
    ):
        assert agent.get(path).status_code == 404, path
    edit = agent.post(f"/tickets/{repair_id}/edit", data={"lock_version": "1", "subject": "x"})
    assert edit.status_code == 404
    comment = agent.post(
        f"/tickets/{repair_id}/comment",
        data={"body": "sneaky", "files": files((unique(), "x.txt", "text/plain"))},
    )
    assert comment.status_code == 404
    for view in ("all", "queue", "mine"):
        assert number not in agent.get(f"/tickets/?view={view}").text
    assert comment_count(app, repair_id) == 1 and len(attachments_of(app, repair_id)) == 1
    assert stored_files(app) == before
    admin = client_as("admin")
    assert admin.get(f"/tickets/{repair_id}/attachments/{aid}", buffered=True).data == content
    # An attachment is only found through its own ticket, even for an admin.
    assert admin.get(f"/tickets/{own_id}/attachments/{aid}").status_code == 404


def test_a_lost_file_is_404_not_500(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    ticket_id = billing_ticket(app)
    aid = attach(app, ticket_id, "gone.txt", unique("gone"), "text/plain")
    row = attachments_of(app, ticket_id)[0]
    (Path(app.instance_path) / "attachments" / row.storage_key).unlink()
    assert client_as("agent").get(f"/tickets/{ticket_id}/attachments/{aid}").status_code == 404


# ---------------------------------------------------------------------------------------------
# All or nothing in the service


def _database_went_away() -> None:
    raise RuntimeError("database went away")


def key_of(content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    return f"{sha[:2]}/{sha}"


def test_a_failed_commit_removes_new_files_but_keeps_shared_ones(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = billing_ticket(app)
    shared, fresh = unique("shared"), unique("fresh")
    attach(app, ticket_id, "shared.txt", shared, "text/plain")  # committed: a row points to it
    before = stored_files(app)
    with app.app_context():
        # The commit fails after both files were placed in storage.
        monkeypatch.setattr(db.session, "commit", _database_went_away)
        with pytest.raises(RuntimeError):
            add_comment(
                ticket_id, "two files", None,
                uploads=[
                    Upload(io.BytesIO(fresh), "fresh.txt", "text/plain"),
                    Upload(io.BytesIO(shared), "again.txt", "text/plain"),
                ],
                storage=storage_for(app),
            )
        monkeypatch.undo()
        db.session.remove()
    after = stored_files(app)
    assert after == before, after ^ before
    assert key_of(shared) in after and key_of(fresh) not in after
    assert comment_count(app, ticket_id) == 1
    assert len(attachments_of(app, ticket_id)) == 1


# ---------------------------------------------------------------------------------------------
# Storage: stage, place, discard


def test_stage_place_and_discard(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path, max_bytes=100)
    first = storage.stage(io.BytesIO(b"same bytes"), "a.txt", "text/plain")
    second = storage.stage(io.BytesIO(b"same bytes"), "b.txt", "text/plain")
    assert first.stored == second.stored and first.token != second.token
    assert storage.place(first) is True
    assert storage.place(second) is False  # already there: not this call's to delete
    other = storage.stage(io.BytesIO(b"other"), "c.txt", "text/plain")
    storage.discard(other)
    files_left = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files_left == [first.stored.sha256]
