"""System values of a ticket given by a person or a client: requester, subject, priority.

Each parser adds messages to `errors` (JSON pointer → messages) and returns the clean value,
so the API and the agent pages report every problem at once, at the same pointers.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from app.pointers import escape
from app.tickets.models import Priority

SUBJECT_MAX = 300
REQUESTER_LIMITS = {"name": 200, "email": 254, "phone": 64}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def parse_text(
    errors: dict[str, list[str]], pointer: str, value: Any, limit: int, nullable: bool = False
) -> str | None:
    """Text of at most `limit` characters (None and a message at `pointer` otherwise).

    NUL characters and lone surrogates are refused too: PostgreSQL stores neither.
    """
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        errors[pointer] = ["Must be text" + (" or null." if nullable else ".")]
        return None
    if len(value) > limit:
        errors[pointer] = [f"Must be at most {limit} characters."]
        return None
    if "\x00" in value:
        errors[pointer] = [_("Must not contain NUL characters.")]
        return None
    if not _encodable(value):
        errors[pointer] = [_("Must not contain unpaired surrogates.")]
        return None
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_requester(errors: dict[str, list[str]], value: Any) -> dict[str, str | None]:
    """The requester members given (all optional; null clears one)."""
    if not isinstance(value, dict):
        errors["/requester"] = ["Must be an object with name, email and phone."]
        return {}
    out: dict[str, str | None] = {}
    for name, member in value.items():
        pointer = f"/requester/{escape(name)}"
        if name not in REQUESTER_LIMITS:
            errors[pointer] = ["Unknown member; use name, email, phone."]
            continue
        text = parse_text(errors, pointer, member, REQUESTER_LIMITS[name], nullable=True)
        if pointer in errors:
            continue
        text = text.strip() if text is not None else None
        if name == "email" and text and not EMAIL.match(text):
            errors[pointer] = ["Not a valid email address."]
            continue
        out[name] = text or None
    return out


def parse_subject(errors: dict[str, list[str]], value: Any) -> str | None:
    """A non-empty subject of at most SUBJECT_MAX characters."""
    text = parse_text(errors, "/subject", value, SUBJECT_MAX)
    if text is not None and not text.strip():
        errors["/subject"] = ["Must not be empty."]
        return None
    return text.strip() if text is not None else None


def parse_priority(errors: dict[str, list[str]], value: Any) -> str | None:
    """One of the Priority values."""
    if not isinstance(value, str) or value not in set(Priority):
        errors["/priority"] = [f"Must be one of: {', '.join(Priority)}."]
        return None
    return value
