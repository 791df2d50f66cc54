"""The API's JSON of tickets, comments, attachments and history events.

Departments and users are loaded once per answer (one query each), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import select

from app.api.spec import PATTERNS
from app.clock import iso
from app.extensions import db
from app.models import Department
from app.tickets.access import users_by_id
from app.tickets.models import Attachment, Comment, Ticket, TicketEvent
from app.tickets.query import COUNT_CAP, SEARCH_PROBE_ROWS


def departments_by_id(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{id: {id, key, name}} of the given departments (one query)."""
    rows = db.session.scalars(select(Department).where(Department.id.in_(sorted(set(ids)))))
    return {d.id: {"id": d.id, "key": d.key, "name": d.name} for d in rows}


def represent(tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """The JSON of tickets (departments and assignees loaded in two queries, not per row)."""
    departments = departments_by_id(t.department_id for t in tickets)
    users = users_by_id(t.assignee_id for t in tickets)
    return [
        {
            "id": t.id,
            "number": t.number,
            "template": t.template,
            "template_version": t.template_version,
            "subject": t.subject,
            "state": t.state,
            "category": t.category,
            "priority": t.priority,
            "department": departments.get(t.department_id),
            "assignee": users.get(t.assignee_id) if t.assignee_id is not None else None,
            "requester": {
                "name": t.requester_name,
                "email": t.requester_email,
                "phone": t.requester_phone,
            },
            "channel": t.channel,
            "data": t.data,
            "lock_version": t.lock_version,
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at),
            "first_response_at": iso(t.first_response_at),
            "resolved_at": iso(t.resolved_at),
            "closed_at": iso(t.closed_at),
            "sla": represent_sla(t),
            "chases": t.chases,
            "workflow": {"key": t.workflow_key, "version": t.workflow_version},
        }
        for t in tickets
    ]


def represent_sla(ticket: Ticket) -> dict[str, Any]:
    """The ticket's SLA: the policy, both due times (null: no target, or paused), paused."""
    return {
        "policy": ticket.sla_policy,
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "paused": ticket.sla_paused_at is not None,
        "warned_at": iso(ticket.sla_warned_at),
        "breached_at": iso(ticket.sla_breached_at),
    }


def represent_attachment(
    attachment: Attachment, users: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """An attachment's JSON, with the API URL that downloads it."""
    uploader = attachment.uploaded_by_id
    return {
        "id": attachment.id,
        "ticket_id": attachment.ticket_id,
        "comment_id": attachment.comment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": users.get(uploader) if uploader is not None else None,
        "created_at": iso(attachment.created_at),
        "url": url_for("TicketsApi.attachment", pk=attachment.ticket_id, aid=attachment.id),
    }


def represent_comment(
    comment: Comment,
    users: dict[int, dict[str, Any]],
    attachments: Sequence[Attachment] = (),
) -> dict[str, Any]:
    """A comment's JSON with the files that came with it."""
    return {
        "id": comment.id,
        "ticket_id": comment.ticket_id,
        "body": comment.body,
        "internal": comment.internal,
        "channel": comment.channel,
        "author": users.get(comment.author_id) if comment.author_id is not None else None,
        "created_at": iso(comment.created_at),
        "attachments": [represent_attachment(a, users) for a in attachments],
    }


def represent_event(event: TicketEvent, users: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A history event's JSON: what changed where (a JSON pointer), from what to what, by whom."""
    return {
        "id": event.id,
        "kind": event.kind,
        "pointer": event.pointer,
        "old": event.old,
        "new": event.new,
        "channel": event.channel,
        "actor": users.get(event.actor_id) if event.actor_id is not None else None,
        "at": iso(event.at),
        "note": event.note,
    }


# ---------------------------------------------------------------------------------------------
# The OpenAPI schemas of the JSON above (components of the spec, referenced by the endpoints)

_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": "string", "nullable": True}
_WHEN = {"type": "string", "format": "date-time"}
_MAYBE_WHEN = {"type": "string", "format": "date-time", "nullable": True}
_ID = {"type": "integer"}


def _ref(name: str, nullable: bool = False) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"allOf": [ref], "nullable": True} if nullable else ref


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


SCHEMAS: dict[str, dict[str, Any]] = {
    # What create and edit take as `requester` (edits merge it into the stored one).
    "RequesterInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 200, "nullable": True},
            "email": {
                "type": "string", "maxLength": 254, "nullable": True,
                "pattern": PATTERNS["$email_or_blank"],
                "description": "name@domain; empty or null for none",
            },
            "phone": {"type": "string", "maxLength": 64, "nullable": True},
        },
    },
    "UserRef": _object({"id": _ID, "username": _TEXT, "name": _TEXT}),
    "DepartmentRef": _object({"id": _ID, "key": _TEXT, "name": _TEXT}),
    "Ticket": _object(
        {
            "id": _ID,
            "number": _TEXT,
            "template": _TEXT,
            "template_version": _ID,
            "subject": _TEXT,
            "state": _TEXT,
            "category": {
                "type": "string",
                "enum": ["new", "open", "waiting", "solved", "closed"],
                "description": "What the state means in the ticket's workflow",
            },
            "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
            "department": _ref("DepartmentRef", nullable=True),
            "assignee": _ref("UserRef", nullable=True),
            "requester": _object({"name": _MAYBE_TEXT, "email": _MAYBE_TEXT, "phone": _MAYBE_TEXT}),
            "channel": _TEXT,
            "data": {"type": "object"},
            "lock_version": _ID,
            "created_at": _WHEN,
            "updated_at": _WHEN,
            "first_response_at": _MAYBE_WHEN,
            "resolved_at": _MAYBE_WHEN,
            "closed_at": _MAYBE_WHEN,
            "sla": _ref("TicketSla"),
            "chases": {"type": "integer", "description": "How often the customer chased (催单)"},
            "workflow": _ref("WorkflowRef"),
        }
    ),
    "TicketSla": _object(
        {
            "policy": {**_MAYBE_TEXT, "description": "The SLA policy that applies; null: none"},
            "first_response_due_at": {
                **_MAYBE_WHEN, "description": "Null: no target, or the clock is paused",
            },
            "resolution_due_at": {
                **_MAYBE_WHEN, "description": "Null: no target, or the clock is paused",
            },
            "paused": {"type": "boolean", "description": "In a waiting state: the clock stops"},
            "warned_at": {**_MAYBE_WHEN, "description": "The first SLA warning; null: none"},
            "breached_at": {**_MAYBE_WHEN, "description": "The first SLA breach; null: none"},
        }
    ),
    "WorkflowRef": _object(
        {
            "key": {**_MAYBE_TEXT, "description": "Null: the built-in default workflow"},
            "version": {"type": "integer", "nullable": True},
        }
    ),
    "Attachment": _object(
        {
            "id": _ID,
            "ticket_id": _ID,
            "comment_id": {"type": "integer", "nullable": True},
            "filename": _TEXT,
            "content_type": _TEXT,
            "size": _ID,
            "sha256": _TEXT,
            "uploaded_by": _ref("UserRef", nullable=True),
            "created_at": _WHEN,
            "url": {**_TEXT, "description": "Downloads the file"},
        }
    ),
    "Comment": _object(
        {
            "id": _ID,
            "ticket_id": _ID,
            "body": _TEXT,
            "internal": {"type": "boolean"},
            "channel": _TEXT,
            "author": _ref("UserRef", nullable=True),
            "created_at": _WHEN,
            "attachments": {"type": "array", "items": _ref("Attachment")},
        }
    ),
    "TicketEvent": _object(
        {
            "id": _ID,
            "kind": _TEXT,
            "pointer": {**_MAYBE_TEXT, "description": "JSON pointer of the changed value"},
            "old": {"nullable": True, "description": "Any JSON value"},
            "new": {"nullable": True, "description": "Any JSON value"},
            "channel": _TEXT,
            "actor": _ref("UserRef", nullable=True),
            "at": _WHEN,
            "note": _MAYBE_TEXT,
        }
    ),
    "TicketPage": _object(
        {
            "result": {"type": "array", "items": _ref("Ticket")},
            "next_cursor": {**_MAYBE_TEXT, "description": "Give it as `cursor` for the next page"},
            "count": _ID,
            "count_capped": {
                "type": "boolean",
                "description": f"counting stopped early: at least `count` tickets match (more "
                f"than {COUNT_CAP:,} when count is {COUNT_CAP:,}; a search counts among "
                f"{SEARCH_PROBE_ROWS:,} candidates)",
            },
        }
    ),
}
SCHEMAS["TicketDetail"] = {
    "allOf": [
        _ref("Ticket"),
        _object(
            {
                "comments": {"type": "array", "items": _ref("Comment")},
                "attachments": {"type": "array", "items": _ref("Attachment")},
                "history": {"type": "array", "items": _ref("TicketEvent")},
            }
        ),
    ]
}
