"""Definitions API: create drafts, edit, publish, retire, import and export (Admin only).

Workflow versions are not published here: an Admin submits one (`/submit`, `/withdraw`) and a
head of the departments it routes to approves or rejects it (`/approve`, `/reject`, the one
permission department heads hold on this API). `/publish` of a workflow answers 409, and so
does an import that would publish one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _

from app.api.approvals import answer, read_comment
from app.api.base import TesseraApi
from app.api.body import ApiError, answers_errors, read_body
from app.approvals import ApprovalError
from app.approvals import workflows as approvals
from app.clock import iso
from app.definitions import io, store
from app.definitions.checks import KINDS
from app.definitions.errors import DefinitionInvalid, DefinitionStoreError
from app.limits import MAX_BODY_BYTES
from app.models import Definition, DefinitionStatus

# One document (≤ 1 MB, checked again inside) plus its envelope; an import of many documents.
DOCUMENT_MAX_BYTES = 2 * MAX_BODY_BYTES
IMPORT_MAX_BYTES = 16 * MAX_BODY_BYTES


def summary(row: Definition) -> dict[str, Any]:
    """The list representation of one version."""
    return {
        "id": row.id,
        "kind": row.kind,
        "key": row.key,
        "version": row.version,
        "status": row.status,
        "title": row.title,
        "checksum": row.checksum,
        "updated_at": iso(row.updated_at),
        "published_at": iso(row.published_at),
    }


def detail(row: Definition) -> dict[str, Any]:
    """One version with its body and pins."""
    return {**summary(row), "body": row.body, "pins": row.pins}


_SUMMARY = {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": list(KINDS)},
    "key": {"type": "string"},
    "version": {"type": "integer"},
    "status": {"type": "string", "enum": [status.value for status in DefinitionStatus]},
    "title": {"type": "string"},
    "checksum": {"type": "string"},
    "updated_at": {"type": "string", "format": "date-time"},
    "published_at": {"type": "string", "format": "date-time", "nullable": True},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "DefinitionSummary": {"type": "object", "required": list(_SUMMARY), "properties": _SUMMARY},
    "Definition": {
        "allOf": [
            {"$ref": "#/components/schemas/DefinitionSummary"},
            {
                "type": "object",
                "required": ["body", "pins"],
                "properties": {
                    "body": {"type": "object"},
                    "pins": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "The field versions a template is pinned to",
                    },
                },
            },
        ]
    },
}


def kinds_listed(method: Callable[..., Any]) -> Callable[..., Any]:
    """Write every kind (KINDS, in one place) where the endpoint's docstring says `$kinds`."""
    method.__doc__ = (method.__doc__ or "").replace("$kinds", f"[{', '.join(KINDS)}]")
    return method


def _flag(name: str) -> bool:
    """A true/false query parameter (absent or empty: false); 400 for anything else."""
    value = request.args.get(name, "")
    if value not in ("", "true", "false"):
        raise ApiError(400, _("%(name)s must be true or false.", name=name))
    return value == "true"


class DefinitionsApi(TesseraApi):
    """Versioned definitions of every kind: fields, workflows and templates."""

    resource_name = "definitions"
    class_permission_name = "Definitions"
    openapi_spec_tag = "Definitions"
    spec_schemas = SCHEMAS
    handled_errors = (ApiError, DefinitionStoreError, ApprovalError)
    method_permission_name = {
        "list_": "get",
        "get_": "get",
        "export": "get",
        "post": "post",
        "import_": "post",
        "put": "put",
        "publish": "put",
        "retire": "put",
        "submit": "put",
        "withdraw": "put",
        "approve": "decide",
        "reject": "decide",
    }

    def answer_error(self, exc: Exception) -> Any:
        """Bad requests and store errors as their JSON status (400/404/409/413/422)."""
        if isinstance(exc, ApiError):
            body = {"errors": exc.errors} if exc.errors else {}
            return self.response(exc.status, message=exc.message, **body)
        if isinstance(exc, DefinitionInvalid):
            return self.response(422, message="The definition is invalid.", errors=exc.errors)
        if isinstance(exc, ApprovalError):
            return answer(self, exc)  # 403/404/409, and 422 at /comment
        assert isinstance(exc, DefinitionStoreError)
        return self.response(exc.status, message=str(exc))

    @expose("/", methods=["GET"])
    @protect()
    @answers_errors
    @kinds_listed
    def list_(self) -> Any:
        """Latest version of every definition.
        ---
        get:
          summary: Latest version of every definition, optionally of one kind
          parameters:
          - in: query
            name: kind
            allowEmptyValue: true
            description: "One of $kinds; empty for every kind"
            schema: {type: string, enum: $kinds}
          responses:
            200:
              description: The latest version of each definition
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/DefinitionSummary'}}
            400: {description: Unknown kind}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin"}
        """
        kind = request.args.get("kind") or None  # an empty kind is no kind
        if kind is not None and kind not in KINDS:
            raise ApiError(400, f"kind must be one of {', '.join(KINDS)}.")
        return self.response(200, result=[summary(row) for row in store.latest(kind)])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @answers_errors
    def get_(self, pk: int) -> Any:
        """One version with its body.
        ---
        get:
          summary: One definition version with body and pinned field versions
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The version
              content:
                application/json:
                  schema:
                    type: object
                    required: [result]
                    properties: {result: {$ref: '#/components/schemas/Definition'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin"}
            404: {description: No such version}
        """
        return self.response(200, result=detail(store.get(pk)))

    @expose("/", methods=["POST"])
    @protect()
    @answers_errors
    @kinds_listed
    def post(self) -> Any:
        """Create a draft (v1, or the next version of a key).
        ---
        post:
          summary: Save a draft; the body is checked first and nothing is saved if it is bad
          description: >-
            Creates v1, the next version after a published one, or updates the open draft.
            The body must pass the checks of its kind (422 naming each problem by pointer).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [kind, key, body]
                  properties:
                    kind: {type: string, enum: $kinds}
                    key: {type: string, minLength: 1, description: "The key inside the body"}
                    body: {type: object, description: "The definition document"}
          responses:
            201:
              description: "The draft (status: draft)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            409: {description: The change is not allowed in the definition's status}
            413: {description: Body larger than 2 MB}
            415: {description: The body is not application/json}
            422: {description: "The document fails its checks: errors by JSON pointer"}
        """
        payload = read_body(DOCUMENT_MAX_BYTES)
        kind, key, body = payload.get("kind"), payload.get("key"), payload.get("body")
        if not isinstance(key, str) or not key:
            raise DefinitionInvalid({"/key": ["A key is required."]})
        if not isinstance(kind, str):
            raise DefinitionInvalid({"/kind": [f"kind must be one of {', '.join(KINDS)}."]})
        row = store.save_draft(kind, key, body, g.user.id)
        return self.response(201, **summary(row))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @answers_errors
    def put(self, pk: int) -> Any:
        """Replace the body of a draft.
        ---
        put:
          summary: Replace a draft's body (published versions answer 409)
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [body]
                  properties: {body: {type: object, description: "The definition document"}}
          responses:
            200:
              description: The updated draft
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            404: {description: No such version}
            409: {description: Not a draft}
            413: {description: Body larger than 2 MB}
            415: {description: The body is not application/json}
            422: {description: "The document fails its checks: errors by JSON pointer"}
        """
        row = store.update_draft(pk, read_body(DOCUMENT_MAX_BYTES).get("body"), g.user.id)
        return self.response(200, **summary(row))

    @expose("/<int:pk>/publish", methods=["POST"])
    @protect()
    @answers_errors
    def publish(self, pk: int) -> Any:
        """Publish a draft.
        ---
        post:
          summary: Publish a draft (pins field versions; the previous published retires)
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The published version
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            404: {description: No such version}
            409: {description: "Not a draft, or a workflow (submit it for approval instead)"}
            422: {description: "Fails the (publish) checks: errors by JSON pointer"}
        """
        return self.response(200, **summary(store.publish(pk, g.user.id)))

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @answers_errors
    def submit(self, pk: int) -> Any:
        """Submit a workflow draft for approval.
        ---
        post:
          summary: Submit a workflow draft to the department heads (status pending)
          description: >-
            The heads of every department the published or the submitted version routes to,
            and of the default departments of the templates following the workflow, may decide
            (every department's heads when there are none). The draft must pass the publish
            checks already; a pending version cannot be edited until it is withdrawn.
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: "The version (status: pending)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            404: {description: No such version}
            409: {description: "Not a workflow draft"}
            422: {description: "Fails the publish checks: errors by JSON pointer"}
        """
        found = approvals.submit(pk, g.user.id)
        return self.response(200, **summary(store.get(found.definition_id or pk)))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @answers_errors
    def withdraw(self, pk: int) -> Any:
        """Withdraw a submitted workflow version.
        ---
        post:
          summary: Take a pending workflow version back (a draft again); only its submitter
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: "The version (status: draft)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or not the one who submitted it"}
            404: {description: No such version}
            409: {description: Not pending}
        """
        return self.response(200, **summary(approvals.withdraw(pk, g.user.id)))

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @answers_errors
    def approve(self, pk: int) -> Any:
        """Approve a pending workflow version.
        ---
        post:
          summary: Approve a pending workflow version (it is published; the previous retires)
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
              description: "The version (status: published)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a head of the request's departments, or you submitted or
              edited the version"}
            404: {description: No such version}
            409: {description: "Not pending"}
            413: {description: Body larger than 1 MB}
            415: {description: The body is not application/json}
            422: {description: "A bad comment, or the version fails the publish checks now
              (nothing changed): errors by JSON pointer"}
        """
        comment = read_comment()
        found = approvals.pending_request(pk)
        return self.response(200, **summary(approvals.approve(found.id, g.user.id, comment)))

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @answers_errors
    def reject(self, pk: int) -> Any:
        """Reject a pending workflow version.
        ---
        post:
          summary: Reject a pending workflow version, saying why (status rejected)
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
              description: "The version (status: rejected)"
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not a head of the request's departments, or you submitted or
              edited the version"}
            404: {description: No such version}
            409: {description: "Not pending"}
            413: {description: Body larger than 1 MB}
            415: {description: The body is not application/json}
            422: {description: "No comment, or a bad one: errors at /comment"}
        """
        comment = read_comment()
        found = approvals.pending_request(pk)
        return self.response(200, **summary(approvals.reject(found.id, g.user.id, comment)))

    @expose("/<int:pk>/retire", methods=["POST"])
    @protect()
    @answers_errors
    def retire(self, pk: int) -> Any:
        """Retire a published version.
        ---
        post:
          summary: Retire a published version
          parameters:
          - {in: path, name: pk, required: true,
             schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: The retired version
              content:
                application/json: {schema: {$ref: '#/components/schemas/DefinitionSummary'}}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            404: {description: No such version}
            409: {description: Not published}
        """
        return self.response(200, **summary(store.retire(pk, g.user.id)))

    @expose("/import", methods=["POST"])
    @protect()
    @answers_errors
    def import_(self) -> Any:
        """Import definition files, all or nothing.
        ---
        post:
          summary: 'Import files: {"files": {"field/x.json": {...}}, "publish": true}'
          description: >-
            Each file is a definition document (as JSON, or as its text) named
            `<kind>/<key>.json`. All are checked before any is stored; nothing is written when
            one fails.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [files]
                  properties:
                    files: {type: object, minProperties: 1, additionalProperties: true}
                    publish: {type: boolean, default: false}
          responses:
            200:
              description: What was created and what was already there
              content:
                application/json:
                  schema:
                    type: object
                    required: [created, unchanged]
                    properties:
                      created: {type: array, items: {type: string}}
                      unchanged: {type: array, items: {type: string}}
                      warnings:
                        type: object
                        description: "file → pointer → messages: imported, but an example
                          (formData) does not fit its form"
                        additionalProperties:
                          type: object
                          additionalProperties: {type: array, items: {type: string}}
            400: {description: Not a JSON object}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin, or a session write without its CSRF token"}
            409: {description: "A change is not allowed in a definition's status, or a workflow
              would be published (submit it for approval instead)"}
            413: {description: Body larger than 16 MB}
            415: {description: The body is not application/json}
            422: {description: "errors by file#pointer; nothing was written"}
        """
        payload = read_body(IMPORT_MAX_BYTES)
        files = payload.get("files")
        if not isinstance(files, dict) or not files:
            raise DefinitionInvalid({"/files": ["Give a non-empty object of files."]})
        texts = {
            str(name): body if isinstance(body, str) else store.document_json(body)
            for name, body in files.items()
        }
        report = io.import_texts(
            texts, bool(payload.get("publish")), g.user.id, approved_by_import=False
        )
        return self.response(
            200, created=report.created, unchanged=report.unchanged, warnings=report.warnings
        )

    @expose("/export", methods=["GET"])
    @protect()
    @answers_errors
    def export(self) -> Any:
        """Export every published definition (and drafts with ?drafts=true).
        ---
        get:
          summary: 'Export definitions as {"files": {"<kind>/<key>.json": body}}'
          parameters:
          - {in: query, name: drafts, allowEmptyValue: true, description: "true to include drafts",
             schema: {type: boolean, default: false}}
          responses:
            200:
              description: The files
              content:
                application/json:
                  schema:
                    type: object
                    required: [files]
                    properties: {files: {type: object, additionalProperties: {type: object}}}
            400: {description: "drafts is neither true nor false"}
            401: {description: "Not signed in, or a bad or expired token"}
            403: {description: "Not an Admin"}
        """
        files = {
            name: io.parse_json(text) for name, text in io.export_files(_flag("drafts")).items()
        }
        return self.response(200, files=files)
