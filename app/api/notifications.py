"""Notifications API: the caller's bell, newest first, and marking a notification read.

Only the caller's own rows exist here: another user's notification answers 404 like a
missing one (`app.notifications.bell` names the user in every query).
"""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _

from app.api.base import TesseraApi
from app.api.body import ApiError, answers_errors
from app.clock import iso
from app.errors import TesseraError
from app.notifications import bell
from app.notifications.models import Notification

FLAGS = {"": False, "0": False, "false": False, "1": True, "true": True}
ID_MAX = 2147483647


def represent(rows: list[Notification]) -> list[dict[str, Any]]:
    """The JSON of notifications, with their tickets (one query)."""
    tickets = bell.tickets_of(rows)
    return [
        {
            "id": row.id,
            "event": row.event,
            "subject": row.subject,
            "body": row.body,
            "ticket": _ticket(row.ticket_id, tickets),
            "created_at": iso(row.created_at),
            "read_at": iso(row.read_at),
        }
        for row in rows
    ]


def _ticket(pk: int | None, tickets: dict[int, tuple[str, str]]) -> dict[str, Any] | None:
    if pk is None or pk not in tickets:
        return None
    number, subject = tickets[pk]
    return {
        "id": pk, "number": number, "subject": subject, "url": url_for("TicketsApi.get_", pk=pk),
    }


def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value not in FLAGS:
        raise ApiError(400, _("%(name)s must be 1 or 0.", name=name))
    return FLAGS[value]


def _before() -> int | None:
    value = request.args.get("before", "")
    if value == "":
        return None
    if not value.isdigit() or int(value) > ID_MAX:
        raise ApiError(400, _("before must be a notification id."))
    return int(value)


_TEXT = {"type": "string"}
_NOTIFICATION = {
    "id": {"type": "integer"},
    "event": _TEXT,
    "subject": _TEXT,
    "body": _TEXT,
    "ticket": {
        "type": "object",
        "nullable": True,
        "required": ["id", "number", "subject", "url"],
        "properties": {"id": {"type": "integer"}, "number": _TEXT, "subject": _TEXT, "url": _TEXT},
    },
    "created_at": {"type": "string", "format": "date-time"},
    "read_at": {"type": "string", "format": "date-time", "nullable": True},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Notification": {
        "type": "object", "required": list(_NOTIFICATION), "properties": _NOTIFICATION,
    },
}


class NotificationsApi(TesseraApi):
    """The caller's notifications (the bell) and marking one read."""

    resource_name = "notifications"
    class_permission_name = "Notifications"
    openapi_spec_tag = "Notifications"
    spec_schemas = SCHEMAS
    handled_errors = (TesseraError,)
    method_permission_name = {"list_": "get", "read": "post"}

    def answer_error(self, exc: Exception) -> Any:
        """A request error or a missing notification as its JSON status."""
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        return self.response(getattr(exc, "status", 400), message=message)

    @expose("/", methods=["GET"])
    @protect()
    @answers_errors
    def list_(self) -> Any:
        """The caller's notifications.
        ---
        get:
          summary: Your notifications, newest first, 50 a page
          parameters:
          - {in: query, name: unread, allowEmptyValue: true,
             description: "1: unread ones only",
             schema: {type: string, enum: ["", "0", "1", "true", "false"]}}
          - {in: query, name: before, allowEmptyValue: true,
             description: "the next_before of the previous page",
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: One page of notifications and the caller's unread count
              content:
                application/json:
                  schema:
                    type: object
                    required: [result, unread, next_before]
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/Notification'}}
                      unread: {type: integer, description: "Unread notifications in all"}
                      next_before:
                        type: integer
                        nullable: true
                        description: "Pass as before for the next page; null on the last"
            400: {description: "A bad unread or before"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role has no bell"}
        """
        user_id = int(g.user.id)
        page = bell.page_for(user_id, unread=_flag("unread"), before=_before())
        return self.response(
            200,
            result=represent(page.rows),
            unread=bell.unread_count(user_id),
            next_before=page.next_before,
        )

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @answers_errors
    def read(self, pk: int) -> Any:
        """Mark one notification read.
        ---
        post:
          summary: Mark one of your notifications read (again is fine)
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The notification
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/Notification'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role has no bell, or a cookie-signed call without the
              CSRF token"}
            404: {description: "No such notification of yours"}
        """
        row = bell.mark_read(int(g.user.id), pk)
        return self.response(200, result=represent([row])[0])
