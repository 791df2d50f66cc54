"""Comments with files, as the agent pages and the API take them in and hand them out.

Shared by `app.views.tickets` and `app.api.tickets`: the comment text check, uploads read from
a request, the scoped attachment lookup (an attachment is found only through a ticket the user
may see, and only on that ticket) and the download response.

A download is always `Content-Disposition: attachment` with the stored type, `nosniff` and a
sandboxing Content-Security-Policy, so an uploaded HTML or SVG file never runs as a page of
the app's origin even if a browser were asked to show it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response, send_file
from sqlalchemy import select
from werkzeug.datastructures import FileStorage as UploadedFile

from app.extensions import db
from app.limits import MAX_ID
from app.tickets.access import readable_ticket
from app.tickets.errors import TicketNotFound
from app.tickets.models import Attachment
from app.tickets.service import Upload
from app.tickets.storage import FileStorage, clean_filename

MAX_COMMENT_CHARS = 50_000
# Headers of every download: no sniffing, no scripts, no embedding elsewhere, no shared caches.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}
# RFC 5987 attr-char, besides letters and digits.
_ATTR_CHARS = "!#$&+-.^_`|~"
_FALLBACK_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-()+,=@")


def body_errors(body: str) -> list[str]:
    """What is wrong with a comment's text (empty text is allowed: files may stand alone)."""
    if len(body) > MAX_COMMENT_CHARS:
        return [f"Must be at most {MAX_COMMENT_CHARS} characters."]
    if "\x00" in body:
        return ["Must not contain NUL characters."]
    return []


def uploads_from(files: Iterable[UploadedFile]) -> list[Upload]:
    """The chosen files of a multipart request; an empty file input sends a nameless part."""
    return [
        Upload(stream=f.stream, filename=f.filename, content_type=f.mimetype or "")
        for f in files
        if f.filename
    ]


def ticket_attachments(ticket_id: int) -> list[Attachment]:
    """Every attachment of a ticket, oldest first (one query)."""
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
    )


def by_comment(attachments: Sequence[Attachment]) -> dict[int | None, list[Attachment]]:
    """Attachments grouped by the comment they came with (None: on the ticket itself)."""
    grouped: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        grouped.setdefault(attachment.comment_id, []).append(attachment)
    return grouped


def visible_attachment(ticket_id: int, attachment_id: int) -> Attachment:
    """The attachment if it belongs to that ticket and the user may read the ticket.

    TicketNotFound otherwise, whether the ticket is out of scope, missing, or the attachment
    belongs to another ticket.
    """
    readable_ticket(ticket_id)
    found = None
    if 1 <= attachment_id <= MAX_ID:
        found = db.session.scalar(
            select(Attachment).where(
                Attachment.id == attachment_id, Attachment.ticket_id == ticket_id
            )
        )
    if found is None:
        raise TicketNotFound(f"No attachment {attachment_id} on ticket {ticket_id}.")
    return found


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` and, for other names, an RFC 5987 `filename*`."""
    name = clean_filename(filename)
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    fallback = "".join(ch if ch in _FALLBACK_CHARS else "_" for ch in plain)
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return value


def download_response(attachment: Attachment, storage: FileStorage) -> Response:
    """The stored bytes as a download (AttachmentMissing when storage has lost them)."""
    handle = storage.open(attachment.storage_key)
    response = send_file(
        handle,
        mimetype=attachment.content_type,
        etag=attachment.sha256,
        last_modified=attachment.created_at,
        conditional=True,
    )
    if response.status_code == 200:
        response.content_length = attachment.size
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers.update(DOWNLOAD_HEADERS)
    return response


def human_size(size: int) -> str:
    """1023 bytes, 1.5 KB, 12.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
