"""One renderer per scalar widget (text, number, checkbox, select, radio, file...)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from markupsafe import Markup, escape

from forms import names
from forms.nodes import ChoiceNode, FileNode, NumberNode, TextNode
from forms.protocols import ScalarView
from forms.widgets.html import (
    Attrs,
    common,
    described_by,
    first_value,
    join,
    keep,
    raw_values,
    tag,
)

# -- scalar inputs -----------------------------------------------------------------------


def _text(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    assert isinstance(node, TextNode)
    schema = node.schema
    input_type = node.input_type
    value = first_value(field)
    values = common(field, kwargs)
    values.update(
        {
            "class": "form-control",
            "required": node.required and not node.nullable,
            "readonly": node.readonly,
            "placeholder": node.placeholder or _PLACEHOLDERS.get(str(schema.get("format"))),
            "minlength": schema.get("minLength"),
            "maxlength": schema.get("maxLength"),
        }
    )
    if input_type == "textarea":
        values["rows"] = node.options.get("rows", 4)
        return tag("textarea", values, value)
    if input_type in ("datetime-local", "time"):
        value = re.sub(r"(Z|[+-]00:00)$", "", value)
    values["type"] = input_type
    values["value"] = value
    return tag("input", values)


_PLACEHOLDERS = {"date-time": "YYYY-MM-DDThh:mm:ssZ", "time": "hh:mm:ssZ"}


def _number(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    assert isinstance(node, NumberNode)
    schema = node.schema
    step = schema.get("multipleOf", 1 if node.integer else "any")
    values = common(field, kwargs)
    values.update(
        {
            "type": node.input_type if node.input_type in ("number", "range", "hidden") else "text",
            "class": "form-control",
            "required": node.required and not node.nullable,
            "readonly": node.readonly,
            "placeholder": node.placeholder,
            "min": schema.get("minimum", schema.get("exclusiveMinimum")),
            "max": schema.get("maximum", schema.get("exclusiveMaximum")),
            "step": step,
            "value": first_value(field),
        }
    )
    if node.input_type == "text":
        values["inputmode"] = "numeric" if node.integer else "decimal"
    return tag("input", values)


def _checkbox(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    values = common(field, kwargs)
    values.update(
        {
            "type": "checkbox",
            "value": "true",
            "checked": field.value is True,
            "disabled": node.disabled or node.readonly,
        }
    )
    return tag("input", values) + keep(field)


def _select(field: ScalarView, kwargs: Attrs, multiple: bool = False) -> Markup:
    node = field.node
    assert isinstance(node, ChoiceNode)
    chosen = set(t for t in raw_values(field) if isinstance(t, str))
    options = []
    if not multiple:
        options.append(tag("option", {"value": ""}, node.placeholder or "—"))
    for token, label in zip(node.tokens, node.labels, strict=True):
        options.append(tag("option", {"value": token, "selected": token in chosen}, label))
    values = common(field, kwargs)
    values.update(
        {
            "class": "form-control",
            "multiple": multiple,
            "required": node.required and not multiple and not node.nullable,
            "disabled": node.disabled or node.readonly,
        }
    )
    return tag("select", values, join(options)) + keep(field)


def _choices(field: ScalarView, kwargs: Attrs, input_type: str) -> Markup:
    node = field.node
    assert isinstance(node, ChoiceNode)
    chosen = set(t for t in raw_values(field) if isinstance(t, str))
    rows = []
    for i, (token, label) in enumerate(zip(node.tokens, node.labels, strict=True)):
        item_id = f"{field.id}-{i}"
        values: Attrs = {
            "type": input_type,
            "id": item_id,
            "name": names.input_name(field.name),
            "value": token,
            "checked": token in chosen,
            "disabled": node.disabled or node.readonly,
            "required": input_type == "radio" and node.required and i == 0,
            "aria-describedby": described_by(field),
        }
        box = tag("input", values)
        label_tag = tag("label", {"for": item_id}, box + " " + escape(label))
        rows.append(tag("div", {"class": input_type}, label_tag))
    return join(rows) + keep(field)


def _const(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    assert isinstance(node, ChoiceNode)
    token, label = node.tokens[0], node.labels[0]
    hidden = tag(
        "input",
        {"type": "hidden", "name": names.input_name(field.name), "value": token, "id": field.id},
    )
    return hidden + tag("p", {"class": "form-control-static"}, label)


def _file(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    assert isinstance(node, FileNode)
    current = first_value(field)
    values = common(field, kwargs)
    values.update(
        {
            "type": "file",
            "accept": node.accept,
            "required": node.required and not current,
            "disabled": node.disabled or node.readonly,
            "data-tf-max-size": node.max_size,
        }
    )
    parts = [tag("input", values)]
    if current:
        name = names.input_name(field.name)
        parts.append(tag("input", {"type": "hidden", "name": name, "value": current}))
        # the name= of a data URL, or of another URL-like value (a reference to a stored file)
        match = re.match(r"[a-z][a-z0-9+.-]*:[^;,]*;name=([^;,]*)", current)
        shown = match.group(1) if match else "current file"
        note = f"Current file: {unquote(shown)}"
        parts.append(tag("p", {"class": "help-block tf-current-file"}, note))
    return join(parts)


def _any(field: ScalarView, kwargs: Attrs) -> Markup:
    node = field.node
    values = common(field, kwargs)
    values.update(
        {
            "class": "form-control tf-json",
            "rows": node.options.get("rows", 3),
            "readonly": node.readonly,
            "placeholder": node.placeholder,
            "spellcheck": "false",
        }
    )
    return tag("textarea", values, first_value(field))


def _hidden(field: ScalarView, kwargs: Attrs) -> Markup:
    name = names.input_name(field.name)
    values = raw_values(field) or [""]
    first = {"type": "hidden", "name": name, "id": field.id, "value": values[0]}
    rest = [tag("input", {"type": "hidden", "name": name, "value": v}) for v in values[1:]]
    return join([tag("input", first), *rest])


SCALARS: dict[str, Callable[[ScalarView, Attrs], Markup]] = {
    "hidden": _hidden,
    "text": _text,
    "updown": _number,
    "range": _number,
    "checkbox": _checkbox,
    "select": _select,
    "multiselect": lambda f, kw: _select(f, kw, multiple=True),
    "radio": lambda f, kw: _choices(f, kw, "radio"),
    "checkboxes": lambda f, kw: _choices(f, kw, "checkbox"),
    "const": _const,
    "file": _file,
    "any": _any,
}


# kinds with one renderer for every widget but hidden (text and number read it as input type)
KINDS: dict[str, Callable[[ScalarView, Attrs], Markup]] = {
    "any": _any,
    "number": _number,
    "text": _text,
}


def widget_of(field: ScalarView) -> Callable[[ScalarView, Attrs], Markup]:
    """The renderer for a scalar field."""
    node = field.node
    if node.widget == "hidden" and node.kind not in ("text", "number"):
        return _hidden
    return KINDS.get(node.kind) or SCALARS.get(node.widget or "", _any)
