"""The kinds of definition: one entry per kind, with what is checked for that kind only.

`checks.check_definition` runs the stages every kind shares (size and depth limits, the kind's
`normalize`, its meta-schema, the key) and then the entry's `check`; when publishing, also its
`publish` checks. A new kind is one entry in `CHECKERS` plus its meta-schema: the workflow
entry's `check` loads the body with `workflows.load_workflow` the way a template's compiles its
form with `forms.compile_form`, and its meta-schema is the one the engine ships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.definitions.checked import Checked, Errors, LookupField, PublishLookups, raise_if
from app.definitions.errors import DefinitionInvalid
from app.definitions.filterable import settings_errors
from app.definitions.playground import example_warnings, root_errors
from app.definitions.publishing import required_errors, template_publish_errors
from app.definitions.schema_checks import (
    compile_check,
    field_ref_pointers,
    ref_errors,
    resolve_fields,
    schema_errors,
)
from app.definitions.workflow_checks import check_workflow, workflow_publish_errors
from forms import compile_form
from workflows import meta_schema as workflow_meta_schema


def _as_is(key: str | None, body: Any) -> Any:
    return body


def _nothing_more(checked: Checked, lookups: PublishLookups) -> Errors:
    return {}


@dataclass(frozen=True)
class Kind:
    """How one kind of definition is checked beyond the shared stages."""

    check: Callable[[dict[str, Any], LookupField], Checked]
    """Every save: the body (past its meta-schema) → the checked definition, or raise."""
    publish: Callable[[Checked, PublishLookups], Errors] = _nothing_more
    """Publishing only: what a live version needs that a draft may still lack."""
    normalize: Callable[[str | None, Any], Any] = _as_is
    """Before the meta-schema: other accepted shapes of the body → the stored shape."""
    meta_schema: Callable[[], dict[str, Any]] | None = None
    """Where the meta-schema comes from when it ships elsewhere (else `schemas/<kind>.json`)."""


def check_field(body: dict[str, Any], lookup_field: LookupField) -> Checked:
    """A library field: a schema for one value that renders as one input."""
    schema = body["schema"]
    raise_if(schema_errors(schema, "/schema"))
    nested = field_ref_pointers(schema, "/schema")
    raise_if({p: ["A field cannot use other library fields."] for p in nested})
    # Checked as the one property of a form, so pointers drop that wrapper (prefix_len=2).
    root = {"type": "object", "properties": {body["key"]: schema}}
    ui = {body["key"]: body.get("ui", {})}
    raise_if(ref_errors(root, "/schema", prefix_len=2))
    raise_if(required_errors(schema, schema))
    compile_check(root, ui, "/schema", prefix_len=2)
    return Checked("field", body["key"], body["title"], body, schema, body.get("ui", {}))


def check_template(body: dict[str, Any], lookup_field: LookupField) -> Checked:
    """A ticket template: its form with library fields inlined, its settings and example.

    The schema is kept as written (draft-07 too, `playground.dialect`); an example that does
    not fit is kept as well, its problems returned as `Checked.warnings`.
    """
    schema = body["schema"]
    raise_if(schema_errors(schema, "/schema"))
    resolved, ui, pins, errors = resolve_fields(schema, body.get("uiSchema", {}), lookup_field)
    raise_if(errors)
    raise_if(ref_errors(resolved, "/schema"))
    raise_if(required_errors(schema, resolved))
    raise_if(settings_errors(body.get("settings"), resolved, ui))
    compile_check(resolved, ui, "/schema")
    warnings = example_warnings(compile_form(resolved, ui), body.get("formData"))
    return Checked("template", body["key"], body["title"], body, resolved, ui, pins, warnings)


def normalize_template(key: str | None, body: Any) -> Any:
    """Accept the RJSF playground shape {schema, uiSchema, formData} for templates.

    A playground schema whose root is not an object is refused here, before the meta-schema,
    with what to write instead (`playground.root_errors`).
    """
    if isinstance(body, dict) and "schema" in body:
        root = root_errors(body["schema"])
        if root:
            raise DefinitionInvalid(root)
        body = dict(body)
        if "key" not in body and key:
            body["key"] = key
        if "title" not in body:
            schema = body.get("schema")
            title = schema.get("title") if isinstance(schema, dict) else None
            body["title"] = title if isinstance(title, str) and title else body.get("key", key)
    return body


# Order matters where kinds depend on each other: an import stores fields before the
# templates that use them, and workflows before the templates that name them.
CHECKERS: dict[str, Kind] = {
    "field": Kind(check_field),
    "workflow": Kind(
        check_workflow, workflow_publish_errors, meta_schema=workflow_meta_schema
    ),
    "template": Kind(check_template, template_publish_errors, normalize_template),
}
