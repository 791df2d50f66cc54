"""Approval requests: who may decide them, what a head's inbox holds, and the decision itself.

Two kinds of change wait for a department head (`app.models.ApprovalRequest`): a workflow
version an admin submitted (`app.approvals.workflows` publishes it when approved) and a
ticket transition that needs approval (`app.tickets.approvals` completes it). The rules they
share live here, in one place:

- the heads (membership role `head`) of the request's departments decide it; admins and agents
  do not, unless they are such a head;
- whoever asked for the change never decides it, even when they are one of those heads;
- a request is decided once: a second decision, or one on a withdrawn request, is a conflict;
- rejecting needs a comment; approving may have one;
- every request and decision is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select

from app.clock import utcnow
from app.errors import TesseraError
from app.extensions import db
from app.models import (
    ApprovalDepartment,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    AuditLog,
    MemberRole,
    Membership,
)

MAX_COMMENT = 2000


class ApprovalError(TesseraError):
    """Base class of approval errors; `status` is the HTTP code."""


class ApprovalNotFound(ApprovalError):
    """No such request, or not one the user may see."""

    status = 404


class NotAllowed(ApprovalError):
    """The user may not decide this request (not a head of its departments, or its author)."""

    status = 403


class AlreadyDecided(ApprovalError):
    """The request is no longer pending."""

    status = 409


class CommentRequired(ApprovalError):
    """Rejecting without saying why; `errors` puts the message at the comment."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {"/comment": [message]}


def headed_departments(user_id: int) -> set[int]:
    """The departments the user is a head of."""
    return set(
        db.session.scalars(
            select(Membership.department_id).where(
                Membership.user_id == user_id, Membership.role == MemberRole.HEAD.value
            )
        )
    )


def open_request(
    kind: ApprovalKind,
    departments: Iterable[int],
    requested_by_id: int | None,
    *,
    definition_id: int | None = None,
    ticket_id: int | None = None,
    transition: str | None = None,
    data: dict[str, Any] | None = None,
    note: str | None = None,
) -> ApprovalRequest:
    """A new pending request for the heads of `departments`, in the caller's transaction."""
    request = ApprovalRequest(
        kind=kind.value,
        definition_id=definition_id,
        ticket_id=ticket_id,
        transition=transition,
        data=data,
        note=note,
        requested_by_id=requested_by_id,
        requested_at=utcnow(),
    )
    request.departments = [ApprovalDepartment(department_id=d) for d in sorted(set(departments))]
    db.session.add(request)
    db.session.flush()
    audit(requested_by_id, "request", request, _describe(request, "requested"))
    return request


def inbox(user_id: int, status: ApprovalStatus | None = ApprovalStatus.PENDING) -> Select[Any]:
    """The requests of the departments the user heads (newest first), by status."""
    query = (
        select(ApprovalRequest)
        .where(
            exists().where(
                ApprovalDepartment.approval_id == ApprovalRequest.id,
                ApprovalDepartment.department_id.in_(
                    select(Membership.department_id).where(
                        Membership.user_id == user_id, Membership.role == MemberRole.HEAD.value
                    )
                ),
            )
        )
        .order_by(ApprovalRequest.requested_at.desc(), ApprovalRequest.id.desc())
    )
    if status is not None:
        query = query.where(ApprovalRequest.status == status.value)
    return query


def visible(request: ApprovalRequest, user_id: int) -> bool:
    """Whether the user heads one of the request's departments or asked for it."""
    if request.requested_by_id == user_id:
        return True
    return bool({d.department_id for d in request.departments} & headed_departments(user_id))


def check_decider(request: ApprovalRequest, user_id: int) -> None:
    """Raise unless the user may decide the request now."""
    if not {d.department_id for d in request.departments} & headed_departments(user_id):
        raise NotAllowed(_("Only a head of the request's departments can decide it."))
    if request.requested_by_id == user_id:
        raise NotAllowed(_("You asked for this change: another head has to decide it."))
    if request.status != ApprovalStatus.PENDING.value:
        raise AlreadyDecided(
            _("This request is already %(status)s.", status=_status_label(request.status))
        )


def record_decision(
    request: ApprovalRequest, user_id: int, approve: bool, comment: str | None
) -> None:
    """Mark the request decided by the user (checked first), in the caller's transaction."""
    check_decider(request, user_id)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise CommentRequired(_("Keep the comment under %(n)d characters.", n=MAX_COMMENT))
    if not approve and comment is None:
        raise CommentRequired(_("Say why you reject the change."))
    request.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED).value
    request.decided_by_id = user_id
    request.decided_at = utcnow()
    request.comment = comment
    audit(user_id, "approve" if approve else "reject", request, _describe(request, request.status))


def withdraw(request: ApprovalRequest, user_id: int) -> None:
    """The requester takes the request back while it is pending."""
    if request.requested_by_id != user_id:
        raise NotAllowed(_("Only whoever asked for the change can withdraw it."))
    if request.status != ApprovalStatus.PENDING.value:
        raise AlreadyDecided(
            _("This request is already %(status)s.", status=_status_label(request.status))
        )
    request.status = ApprovalStatus.WITHDRAWN.value
    request.decided_at = utcnow()
    audit(user_id, "withdraw", request, _describe(request, "withdrawn"))


def get_request(approval_id: int, user_id: int) -> ApprovalRequest:
    """The request if the user may see it; ApprovalNotFound otherwise."""
    request = db.session.get(ApprovalRequest, approval_id)
    if request is None or not visible(request, user_id):
        raise ApprovalNotFound(_("No approval request %(id)d.", id=approval_id))
    return request


def audit(actor_id: int | None, action: str, request: ApprovalRequest, summary: str) -> None:
    """One audit-log row about the request."""
    db.session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            object_type=f"approval:{request.kind}",
            object_id=request.id,
            summary=summary[:300],
        )
    )


def _describe(request: ApprovalRequest, what: str) -> str:
    if request.kind == ApprovalKind.WORKFLOW.value:
        return f"approval {request.id} of definition {request.definition_id} {what}"
    return f"approval {request.id} of {request.transition} on ticket {request.ticket_id} {what}"


def _status_label(status: str) -> str:
    labels = {
        ApprovalStatus.APPROVED.value: _("approved"),
        ApprovalStatus.REJECTED.value: _("rejected"),
        ApprovalStatus.WITHDRAWN.value: _("withdrawn"),
        ApprovalStatus.PENDING.value: _("pending"),
    }
    return labels.get(status, status)
