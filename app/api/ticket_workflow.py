"""Tickets API, workflow part: the transitions a caller may take, taking one, claim, transfer;
chasing a ticket (催单).

Scoped like the rest of the tickets API (`app.api.tickets`): a ticket outside the caller's
departments answers 404. The workflow decides (`app.tickets.transitions`); this module reads
the request strictly and answers. Its endpoints share the tickets API's permissions ("Tickets":
reading is `can_get`, every move `can_post`) and its error answers.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.api.base import TesseraApi
from app.api.body import answers_errors, invalid, read_body
from app.api.represent import SCHEMAS, represent
from app.api.tickets import TicketsApi, answer_ticket_error
from app.clock import iso
from app.errors import TesseraError
from app.extensions import db
from app.limits import MAX_ID
from app.models import ApprovalRequest, Department
from app.pointers import escape
from app.tickets.access import users_by_id, visible_ticket
from app.tickets.chase import chase
from app.tickets.errors import AlreadyClaimed, ChaseTooSoon
from app.tickets.models import Channel, Ticket
from app.tickets.system import parse_text
from app.tickets.transitions import (
    MAX_NOTE,
    MAX_REASON,
    Offer,
    claim,
    offer,
    state_label,
    take,
    transfer,
)
from app.tickets.workflow import workflow_of
from workflows import Workflow

TAKE_MEMBERS = ("transition", "lock_version", "data", "note")
TRANSFER_MEMBERS = ("lock_version", "assignee", "department", "reason")
CHASE_MEMBERS = ("note",)

_STATE = {
    "type": "object",
    "required": ["name", "label", "category"],
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "category": {
            "type": "string", "nullable": True,
            "enum": ["new", "open", "waiting", "solved", "closed", None],
        },
    },
}
WORKFLOW_SCHEMAS: dict[str, dict[str, Any]] = {
    "StateRef": _STATE,
    "OfferedTransition": {
        "type": "object",
        "required": ["name", "label", "to", "fields", "approval"],
        "properties": {
            "name": {"type": "string"},
            "label": {"type": "string"},
            "to": {"$ref": "#/components/schemas/StateRef"},
            "fields": {
                "type": "array", "items": {"type": "string"},
                "description": "Data fields the transition requires: give them in `data`",
            },
            "approval": {
                "type": "boolean",
                "description": "Taking it now waits for a department head's approval (judged "
                "on the ticket as it is: data given with it may change that)",
            },
        },
    },
    "PendingTransition": {
        "type": "object",
        "required": [
            "id", "status", "ticket_id", "transition", "to", "data", "note", "requested_by",
            "requested_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "approved", "rejected", "withdrawn"]},
            "ticket_id": {"type": "integer"},
            "transition": {
                "type": "object",
                "required": ["name", "label"],
                "properties": {"name": {"type": "string"}, "label": {"type": "string"}},
            },
            "to": {"allOf": [{"$ref": "#/components/schemas/StateRef"}], "nullable": True},
            "data": {
                "type": "object", "nullable": True,
                "description": "The ticket's data as the transition would write it",
            },
            "note": {"type": "string", "nullable": True},
            "requested_by": {"allOf": [{"$ref": "#/components/schemas/UserRef"}],
                             "nullable": True},
            "requested_at": {"type": "string", "format": "date-time"},
        },
    },
    "TransitionOffer": {
        "type": "object",
        "required": ["state", "lock_version", "transitions", "pending_approval"],
        "properties": {
            "state": {"$ref": "#/components/schemas/StateRef"},
            "lock_version": {"type": "integer"},
            "transitions": {
                "type": "array", "items": {"$ref": "#/components/schemas/OfferedTransition"},
                "description": "What you may take now (none while an approval is pending)",
            },
            "pending_approval": {
                "allOf": [{"$ref": "#/components/schemas/PendingTransition"}], "nullable": True,
            },
        },
    },
}


def _state(workflow: Workflow, name: str) -> dict[str, Any]:
    found = workflow.states.get(name)
    category = found.category.value if found is not None else None
    return {"name": name, "label": state_label(workflow, name), "category": category}


def represent_request(request: ApprovalRequest, workflow: Workflow) -> dict[str, Any]:
    """A transition waiting for (or after) a head's decision, as the API shows it."""
    name = request.transition or ""
    transition = workflow.transition(name)
    users = users_by_id([request.requested_by_id])
    return {
        "id": request.id,
        "status": request.status,
        "ticket_id": request.ticket_id,
        "transition": {"name": name, "label": transition.label if transition else name},
        "to": _state(workflow, transition.to) if transition else None,
        "data": request.data,
        "note": request.note,
        "requested_by": users.get(request.requested_by_id) if request.requested_by_id else None,
        "requested_at": iso(request.requested_at),
    }


def represent_offer(ticket: Ticket, shown: Offer, workflow: Workflow) -> dict[str, Any]:
    """The ticket's state, the transitions offered, and the pending request."""
    state = _state(workflow, ticket.state)
    if state["category"] is None:
        state["category"] = ticket.category
    return {
        "state": state,
        "lock_version": ticket.lock_version,
        "transitions": [
            {
                "name": o.transition.name,
                "label": o.transition.label or o.transition.name,
                "to": _state(workflow, o.transition.to),
                "fields": list(o.fields),
                "approval": o.approval,
            }
            for o in shown.transitions
        ],
        "pending_approval": (
            represent_request(shown.pending, workflow) if shown.pending is not None else None
        ),
    }


def _lock_version(errors: dict[str, list[str]], payload: dict[str, Any]) -> int:
    value = payload.get("lock_version")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        errors["/lock_version"] = [_("The lock_version you read (a whole number) is required.")]
        return 0
    return value


def _unknown(payload: dict[str, Any], known: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        f"/{escape(name)}": [_("Unknown member; use %(names)s.", names=", ".join(known))]
        for name in payload
        if name not in known
    }


def _user_id(errors: dict[str, list[str]], value: Any) -> int | None:
    """A user id, "me" or null (no particular agent)."""
    if value is None:
        return None
    if value == "me":
        return int(g.user.id)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        errors["/assignee"] = [_('Give a user id, "me", or null.')]
        return None
    return value


def _department(errors: dict[str, list[str]], value: Any) -> int | None:
    """The id of the department a key names (null: the ticket's own)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 64:
        errors["/department"] = [_("Give a department key.")]
        return None
    found = db.session.scalar(select(Department.id).where(Department.key == value))
    if found is None:
        errors["/department"] = [_("No department %(key)s.", key=repr(value))]
        return None
    return int(found)


class TicketWorkflowApi(TesseraApi):
    """Tickets through their workflow: transitions, claim (抢单), transfer, chase (催单)."""

    resource_name = "tickets"
    class_permission_name = "Tickets"
    openapi_spec_tag = "Tickets"
    spec_schemas = {**SCHEMAS, **WORKFLOW_SCHEMAS}
    handled_errors = (TesseraError,)
    method_permission_name = {
        "transitions": "get",
        "take": "post",
        "claim": "post",
        "transfer": "post",
        "chase": "post",
    }
    # FAB drops from the shared "Tickets" permission whatever one of its APIs does not list:
    # both list the same permissions.
    base_permissions = sorted({f"can_{p}" for p in TicketsApi.method_permission_name.values()})

    def answer_error(self, exc: Exception) -> Any:
        """The tickets API's answers, plus who holds a claimed ticket and when to chase again."""
        if isinstance(exc, ChaseTooSoon):
            answer = self.response(429, message=str(exc), retry_after=exc.retry_after)
            answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        if isinstance(exc, AlreadyClaimed):
            users = users_by_id([exc.assignee_id])
            holder = users.get(exc.assignee_id) if exc.assignee_id is not None else None
            return self.response(409, message=str(exc), assignee=holder)
        try:
            return answer_ticket_error(self, exc)
        except TesseraError as other:  # the workflow's own: its status and message
            return self.response(other.status, message=str(other))

    @expose("/<int:pk>/transitions", methods=["GET"])
    @protect()
    @answers_errors
    def transitions(self, pk: int) -> Any:
        """What the caller may do with the ticket's state now.
        ---
        get:
          summary: The transitions you may take now, and the one waiting for approval
          description: >-
            The transitions of the ticket's workflow version your roles on the ticket allow
            from its state (agent: a member of its department, head: a head of it, admin).
            While a transition waits for a department head, none is offered and
            `pending_approval` shows the request.
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The offer
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/TransitionOffer'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not read tickets"}
            404: {description: "No such ticket, or not in your departments"}
            409: {description: "The ticket's workflow version cannot be found"}
        """
        ticket = visible_ticket(pk)
        workflow = workflow_of(ticket).workflow
        result = represent_offer(ticket, offer(ticket, g.user), workflow)
        return self.response(200, result=result)

    @expose("/<int:pk>/transitions", methods=["POST"])
    @protect()
    @answers_errors
    def take(self, pk: int) -> Any:
        """Take a transition of the ticket's workflow.
        ---
        post:
          summary: Take a transition (200), or ask a department head to approve it (202)
          description: >-
            Give the `lock_version` you read. `data` is a JSON merge patch (RFC 7386) of the
            ticket's data, written with the transition; the result must be valid under the
            ticket's template version, and the transition's requirements are checked on it.
            A transition that needs approval changes nothing yet: it answers 202 with the
            request, and completes when a head of the ticket's department approves.
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
                  required: [transition, lock_version]
                  properties:
                    transition: {type: string, minLength: 1, maxLength: 64,
                      description: "A transition's name"}
                    lock_version: {type: integer, minimum: 0, maximum: 2147483647}
                    data: {type: object, description: "A JSON merge patch of the data"}
                    note: {type: string, maxLength: 2000, nullable: true,
                      description: "Kept in the history with the change"}
          responses:
            200:
              description: The ticket after the transition
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            202:
              description: "Waiting for approval: the request (nothing else changed)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/PendingTransition'}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not change tickets, your roles on the ticket do
              not include one the transition names, or a session write without its CSRF
              token"}
            404: {description: "No such ticket, or not in your departments"}
            409: {description: "Changed since you read it, not available from the ticket's
              state, or another transition waits for approval (nothing was saved)"}
            413: {description: "Body larger than 1 MB"}
            415: {description: "The body is not application/json"}
            422: {description: "Bad members, an unknown transition (at /transition), data
              invalid under the template version, or the transition's requirements unmet:
              errors by JSON pointer"}
        """
        ticket = visible_ticket(pk)
        payload = read_body()
        errors = _unknown(payload, TAKE_MEMBERS)
        expected = _lock_version(errors, payload)
        name = parse_text(errors, "/transition", payload.get("transition"), 64)
        if name is not None and not name.strip():
            errors["/transition"] = [_("A transition's name is required.")]
        note = parse_text(errors, "/note", payload.get("note"), MAX_NOTE, nullable=True)
        data = payload.get("data")
        if "data" in payload and not isinstance(data, dict):
            errors["/data"] = [_("Must be an object (a JSON merge patch of the data).")]
        if errors:
            raise invalid(errors)
        assert name is not None
        taken = take(ticket.id, name, expected, g.user, data, note, Channel.API.value)
        if taken.approval is not None:
            workflow = workflow_of(taken.ticket).workflow
            return self.response(202, **represent_request(taken.approval, workflow))
        return self.response(200, **represent([taken.ticket])[0])

    @expose("/<int:pk>/claim", methods=["POST"])
    @protect()
    @answers_errors
    def claim(self, pk: int) -> Any:
        """Claim an unassigned ticket of your department (抢单).
        ---
        post:
          summary: Claim an unassigned ticket that is still being worked
          description: >-
            The ticket becomes yours if nobody has it; of several agents claiming at once,
            exactly one gets it. No body.
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The ticket, now yours
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not change tickets, you are no member of the
              ticket's department, or a session write without its CSRF token"}
            404: {description: "No such ticket, or not in your departments"}
            409:
              description: "Someone has it already (`assignee`), or it is solved or closed"
              content:
                application/json:
                  schema:
                    allOf:
                    - {$ref: '#/components/schemas/Error'}
                    - type: object
                      required: [assignee]
                      properties:
                        assignee: {allOf: [{$ref: '#/components/schemas/UserRef'}],
                          nullable: true}
        """
        ticket = visible_ticket(pk)
        claimed = claim(ticket.id, g.user, channel=Channel.API.value)
        return self.response(200, **represent([claimed])[0])

    @expose("/<int:pk>/transfer", methods=["POST"])
    @protect()
    @answers_errors
    def transfer(self, pk: int) -> Any:
        """Transfer a ticket to another agent or department, with a reason.
        ---
        post:
          summary: Transfer to an agent of the department, or to another department
          description: >-
            `assignee` alone: another member of the ticket's department. `department` (a
            key): that department's group queue, or with `assignee` one of its members. The
            reason is kept in the history.
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
                  required: [lock_version, reason]
                  properties:
                    lock_version: {type: integer, minimum: 0, maximum: 2147483647}
                    assignee:
                      description: "A member of the department it goes to (user id), or me"
                      nullable: true
                      oneOf:
                      - {type: integer, minimum: 1, maximum: 2147483647}
                      - {type: string, enum: [me]}
                    department: {type: string, minLength: 1, maxLength: 64, nullable: true,
                      description: "An existing department's key"}
                    reason: {type: string, minLength: 1, maxLength: 2000, pattern: $not_blank}
          responses:
            200:
              description: The ticket after the transfer
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not change tickets, you are no member of the
              ticket's department, or a session write without its CSRF token"}
            404: {description: "No such ticket, or not in your departments"}
            409: {description: "Changed since you read it (nothing was saved)"}
            413: {description: "Body larger than 1 MB"}
            415: {description: "The body is not application/json"}
            422: {description: "Bad members, no such department, an assignee who is no member
              of it, no target, the ticket is there already, or no reason: errors by JSON
              pointer"}
        """
        ticket = visible_ticket(pk)
        payload = read_body()
        errors = _unknown(payload, TRANSFER_MEMBERS)
        expected = _lock_version(errors, payload)
        assignee = _user_id(errors, payload.get("assignee"))
        department = _department(errors, payload.get("department"))
        reason = parse_text(errors, "/reason", payload.get("reason"), MAX_REASON)
        if errors:
            raise invalid(errors)
        moved = transfer(
            ticket.id, expected, g.user, assignee_id=assignee, department_id=department,
            reason=reason, channel=Channel.API.value,
        )
        return self.response(200, **represent([moved])[0])

    @expose("/<int:pk>/chase", methods=["POST"])
    @protect()
    @answers_errors
    def chase(self, pk: int) -> Any:
        """Record that the customer chased the ticket (催单).
        ---
        post:
          summary: Chase a ticket that takes too long
          description: >-
            Counts one chase on the ticket and records a `chased` event (with the note) that
            the workflow's triggers react to. The ticket's `lock_version` stays: whoever is
            editing it is not made stale. A solved or closed ticket is not chased (reopen it
            instead), and you may chase the same ticket once per chase interval
            (TESSERA_CHASE_INTERVAL seconds).
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
                  properties:
                    note: {type: string, maxLength: 2000, nullable: true,
                      description: "What the customer said; kept in the history"}
          responses:
            200:
              description: The ticket after the chase
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not change tickets, or a session write without
              its CSRF token"}
            404: {description: "No such ticket, or not in your departments"}
            413: {description: "Body larger than 1 MB"}
            415: {description: "The body is not application/json"}
            422: {description: "Bad members, or the ticket is solved or closed (at /category):
              errors by JSON pointer"}
            429:
              description: "You chased this ticket less than the chase interval ago: try
                again after `Retry-After` seconds (also `retry_after`)"
              headers:
                Retry-After:
                  description: Seconds until you may chase the ticket again
                  schema: {type: integer, minimum: 1}
              content:
                application/json:
                  schema:
                    allOf:
                    - {$ref: '#/components/schemas/Error'}
                    - type: object
                      required: [retry_after]
                      properties:
                        retry_after: {type: integer, minimum: 1}
        """
        ticket = visible_ticket(pk)
        payload = read_body()
        errors = _unknown(payload, CHASE_MEMBERS)
        note = parse_text(errors, "/note", payload.get("note"), MAX_NOTE, nullable=True)
        if errors:
            raise invalid(errors)
        chased = chase(ticket.id, int(g.user.id), channel=Channel.API.value, note=note)
        return self.response(200, **represent([chased])[0])


__all__ = ["TicketWorkflowApi", "represent_offer", "represent_request"]
