"""REST API under /api/v1/ (FAB BaseApi; JWT from /api/v1/security/login).

Tessera's APIs derive from `app.api.base.TesseraApi` (the forgery guard, the `Error` schema);
FAB's own endpoints are documented as they answer (`app.api.fab`), and every refused bearer
token answers 401 (`app.api.guard.answer_token_errors`).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_appbuilder import AppBuilder


def _challenge(response: Response) -> Response:
    """A 401 of the API names the scheme it wants (RFC 9110 requires WWW-Authenticate)."""
    if response.status_code == 401 and request.path.startswith("/api/"):
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def register_api(appbuilder: AppBuilder) -> None:
    """Add every REST API of Tessera (the console and pages are `app.views.register_views`)."""
    from app.api.approvals import ApprovalsApi
    from app.api.definitions import DefinitionsApi
    from app.api.fab import amend_fab_specs, require_login_provider, reshape_error
    from app.api.guard import answer_token_errors
    from app.api.notifications import NotificationsApi
    from app.api.ticket_workflow import TicketWorkflowApi
    from app.api.tickets import TicketsApi

    appbuilder.add_api(DefinitionsApi)
    appbuilder.add_api(TicketsApi)
    appbuilder.add_api(ApprovalsApi)
    appbuilder.add_api(TicketWorkflowApi)
    appbuilder.add_api(NotificationsApi)
    amend_fab_specs(appbuilder)
    answer_token_errors(appbuilder.sm.jwt_manager)
    current_app.before_request(require_login_provider)
    current_app.after_request(reshape_error)
    current_app.after_request(_challenge)
