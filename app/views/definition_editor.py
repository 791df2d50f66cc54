"""The definition editor's document: form inputs ↔ JSON body, errors by part, the preview form.

Each kind edits its document as a few inputs ("parts"): plain text for titles, JSON textareas
for schema, uiSchema and the rest. `assemble` turns posted inputs into the body the store
checks; `split` turns a stored body back into input texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from app.definitions.checked import Checked
from app.definitions.checks import parse_json
from app.definitions.errors import DefinitionInvalid
from app.definitions.playground import form_data
from forms import TesseraForm, compile_form
from workflows.diagram import Diagram, Words, layout, render_svg

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
    Part("title", _l("Title"), "text"),
    Part("description", _l("Description"), "textarea", rows=2),
    Part(
        "schema", _l("Schema"), "json", _l("JSON Schema 2020-12 fragment for the value."),
        rows=12,
    ),
    Part(
        "ui", _l("UI schema"), "json", _l('uiSchema hints, e.g. {"ui:widget": "textarea"}.'),
        rows=5,
    ),
    Part("tags", _l("Tags"), "tags", _l("Comma-separated.")),
)

TEMPLATE_PARTS = (
    Part("title", _l("Title"), "text"),
    Part("description", _l("Description"), "textarea", rows=2),
    Part(
        "schema", _l("Schema"), "json",
        _l('JSON Schema of the ticket data; use library fields as {"$ref": "field:<key>"}.'),
        rows=16,
    ),
    Part("uiSchema", _l("uiSchema"), "json", _l("Widgets, order and help texts."), rows=8),
    Part(
        "settings", _l("Settings"), "json",
        _l("subject, list_columns, default_department, workflow, channels."), rows=6,
    ),
    Part(
        "formData", _l("Example data (formData)"), "json", _l("Optional; fills the preview."),
        rows=6,
    ),
)

WORKFLOW_PARTS = (
    Part("title", _l("Title"), "text"),
    Part("description", _l("Description"), "textarea", rows=2),
    Part("states", _l("States"), "json", _l("[{name, label, category}, ...]"), rows=10),
    Part("initial", _l("Initial state"), "text", _l("The state every new ticket starts in.")),
    Part(
        "transitions", _l("Transitions"), "json",
        _l("[{name, label, from, to, roles, requires, when, set, approval}, ...]"), rows=12,
    ),
    Part("routing", _l("Routing"), "json", _l("{strategy, rules, priority_matrix}"), rows=8),
    Part("sla", _l("SLA"), "json", _l("{calendar, warning, policies}"), rows=8),
    Part("triggers", _l("Triggers"), "json", rows=4),
    Part("automations", _l("Automations"), "json", rows=4),
    Part("auto_close", _l("Auto-close"), "json", _l('{"after": "P3D"}'), rows=2),
)

PARTS = {"field": FIELD_PARTS, "template": TEMPLATE_PARTS, "workflow": WORKFLOW_PARTS}

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
    "workflow": {
        "title": "",
        "states": [
            {"name": "new", "label": "New", "category": "new"},
            {"name": "open", "label": "Open", "category": "open"},
            {"name": "solved", "label": "Solved", "category": "solved"},
            {"name": "closed", "label": "Closed", "category": "closed"},
        ],
        "initial": "new",
        "transitions": [
            {"name": "start", "label": "Start work", "from": ["new"], "to": "open",
             "roles": ["agent", "head"]},
            {"name": "solve", "label": "Solve", "from": ["open"], "to": "solved",
             "roles": ["agent", "head"]},
            {"name": "reopen", "label": "Reopen", "from": ["solved"], "to": "open",
             "roles": ["agent", "head"]},
            {"name": "close", "label": "Close", "from": ["solved"], "to": "closed",
             "roles": ["agent", "head", "admin"]},
        ],
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


@dataclass(frozen=True)
class Outline:
    """What the preview shows of a definition without a form: its states and transitions.

    `diagram` is the workflow's state diagram as inline SVG (escaped by `workflows.diagram`).
    """

    initial: str
    states: list[dict[str, str]]  # name, label, category
    transitions: list[dict[str, Any]]  # name, label, from, to, roles, approval (bool)
    diagram: Markup = Markup("")


def diagram_words(diagram: Diagram) -> Words:
    """The state diagram's title, summary and category names in the request's language."""
    count = len({arrow.transition for arrow in diagram.arrows})
    return Words(
        _("%(title)s: states and transitions", title=diagram.title),
        _(
            "%(states)d states and %(transitions)d transitions; new tickets start in %(initial)s.",
            states=len(diagram.boxes), transitions=count,
            initial=diagram.box(diagram.initial).label,
        ),
        {category: str(name) for category, name in CATEGORY_NAMES.items()},
    )


def workflow_diagram(body: dict[str, Any]) -> Markup:
    """A checked workflow definition's state diagram, as SVG to inline in a page."""
    diagram = layout(body)
    return Markup(render_svg(diagram, diagram_words(diagram)))  # every text escaped in there


# The state categories as the diagram's legend names them.
CATEGORY_NAMES = {
    "new": _l("new"), "open": _l("open"), "waiting": _l("waiting"), "solved": _l("solved"),
    "closed": _l("closed"),
}


def _workflow_outline(checked: Checked) -> Outline:
    body = checked.body
    states = [
        {"name": s["name"], "label": s.get("label", s["name"]), "category": s["category"]}
        for s in body["states"]
    ]
    transitions = [
        {
            "name": t["name"], "label": t.get("label", t["name"]), "from": t["from"],
            "to": t["to"], "roles": t["roles"], "approval": "approval" in t,
        }
        for t in body["transitions"]
    ]
    return Outline(body["initial"], states, transitions, workflow_diagram(body))


# Kinds without a form: the preview outlines them instead of rendering one.
OUTLINES = {"workflow": _workflow_outline}


def outline(kind: str, checked: Checked) -> Outline | None:
    """The outline the preview shows instead of a form, for kinds that have no form."""
    make = OUTLINES.get(kind)
    return make(checked) if make is not None else None


def example_of(kind: str, checked: Checked) -> Any:
    """The instance the preview starts from: a template's formData as RJSF shows it, or None.

    Its own values (array rows, extra properties) as written, defaults where it has none and
    blank rows up to `minItems` (`playground.form_data`). A new ticket's form does not start
    from the example: it starts from the defaults alone.
    """
    if kind != "template":
        return None
    return form_data(preview_form(kind, checked), checked.body.get("formData"), rows=True)
