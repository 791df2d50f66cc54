"""File fields on the ticket pages: an upload becomes an attachment, the data a reference."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.tickets.filefields import FileRef, parse_ref
from app.tickets.models import Ticket
from tests.app.api.test_tickets_api import publish, tag
from tests.app.test_ticket_attachments import attachments_of, stored_files, unique
from tests.app.test_ticket_views import order_number, posted
from tests.conftest import login


def repair_data(summary: str) -> dict[str, Any]:
    """A valid in-warranty repair of the demo template (its photo is a `format: data-url`)."""
    return {
        "summary": summary,
        "product_model": "px_550_mfp",
        "serial_number": "CN5MF5501234",
        "fault_symptoms": ["paper_jam"],
        "purchase_date": "2025-03-15",
        "warranty_status": "in_warranty",
        "contact_name": "李娜",
        "contact_phone": "+86 139 1234 5678",
    }


def ticket_by_subject(app: Flask, subject: str) -> Ticket | None:
    with app.app_context():
        found = db.session.scalar(select(Ticket).where(Ticket.subject == subject))
        if found is not None:
            db.session.expunge(found)
        db.session.remove()
    return found


def photo_ref(ticket: Ticket) -> FileRef:
    ref = parse_ref(ticket.data.get("photo"))
    assert ref is not None, ticket.data
    return ref


def test_a_file_chosen_on_the_new_ticket_form_is_an_attachment_with_a_thumbnail(
    app: Flask,
) -> None:
    summary = f"Streaks on every page {order_number()}"
    png = b"\x89PNG\r\n\x1a\n" + unique("photo")
    body = posted(app, "repair", repair_data(summary))
    body.add("/photo", (io.BytesIO(png), "fault photo.png", "image/png"))
    client = login(app.test_client(), "agent5")
    response = client.post("/tickets/new/repair", data=body)
    assert response.status_code == 302, response.text
    ticket = ticket_by_subject(app, summary)
    assert ticket is not None
    ref = photo_ref(ticket)
    [row] = attachments_of(app, ticket.id)
    assert (row.id, row.filename, row.content_type, row.comment_id) == (
        ref.attachment_id,
        "fault photo.png",
        "image/png",
        None,
    )
    page = client.get(f"/tickets/{ticket.id}")
    assert page.status_code == 200
    href = f"/tickets/{ticket.id}/attachments/{row.id}"
    files = page.text.split('id="ticket-files"', 1)[1].split("</section>", 1)[0]
    assert "fault photo.png" in files
    assert re.search(rf'<img src="{href}" alt="" class="tessera-thumb"', files)
    assert "base64" not in page.text
    # The edit form keeps the reference and names the file.
    assert f'value="{ticket.data["photo"]}"' in page.text
    assert "Current file: fault photo.png" in page.text
    download = client.get(href, buffered=True)
    assert download.status_code == 200 and download.data == png
    outsider = login(app.test_client(), "agent4")  # technical, not repair
    assert outsider.get(href).status_code == 404


def test_an_edit_that_does_not_touch_the_file_keeps_it(app: Flask) -> None:
    summary = f"Jams in tray 2 {order_number()}"
    body = posted(app, "repair", repair_data(summary))
    body.add("/photo", (io.BytesIO(b"\x89PNG\r\n\x1a\n" + unique()), "jam.png", "image/png"))
    client = login(app.test_client(), "agent5")
    assert client.post("/tickets/new/repair", data=body).status_code == 302
    ticket = ticket_by_subject(app, summary)
    assert ticket is not None
    edit = posted(
        app,
        "repair",
        {**ticket.data, "summary": f"{summary}, again"},
        subject=ticket.subject,
        lock_version=str(ticket.lock_version),
    )
    edit.add("/photo", (io.BytesIO(b""), "", "application/octet-stream"))  # no file chosen
    saved = client.post(f"/tickets/{ticket.id}/edit", data=edit)
    assert saved.status_code == 302, saved.text
    after = ticket_by_subject(app, ticket.subject)
    assert after is not None and after.data["photo"] == ticket.data["photo"]
    assert after.data["summary"] == f"{summary}, again"
    assert len(attachments_of(app, ticket.id)) == 1


def test_a_refused_upload_is_an_error_at_its_field_and_saves_nothing(app: Flask) -> None:
    summary = f"Wrong file {order_number()}"
    before = stored_files(app)
    body = posted(app, "repair", repair_data(summary))
    body.add("/photo", (io.BytesIO(unique("not an image")), "notes.txt", "text/plain"))
    response = login(app.test_client(), "agent5").post("/tickets/new/repair", data=body)
    assert response.status_code == 422
    error = re.search(r'id="tf--2f-photo-err"[^>]*>([^<]*)<', response.text)
    assert error and error.group(1) == "Files of type text/plain are not accepted here."
    assert ticket_by_subject(app, summary) is None
    assert stored_files(app) == before


# ---------------------------------------------------------------------------------------------
# An array of files: one file input taking several, a list of references


@pytest.fixture
def files_template(app: Flask) -> str:
    """A published template whose `files` is an array of images, routed to After-sales Repair."""
    key = f"files_{tag()}"
    publish(
        app,
        key,
        {
            "key": key,
            "title": f"Files {key}",
            "schema": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string", "title": "Summary"},
                    "files": {
                        "type": "array",
                        "title": "Photos",
                        "items": {"type": "string", "format": "data-url"},
                    },
                },
                "required": ["summary"],
            },
            # RJSF reads the files widget's options on the array
            "uiSchema": {"files": {"ui:options": {"accept": "image/*"}}},
            "settings": {"subject": "/summary", "default_department": "repair"},
        },
    )
    return key


def png(text: str) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + unique(text)


def test_an_array_of_files_is_one_multiple_file_input_storing_a_list_of_references(
    app: Flask, files_template: str
) -> None:
    client = login(app.test_client(), "agent5")
    page = client.get(f"/tickets/new/{files_template}")
    assert page.status_code == 200
    inputs = re.findall(r'<input[^>]*type="file"[^>]*>', page.text)
    assert len(inputs) == 1 and 'name="/files"' in inputs[0] and " multiple" in inputs[0]
    assert 'accept="image/*"' in inputs[0]
    assert "data-tf-rows" not in page.text  # no repeating rows for the files

    summary = f"Two photos {order_number()}"
    first, second = png("front"), png("back")
    body = posted(app, files_template, {"summary": summary})
    body.add("/files", (io.BytesIO(first), "front.png", "image/png"))
    body.add("/files", (io.BytesIO(second), "back side.png", "image/png"))
    response = client.post(f"/tickets/new/{files_template}", data=body)
    assert response.status_code == 302, response.text
    ticket = ticket_by_subject(app, summary)
    assert ticket is not None
    refs = [parse_ref(value) for value in ticket.data["files"]]
    assert [r.name for r in refs if r is not None] == ["front.png", "back side.png"]
    rows = {row.id: row for row in attachments_of(app, ticket.id)}
    assert [rows[r.attachment_id].filename for r in refs if r is not None] == [
        "front.png",
        "back side.png",
    ]

    # The ticket page shows each file of the list, linked to its download.
    shown = client.get(f"/tickets/{ticket.id}").text
    for ref in refs:
        assert ref is not None
        href = f"/tickets/{ticket.id}/attachments/{ref.attachment_id}"
        assert f'<a class="tessera-file" href="{href}" download>{ref.name}</a>' in shown
    # The edit form names the files it keeps, each posted back as its reference.
    for value in ticket.data["files"]:
        assert f'<input type="hidden" name="/files" value="{value}">' in shown
    assert "<strong>back side.png</strong>" in shown


def test_an_edit_keeps_an_unchanged_list_and_adds_new_files_after_the_kept_ones(
    app: Flask, files_template: str
) -> None:
    client = login(app.test_client(), "agent5")
    summary = f"Keep the photos {order_number()}"
    body = posted(app, files_template, {"summary": summary})
    body.add("/files", (io.BytesIO(png("one")), "one.png", "image/png"))
    body.add("/files", (io.BytesIO(png("two")), "two.png", "image/png"))
    assert client.post(f"/tickets/new/{files_template}", data=body).status_code == 302
    ticket = ticket_by_subject(app, summary)
    assert ticket is not None
    kept = list(ticket.data["files"])

    def edit(data: dict[str, Any], version: int, *uploads: tuple[bytes, str]) -> Ticket:
        form = posted(app, files_template, data, subject=summary, lock_version=str(version))
        if not uploads:
            form.add("/files", (io.BytesIO(b""), "", "application/octet-stream"))
        for content, name in uploads:
            form.add("/files", (io.BytesIO(content), name, "image/png"))
        saved = client.post(f"/tickets/{ticket.id}/edit", data=form)
        assert saved.status_code == 302, saved.text
        after = ticket_by_subject(app, summary)
        assert after is not None
        return after

    # untouched: the same references, no new attachment
    after = edit({"summary": summary, "files": kept}, ticket.lock_version)
    assert after.data["files"] == kept
    assert len(attachments_of(app, ticket.id)) == 2
    # the first removed and a file added: the kept one first, then the new one
    after = edit({"summary": summary, "files": kept[1:]}, after.lock_version, (png("3"), "3.png"))
    assert after.data["files"][0] == kept[1]
    new = parse_ref(after.data["files"][1])
    assert new is not None and new.name == "3.png" and len(after.data["files"]) == 2
    assert len(attachments_of(app, ticket.id)) == 3


def test_a_refused_file_among_several_is_an_error_naming_it_and_saves_nothing(
    app: Flask, files_template: str
) -> None:
    summary = f"One wrong file {order_number()}"
    before = stored_files(app)
    body = posted(app, files_template, {"summary": summary})
    body.add("/files", (io.BytesIO(png("fine")), "fine.png", "image/png"))
    body.add("/files", (io.BytesIO(unique("text")), "notes.txt", "text/plain"))
    response = login(app.test_client(), "agent5").post(f"/tickets/new/{files_template}", data=body)
    assert response.status_code == 422
    error = re.search(r'id="tf--2f-files-err"[^>]*>([^<]*)<', response.text)
    assert error and error.group(1) == "notes.txt: Files of type text/plain are not accepted here."
    assert ticket_by_subject(app, summary) is None
    assert stored_files(app) == before
    # the refused file is not offered again; the accepted one is kept for the next try
    assert 'value="data:text/plain' not in response.text
    assert "<strong>fine.png</strong>" in response.text
