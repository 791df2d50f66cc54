"""Sign-in views: FAB's database login with a POST-only logout, and the 429 answers.

Logout is a form POST carrying the CSRF token: a link, an image or another site's page can
no longer sign anyone out. A GET shows the confirmation form instead. Logging out raises the
user's token version, which ends that user's sessions and JWTs on every device.
"""

from __future__ import annotations

from flask import current_app, flash, jsonify, make_response, redirect, request, session
from flask.wrappers import Response
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_login import logout_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import ValidationError

from app.auth.revocation import SESSION_KEY


def throttled_message(seconds: int) -> str:
    """What a throttled sign-in is told."""
    return _(
        "Too many failed sign-in attempts. Wait %(seconds)d seconds, then try again.",
        seconds=seconds,
    )


def throttled_json(seconds: int) -> Response:
    """The API's 429: `{"message": ...}` with Retry-After."""
    response = jsonify(message=throttled_message(seconds))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _require_csrf_token() -> None:
    # Checked even where WTF_CSRF_ENABLED is off for forms: logout ends the user's sessions
    # on every device, so a forged cross-site POST must never be able to trigger it.
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from error


# Named like FAB's class on purpose: the blueprint, and so the endpoints `AuthDBView.login`
# and `AuthDBView.logout` that templates and redirects use, are named after the class.
class AuthDBView(FabAuthDBView):
    """FAB's database login; logout by POST with the CSRF token."""

    logout_template = "tessera/security/logout.html"

    @expose("/logout/", methods=["GET", "POST"])
    @no_cache
    def logout(self) -> WerkzeugResponse:
        """GET: the confirmation form; POST: sign out here and on every other device."""
        if request.method != "POST":
            return self._confirm_logout()
        _require_csrf_token()
        user = self._get_authenticated_user()
        if user is not None:
            self.appbuilder.sm.revoke_sessions(user.id)
        logout_user()
        session.pop(SESSION_KEY, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        target = current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_index)
        return redirect(target)

    def _confirm_logout(self) -> WerkzeugResponse:
        if self._get_authenticated_user() is None:
            return redirect(self.appbuilder.get_url_for_index)
        return make_response(
            self.render_template(self.logout_template, title=_("Sign out"))
        )

    def throttled_page(self, seconds: int) -> Response:
        """The login page with the throttle message flashed, answered with 429."""
        flash(throttled_message(seconds), "danger")
        page = self.render_template(
            self.login_template, title=self.title, form=LoginForm_db(), appbuilder=self.appbuilder
        )
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(seconds)
        return response
