"""Checking a condition schema: the 2020-12 meta-schema, refusals, and what forces a fall-back.

jsonschema's meta-schema check costs ~3-5 ms a schema (``$dynamicRef`` resolution on every
node), which would dominate compiling a routing table. ``quick_valid`` is a hand-written
check of the same meta-schema that is only trusted when it says *valid*; anything it doubts
goes through jsonschema's own meta-validator, which also words the errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator, validators

Node = dict[str, Any] | bool

# subschema positions that jsonschema 2020-12 evaluates, plus $defs (the reference targets)
SCHEMA_KEYWORDS = frozenset(
    {"items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not"}
    | {"unevaluatedItems", "unevaluatedProperties"}
)
MAP_KEYWORDS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs"})
LIST_KEYWORDS = frozenset({"prefixItems", "allOf", "anyOf", "oneOf"})
# keywords jsonschema acts on that are not compiled: the whole condition falls back
FALLBACK_KEYWORDS = frozenset({"unevaluatedProperties", "unevaluatedItems", "$dynamicRef"})

_FORMATS = Draft202012Validator.FORMAT_CHECKER
_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_ANCHOR = re.compile(r"^[A-Za-z_][-A-Za-z0-9._]*$")
_ID = re.compile(r"^[^#]*#?$")
_meta_validator: list[Draft202012Validator] = []  # built once, on first need


def escape(token: object) -> str:
    """One JSON-pointer token (``~`` → ``~0``, ``/`` → ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: Iterator[object] | Any) -> str:
    """A JSON pointer from path segments (``""`` for none)."""
    return "".join("/" + escape(token) for token in path)


# ---------------------------------------------------------------------------------------------
# the meta-schema, by hand


def _schema(value: Any) -> bool:
    if value is True or value is False:
        return True
    if not isinstance(value, dict):
        return False
    for key, item in value.items():
        check = META_KEYWORDS.get(key)
        if check is not None and not check(item):
            return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _non_negative_integer(value: Any) -> bool:
    integral = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )
    return integral and not value < 0


def _string_array(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(item, str) for item in value)
        and len(set(value)) == len(value)
    )


def _uri(value: Any) -> bool:
    return isinstance(value, str) and _FORMATS.conforms(value, "uri")


def _uri_reference(value: Any) -> bool:
    return isinstance(value, str) and _FORMATS.conforms(value, "uri-reference")


def _anchor(value: Any) -> bool:
    return isinstance(value, str) and _ANCHOR.search(value) is not None


def _regex(value: Any) -> bool:
    return isinstance(value, str) and _FORMATS.conforms(value, "regex")


def _type(value: Any) -> bool:
    if isinstance(value, str):
        return value in _SIMPLE_TYPES
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(item, str) and item in _SIMPLE_TYPES for item in value)
        and len(set(value)) == len(value)
    )


def _map_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and all(map(check, value.values()))


def _schema_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(map(_schema, value))


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _array(value: Any) -> bool:
    return isinstance(value, list)


def _anything(value: Any) -> bool:
    return True


META_KEYWORDS: dict[str, Callable[[Any], bool]] = {
    # core
    "$id": lambda v: _uri_reference(v) and _ID.search(v) is not None,
    "$schema": _uri,
    "$ref": _uri_reference,
    "$anchor": _anchor,
    "$dynamicRef": _uri_reference,
    "$dynamicAnchor": _anchor,
    "$vocabulary": lambda v: isinstance(v, dict)
    and all(map(_uri, v))
    and all(map(_boolean, v.values())),
    "$comment": _string,
    "$defs": _map_of(_schema),
    # applicator, unevaluated, content
    **dict.fromkeys(SCHEMA_KEYWORDS | {"contentSchema"}, _schema),
    **dict.fromkeys(LIST_KEYWORDS, _schema_list),
    "properties": _map_of(_schema),
    "dependentSchemas": _map_of(_schema),
    "patternProperties": lambda v: _map_of(_schema)(v) and all(map(_regex, v)),
    # validation
    "type": _type,
    "const": _anything,
    "enum": _array,
    "multipleOf": lambda v: _number(v) and not v <= 0,
    **dict.fromkeys(("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"), _number),
    **dict.fromkeys(
        ("maxLength", "minLength", "maxItems", "minItems", "maxContains", "minContains"),
        _non_negative_integer,
    ),
    "maxProperties": _non_negative_integer,
    "minProperties": _non_negative_integer,
    "pattern": _regex,
    "uniqueItems": _boolean,
    "required": _string_array,
    "dependentRequired": _map_of(_string_array),
    # meta-data, format-annotation, content
    **dict.fromkeys(("title", "description", "format", "contentEncoding"), _string),
    "contentMediaType": _string,
    "default": _anything,
    **dict.fromkeys(("deprecated", "readOnly", "writeOnly"), _boolean),
    "examples": _array,
    # the legacy keywords the 2020-12 meta-schema still constrains
    "definitions": _map_of(_schema),
    "dependencies": _map_of(lambda v: _schema(v) or _string_array(v)),
    "$recursiveAnchor": _anchor,
    "$recursiveRef": _uri_reference,
}


def quick_valid(schema: Any) -> bool:
    """True only if the 2020-12 meta-schema accepts ``schema`` (False: ask jsonschema)."""
    try:
        return _schema(schema)
    except RecursionError:
        return False


def meta_errors(schema: Any, pointer: str) -> dict[str, list[str]]:
    """jsonschema's meta-schema errors, by absolute pointer (with format checking, as
    ``Draft202012Validator.check_schema`` does)."""
    if not _meta_validator:
        _meta_validator.append(
            Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=_FORMATS)
        )
    errors: dict[str, list[str]] = {}
    for error in _meta_validator[0].iter_errors(schema):
        errors.setdefault(pointer + to_pointer(error.absolute_path), []).append(error.message)
    return errors


# ---------------------------------------------------------------------------------------------
# walking a (meta-valid) schema


Path = tuple[str | int, ...]


def subschemas(node: Any, path: Path = ()) -> Iterator[tuple[Any, Path]]:
    """``(subschema, path)`` for the node and every subschema jsonschema evaluates."""
    yield node, path
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in SCHEMA_KEYWORDS:
            yield from subschemas(value, (*path, key))
        elif key in MAP_KEYWORDS:
            for name, sub in value.items():
                yield from subschemas(sub, (*path, key, name))
        elif key in LIST_KEYWORDS:
            for index, sub in enumerate(value):
                yield from subschemas(sub, (*path, key, index))


def defs_pointer(ref: str) -> str | None:
    """The decoded JSON pointer of a ``#/$defs/...`` reference, else None."""
    pointer = unquote(ref[1:]) if ref.startswith("#") else ""
    return pointer if pointer.startswith("/$defs/") else None


def local_target(root: Any, ref: str) -> tuple[Any, str] | None:
    """The subschema a ``#/$defs/...`` reference names, with its pointer; None otherwise."""
    pointer = defs_pointer(ref)
    if pointer is None:
        return None
    node = root
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node, pointer


def _ref_problem(root: Any, ref: str, embedded: bool) -> str | None:
    if defs_pointer(ref) is None:
        return (
            f"{ref!r} is not a reference into #/$defs: a condition is self-contained and may "
            "only refer to its own $defs"
        )
    if embedded:  # jsonschema resolves it against the enclosing $id resource
        return None
    target = local_target(root, ref)
    if target is None:
        return f"{ref!r} names nothing in this condition"
    if not isinstance(target[0], dict | bool):
        return f"{ref!r} does not name a schema"
    return None


def _compile_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return str(exc)
    return None


def _refusals_of(
    root: Any, node: dict[str, Any], at: str, embedded: bool
) -> Iterator[tuple[str, str]]:
    ref = node.get("$ref")
    if isinstance(ref, str) and (problem := _ref_problem(root, ref, embedded)):
        yield f"{at}/$ref", problem
    if isinstance(node.get("pattern"), str) and (why := _compile_error(node["pattern"])):
        yield f"{at}/pattern", f"pattern does not compile as a Python regular expression: {why}"
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        for key in patterns:
            if why := _compile_error(key):
                yield f"{at}/patternProperties/{escape(key)}", (
                    f"pattern does not compile as a Python regular expression: {why}"
                )
        joined = "|".join(patterns)
        if "additionalProperties" in node and joined and (why := _compile_error(joined)):
            yield f"{at}/patternProperties", (
                "with additionalProperties the patterns are matched as one alternation "
                f"({joined!r}), which does not compile: {why}"
            )


_REFUSABLE = ("$ref", "pattern", "patternProperties")


def inspect(schema: Any, pointer: str) -> tuple[dict[str, list[str]], str | None]:
    """What a condition may not contain although the meta-schema allows it (by pointer), and
    why it must be left to jsonschema (None: it can be compiled)."""
    nodes = [(node, path) for node, path in subschemas(schema) if isinstance(node, dict)]
    embedded = any(path and "$id" in node for node, path in nodes)
    errors: dict[str, list[str]] = {}
    reason = None
    for node, path in nodes:
        if any(k in node for k in _REFUSABLE):
            at = pointer + to_pointer(path)
            for where, message in _refusals_of(schema, node, at, embedded):
                errors.setdefault(where, []).append(message)
        reason = reason or _fallback_of(node, path)
    return errors, reason


def _fallback_of(node: dict[str, Any], path: Path) -> str | None:
    why = None
    for keyword in FALLBACK_KEYWORDS.intersection(node):
        why = keyword
    if path and "$id" in node:
        why = "an embedded $id"
    elif path and "$schema" in node:
        if validators.validator_for(node, default=Draft202012Validator) is not (
            Draft202012Validator
        ):
            why = "another draft's $schema"
    if any(_has_nan(node[k]) for k in ("const", "enum") if k in node):
        why = "NaN in const or enum (jsonschema compares it by identity)"
    return None if why is None else f"{why} at {to_pointer(path) or '/'}"


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(map(_has_nan, value.values()))
    if isinstance(value, list):
        return any(map(_has_nan, value))
    return False
