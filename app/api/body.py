"""Reading API request bodies strictly: media type, then size, then JSON, then depth and text.

Shared by every API module. A body must come in a media type its endpoint documents (415; a
JSON body as application/json, whatever it looks like), is size-checked before it is read
(413), parsed strictly (400: not JSON, duplicate members, NaN/Infinity, not an object) and
walked for nesting deeper than 32 levels, NUL characters and lone surrogates (422; PostgreSQL
refuses those in JSON).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.spec import request_media_types
from app.errors import TesseraError
from app.limits import MAX_BODY_BYTES, MAX_DEPTH
from app.pointers import escape


class ApiError(TesseraError):
    """An answer other than success: status, message and optional pointer errors."""

    def __init__(
        self, status: int, message: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def invalid(errors: dict[str, list[str]]) -> ApiError:
    """422 with errors by JSON pointer."""
    return ApiError(422, "The request is invalid.", errors)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _float(text: str) -> float:
    # A literal beyond float range (1e400) reads as infinity; _scan reports it at its pointer.
    return float(text)


def unsupported(accepted: tuple[str, ...]) -> ApiError:
    """415 naming the media types the endpoint takes."""
    return ApiError(
        415,
        _("Send the request body as %(types)s.", types=" or ".join(accepted)),
    )


def check_media_type(accepted: tuple[str, ...]) -> None:
    """415 unless the body's Content-Type is one of `accepted` (parameters aside)."""
    if request.mimetype not in accepted:
        raise unsupported(accepted)


def check_size(max_bytes: int = MAX_BODY_BYTES) -> None:
    """413 when the declared body is too large (before anything else is looked at)."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise ApiError(413, f"The request body is larger than {max_bytes:,} bytes.")


def read_body(max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body as a JSON object, or ApiError (400, 413, 415, 422)."""
    check_media_type(("application/json",))
    check_size(max_bytes)
    try:
        raw = request.stream.read(max_bytes + 1)
    except RequestEntityTooLarge as exc:
        raise ApiError(413, "The request body is too large.") from exc
    if len(raw) > max_bytes:
        raise ApiError(413, f"The request body is larger than {max_bytes:,} bytes.")
    if not raw.strip():
        raise ApiError(400, "The request body must be a JSON object.")
    try:
        payload = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_members,
            parse_constant=_reject_constant,
            parse_float=_float,
        )
    except RecursionError as exc:
        raise invalid({"": [f"Nesting deeper than {MAX_DEPTH} levels."]}) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    problems = dict(_scan(payload))
    if problems:
        raise invalid(problems)
    return payload


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "Must not contain NUL characters."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Must not contain unpaired surrogates."
    return None


def _scan(document: Any) -> Iterator[tuple[str, list[str]]]:
    """(pointer, [message]) for nesting beyond MAX_DEPTH, and text and numbers (beyond float
    range) the databases refuse."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            yield pointer, [f"Nesting deeper than {MAX_DEPTH} levels."]
            return
        if isinstance(node, dict):
            for name, child in node.items():
                where = f"{pointer}/{escape(name)}"
                problem = _bad_text(name)
                if problem:
                    yield pointer or "", [f"A member name: {problem}"]
                    return
                stack.append((child, where, depth + 1))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                stack.append((child, f"{pointer}/{index}", depth + 1))
        elif isinstance(node, str):
            problem = _bad_text(node)
            if problem:
                yield pointer, [problem]
                return
        elif isinstance(node, float) and not math.isfinite(node):
            yield pointer, ["This number is beyond the range JSON numbers can be stored in."]
            return


def answers_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Check the body's media type, then answer the API's `handled_errors` as JSON.

    One place for every endpoint: a body comes in a media type the endpoint's docstring
    documents (415 otherwise), and a handled error rolls back (never leaving a half-done
    transaction behind), is answered through the API's `answer_error` and never becomes a 500.
    """
    media_types = request_media_types(method.__doc__)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            accepted = media_types.get(request.method)
            if accepted is not None:
                check_media_type(accepted)
            return method(self, *args, **kwargs)
        except self.handled_errors as exc:
            from app.extensions import db

            db.session.rollback()
            return self.answer_error(exc)

    return wrapper
