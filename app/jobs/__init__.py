"""RQ job functions and the worker's app context.

Jobs are module-level verbs that take ids and primitives, build (once per process) the app
they need, and let exceptions propagate so RQ records failures and retries.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context

F = TypeVar("F", bound=Callable[..., Any])

_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The app of this worker process, created lazily without touching permissions."""
    global _worker_app
    if _worker_app is None:
        from app import create_app
        from config import config_from_env

        config = config_from_env()
        config.FAB_UPDATE_PERMS = False
        _worker_app = create_app(config)
    return _worker_app


def with_app_context(func: F) -> F:
    """Run `func` inside an app context; after a fork, never reuse the parent's connections."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return func(*args, **kwargs)
        app = worker_app()
        with app.app_context():
            from app.extensions import db

            pid = os.getpid()
            if app.extensions.get("tessera_engine_pid") != pid:
                db.engine.dispose(close=False)  # forked work horse: fresh pool
                app.extensions["tessera_engine_pid"] = pid
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@with_app_context
def selfcheck() -> dict[str, Any]:
    """Prove a worker reaches the database with the app's config (used by /ops and tests)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Department

    departments = db.session.scalar(select(func.count()).select_from(Department))
    return {
        "pid": os.getpid(),
        "departments": int(departments or 0),
        "database": db.engine.url.get_backend_name(),
        "app": current_app.name,
    }
