"""Checks a definition document must pass before it is stored, and again before it is published.

Pure: the store passes the lookups (`lookup_field`, and `PublishLookups` when publishing), so
nothing here touches the database. Every problem is reported at a JSON pointer into the
submitted body; all problems of a stage are reported together (`DefinitionInvalid.errors`).

Every kind goes through the same stages: size and depth limits, text and numbers JSON and
PostgreSQL can store, the kind's normalization, its meta-schema (`schemas/<kind>.json`, or the
one its engine ships: `workflows/schemas/workflow.json`) and the key; then its own checks from
`kinds.CHECKERS`.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.definitions.checked import Checked, Errors, LookupField, PublishLookups, raise_if
from app.definitions.checked import FieldVersion as FieldVersion  # what lookups answer
from app.definitions.errors import DefinitionInvalid
from app.definitions.kinds import CHECKERS
from app.definitions.schema_checks import walk
from app.limits import MAX_BODY_BYTES, MAX_DEPTH
from app.pointers import pointer

MAX_PROPERTIES = 1_000
KINDS = tuple(CHECKERS)


@cache
def meta_schema(kind: str) -> dict[str, Any]:
    """The meta-schema shipped for `kind` (with the app, or with the kind's engine)."""
    shipped = CHECKERS[kind].meta_schema if kind in CHECKERS else None
    if shipped is not None:
        return dict(shipped())
    text = resources.files("app.definitions").joinpath(f"schemas/{kind}.json").read_text("utf-8")
    return dict(json.loads(text))


@cache
def _meta_validator(kind: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (f"https://tessera.example/meta/{k}.json", DRAFT202012.create_resource(meta_schema(k)))
        for k in KINDS
    )
    return Draft202012Validator(meta_schema(kind), registry=registry)


def parse_json(text: str | bytes) -> Any:
    """Parse a submitted document; not-JSON becomes an error at the root."""
    if len(text) > MAX_BODY_BYTES:
        raise DefinitionInvalid({"": [f"The document is larger than {MAX_BODY_BYTES:,} bytes."]})
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_members)
    except _DuplicateMember as exc:
        raise DefinitionInvalid({"": [str(exc)]}) from exc
    except (ValueError, RecursionError) as exc:
        raise DefinitionInvalid({"": [f"Not valid JSON: {exc}"]}) from exc


class _DuplicateMember(ValueError):
    """The same member name twice in one JSON object (the last would silently win)."""


def _no_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateMember(
                f"Duplicate key {name!r}: a JSON object names it twice (next to "
                f"{', '.join(repr(n) for n in list(result)[:3])})."
            )
        result[name] = value
    return result


def check_definition(
    kind: str,
    body: Any,
    lookup_field: LookupField,
    key: str | None = None,
    publish: PublishLookups | None = None,
) -> Checked:
    """Run every check on `body` (with `publish`, also those a published version must pass).

    Returns the resolved definition or raises DefinitionInvalid.
    """
    checker = CHECKERS.get(kind)
    if checker is None:
        raise DefinitionInvalid({"": [f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}."]})
    _check_limits(body)
    raise_if({**storable_errors(body), **storable_errors(key, "/key")})
    body = checker.normalize(key, body)
    raise_if(_meta_errors(kind, body))
    if key is not None and body["key"] != key:
        raise DefinitionInvalid({"/key": [f"The key in the document must be {key!r}."]})
    checked = checker.check(body, lookup_field)
    if publish is not None:
        raise_if(checker.publish(checked, publish))
    return checked


def _check_limits(body: Any) -> None:
    # surrogatepass: lone surrogates are counted here and refused by the next stage.
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise DefinitionInvalid({"": [f"The document is {size:,} bytes; the limit is 1 MB."]})
    deep = _too_deep(body, [], 0)
    if deep is not None:
        raise DefinitionInvalid({pointer(deep): [f"Nesting deeper than {MAX_DEPTH} levels."]})
    count = sum(len(node["properties"]) for node, _path in walk(body, []) if _props(node))
    if count > MAX_PROPERTIES:
        raise DefinitionInvalid(
            {"": [f"The document declares {count:,} properties; the limit is {MAX_PROPERTIES:,}."]}
        )


def storable_errors(value: Any, base: str = "") -> Errors:
    """Where `value` holds what JSON or PostgreSQL cannot store: NUL, lone surrogates, ±inf, NaN.

    Python's `json` reads `"\\u0000"`, `"\\ud800"`, `1e400` and `NaN` without complaint;
    PostgreSQL refuses NUL in text and JSONB, UTF-8 has no lone surrogates, JSON no Infinity.
    A bad member name is reported at its object (the name itself may not be printable).
    """
    errors: Errors = {}
    stack: list[tuple[Any, list[Any]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for name, child in node.items():
                problem = _text_problem(name)
                if problem:
                    message = _(
                        "The member name %(name)s: %(problem)s", name=ascii(name), problem=problem
                    )
                    errors.setdefault(base + pointer(path), []).append(message)
                else:
                    stack.append((child, [*path, name]))
        elif isinstance(node, list):
            stack.extend((child, [*path, index]) for index, child in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            errors.setdefault(base + pointer(path), []).append(
                _("Must be a finite number: JSON has no Infinity or NaN (1e400 reads as Infinity).")
            )
        elif isinstance(node, str):
            problem = _text_problem(node)
            if problem:
                errors.setdefault(base + pointer(path), []).append(problem)
    return dict(sorted(errors.items()))


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("Must not contain NUL characters (\\u0000): they cannot be stored.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Must not contain lone surrogates (\\ud800–\\udfff): they are not text.")
    return None


def _props(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("properties"), dict)


def _too_deep(node: Any, path: list[Any], depth: int) -> list[Any] | None:
    if depth > MAX_DEPTH:
        return path
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for name, child in items:
        found = _too_deep(child, [*path, name], depth + 1)
        if found is not None:
            return found
    return None


def _meta_errors(kind: str, body: Any) -> Errors:
    errors: Errors = {}
    for error in _meta_validator(kind).iter_errors(body):
        errors.setdefault(pointer(error.absolute_path), []).append(error.message)
    return errors
