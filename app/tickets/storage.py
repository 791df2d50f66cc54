"""Where attachment bytes live: a small interface, and the local-disk implementation.

Files are content-addressed (the key derives from their sha256), so the same file uploaded
twice is stored once. Limits are checked while streaming: an oversize upload is never kept.
Saving is two steps so that several files can be saved all-or-nothing: `stage` checks and
hashes a stream into a temporary place, `place` moves it under its key (`save` does both).
S3-compatible storage can implement `FileStorage` later.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from flask import Flask

from app.tickets.errors import AttachmentMissing, AttachmentTooLarge, AttachmentTypeNotAllowed

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "application/vnd.ms-excel",
        "message/rfc822",
    }
)
CHUNK = 64 * 1024
KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class StoredFile:
    """What storage knows about a saved file."""

    key: str
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class StagedFile:
    """An upload that passed the limits and is hashed, kept aside until it is placed."""

    stored: StoredFile
    # Where the backend keeps the bytes meanwhile (a temporary file for local disk).
    token: str


class FileStorage(Protocol):
    """Attachment storage: stage and place (or save) under limits, open and delete by key."""

    max_bytes: int
    allowed_types: frozenset[str]

    def stage(self, stream: IO[bytes], filename: str, content_type: str) -> StagedFile:
        """Check and hash the bytes aside; raise AttachmentTooLarge / AttachmentTypeNotAllowed."""
        ...

    def place(self, staged: StagedFile) -> bool:
        """Store staged bytes under their key; True when that key held nothing before."""
        ...

    def discard(self, staged: StagedFile) -> None:
        """Drop staged bytes that will not be placed."""
        ...

    def save(self, stream: BinaryIO, filename: str, content_type: str) -> StoredFile:
        """Stage and place in one step."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes (the caller closes); AttachmentMissing if gone."""
        ...

    def delete(self, key: str) -> None:
        """Remove the stored bytes (no error when already gone)."""
        ...


def clean_filename(filename: str) -> str:
    """A file name safe to store and show: no directories, no control characters, ≤ 255."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[-255:] or "file"


def check_type(filename: str, content_type: str, allowed: Collection[str]) -> str:
    """The normalized content type if allowed, for both the declared type and the extension."""
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared not in allowed:
        raise AttachmentTypeNotAllowed(f"Files of type {declared or '?'} are not allowed.")
    # A name like "invoice.html" declared as text/plain would be served as HTML by some
    # clients: the extension's type, when known, must be allowed too.
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed is not None and guessed not in allowed:
        # The name is left out: callers say which file, escaped for where they say it.
        raise AttachmentTypeNotAllowed(f"Files of type {guessed} are not allowed.")
    return declared


class LocalFileStorage:
    """Files on local disk under `root`, at `<sha256[:2]>/<sha256>`."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_types: Collection[str] = DEFAULT_TYPES,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.allowed_types = frozenset(t.lower() for t in allowed_types)

    def _path(self, key: str) -> Path:
        if not KEY.match(key):
            raise AttachmentMissing(f"Not a storage key: {key!r}.")
        return self.root / key

    def stage(self, stream: IO[bytes], filename: str, content_type: str) -> StagedFile:
        """Stream to a temporary file under `root` while hashing and counting."""
        declared = check_type(filename, content_type, self.allowed_types)
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AttachmentTooLarge(f"Files may be at most {self.max_bytes:,} bytes.")
                    digest.update(chunk)
                    tmp.write(chunk)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        sha = digest.hexdigest()
        stored = StoredFile(key=f"{sha[:2]}/{sha}", size=size, sha256=sha, content_type=declared)
        return StagedFile(stored=stored, token=tmp_name)

    def place(self, staged: StagedFile) -> bool:
        """Move the temporary file to `<sha256[:2]>/<sha256>` (atomic; equal bytes just stay)."""
        target = self._path(staged.stored.key)
        existed = target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.token, target)
        return not existed

    def discard(self, staged: StagedFile) -> None:
        """Remove the temporary file (fine if it was placed or is gone)."""
        Path(staged.token).unlink(missing_ok=True)

    def save(self, stream: BinaryIO, filename: str, content_type: str) -> StoredFile:
        """Stage, then place; nothing is left behind when either step fails."""
        staged = self.stage(stream, filename, content_type)
        try:
            self.place(staged)
        except BaseException:
            self.discard(staged)
            raise
        return staged.stored

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, opened for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise AttachmentMissing(f"No stored file {key!r}.") from exc

    def delete(self, key: str) -> None:
        """Remove the file; fine if it is already gone."""
        self._path(key).unlink(missing_ok=True)


def storage_for(app: Flask) -> FileStorage:
    """The app's attachment storage: `TESSERA_ATTACHMENT_*` settings, default instance/."""
    root = app.config.get("TESSERA_ATTACHMENT_ROOT") or Path(app.instance_path) / "attachments"
    return LocalFileStorage(
        root,
        max_bytes=int(app.config.get("TESSERA_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)),
        allowed_types=app.config.get("TESSERA_ATTACHMENT_TYPES") or DEFAULT_TYPES,
    )
