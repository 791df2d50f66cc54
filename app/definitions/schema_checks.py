"""Checks of the JSON Schema inside a form-shaped definition (a field's or a template's `schema`).

A valid schema in its dialect (`playground.dialect`: the one it declares, draft-07 for the
playground's draft-07 spellings, else 2020-12) with safe patterns, `field:` references
inlined, every `$ref` resolvable and a form the compiler can build and render. Whether the
example fits is a warning (`playground.example_warnings`). Each function reports at pointers
under `base` (the schema's pointer in the body, `/schema`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from referencing import Registry
from referencing.exceptions import Unresolvable

from app.definitions.checked import Errors, LookupField
from app.definitions.errors import DefinitionInvalid
from app.definitions.patterns import pattern_problem
from app.definitions.playground import dialect, dialect_name, reference_resource
from app.pointers import pointer
from forms import FormCompileError, compile_form

FIELD_REF_PREFIX = "field:"


def walk(node: Any, path: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Every dict and list in `node`, with its path."""
    yield node, path
    if isinstance(node, dict):
        for name, child in node.items():
            if isinstance(child, (dict, list)):
                yield from walk(child, [*path, name])
    elif isinstance(node, list):
        for index, child in enumerate(node):
            if isinstance(child, (dict, list)):
                yield from walk(child, [*path, index])


def schema_errors(schema: Any, base: str) -> Errors:
    """Keyword values not valid in the schema's dialect, then patterns that are bad or unsafe."""
    errors: Errors = {}
    cls = dialect(schema)
    name = dialect_name(cls)
    for error in cls(cls.META_SCHEMA).iter_errors(schema):
        errors.setdefault(base + pointer(error.absolute_path), []).append(
            f"Not a valid JSON Schema {name} keyword value: {error.message}"
        )
    if errors:
        return errors
    for node, path in walk(schema, []):
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


def field_ref(node: Any) -> str | None:
    """The library field a schema node stands for (`{"$ref": "field:<key>"}`), or None."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith(FIELD_REF_PREFIX):
        return ref[len(FIELD_REF_PREFIX) :]
    return None


def referenced_fields(schema: Any) -> set[str]:
    """Keys of the library fields a schema uses through {"$ref": "field:<key>"}."""
    return {key for node, _ in walk(schema, []) if (key := field_ref(node)) is not None}


def field_ref_pointers(schema: Any, base: str) -> Iterator[str]:
    """The pointer of every `field:` reference in `schema`."""
    for node, path in walk(schema, []):
        if field_ref(node) is not None:
            yield base + pointer([*path, "$ref"])


def resolve_fields(
    schema: dict[str, Any], ui_schema: dict[str, Any], lookup_field: LookupField
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int], Errors]:
    """Inline every {"$ref": "field:k", ...siblings}: the field's schema, siblings win."""
    pins: dict[str, int] = {}
    errors: Errors = {}
    ui = json.loads(json.dumps(ui_schema))

    def resolve(node: Any, path: list[Any]) -> Any:
        if isinstance(node, list):
            return [resolve(child, [*path, i]) for i, child in enumerate(node)]
        if not isinstance(node, dict):
            return node
        key = field_ref(node)
        if key is not None:
            return inline(node, key, path)
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


def ref_errors(schema: dict[str, Any], base: str, prefix_len: int = 0) -> Errors:
    """Unresolvable $refs, and cycles of refs that never reach a real schema."""
    errors: Errors = {}
    resource = reference_resource(schema)
    uri = resource.id() or "urn:tessera:definition"
    registry: Registry[Any] = Registry().with_resource(uri, resource).crawl()
    root = registry.resolver(base_uri=uri)
    for node, path in walk(schema, []):
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


def compile_check(
    schema: dict[str, Any], ui: dict[str, Any], base: str, prefix_len: int = 0
) -> None:
    """Build and render the form; a compiler refusal raises at its schema pointer."""
    try:
        # Rendering too: a definition that compiles but cannot be shown must not be saved.
        # formdata=None: never read the body of whatever request is in progress.
        compile_form(schema, ui)(formdata=None, meta={"csrf": False}).render()
    except FormCompileError as exc:
        parts = [p for p in str(getattr(exc, "schema_path", "")).split("/") if p][prefix_len:]
        where = base + ("/" + "/".join(parts) if parts else "")
        raise DefinitionInvalid({where: [f"The form cannot be built: {exc.message}"]}) from exc

