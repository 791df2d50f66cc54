"""File fields on the ticket pages: an upload becomes an attachment, the data a reference."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.tickets.filefields import FileRef, parse_ref
from app.tickets.models import Ticket
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
