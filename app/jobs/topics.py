"""Every module that registers outbox topics, imported once per process (web and worker)."""

from __future__ import annotations

import importlib

MODULES = (
    "app.jobs.handlers",
    "app.notifications.mail",
    "app.webhooks.deliver",
)

_loaded = False


def load() -> None:
    """Import the topic modules (their `@handles` decorators fill `app.outbox.HANDLERS`)."""
    global _loaded
    if _loaded:
        return
    for name in MODULES:
        importlib.import_module(name)
    _loaded = True
