"""What the visual builders (app/static/tessera/builder) ask the server for: their palette, and
the top-level fields of the template being edited.

`GET /definitions/builder/palette` answers the published library fields (key, title, version,
schema, ui) and, for each kind of field the builder tells apart, the `ui:widget` names the form
compiler accepts for it. Those are found by asking the compiler itself (a widget fits when
compiling a sample field with it gives no warning), so the builder offers exactly what
`forms.converters` renders. Beside them, what the dropdowns of template settings and workflows
offer from the database: departments (key, name), workflows (key, title, whether one version
is published), the skills memberships hold, and the channels, priorities, roles, state
categories and assignment strategies the engine knows. Admins only, like the editors it serves.

`POST /definitions/builder/fields` takes `{"schema": …, "uiSchema": …}` as the editor holds
them and answers the form's top-level fields in display order, each with its title, whether it
is a text field (what `settings.subject` can take) and whether the template's list can filter
on it, with the reason when not. Library `$ref`s are inlined as the definition checks inline
them (`schema_checks.resolve_fields`), and filterability is `filterable.field_kind`'s, so the
builder's settings controls offer what the server accepts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.definitions import store
from app.definitions.checks import parse_json
from app.definitions.errors import DefinitionInvalid
from app.definitions.filterable import FIELD_NAME, field_kind, properties
from app.definitions.schema_checks import resolve_fields
from app.extensions import db
from app.models import Definition, Department
from app.pointers import pointer
from app.tickets.models import PEOPLE_CHANNELS
from app.views.definitions import published_fields
from forms import compile_form
from forms.converters import WIDGETS, is_file
from forms.structure import display_order
from workflows import PRIORITIES, ROLES, Category, Strategy

# One sample field per kind of field whose widget the builder lets an admin choose.
WIDGET_SAMPLES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "yesno": {"type": "boolean"},
    "choice": {"type": "string", "enum": ["a", "b"]},
    "multi": {
        "type": "array",
        "uniqueItems": True,
        "items": {"type": "string", "enum": ["a", "b"]},
    },
    "file": {"type": "string", "format": "data-url"},
}
NOT_OFFERED = {"hidden"}  # its own switch in the builder


@cache
def fitting_widgets() -> dict[str, list[str]]:
    """The widget names the compiler renders without a warning, per kind of field."""
    fits: dict[str, list[str]] = {}
    for kind, sample in WIDGET_SAMPLES.items():
        schema = {"type": "object", "properties": {"x": sample}}
        fits[kind] = [
            widget
            for widget in sorted(WIDGETS - NOT_OFFERED)
            if not compile_form(schema, {"x": {"ui:widget": widget}}).warnings
        ]
    return fits


class TemplateBuilderView(BaseView):
    """Data for the template editor's visual builder."""

    route_base = "/definitions/builder"
    default_view = "palette"
    method_permission_name = {"palette": "write", "fields": "write"}

    @expose("/palette")
    @has_access
    def palette(self) -> ResponseReturnValue:
        """The library fields a template can use now, and the widgets per kind of field."""
        fields = [
            {
                "key": row.key,
                "title": row.title,
                "version": row.version,
                "schema": row.body.get("schema", {}),
                "ui": row.body.get("ui", {}),
            }
            for row in published_fields()
        ]
        return jsonify(
            {
                "fields": fields,
                "widgets": fitting_widgets(),
                "departments": departments(),
                "workflows": workflows(),
                "skills": sorted(store.held_skills()),
                "channels": list(PEOPLE_CHANNELS),
                "priorities": list(PRIORITIES),
                "roles": list(ROLES),
                "categories": [c.value for c in Category],
                "strategies": [s.value for s in Strategy],
            }
        )

    @expose("/fields", methods=["POST"])
    @has_access
    def fields(self) -> ResponseReturnValue:
        """The top-level fields of the posted schema and uiSchema, for the settings controls."""
        if request.mimetype != "application/json":
            return _refused({"": [_("Send the schema and uiSchema as JSON.")]}, 415)
        try:
            schema, ui = posted_form(parse_json(request.get_data()))
            resolved, merged_ui, _pins, problems = resolve_fields(
                schema, ui, store.lookup_published_field
            )
        except DefinitionInvalid as exc:
            return _refused(exc.errors, 400 if "" in exc.errors else 422)
        except RecursionError:
            return _refused({"/schema": [_("The schema is nested too deeply.")]}, 422)
        return jsonify({"fields": top_fields(resolved, merged_ui, problems)})


def _refused(errors: dict[str, list[str]], status: int) -> ResponseReturnValue:
    return jsonify({"errors": errors}), status


def posted_form(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema and uiSchema of a posted `{"schema": …, "uiSchema": …}` (uiSchema optional)."""
    if not isinstance(body, dict):
        raise DefinitionInvalid({"": [_("Send a JSON object with schema and uiSchema.")]})
    schema: Any = body.get("schema")
    ui: Any = body.get("uiSchema", {})
    errors: dict[str, list[str]] = {}
    if not isinstance(schema, dict):
        errors["/schema"] = [_("The schema must be a JSON object.")]
    if not isinstance(ui, dict):
        errors["/uiSchema"] = [_("The uiSchema must be a JSON object.")]
    if errors:
        raise DefinitionInvalid(errors)
    return schema, ui


def top_fields(
    resolved: dict[str, Any], ui: dict[str, Any], problems: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Each top-level field in display order (those only a condition adds after the others)."""
    own = resolved.get("properties")
    own = own if isinstance(own, dict) else {}
    found = properties(resolved)  # the form's own first, then the conditions'
    names = [*own, *(n for n in found if n not in own)]
    return [
        top_field(name, found.get(name, own.get(name)), ui.get(name), problems)
        for name in display_order(names, ui)
    ]


def top_field(name: str, schema: Any, ui: Any, problems: dict[str, list[str]]) -> dict[str, Any]:
    """{name, title, text, filterable, reason?} of one top-level field (schema resolved)."""
    entry: dict[str, Any] = ui if isinstance(ui, dict) else {}
    kind = field_kind(schema, entry)
    shown: dict[str, Any] = {
        "name": name,
        "title": _title(name, schema, entry),
        "text": kind == "text",
        "filterable": kind is not None and bool(FIELD_NAME.match(name)),
    }
    if not shown["filterable"]:
        unresolved = problems.get("/schema" + pointer(["properties", name, "$ref"]))
        shown["reason"] = unresolved[0] if unresolved else not_filterable(schema, entry)
    return shown


def _title(name: str, schema: Any, ui: dict[str, Any]) -> str:
    for title in (ui.get("ui:title"), schema.get("title") if isinstance(schema, dict) else None):
        if isinstance(title, str) and title:
            return title
    return name


def not_filterable(schema: Any, ui: dict[str, Any]) -> str:
    """Why a template's list cannot filter on a top-level field."""
    if field_kind(schema, ui) is None:
        if isinstance(schema, dict) and schema.get("type") == "string" and is_file(schema, ui):
            return _("A file field: its value is an attachment, nothing a list filters on.")
        return _("Not an enum, number, date, boolean or text field.")
    return _("Its name uses characters other than letters, digits and _ (a filter cannot name it).")


def departments() -> list[dict[str, str]]:
    """Every department by key, with its name."""
    rows = db.session.execute(select(Department.key, Department.name).order_by(Department.key))
    return [{"key": key, "name": name} for key, name in rows]


def workflows() -> list[dict[str, Any]]:
    """Every workflow key with its newest title and whether some version is published."""
    published = {
        key
        for (key,) in db.session.execute(
            select(Definition.key).where(
                Definition.kind == "workflow", Definition.status == store.PUBLISHED
            )
        )
    }
    return [
        {"key": row.key, "title": row.title, "published": row.key in published}
        for row in store.latest("workflow")
    ]
