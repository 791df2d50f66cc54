"""The bell's pages: the signed-in user's notifications, and marking them read.

`/notifications/` lists the user's own notifications newest first (50 a page, `?before=<id>`
for the next, `?unread=1` for unread only). Marking read is a POST with the CSRF token, for
one row or for all; another user's row answers 404 like a missing one. `register` adds the
view and the navbar's `tessera_unread_count()` template global.
"""

from __future__ import annotations

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from app.notifications import bell
from app.security import security_manager

VIEW = "NotificationsView"
UNREAD_KEY = "tessera_unread_count"


class MarkReadForm(FlaskForm):
    """Mark one notification, or all of them, read: a POST carrying the CSRF token."""

    submit = SubmitField(_l("Mark as read"))


def _before() -> int | None:
    value = request.args.get("before", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 10:
        abort(400)
    return int(value)


class NotificationsView(BaseView):
    """The bell's page for agents, heads and admins: their own notifications only."""

    route_base = "/notifications"
    default_view = "list"
    class_permission_name = VIEW
    method_permission_name = {"list": "read", "read_one": "mark", "read_all": "mark"}

    @expose("/")
    @has_access
    def list(self) -> ResponseReturnValue:
        """The user's notifications, newest first, unread ones emphasised."""
        user_id = int(g.user.id)
        unread_only = request.args.get("unread") == "1"
        page = bell.page_for(user_id, unread=unread_only, before=_before())
        return self.render_template(
            "tessera/notifications/list.html",
            page=page,
            tickets=bell.tickets_of(page.rows),
            unread_only=unread_only,
            unread=bell.unread_count(user_id),
            form=MarkReadForm(),
            ep=self.endpoint,
            title=_("Notifications"),
        )

    @expose("/<int:pk>/read", methods=["POST"])
    @has_access
    def read_one(self, pk: int) -> ResponseReturnValue:
        """Mark one of the user's notifications read."""
        self._check_form()
        try:
            bell.mark_read(int(g.user.id), pk)
        except bell.NotificationNotFound:
            abort(404)
        return redirect(url_for(f"{self.endpoint}.list"))

    @expose("/read", methods=["POST"])
    @has_access
    def read_all(self) -> ResponseReturnValue:
        """Mark all of the user's notifications read."""
        self._check_form()
        count = bell.mark_all_read(int(g.user.id))
        flash(_("%(count)d notification(s) marked as read.", count=count), "success")
        return redirect(url_for(f"{self.endpoint}.list"))

    @staticmethod
    def _check_form() -> None:
        if not MarkReadForm().validate_on_submit():
            abort(400)  # no or a wrong CSRF token


def unread_badge() -> int | None:
    """The signed-in user's unread count for the navbar (one COUNT, at most once a request);
    None when nobody is signed in or the user may not open the bell."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    # Kept in the WSGI environ, not in `g`, which may outlive one request.
    if UNREAD_KEY in request.environ:
        cached: int | None = request.environ[UNREAD_KEY]
        return cached
    found = None
    if security_manager().has_access("can_read", VIEW):
        found = bell.unread_count(int(current_user.id), cap=bell.BADGE_CAP)
    request.environ[UNREAD_KEY] = found
    return found


def init_bell(app: Flask) -> None:
    """Offer `tessera_unread_count()` to templates (the navbar calls it)."""
    app.add_template_global(unread_badge, "tessera_unread_count")
    app.jinja_env.globals["tessera_badge_cap"] = bell.BADGE_CAP


def register(appbuilder: AppBuilder) -> None:
    """Add the bell's view (no menu entry: the navbar links it) and its template global.

    Called by `app.views.register_views`, inside the app context of `create_app`.
    """
    appbuilder.add_view_no_menu(NotificationsView)
    init_bell(current_app)
