"""JSON pointers (RFC 6901) as the application writes and reads them: the one copy in `app/`.

A pointer is a string of `/`-prefixed tokens; inside a token `~` is written `~0` and `/` is
written `~1` (escape `~` first, unescape `~1` first, or `a~1b` and `a/b` become one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def escape(token: object) -> str:
    """One reference token: `~` → `~0`, `/` → `~1`."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The name a reference token stands for: `~1` → `/`, `~0` → `~`."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(parts: Iterable[object]) -> str:
    """The pointer of a path (`["a", 0, "b/c"]` → `/a/0/b~1c`); the root is ``""``."""
    return "".join("/" + escape(part) for part in parts)


def tokens(text: str) -> list[str]:
    """The unescaped tokens of a pointer (`/a/b~1c` → `["a", "b/c"]`); ``""`` → ``[]``."""
    if not text:
        return []
    if not text.startswith("/"):
        raise ValueError(f"A JSON pointer starts with '/': {text!r}")
    return [unescape(part) for part in text[1:].split("/")]


def resolve(document: Any, text: str, missing: Any = None) -> Any:
    """The value `text` points at in `document` (objects by name, arrays by index); `missing`
    when there is none."""
    value = document
    for token in tokens(text):
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return missing
    return value
