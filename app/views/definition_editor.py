"""The definition editor's document: form inputs ↔ JSON body, errors by part, the preview form.

Each kind edits its document as a few inputs ("parts"): plain text for titles, JSON textareas
for schema, uiSchema and the rest. `assemble` turns posted inputs into the body the store
checks; `split` turns a stored body back into input texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from app.definitions.checked import Checked
from app.definitions.checks import parse_json
from app.definitions.errors import DefinitionInvalid
from forms import TesseraForm, compile_form

PREVIEW_KEY = "preview"  # stands in for a new field's key until the admin types one


@dataclass(frozen=True)
class Part:
    """One input of the editor: a member of the definition document."""

    name: str
    label: str
    widget: str  # "text", "textarea", "json" or "tags"
    help: str = ""
    rows: int = 8


FIELD_PARTS = (
    Part("title", "Title", "text"),
    Part("description", "Description", "textarea", rows=2),
    Part("schema", "Schema", "json", "JSON Schema 2020-12 fragment for the value.", rows=12),
    Part("ui", "UI schema", "json", 'uiSchema hints, e.g. {"ui:widget": "textarea"}.', rows=5),
    Part("tags", "Tags", "tags", "Comma-separated."),
)

TEMPLATE_PARTS = (
    Part("title", "Title", "text"),
    Part("description", "Description", "textarea", rows=2),
    Part(
        "schema", "Schema", "json",
        'JSON Schema of the ticket data; use library fields as {"$ref": "field:<key>"}.',
        rows=16,
    ),
    Part("uiSchema", "uiSchema", "json", "Widgets, order and help texts.", rows=8),
    Part(
        "settings", "Settings", "json",
        "subject, list_columns, default_department, workflow, channels.", rows=6,
    ),
    Part("formData", "Example data (formData)", "json", "Optional; fills the preview.", rows=6),
)

PARTS = {"field": FIELD_PARTS, "template": TEMPLATE_PARTS}

STARTERS: dict[str, dict[str, Any]] = {
    "field": {"title": "", "schema": {"type": "string", "title": ""}, "ui": {}},
    "template": {
        "title": "",
        "schema": {
            "type": "object",
            "properties": {"summary": {"type": "string", "title": "Summary", "maxLength": 200}},
            "required": ["summary"],
        },
        "uiSchema": {},
        "settings": {"subject": "/summary"},
    },
}


def starter(kind: str, department: str | None = None) -> dict[str, Any]:
    """The document a new definition starts from; a template's routes to `department`.

    Publishing needs a default department, so the scaffold names one when there is one.
    """
    body = json.loads(json.dumps(STARTERS[kind]))
    if kind == "template" and department is not None:
        body["settings"]["default_department"] = department
    return dict(body)


def pretty(value: Any) -> str:
    """JSON as the editor shows it: 2-space indent, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def split(kind: str, body: dict[str, Any]) -> dict[str, str]:
    """The editor's input texts for a stored (or starter) body."""
    texts: dict[str, str] = {}
    for part in PARTS[kind]:
        value = body.get(part.name)
        if value is None:
            texts[part.name] = ""
        elif part.widget == "json":
            texts[part.name] = pretty(value)
        elif part.widget == "tags":
            texts[part.name] = ", ".join(str(tag) for tag in value)
        else:
            texts[part.name] = str(value)
    return texts


def texts_from(kind: str, form: MultiDict[str, str]) -> dict[str, str]:
    """The editor's input texts as posted (for re-rendering after an error)."""
    return {part.name: form.get(part.name, "") for part in PARTS[kind]}


def assemble(kind: str, key: str, form: MultiDict[str, str]) -> dict[str, Any]:
    """The definition body the posted inputs describe; unparsable JSON raises at its part."""
    body: dict[str, Any] = {"key": key}
    errors: dict[str, list[str]] = {}
    for part in PARTS[kind]:
        raw = form.get(part.name, "")
        if not raw.strip():
            continue
        if part.widget == "json":
            try:
                body[part.name] = parse_json(raw)
            except DefinitionInvalid as exc:
                for where, messages in exc.errors.items():
                    errors.setdefault(f"/{part.name}{where}", []).extend(messages)
        elif part.widget == "tags":
            body[part.name] = [t.strip() for t in raw.split(",") if t.strip()]
        else:
            body[part.name] = raw.strip()
    if errors:
        raise DefinitionInvalid(errors)
    return body


def errors_by_part(kind: str, errors: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """Group pointer errors under the editor input they belong to ("" = the whole document)."""
    names = {part.name for part in PARTS[kind]} | {"key"}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for pointer, messages in errors.items():
        head = pointer.split("/")[1] if pointer.startswith("/") else ""
        part = head if head in names else ""
        grouped.setdefault(part, []).extend((pointer or "/", m) for m in messages)
    return grouped


def preview_form(kind: str, checked: Checked) -> type[TesseraForm]:
    """The compiled form a definition gives: a template's whole form, a field as one input."""
    if kind == "field":
        schema = {"type": "object", "properties": {checked.key: checked.schema}}
        return compile_form(schema, {checked.key: checked.ui_schema})
    return compile_form(checked.schema, checked.ui_schema)


def example_of(kind: str, checked: Checked) -> Any:
    """The instance the preview starts from (a template's formData), or None."""
    if kind == "template":
        return checked.body.get("formData")
    return None
