"""Checks a definition document must pass before it is stored.

Pure: the store passes `lookup_field`, so nothing here touches the database. Every problem is
reported at a JSON pointer into the submitted body; all problems of a stage are reported
together (`DefinitionInvalid.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from app.definitions.errors import DefinitionInvalid
from app.definitions.filterable import settings_errors
from app.definitions.patterns import pattern_problem
from forms import FormCompileError, compile_form

MAX_BODY_BYTES = 1_000_000
MAX_PROPERTIES = 1_000
MAX_DEPTH = 32
FIELD_REF_PREFIX = "field:"
KINDS = ("field", "template")


@dataclass(frozen=True)
class FieldVersion:
    """What the store knows of a library field: its published version, if any."""

    key: str
    version: int | None  # None: the field exists only as drafts/retired versions
    body: dict[str, Any] | None


@dataclass
class Checked:
    """A definition that passed every check, with its resolved form."""

    kind: str
    key: str
    title: str
    body: dict[str, Any]
    schema: dict[str, Any]  # field refs inlined
    ui_schema: dict[str, Any]
    pins: dict[str, int] = field(default_factory=dict)


LookupField = Callable[[str], FieldVersion | None]


def pointer(parts: Any) -> str:
    """JSON pointer (RFC 6901) of a path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@cache
def meta_schema(kind: str) -> dict[str, Any]:
    """The meta-schema shipped for `kind`."""
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


def normalize(kind: str, key: str | None, body: Any) -> Any:
    """Accept the RJSF playground shape {schema, uiSchema, formData} for templates."""
    if kind == "template" and isinstance(body, dict) and "schema" in body:
        body = dict(body)
        if "key" not in body and key:
            body["key"] = key
        if "title" not in body:
            schema = body.get("schema")
            title = schema.get("title") if isinstance(schema, dict) else None
            body["title"] = title if isinstance(title, str) and title else body.get("key", key)
    return body


def check_definition(
    kind: str, body: Any, lookup_field: LookupField, key: str | None = None
) -> Checked:
    """Run every check on `body`; return the resolved definition or raise DefinitionInvalid."""
    if kind not in KINDS:
        raise DefinitionInvalid({"": [f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}."]})
    _check_limits(body)
    body = normalize(kind, key, body)
    _raise_if(_meta_errors(kind, body))
    if key is not None and body["key"] != key:
        raise DefinitionInvalid({"/key": [f"The key in the document must be {key!r}."]})
    schema = body["schema"]
    _raise_if(_schema_errors(schema, "/schema"))
    if kind == "field":
        nested = _field_refs(schema, "/schema")
        _raise_if({p: ["A field cannot use other library fields."] for p in nested})
        root = {"type": "object", "properties": {body["key"]: schema}}
        ui = {body["key"]: body.get("ui", {})}
        _raise_if(_ref_errors(root, "/schema", prefix_len=2))
        _compile(root, ui, "/schema", prefix_len=2)
        return Checked(kind, body["key"], body["title"], body, schema, body.get("ui", {}))
    resolved, ui, pins, errors = _resolve_fields(schema, body.get("uiSchema", {}), lookup_field)
    _raise_if(errors)
    _raise_if(_ref_errors(resolved, "/schema"))
    _raise_if(settings_errors(body.get("settings"), resolved))
    _compile(resolved, ui, "/schema")
    _raise_if(_example_errors(resolved, body.get("formData")))
    return Checked(kind, body["key"], body["title"], body, resolved, ui, pins)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise DefinitionInvalid(errors)


def _check_limits(body: Any) -> None:
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise DefinitionInvalid({"": [f"The document is {size:,} bytes; the limit is 1 MB."]})
    deep = _too_deep(body, [], 0)
    if deep is not None:
        raise DefinitionInvalid({pointer(deep): [f"Nesting deeper than {MAX_DEPTH} levels."]})
    count = sum(len(node["properties"]) for node, _ in _walk(body, []) if _props(node))
    if count > MAX_PROPERTIES:
        raise DefinitionInvalid(
            {"": [f"The document declares {count:,} properties; the limit is {MAX_PROPERTIES:,}."]}
        )


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


def _walk(node: Any, path: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Every dict and list in `node`, with its path."""
    yield node, path
    if isinstance(node, dict):
        for name, child in node.items():
            if isinstance(child, (dict, list)):
                yield from _walk(child, [*path, name])
    elif isinstance(node, list):
        for index, child in enumerate(node):
            if isinstance(child, (dict, list)):
                yield from _walk(child, [*path, index])


def _meta_errors(kind: str, body: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in _meta_validator(kind).iter_errors(body):
        errors.setdefault(pointer(error.absolute_path), []).append(error.message)
    return errors


def _schema_errors(schema: Any, base: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for error in meta.iter_errors(schema):
        errors.setdefault(base + pointer(error.absolute_path), []).append(
            f"Not a valid JSON Schema 2020-12 keyword value: {error.message}"
        )
    if errors:
        return errors
    for node, path in _walk(schema, []):
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("pattern"), str):
            problem = pattern_problem(node["pattern"])
            if problem:
                errors.setdefault(base + pointer([*path, "pattern"]), []).append(
                    f"The pattern {problem}."
                )
        if isinstance(node.get("patternProperties"), dict):
            for regex in node["patternProperties"]:
                problem = pattern_problem(regex)
                if problem:
                    errors.setdefault(
                        base + pointer([*path, "patternProperties", regex]), []
                    ).append(f"The property pattern {problem}.")
    return errors


def referenced_fields(schema: Any) -> set[str]:
    """Keys of the library fields a schema uses through {"$ref": "field:<key>"}."""
    return {
        node["$ref"][len(FIELD_REF_PREFIX) :]
        for node, _ in _walk(schema, [])
        if isinstance(node, dict)
        and isinstance(node.get("$ref"), str)
        and node["$ref"].startswith(FIELD_REF_PREFIX)
    }


def _field_refs(schema: Any, base: str) -> Iterator[str]:
    for node, path in _walk(schema, []):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith(FIELD_REF_PREFIX):
            yield base + pointer([*path, "$ref"])


def _resolve_fields(
    schema: dict[str, Any], ui_schema: dict[str, Any], lookup_field: LookupField
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int], dict[str, list[str]]]:
    """Inline every {"$ref": "field:k", ...siblings}: the field's schema, siblings win."""
    pins: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    ui = json.loads(json.dumps(ui_schema))

    def resolve(node: Any, path: list[Any]) -> Any:
        if isinstance(node, list):
            return [resolve(child, [*path, i]) for i, child in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(FIELD_REF_PREFIX):
            return inline(node, ref[len(FIELD_REF_PREFIX) :], path)
        return {name: resolve(child, [*path, name]) for name, child in node.items()}

    def inline(node: dict[str, Any], key: str, path: list[Any]) -> dict[str, Any]:
        where = "/schema" + pointer([*path, "$ref"])
        found = lookup_field(key)
        if found is None:
            errors.setdefault(where, []).append(f"There is no library field {key!r}.")
            return {}
        if found.version is None or found.body is None:
            errors.setdefault(where, []).append(
                f"The library field {key!r} has no published version; publish it first."
            )
            return {}
        pins[key] = found.version
        fragment = dict(found.body["schema"])
        if "$defs" in fragment or "$ref" in fragment:
            fragment["$id"] = f"urn:tessera:field:{key}:{found.version}"
        siblings = {k: resolve(v, [*path, k]) for k, v in node.items() if k != "$ref"}
        _merge_ui(ui, _ui_path(path), found.body.get("ui") or {})
        return {**fragment, **siblings}

    resolved = resolve(schema, [])
    return resolved, ui, pins, errors


def _ui_path(schema_path: list[Any]) -> list[str] | None:
    """Where the uiSchema entry of a schema location lives (properties/x → x, items → items)."""
    ui: list[str] = []
    index = 0
    while index < len(schema_path):
        part = schema_path[index]
        if part == "properties" and index + 1 < len(schema_path):
            ui.append(str(schema_path[index + 1]))
            index += 2
        elif part in ("items", "additionalProperties"):
            ui.append(str(part))
            index += 1
        else:
            return None
    return ui


def _merge_ui(ui: dict[str, Any], path: list[str] | None, defaults: dict[str, Any]) -> None:
    if path is None or not defaults:
        return
    node = ui
    for part in path:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return
    for name, value in defaults.items():
        node.setdefault(name, value)  # the template's own entries win


def _ref_errors(schema: dict[str, Any], base: str, prefix_len: int = 0) -> dict[str, list[str]]:
    """Unresolvable $refs, and cycles of refs that never reach a real schema."""
    errors: dict[str, list[str]] = {}
    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    uri = resource.id() or "urn:tessera:definition"
    registry: Registry[Any] = Registry().with_resource(uri, resource).crawl()
    root = registry.resolver(base_uri=uri)
    for node, path in _walk(schema, []):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            continue
        where = base + pointer([*path[prefix_len:], "$ref"])
        try:
            _follow(root, ref, [])
        except Unresolvable:
            errors.setdefault(where, []).append(f"The reference {ref!r} cannot be resolved.")
        except _CyclicRef as exc:
            errors.setdefault(where, []).append(
                f"The reference {ref!r} is cyclic ({' → '.join(exc.chain)}) and never reaches "
                "a schema."
            )
    return errors


class _CyclicRef(Exception):
    def __init__(self, chain: list[str]) -> None:
        self.chain = chain


def _follow(resolver: Any, ref: str, chain: list[str]) -> None:
    if ref in chain:
        raise _CyclicRef([*chain, ref])
    resolved = resolver.lookup(ref)
    contents = resolved.contents
    if isinstance(contents, dict) and set(contents) <= {"$ref", "$id", "$comment", "title"}:
        nested = contents.get("$ref")
        if isinstance(nested, str):
            _follow(resolved.resolver, nested, [*chain, ref])


def _compile(schema: dict[str, Any], ui: dict[str, Any], base: str, prefix_len: int = 0) -> None:
    try:
        # Rendering too: a definition that compiles but cannot be shown must not be saved.
        # formdata=None: never read the body of whatever request is in progress.
        compile_form(schema, ui)(formdata=None, meta={"csrf": False}).render()
    except FormCompileError as exc:
        parts = [p for p in str(getattr(exc, "schema_path", "")).split("/") if p][prefix_len:]
        where = base + ("/" + "/".join(parts) if parts else "")
        raise DefinitionInvalid({where: [f"The form cannot be built: {exc.message}"]}) from exc


def _example_errors(schema: dict[str, Any], example: Any) -> dict[str, list[str]]:
    if example is None:
        return {}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(example):
        errors.setdefault("/formData" + pointer(error.absolute_path), []).append(error.message)
    return errors
