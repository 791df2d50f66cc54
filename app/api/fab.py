"""FAB's own API endpoints (login, refresh, menu, spec) held to the same contract as Tessera's.

Flask-AppBuilder 5.3 documents them loosely: the login body has no required members although
username, password and provider are (without a provider the login fails with a 500), its 400
answer is `{message: {field: [messages]}}` against its own `{message: string}`, a menu
separator is the text "-" where an object is documented, and none documents 403.
`amend_fab_specs` replaces those operations' documentation with what they answer,
`require_login_provider` answers 400 where FAB would fail, and `reshape_error` turns an error
whose message is not text into the `Error` shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi
from flask_appbuilder.security.schemas import login_post
from flask_babel import gettext as _

from app.api.spec import ERROR_CONTENT
from app.pointers import pointer


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": ERROR_CONTENT}


_NOT_SIGNED_IN = _error("Not signed in, or a bad or expired token")
_FORBIDDEN = _error("Your role may not use this endpoint")
_MENU_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "icon": {"type": "string", "nullable": True},
        "url": {"type": "string"},
        "childs": {
            "type": "array",
            "description": 'Menu items, or "-" for a separator',
            "items": {"oneOf": [{"type": "object"}, {"type": "string", "enum": ["-"]}]},
        },
    },
}


def _login(provider: str) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    return {
        "post": {
            "summary": "Sign in; the access token goes in `Authorization: Bearer <token>`",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["username", "password", "provider"],
                            "properties": {
                                "username": text,
                                "password": {**text, "pattern": "[^\\x00]"},
                                "provider": {"type": "string", "enum": [provider]},
                                "refresh": {
                                    "type": "boolean",
                                    "description": "true for a refresh token too",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Signed in",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["access_token"],
                                "properties": {
                                    "access_token": {"type": "string"},
                                    "refresh_token": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "400": _error("Not JSON, or a member missing or wrong: errors by JSON pointer"),
                "401": _error("Wrong username or password, or the user is inactive"),
                "429": _error("Too many failed sign-ins; try again after Retry-After seconds"),
            },
        }
    }


_REFRESH = {
    "post": {
        "summary": "A new access token for the refresh token in `Authorization: Bearer`",
        "responses": {
            "200": {
                "description": "A new access token",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["access_token"],
                            "properties": {"access_token": {"type": "string"}},
                        }
                    }
                },
            },
            "401": _error("No refresh token, or a bad, expired or access token"),
        },
    }
}
_MENU = {
    "get": {
        "summary": "The menu the user may see, as a forest",
        "responses": {
            "200": {
                "description": "The menu",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"result": {"type": "array", "items": _MENU_ITEM}},
                        }
                    }
                },
            },
            "401": _NOT_SIGNED_IN,
            "403": _FORBIDDEN,
        },
    }
}
_OPENAPI = {
    "get": {
        "summary": "This OpenAPI document",
        "parameters": [
            {"in": "path", "name": "version", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "The OpenAPI document of that API version",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "401": _NOT_SIGNED_IN,
            "403": _FORBIDDEN,
            "404": _error("No API of that version"),
        },
    }
}


def _amendments(appbuilder: AppBuilder) -> dict[tuple[str, str], dict[str, Any]]:
    provider = appbuilder.sm.auth_type_provider_name or "db"
    return {
        ("SecurityApi", "login"): _login(provider),
        ("SecurityApi", "refresh"): _REFRESH,
        ("MenuApi", "get_menu_data"): _MENU,
        ("OpenApi", "get"): _OPENAPI,
    }


def amend_fab_specs(appbuilder: AppBuilder) -> None:
    """Document FAB's own API endpoints as they answer (their `openapi_spec_methods`)."""
    amendments = _amendments(appbuilder)
    for view in appbuilder.baseviews:
        if not isinstance(view, BaseApi):
            continue
        name = type(view).__name__
        mine = {method: spec for (api, method), spec in amendments.items() if api == name}
        if mine:
            # A new dict per instance: BaseApi's class-level default is shared by every API.
            view.openapi_spec_methods = {**view.openapi_spec_methods, **mine}


def _flatten(messages: Any, parts: tuple[str, ...] = ()) -> Iterator[tuple[str, list[str]]]:
    """(JSON pointer, messages) of marshmallow's nested {field: [message]} errors."""
    if isinstance(messages, dict):
        for name, inner in messages.items():
            # marshmallow puts errors of the whole document under "_schema".
            yield from _flatten(inner, parts if name == "_schema" else (*parts, str(name)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield pointer(list(parts)), list(messages)
    else:
        yield pointer(list(parts)), [str(messages)]


def require_login_provider() -> Response | None:
    """400 for a JSON login without `provider`, every problem of the body named by pointer."""
    if request.endpoint != "SecurityApi.login" or request.method != "POST":
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "provider" in body:
        return None  # FAB answers these itself
    problems = login_post.validate(body)
    problems["provider"] = [_("Missing data for required field.")]
    response = jsonify(message=_("The request is invalid."), errors=dict(_flatten(problems)))
    response.status_code = 400
    return response


def reshape_error(response: Response) -> Response:
    """An API error whose `message` is not text, as `{message, errors: {pointer: [..]}}`."""
    if response.status_code < 400 or not request.path.startswith("/api/"):
        return response
    if response.mimetype != "application/json" or response.direct_passthrough:
        return response
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(body, dict) or isinstance(body.get("message"), str | None):
        return response
    errors = dict(_flatten(body["message"]))
    response.set_data(
        json.dumps({"message": _("The request is invalid."), "errors": errors})
    )
    return response
