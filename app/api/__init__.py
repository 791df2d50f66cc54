"""REST API under /api/v1/ (FAB BaseApi; JWT from /api/v1/security/login)."""

from __future__ import annotations

from flask_appbuilder import AppBuilder


def register_api(appbuilder: AppBuilder) -> None:
    """Add every REST API of Tessera (the console and pages are `app.views.register_views`)."""
    from app.api.definitions import DefinitionsApi
    from app.api.tickets import TicketsApi

    appbuilder.add_api(DefinitionsApi)
    appbuilder.add_api(TicketsApi)
