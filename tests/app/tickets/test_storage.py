"""Attachment storage: limits while streaming, allowed types, content addressing."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.tickets.errors import (
    AttachmentMissing,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    TicketNotFound,
)
from app.tickets.models import Attachment, Ticket
from app.tickets.service import add_attachment, add_comment
from app.tickets.storage import LocalFileStorage, clean_filename, storage_for


def test_stores_by_sha256_once(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path, max_bytes=1000)
    body = b"%PDF-1.7 invoice"
    sha = hashlib.sha256(body).hexdigest()
    first = storage.save(io.BytesIO(body), "invoice.pdf", "application/pdf")
    second = storage.save(io.BytesIO(body), "copy.pdf", "Application/PDF; charset=binary")
    assert first == second
    assert (first.key, first.size, first.sha256, first.content_type) == (
        f"{sha[:2]}/{sha}",
        len(body),
        sha,
        "application/pdf",
    )
    with storage.open(first.key) as handle:
        assert handle.read() == body
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]
    storage.delete(first.key)
    storage.delete(first.key)
    with pytest.raises(AttachmentMissing):
        storage.open(first.key)


def test_rejects_oversize_while_streaming_and_keeps_nothing(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path, max_bytes=100_000)
    storage.save(io.BytesIO(b"x" * 100_000), "exact.txt", "text/plain")
    with pytest.raises(AttachmentTooLarge) as info:
        storage.save(io.BytesIO(b"x" * 100_001), "big.txt", "text/plain")
    assert info.value.status == 413
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1  # no temp file left


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("page.html", "text/html"),
        ("run.exe", "application/x-msdownload"),
        ("invoice.html", "text/plain"),  # allowed type, but the name says HTML
        ("photo.png", ""),
        ("image.svg", "image/svg+xml"),
    ],
)
def test_rejects_types_not_allowed(tmp_path: Path, filename: str, content_type: str) -> None:
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(AttachmentTypeNotAllowed) as info:
        storage.save(io.BytesIO(b"<script>"), filename, content_type)
    assert info.value.status == 415
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_keys_cannot_escape_the_root(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    trailing_newline = "ab/" + "0" * 64 + "\n"
    for key in ["../secret", "/etc/passwd", "ab/../../x", "zz/" + "0" * 64, trailing_newline]:
        with pytest.raises(AttachmentMissing):
            storage.open(key)


def test_clean_filename() -> None:
    assert clean_filename("C:\\Users\\li\\..\\report.pdf") == "report.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("..hidden\x00.txt") == "hidden.txt"
    assert clean_filename("") == "file"
    assert len(clean_filename("a" * 400 + ".pdf")) == 255


def test_attachment_rows_on_tickets_and_comments(
    app_ctx: object, new_ticket: Callable[..., Ticket], tmp_path: Path
) -> None:
    from flask import current_app

    storage = storage_for(current_app)
    assert Path(storage.root).parts[-1] == "attachments"  # type: ignore[attr-defined]
    storage = LocalFileStorage(tmp_path, max_bytes=10)
    ticket = new_ticket()
    comment = add_comment(ticket.id, "see photo", None)
    row = add_attachment(
        ticket.id,
        io.BytesIO(b"\x89PNG.."),
        "sub/photo.png",
        "image/png",
        storage,
        comment_id=comment.id,
    )
    db.session.expire_all()
    stored = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    assert (stored.id, stored.filename, stored.size, stored.comment_id) == (
        row.id,
        "photo.png",
        6,
        comment.id,
    )
    assert stored.sha256 == hashlib.sha256(b"\x89PNG..").hexdigest()
    with pytest.raises(AttachmentTooLarge):
        add_attachment(ticket.id, io.BytesIO(b"x" * 11), "a.txt", "text/plain", storage)
    with pytest.raises(TicketNotFound):
        add_attachment(2_000_000_000, io.BytesIO(b"x"), "a.txt", "text/plain", storage)
    assert (
        db.session.scalar(select(Attachment.id).where(Attachment.ticket_id == ticket.id).offset(1))
        is None
    )
