"""The resolved form of a template version: what tickets of that version validate against.

A published (or retired) template version never changes, and neither do the field versions it
pins, so its resolved schema, uiSchema and compiled form are built once per process and kept.
Tickets validate against the version they were created under (`ticket.template_version`), so
an edit keeps using that version after a newer one is published.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.definitions.checks import FieldVersion, check_definition
from app.definitions.errors import DefinitionStoreError
from app.errors import TesseraError
from app.extensions import db
from app.models import Definition, DefinitionStatus
from app.pointers import resolve
from forms import TesseraForm, compile_form, instance_errors


class TemplateUnavailable(TesseraError):
    """No usable template version; `status` is the HTTP code (404 unknown, 409 retired)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TemplateForm:
    """One template version, resolved: plain values only (safe to share across sessions)."""

    definition_id: int
    key: str
    version: int
    title: str
    settings: dict[str, Any]
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    form: type[TesseraForm] = field(repr=False)

    def errors(self, data: Any, base: str = "") -> dict[str, list[str]]:
        """{pointer: [messages]} for `data` (pointers prefixed with `base`); {} when valid.

        The compiled form's own validator: the same schema upgrade, registry and format
        checker the HTML form uses, so the API and the form accept the same documents.
        """
        return instance_errors(self.form, data, base)

    def subject_from(self, data: dict[str, Any]) -> str | None:
        """The subject `settings.subject` points at in `data` (a pointer or a top-level name)."""
        where = self.settings.get("subject")
        if not isinstance(where, str) or not where:
            return None
        value = resolve(data, where) if where.startswith("/") else data.get(where)
        if isinstance(value, str) and value.strip():
            return value.strip()
        return None


_lock = threading.Lock()
# (database URL, definition id, checksum) → resolved form. The URL keeps two databases in one
# process (the test suite runs PostgreSQL and SQLite side by side) from sharing ids.
_cache: dict[tuple[str, int, str], TemplateForm] = {}
# (database URL, template key, version) → the resolved form `template_version` found.
_versions: dict[tuple[str, str, int], TemplateForm] = {}


def _database() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _pinned_lookup(pins: dict[str, int]) -> Any:
    def lookup(key: str) -> FieldVersion | None:
        version = pins.get(key)
        if version is None:
            return None
        row = db.session.scalar(
            select(Definition).where(
                Definition.kind == "field", Definition.key == key, Definition.version == version
            )
        )
        if row is None:
            return None
        return FieldVersion(key, row.version, row.body)

    return lookup


def template_form(row: Definition) -> TemplateForm:
    """The resolved form of a published or retired template version (cached per version)."""
    if row.kind != "template" or row.status == DefinitionStatus.DRAFT.value:
        raise ValueError(f"{row!r} is not a published or retired template version.")
    cache_key = (_database(), row.id, row.checksum)
    hit = _cache.get(cache_key)
    if hit is not None:
        return hit
    # Resolve against the field versions pinned at publication, not the ones published now.
    try:
        checked = check_definition(
            "template", row.body, _pinned_lookup(row.pins or {}), key=row.key
        )
    except DefinitionStoreError as exc:
        # A pinned field version gone missing, or checks that became stricter since.
        raise TemplateUnavailable(
            409, f"The template {row.key!r} v{row.version} cannot be resolved: {exc}"
        ) from exc
    settings = row.body.get("settings") if isinstance(row.body, dict) else None
    # No `key=`: the content hash (once per version and process) cannot collide across
    # databases the way a definition id can.
    form = compile_form(checked.schema, checked.ui_schema)
    resolved = TemplateForm(
        definition_id=row.id,
        key=row.key,
        version=row.version,
        title=row.title,
        settings=dict(settings) if isinstance(settings, dict) else {},
        schema=checked.schema,
        ui_schema=checked.ui_schema,
        form=form,
    )
    with _lock:
        return _cache.setdefault(cache_key, resolved)


def published_template(key: str) -> TemplateForm:
    """The published version of a template: 404 when the key is unknown, 409 when retired.

    A key holding a NUL character is 400: no key has one, and PostgreSQL refuses it in a query.
    """
    if "\x00" in key:
        raise TemplateUnavailable(400, _("A template key cannot contain NUL characters."))
    rows = list(
        db.session.scalars(
            select(Definition).where(Definition.kind == "template", Definition.key == key)
        )
    )
    published = next((r for r in rows if r.status == DefinitionStatus.PUBLISHED.value), None)
    if published is not None:
        return template_form(published)
    if any(r.status == DefinitionStatus.RETIRED.value for r in rows):
        raise TemplateUnavailable(409, f"The template {key!r} is retired: no version is published.")
    raise TemplateUnavailable(404, f"There is no published template {key!r}.")


def template_version(key: str, version: int) -> TemplateForm:
    """The version a ticket was created under (published or retired since).

    Found once per process: a published version never changes and is never deleted, and
    retiring it keeps it available here.
    """
    version_key = (_database(), key, version)
    hit = _versions.get(version_key)
    if hit is not None:
        return hit
    row = db.session.scalar(
        select(Definition).where(
            Definition.kind == "template", Definition.key == key, Definition.version == version
        )
    )
    if row is None or row.status == DefinitionStatus.DRAFT.value:
        raise TemplateUnavailable(409, f"The template {key!r} v{version} is not available.")
    resolved = template_form(row)
    if row.status not in (DefinitionStatus.PUBLISHED.value, DefinitionStatus.RETIRED.value):
        return resolved
    with _lock:
        return _versions.setdefault(version_key, resolved)


def clear_cache() -> None:
    """Forget every resolved template (tests)."""
    with _lock:
        _cache.clear()
        _versions.clear()


__all__ = [
    "TemplateForm",
    "TemplateUnavailable",
    "clear_cache",
    "published_template",
    "template_form",
    "template_version",
]
