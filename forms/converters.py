"""Schema → nodes: one small converter per JSON Schema type, gathered in one table.

``convert`` is the recursive descent: it resolves ``$ref``, merges ``allOf``, guards the
depth and hands the schema to the converter of its type. The converters of structure
(``forms.structure``) reach their subschemas through ``ctx.convert``, which is ``convert``.
"""

from __future__ import annotations

import re
from typing import Any

from forms import schema as schemas
from forms import structure
from forms.composites import AltNode
from forms.context import (
    Choices,
    Context,
    Converter,
    Schema,
    choices,
    const_options,
    expand,
    types,
)
from forms.errors import FormCompileError
from forms.nodes import (
    ABSENT,
    AnyNode,
    BooleanNode,
    ChoiceNode,
    FileNode,
    Node,
    NumberNode,
    TextNode,
)
from forms.schema import SchemaResolver

MAX_DEPTH = 24  # nesting levels of objects/arrays rendered before falling back to JSON

WIDGETS = {
    "text", "textarea", "password", "email", "uri", "hidden", "select", "radio",
    "checkbox", "checkboxes", "updown", "range", "date", "datetime", "time", "color", "file",
    "files", "alt-date", "alt-datetime", "tel", "search",
}  # fmt: skip
# RJSF's other names for them: its registry (@rjsf/core widgets) and getWidget's aliases
_WIDGET_NAMES = {
    "TextWidget": "text", "TextareaWidget": "textarea", "PasswordWidget": "password",
    "EmailWidget": "email", "URLWidget": "uri", "HiddenWidget": "hidden",
    "SelectWidget": "select", "RadioWidget": "radio", "CheckboxWidget": "checkbox",
    "CheckboxesWidget": "checkboxes", "UpDownWidget": "updown", "RangeWidget": "range",
    "DateWidget": "date", "DateTimeWidget": "datetime", "TimeWidget": "time",
    "ColorWidget": "color", "FileWidget": "file", "AltDateWidget": "alt-date",
    "AltDateTimeWidget": "alt-datetime",
    "url": "uri", "date-time": "datetime", "iso-date-time": "datetime", "iso-time": "time",
    "data-url": "file", "hostname": "text", "ipv4": "text", "ipv6": "text",
}  # fmt: skip
_TEXT_INPUTS = {
    "text": "text", "password": "password", "email": "email", "uri": "url", "hidden": "hidden",
    "date": "date", "datetime": "datetime-local", "time": "time", "color": "color",
    "textarea": "textarea", "tel": "tel", "search": "search",
    "alt-date": "date", "alt-datetime": "datetime-local",
}  # fmt: skip
_FORMAT_INPUTS = {
    "email": "email",
    "idn-email": "email",
    "uri": "url",
    "iri": "url",
    "date": "date",
    "date-time": "datetime-local",  # read and shown in the person's zone (forms.zones)
    "time": "time",
    "color": "color",
}  # fmt: skip
# a group that ends in a quantifier and is itself quantified: (a+)+, (\w*)*, (x{2,})+
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")


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
    schema, resolver, pushed = expand(schema, path, ctx, resolver)
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


def _any(schema: Schema, ui: dict[str, Any], path: str) -> Node:
    return AnyNode(schema, ui, path)


def widget_name(widget: Any, schema: Schema) -> Any:
    """The name Tessera gives a ``ui:widget`` RJSF accepts (``RadioWidget`` → ``radio``).

    RJSF's FileWidget on an array is its several-files input, ``files``.
    """
    if not isinstance(widget, str):
        return widget
    name = _WIDGET_NAMES.get(widget, widget)
    return "files" if name == "file" and "array" in types(schema) else name


def _named(ui: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """``ui`` with its ``ui:widget`` under Tessera's name (every converter reads that one)."""
    widget = ui.get("ui:widget")
    name = widget_name(widget, schema)
    return ui if name == widget else {**ui, "ui:widget": name}


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
    return widget


def _convert(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    ui = _named(ui, schema)
    widget = _widget(ui, path, ctx)
    declared = types(schema)
    nullable = "null" in declared
    concrete = [t for t in declared if t != "null"]
    options = choices(schema, ui)
    if options is not None and (widget != "checkboxes" or "array" not in declared):
        node: Node = _choice(schema, ui, path, options, widget, ctx)
    elif _is_nullable_pair(schema):
        return _nullable_pair(schema, ui, path, ctx, resolver)
    elif _alternatives(schema) and "object" not in concrete and not _objectish(schema):
        node = structure.alternatives(schema, ui, path, ctx, resolver)
    elif len(concrete) > 1:
        branches = [dict(schema, type=t) for t in concrete]
        node = structure.alternatives(dict(schema, oneOf=branches), ui, path, ctx, resolver)
        for branch in node.branches if isinstance(node, AltNode) else []:
            branch.title = branch.title or None
    elif not concrete:
        node = (
            structure.object_(schema, ui, path, ctx, resolver)
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
    return "object" in types(schema) or any(
        isinstance(a, dict) and "object" in types(a) for a in alternatives
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
    options: Choices,
    widget: str | None,
    ctx: Context,
) -> Node:
    values, labels = options
    node = ChoiceNode(schema, ui, path, values, labels)
    if widget in ("radio", "select", "hidden"):
        node.widget = widget
    elif widget is not None:
        ctx.warn(f"ui:widget {widget!r} does not fit a choice at {path or '/'}; using select.")
    if node.widget is None:
        node.widget = "const" if len(values) == 1 and "const" in schema else "select"
    if node.default is ABSENT and _const_alternatives(schema):
        # RJSF's computeDefaults starts a oneOf/anyOf at its first alternative: its const
        node.default = values[0]
    return node


def _const_alternatives(schema: Schema) -> bool:
    """Whether a choice's options are its oneOf/anyOf consts (not its const or enum)."""
    if "const" in schema or isinstance(schema.get("enum"), list) and schema["enum"]:
        return False
    return const_options(_alternatives(schema)) is not None


def _apply_widget(node: Node, widget: str | None, path: str, ctx: Context) -> None:
    if widget is None or node.widget == widget:
        return
    fits = {
        "text": set(_TEXT_INPUTS) | {"file"},
        "number": {"updown", "range", "text", "hidden"},
        "boolean": {"checkbox", "hidden"},
        "file": {"file", "files", "hidden"},
        "multi": {"select", "checkboxes", "hidden"},
        "any": {"textarea", "text", "hidden"},
    }
    if widget in fits.get(node.kind, set()):
        if node.kind in ("file", "multi") and widget != "hidden":
            return  # the structure already chose (one or several files; multi-select, boxes)
        node.widget = widget
        if node.kind == "text":
            node.input_type = _TEXT_INPUTS.get(widget, node.input_type)
        elif node.kind == "number" and widget in ("updown", "range"):
            node.input_type = "range" if widget == "range" else "number"
        elif widget == "hidden":
            node.input_type = "hidden"
    else:
        ctx.warn(f"ui:widget {widget!r} does not fit {node.kind} at {path or '/'}; default used.")


def is_file(schema: Schema, ui: dict[str, Any] | None = None) -> bool:
    """Whether a string schema is a file field: `format: data-url`, a `contentMediaType`, or
    RJSF's file widget."""
    return (
        schema.get("format") == "data-url"
        or "contentMediaType" in schema
        or (ui or {}).get("ui:widget") == "file"
    )


def _string(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    if is_file(schema, ui):
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
    node.input_type = _FORMAT_INPUTS.get(str(schema.get("format")), "text")
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
    node.integer = types(schema)[:1] == ["integer"] or schema.get("type") == "integer"
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


CONVERTERS: dict[str, Converter] = {
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
    "object": structure.object_,
    "array": structure.array,
}
