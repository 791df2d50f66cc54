"""Tickets API: create, read, list, edit (JSON merge patch), comment with files, download.

Who sees what: Admins every ticket; everyone else (Agent, DepartmentHead) the tickets of the
departments they are a member of. A ticket outside the caller's scope answers 404, exactly like
one that does not exist. Creating is not scoped: an agent may open a ticket for any template; it
goes to the template's default department, unassigned, in state "new" (`app.tickets.intake`).

Bad input never reaches the database: the body is size-checked before it is read (413), parsed
strictly (400: not JSON, duplicate members, NaN/Infinity, not an object), walked for depth
(> 32 levels), NUL characters and lone surrogates (422), checked member by member (422 naming
each unknown or wrong member by JSON pointer), and the custom data is validated against the
template version's schema (422, pointers under /data). Writes go through `app.tickets.service`,
one transaction each.

Comments are JSON or multipart/form-data (`body`, `internal`, repeated `files`); the comment
and its files are saved together or not at all (413 for a file over the size limit, 422 for a
refused type, naming the file at `/files/<index>`). Attachments are listed in the ticket, each
with the URL that downloads it, scoped like the ticket.

File fields of the data (`format: data-url`) take data URLs, as RJSF clients send them: each
file is stored as an attachment of the ticket in the ticket's transaction and the data keeps
the reference `attachment:<id>;name=<name>` (`app.tickets.filefields`), returned as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, g, request
from flask_appbuilder.api import expose, protect
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.base import TesseraApi
from app.api.body import ApiError, answers_errors, check_size, invalid, read_body
from app.api.represent import (
    SCHEMAS,
    iso,
    represent,
    represent_attachment,
    represent_comment,
    represent_event,
)
from app.definitions.filterable import FilterSpec, filterable
from app.extensions import db
from app.limits import MAX_ID
from app.models import Department
from app.pointers import escape
from app.tickets import filefields, query
from app.tickets.access import (
    parse_assignee,
    readable_ticket,
    users_by_id,
    visible_departments,
    visible_ticket,
)
from app.tickets.comments import (
    MAX_COMMENT_CHARS,
    body_errors,
    by_comment,
    download_response,
    ticket_attachments,
    uploads_from,
    visible_attachment,
)
from app.tickets.errors import StaleTicket, TicketError, TicketInvalid, TicketNotFound
from app.tickets.filters import (
    SYSTEM_PARAMS,
    field_param,
    read_field_filters,
    read_system_filters,
)
from app.tickets.intake import NewTicket, check_data, open_ticket
from app.tickets.models import PEOPLE_CHANNELS, Channel, Ticket
from app.tickets.patch import merge_patch
from app.tickets.query import COUNT_CAP
from app.tickets.service import Requester, Upload, add_comment, stale_ticket
from app.tickets.storage import storage_for
from app.tickets.system import (
    parse_priority,
    parse_requester,
    parse_subject,
    parse_text,
)
from app.tickets.templates import TemplateUnavailable, published_template
from app.tickets.templates import template_version as template_version_form

CREATE_MEMBERS = ("template", "data", "requester", "subject", "priority", "channel")
PATCH_MEMBERS = ("lock_version", "data", "requester", "subject", "priority", "assignee")
COMMENT_MEMBERS = ("body", "internal")
COMMENT_FIELDS = ("body", "internal", "files")
LIST_PARAMS = (
    "template", "department", "created_by", "sort", "cursor", "limit", *SYSTEM_PARAMS
)
# A custom-field sort's cursor carries a value (text up to 500 characters, as UTF-8, base64).
MAX_CURSOR_CHARS = 3000


def _unknown(payload: dict[str, Any], known: Sequence[str]) -> dict[str, list[str]]:
    return {
        f"/{escape(name)}": [f"Unknown member; use {', '.join(known)}."]
        for name in payload
        if name not in known
    }


# ---------------------------------------------------------------------------------------------
# List filters


def _one(name: str) -> str | None:
    """The one value of a list parameter; an empty one is no value (`?state=&department=`)."""
    values = [value for value in request.args.getlist(name) if value]
    if len(values) > 1:
        raise ApiError(400, f"Give {name} once.")
    return values[0] if values else None


def _digits(value: str) -> bool:
    """ASCII digits only (str.isdigit also accepts "²", which int() refuses)."""
    return value.isascii() and value.isdigit()


def _department_id(value: str) -> int:
    if _digits(value):
        number = int(value)
        if number > MAX_ID:
            raise ApiError(400, f"No department {value!r}.")
        found = db.session.get(Department, number)
    else:
        found = db.session.scalar(select(Department).where(Department.key == value))
    if found is None:
        raise ApiError(400, f"No department {value!r}.")
    return found.id


def _offered(template: str | None) -> list[FilterSpec]:
    """The filterable fields of a published template: their titles and which hold whole days."""
    if template is None:
        return []
    try:
        tf = published_template(template)
    except TemplateUnavailable:
        return []
    return list(filterable(tf.schema, tf.ui_schema).values())


def list_filters() -> tuple[query.TicketFilters, str | None, int]:
    """(filters in the user's scope, cursor, limit) from the query string; 400 when bad."""
    for name in request.args:
        if name not in LIST_PARAMS and field_param(name) is None:
            raise ApiError(400, f"Unknown query parameter {name!r}.")
        longest = MAX_CURSOR_CHARS if name == "cursor" else 500
        for value in request.args.getlist(name):
            if "\x00" in value or len(value) > longest:
                raise ApiError(400, f"Bad value for {name!r}.")
    scope = visible_departments()
    department = _one("department")
    departments: set[int] | None = scope
    if department is not None:
        wanted = _department_id(department)
        departments = {wanted} if scope is None or wanted in scope else set()
    created_by = None
    created_text = _one("created_by")
    if created_text is not None:
        if created_text != "me":
            raise ApiError(400, "created_by must be 'me'.")
        created_by = int(g.user.id)
        if department is None:  # the creator reads their tickets wherever they were routed
            departments = None
    limit_text = _one("limit")
    limit = query.DEFAULT_LIMIT
    if limit_text is not None:
        if not _digits(limit_text) or not 1 <= int(limit_text) <= query.MAX_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {query.MAX_LIMIT}.")
        limit = int(limit_text)
    template = _one("template")
    offered = _offered(template)
    sort = query.read_sort(_one("sort"), offered, template)
    cursor = _one("cursor")
    if cursor is not None:
        query.check_cursor(cursor, sort)
    filters = query.TicketFilters(
        template=template,
        department_ids=departments,
        created_by=created_by,
        fields=read_field_filters(request.args, offered),
        sort=sort,
    )
    return read_system_filters(request.args, int(g.user.id), filters), cursor, limit


def answer_ticket_error(api: TesseraApi, exc: Exception) -> Any:
    """Request, store and template errors as their JSON status (the ticket APIs share it)."""
    if isinstance(exc, ApiError):
        body: dict[str, Any] = {"message": exc.message}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return api.response(exc.status, **body)
    if isinstance(exc, StaleTicket):
        users = users_by_id([exc.changed_by_id])
        return api.response(
            409,
            message="The ticket was changed since you read it; nothing was saved.",
            current_lock_version=exc.current_version,
            changed_by=users.get(exc.changed_by_id) if exc.changed_by_id else None,
            changed_at=iso(exc.changed_at),
        )
    if isinstance(exc, TicketInvalid):
        # 422, or 413 when an attached file is over the size limit.
        return api.response(exc.status, message="The request is invalid.", errors=exc.errors)
    if isinstance(exc, TemplateUnavailable):
        return api.response(exc.status, message=str(exc))
    if isinstance(exc, TicketNotFound):
        return api.response(404, message=str(exc))
    if isinstance(exc, TicketError):
        return api.response(exc.status, message=str(exc))
    raise exc


# ---------------------------------------------------------------------------------------------
# The API


class TicketsApi(TesseraApi):
    """Tickets: create, read, list, edit and comment; scoped to the caller's departments."""

    resource_name = "tickets"
    class_permission_name = "Tickets"
    openapi_spec_tag = "Tickets"
    spec_schemas = SCHEMAS
    handled_errors = (ApiError, TicketError, TemplateUnavailable)
    method_permission_name = {
        "list_": "get",
        "get_": "get",
        "post": "post",
        "patch": "put",
        "comment": "post",
        "attachment": "get",
    }

    def answer_error(self, exc: Exception) -> Any:
        """Request, store and template errors as their JSON status."""
        return answer_ticket_error(self, exc)

    @expose("/", methods=["GET"])
    @protect()
    @answers_errors
    def list_(self) -> Any:
        """Tickets the caller may see, sorted, one page at a time.
        ---
        get:
          summary: List tickets (scoped to your departments; Admins see all)
          description: >-
            Custom-field filters (repeatable for several fields):
            `f.<field>=v` equality (repeat for any of several values),
            `f.<field>.min=` / `f.<field>.max=` number range,
            `f.<field>.from=` / `f.<field>.to=` ISO date range,
            `f.<field>.prefix=` text prefix (case-sensitive),
            `f.<field>.contains=` substring (case-insensitive; % and _ are literal),
            `f.<field>.is=true|false` boolean.
            Free-text search: `q` looks in the number, subject, requester (name, e-mail,
            phone) and the template's text fields, ignoring case; `q_mode=prefix` matches
            values that start with it. A term under 3 characters always matches as a prefix.
            `state`, `category` and `priority` are repeatable and comma-separated (any of
            them). Time ranges take an ISO date (a whole day, UTC) or date-time: `created_from`
            and `created_to` bound created_at, `updated_from` and `updated_to` updated_at,
            both ends included.
            Pass `next_cursor` back as `cursor` for the next page, with the same sort.
            An empty parameter (`state=`) is the same as none.
          parameters:
          - {in: query, name: template, allowEmptyValue: true,
             description: "a template's key", schema: {type: string, maxLength: 500}}
          - {in: query, name: q, allowEmptyValue: true,
             description: "search text (case-insensitive; at most 200 characters)",
             schema: {type: string, maxLength: 200}}
          - {in: query, name: q_mode, allowEmptyValue: true, description: "how q matches",
             schema: {type: string, enum: [contains, prefix], default: contains}}
          - {in: query, name: state, allowEmptyValue: true, description: "comma-separated",
             schema: {type: string, maxLength: 500}}
          - {in: query, name: category, allowEmptyValue: true,
             description: "comma-separated: new, open, waiting, solved, closed",
             schema: {type: string, maxLength: 500,
               pattern: '^(new|open|waiting|solved|closed)(,(new|open|waiting|solved|closed))*$'}}
          - {in: query, name: priority, allowEmptyValue: true,
             description: "comma-separated: low, normal, high, urgent",
             schema: {type: string, maxLength: 500,
               pattern: '^(low|normal|high|urgent)(,(low|normal|high|urgent))*$'}}
          - in: query
            name: created_from
            allowEmptyValue: true
            description: "created_at from (an ISO date, or a date-time)"
            schema:
              oneOf:
              - {type: string, format: date}
              - {type: string, format: date-time, maxLength: 40}
          - in: query
            name: created_to
            allowEmptyValue: true
            description: "created_at to, that whole day for a date (an ISO date, or a date-time)"
            schema:
              oneOf:
              - {type: string, format: date}
              - {type: string, format: date-time, maxLength: 40}
          - in: query
            name: updated_from
            allowEmptyValue: true
            description: "updated_at from (an ISO date, or a date-time)"
            schema:
              oneOf:
              - {type: string, format: date}
              - {type: string, format: date-time, maxLength: 40}
          - in: query
            name: updated_to
            allowEmptyValue: true
            description: "updated_at to, that whole day for a date (an ISO date, or a date-time)"
            schema:
              oneOf:
              - {type: string, format: date}
              - {type: string, format: date-time, maxLength: 40}
          - {in: query, name: department, allowEmptyValue: true,
             description: "an existing department's id or key",
             schema: {type: string, maxLength: 500}}
          - in: query
            name: assignee
            allowEmptyValue: true
            description: "a user id, me or unassigned"
            schema:
              oneOf:
              - {type: integer, minimum: 0, maximum: 2147483647}
              - {type: string, enum: [me, unassigned]}
          - in: query
            name: created_by
            allowEmptyValue: true
            description: "me: the tickets you created, in any department"
            schema: {type: string, enum: [me]}
          - in: query
            name: sort
            allowEmptyValue: true
            description: >-
              A system sort, or with `template` one of its filterable custom fields:
              `f.<field>` ascending, `-f.<field>` descending (numbers as numbers, booleans
              false first, dates as ISO text, enums and text by code point, case-sensitive;
              ties newest first ascending, oldest first descending; tickets without the
              value last either way). Without `template` a custom-field sort is a 400.
              `priority` sorts low < normal < high < urgent, `-priority` urgent first; ties
              newest first either way.
            schema:
              oneOf:
              - {type: string, default: newest,
                 enum: [newest, oldest, recently_updated, least_recently_updated, due,
                        priority, -priority]}
              - {type: string, pattern: '^-?f\\.[A-Za-z_][A-Za-z0-9_]{0,63}$'}
          - {in: query, name: cursor, allowEmptyValue: true,
             description: "the next_cursor of a page of the same sort (and direction)",
             schema: {type: string, maxLength: 3000}}
          - {in: query, name: limit, allowEmptyValue: true,
             schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
          responses:
            200:
              description: One page of tickets, newest first unless sorted otherwise
              content: {application/json: {schema: {$ref: '#/components/schemas/TicketPage'}}}
            400: {description: "An unknown parameter, a bad value, a department that does not
              exist, a custom-field sort without a template or on a field it cannot sort by,
              or a cursor of another sort"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not read tickets"}
        """
        filters, cursor, limit = list_filters()
        page = query.list_tickets(filters, cursor, limit)
        count, capped = query.count_tickets(filters, cap=COUNT_CAP, at_least=page.seen)
        return self.response(
            200,
            result=represent(page.tickets),
            next_cursor=page.next_cursor,
            count=count,
            count_capped=capped,
        )

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @answers_errors
    def get_(self, pk: int) -> Any:
        """One ticket with its comments and history.
        ---
        get:
          summary: One ticket, with comments, attachments and history
          description: >-
            Each comment lists the files that came with it; `attachments` lists every file of
            the ticket. An attachment's `url` downloads it. A file field's value in `data` is
            the reference `attachment:<id>;name=<percent-encoded name>`, as stored: its file
            is the attachment with that `id` (comment_id null).
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The ticket
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/TicketDetail'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not read tickets"}
            404: {description: "No such ticket, or not in your departments"}
        """
        ticket = readable_ticket(pk)
        attachments = ticket_attachments(ticket.id)
        users = users_by_id(
            [c.author_id for c in ticket.comments]
            + [e.actor_id for e in ticket.events]
            + [a.uploaded_by_id for a in attachments]
        )
        files = by_comment(attachments)
        result = represent([ticket])[0]
        result["comments"] = [
            represent_comment(c, users, files.get(c.id, [])) for c in ticket.comments
        ]
        result["attachments"] = [represent_attachment(a, users) for a in attachments]
        result["history"] = [represent_event(e, users) for e in ticket.events]
        return self.response(200, result=result)

    @expose("/", methods=["POST"])
    @protect()
    @answers_errors
    def post(self) -> Any:
        """Create a ticket from a published template.
        ---
        post:
          summary: Create a ticket (to the template's default department, unassigned, new)
          description: >-
            `data` must be valid under the published template's own schema (422 naming each
            problem at its pointer under /data otherwise). A file field (`format: data-url`)
            takes a data URL, `data:<type>;name=<file name>;base64,<data>`: the file is stored
            as an attachment of the ticket and the field holds `attachment:<id>;name=<name>`
            (422 at the field's pointer for a file too large, of a type not accepted, or not
            valid base64).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  additionalProperties: false
                  required: [template, data]
                  properties:
                    template: {type: string, minLength: 1, maxLength: 64, pattern: $not_blank,
                      description: "A published template's key"}
                    data: {type: object, description: "Valid under the template's schema"}
                    requester: {$ref: '#/components/schemas/RequesterInput'}
                    subject: {type: string, minLength: 1, maxLength: 300, pattern: $not_blank,
                      description: "Defaults to the field the template names"}
                    priority: {type: string, enum: [low, normal, high, urgent]}
                    channel: {type: string, enum: [agent, web, email, api, import], default: api}
          responses:
            201:
              description: The ticket
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not create tickets, or a session write without
              its CSRF token"}
            404: {description: "No such template"}
            409: {description: "The template is retired, or has no usable default department"}
            413: {description: "Body larger than 1 MB"}
            415: {description: "The body is not application/json"}
            422: {description: "Bad members, or data invalid under the template: errors by
              JSON pointer"}
        """
        ticket = self._create(read_body())
        return self.response(201, **represent([ticket])[0])

    def _create(self, payload: dict[str, Any]) -> Ticket:
        errors = _unknown(payload, CREATE_MEMBERS)
        key = payload.get("template")
        if not isinstance(key, str) or not key.strip():
            errors["/template"] = ["A template key is required."]
        elif len(key) > 64:
            errors["/template"] = ["Must be at most 64 characters."]
        data = payload.get("data")
        if not isinstance(data, dict):
            errors["/data"] = ["Must be an object."]
        requester = parse_requester(errors, payload["requester"]) if "requester" in payload else {}
        subject = parse_subject(errors, payload["subject"]) if "subject" in payload else None
        priority = parse_priority(errors, payload["priority"]) if "priority" in payload else None
        channel = payload.get("channel", Channel.API.value)
        if not isinstance(channel, str) or channel not in PEOPLE_CHANNELS:
            errors["/channel"] = [f"Must be one of: {', '.join(PEOPLE_CHANNELS)}."]
        if errors:
            raise invalid(errors)
        assert isinstance(key, str)
        template = published_template(key)
        return open_ticket(
            NewTicket(
                checked=check_data(template, data),
                requester=Requester(**requester),
                channel=channel,
                actor_id=g.user.id,
                subject=subject,
                priority=priority,
            )
        )

    @expose("/<int:pk>", methods=["PATCH"])
    @protect()
    @answers_errors
    def patch(self, pk: int) -> Any:
        """Edit a ticket with optimistic locking.
        ---
        patch:
          summary: Edit a ticket; `data` is a JSON merge patch (RFC 7386) of the custom data
          description: >-
            Give the `lock_version` you read. `data` merges into the stored document (null
            removes a member) and the result must be valid under the template version the
            ticket was created with. `requester` merges the same way. Every changed value is
            recorded in the ticket's history. File fields take a data URL (a new file, stored
            as an attachment) or keep a reference to one of this ticket's attachments; a
            reference to another ticket's file is refused (422 at its pointer).
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
                  required: [lock_version]
                  properties:
                    lock_version: {type: integer, minimum: 0, maximum: 2147483647}
                    data: {type: object, description: "A JSON merge patch of the data"}
                    requester: {$ref: '#/components/schemas/RequesterInput'}
                    subject: {type: string, minLength: 1, maxLength: 300, pattern: $not_blank}
                    priority: {type: string, enum: [low, normal, high, urgent]}
                    assignee:
                      description: "A member of the ticket's department (user id), me, or null
                        (the department's queue)"
                      nullable: true
                      oneOf:
                      - {type: integer, minimum: 0, maximum: 2147483647}
                      - {type: string, enum: [me]}
          responses:
            200:
              description: The ticket after the edit
              content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not edit tickets, or a session write without its
              CSRF token"}
            404: {description: "No such ticket, or not in your departments"}
            409:
              description: "Changed since you read it (nothing was saved)"
              content:
                application/json:
                  schema:
                    allOf:
                    - {$ref: '#/components/schemas/Error'}
                    - type: object
                      required: [current_lock_version, changed_by, changed_at]
                      properties:
                        current_lock_version: {type: integer}
                        changed_by: {allOf: [{$ref: '#/components/schemas/UserRef'}],
                          nullable: true}
                        changed_at: {type: string, format: date-time, nullable: true}
            413: {description: "Body larger than 1 MB"}
            415: {description: "The body is not application/json"}
            422: {description: "Bad members, or data invalid under the template version: errors
              by JSON pointer"}
        """
        ticket = self._patch(pk)
        return self.response(200, **represent([ticket])[0])

    def _patch(self, pk: int) -> Ticket:
        check_size()
        ticket = visible_ticket(pk)
        payload = read_body()
        errors = _unknown(payload, PATCH_MEMBERS)
        expected = payload.get("lock_version")
        if (
            not isinstance(expected, int)
            or isinstance(expected, bool)
            or not 0 <= expected <= MAX_ID
        ):
            errors["/lock_version"] = ["The lock_version you read (a whole number) is required."]
        changes: dict[str, Any] = {}
        if "subject" in payload:
            changes["subject"] = parse_subject(errors, payload["subject"])
        if "priority" in payload:
            changes["priority"] = parse_priority(errors, payload["priority"])
        if "assignee" in payload:
            changes["assignee_id"] = parse_assignee(
                errors, ticket.department_id, payload["assignee"]
            )
        if "requester" in payload:
            for name, value in parse_requester(errors, payload["requester"]).items():
                changes[f"requester_{name}"] = value
        patch = payload.get("data")
        if "data" in payload and not isinstance(patch, dict):
            errors["/data"] = ["Must be an object (a JSON merge patch of the data)."]
        if errors:
            raise invalid(errors)
        assert isinstance(expected, int)
        if ticket.lock_version != expected:
            raise stale_ticket(pk, expected)
        files = filefields.NO_FILES
        if isinstance(patch, dict):
            data = merge_patch(ticket.data or {}, patch)
            template = template_version_form(ticket.template, ticket.template_version)
            checked = check_data(template, data, ticket)
            changes["data"], files = checked.data, checked.files
        return filefields.update_ticket(
            files, pk, changes, expected, g.user.id, channel=Channel.API.value
        )

    @expose("/<int:pk>/comments", methods=["POST"])
    @protect()
    @answers_errors
    def comment(self, pk: int) -> Any:
        """Add a public reply or an internal note, optionally with files.
        ---
        post:
          summary: Add a reply (internal false) or an internal note (internal true), with files
          description: >-
            JSON for text only, or multipart/form-data with `body`, `internal` (true or false)
            and one `files` part per file. A comment needs text, files, or both. The comment
            and its files are saved together or not at all.
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
                  required: [body]
                  properties:
                    body: {type: string, minLength: 1, maxLength: 50000, pattern: $not_blank}
                    internal: {type: boolean, default: false}
              multipart/form-data:
                schema:
                  type: object
                  additionalProperties: false
                  description: "Text (`body`), files, or both"
                  anyOf:
                  - {required: [body], properties: {body: {pattern: $not_blank}}}
                  - {required: [files], properties: {files: {minItems: 1}}}
                  properties:
                    body: {type: string, maxLength: 50000}
                    internal: {type: string, enum: ["true", "false"], default: "false"}
                    files: {type: array, maxItems: 10, items: {type: string, format: binary},
                      description: "Each of an allowed type (TESSERA_ATTACHMENT_TYPES)"}
          responses:
            201:
              description: The comment, with its files
              content: {application/json: {schema: {$ref: '#/components/schemas/Comment'}}}
            400: {description: "Not a JSON object"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not comment, or a session write without its CSRF
              token"}
            404: {description: "No such ticket, or not in your departments"}
            413: {description: "Body larger than 1 MB (JSON) or the request limit, or a file
              over the size limit (errors at /files/<index>)"}
            415: {description: "The body is neither application/json nor multipart/form-data"}
            422: {description: "Bad members, or a refused file type at /files/<index>"}
        """
        multipart = request.mimetype == "multipart/form-data"
        request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if not multipart:
            check_size()
        elif request_limit:
            check_size(int(request_limit))
        readable_ticket(pk)
        body, internal, uploads = _multipart_comment() if multipart else _json_comment()
        created = add_comment(
            pk, body, g.user.id, internal=internal, channel=Channel.API.value,
            uploads=uploads, storage=storage_for(current_app),
        )
        users = users_by_id([created.author_id])
        return self.response(201, **represent_comment(created, users, created.attachments))

    @expose("/<int:pk>/attachments/<int:aid>", methods=["GET"])
    @protect()
    @answers_errors
    def attachment(self, pk: int, aid: int) -> Any:
        """Download one attachment of a ticket.
        ---
        get:
          summary: Download an attachment (as a file, with its stored content type)
          description: >-
            The body comes with the content type stored with the file (one of the allowed
            attachment types, TESSERA_ATTACHMENT_TYPES), as a download. The ETag is the file's
            SHA-256: If-None-Match answers 304, and Range requests are honoured (206).
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          - {in: path, name: aid, required: true, schema: {type: integer, minimum: 0,
             maximum: 2147483647}}
          responses:
            200:
              description: "The file (Content-Disposition: attachment)"
              content:
                "*/*":
                  schema: {type: string, format: binary}
            206:
              description: "The requested range of the file"
              content:
                "*/*":
                  schema: {type: string, format: binary}
            304: {description: "Not modified since the ETag you gave"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Your role may not read tickets"}
            404: {description: "No such ticket or attachment, not in your departments, the
              attachment belongs to another ticket, or its file is missing from storage"}
            416: {description: "The range is outside the file"}
        """
        return download_response(visible_attachment(pk, aid), storage_for(current_app))


def _json_comment() -> tuple[str, bool, list[Upload]]:
    """(body, internal, no files) from a JSON body; ApiError when bad."""
    payload = read_body()
    errors = _unknown(payload, COMMENT_MEMBERS)
    body = parse_text(errors, "/body", payload.get("body"), MAX_COMMENT_CHARS)
    if body is not None and not body.strip():
        errors["/body"] = ["Must not be empty."]
    internal = payload.get("internal", False)
    if not isinstance(internal, bool):
        errors["/internal"] = ["Must be true or false."]
    if errors:
        raise invalid(errors)
    assert body is not None
    return body, internal, []


def _multipart_comment() -> tuple[str, bool, list[Upload]]:
    """(body, internal, files) from a multipart body; ApiError when bad."""
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge as exc:
        raise ApiError(413, "The request body is too large.") from exc
    errors: dict[str, list[str]] = {}
    unknown = [n for n in form if n not in ("body", "internal")]
    unknown += [n for n in files if n != "files"]
    for name in unknown:
        errors[f"/{escape(name)}"] = [f"Unknown field; use {', '.join(COMMENT_FIELDS)}."]
    for name in ("body", "internal"):
        if len(form.getlist(name)) > 1:
            errors[f"/{name}"] = ["Give it once."]
    body = form.get("body", "")
    if body_errors(body):
        errors["/body"] = body_errors(body)
    internal = form.get("internal", "false")
    if internal not in ("true", "false"):
        errors["/internal"] = ["Must be true or false."]
    uploads = uploads_from(files.getlist("files"))
    if not body.strip() and not uploads and not errors:
        errors["/body"] = ["Give text, files, or both."]
    if errors:
        raise invalid(errors)
    return body, internal == "true", uploads
