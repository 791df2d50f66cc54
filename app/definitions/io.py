"""Definitions as code: export to and import from one JSON file per definition.

Layout: `DIR/<kind>/<key>.json` holds the published version (`<key>.draft.json` the open
draft, with drafts). Files are the body's JSON in the document's own key order
(`store.document_json`: the order of `properties` is the order of the form), so export →
import into an empty database → export gives the same bytes; only the checksum reads the
sorted canonical form. Import checks every file first and writes nothing if any is bad.

Publishing on import takes workflows without a department head's approval: operators with
shell access (`flask tessera defs import --publish`, the demo) are trusted. The API's import
passes `approved_by_import=False`, so a workflow to publish there answers 409 like any other
direct publish of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.definitions import store
from app.definitions.checked import FieldVersion, PublishLookups
from app.definitions.checks import KINDS, check_definition, parse_json
from app.definitions.errors import DefinitionInvalid
from app.extensions import db
from app.models import Definition

DRAFT_SUFFIX = ".draft.json"


@dataclass
class ImportReport:
    """What an import did (or, on error, what it found wrong: file → pointer → messages)."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    warnings: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """What was imported but is worth saying (an example that does not fit): file → pointer."""


class ImportFailed(DefinitionInvalid):
    """At least one file is bad; nothing was written. `by_file` says where."""

    def __init__(self, by_file: dict[str, dict[str, list[str]]]) -> None:
        self.by_file = by_file
        flat = {
            f"{name}#{pointer}": messages
            for name, errors in by_file.items()
            for pointer, messages in errors.items()
        }
        super().__init__(flat)


def export_files(include_drafts: bool = False) -> dict[str, str]:
    """{relative path: JSON in document order} of every published (and optionally draft) one."""
    files: dict[str, str] = {}
    for row in db.session.scalars(db.select(Definition).order_by(Definition.kind, Definition.key)):
        if row.kind not in KINDS:
            continue
        if row.status == store.PUBLISHED:
            files[f"{row.kind}/{row.key}.json"] = store.document_json(row.body)
        elif row.status == store.DRAFT and include_drafts:
            files[f"{row.kind}/{row.key}{DRAFT_SUFFIX}"] = store.document_json(row.body)
    return files


def export_dir(directory: Path, include_drafts: bool = False) -> list[Path]:
    """Write `export_files` under `directory`; returns the paths written."""
    written = []
    for relative, text in export_files(include_drafts).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def read_path(path: Path) -> dict[str, bytes]:
    """{name: content} of a file, or of every `<kind>/*.json` below a folder.

    Bytes: a file that is not UTF-8 is then reported by `import_texts` like any bad JSON.
    """
    if path.is_file():
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise ImportFailed({str(path): {"": ["No such file or folder."]}})
    return {str(file.relative_to(path)): file.read_bytes() for file in sorted(path.rglob("*.json"))}


# A file outside a kind folder: the first kind whose members it has (else a field).
SHAPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("workflow", frozenset({"states", "transitions"})),
    ("template", frozenset({"uiSchema"})),
    ("template", frozenset({"settings"})),
)


def _kind_and_key(name: str, body: Any) -> tuple[str | None, str | None]:
    parts = Path(name).parts
    kind = parts[-2] if len(parts) >= 2 and parts[-2] in KINDS else None
    if kind is None and isinstance(body, dict):  # a lone file: guess from its shape
        kind = next((k for k, members in SHAPES if members <= body.keys()), "field")
    stem = Path(name).name.removesuffix(DRAFT_SUFFIX).removesuffix(".json")
    return kind, stem


def _batch_lookups(parsed: list[tuple[str, str, str, Any]]) -> PublishLookups:
    """The database's publish lookups, answering also for what this import publishes.

    A template publishes only once its workflow is published, and a workflow's conditions may
    name a template of the same import that is written after it: both count as there.
    """
    base = store.publish_lookups()
    workflows = {key for _, kind, key, _ in parsed if kind == "workflow"}
    templates = {key for _, kind, key, _ in parsed if kind == "template"}
    return replace(
        base,
        workflow=lambda key: store.PUBLISHED if key in workflows else base.workflow(key),
        template=lambda key: key in templates or base.template(key),
    )


def import_texts(
    files: Mapping[str, str | bytes],
    publish: bool,
    actor_id: int | None,
    *,
    approved_by_import: bool = True,
) -> ImportReport:
    """Check every file, then store them all in one transaction (or raise ImportFailed).

    With `publish`, workflows are published directly only when `approved_by_import` (the
    shell's import); otherwise `store.publish` refuses them (ApprovalRequired, 409).
    """
    parsed: list[tuple[str, str, str, Any]] = []
    errors: dict[str, dict[str, list[str]]] = {}
    for name, text in files.items():
        try:
            body = parse_json(text)
        except DefinitionInvalid as exc:
            errors[name] = exc.errors
            continue
        kind, key = _kind_and_key(name, body)
        if kind is None or key is None:
            folders = " or ".join(f"{k}/" for k in KINDS)
            errors[name] = {"": [f"Put the file in a {folders} folder."]}
            continue
        parsed.append((name, kind, key, body))
    seen: dict[tuple[str, str], str] = {}
    for name, kind, key, _ in parsed:
        if (kind, key) in seen:
            errors[name] = {"/key": [f"{kind}:{key} is also defined in {seen[(kind, key)]}."]}
        seen[(kind, key)] = name
    # KINDS order: fields, then workflows, then the templates that use or name them.
    parsed.sort(key=lambda item: (KINDS.index(item[1]), item[2]))
    batch_fields = {key: body for _, kind, key, body in parsed if kind == "field"}

    def lookup(key: str) -> FieldVersion | None:
        if publish and key in batch_fields:
            return FieldVersion(key, 0, batch_fields[key])
        return store.lookup_published_field(key)

    # With `publish`, the publish checks too: a file that could not be published is reported
    # with its name here, before anything is written (`store.publish` checks again).
    publishing = _batch_lookups(parsed) if publish else None
    checked: list[tuple[str, str, Any]] = []
    warnings: dict[str, dict[str, list[str]]] = {}
    for name, kind, key, body in parsed:
        if name in errors:
            continue
        try:
            result = check_definition(kind, body, lookup, key=key, publish=publishing)
            checked.append((kind, key, result.body))
            if result.warnings:
                warnings[name] = result.warnings
        except DefinitionInvalid as exc:
            errors[name] = exc.errors
    if errors:
        raise ImportFailed(errors)
    report = _write(checked, publishing, actor_id, approved_by_import)
    report.warnings = warnings
    return report


def _write(
    checked: list[tuple[str, str, Any]],
    lookups: PublishLookups | None,
    actor_id: int | None,
    approved_by_import: bool,
) -> ImportReport:
    """Store every checked file in KINDS order; publish each too when `lookups` are given."""
    publish = lookups is not None
    report = ImportReport()
    try:
        for kind, key, body in checked:
            current = store.versions(kind, key)
            # Same checksum but another key order is a change: the form's order moved.
            if current and store.same_document(current[0], body) and (
                current[0].status == store.PUBLISHED or not publish
            ):
                report.unchanged.append(f"{kind}:{key}")
                continue
            row = store.save_draft(kind, key, body, actor_id, commit=False)
            if lookups is not None:
                store.publish(
                    row.id, actor_id, commit=False, lookups=lookups,
                    approved_by_import=approved_by_import,
                )
            report.created.append(f"{kind}:{key} v{row.version}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
