"""Rendering notification subjects and bodies: Jinja in a sandbox, plain text, never failing.

Templates come from workflow definitions, so they run in an `ImmutableSandboxedEnvironment`
(a `SandboxedEnvironment` that also refuses to change lists and dicts): attributes starting
with an underscore and Python internals read as undefined, and calling them raises
`SecurityError`. Undefined names render empty (`ChainableUndefined`: `{{ a.b.c }}` too).
Huge `*` and `**` results are refused, and the output is cut at a fixed length. A template
that fails (a syntax error, a refused operation, any exception) falls back to the default of
its event, and the failure is logged.
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.notifications.templates import default_for

logger = logging.getLogger(__name__)

SUBJECT_MAX = 300  # Notification.subject and MailMessage.subject are String(300)
BODY_MAX = 20_000
MAX_REPEAT = 10_000  # longest str/list a template may build with `*`
MAX_EXPONENT = 64


class TextSandbox(ImmutableSandboxedEnvironment):
    """The sandbox for plain-text templates, with `*` and `**` kept small."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        """`left op right`, refusing repetitions and powers that would exhaust memory."""
        if op == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
            return operator.pow(left, right)
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                if len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"a repetition longer than {MAX_REPEAT} items")
        return operator.mul(left, right)


def _environment() -> TextSandbox:
    env = TextSandbox(
        autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=False
    )
    # Only the harmless helpers: no lipsum (it builds text of any size on request).
    env.globals = {
        name: env.globals[name] for name in ("range", "dict", "namespace", "joiner", "cycler")
    }
    return env


ENV = _environment()


@functools.lru_cache(maxsize=256)
def compiled(source: str) -> Template:
    """The template of `source` (cached: the same workflow text compiles once per process)."""
    return ENV.from_string(source)


def render_text(source: str, context: Mapping[str, Any], limit: int) -> str:
    """`source` rendered with `context`, at most `limit` characters; raises on failure."""
    pieces: list[str] = []
    size = 0
    for piece in compiled(source).generate(dict(context)):
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            break
    return "".join(pieces)[:limit]


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces: a safe mail header."""
    return " ".join(text.split())


def _render_or_default(
    source: str | None, default: str, context: Mapping[str, Any], limit: int, what: str
) -> str:
    if source is not None:
        try:
            return render_text(source, context, limit)
        except Exception as exc:  # any failure of a definition's template: use the default
            logger.warning(
                "notification %s template for %s failed (%s: %s); the default is used",
                what, context.get("event"), type(exc).__name__, exc,
            )
    return render_text(default, context, limit)


def render(
    event: str, context: Mapping[str, Any], subject: str | None, message: str | None
) -> tuple[str, str]:
    """(subject, body) for `event`: the given templates, else (or on failure) the defaults."""
    default_subject, default_body = default_for(event)
    title = one_line(
        _render_or_default(subject, default_subject, context, SUBJECT_MAX * 4, "subject")
    )
    if not title:
        title = one_line(render_text(default_subject, context, SUBJECT_MAX * 4))
    body = _render_or_default(message, default_body, context, BODY_MAX, "message")
    return _cut(title, SUBJECT_MAX), body.strip("\n")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
