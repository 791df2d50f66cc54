"""The landing page every signed-in user sees first."""

from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose

from app.views.team import visible_memberships


class HomeView(IndexView):
    """Greets the user and lists their departments; anonymous users see the sign-in link."""

    @expose("/")
    def index(self):  # type: ignore[no-untyped-def]
        user = g.user
        memberships = []
        if user is not None and user.is_authenticated:
            memberships = [m for m in visible_memberships(user) if m.user_id == user.id]
        return self.render_template("tessera/index.html", memberships=memberships)
