"""Uploads follow their rows: staged before anything is written, placed just before the commit.

Every upload is checked (size, type) and hashed into a temporary file before a row is written;
`files_follow_rows` places the staged files just before the caller commits and, when the unit
of work fails, discards what was staged and removes the bytes it added, unless a committed row
already points to the same (content-addressed) bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.tickets.errors import AttachmentRejected, AttachmentTooLarge, TicketInvalid
from app.tickets.models import Attachment
from app.tickets.storage import FileStorage, StagedFile, clean_filename

Staged = tuple[str, StagedFile]  # (clean file name, staged bytes)


@dataclass(frozen=True)
class Upload:
    """A file to attach as the client sent it: the stream, its name and declared type."""

    stream: IO[bytes]
    filename: str
    content_type: str


def stage_uploads(
    uploads: Sequence[Upload], storage: FileStorage | None, at: Sequence[str] | None = None
) -> list[Staged]:
    """(clean name, staged file) per upload; TicketInvalid naming every refused file.

    Nothing stays staged when one file is refused. The status is 413 when a file is too large,
    422 otherwise; each message starts with the file's (clean) name, at the upload's pointer:
    `at[index]`, else `/files/<index>`.
    """
    if uploads and storage is None:
        raise ValueError("Uploads need a storage.")
    if at is not None and len(at) != len(uploads):
        raise ValueError("One pointer per upload.")
    staged: list[Staged] = []
    errors: dict[str, list[str]] = {}
    too_large = False
    for index, upload in enumerate(uploads):
        assert storage is not None
        name = clean_filename(upload.filename)
        try:
            staged.append((name, storage.stage(upload.stream, name, upload.content_type)))
        except AttachmentRejected as exc:
            errors[at[index] if at is not None else f"/files/{index}"] = [f"{name}: {exc}"]
            too_large = too_large or isinstance(exc, AttachmentTooLarge)
        except BaseException:
            discard(storage, staged)
            raise
    if errors:
        discard(storage, staged)
        refused = TicketInvalid(errors)
        refused.status = 413 if too_large else 422
        raise refused
    return staged


def discard(storage: FileStorage | None, staged: Sequence[Staged]) -> None:
    """Drop staged files that were never placed."""
    for _, item in staged:
        assert storage is not None
        storage.discard(item)


@contextmanager
def files_follow_rows(
    s: Session, storage: FileStorage | None, staged: Sequence[Staged]
) -> Iterator[Callable[[], None]]:
    """Yield `place()`, to call just before the commit; undo rows and new files on failure."""
    placed: list[StagedFile] = []
    added: list[str] = []

    def place() -> None:
        for _, item in staged:
            assert storage is not None
            if storage.place(item):
                added.append(item.stored.key)
            placed.append(item)

    try:
        yield place
    except BaseException:
        s.rollback()
        discard(storage, [(name, item) for name, item in staged if item not in placed])
        _remove_unreferenced(s, storage, added)
        raise


def _remove_unreferenced(s: Session, storage: FileStorage | None, keys: Sequence[str]) -> None:
    """Delete bytes this transaction added that no committed row points to.

    A concurrent upload of the very same bytes that commits after this check would lose its
    file (it answers 404 on download); that needs equal bytes, a concurrent failing commit
    and this exact moment. When the check itself fails the bytes stay: an unused file is
    harmless, a missing one is not.
    """
    if not keys or storage is None:
        return
    try:
        used = set(
            s.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys)))
        )
        s.rollback()
    except Exception:
        s.rollback()
        return
    for key in keys:
        if key not in used:
            storage.delete(key)


def attachment_row(
    ticket_id: int,
    name: str,
    staged: StagedFile,
    comment_id: int | None,
    uploaded_by_id: int | None,
) -> Attachment:
    """The attachment row of a staged file (not yet added to a session)."""
    stored = staged.stored
    return Attachment(
        ticket_id=ticket_id,
        comment_id=comment_id,
        filename=name,
        content_type=stored.content_type,
        size=stored.size,
        storage_key=stored.key,
        sha256=stored.sha256,
        uploaded_by_id=uploaded_by_id,
        created_at=utcnow(),
    )
