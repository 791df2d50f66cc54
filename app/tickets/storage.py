"""Where attachment bytes live: a small interface, and the local-disk implementation.

Files are content-addressed (the key derives from their sha256), so the same file uploaded
twice is stored once. Limits are checked while streaming: an oversize upload is never kept.
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
from typing import BinaryIO, Protocol

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
KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredFile:
    """What storage knows about a saved file."""

    key: str
    size: int
    sha256: str
    content_type: str


class FileStorage(Protocol):
    """Attachment storage: save a stream under limits, open and delete by key."""

    def save(self, stream: BinaryIO, filename: str, content_type: str) -> StoredFile:
        """Store the bytes; raise AttachmentTooLarge / AttachmentTypeNotAllowed."""
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
        raise AttachmentTypeNotAllowed(f"Files like {filename!r} ({guessed}) are not allowed.")
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

    def save(self, stream: BinaryIO, filename: str, content_type: str) -> StoredFile:
        """Stream to a temporary file while hashing and counting, then move it into place."""
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
            sha = digest.hexdigest()
            key = f"{sha[:2]}/{sha}"
            target = self._path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)  # atomic; an identical file simply stays
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=sha, content_type=declared)

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
        allowed_types=app.config.get("TESSERA_ATTACHMENT_TYPES", DEFAULT_TYPES),
    )
