"""The definition store: versions, statuses, pins and the audit trail.

Each public function is one unit of work and commits it (or raises and leaves nothing).
Published versions are immutable: the ORM refuses to flush a change to one (see `_guard`).

A workflow version is published when a department head approves it
(`app.approvals.workflows` → `publish_approved`), or by an operator's import from the shell
(`publish(..., approved_by_import=True)`); `publish` refuses it otherwise (409).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.definitions.checked import Checked, FieldVersion, PublishLookups
from app.definitions.checks import check_definition
from app.definitions.errors import DefinitionConflict, DefinitionNotFound
from app.definitions.schema_checks import referenced_fields
from app.extensions import db
from app.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    AuditLog,
    Definition,
    DefinitionKind,
    DefinitionStatus,
    Department,
    Membership,
)

DRAFT = DefinitionStatus.DRAFT.value
PENDING = DefinitionStatus.PENDING.value
PUBLISHED = DefinitionStatus.PUBLISHED.value
REJECTED = DefinitionStatus.REJECTED.value
RETIRED = DefinitionStatus.RETIRED.value
WORKFLOW = DefinitionKind.WORKFLOW.value
FROZEN_COLUMNS = ("kind", "key", "version", "title", "body", "checksum", "pins")

# Sent once the transaction that published a version has committed (never for a rolled-back
# one): `definition_published.send(app, kind=..., key=..., version=...)`. The per-field
# indexes of templates follow it (app/tickets/indexing.py).
signals = Namespace()
definition_published = signals.signal("definition-published")
_PENDING = "tessera_published"

# The status changes of the approval flow (from, to) → the audit action; publishing and
# retiring have their own functions.
MOVES: dict[tuple[str, str], str] = {
    (DRAFT, PENDING): "submit",
    (PENDING, DRAFT): "withdraw",
    (PENDING, REJECTED): "reject",
}


class ApprovalRequired(DefinitionConflict):
    """A workflow version is published by a department head's approval, not directly."""


def canonical_json(body: Any) -> str:
    """The stable text of a document: sorted keys, 2-space indent, UTF-8, final newline.

    Only the checksum reads it: what is written out keeps the document's order
    (`document_json`), because the order of `properties` is the order of the form.
    """
    return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def document_json(body: Any) -> str:
    """The text of a document as written: its own key order, 2-space indent, final newline.

    Exports, the API's import of objects and diffs use it (API answers keep the order through
    the app's JSON provider); two documents differing only in key order have the same
    checksum but different texts (their forms order the fields differently).
    """
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def checksum(body: Any) -> str:
    """sha256 of the canonical JSON (independent of key order)."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def same_document(row: Definition, body: Any) -> bool:
    """Whether `body` is the version's document, key order included."""
    return row.checksum == checksum(body) and document_json(row.body) == document_json(body)


def lookup_published_field(key: str) -> FieldVersion | None:
    """The published version of a library field, or a marker that it has none."""
    rows = db.session.scalars(
        select(Definition).where(Definition.kind == "field", Definition.key == key)
    ).all()
    if not rows:
        return None
    published = next((r for r in rows if r.status == PUBLISHED), None)
    if published is None:
        return FieldVersion(key, None, None)
    return FieldVersion(key, published.version, published.body)


def department_exists(key: str) -> bool:
    """Whether a department with this key exists (new tickets of a template go there)."""
    return db.session.scalar(select(Department.id).where(Department.key == key)) is not None


def held_skills() -> set[str]:
    """Every skill at least one membership holds (`Membership.skills` is a JSON list)."""
    return {
        skill
        for skills in db.session.scalars(select(Membership.skills))
        for skill in (skills if isinstance(skills, list) else ())
        if isinstance(skill, str)
    }


def template_exists(key: str) -> bool:
    """Whether some version of a template has this key (a workflow's conditions name it)."""
    found = select(Definition.id).where(Definition.kind == "template", Definition.key == key)
    return db.session.scalar(found.limit(1)) is not None


def workflow_status(key: str) -> str | None:
    """published when the workflow has a published version, else its newest one's status."""
    if published("workflow", key) is not None:
        return PUBLISHED
    newest = versions("workflow", key)
    return newest[0].status if newest else None


def publish_lookups() -> PublishLookups:
    """What publishing asks the database; the skills are read once per set of lookups."""
    skills = cache(held_skills)
    return PublishLookups(
        department=department_exists,
        skill=lambda name: name in skills(),
        template=template_exists,
        workflow=workflow_status,
    )


def check(
    kind: str,
    body: Any,
    key: str | None = None,
    publishing: bool = False,
    lookups: PublishLookups | None = None,
) -> Checked:
    """Run the checks against the fields published now (`publishing`: the publish checks too).

    The publish checks ask `lookups`, by default the database as it is now.
    """
    publish_with = (lookups or publish_lookups()) if publishing else None
    return check_definition(kind, body, lookup_published_field, key=key, publish=publish_with)


def get(definition_id: int) -> Definition:
    """One version by id."""
    row = db.session.get(Definition, definition_id)
    if row is None:
        raise DefinitionNotFound(f"No definition with id {definition_id}.")
    return row


def versions(kind: str, key: str) -> list[Definition]:
    """Every version of a key, newest first."""
    return list(
        db.session.scalars(
            select(Definition)
            .where(Definition.kind == kind, Definition.key == key)
            .order_by(Definition.version.desc())
        )
    )


def latest(kind: str | None = None) -> list[Definition]:
    """The newest version of every key (of one kind), ordered by kind and key."""
    newest = (
        select(Definition.kind, Definition.key, func.max(Definition.version).label("version"))
        .group_by(Definition.kind, Definition.key)
        .subquery()
    )
    query = select(Definition).join(
        newest,
        (Definition.kind == newest.c.kind)
        & (Definition.key == newest.c.key)
        & (Definition.version == newest.c.version),
    )
    if kind is not None:
        query = query.where(Definition.kind == kind)
    return list(db.session.scalars(query.order_by(Definition.kind, Definition.key)))


def published(kind: str, key: str) -> Definition | None:
    """The published version of a key, if any."""
    return db.session.scalar(
        select(Definition).where(
            Definition.kind == kind, Definition.key == key, Definition.status == PUBLISHED
        )
    )


def save_draft(
    kind: str, key: str, body: Any, actor_id: int | None, commit: bool = True
) -> Definition:
    """Create v1, the next draft after a published/retired version, or update the open draft."""
    checked = check(kind, body, key=key)
    existing = versions(kind, key)
    waiting = next((row for row in existing if row.status == PENDING), None)
    if waiting is not None:
        raise DefinitionConflict(
            _(
                "%(what)s v%(version)d is waiting for approval; withdraw it to change it.",
                what=f"{kind}:{key}", version=waiting.version,
            )
        )
    open_draft = next((row for row in existing if row.status == DRAFT), None)
    if open_draft is not None:
        return _update(open_draft, checked, actor_id, commit)
    row = _new_version(checked, (existing[0].version + 1) if existing else 1, actor_id)
    _finish(commit)
    return row


def update_draft(definition_id: int, body: Any, actor_id: int | None) -> Definition:
    """Replace the body of a draft; published and retired versions are refused."""
    row = get(definition_id)
    if row.status != DRAFT:
        raise DefinitionConflict(
            f"{row.kind}:{row.key} v{row.version} is {row.status} and cannot change; "
            "save a new draft instead."
        )
    return _update(row, check(row.kind, body, key=row.key), actor_id, commit=True)


def publish(
    definition_id: int,
    actor_id: int | None,
    commit: bool = True,
    lookups: PublishLookups | None = None,
    *,
    approved_by_import: bool = False,
) -> Definition:
    """Publish a draft (re-checked, field versions pinned); the previous published retires.

    The one place every way of publishing goes through (console, API, import): the draft must
    pass the publish checks too, which a draft may still fail (e.g. no default department).
    `lookups` replace the database's answers (an import answers for what it stores too).
    A workflow is refused (ApprovalRequired, 409) unless `approved_by_import`: only an
    operator's import from the shell passes it; everyone else submits the version for approval.
    """
    row = get(definition_id)
    if row.kind == WORKFLOW and not approved_by_import:
        raise ApprovalRequired(
            _("Workflow changes are approved by department heads: submit it for approval.")
        )
    if row.status != DRAFT:
        raise DefinitionConflict(f"Only drafts can be published; this version is {row.status}.")
    return _publish(row, actor_id, commit, lookups, "")


def publish_approved(request: ApprovalRequest, actor_id: int | None) -> Definition:
    """Publish the pending workflow version of an approved request, in the caller's transaction.

    The publish checks run as for any version (DefinitionInvalid, 422); the request must be
    the approved one of this pending version, so nothing else can take this way.
    """
    if request.kind != ApprovalKind.WORKFLOW.value or request.definition_id is None:
        raise DefinitionConflict(
            _("Approval %(id)d is not about a workflow version.", id=request.id)
        )
    if request.status != ApprovalStatus.APPROVED.value:
        raise DefinitionConflict(
            _("Approval %(id)d is %(status)s, not approved.", id=request.id, status=request.status)
        )
    row = get(request.definition_id)
    if row.status != PENDING:
        raise DefinitionConflict(
            _(
                "Only pending versions are published on approval; this version is %(status)s.",
                status=row.status,
            )
        )
    return _publish(row, actor_id, False, None, f" (approval {request.id})")


def change_status(row: Definition, to: str, actor_id: int | None, note: str = "") -> None:
    """Move a version along the approval flow (`MOVES`), audited, in the caller's transaction."""
    action = MOVES.get((row.status, to))
    if action is None:
        raise DefinitionConflict(
            _(
                "%(what)s v%(version)d is %(status)s; it cannot become %(to)s.",
                what=f"{row.kind}:{row.key}", version=row.version, status=row.status, to=to,
            )
        )
    row.status = to
    summary = f"{action} {row.kind}:{row.key} v{row.version}" + (f": {note}" if note else "")
    _audit(actor_id, action, row, summary)
    db.session.flush()


def _publish(
    row: Definition,
    actor_id: int | None,
    commit: bool,
    lookups: PublishLookups | None,
    why: str,
) -> Definition:
    checked = check(row.kind, row.body, key=row.key, publishing=True, lookups=lookups)
    previous = published(row.kind, row.key)
    if previous is not None:
        previous.status = RETIRED
        _audit(actor_id, "retire", previous, f"retired by publishing v{row.version}{why}")
        db.session.flush()  # frees the one-published slot before taking it
    row.pins = checked.pins
    row.status = PUBLISHED
    row.published_by_id = actor_id
    row.published_at = utcnow()
    _audit(actor_id, "publish", row, f"published {row.kind}:{row.key} v{row.version}{why}")
    db.session.info.setdefault(_PENDING, []).append((row.kind, row.key, row.version))
    _finish(commit)
    return row


def retire(definition_id: int, actor_id: int | None) -> Definition:
    """Retire a published version (the key then has no published version)."""
    row = get(definition_id)
    if row.status != PUBLISHED:
        raise DefinitionConflict(f"Only published versions can be retired; this is {row.status}.")
    row.status = RETIRED
    _audit(actor_id, "retire", row, f"retired {row.kind}:{row.key} v{row.version}")
    db.session.commit()
    return row


def usages(field_key: str) -> list[tuple[Definition, int | None]]:
    """Templates using a field: (template version, pinned field version or None for drafts)."""
    found = []
    for row in db.session.scalars(select(Definition).where(Definition.kind == "template")):
        if row.status == PUBLISHED or row.status == RETIRED:
            if field_key in (row.pins or {}):
                found.append((row, row.pins[field_key]))
        elif field_key in referenced_fields(row.body.get("schema")):
            found.append((row, None))
    return sorted(found, key=lambda item: (item[0].key, -item[0].version))


def diff(old: Definition | None, new: Definition) -> str:
    """Unified diff of the documents of two versions, in their own key order.

    A reordering of fields shows as lines moved: it changes the form.
    """
    before = document_json(old.body).splitlines(keepends=True) if old else []
    after = document_json(new.body).splitlines(keepends=True)
    label = f"{new.kind}:{new.key}"
    return "".join(
        difflib.unified_diff(
            before,
            after,
            f"{label} v{old.version}" if old else "(nothing)",
            f"{label} v{new.version}",
        )
    )


def _new_version(checked: Checked, version: int, actor_id: int | None) -> Definition:
    row = Definition(
        kind=checked.kind,
        key=checked.key,
        version=version,
        status=DRAFT,
        title=checked.title,
        body=checked.body,
        checksum=checksum(checked.body),
        pins={},
        author_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    previous = db.session.scalar(
        select(Definition).where(
            Definition.kind == row.kind,
            Definition.key == row.key,
            Definition.version == version - 1,
        )
    )
    _audit(actor_id, "create", row, f"created {row.kind}:{row.key} v{version}", diff(previous, row))
    return row


def _finish(commit: bool) -> None:
    """Commit the unit of work, or only flush it when the caller owns the transaction."""
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def _update(row: Definition, checked: Checked, actor_id: int | None, commit: bool) -> Definition:
    before = Definition(kind=row.kind, key=row.key, version=row.version, body=row.body)
    row.body = checked.body
    row.title = checked.title
    row.checksum = checksum(checked.body)
    _audit(actor_id, "edit", row, f"edited {row.kind}:{row.key} v{row.version}", diff(before, row))
    _finish(commit)
    return row


def _audit(
    actor_id: int | None, action: str, row: Definition, summary: str, text: str | None = None
) -> None:
    db.session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            object_type=f"definition:{row.kind}",
            object_id=row.id,
            summary=summary[:300],
            diff=text,
        )
    )


class ImmutableDefinitionError(DefinitionConflict):
    """A flush tried to change a published version."""


@event.listens_for(Session, "before_flush")
def _guard(session: Session, flush_context: Any, instances: Iterable[Any] | None) -> None:
    """Refuse any change to a version that was published when it was loaded."""
    for obj in session.dirty:
        if not isinstance(obj, Definition):
            continue
        state: Any = inspect(obj)
        status = state.attrs.status.history
        was = status.deleted[0] if status.deleted else obj.status
        if was != PUBLISHED:
            continue
        changed = [c for c in FROZEN_COLUMNS if state.attrs[c].history.has_changes()]
        if changed:
            raise ImmutableDefinitionError(
                f"{obj.kind}:{obj.key} v{obj.version} is published; {', '.join(changed)} "
                "cannot change."
            )
    for obj in session.deleted:
        if isinstance(obj, Definition) and obj.status == PUBLISHED:
            raise ImmutableDefinitionError("Published definitions cannot be deleted; retire them.")


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    """Send `definition_published` for the versions this transaction published."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from flask import current_app, has_app_context

    sender = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]
    for kind, key, version in pending:
        definition_published.send(sender, kind=kind, key=key, version=version)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
