"""Approvals API: a department head's inbox, one request with its diff and impact, decisions.

The inbox holds the requests of the departments the caller heads (`app.approvals.inbox`); a
request is visible to those heads and to whoever asked for it, and answers 404 to anyone else.
Deciding dispatches on the request's kind: a workflow version is published or rejected by
`app.approvals.workflows`, a ticket transition completed or refused by
`app.tickets.approvals.decide_transition`. Who may decide is checked there, never here.
"""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import approvals as shared
from app.api.base import TesseraApi
from app.api.body import ApiError, answers_errors, invalid, read_body
from app.api.represent import SCHEMAS as TICKET_SCHEMAS
from app.api.represent import departments_by_id
from app.approvals import workflows as workflow_approvals
from app.clock import iso
from app.definitions.errors import DefinitionInvalid
from app.errors import TesseraError
from app.extensions import db
from app.models import ApprovalKind, ApprovalRequest, ApprovalStatus, Definition
from app.pointers import escape
from app.tickets.access import users_by_id
from app.tickets.models import Ticket

INBOX_LIMIT = 200
STATUSES = ("pending", "decided")


def read_comment() -> str | None:
    """The optional `comment` of a decision body `{"comment"?: string|null}` (422 when wrong)."""
    payload = read_body()
    unknown = {
        f"/{escape(name)}": [_("Unknown member; use comment.")]
        for name in payload
        if name != "comment"
    }
    if unknown:
        raise invalid(unknown)
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise invalid({"/comment": [_("Give the comment as text.")]})
    return comment


def answer(api: TesseraApi, exc: Exception) -> Any:
    """A Tessera error as its JSON status, with `errors` by pointer when it has them."""
    if isinstance(exc, ApiError):
        body = {"errors": exc.errors} if exc.errors else {}
        return api.response(exc.status, message=exc.message, **body)
    if isinstance(exc, DefinitionInvalid):
        return api.response(422, message=_("The definition is invalid."), errors=exc.errors)
    assert isinstance(exc, TesseraError)
    errors = getattr(exc, "errors", None)
    return api.response(exc.status, message=str(exc), **({"errors": errors} if errors else {}))


# -- representation ---------------------------------------------------------------------------


def _definitions(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = db.session.scalars(select(Definition).where(Definition.id.in_(sorted(set(ids)))))
    return {
        row.id: {
            "id": row.id, "kind": row.kind, "key": row.key, "version": row.version,
            "status": row.status, "title": row.title,
        }
        for row in rows
    }


def _tickets(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.subject).where(Ticket.id.in_(sorted(set(ids))))
    ).all()
    return {
        pk: {"id": pk, "number": number, "subject": subject,
             "url": url_for("TicketsApi.get_", pk=pk)}
        for pk, number, subject in rows
    }


def represent(requests: list[ApprovalRequest]) -> list[dict[str, Any]]:
    """The JSON of approval requests (users, departments, versions, tickets: a query each)."""
    users = users_by_id(
        [r.requested_by_id for r in requests] + [r.decided_by_id for r in requests]
    )
    departments = departments_by_id(d.department_id for r in requests for d in r.departments)
    tickets = _tickets([r.ticket_id for r in requests if r.ticket_id is not None])
    definitions = _definitions([r.definition_id for r in requests if r.definition_id is not None])
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "departments": [
                departments[d.department_id]
                for d in r.departments
                if d.department_id in departments
            ],
            "requested_by": users.get(r.requested_by_id) if r.requested_by_id else None,
            "requested_at": iso(r.requested_at),
            "decided_by": users.get(r.decided_by_id) if r.decided_by_id else None,
            "decided_at": iso(r.decided_at),
            "comment": r.comment,
            "note": r.note,
            "definition": (
                definitions.get(r.definition_id) if r.definition_id is not None else None
            ),
            "ticket": tickets.get(r.ticket_id) if r.ticket_id is not None else None,
            "transition": r.transition,
            "data": r.data,
        }
        for r in requests
    ]


def _replay(replay: workflow_approvals.Replay) -> dict[str, Any]:
    return {
        "ticket_id": replay.ticket_id,
        "number": replay.number,
        "url": url_for("TicketsApi.get_", pk=replay.ticket_id),
        "before": vars(replay.before),
        "after": vars(replay.after),
    }


def represent_impact(impact: workflow_approvals.Impact | None) -> dict[str, Any] | None:
    """The JSON of an impact preview."""
    if impact is None:
        return None
    return {
        "tickets": impact.tickets,
        "changed": dict(impact.changed),
        "examples": {
            aspect: [_replay(r) for r in found] for aspect, found in impact.examples.items()
        },
    }


def detail(found: ApprovalRequest) -> dict[str, Any]:
    """One request; a workflow request with its diff and (while pending) its impact."""
    result = represent([found])[0]
    result["diff"], result["impact"] = None, None
    if found.kind == ApprovalKind.WORKFLOW.value:
        review = workflow_approvals.review(found)
        result["diff"], result["impact"] = review.diff, represent_impact(review.impact)
    return result


# -- OpenAPI ----------------------------------------------------------------------------------

_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": "string", "nullable": True}
_MAYBE_WHEN = {"type": "string", "format": "date-time", "nullable": True}
_ASPECT_COUNTS = {
    "type": "object",
    "required": list(workflow_approvals.ASPECTS),
    "properties": {aspect: {"type": "integer"} for aspect in workflow_approvals.ASPECTS},
}
_ROUTED = {
    "type": "object",
    "required": ["department", "priority", "strategy"],
    "properties": {
        "department": _TEXT,
        "priority": {**_MAYBE_TEXT, "description": "Null: routing sets none (as given)"},
        "strategy": _TEXT,
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object", "nullable": True, "required": list(properties), "properties": properties,
    }


_REQUEST = {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": [k.value for k in ApprovalKind]},
    "status": {"type": "string", "enum": [s.value for s in ApprovalStatus]},
    "departments": {"type": "array", "items": _ref("DepartmentRef")},
    "requested_by": {"allOf": [_ref("UserRef")], "nullable": True},
    "requested_at": {"type": "string", "format": "date-time"},
    "decided_by": {"allOf": [_ref("UserRef")], "nullable": True},
    "decided_at": _MAYBE_WHEN,
    "comment": _MAYBE_TEXT,
    "note": _MAYBE_TEXT,
    "definition": _nullable(
        {
            "id": {"type": "integer"}, "kind": _TEXT, "key": _TEXT,
            "version": {"type": "integer"}, "status": _TEXT, "title": _TEXT,
        }
    ),
    "ticket": _nullable(
        {"id": {"type": "integer"}, "number": _TEXT, "subject": _TEXT, "url": _TEXT}
    ),
    "transition": _MAYBE_TEXT,
    "data": {"type": "object", "nullable": True},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "UserRef": TICKET_SCHEMAS["UserRef"],
    "DepartmentRef": TICKET_SCHEMAS["DepartmentRef"],
    "ApprovalRequest": {"type": "object", "required": list(_REQUEST), "properties": _REQUEST},
    "ImpactReplay": {
        "type": "object",
        "required": ["ticket_id", "number", "url", "before", "after"],
        "properties": {
            "ticket_id": {"type": "integer"}, "number": _TEXT, "url": _TEXT,
            "before": _ROUTED, "after": _ROUTED,
        },
    },
    "Impact": {
        "type": "object",
        "required": ["tickets", "changed", "examples"],
        "properties": {
            "tickets": {"type": "integer", "description": "How many tickets were replayed"},
            "changed": _ASPECT_COUNTS,
            "examples": {
                "type": "object",
                "required": list(workflow_approvals.ASPECTS),
                "properties": {
                    aspect: {"type": "array", "maxItems": workflow_approvals.EXAMPLES,
                             "items": _ref("ImpactReplay")}
                    for aspect in workflow_approvals.ASPECTS
                },
            },
        },
    },
    "ApprovalDetail": {
        "allOf": [
            _ref("ApprovalRequest"),
            {
                "type": "object",
                "required": ["diff", "impact"],
                "properties": {
                    "diff": {**_MAYBE_TEXT, "description": "Unified diff of a workflow version"},
                    "impact": {"allOf": [_ref("Impact")], "nullable": True},
                },
            },
        ]
    },
}


class ApprovalsApi(TesseraApi):
    """The caller's approval inbox, and decisions on what waits for a department head."""

    resource_name = "approvals"
    # Not "Approvals": that is the inbox menu's name, which a permission sync would drop.
    class_permission_name = "ApprovalRequests"
    openapi_spec_tag = "Approvals"
    spec_schemas = SCHEMAS
    handled_errors = (TesseraError,)
    method_permission_name = {
        "list_": "get",
        "get_": "get",
        "approve": "post",
        "reject": "post",
    }

    def answer_error(self, exc: Exception) -> Any:
        """Request, approval, definition and ticket errors as their JSON status."""
        return answer(self, exc)

    @expose("/", methods=["GET"])
    @protect()
    @answers_errors
    def list_(self) -> Any:
        """The caller's inbox.
        ---
        get:
          summary: Requests of the departments you head, newest first
          parameters:
          - in: query
            name: status
            allowEmptyValue: true
            description: "pending (the default) or decided (approved, rejected, withdrawn)"
            schema: {type: string, enum: [pending, decided]}
          responses:
            200:
              description: Up to 200 requests
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/ApprovalRequest'}}
            400: {description: Unknown status}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a department head or an Admin"}
        """
        status = request.args.get("status") or "pending"
        if status not in STATUSES:
            raise ApiError(400, _("status must be pending or decided."))
        query = shared.inbox(int(g.user.id), None)
        if status == "pending":
            query = query.where(ApprovalRequest.status == ApprovalStatus.PENDING.value)
        else:
            query = query.where(ApprovalRequest.status != ApprovalStatus.PENDING.value)
        query = query.options(selectinload(ApprovalRequest.departments)).limit(INBOX_LIMIT)
        rows = list(db.session.scalars(query))
        return self.response(200, result=represent(rows))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @answers_errors
    def get_(self, pk: int) -> Any:
        """One request.
        ---
        get:
          summary: One request; a workflow version with its diff and impact preview
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The request
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/ApprovalDetail'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a department head or an Admin"}
            404: {description: "No such request, or not one of your departments' nor yours"}
        """
        return self.response(200, result=detail(shared.get_request(pk, int(g.user.id))))

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @answers_errors
    def approve(self, pk: int) -> Any:
        """Approve a request.
        ---
        post:
          summary: Approve (a workflow version is published; a transition completes)
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  additionalProperties: false
                  properties: {comment: {type: string, maxLength: 2000, nullable: true}}
          responses:
            200:
              description: The decided request
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/ApprovalRequest'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a head of the request's departments, or you asked for or
              shaped the change"}
            404: {description: "No such request, or not one of your departments' nor yours"}
            409: {description: "Already decided, or approved but no longer applicable"}
            413: {description: Body larger than 1 MB}
            415: {description: The body is not application/json}
            422: {description: "A bad comment, or the version fails the publish checks now:
              errors by JSON pointer"}
        """
        return self._decide(pk, True)

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @answers_errors
    def reject(self, pk: int) -> Any:
        """Reject a request.
        ---
        post:
          summary: Reject, saying why (a workflow version becomes rejected)
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  additionalProperties: false
                  required: [comment]
                  properties: {comment: {type: string, minLength: 1, maxLength: 2000,
                                         pattern: $not_blank}}
          responses:
            200:
              description: The decided request
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/ApprovalRequest'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a head of the request's departments, or you asked for or
              shaped the change"}
            404: {description: "No such request, or not one of your departments' nor yours"}
            409: {description: Already decided}
            413: {description: Body larger than 1 MB}
            415: {description: The body is not application/json}
            422: {description: "No comment, or a bad one: errors at /comment"}
        """
        return self._decide(pk, False)

    def _decide(self, pk: int, approve: bool) -> Any:
        comment = read_comment()
        user_id = int(g.user.id)
        workflow_approvals.decide(pk, user_id, approve, comment)
        db.session.expire_all()
        return self.response(200, result=represent([shared.get_request(pk, user_id)])[0])
