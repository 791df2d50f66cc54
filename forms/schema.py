"""Schema plumbing: `$ref` resolution, draft-7 upgrade and `allOf` merging.

External references go through ``resolver``: either a ``referencing.Registry`` (combined
with the schema's own resources) or a callable ``uri -> dict`` (a JSON Schema) used as the
registry's ``retrieve`` function. In-schema ``$defs``, ``definitions``, ``$anchor`` and
embedded ``$id`` resources resolve through the same registry the validator uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from jsonschema_specifications import REGISTRY as _SPECIFICATIONS
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012, SchemaRegistry

from forms.errors import FormCompileError, SchemaRefError
from forms.names import escape_token


class Resolved(Protocol):
    """What a resolver's lookup gives: the schema found, and the resolver scoped to it."""

    @property
    def contents(self) -> Any: ...

    @property
    def resolver(self) -> SchemaResolver: ...


class SchemaResolver(Protocol):
    """The part of `referencing`'s resolver the compiler uses (its class is not public)."""

    def lookup(self, ref: str) -> Resolved: ...

    def in_subresource(self, subresource: Resource[Any]) -> SchemaResolver: ...


JSON = Any
Schema = dict[str, Any] | bool
ExternalResolver = Registry[Any] | Callable[[str], Any] | None

MAX_REF_DEPTH = 4  # how many times one $ref may repeat on a path before we stop expanding

_DRAFT7_IDS = ("draft-07", "draft-06", "draft-04")


def build_registry(schema: Schema, resolver: ExternalResolver) -> tuple[SchemaRegistry, str]:
    """Return a registry holding ``schema`` (and what ``resolver`` offers) plus its base URI."""
    base = ""
    if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
        base = schema["$id"]
    root = DRAFT202012.create_resource(schema)
    registry: SchemaRegistry
    if resolver is None:
        registry = Registry()
    elif isinstance(resolver, Registry):
        registry = resolver
    elif callable(resolver):
        fetch = resolver

        def retrieve(uri: str) -> Resource[Any]:
            try:
                found = fetch(uri)
            except (KeyError, LookupError) as exc:
                raise NoSuchResource(ref=uri) from exc  # type: ignore[call-arg]
            if isinstance(found, Resource):
                return found
            if found is None:
                raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
            return DRAFT202012.create_resource(found)

        registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    else:
        raise FormCompileError("", "resolver must be a referencing.Registry or a callable")
    registry = registry.with_resource(base, root).crawl()
    return _SPECIFICATIONS.combine(registry), base


def lookup(resolver: SchemaResolver, ref: str, path: str) -> tuple[Schema, SchemaResolver]:
    """Resolve ``ref`` in the scope of ``resolver``; raise SchemaRefError when it cannot."""
    try:
        resolved = resolver.lookup(ref)
    except Unresolvable as exc:
        raise SchemaRefError(path, f"cannot resolve $ref {ref!r}") from exc
    contents = resolved.contents
    if not isinstance(contents, dict | bool):
        raise SchemaRefError(path, f"$ref {ref!r} does not point at a schema")
    return contents, resolved.resolver


def enter(resolver: SchemaResolver, schema: Mapping[str, Any]) -> SchemaResolver:
    """Return the resolver scoped to ``schema`` when it declares its own ``$id``."""
    if isinstance(schema.get("$id"), str):
        return resolver.in_subresource(DRAFT202012.create_resource(schema))
    return resolver


def is_draft7(schema: Schema) -> bool:
    """Tell whether the schema declares an older draft via ``$schema``."""
    declared = schema.get("$schema", "") if isinstance(schema, dict) else ""
    return isinstance(declared, str) and any(d in declared for d in _DRAFT7_IDS)


def upgrade(schema: JSON) -> JSON:
    """Rewrite draft-7 spellings (items arrays, additionalItems, dependencies) as 2020-12.

    Walks subschema positions only (never enum/const/default data or property names) and
    returns the very same objects where nothing changes.
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] | None = None

    def put(key: str, value: JSON) -> None:
        nonlocal out
        if value is not schema.get(key):
            out = dict(schema) if out is None else out
            out[key] = value

    for key in _SCHEMA_MAPS:
        value = schema.get(key)
        if isinstance(value, dict):
            mapped = {k: upgrade(v) for k, v in value.items()}
            if any(mapped[k] is not value[k] for k in value):
                put(key, mapped)
    for key in _SCHEMA_ONE:
        if key in schema:
            put(key, upgrade(schema[key]))
    for key in (*_SCHEMA_LISTS, "items"):
        value = schema.get(key)
        if isinstance(value, list):
            listed = [upgrade(v) for v in value]
            if any(a is not b for a, b in zip(listed, value, strict=True)):
                put(key, listed)
        elif key == "items" and value is not None:
            put(key, upgrade(value))
    deps = schema.get("dependencies")
    if isinstance(deps, dict):
        put("dependencies", {k: v if isinstance(v, list) else upgrade(v) for k, v in deps.items()})
    current = out if out is not None else schema
    if not _draft7_spelling(current):
        return current
    result = dict(current)
    items = result.get("items")
    if isinstance(items, list) and "prefixItems" not in result:
        result["prefixItems"] = items
        if "additionalItems" in result:
            result["items"] = result.pop("additionalItems")
        else:
            del result["items"]
    elif "additionalItems" in result and not isinstance(items, list):
        del result["additionalItems"]  # ignored without an items array, as in draft 7
    deps = result.pop("dependencies", None)
    if isinstance(deps, dict):
        dep_req = {k: v for k, v in deps.items() if isinstance(v, list)}
        dep_sch = {k: v for k, v in deps.items() if not isinstance(v, list)}
        if dep_req:
            result["dependentRequired"] = {**dep_req, **result.get("dependentRequired", {})}
        if dep_sch:
            result["dependentSchemas"] = {**dep_sch, **result.get("dependentSchemas", {})}
    elif deps is not None:
        result["dependencies"] = deps
    return result


def _draft7_spelling(schema: dict[str, Any]) -> bool:
    return (
        isinstance(schema.get("items"), list)
        or "additionalItems" in schema
        or isinstance(schema.get("dependencies"), dict)
    )


def merge_two(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge schema ``b`` into ``a`` (properties recursively, required united)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            props = dict(out[key])
            for name, sub in value.items():
                old = props.get(name)
                both = isinstance(old, dict) and isinstance(sub, dict)
                props[name] = merge_two(old, sub) if both else sub  # type: ignore[arg-type]
            out[key] = props
        elif key == "required" and isinstance(value, list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "type":
            out[key] = _intersect_types(out[key], value)
    return out


def _intersect_types(a: JSON, b: JSON) -> JSON:
    left = a if isinstance(a, list) else [a]
    right = b if isinstance(b, list) else [b]
    both = [t for t in left if t in right or (t == "number" and "integer" in right)]
    both += [t for t in right if t == "integer" and "number" in left and t not in both]
    if not both:
        return a
    return both[0] if len(both) == 1 else both


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = (
    "additionalProperties", "additionalItems", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties",
)  # fmt: skip
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def check_shape(schema: JSON, path: str = "") -> None:
    """Raise FormCompileError where a subschema is not an object or a boolean."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise FormCompileError(path, "a schema must be a JSON object or a boolean")
    for key in _SCHEMA_MAPS:
        value = schema.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise FormCompileError(f"{path}/{key}", f"{key} must be an object of schemas")
        for name, sub in value.items():
            check_shape(sub, f"{path}/{key}/{escape_token(name)}")
    for key in _SCHEMA_ONE:
        if key in schema:
            check_shape(schema[key], f"{path}/{key}")
    for key in _SCHEMA_LISTS:
        value = schema.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise FormCompileError(f"{path}/{key}", f"{key} must be a list of schemas")
        for i, sub in enumerate(value):
            check_shape(sub, f"{path}/{key}/{i}")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        _check_regex(pattern, f"{path}/pattern")
    for name in schema.get("patternProperties") or {}:
        _check_regex(name, f"{path}/patternProperties")
    items = schema.get("items")
    if isinstance(items, list):
        for i, sub in enumerate(items):
            check_shape(sub, f"{path}/items/{i}")
    elif items is not None:
        check_shape(items, f"{path}/items")
    deps = schema.get("dependencies")
    if isinstance(deps, dict):
        for name, sub in deps.items():
            if not isinstance(sub, list):
                check_shape(sub, f"{path}/dependencies/{escape_token(name)}")


def _check_regex(pattern: str, path: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        # jsonschema runs patterns with Python's re: it would fail on every submission
        raise FormCompileError(path, f"invalid regular expression {pattern!r}: {exc}") from exc
