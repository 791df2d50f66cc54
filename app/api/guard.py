"""Who may call the API how: cookie-signed writes need the CSRF token; bad tokens answer 401.

The console's session cookie authenticates API calls too (`allow_browser_login`), and a browser
sends it with any request, including a form that a page on another origin submits. A write
authenticated by that cookie therefore needs the session's CSRF token in the `X-CSRFToken`
header, which a cross-origin form cannot set (the console's own scripts send it). A request
with an `Authorization: Bearer` token needs none: no browser adds that header by itself. The
token is verified before anything else, so a bad one is refused even beside a valid cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_jwt_extended import JWTManager, verify_jwt_in_request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")  # Flask-WTF's WTF_CSRF_HEADERS default


def bearer_given() -> bool:
    """Whether the request carries a bearer token (a JWT from /api/v1/security/login)."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def forged_write() -> str | None:
    """Why this request may be forged (answer 403), or None when it may go on."""
    if bearer_given():
        verify_jwt_in_request()  # a bad, expired or revoked token raises: 401 below
        return None
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return None  # reads change nothing; anonymous calls are refused by FAB (401)
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    names = current_app.config.get("WTF_CSRF_HEADERS") or CSRF_HEADERS
    token = next((request.headers[name] for name in names if request.headers.get(name)), None)
    try:
        validate_csrf(token)
    except ValidationError as exc:
        return _(
            "A change signed by the session cookie needs the page's CSRF token in the "
            "X-CSRFToken header (%(reason)s)",
            reason=exc.args[0] if exc.args else "",
        )
    return None


def _unauthorized(message: str) -> Response:
    response = jsonify(message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def answer_token_errors(jwt: JWTManager) -> None:
    """Every refused bearer token answers 401 with an `Error` body (422 for some by default)."""

    def invalid(reason: str) -> Response:
        return _unauthorized(_("The bearer token is not valid: %(reason)s", reason=reason))

    def missing(reason: str) -> Response:
        return _unauthorized(_("A bearer token is required: %(reason)s", reason=reason))

    def expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized(_("The bearer token has expired; sign in again."))

    def revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized(_("The bearer token has been revoked; sign in again."))

    def unknown_user(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized(_("The bearer token's user does not exist or is inactive."))

    def stale(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized(_("A fresh bearer token is required; sign in again."))

    jwt.invalid_token_loader(invalid)
    jwt.unauthorized_loader(missing)
    jwt.expired_token_loader(expired)
    jwt.revoked_token_loader(revoked)
    jwt.user_lookup_error_loader(unknown_user)
    jwt.needs_fresh_token_loader(stale)
