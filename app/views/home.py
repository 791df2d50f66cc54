"""The landing page every signed-in user sees first."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder import IndexView, expose

from app.views.team import visible_memberships


class HomeView(IndexView):
    """Greets the user and lists their departments; anonymous users see the sign-in link."""

    @expose("/")
    def index(self) -> Any:
        """The user's greeting and departments (the sign-in link when anonymous)."""
        user = g.user
        memberships: list[Any] = []
        if user is not None and user.is_authenticated:
            memberships = [m for m in visible_memberships(user) if m.user_id == user.id]
        return self.render_template("tessera/index.html", memberships=memberships)
