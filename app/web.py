"""Request-level glue: template globals, security headers and error pages shared by every view."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.headers import init_headers
from app.queue import queue_online
from app.security import ROLE_ADMIN


def _queue_banner() -> dict[str, Any]:
    user = g.get("user")
    if user is None or not user.is_authenticated:
        return {}
    if ROLE_ADMIN not in {role.name for role in user.roles}:
        return {}
    online, error = queue_online()
    found: dict[str, Any] = {}
    if not online:
        url = current_app.config["REDIS_URL"].rsplit("@", 1)[-1]  # never show a password
        found["tessera_queue_offline"] = {"url": url, "error": error}
    from app.extensions import db
    from app.outbox import oldest_unsent_age

    age = oldest_unsent_age(db.session)
    if age is not None and age > current_app.config["TESSERA_OUTBOX_BANNER_SECONDS"]:
        found["tessera_outbox_late"] = {"minutes": int(age // 60)}
    return found


def _api_errors_as_json(exc: HTTPException) -> Any:
    """Errors under /api/ answer JSON; elsewhere Flask's HTML page is kept.

    The JSON keeps the headers of the error's own answer (`Allow` of a 405, `Retry-After`...).
    """
    if request.path.startswith("/api/"):
        response = jsonify({"message": exc.description, "status": exc.code})
        for name, value in exc.get_response().headers.items():
            if name.lower() not in ("content-type", "content-length"):
                response.headers.add(name, value)
        return response, exc.code
    return exc


def register_web(app: Flask) -> None:
    """Attach the context processor, the security headers and the error handlers."""
    app.context_processor(_queue_banner)
    init_headers(app)
    app.register_error_handler(HTTPException, _api_errors_as_json)
