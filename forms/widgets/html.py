"""HTML building blocks shared by the inputs and the groups."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from forms import names
from forms.nodes import ChoiceNode, Condition
from forms.protocols import FieldView, ScalarView

Attrs = dict[str, Any]


def attrs(values: Attrs) -> Markup:
    """HTML attributes: True → bare attribute, False/None → left out, values escaped."""
    parts = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(Markup(" ") + Markup(key))
        else:
            parts.append(Markup(' {}="{}"').format(Markup(key), str(value)))
    return Markup("").join(parts)


def tag(name: str, values: Attrs, content: Any = None) -> Markup:
    """One element; ``content`` None means a void element."""
    if content is None:
        return Markup("<{}{}>").format(Markup(name), attrs(values))
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(name), attrs(values), content)


def join(parts: Iterable[Any]) -> Markup:
    """Concatenate markup fragments."""
    return Markup("\n").join(p for p in parts if p)


# -- shared pieces -----------------------------------------------------------------------


def ids(field: FieldView) -> tuple[str, str, str]:
    """Ids of the description, help and error blocks of a field."""
    return f"{field.id}-desc", f"{field.id}-help", f"{field.id}-err"


def described_by(field: FieldView) -> str | None:
    """The aria-describedby value: description, help and errors that exist."""
    desc, help_id, err = ids(field)
    node = field.node
    found = [
        desc if node.description else "",
        help_id if node.help else "",
        err if field.errors else "",
    ]
    return " ".join(i for i in found if i) or None


def notes(field: FieldView) -> tuple[Markup, Markup]:
    """(description, help + errors) blocks of a field."""
    desc_id, help_id, err_id = ids(field)
    node = field.node
    desc = (
        tag("p", {"class": "help-block tf-description", "id": desc_id}, node.description)
        if node.description
        else Markup("")
    )
    after = []
    if node.help:
        after.append(tag("p", {"class": "help-block tf-help", "id": help_id}, node.help))
    if field.errors:
        items = Markup("<br>").join(escape(e) for e in field.errors)
        error_attrs = {"class": "help-block tf-error", "id": err_id, "role": "alert"}
        after.append(tag("p", error_attrs, items))
    return desc, join(after)


def wrapper(field: FieldView, classes: str) -> Attrs:
    """Attributes of the element around a field (classes, data-tf-* for the script)."""
    node = field.node
    values: Attrs = {
        "class": " ".join(
            c for c in (classes, "has-error" if field.errors else "", node.classnames) if c
        ),
        "data-tf-field": names.input_name(field.name),
        "data-tf-type": node.kind,
    }
    if isinstance(node, ChoiceNode) and node.tokens != node.values:
        values["data-tf-json"] = True
    if node.condition is not None:
        values.update(when(field, node.condition))
    if node.widget == "hidden":
        values["hidden"] = True
    return values


def when(field: FieldView, condition: Condition) -> Attrs:
    """The data-tf-* attributes the script shows an element by: only while ``condition`` holds."""
    node = field.node
    return {
        "data-tf-when": json.dumps(condition.describe, sort_keys=True),
        "data-tf-base": field.name[: len(field.name) - len(node.name_suffix)],
    }


# Kinds never marked: a checkbox is always true or false; groups mark their own fields.
_UNMARKED = frozenset({"boolean", "object", "map", "alt"})


def required_mark(field: FieldView) -> Markup:
    """The required marker of a field's label or legend, or nothing.

    A field the schema requires only under a condition (if/then/else, dependencies) is marked
    too: always when it is shown under that same condition, else while the condition holds
    (as RJSF marks a property dependency's field once its trigger has a value). Such a mark
    is rendered as the form's values stand, and the script (``data-tf-mark``) writes or
    clears its "*" as they change; a cleared mark holds no text, so nothing reads it.
    """
    node = field.node
    if node.kind in _UNMARKED:
        return Markup("")
    values: Attrs = {"class": "tf-required", "aria-hidden": "true"}
    condition = node.required_if
    text = "*"
    if not node.required:
        if condition is None:
            return Markup("")
        if node.condition is None or node.condition.describe != condition.describe:
            values.update(when(field, condition))
            values["data-tf-mark"] = True
            if not field.holds(condition):
                values["hidden"], text = True, ""
    return Markup(" ") + tag("span", values, text)


def label_for(field: FieldView, for_id: str | None = None) -> Markup:
    """The <label> of a field (with a required marker), or nothing."""
    node = field.node
    text = field.label.text
    if not node.show_label or not text:
        return Markup("")
    label = escape(text) + required_mark(field)
    return tag("label", {"class": "control-label", "for": for_id or field.id}, label)


def common(field: FieldView, kwargs: Attrs) -> Attrs:
    """Attributes every control carries: id, name, aria, autofocus, disabled."""
    node = field.node
    values: Attrs = {
        "id": field.id,
        "name": names.input_name(field.name),
        "aria-describedby": described_by(field),
        "aria-invalid": "true" if field.errors else None,
        "autofocus": node.autofocus,
        "disabled": node.disabled,
        "aria-label": None if node.show_label else (field.label.text or None),
    }
    values.update(kwargs)
    return values


def raw_values(field: ScalarView) -> list[Any]:
    """The values to show in a scalar's inputs (posted text, or the loaded value's tokens)."""
    return list(field.raw) if field.raw else []


def first_value(field: ScalarView) -> str:
    """The first value to show in a single-value input."""
    raw = raw_values(field)
    return raw[0] if raw and isinstance(raw[0], str) else ""


def keep(field: ScalarView) -> Markup:
    """Hidden copies of a value whose visible input is disabled (so the value still posts)."""
    node = field.node
    if not (node.readonly or node.disabled):
        return Markup("")
    name = names.input_name(field.name)
    return join(
        tag("input", {"type": "hidden", "name": name, "value": v}) for v in raw_values(field)
    )
