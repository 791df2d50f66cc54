"""One renderer per scalar widget (text, number, checkbox, select, radio, file...)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from urllib.parse import unquote

from markupsafe import Markup, escape

from forms import names, zones
from forms.i18n import _
from forms.nodes import ChoiceNode, FileNode, NumberNode, TextNode
from forms.protocols import ScalarView
from forms.widgets.files import files_input
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
    kind = zones.local_kind(node)
    if kind is not None:
        shown = zones.to_local(kind, zones.unquoted(value), field.zone)
        values.update({"type": input_type, "value": shown, "placeholder": node.placeholder})
        return _zoned(field, values)
    values["type"] = input_type
    values["value"] = value
    return tag("input", values)


def _zoned(field: ScalarView, values: Attrs) -> Markup:
    """A date-time or time input with the person's zone beside it (the value is in it)."""
    zone_id = f"{field.id}-zone"
    values["aria-describedby"] = " ".join(i for i in (values.get("aria-describedby"), zone_id) if i)
    addon = {"class": "input-group-addon tf-zone", "id": zone_id, "title": _("Time zone")}
    parts = [tag("input", values), tag("span", addon, zones.label(field.zone))]
    return tag("div", {"class": "input-group"}, join(parts))


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
            # as RJSF's CheckboxWidget: a required boolean (a tuple's item too) says so; the
            # forms are novalidate, so an unchecked box still posts false
            "required": node.required and not node.nullable,
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
            "required": node.required and not node.nullable,  # a multi-select too (RJSF)
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


# RJSF's AltDateWidget: one select per part; the "now" and "clear" buttons are left out
_PART_RANGES = {"month": (1, 12), "day": (1, 31), "hour": (0, 23), "minute": (0, 59),
                "second": (0, 59)}  # fmt: skip


def _alt_date(field: ScalarView, kwargs: Attrs) -> Markup:
    """Selects for year, month and day (and hour, minute, second for alt-datetime)."""
    node = field.node
    positions = zones.part_order(node)
    chosen = _chosen_parts(field, len(positions))
    base = common(field, kwargs)
    zoned = zones.local_kind(node) is not None
    zone_id = f"{field.id}-zone"
    if zoned:
        base["aria-describedby"] = " ".join(i for i in (base["aria-describedby"], zone_id) if i)
    items = []
    for n, i in enumerate(positions):
        part = zones.PARTS[i]
        placeholder, name = _part_names()[part]
        values: Attrs = {
            **base,
            "id": field.id if n == 0 else f"{field.id}-{part}",
            "autofocus": node.autofocus and n == 0,
            "aria-label": _("%(field)s: %(part)s", field=field.label.text, part=name),
            "class": "form-control",
            "disabled": node.disabled or node.readonly,
        }
        options = [tag("option", {"value": ""}, placeholder)]
        for number in _part_numbers(part, node.options.get("yearsRange"), chosen[i]):
            token = str(number)
            selected = token == chosen[i]
            options.append(tag("option", {"value": token, "selected": selected}, f"{number:02d}"))
        select = tag("select", values, join(options))
        items.append(tag("li", {"class": "list-inline-item"}, select))
    parts = [tag("ul", {"class": "list-inline tf-alt-date"}, join(items))]
    if zoned:
        zone = {"class": "help-block tf-zone", "id": zone_id, "title": _("Time zone")}
        parts.append(tag("span", zone, zones.label(field.zone)))
    if node.readonly or node.disabled:  # disabled selects post nothing: hidden copies do
        name = names.input_name(field.name)
        parts.extend(_hidden_input(name, chosen[i]) for i in positions)
    return join(parts)


def _hidden_input(name: str, value: str) -> Markup:
    """One hidden input."""
    return tag("input", {"type": "hidden", "name": name, "value": value})


def _part_numbers(part: str, years: object, chosen: str) -> list[int]:
    """The numbers a part's select offers (a stored year outside the range stays offered)."""
    low, high = _PART_RANGES.get(part) or _years(years)
    numbers = list(range(low, high + 1)) if low <= high else list(range(low, high - 1, -1))
    if chosen.isdigit() and int(chosen) not in numbers:
        numbers.append(int(chosen))
    return numbers


def _part_names() -> dict[str, tuple[str, str]]:
    """Each part's placeholder (RJSF's) and its name for screen readers, translated."""
    return {
        "year": (_("year"), _("Year")),
        "month": (_("month"), _("Month")),
        "day": (_("day"), _("Day")),
        "hour": (_("hour"), _("Hour")),
        "minute": (_("minute"), _("Minute")),
        "second": (_("second"), _("Second")),
    }


def _chosen_parts(field: ScalarView, count: int) -> list[str]:
    """The part values to select: those posted, else the stored value's (in the person's zone)."""
    raw = [str(v) for v in raw_values(field)]
    if len(raw) == count:  # as posted: in the order shown
        posted = [str(int(v)) if v.strip().isdigit() else "" for v in raw]
        return zones.in_part_order(field.node, posted)
    text = zones.unquoted(raw[0]) if raw else ""
    kind = zones.local_kind(field.node)
    if kind is not None:
        text = zones.to_local(kind, text, field.zone)
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d))?.*)?", text)
    if match is None:
        return [""] * count
    found = [str(int(g)) if g is not None else "0" for g in match.groups()]
    return found[:count]


def _years(option: object) -> tuple[int, int]:
    """RJSF's ``yearsRange``: [start, stop], both ≤ 0 counting from this year; else 1900..+2."""
    this_year = date.today().year
    if (
        isinstance(option, list)
        and len(option) == 2
        and all(isinstance(y, int) and not isinstance(y, bool) for y in option)
    ):
        start, stop = option
        if start <= 0 and stop <= 0:
            return this_year + start, this_year + stop
        if start > 0 and stop > 0:
            return start, stop
    return 1900, this_year + 2


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
    "files": files_input,
    "any": _any,
    "alt-date": _alt_date,
    "alt-datetime": _alt_date,
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
    if node.kind == "text" and node.widget in ("alt-date", "alt-datetime"):
        return _alt_date
    return KINDS.get(node.kind) or SCALARS.get(node.widget or "", _any)
