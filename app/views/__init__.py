"""Every Flask-AppBuilder view and menu entry, registered in one place."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.notifications import views as notifications
from app.views.approvals import ApprovalsView
from app.views.builder import TemplateBuilderView
from app.views.definition_files import DefinitionFilesView
from app.views.definitions import (
    FieldDefinitionView,
    TemplateDefinitionView,
    WorkflowDefinitionView,
)
from app.views.departments import DepartmentView, MembershipView
from app.views.team import TeamView
from app.views.tickets import TicketView
from app.views.workflow_builder import WorkflowBuilderView
from app.views.workflow_tools import WorkflowToolsView

CONSOLE = "Console"


def register_views(appbuilder: AppBuilder) -> None:
    """Add the views in menu order: the agent's pages first, then the admin console."""
    # Not "Tickets": that is the API's permission name, whose sync would drop menu_access.
    appbuilder.add_view(TicketView, "Ticket desk", label="Tickets", icon="fa-ticket")
    appbuilder.add_view(TeamView, "Team", icon="fa-users")
    appbuilder.add_view(
        ApprovalsView, "Approvals", icon="fa-check-square-o", label=_l("Approvals")
    )
    appbuilder.add_view(
        DepartmentView, "Departments", icon="fa-sitemap", category=CONSOLE,
        category_icon="fa-cogs",
    )
    appbuilder.add_view(MembershipView, "Memberships", icon="fa-id-badge", category=CONSOLE)
    appbuilder.add_view(
        FieldDefinitionView, "Fields", icon="fa-puzzle-piece", category=CONSOLE
    )
    appbuilder.add_view(
        WorkflowDefinitionView, "Workflows", icon="fa-code-fork", category=CONSOLE
    )
    appbuilder.add_view(
        TemplateDefinitionView, "Templates", icon="fa-file-text-o", category=CONSOLE
    )
    appbuilder.add_view(
        DefinitionFilesView, "Definition files", icon="fa-file-archive-o", category=CONSOLE,
        label=_l("Import / export"),
    )
    appbuilder.add_view_no_menu(WorkflowToolsView)
    appbuilder.add_view_no_menu(TemplateBuilderView)  # the template editor's palette
    appbuilder.add_view_no_menu(WorkflowBuilderView)  # the workflow editor's custom fields
    notifications.register(appbuilder)  # the bell: its page, and the navbar's unread count
    appbuilder.add_link(
        "Operations", href="/ops/", icon="fa-tachometer", category=CONSOLE,
        label="Operations (/ops)",
    )
