"""What the workflow builder (app/static/tessera/workflow_builder) asks the server for.

`GET /definitions/builder/workflow-fields/<workflow>` answers the templates whose newest
version names this workflow in `settings.workflow` (key, title) and their top-level custom
fields: name, title, kind (`app.definitions.filterable.field_kind`: enum, number, date, boolean,
text, or "other") and, for a choice, its options as {value, label}. Library fields
(`{"$ref": "field:<key>"}`) are resolved against the published library the way the definition
checks resolve them (`schema_checks.resolve_fields`). A field in several templates is listed
once, as the first template (by key) has it. Admins only, like the editors it serves.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access

from app.definitions import store
from app.definitions.filterable import choices, field_kind, properties
from app.definitions.schema_checks import resolve_fields
from app.models import Definition


def follows(row: Definition, workflow: str) -> bool:
    """Whether a template version names `workflow` in its settings."""
    settings = row.body.get("settings") if isinstance(row.body, dict) else None
    return isinstance(settings, dict) and settings.get("workflow") == workflow


def option_values(schema: dict[str, Any]) -> list[Any]:
    """The stored values of a choice field, as JSON values (numbers stay numbers)."""
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    options = schema.get("oneOf") or schema.get("anyOf") or []
    return [option["const"] for option in options]


def describe_field(name: str, schema: dict[str, Any], ui: Any) -> dict[str, Any]:
    """One custom field as the builder's condition rows offer it."""
    kind = field_kind(schema, ui) or "other"
    out: dict[str, Any] = {"name": name, "title": str(schema.get("title") or name), "kind": kind}
    labelled = choices(schema, ui) if kind == "enum" else None
    if labelled is not None:
        values = option_values(schema)
        out["options"] = [
            {"value": value, "label": label}
            for value, (_, label) in zip(values, labelled, strict=True)
        ]
    return out


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def template_fields(row: Definition) -> list[dict[str, Any]]:
    """The top-level fields of one template version, library fields resolved."""
    body = _object(row.body)
    schema, ui_schema = _object(body.get("schema")), _object(body.get("uiSchema"))
    resolved, ui, _, _ = resolve_fields(schema, ui_schema, store.lookup_published_field)
    return [describe_field(name, sub, ui.get(name)) for name, sub in properties(resolved).items()]


def workflow_fields(workflow: str) -> dict[str, Any]:
    """The templates following `workflow` (newest versions) and their fields, each once."""
    templates = [row for row in store.latest("template") if follows(row, workflow)]
    fields: dict[str, dict[str, Any]] = {}
    for row in templates:
        for field in template_fields(row):
            fields.setdefault(field["name"], field)
    return {
        "templates": [{"key": row.key, "title": row.title} for row in templates],
        "fields": list(fields.values()),
    }


class WorkflowBuilderView(BaseView):
    """Data for the workflow editor's visual builder."""

    route_base = "/definitions/builder"
    default_view = "fields"
    method_permission_name = {"fields": "write"}

    @expose("/workflow-fields/<workflow>")
    @has_access
    def fields(self, workflow: str) -> ResponseReturnValue:
        """The custom fields the templates following `workflow` give the ticket document."""
        return jsonify(workflow_fields(workflow))
