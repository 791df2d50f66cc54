"""Posted field names, JSON pointers and HTML ids.

Name scheme: every input's HTML ``name`` is the JSON pointer (RFC 6901) of the value it
edits (``/contact/email``, ``/items/0/qty``); the root value itself is named ``$``.
Keys that are not values use a ``~`` followed by a letter, which can never occur in a
JSON pointer (``~`` is always escaped as ``~0`` or ``~1`` there):

* ``<ptr>/~r`` - one hidden input per array row (value: row key), keeps row order;
* ``<ptr>/~s`` - the same for the spare blank row rendered for browsers without
  JavaScript (the script removes it); a spare row left as rendered is no item;
* ``<ptr>/~k<row>`` / ``<ptr>/~v<row>`` - key and value of an extra-property row;
* ``<ptr>/~c`` - selected alternative of a oneOf/anyOf selector;
* ``<ptr>/~b<n>`` - prefix of the inputs of alternative ``n``;
* ``~e`` - empty-state hints (see ``forms.codec``).

None of these collide with each other, with any property name or with ``csrf_token``.
"""

from __future__ import annotations

import re

ROOT_NAME = "$"
HINT_KEY = "~e"
ROWS = "/~r"
SPARE = "/~s"
SELECTOR = "/~c"

_ID_SAFE = re.compile(r"[A-Za-z0-9_]")


def escape_token(key: str) -> str:
    """Escape one property name as a JSON pointer reference token."""
    if "~" in key or "/" in key:
        return key.replace("~", "~0").replace("/", "~1")
    return key


def unescape_token(token: str) -> str:
    """Undo ``escape_token``."""
    return token.replace("~1", "/").replace("~0", "~")


def join(pointer: str, key: str | int) -> str:
    """Return the pointer of ``key`` inside the value at ``pointer``."""
    return f"{pointer}/{escape_token(key) if isinstance(key, str) else key}"


def pointer_of(path: object) -> str:
    """Turn a path (iterable of keys and indexes) into a JSON pointer."""
    return "".join(join("", part) for part in path)  # type: ignore[attr-defined]


def input_name(name: str) -> str:
    """Return the posted key for a value name (the root value is ``$``)."""
    return name or ROOT_NAME


def html_id(name: str) -> str:
    """Return a valid, unique HTML id for a posted name (injective escaping)."""
    out = ["tf-"]
    for ch in name:
        out.append(ch if _ID_SAFE.match(ch) else f"-{ord(ch):x}-")
    return "".join(out)
