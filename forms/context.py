"""What every converter shares: the compile context, `$ref`/`allOf` expansion, schema readings.

The converters of scalars (``forms.converters``) and of structure (``forms.structure``) both
build on this module and never on each other: a converter reaches a subschema through
``ctx.convert`` (the recursive descent, handed to the context by whoever starts it), the way
jsonschema's keyword functions reach subschemas through ``validator.descend``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema.protocols import Validator

from forms import schema as schemas
from forms.errors import FormCompileError
from forms.nodes import Node, dumps
from forms.schema import SchemaResolver

Schema = dict[str, Any]
Converter = Callable[[Schema, dict[str, Any], str, "Context", SchemaResolver], Node]
Descent = Callable[[Any, Any, str, "Context", SchemaResolver], Node]
Choices = tuple[list[Any], list[str]]

_OBJECT_HINTS = (
    "properties", "required", "additionalProperties", "patternProperties", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "propertyNames",
)  # fmt: skip
_ARRAY_HINTS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains")
_STRING_HINTS = ("minLength", "maxLength", "pattern", "format", "contentMediaType")
_NUMBER_HINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


class Context:
    """What every converter needs: the descent, scope, warnings, validators, recursion guard."""

    def __init__(self, validator: Validator, descent: Descent) -> None:
        self.validator = validator
        self.descent = descent
        self.warnings: list[str] = []
        self.refs: list[str] = []
        self.scopes: list[SchemaResolver] = []
        self.depth = 0

    def convert(self, schema: Any, ui: Any, path: str, resolver: SchemaResolver) -> Node:
        """Build the node of a subschema (``$ref`` resolved, ``allOf`` merged first)."""
        return self.descent(schema, ui, path, self, resolver)

    def test(self, schema: Any, resolver: SchemaResolver) -> Callable[[Any], bool]:
        """A predicate: does a value satisfy ``schema`` (resolved in ``resolver``'s scope)?"""
        checker = self.validator.evolve(schema=schema, _resolver=resolver)

        def test(value: Any) -> bool:
            try:
                return bool(checker.is_valid(value))
            except Exception:  # noqa: BLE001 - an unresolvable ref in a UI hint: not a match
                return False

        return test

    def warn(self, message: str) -> None:
        """Record a problem that does not stop compilation (unknown widgets...)."""
        if message not in self.warnings:
            self.warnings.append(message)


def expand(
    schema: Schema, path: str, ctx: Context, resolver: SchemaResolver
) -> tuple[Schema | None, SchemaResolver, int]:
    """Resolve ``$ref`` chains and merge ``allOf``; None once recursion hits the bound.

    Returns the schema, the resolver of its scope and how many refs it pushed on
    ``ctx.refs`` (the caller pops them when it leaves the subschema).
    """
    pushed = 0
    while "$ref" in schema or "$dynamicRef" in schema:
        ref = schema.get("$ref", schema.get("$dynamicRef"))
        if not isinstance(ref, str):
            raise FormCompileError(path, "$ref must be a string")
        uri = ref
        if ctx.refs.count(uri) >= schemas.MAX_REF_DEPTH:
            return None, resolver, pushed
        target, resolver = _lookup(resolver, ref, path, ctx)
        ctx.refs.append(uri)
        pushed += 1
        siblings = {k: v for k, v in schema.items() if k not in ("$ref", "$dynamicRef")}
        if not isinstance(target, dict):
            target = {} if target else {"not": {}}
        schema = schemas.merge_two(siblings, target) if siblings else target
    if isinstance(schema.get("allOf"), list):
        parts = []
        for i, part in enumerate(schema["allOf"]):
            if isinstance(part, dict):
                expanded, part_resolver, more = expand(part, f"{path}/allOf/{i}", ctx, resolver)
                pushed += more
                if part_resolver is not resolver and part_resolver not in ctx.scopes:
                    ctx.scopes.append(part_resolver)  # merged parts keep their $ref scope
                if expanded is not None:
                    parts.append(expanded)
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            merged = schemas.merge_two(merged, part)
        merged["x-tessera-parts"] = [schema, *parts]
        schema = merged
    return schema, resolver, pushed


def _lookup(
    resolver: SchemaResolver, ref: str, path: str, ctx: Context
) -> tuple[Any, SchemaResolver]:
    """Resolve in the current scope, then in the scopes of merged allOf parts."""
    try:
        return schemas.lookup(resolver, ref, path)
    except FormCompileError:
        if not ref.startswith("#") or not ctx.scopes:
            raise
        for scope in reversed(ctx.scopes):
            try:
                return schemas.lookup(scope, ref, path)
            except FormCompileError:
                continue
        raise


def types(schema: Schema) -> list[str]:
    """The JSON types a schema declares, else the one its keywords imply (or none)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    if any(k in schema for k in _OBJECT_HINTS):
        return ["object"]
    if any(k in schema for k in _ARRAY_HINTS):
        return ["array"]
    if any(k in schema for k in _STRING_HINTS):
        return ["string"]
    if any(k in schema for k in _NUMBER_HINTS):
        return ["number"]
    return []


def const_options(alternatives: Any) -> Choices | None:
    """Values and labels when every alternative is a ``const`` (or one-value enum)."""
    if not isinstance(alternatives, list) or not alternatives:
        return None
    values, labels = [], []
    for alt in alternatives:
        if not isinstance(alt, dict):
            return None
        if "const" in alt:
            value = alt["const"]
        elif isinstance(alt.get("enum"), list) and len(alt["enum"]) == 1:
            value = alt["enum"][0]
        else:
            return None
        values.append(value)
        labels.append(str(alt.get("title", _label(value))))
    return values, labels


def _label(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


def choices(schema: Schema, ui: dict[str, Any]) -> Choices | None:
    """Values and labels of a schema that is one value out of a list (const, enum, oneOf)."""
    if "const" in schema:
        return [schema["const"]], [_label(schema["const"])]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        values = list(schema["enum"])
        names = ui.get("ui:enumNames")
        if not isinstance(names, list):
            opts = ui.get("ui:options")
            names = opts.get("enumNames") if isinstance(opts, dict) else None
        labels = [
            str(names[i]) if isinstance(names, list) and i < len(names) else _label(v)
            for i, v in enumerate(values)
        ]
        return values, labels
    for key in ("oneOf", "anyOf"):
        found = const_options(schema.get(key))
        if found is not None:
            return found
    return None
