"""The OpenAPI side of the API: one `Error` schema, and the media types an endpoint documents.

Endpoints document their answers in their docstrings (FAB reads the YAML after `---`). An error
answer (4xx) that names no content gets the `Error` body here, so every documented error carries
the schema a client can decode; and `answers_errors` (app.api.body) refuses request bodies in
any media type other than the ones the docstring lists, so the spec and the code cannot drift.
"""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec, yaml_utils

ERROR = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR}"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Messages by JSON pointer (RFC 6901) into the request",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}


def add_error_schema(api_spec: APISpec) -> None:
    """Register the `Error` component once, however many APIs ask for it."""
    if ERROR not in api_spec.components.schemas:
        api_spec.components.schema(ERROR, ERROR_SCHEMA)


def with_error_bodies(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation with `Error` as the body of each 4xx answer that documents no content."""
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("4") and isinstance(response, dict) and "$ref" not in response:
            response.setdefault("content", copy.deepcopy(ERROR_CONTENT))
    return operation


# What `str.strip()` removes, spelt out: `\\s` means less in the ECMA-262 regexes of JSON Schema
# (and of clients) than in Python's, and the code refuses blank text by strip().
_WHITESPACE = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if c.isspace())
PATTERNS = {
    "$not_blank": f"[^{_WHITESPACE}]",
    "$email_or_blank": (
        f"^[{_WHITESPACE}]*([^@{_WHITESPACE}]+@[^@{_WHITESPACE}]+)?[{_WHITESPACE}]*$"
    ),
}
"""Patterns a docstring names (`pattern: $not_blank`) rather than spells out."""


def _patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: PATTERNS.get(value, value) if key == "pattern" else _patterns(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_patterns(item) for item in node]
    return node


def documented_operations(doc: str | None) -> dict[str, Any]:
    """The operations (by lower-case HTTP method) an endpoint's docstring documents."""
    return dict(_patterns(yaml_utils.load_operations_from_docstring(doc or "")))


def request_media_types(doc: str | None) -> dict[str, tuple[str, ...]]:
    """{HTTP method: media types its request body may come in}, for methods with a body."""
    found: dict[str, tuple[str, ...]] = {}
    for method, operation in documented_operations(doc).items():
        body = operation.get("requestBody") if isinstance(operation, dict) else None
        if isinstance(body, dict) and body.get("content"):
            found[method.upper()] = tuple(body["content"])
    return found
