"""Groups: a field with label, help and errors; fieldsets, rows, alternatives; the form.

A field's group is chosen by its node's kind (``GROUPS``); every kind not listed there is
a scalar. The kind also tells the field's shape (see ``forms.protocols``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from markupsafe import Markup, escape

from forms import codec, names
from forms.composites import AltNode, ArrayNode, MapNode, ObjectNode
from forms.i18n import _, ngettext
from forms.nodes import ABSENT
from forms.protocols import (
    AltView,
    ArrayView,
    FieldView,
    FormView,
    MapView,
    ObjectView,
    ScalarView,
)
from forms.widgets.html import (
    Attrs,
    described_by,
    join,
    label_for,
    notes,
    required_mark,
    tag,
    wrapper,
)
from forms.widgets.inputs import widget_of

# -- the whole form ----------------------------------------------------------------------


def render_form(form: FormView, **options: Any) -> Markup:
    """The form body: CSRF token, empty-state hints, form errors and every field."""
    parts: list[Any] = []
    if form.meta.csrf:
        parts.append(form.hidden_tag())
    hints = [f"{state}{name}" for name, state in form._tf_hints.items()]
    if not hints and form._tf_original is not ABSENT:
        hints = codec.hints_for(form._tf_root, form.to_instance())
    for hint in hints:
        parts.append(tag("input", {"type": "hidden", "name": names.HINT_KEY, "value": hint}))
    parts.append(error_summary(form))
    root = form._tf_root
    inner: list[Any] = []
    if root.description and isinstance(root, ObjectNode):
        intro = {"class": "help-block tf-form-description"}
        inner.append(tag("p", intro, root.description))
    for field in form._tf_fields:
        inner.append(render_group(field))
    if isinstance(root, ObjectNode) and root.title and root.show_label:
        # RJSF titles the root only with the schema's own title (or ui:title), never a name
        legend = tag("legend", {"class": "tf-form-title"}, root.title)
        parts.append(tag("fieldset", {"class": "tf-root"}, join([legend, *inner])))
    else:
        parts.extend(inner)
    body = join(parts)
    return tag("div", {"class": "tessera-form", "data-tf-form": True}, body)


def error_summary(form: FormView) -> Markup:
    """The box above a form with errors: "N problems to fix", each linked to its field.

    The form's own errors come first (they belong to no field), then every field's in the
    order the fields render, as "label: message" linking to the field's id.
    """
    items = [tag("li", {}, text) for text in form.form_errors]
    for top in form._tf_fields:
        for field in top.walk():
            label = field.label.text
            for text in field.errors:
                shown = _("%(label)s: %(message)s", label=label, message=text) if label else text
                items.append(tag("li", {}, tag("a", {"href": f"#{field.id}"}, shown)))
    if not items:
        return Markup("")
    count = len(items)
    title = ngettext("%(num)d problem to fix", "%(num)d problems to fix", count)
    heading = tag("p", {"class": "tf-error-summary-title"}, tag("strong", {}, title))
    alert = {"class": "alert alert-danger tf-error-summary", "role": "alert"}
    return tag("div", alert, join([heading, tag("ul", {}, join(items))]))


def render_inputs(field: FieldView, **kwargs: Any) -> Markup:
    """What ``field()`` renders: the inputs only for scalars, the whole group otherwise."""
    if field.node.kind not in GROUPS:
        scalar = cast(ScalarView, field)
        return widget_of(scalar)(scalar, kwargs)
    return render_group(field)


def render_group(field: FieldView) -> Markup:
    """A field with its label, description, help and errors."""
    render = GROUPS.get(field.node.kind, _scalar_group)
    return render(field)


# -- groups ------------------------------------------------------------------------------


def _scalar_group(group: FieldView) -> Markup:
    field = cast(ScalarView, group)
    node = field.node
    widget = widget_of(field)
    desc, after = notes(field)
    if node.widget in ("radio", "checkboxes"):
        text = escape(field.label.text) + required_mark(field)
        legend = tag("legend", {"class": "control-label"}, text)
        body = join([legend, desc, widget(field, {}), after])
        values = wrapper(field, "form-group tf-choices")
        values["id"] = field.id  # the options' ids are <id>-<n>
        return tag("fieldset", values, body)
    if node.kind == "boolean":
        box = widget(field, {})
        label = tag("label", {"for": field.id}, box + " " + escape(field.label.text))
        body = join([tag("div", {"class": "checkbox"}, label), desc, after])
        return tag("div", wrapper(field, "form-group"), body)
    body = join([label_for(field), desc, widget(field, {}), after])
    return tag("div", wrapper(field, "form-group"), body)


def _object_group(group: FieldView) -> Markup:
    field = cast(ObjectView, group)
    return _fieldset(field, "tf-object", [render_group(m) for m in field.members])


def _fieldset(
    field: FieldView, kind: str, inner: list[Markup], extra: Attrs | None = None
) -> Markup:
    node = field.node
    desc, after = notes(field)
    legend_text = field.label.text
    legend = tag("legend", {}, legend_text) if legend_text and node.show_label else Markup("")
    values = wrapper(field, f"tf-group {kind}")
    values["id"] = field.id
    values["aria-describedby"] = described_by(field)
    if extra:
        values.update(extra)
    return tag("fieldset", values, join([legend, desc, *inner, after]))


def _placeholder(field: FieldView) -> str:
    """Row-key placeholder of a template; nesting depth keeps inner templates apart."""
    return f"__tf{field.name.count('/')}__"


def _array_group(group: FieldView) -> Markup:
    field = cast(ArrayView, group)
    node = field.node
    assert isinstance(node, ArrayNode)
    key = _placeholder(field)
    rows, next_key = _rows(field, node)
    count = len(rows)
    if _has_spare(node, count):
        spare = field.spare(count, str(next_key))
        rows.append(_row(field, spare, str(next_key), node, spare=True))
    inner = [tag("div", {"class": "tf-rows", "data-tf-rows": True}, join(rows))]
    if node.addable and (node.items is not None or count < len(node.prefix)):
        template_field = field.row(count, key)
        template_field.load(ABSENT)
        template = _row(field, template_field, key, node)
        inner.append(tag("template", {"data-tf-template": True}, template))
        label = "Add " + (node.items.label_text() if node.items and node.items.title else "item")
        inner.append(
            tag(
                "button",
                {"type": "button", "class": "btn btn-default btn-sm", "data-tf-add": True},
                label,
            )
        )
    data: Attrs = {
        "data-tf-array": names.input_name(field.name),
        "data-tf-min": node.min_items,
        "data-tf-max": node.max_items,
        "data-tf-placeholder": key,
        "data-tf-next": next_key,
    }
    return _fieldset(field, "tf-array", inner, data)


def _rows(field: ArrayView, node: ArrayNode) -> tuple[list[Markup], int]:
    """The rows (blank ones up to ``minItems``, and up to a required tuple's length) and the
    next row key. Every array starts with ``minItems`` rows, required or not, as RJSF's
    defaults start it; an optional array's blank rows posted untouched are no array."""
    keys = [str(row.name.rsplit("/", 1)[1]) for row in field.rows]
    rows = [_row(field, row, k, node) for row, k in zip(field.rows, keys, strict=True)]
    next_key = 1 + max((int(k) for k in keys if k.isdigit()), default=-1)
    minimum = max(node.min_items, len(node.prefix) if node.required else 0)
    while len(rows) < minimum:
        extra = field.row(len(rows), str(next_key))
        extra.load(ABSENT)
        rows.append(_row(field, extra, str(next_key), node))
        next_key += 1
    return rows, next_key


def _has_spare(node: ArrayNode, count: int) -> bool:
    """One blank row to fill in without JavaScript: while rows can be added."""
    if not node.addable or node.readonly or node.disabled:
        return False
    if node.max_items is not None and count >= node.max_items:
        return False
    return node.items is not None or count < len(node.prefix)


def _row(
    field: FieldView, row: FieldView, key: str, node: ArrayNode | MapNode, spare: bool = False
) -> Markup:
    marker = field.name + names.ROWS if field.node.kind == "array" else field.name
    marker = field.name + names.SPARE if spare else marker
    parts = [tag("input", {"type": "hidden", "name": marker, "value": key})]
    parts.extend(row_content(row))
    if spare:  # no buttons: without JavaScript they do nothing, with it the row is removed
        return tag(
            "div", {"class": "tf-row", "data-tf-row": key, "data-tf-spare": True}, join(parts)
        )
    removable = node.removable if isinstance(node, ArrayNode) else True
    button = {"type": "button", "class": "btn btn-link btn-sm"}
    if isinstance(node, ArrayNode) and node.orderable and not node.prefix:
        parts.append(tag("button", {**button, "data-tf-up": True}, "Move up"))
        parts.append(tag("button", {**button, "data-tf-down": True}, "Move down"))
    if removable:
        parts.append(tag("button", {**button, "data-tf-remove": True}, "Remove"))
    return tag("div", {"class": "tf-row", "data-tf-row": key}, join(parts))


def row_content(row: FieldView) -> list[Markup]:
    """The inputs of one row."""
    if isinstance(row, tuple):
        return [render_group(f) for f in row]
    return [render_group(row)]


def _map_group(group: FieldView) -> Markup:
    """Extra properties as RJSF renders them: per member a key input and the value's field,
    among the object's own fields (no group of their own), then one add button.

    Kept data no schema describes (no ``additionalProperties``) shows only when there is
    some, in a fieldset of its own ("Other data"), and takes no new rows.
    """
    field = cast(MapView, group)
    node = field.node
    assert isinstance(node, MapNode)
    if not node.visible and not field.rows:
        return Markup("")
    rows = []
    for key_field, value_field in field.rows:
        key = key_field.name.rsplit(".", 1)[1]
        rows.append(_map_row(field, key_field, value_field, key))
    inner = [tag("div", {"class": "tf-rows", "data-tf-rows": True}, join(rows))]
    key = _placeholder(field)
    if node.visible:
        key_field, value_field = field.row(key, "")
        key_field.load(ABSENT)
        value_field.load(ABSENT)
        template = _map_row(field, key_field, value_field, key)
        inner.append(tag("template", {"data-tf-template": True}, template))
        label = (
            _("Add item matching %(pattern)s", pattern=node.pattern)
            if node.pattern is not None
            else _("Add item")
        )
        button = {"type": "button", "class": "btn btn-default btn-sm", "data-tf-add": True}
        inner.append(tag("button", button, label))
    extra = {
        "data-tf-array": names.input_name(field.name),
        "data-tf-placeholder": key,
        "data-tf-next": len(rows),
    }
    if not node.visible:
        field.label.text = _("Other data")
        return _fieldset(field, "tf-map", inner, extra)
    values = wrapper(field, "tf-map")
    values.update(extra)
    return tag("div", values, join(inner))


def _map_row(field: MapView, key_field: ScalarView, value_field: FieldView, key: str) -> Markup:
    """One member: "<name> Key" and its name, then the value labelled by the name (RJSF)."""
    member = key_field.value if isinstance(key_field.value, str) else ""
    key_field.label.text = _("%(name)s Key", name=member) if member else _("Key")
    value_field.label.text = member or _("Value")
    parts = [
        tag("input", {"type": "hidden", "name": field.name, "value": key}),
        render_group(key_field),
        render_group(value_field),
        tag(
            "button",
            {"type": "button", "class": "btn btn-link btn-sm", "data-tf-remove": True},
            _("Remove"),
        ),
    ]
    return tag("div", {"class": "tf-row", "data-tf-row": key}, join(parts))


def _alt_group(group: FieldView) -> Markup:
    field = cast(AltView, group)
    node = field.node
    assert isinstance(node, AltNode)
    selector_id = f"{field.id}-choice"
    options = [
        tag("option", {"value": str(i), "selected": i == field.selected}, label)
        for i, label in enumerate(node.labels)
    ]
    # RJSF's chooser shows no label of its own: the field's legend (or the object's) names
    # what is chosen, and the select carries that name for assistive technology.
    select = tag(
        "select",
        {
            "class": "form-control",
            "id": selector_id,
            "name": field.name + names.SELECTOR,
            "aria-label": node.selector_name(),
            "data-tf-selector": True,
        },
        join(options),
    )
    chooser = tag("div", {"class": "form-group tf-chooser"}, select)
    branches = []
    for i, branch in enumerate(field.branches):
        content = (
            join(render_group(m) for m in cast(ObjectView, branch).members)
            if branch.node.kind == "object"
            else render_group(branch)
        )
        branches.append(tag("div", {"class": "tf-branch", "data-tf-branch": str(i)}, content))
    inner = [chooser, *branches]
    if node.merge:
        return tag("div", {"class": "tf-alt", "data-tf-alt": True}, join(inner))
    return _fieldset(field, "tf-alt", inner, {"data-tf-alt": True})


GROUPS: dict[str, Callable[[FieldView], Markup]] = {
    "object": _object_group,
    "array": _array_group,
    "map": _map_group,
    "alt": _alt_group,
}
