"""Schema → nodes: one small converter per JSON Schema type, gathered in a table."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema.protocols import Validator

from forms import schema as schemas
from forms.composites import AltNode
from forms.errors import FormCompileError
from forms.nodes import (
    AnyNode,
    BooleanNode,
    ChoiceNode,
    FileNode,
    Node,
    NumberNode,
    TextNode,
)
from forms.schema import SchemaResolver

Schema = dict[str, Any]

MAX_DEPTH = 24  # nesting levels of objects/arrays rendered before falling back to JSON

WIDGETS = {
    "text", "textarea", "password", "email", "uri", "url", "hidden", "select", "radio",
    "checkbox", "checkboxes", "updown", "range", "date", "datetime", "time", "color", "file",
    "alt-date", "alt-datetime", "tel", "search",
}  # fmt: skip
_WIDGET_ALIASES = {"alt-date": "date", "alt-datetime": "datetime", "url": "uri"}
_TEXT_INPUTS = {
    "text": "text", "password": "password", "email": "email", "uri": "url", "hidden": "hidden",
    "date": "date", "datetime": "datetime-local", "time": "time", "color": "color",
    "textarea": "textarea", "tel": "tel", "search": "search",
}  # fmt: skip
_FORMAT_INPUTS = {
    "email": "email",
    "idn-email": "email",
    "uri": "url",
    "iri": "url",
    "date": "date",
    "color": "color",
}  # fmt: skip  (date-time and time stay text: their inputs cannot show a time zone)
_OBJECT_HINTS = (
    "properties", "required", "additionalProperties", "patternProperties", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "propertyNames",
)  # fmt: skip
_ARRAY_HINTS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains")
_STRING_HINTS = ("minLength", "maxLength", "pattern", "format", "contentMediaType")
_NUMBER_HINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


# a group that ends in a quantifier and is itself quantified: (a+)+, (\w*)*, (x{2,})+
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")


class Context:
    """What every converter needs: scope, warnings, validators and the recursion guard."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.warnings: list[str] = []
        self.refs: list[str] = []
        self.scopes: list[SchemaResolver] = []
        self.depth = 0

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


def convert(schema: Any, ui: Any, path: str, ctx: Context, resolver: SchemaResolver) -> Node:
    """Build the node for ``schema`` (resolving $ref and merging allOf first)."""
    ui = ui if isinstance(ui, dict) else {}
    if schema is True or schema == {}:
        return _any(schema if isinstance(schema, dict) else {}, ui, path)
    if not isinstance(schema, dict):
        if schema is False:
            return _any({}, ui, path)
        raise FormCompileError(path, "a schema must be an object or a boolean")
    resolver = schemas.enter(resolver, schema)
    schema, resolver, pushed = _expand(schema, path, ctx, resolver)
    try:
        if schema is None or ctx.depth > MAX_DEPTH:
            node = _any({}, ui, path)
            node.title = None
            return node
        ctx.depth += 1
        try:
            return _convert(schema, ui, path, ctx, resolver)
        finally:
            ctx.depth -= 1
    finally:
        del ctx.refs[len(ctx.refs) - pushed :]


def _expand(
    schema: Schema, path: str, ctx: Context, resolver: SchemaResolver
) -> tuple[Schema | None, SchemaResolver, int]:
    """Resolve ``$ref`` chains and merge ``allOf``; None once recursion hits the bound."""
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
                expanded, part_resolver, more = _expand(part, f"{path}/allOf/{i}", ctx, resolver)
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


def _any(schema: Schema, ui: dict[str, Any], path: str) -> Node:
    return AnyNode(schema, ui, path)


def _types(schema: Schema) -> list[str]:
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


def _const_options(alternatives: Any) -> tuple[list[Any], list[str]] | None:
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
    if isinstance(value, str):
        return value
    from forms.nodes import dumps

    return dumps(value)


def _choices(schema: Schema, ui: dict[str, Any]) -> tuple[list[Any], list[str]] | None:
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
        found = _const_options(schema.get(key))
        if found is not None:
            return found
    return None


def _widget(ui: dict[str, Any], path: str, ctx: Context) -> str | None:
    widget = ui.get("ui:widget")
    field = ui.get("ui:field")
    if field is not None:
        ctx.warn(f"Unknown ui:field {field!r} at {path or '/'}; using the default field.")
    if widget is None:
        return None
    if not isinstance(widget, str) or widget not in WIDGETS:
        ctx.warn(f"Unknown ui:widget {widget!r} at {path or '/'}; using the default widget.")
        return None
    return _WIDGET_ALIASES.get(widget, widget)


def _convert(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    widget = _widget(ui, path, ctx)
    types = _types(schema)
    nullable = "null" in types
    concrete = [t for t in types if t != "null"]
    choices = _choices(schema, ui)
    if choices is not None and (widget != "checkboxes" or "array" not in types):
        node: Node = _choice(schema, ui, path, choices, widget, ctx)
    elif _is_nullable_pair(schema):
        return _nullable_pair(schema, ui, path, ctx, resolver)
    elif _alternatives(schema) and "object" not in concrete and not _objectish(schema):
        node = _alt(schema, ui, path, ctx, resolver, merge=False)
    elif len(concrete) > 1:
        branches = [dict(schema, type=t) for t in concrete]
        node = _alt(dict(schema, oneOf=branches), ui, path, ctx, resolver, merge=False)
        for branch in node.branches if isinstance(node, AltNode) else []:
            branch.title = branch.title or None
    elif not concrete:
        node = (
            _object(schema, ui, path, ctx, resolver)
            if _objectish(schema)
            else _any(schema, ui, path)
        )
        if nullable:
            node = _choice(schema, ui, path, ([None], ["—"]), widget, ctx)
    else:
        node = CONVERTERS[concrete[0]](schema, ui, path, ctx, resolver)
        _apply_widget(node, widget, path, ctx)
    node.nullable = node.nullable or nullable
    return node


def _objectish(schema: Schema) -> bool:
    alternatives = _alternatives(schema)
    return "object" in _types(schema) or any(
        isinstance(a, dict) and "object" in _types(a) for a in alternatives
    )


def _alternatives(schema: Schema) -> list[Any]:
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            return list(schema[key])
    return []


def _is_nullable_pair(schema: Schema) -> bool:
    alternatives = _alternatives(schema)
    if len(alternatives) != 2 or not all(isinstance(a, dict) for a in alternatives):
        return False
    return sum(1 for a in alternatives if a == {"type": "null"}) == 1 and not any(
        k in schema for k in ("type", "properties")
    )


def _nullable_pair(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    key = "oneOf" if "oneOf" in schema else "anyOf"
    other = next(a for a in schema[key] if a != {"type": "null"})
    base = {k: v for k, v in schema.items() if k != key}
    node = convert(schemas.merge_two(base, other), ui, path, ctx, resolver)
    node.nullable = True
    node.schema = schema
    return node


def _choice(
    schema: Schema,
    ui: dict[str, Any],
    path: str,
    choices: tuple[list[Any], list[str]],
    widget: str | None,
    ctx: Context,
) -> Node:
    values, labels = choices
    node = ChoiceNode(schema, ui, path, values, labels)
    if widget in ("radio", "select", "hidden"):
        node.widget = widget
    elif widget is not None:
        ctx.warn(f"ui:widget {widget!r} does not fit a choice at {path or '/'}; using select.")
    if node.widget is None:
        node.widget = "const" if len(values) == 1 and "const" in schema else "select"
    return node


def _apply_widget(node: Node, widget: str | None, path: str, ctx: Context) -> None:
    if widget is None or node.widget == widget:
        return
    fits = {
        "text": set(_TEXT_INPUTS) | {"file"},
        "number": {"updown", "range", "text", "hidden"},
        "boolean": {"checkbox", "hidden"},
        "file": {"file", "hidden"},
        "any": {"textarea", "text", "hidden"},
    }
    if widget in fits.get(node.kind, set()):
        node.widget = widget
        if node.kind == "text":
            node.input_type = _TEXT_INPUTS.get(widget, node.input_type)
        elif node.kind == "number" and widget in ("updown", "range"):
            node.input_type = "range" if widget == "range" else "number"
        elif widget == "hidden":
            node.input_type = "hidden"
    else:
        ctx.warn(f"ui:widget {widget!r} does not fit {node.kind} at {path or '/'}; default used.")


def _string(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    fmt = schema.get("format")
    if fmt == "data-url" or "contentMediaType" in schema or ui.get("ui:widget") == "file":
        node: Node = FileNode(schema, ui, path)
        node.widget = "file"
        return node
    node = TextNode(schema, ui, path)
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and _NESTED_QUANTIFIER.search(pattern):
        ctx.warn(
            f"pattern at {path or '/'} nests quantifiers and may backtrack catastrophically; "
            "limit the input length (maxLength)."
        )
    node.input_type = _FORMAT_INPUTS.get(str(fmt), "text")
    rows = node.options.get("rows")
    if rows is not None or node.options.get("widget") == "textarea":
        node.input_type = "textarea"
    input_type = node.options.get("inputType")
    if isinstance(input_type, str) and input_type.isalnum():
        node.input_type = input_type
    node.widget = node.input_type
    return node


def _number(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    node = NumberNode(schema, ui, path)
    node.integer = _types(schema)[:1] == ["integer"] or schema.get("type") == "integer"
    node.input_type = "number"
    node.widget = "updown"
    return node


def _boolean(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    widget = ui.get("ui:widget")
    if widget in ("radio", "select"):
        labels = ui.get("ui:enumNames")
        names = [str(x) for x in labels] if isinstance(labels, list) and len(labels) == 2 else []
        return _choice(schema, ui, path, ([True, False], names or ["Yes", "No"]), widget, ctx)
    node = BooleanNode(schema, ui, path)
    node.widget = "checkbox"
    return node


def _null(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    node = ChoiceNode(schema, ui, path, [None], ["—"])
    node.widget = "const"
    return node


CONVERTERS: dict[str, Callable[[Schema, dict[str, Any], str, Context, SchemaResolver], Node]] = {
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}


def _object(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    return CONVERTERS["object"](schema, ui, path, ctx, resolver)


def _alt(
    schema: Schema,
    ui: dict[str, Any],
    path: str,
    ctx: Context,
    resolver: SchemaResolver,
    merge: bool,
) -> Node:
    from forms.structure import alternatives

    return alternatives(schema, ui, path, ctx, resolver)


from forms import structure as _structure  # noqa: E402  (registers object and array)

__all__ = ["CONVERTERS", "Context", "convert", "_structure"]
