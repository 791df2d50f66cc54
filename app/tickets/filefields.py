"""File fields (`format: data-url`, RJSF's file widget) kept in the attachment storage.

A ticket's data never holds a file's bytes. A file field's value is a reference string

    attachment:<attachment id>;name=<percent-encoded file name>

which keeps the field a JSON string (so the template's schema still holds) and carries what a
page needs to show it (the name) without a query. The bytes are an `Attachment` of the ticket,
downloaded through the ticket's own scoped route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

PREFIX = "attachment:"
_REF = re.compile(r"\Aattachment:([1-9][0-9]{0,17});name=([^;]*)\Z")


@dataclass(frozen=True)
class FileRef:
    """A file field's value read back: the attachment's id and the file's name."""

    attachment_id: int
    name: str


def format_ref(attachment_id: int, name: str) -> str:
    """The string a file field stores for attachment `attachment_id` named `name`."""
    return f"{PREFIX}{attachment_id};name={quote(name, safe='')}"


def parse_ref(value: object) -> FileRef | None:
    """The FileRef a stored value names, or None when it is not a file reference."""
    if not isinstance(value, str):
        return None
    found = _REF.match(value)
    if found is None:
        return None
    return FileRef(int(found.group(1)), unquote(found.group(2)))
