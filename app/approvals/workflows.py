"""Workflow changes wait for a department head: submit, approve, reject, withdraw; the impact.

An admin submits a workflow draft: it becomes `pending` and an approval request goes to the
heads of every department the published or the submitted version routes to, and of the
default departments of the templates that follow the workflow (all departments when that set
is empty). A head of one of them approves it, which publishes it and retires the version
before in one transaction through the store's publish path (so the publish checks run), or
rejects it with a comment (status `rejected`; a new draft may start from it). Whoever
submitted or edited the version never decides it. The shared rules (who is a head, one
decision, comments) are `app.approvals`; the status changes and their audit rows the store's.

The impact preview replays the latest tickets of the templates that follow the workflow
through the routing of both versions and counts what would change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import approvals as shared
from app.clock import aware
from app.definitions import store
from app.definitions.errors import DefinitionConflict, DefinitionNotFound
from app.extensions import db
from app.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    AuditLog,
    Definition,
    Department,
)
from app.tickets import document
from app.tickets.models import Ticket
from workflows import Workflow, load_workflow, references

IMPACT_TICKETS = 500
EXAMPLES = 5
ASPECTS = ("department", "priority", "strategy")
# Audit actions whose actor shaped the version's content: they may not decide it.
CONTRIBUTING = ("create", "edit", "submit")


# -- who decides ------------------------------------------------------------------------------


def following_templates(key: str) -> list[Definition]:
    """The published templates whose `settings.workflow` is this workflow."""
    rows = db.session.scalars(
        select(Definition).where(
            Definition.kind == "template", Definition.status == store.PUBLISHED
        )
    )
    return [row for row in rows if _settings(row).get("workflow") == key]


def departments_for(row: Definition) -> set[int]:
    """The departments whose heads decide this workflow version (every one when none)."""
    keys = set(references(row.body).departments.values())
    current = store.published(store.WORKFLOW, row.key)
    if current is not None:
        keys |= set(references(current.body).departments.values())
    for template in following_templates(row.key):
        default = _settings(template).get("default_department")
        if isinstance(default, str):
            keys.add(default)
    query = select(Department.id)
    if keys:
        query = query.where(Department.key.in_(sorted(keys)))
    found = set(db.session.scalars(query))
    return found or set(db.session.scalars(select(Department.id)))


def contributors(row: Definition) -> set[int]:
    """Everyone who created, edited or submitted this version."""
    actors = db.session.scalars(
        select(AuditLog.actor_id).where(
            AuditLog.object_type == f"definition:{row.kind}",
            AuditLog.object_id == row.id,
            AuditLog.action.in_(CONTRIBUTING),
        )
    )
    return {a for a in [row.author_id, *actors] if a is not None}


def check_decider(request: ApprovalRequest, user_id: int) -> None:
    """Raise unless the user may decide the request now (never one who shaped the version)."""
    shared.check_decider(request, user_id)
    row = store.get(request.definition_id or 0)
    if user_id in contributors(row):
        raise shared.NotAllowed(_("You changed this version: another head has to decide it."))


# Who may decide a request, by its kind (a ticket transition's: the shared rules alone).
CHECKS: dict[str, Callable[[ApprovalRequest, int], None]] = {
    ApprovalKind.WORKFLOW.value: check_decider,
    ApprovalKind.TRANSITION.value: shared.check_decider,
}


def may_decide(request: ApprovalRequest, user_id: int) -> bool:
    """Whether the user may approve or reject the request (of either kind) now."""
    try:
        CHECKS[request.kind](request, user_id)
    except shared.ApprovalError:
        return False
    return True


# -- the steps ----------------------------------------------------------------------------------


def submit(definition_id: int, actor_id: int) -> ApprovalRequest:
    """Submit a workflow draft for approval (it must pass the publish checks already)."""
    try:
        row = _locked_version(definition_id)
        if row.kind != store.WORKFLOW:
            raise DefinitionConflict(_("Only workflow versions are submitted for approval."))
        store.check(row.kind, row.body, key=row.key, publishing=True)
        store.change_status(row, store.PENDING, actor_id)
        request = shared.open_request(
            ApprovalKind.WORKFLOW, departments_for(row), actor_id, definition_id=row.id
        )
        db.session.commit()
    except IntegrityError as exc:  # submitted twice at once (one pending request per version)
        db.session.rollback()
        raise DefinitionConflict(_("This version was submitted at the same moment.")) from exc
    except BaseException:
        db.session.rollback()
        raise
    return request


def approve(approval_id: int, user_id: int, comment: str | None = None) -> Definition:
    """Approve: the version is published and the one before retires, in one transaction.

    A publish check failing now raises DefinitionInvalid (422) and changes nothing: the
    request stays pending.
    """
    try:
        request = _locked(approval_id)
        check_decider(request, user_id)
        shared.record_decision(request, user_id, True, comment)
        row = store.publish_approved(request, user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return row


def reject(approval_id: int, user_id: int, comment: str | None) -> Definition:
    """Reject with a comment (422 without one): the version becomes `rejected`."""
    try:
        request = _locked(approval_id)
        check_decider(request, user_id)
        shared.record_decision(request, user_id, False, comment)
        row = store.get(request.definition_id or 0)
        store.change_status(row, store.REJECTED, user_id, request.comment or "")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return row


def withdraw(definition_id: int, user_id: int) -> Definition:
    """Whoever submitted the version takes it back: a draft again, editable."""
    try:
        request = _locked(pending_request(definition_id).id)
        shared.withdraw(request, user_id)
        row = store.get(definition_id)
        store.change_status(row, store.DRAFT, user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return row


def _decide_workflow(
    approval_id: int, user_id: int, approved: bool, comment: str | None
) -> None:
    if approved:
        approve(approval_id, user_id, comment)
    else:
        reject(approval_id, user_id, comment)


def _decide_transition(
    approval_id: int, user_id: int, approved: bool, comment: str | None
) -> None:
    # Imported when used: the ticket side needs much that definitions never do.
    from app.tickets.approvals import decide_transition

    decide_transition(approval_id, user_id, approved, comment)


# What deciding a request of the inbox does, by its kind.
DECIDERS: dict[str, Callable[[int, int, bool, str | None], None]] = {
    ApprovalKind.WORKFLOW.value: _decide_workflow,
    ApprovalKind.TRANSITION.value: _decide_transition,
}


def decide(approval_id: int, user_id: int, approved: bool, comment: str | None) -> None:
    """Approve or reject any request the user may see (404 otherwise), by its kind."""
    found = shared.get_request(approval_id, user_id)
    DECIDERS[found.kind](found.id, user_id, approved, comment)


def pending_request(definition_id: int) -> ApprovalRequest:
    """The pending request of a version (DefinitionConflict when it is not pending)."""
    row = store.get(definition_id)
    request = db.session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.definition_id == row.id,
            ApprovalRequest.status == ApprovalStatus.PENDING.value,
        )
    )
    if request is None:
        raise DefinitionConflict(
            _(
                "%(what)s v%(version)d is %(status)s, not waiting for approval.",
                what=f"{row.kind}:{row.key}", version=row.version, status=row.status,
            )
        )
    return request


def latest_requests(definition_ids: Iterable[int]) -> dict[int, ApprovalRequest]:
    """The newest approval request of each version (for the console's version list)."""
    ids = sorted(set(definition_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.definition_id.in_(ids))
        .order_by(ApprovalRequest.requested_at, ApprovalRequest.id)
    )
    return {row.definition_id: row for row in rows if row.definition_id is not None}


def _locked_version(definition_id: int) -> Definition:
    """The version, row-locked so that two submissions of it take turns."""
    row = db.session.scalar(
        select(Definition)
        .where(Definition.id == definition_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise DefinitionNotFound(_("No definition with id %(id)d.", id=definition_id))
    return row


def _locked(approval_id: int) -> ApprovalRequest:
    """The workflow request, row-locked so that two heads deciding at once take turns."""
    request = db.session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == approval_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None or request.kind != ApprovalKind.WORKFLOW.value:
        raise shared.ApprovalNotFound(_("No approval request %(id)d.", id=approval_id))
    return request


def _settings(row: Definition) -> dict[str, Any]:
    settings = row.body.get("settings") if isinstance(row.body, dict) else None
    return settings if isinstance(settings, dict) else {}


# -- the impact preview ---------------------------------------------------------------------


@dataclass(frozen=True)
class Routed:
    """What routing decides for one ticket: department key, priority (None: as given), strategy."""

    department: str
    priority: str | None
    strategy: str


@dataclass(frozen=True)
class Replay:
    """One stored ticket routed by the published version (`before`) and the pending one."""

    ticket_id: int
    number: str
    before: Routed
    after: Routed


@dataclass(frozen=True)
class Impact:
    """How many of `tickets` replayed tickets would route differently, per aspect."""

    tickets: int
    changed: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Replay]] = field(default_factory=dict)


def compare(replays: Iterable[Replay], examples: int = EXAMPLES) -> Impact:
    """Count the replays whose department, priority or strategy differ; keep a few of each."""
    changed = dict.fromkeys(ASPECTS, 0)
    found: dict[str, list[Replay]] = {aspect: [] for aspect in ASPECTS}
    total = 0
    for replay in replays:
        total += 1
        for aspect in ASPECTS:
            if getattr(replay.before, aspect) != getattr(replay.after, aspect):
                changed[aspect] += 1
                if len(found[aspect]) < examples:
                    found[aspect].append(replay)
    return Impact(total, changed, found)


def routed(workflow: Workflow, doc: dict[str, Any], default_department: str) -> Routed:
    """The routing decision of one version for a ticket document."""
    route = workflow.route(doc)
    return Routed(route.department or default_department, route.priority, route.strategy.value)


def replay_document(ticket: Ticket, workflow: Workflow, department: str) -> dict[str, Any]:
    """The document routing saw when the ticket was new, as this version would build it.

    As on create: the initial state, the template's default department and the version's
    calendar; the ticket's priority stands in for the one it was given.
    """
    return document.build(
        data=ticket.data or {},
        template=ticket.template,
        priority=ticket.priority,
        channel=ticket.channel,
        state=workflow.initial.name,
        department=department,
        requester={
            "name": ticket.requester_name,
            "email": ticket.requester_email,
            "phone": ticket.requester_phone,
        },
        created_at=aware(ticket.created_at),
        calendar=workflow.calendar,
    )


def impact(row: Definition, limit: int = IMPACT_TICKETS) -> Impact | None:
    """The latest `limit` tickets of the following templates, replayed (None: nothing published)."""
    current = store.published(store.WORKFLOW, row.key)
    if current is None or current.id == row.id:
        return None
    defaults = {
        t.key: str(_settings(t).get("default_department") or "")
        for t in following_templates(row.key)
    }
    if not defaults:
        return compare([])
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.template.in_(sorted(defaults)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    ).all()
    before = load_workflow(current.body, current.checksum)
    after = load_workflow(row.body, row.checksum)
    return compare(_replays(tickets, before, after, defaults))


def _replays(
    tickets: Iterable[Ticket], before: Workflow, after: Workflow, defaults: dict[str, str]
) -> Iterator[Replay]:
    for ticket in tickets:
        department = defaults[ticket.template]
        yield Replay(
            ticket.id,
            ticket.number,
            routed(before, replay_document(ticket, before, department), department),
            routed(after, replay_document(ticket, after, department), department),
        )


# -- what a head reviews --------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A workflow request with what it changes: the diff and the impact preview."""

    request: ApprovalRequest
    definition: Definition
    published: Definition | None
    diff: str
    impact: Impact | None


def review(request: ApprovalRequest) -> Review:
    """The diff against the version published now (or before it, once decided) and the impact."""
    row = store.get(request.definition_id or 0)
    base = store.published(row.kind, row.key)
    if base is None or base.id == row.id:
        base = next(
            (
                r for r in store.versions(row.kind, row.key)
                if r.version < row.version and r.status in (store.PUBLISHED, store.RETIRED)
            ),
            None,
        )
    pending = request.status == ApprovalStatus.PENDING.value
    return Review(request, row, base, store.diff(base, row), impact(row) if pending else None)
