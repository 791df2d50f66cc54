"""Converters for structure: objects (with conditions and alternatives) and arrays.

Subschemas go back through ``ctx.convert`` (the descent of ``forms.converters``), so this
module needs only the shared context, never the table that lists its converters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from forms import names
from forms import schema as schemas
from forms.composites import AltNode, ArrayNode, MapNode, ObjectNode
from forms.context import Context, Schema, choices, const_options, expand
from forms.errors import FormCompileError
from forms.nodes import AnyNode, Condition, FileNode, FilesNode, MultiChoiceNode, Node
from forms.schema import SchemaResolver


def object_(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    """An object: properties, conditional properties, alternatives and extra properties."""
    return build_object(schema, ui, path, ctx, resolver, extras=True)


def build_object(
    schema: Schema,
    ui: dict[str, Any],
    path: str,
    ctx: Context,
    resolver: SchemaResolver,
    extras: bool,
) -> ObjectNode:
    """Build an ObjectNode; ``extras`` adds rows for properties the schema does not name."""
    node = ObjectNode(schema, ui, path)
    props = schema.get("properties")
    props = dict(props) if isinstance(props, dict) else {}
    required_list = schema.get("required")
    required = (
        {r for r in required_list if isinstance(r, str)}
        if isinstance(required_list, list)
        else set()
    )
    conditional, required_if = _conditional(schema, props, ctx, resolver)
    for key in required_list if isinstance(required_list, list) else []:
        if isinstance(key, str) and key not in props and key not in conditional:
            props[key] = {}
    keys = _ordered([*props, *(k for k in conditional if k not in props)], ui, path, ctx)
    for key in keys:
        sub, condition = (props[key], None) if key in props else conditional[key]
        if key in props and key in conditional:
            condition = conditional[key][1]
        child = ctx.convert(
            sub, ui.get(key), f"{path}/properties/{names.escape_token(key)}", resolver
        )
        child.key = key
        child.name_suffix = child.ptr_suffix = "/" + names.escape_token(key)
        if isinstance(child, AnyNode) and _says_nothing(sub, ui.get(key)):
            child.widget = "hidden"  # RJSF renders no input for any value: kept, not edited
        set_required(child, key in required)
        child.condition = condition
        if key not in required:
            child.required_if = required_if.get(key)
        inherit(node, child)
        node.props[key] = child
        node.members.append(child)
    for index, key in enumerate(k for k in ("oneOf", "anyOf") if _object_alternatives(schema, k)):
        alt = _merge_alternatives(schema, key, ui, path, ctx, resolver, index, node)
        node.alts.append(alt)
        node.members.append(alt)
    if extras:
        _extra_maps(node, schema, ui, path, ctx, resolver)
    return node


_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "readOnly", "writeOnly"}
)


def _says_nothing(schema: Any, ui: Any) -> bool:
    """Whether a property's schema allows any value (``{}``, ``true``, annotations only) and
    its uiSchema names no widget for it."""
    if isinstance(ui, dict) and ("ui:widget" in ui or "widget" in (ui.get("ui:options") or {})):
        return False
    return schema is True or (isinstance(schema, dict) and set(schema) <= _ANNOTATIONS)


def set_required(node: Node, required: bool) -> None:
    """Mark a node (and, for value alternatives, each alternative) required or optional."""
    node.required = required
    if isinstance(node, AltNode) and not node.merge:
        for branch in node.branches:
            set_required(branch, required)
            branch.nullable = branch.nullable or node.nullable


def inherit(parent: Node, child: Node) -> None:
    """Pass readOnly/disabled down to children (a read-only object is read-only inside)."""
    child.readonly = child.readonly or parent.readonly
    child.disabled = child.disabled or parent.disabled
    for sub in children(child):
        inherit(child, sub)


def children(node: Node) -> list[Node]:
    """A node's direct sub-nodes: members, tuple and item rows, alternatives, map values, the
    file field of a multiple file input."""
    if isinstance(node, ObjectNode):
        return node.members
    if isinstance(node, ArrayNode):
        return [*node.prefix, *([node.items] if node.items is not None else [])]
    if isinstance(node, AltNode):
        return node.branches
    if isinstance(node, MapNode):
        return [node.value]
    if isinstance(node, FilesNode):
        return [node.item]
    return []


def display_order(keys: list[str], ui: dict[str, Any]) -> list[str]:
    """Property names in the order the form shows them: `ui:order` ("*" stands for the ones
    it does not name), then the rest; names it gives that are not properties are skipped."""
    order = ui.get("ui:order")
    if not isinstance(order, list):
        return keys
    known = [k for k in order if k in keys or k == "*"]
    rest = [k for k in keys if k not in known]
    if "*" in known:
        star = known.index("*")
        return [*known[:star], *rest, *(k for k in known[star + 1 :] if k != "*")]
    return [*known, *rest]


def _ordered(keys: list[str], ui: dict[str, Any], path: str, ctx: Context) -> list[str]:
    order = ui.get("ui:order")
    for k in order if isinstance(order, list) else []:
        if k not in keys and k != "*":
            ctx.warn(f"ui:order names {k!r} at {path or '/'}, which is not a property.")
    return display_order(keys, ui)


def _present(key: str) -> Callable[[dict[str, Any]], bool]:
    return lambda value: key in value


def _conditional(
    schema: Schema,
    props: dict[str, Any],
    ctx: Context,
    resolver: SchemaResolver,
) -> tuple[dict[str, tuple[Any, Condition]], dict[str, Condition]]:
    """Properties that only apply under if/then/else or a schema dependency, with their
    condition; and the names a condition requires (``required`` of then/else/dependentSchemas,
    and dependentRequired), with the condition that requires them."""
    found: dict[str, tuple[Any, Condition]] = {}
    required_if: dict[str, Condition] = {}
    parts = schema.get("x-tessera-parts")
    for part in parts if isinstance(parts, list) else [schema]:
        if not isinstance(part, dict):
            continue
        branches: list[tuple[Any, Condition]] = []
        if isinstance(part.get("if"), dict | bool):
            test = ctx.test(part["if"], resolver)
            for branch_key, negate in (("then", False), ("else", True)):

                def when(value: dict[str, Any], t: Any = test, n: bool = negate) -> bool:
                    return bool(t(value)) != n

                describe = {"if": part["if"], "negate": negate}
                branches.append((part.get(branch_key), Condition(when, describe)))
        dep_schemas = part.get("dependentSchemas")
        for trigger, dep in (dep_schemas if isinstance(dep_schemas, dict) else {}).items():
            branches.append((dep, Condition(_present(trigger), {"present": trigger})))
        for branch, condition in branches:
            if not isinstance(branch, dict):
                continue
            sub_props = branch.get("properties")
            for name, sub in (sub_props if isinstance(sub_props, dict) else {}).items():
                if name not in props and name not in found:
                    found[name] = (sub, condition)
            needed = branch.get("required")
            for name in needed if isinstance(needed, list) else []:
                if isinstance(name, str):
                    required_if.setdefault(name, condition)
        # Property dependencies only require (RJSF's withDependentProperties): the dependent
        # property stays shown, whatever the trigger holds.
        dep_required = part.get("dependentRequired")
        for trigger, needed in (dep_required if isinstance(dep_required, dict) else {}).items():
            condition = Condition(_present(trigger), {"present": trigger})
            for name in needed if isinstance(needed, list) else []:
                if isinstance(name, str):
                    required_if.setdefault(name, condition)
    return found, required_if


def _object_alternatives(schema: Schema, key: str) -> bool:
    alternatives = schema.get(key)
    if not isinstance(alternatives, list) or not alternatives:
        return False
    if const_options(alternatives) is not None:
        return False
    return all(isinstance(a, dict) for a in alternatives)


def _merge_alternatives(
    schema: Schema,
    key: str,
    ui: dict[str, Any],
    path: str,
    ctx: Context,
    resolver: SchemaResolver,
    index: int,
    parent: ObjectNode,
) -> AltNode:
    branches: list[Node] = []
    titles: list[str | None] = []
    tests = []
    for i, alternative in enumerate(schema[key]):
        sub_path = f"{path}/{key}/{i}"
        expanded, sub_resolver, _ = expand(alternative, sub_path, ctx, resolver)
        expanded = expanded if expanded is not None else {}
        branch = build_object(expanded, ui, sub_path, ctx, sub_resolver, extras=False)
        for prop in list(branch.props):
            if prop in parent.props:
                duplicate = branch.props.pop(prop)
                branch.members.remove(duplicate)
        branch.required = True
        branches.append(branch)
        titles.append(_own_title(expanded, schema))
        tests.append(ctx.test(alternative, resolver))
    alt = AltNode({}, {}, f"{path}/{key}", branches, titles, tests, merge=True, index=index)
    named = ui.get("ui:alternativesTitle")
    alt.title = str(named) if named is not None else None
    alt.option_title = parent.title
    alt.owner = parent
    return alt


def _own_title(alternative: Any, around: Schema) -> str | None:
    """An alternative's own title (not one it shares with the schema around it), or None."""
    title = alternative.get("title") if isinstance(alternative, dict) else None
    if title is None or title == around.get("title"):
        return None
    return str(title)


def _type_only(alternative: Any, around: Schema, key: str) -> str | None:
    """The type an alternative names when it is the schema around it but for ``type`` (the
    alternatives a type list such as ``["string", "number"]`` is read as), else None."""
    if not isinstance(around.get("type"), list) or not isinstance(alternative, dict):
        return None
    if not isinstance(alternative.get("type"), str):
        return None
    rest = {k: v for k, v in alternative.items() if k != "type"}
    if rest != {k: v for k, v in around.items() if k not in (key, "type")}:
        return None
    return str(alternative["type"])


def alternatives(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    """A value that is one of several shapes (oneOf/anyOf): selector plus one field each."""
    key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf"
    base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "title", "description")}
    branches: list[Node] = []
    titles: list[str | None] = []
    tests = []
    for i, alternative in enumerate(schema[key]):
        sub_path = f"{path}/{key}/{i}"
        merged = alternative
        if isinstance(alternative, dict) and base:
            merged = schemas.merge_two(base, alternative)
        child = ctx.convert(merged, {}, sub_path, resolver)
        child.required = True
        branches.append(child)
        titles.append(_type_only(alternative, schema, key) or _own_title(alternative, schema))
        tests.append(ctx.test(alternative, resolver))
    return AltNode(schema, ui, path, branches, titles, tests, merge=False, index=0)


def _extra_maps(
    node: ObjectNode,
    schema: Schema,
    ui: dict[str, Any],
    path: str,
    ctx: Context,
    resolver: SchemaResolver,
) -> None:
    patterns = schema.get("patternProperties")
    for pattern, sub in (patterns if isinstance(patterns, dict) else {}).items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise FormCompileError(
                f"{path}/patternProperties", f"invalid regular expression {pattern!r}"
            ) from exc
        value = ctx.convert(sub, {}, f"{path}/patternProperties/{pattern}", resolver)
        extra = MapNode({}, ui, path, len(node.maps), value, pattern, visible=True)
        node.maps.append(extra)
        node.members.append(extra)
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict) or additional is True:
        value = ctx.convert(
            additional, ui.get("additionalProperties"), f"{path}/additionalProperties", resolver
        )
        visible = True
    else:
        value, visible = AnyNode({}, {}, f"{path}/additionalProperties"), False
    extra = MapNode({}, ui, path, len(node.maps), value, None, visible=visible)
    node.maps.append(extra)
    node.members.append(extra)


def array(
    schema: Schema, ui: dict[str, Any], path: str, ctx: Context, resolver: SchemaResolver
) -> Node:
    """An array: a multi-select for unique enum items, one multiple file input for file
    items, otherwise repeatable rows."""
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    item_ui = ui.get("items")
    widget = ui.get("ui:widget")
    if isinstance(items, dict) and not prefix:
        expanded, _, _ = expand(items, f"{path}/items", ctx, resolver)
        options = choices(expanded or {}, _labels_ui(ui, item_ui))
        multi_widget = widget in ("checkboxes", "select")
        if options is not None and (schema.get("uniqueItems") or multi_widget):
            multi = MultiChoiceNode(schema, ui, path, *options)
            multi.widget = "checkboxes" if widget == "checkboxes" else "multiselect"
            return multi
    node = ArrayNode(schema, ui, path)
    for i, sub in enumerate(prefix if isinstance(prefix, list) else []):
        sub_ui = item_ui[i] if isinstance(item_ui, list) and i < len(item_ui) else item_ui
        child = ctx.convert(sub, sub_ui, f"{path}/prefixItems/{i}", resolver)
        child.required = True
        node.prefix.append(child)
    if items is False:
        node.items = None
    elif isinstance(items, dict) or items is True:
        extra_ui = ui.get("additionalItems") if isinstance(item_ui, list) else item_ui
        node.items = ctx.convert(items, extra_ui, f"{path}/items", resolver)
    else:
        node.items = AnyNode({}, {}, f"{path}/items")
    if node.items is not None:
        node.items.required = True
    if isinstance(node.items, FileNode) and not node.prefix:
        # items that are file fields (the one rule: ``forms.converters.is_file``, applied by
        # the items' own converter): one input taking several files, as RJSF's files widget
        return FilesNode(schema, ui, path, node.items)
    return node


def _labels_ui(ui: dict[str, Any], item_ui: Any) -> dict[str, Any]:
    """Where a multi-select's option labels are: ``items`` first, else the array (RJSF v5)."""
    items: dict[str, Any] = item_ui if isinstance(item_ui, dict) else {}
    for source in (items, ui):
        options = source.get("ui:options")
        if "ui:enumNames" in source or (isinstance(options, dict) and "enumNames" in options):
            return source
    return items
