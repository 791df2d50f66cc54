"""File fields: data URLs decoded into attachments of the ticket, references in the data."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.definitions import store
from app.extensions import db
from app.limits import MAX_ID
from app.models import Department
from app.tickets import filefields
from app.tickets.comments import ticket_attachments
from app.tickets.errors import StaleTicket, TicketInvalid
from app.tickets.filefields import FileRef, describe, format_ref, is_data_url, parse_ref
from app.tickets.intake import NewTicket, check_data, open_ticket, read_form
from app.tickets.models import Attachment, Channel, Ticket, TicketEvent
from app.tickets.service import Requester
from app.tickets.storage import LocalFileStorage, storage_for
from app.tickets.templates import TemplateForm, published_template
from tests.app.tickets.conftest import Setting

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        # maxLength written for data URLs: the file may be 3/4 of it (3,000 bytes)
        "photo": {"type": "string", "format": "data-url", "maxLength": 4000},
        "documents": {"type": "array", "items": {"type": "string", "format": "data-url"}},
        "device": {
            "type": "object",
            "properties": {"label": {"type": "string", "contentMediaType": "image/png"}},
        },
        "kind": {
            "oneOf": [
                {
                    "type": "object",
                    "title": "Scan",
                    "properties": {"scan": {"type": "string", "format": "data-url"}},
                    "required": ["scan"],
                },
                {
                    "type": "object",
                    "title": "Note",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
            ]
        },
    },
}
UI = {"photo": {"ui:options": {"accept": "image/*"}}}


def content(text: str = "") -> bytes:
    """Bytes no other test stores (storage is content-addressed and shared)."""
    return f"{text} {uuid.uuid4().hex}".encode()


def data_url(body: bytes, kind: str = "text/plain", name: str | None = "notes.txt") -> str:
    named = f";name={quote(name, safe='')}" if name is not None else ""
    return f"data:{kind}{named};base64,{base64.b64encode(body).decode()}"


def stored_files(app: Flask) -> set[str]:
    root = Path(app.instance_path) / "attachments"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def publish(setting: Setting) -> TemplateForm:
    department = db.session.get(Department, setting.department_id)
    assert department is not None
    body = {
        "key": setting.template,
        "title": "File fields",
        "schema": SCHEMA,
        "uiSchema": UI,
        "settings": {"default_department": department.key},
    }
    row = store.save_draft("template", setting.template, body, None)
    store.publish(row.id, None)
    return published_template(setting.template)


def opened(tf: TemplateForm, data: dict[str, Any], actor_id: int | None = None) -> Ticket:
    return open_ticket(
        NewTicket(check_data(tf, data), Requester("Li Wei"), Channel.API.value, actor_id)
    )


def files_of(ticket_id: int) -> dict[int, Attachment]:
    return {a.id: a for a in ticket_attachments(ticket_id)}


def bytes_of(app: Flask, attachment: Attachment) -> bytes:
    with storage_for(app).open(attachment.storage_key) as handle:
        return handle.read()


def ref_at(data: Any, *path: str | int) -> FileRef:
    for part in path:
        data = data[part]
    found = parse_ref(data)
    assert found is not None, data
    return found


# ---------------------------------------------------------------------------------------------
# References and data URLs


def test_references_round_trip_names_with_any_characters() -> None:
    for name in ("scan.png", "a;b,c=d.pdf", "故障 照片 100%.jpg", "x/y"):
        assert parse_ref(format_ref(12, name)) == FileRef(12, name)
    assert format_ref(7, "a b;c.png") == "attachment:7;name=a%20b%3Bc.png"
    for value in ("attachment:0;name=x", "attachment:1;x", "attachment:1;name=a;b", 12, None):
        assert parse_ref(value) is None


def test_data_urls_are_told_apart_and_described_without_their_bytes() -> None:
    png = data_url(b"\x89PNG" + b"0" * 2044, "image/png", "screen shot.png")
    assert is_data_url(png) and is_data_url("data:,plain") and not is_data_url("image.png")
    assert not is_data_url(format_ref(3, "a.png")) and not is_data_url(None)
    assert describe(png) == "screen shot.png (2.0 KB)"
    assert describe(data_url(b"hello", name=None)) == "file (5 bytes)"
    assert describe(format_ref(3, "invoice.pdf")) == "invoice.pdf"
    assert (describe("plain text"), describe(None)) == ("plain text", "")


def test_decode_reads_name_type_and_bytes_and_refuses_broken_base64() -> None:
    body = content("log")
    found = filefields.decode(data_url(body, "text/plain", "../../etc/fault log.txt"))
    assert (found.name, found.content_type, found.content) == ("fault log.txt", "text/plain", body)
    assert filefields.decode("data:,a%20b").content == b"a b"
    assert filefields.decode("data:,x").content_type == "text/plain"
    with pytest.raises(ValueError, match="base64"):
        filefields.decode("data:image/png;base64,***")
    with pytest.raises(ValueError, match="data URL"):
        filefields.decode("just text")


def test_accept_lists_read_as_browsers_read_them() -> None:
    assert filefields.accepts("image/*", "a.png", "image/png")
    assert filefields.accepts(".log,text/plain", "boot.LOG", "application/octet-stream")
    assert filefields.accepts("image/png, application/pdf", "a", "application/pdf")
    assert not filefields.accepts("image/*", "a.pdf", "application/pdf")
    assert not filefields.accepts(".pdf", "a.png", "image/png")


# ---------------------------------------------------------------------------------------------
# Storing


def test_files_anywhere_in_the_data_become_attachments_of_the_new_ticket(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    photo, first, second, label, scan = (content(n) for n in ("p", "d1", "d2", "l", "s"))
    ticket = opened(
        tf,
        {
            "summary": "Printer",
            "photo": data_url(photo, "image/png", "jam.png"),
            "documents": [data_url(first, name="a.txt"), data_url(second, "text/csv", None)],
            "device": {"label": data_url(label, "image/png", "label.png")},
            "kind": {"scan": data_url(scan, "application/pdf", "scan.pdf")},
        },
        setting.agent_id,
    )
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket is not None and ticket.lock_version == 1
    rows = files_of(ticket.id)
    expected = {
        ("photo",): ("jam.png", "image/png", photo),
        ("documents", 0): ("a.txt", "text/plain", first),
        ("documents", 1): ("file", "text/csv", second),
        ("device", "label"): ("label.png", "image/png", label),
        ("kind", "scan"): ("scan.pdf", "application/pdf", scan),
    }
    for path, (name, kind, body) in expected.items():
        ref = ref_at(ticket.data, *path)
        row = rows[ref.attachment_id]
        assert (ref.name, row.filename, row.content_type, row.size) == (name, name, kind, len(body))
        assert row.comment_id is None and row.uploaded_by_id == setting.agent_id
        assert bytes_of(app_ctx, row) == body
    assert len(rows) == 5
    assert ticket.data["summary"] == "Printer"
    kinds = db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id))
    assert list(kinds) == ["created"]


def test_a_max_length_written_for_data_urls_limits_the_file_not_the_reference(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    fits = data_url(content().ljust(2990, b"x"), "image/png", "big.png")
    assert len(fits) > SCHEMA["properties"]["photo"]["maxLength"]
    ticket = opened(tf, {"photo": fits})
    assert ref_at(ticket.data, "photo").name == "big.png"
    with pytest.raises(TicketInvalid) as caught:
        check_data(tf, {"photo": data_url(content().ljust(3001, b"x"), "image/png", "x.png")})
    assert caught.value.errors == {"/data/photo": ["The file is larger than 2.9 KB."]}


def test_refused_files_are_422_at_their_pointers_and_nothing_is_written(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    before = stored_files(app_ctx)
    tickets = db.session.scalar(select(func.count()).select_from(Ticket))
    with pytest.raises(TicketInvalid) as caught:
        opened(
            tf,
            {
                "summary": "Printer",
                "photo": data_url(content(), "application/pdf", "jam.pdf"),
                "documents": [
                    data_url(content(), name="fine.txt"),
                    "data:text/plain;base64,not base64!",
                    data_url(content(), "application/x-msdownload", "setup.exe"),
                    "a plain string",
                ],
                "device": {"label": data_url(content(), "image/jpeg", "label.jpg")},
            },
        )
    assert caught.value.status == 422
    errors = caught.value.errors
    assert errors == {
        "/data/photo": ["Files of type application/pdf are not accepted here."],
        "/data/documents/1": ["The file's data is not valid base64."],
        "/data/documents/2": ["Files of type application/x-msdownload are not allowed."],
        "/data/documents/3": ["Not a file: expected a data URL (data:<type>;base64,<data>)."],
        "/data/device/label": ["Files of type image/jpeg are not accepted here."],
    }
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == tickets
    assert stored_files(app_ctx) == before


def test_storage_limits_apply_to_file_fields(
    app_ctx: Flask, setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = publish(setting)
    monkeypatch.setitem(app_ctx.config, "TESSERA_ATTACHMENT_MAX_BYTES", 100)
    with pytest.raises(TicketInvalid) as caught:
        check_data(tf, {"documents": [data_url(b"x" * 101)]})
    assert (caught.value.status, caught.value.errors) == (
        422,
        {"/data/documents/0": ["The file is larger than 100 bytes."]},
    )


def test_staging_refusals_are_422_at_the_files_pointer(
    app_ctx: Flask, setting: Setting, tmp_path: Path
) -> None:
    tf = publish(setting)
    checked = check_data(tf, {"documents": [data_url(b"12345", name="five.txt")]})
    strict = LocalFileStorage(tmp_path, max_bytes=4)
    with pytest.raises(TicketInvalid) as caught:
        filefields.stage(checked.files, checked.data, strict)
    assert (caught.value.status, caught.value.errors) == (
        422,
        {"/data/documents/0": ["five.txt: Files may be at most 4 bytes."]},
    )
    assert list(tmp_path.rglob("*")) == []


def test_references_a_new_ticket_cannot_have_are_refused(app_ctx: Flask, setting: Setting) -> None:
    tf = publish(setting)
    other = opened(tf, {"photo": data_url(content(), "image/png", "other.png")})
    with pytest.raises(TicketInvalid) as caught:
        check_data(tf, {"photo": other.data["photo"]})
    assert list(caught.value.errors) == ["/data/photo"]


# ---------------------------------------------------------------------------------------------
# Editing


def save(ticket: Ticket, tf: TemplateForm, data: dict[str, Any], actor: int | None) -> Ticket:
    checked = check_data(tf, data, ticket)
    return filefields.update_ticket(
        checked.files,
        ticket.id,
        {"data": checked.data},
        ticket.lock_version,
        actor,
        channel=Channel.API.value,
    )


def test_an_edit_keeps_its_own_references_and_stores_a_replaced_file(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    ticket = opened(
        tf,
        {
            "summary": "Printer",
            "photo": data_url(content(), "image/png", "jam.png"),
            "documents": [data_url(content(), name="a.txt")],
        },
    )
    first = dict(ticket.data)
    untouched = save(ticket, tf, {**first, "summary": "Printer jams"}, setting.agent_id)
    assert untouched.data == {**first, "summary": "Printer jams"}
    assert len(files_of(ticket.id)) == 2
    # A reference to one of the ticket's files, given under another name: its own name is kept.
    moved = ref_at(first, "documents", 0)
    renamed = {**untouched.data, "documents": [format_ref(moved.attachment_id, "evil.exe")]}
    checked = check_data(tf, renamed, untouched)
    assert checked.data["documents"] == [format_ref(moved.attachment_id, "a.txt")]
    new_photo = content("new")
    replaced = save(
        untouched,
        tf,
        {
            **untouched.data,
            "photo": data_url(new_photo, "image/png", "better.png"),
        },
        setting.agent_id,
    )
    ref = ref_at(replaced.data, "photo")
    assert ref.name == "better.png" and ref != ref_at(first, "photo")
    rows = files_of(ticket.id)
    assert len(rows) == 3 and bytes_of(app_ctx, rows[ref.attachment_id]) == new_photo
    event = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.pointer == "/data/photo"
        )
    ).one()
    assert (event.old, event.new) == (first["photo"], replaced.data["photo"])


def test_references_to_other_tickets_or_to_nothing_are_refused_at_their_pointer(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    mine = opened(tf, {"summary": "Mine"})
    theirs = opened(tf, {"photo": data_url(content(), "image/png", "theirs.png")})
    with pytest.raises(TicketInvalid) as caught:
        check_data(
            tf,
            {
                "photo": theirs.data["photo"],
                "documents": [format_ref(MAX_ID - 1, "x.txt"), format_ref(10**15, "y.txt")],
            },
            mine,
        )
    foreign = ref_at(theirs.data, "photo").attachment_id
    assert caught.value.errors == {
        "/data/photo": [f"This ticket has no attachment {foreign}."],
        "/data/documents/0": [f"This ticket has no attachment {MAX_ID - 1}."],
        "/data/documents/1": [f"This ticket has no attachment {10**15}."],
    }


def test_an_older_tickets_data_url_is_kept_as_it_is_until_replaced(
    app_ctx: Flask, setting: Setting, new_ticket: Any
) -> None:
    tf = publish(setting)
    legacy = data_url(content(), "image/svg+xml", "drawing.svg")  # a type storage refuses
    ticket = new_ticket(data={"summary": "Old", "photo": legacy}, template=tf.key)
    kept = save(ticket, tf, {"summary": "Old, edited", "photo": legacy}, None)
    assert kept.data == {"summary": "Old, edited", "photo": legacy}
    assert files_of(ticket.id) == {}


def test_a_stale_edit_writes_no_attachment_and_leaves_no_bytes(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    ticket = opened(tf, {"summary": "Printer"})
    before = stored_files(app_ctx)
    checked = check_data(tf, {"photo": data_url(content(), "image/png", "late.png")}, ticket)
    with pytest.raises(StaleTicket):
        filefields.update_ticket(
            checked.files,
            ticket.id,
            {"data": checked.data},
            ticket.lock_version + 1,
            None,
            channel=Channel.API.value,
        )
    assert files_of(ticket.id) == {}
    assert stored_files(app_ctx) == before


# ---------------------------------------------------------------------------------------------
# The posted form


def test_a_posted_file_is_read_and_a_refused_one_fails_its_field(
    app_ctx: Flask, setting: Setting
) -> None:
    tf = publish(setting)
    body = content("upload")
    with app_ctx.test_request_context(method="POST"):
        good = tf.form(
            formdata=tf.form.encode(
                {"photo": data_url(body, "image/png", "up.png"), "documents": []}
            )
        )
        checked = read_form(tf, good)
        assert checked is not None and [f.file.content for f in checked.files.new] == [body]
        assert checked.data["photo"] == format_ref(MAX_ID, "up.png")  # until stored
        bad = tf.form(formdata=tf.form.encode({"photo": data_url(body, "text/plain", "a.txt")}))
        assert read_form(tf, bad) is None
        assert bad.errors_by_pointer() == {
            "/photo": ["Files of type text/plain are not accepted here."]
        }
