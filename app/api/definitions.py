"""Definitions API: create drafts, edit, publish, retire, import and export (Admin only)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect

from app.api.body import ApiError, answers_errors, read_body
from app.definitions import io, store
from app.definitions.checks import KINDS
from app.definitions.errors import DefinitionInvalid, DefinitionStoreError
from app.limits import MAX_BODY_BYTES
from app.models import Definition

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
        "updated_at": row.updated_at.isoformat(),
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


def detail(row: Definition) -> dict[str, Any]:
    """One version with its body and pins."""
    return {**summary(row), "body": row.body, "pins": row.pins}


class DefinitionsApi(BaseApi):
    """Versioned field and template definitions."""

    resource_name = "definitions"
    class_permission_name = "Definitions"
    allow_browser_login = True
    openapi_spec_tag = "Definitions"
    handled_errors = (ApiError, DefinitionStoreError)
    method_permission_name = {
        "list_": "get",
        "get_": "get",
        "export": "get",
        "post": "post",
        "import_": "post",
        "put": "put",
        "publish": "put",
        "retire": "put",
    }

    def answer_error(self, exc: Exception) -> Any:
        """Bad requests and store errors as their JSON status (400/404/409/413/422)."""
        if isinstance(exc, ApiError):
            body = {"errors": exc.errors} if exc.errors else {}
            return self.response(exc.status, message=exc.message, **body)
        if isinstance(exc, DefinitionInvalid):
            return self.response(422, message="The definition is invalid.", errors=exc.errors)
        assert isinstance(exc, DefinitionStoreError)
        return self.response(exc.status, message=str(exc))

    @expose("/", methods=["GET"])
    @protect()
    def list_(self) -> Any:
        """Latest version of every definition.
        ---
        get:
          summary: Latest version of every definition, optionally of one kind
          parameters:
          - in: query
            name: kind
            schema: {type: string, enum: [field, template]}
          responses:
            200: {description: "{\\"result\\": [{id, kind, key, version, status, ...}]}"}
            400: {description: Unknown kind}
        """
        kind = request.args.get("kind")
        if kind is not None and kind not in KINDS:
            return self.response(400, message=f"kind must be one of {', '.join(KINDS)}.")
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
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The version}
            404: {description: No such version}
        """
        return self.response(200, result=detail(store.get(pk)))

    @expose("/", methods=["POST"])
    @protect()
    @answers_errors
    def post(self) -> Any:
        """Create a draft (v1, or the next version of a key).
        ---
        post:
          summary: Save a draft; the body is checked first and nothing is saved if it is bad
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [kind, key, body]
                  properties:
                    kind: {type: string, enum: [field, template]}
                    key: {type: string}
                    body: {type: object}
          responses:
            201: {description: "{id, kind, key, version, status: draft}"}
            400: {description: Not a JSON object}
            422: {description: "{errors: {json-pointer: [message]}}"}
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
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [body], properties: {body: {type: object}}}
          responses:
            200: {description: The updated draft}
            404: {description: No such version}
            409: {description: Not a draft}
            422: {description: "{errors: {json-pointer: [message]}}"}
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
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The published version}
            404: {description: No such version}
            409: {description: Not a draft}
            422: {description: "Fails the (publish) checks: {errors: {json-pointer: [message]}}"}
        """
        return self.response(200, **summary(store.publish(pk, g.user.id)))

    @expose("/<int:pk>/retire", methods=["POST"])
    @protect()
    @answers_errors
    def retire(self, pk: int) -> Any:
        """Retire a published version.
        ---
        post:
          summary: Retire a published version
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The retired version}
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
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [files]
                  properties:
                    files: {type: object, additionalProperties: true}
                    publish: {type: boolean}
          responses:
            200: {description: "{created: [...], unchanged: [...]}"}
            400: {description: Not a JSON object}
            422: {description: "{errors: {file#pointer: [message]}}; nothing was written"}
        """
        payload = read_body(IMPORT_MAX_BYTES)
        files = payload.get("files")
        if not isinstance(files, dict) or not files:
            raise DefinitionInvalid({"/files": ["Give a non-empty object of files."]})
        texts = {
            str(name): body if isinstance(body, str) else store.canonical_json(body)
            for name, body in files.items()
        }
        report = io.import_texts(texts, bool(payload.get("publish")), g.user.id)
        return self.response(200, created=report.created, unchanged=report.unchanged)

    @expose("/export", methods=["GET"])
    @protect()
    def export(self) -> Any:
        """Export every published definition (and drafts with ?drafts=true).
        ---
        get:
          summary: 'Export definitions as {"files": {"<kind>/<key>.json": body}}'
          parameters:
          - {in: query, name: drafts, schema: {type: boolean}}
          responses:
            200: {description: The files}
        """
        drafts = request.args.get("drafts", "").lower() in {"1", "true", "yes"}
        files = {name: io.parse_json(text) for name, text in io.export_files(drafts).items()}
        return self.response(200, files=files)
