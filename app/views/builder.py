"""What the visual builders (app/static/tessera/builder) ask the server for: their palette.

`GET /definitions/builder/palette` answers the published library fields (key, title, version,
schema, ui) and, for each kind of field the builder tells apart, the `ui:widget` names the form
compiler accepts for it. Those are found by asking the compiler itself (a widget fits when
compiling a sample field with it gives no warning), so the builder offers exactly what
`forms.converters` renders. Beside them, what the dropdowns of template settings and workflows
offer from the database: departments (key, name), workflows (key, title, whether one version
is published), the skills memberships hold, and the channels, priorities, roles, state
categories and assignment strategies the engine knows. Admins only, like the editors it serves.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.definitions import store
from app.extensions import db
from app.models import Definition, Department
from app.tickets.models import PEOPLE_CHANNELS
from app.views.definitions import published_fields
from forms import compile_form
from forms.converters import WIDGETS
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
    method_permission_name = {"palette": "write"}

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
