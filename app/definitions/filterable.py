"""Which custom fields of a template a list can filter on, and how (pure: schema in, specs out).

A template's top-level properties (those its conditionals add included) are filterable when
their schema says what kind of value they hold:

- enum: `enum`, or `oneOf`/`anyOf` of `const` options (labels: the option's `title`, or
  the uiSchema's `ui:enumNames`);
- number: `type: number | integer`;
- date: `type: string` with `format: date` (whole days) or `date-time`;
- boolean: `type: boolean`;
- text: any other `type: string`, file fields aside (`forms.converters.is_file`: their value
  is an attachment reference or a data URL, nothing a person filters or searches on).

`settings.filters` (optional) names the fields a template's list offers as filters, in order;
without it every filterable field is offered. The fields PostgreSQL indexes for a template are
`settings.filters`, else the filterable fields among `settings.list_columns`: an index per
field of every template would tax each insert for filters nobody uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.pointers import unescape
from forms.converters import is_file

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
"""Names of fields SQL may carry as literals (filters, sorts, per-field indexes).

`\\Z`, not `$`: `$` also matches before a final newline, and callers use `.match`.
"""

KINDS = ("enum", "number", "date", "boolean", "text")


@dataclass(frozen=True)
class FilterSpec:
    """One filter input of a template's list."""

    name: str
    kind: str
    title: str
    choices: tuple[tuple[str, str], ...] = ()
    whole_days: bool = False  # a `format: date` field: values are whole days


def choices(schema: Any, ui: Any = None) -> list[tuple[str, str]] | None:
    """(value, label) of an enum-like field; None when it is not one.

    Labels: a `oneOf`/`anyOf` option's `title`, else the uiSchema's `ui:enumNames` (RJSF's
    convention, also read by the form compiler), else the value itself.
    """
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list):
        names = _enum_names(ui)
        return [
            (_text(v), str(names[i]) if i < len(names) else _text(v))
            for i, v in enumerate(schema["enum"])
        ]
    options = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(options, list) and options and all(
        isinstance(o, dict) and "const" in o for o in options
    ):
        return [(_text(o["const"]), str(o.get("title") or _text(o["const"]))) for o in options]
    return None


def _enum_names(ui: Any) -> list[Any]:
    if not isinstance(ui, dict):
        return []
    names = ui.get("ui:enumNames")
    if names is None and isinstance(ui.get("ui:options"), dict):
        names = ui["ui:options"].get("enumNames")
    return names if isinstance(names, list) else []


def _text(value: Any) -> str:
    """An enum value as the list compares it (`data ->> 'f'`: JSON text of non-strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def field_kind(schema: Any, ui: Any = None) -> str | None:
    """How a top-level field is filtered: one of KINDS, or None (`ui`: its uiSchema entry)."""
    if not isinstance(schema, dict):
        return None
    if choices(schema) is not None:
        return "enum"
    kind = schema.get("type")
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "string":
        if is_file(schema, ui if isinstance(ui, dict) else None):
            return None
        return "date" if schema.get("format") in ("date", "date-time") else "text"
    return None


def properties(schema: Any) -> dict[str, dict[str, Any]]:
    """Top-level properties, including those a conditional (`then`/`else`/`allOf`) adds."""
    out: dict[str, dict[str, Any]] = {}

    def collect(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and name not in out:
                out[name] = sub
        for branch in ("then", "else"):
            collect(node.get(branch))
        for part in node.get("allOf") or []:
            collect(part)

    collect(schema)
    return out


def spec(name: str, schema: Any, ui: Any = None) -> FilterSpec | None:
    """The filter of one top-level field (`ui`: its uiSchema entry); None when there is none."""
    kind = field_kind(schema, ui)
    if kind is None or not FIELD_NAME.match(name):
        return None
    return FilterSpec(
        name=name,
        kind=kind,
        title=str(schema.get("title") or name),
        choices=tuple(choices(schema, ui) or ()),
        whole_days=kind == "date" and schema.get("format") == "date",
    )


def filterable(schema: Any, ui_schema: Any = None) -> dict[str, FilterSpec]:
    """Every filterable top-level field of a (resolved) template schema, by name."""
    ui = ui_schema if isinstance(ui_schema, dict) else {}
    found = (spec(name, sub, ui.get(name)) for name, sub in properties(schema).items())
    return {s.name: s for s in found if s is not None}


def filter_specs(
    settings: dict[str, Any], schema: Any, ui_schema: Any = None
) -> list[FilterSpec]:
    """The filters a template's list offers: `settings.filters` in order, else all of them."""
    available = filterable(schema, ui_schema)
    named = settings.get("filters")
    if isinstance(named, list):
        return [available[n] for n in named if n in available]
    return list(available.values())


def column_name(column: Any) -> str | None:
    """The top-level field a `list_columns` entry shows (`"amount"` or `"/contact/email"`)."""
    if not isinstance(column, str) or not column:
        return None
    name = column[1:] if column.startswith("/") else column
    return unescape(name.split("/", 1)[0]) or None


def indexed_fields(settings: dict[str, Any], schema: Any) -> list[tuple[str, str]]:
    """(field, kind) pairs to index: `settings.filters`, else the filterable list columns."""
    available = filterable(schema)
    named = settings.get("filters")
    if not isinstance(named, list):
        named = [column_name(c) for c in settings.get("list_columns") or []]
    return _unique((n, available[n].kind) for n in named if n in available)


def _unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))


def settings_errors(settings: Any, schema: Any, ui_schema: Any = None) -> dict[str, list[str]]:
    """{pointer: [message]} for `settings.filters` entries that name no filterable field (the
    uiSchema counts: a string shown as a file widget is a file)."""
    if not isinstance(settings, dict) or not isinstance(settings.get("filters"), list):
        return {}
    available = filterable(schema, ui_schema)
    errors: dict[str, list[str]] = {}
    for i, name in enumerate(settings["filters"]):
        if name not in available:
            errors[f"/settings/filters/{i}"] = [
                "Not a top-level field that can be filtered on (an enum, number, date, "
                "boolean or text field whose name uses letters, digits and _)."
            ]
    return errors
