"""Security manager: roles come from migrations-created tables, never from `create_all`.

It also wires `app.auth` into Flask-AppBuilder: login throttling (a before-request check on
the two login endpoints, failures counted in `auth_user_db`), the password policy (FAB's
`FAB_PASSWORD_COMPLEXITY_VALIDATOR`), and revocation by token version (the session user
loader and the JWT blocklist loader compare versions; logout and password changes raise it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask import session as web_session
from flask.wrappers import Response
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_jwt_extended import JWTManager
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, user_logged_in
from sqlalchemy import inspect

from app.auth.passwords import fab_password_validator
from app.auth.revocation import (
    CLAIM,
    SESSION_KEY,
    bump_version,
    current_version,
    is_current,
    user_with_version,
)
from app.auth.throttle import (
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_USERNAME,
    LoginThrottle,
    normalise_username,
)
from app.auth.views import AuthDBView, throttled_json

log = logging.getLogger(__name__)

ROLE_ADMIN = "Admin"
ROLE_AGENT = "Agent"
ROLE_HEAD = "DepartmentHead"

T = TypeVar("T")


def security_manager() -> Any:
    """The current app's FAB security manager."""
    return current_app.extensions["appbuilder"].sm


def schema_ready(engine: object) -> bool:
    """True once migrations have created FAB's security tables."""
    tables = set(inspect(engine).get_table_names())
    return {"ab_user", "ab_role", "ab_permission_view"} <= tables


def _typed_username() -> str:
    """The username of the login attempt in this request (form or JSON body)."""
    payload = request.get_json(silent=True) if request.is_json else request.form
    return normalise_username(payload.get("username") if isinstance(payload, Mapping) else None)


class TesseraSecurityManager(SecurityManager):
    """FAB's manager minus table creation: Alembic owns the schema.

    When the tables exist, the builtin roles (Admin, Agent, DepartmentHead, Public) are made
    sure of; before the first migration, nothing is touched so `flask db upgrade` can run.
    """

    # FAB's login-count chart answers 500 to a non-numeric /chart/<group_by>; Tessera's reports
    # replace it, so it is not registered at all.
    userstatschartview = None
    authdbview = AuthDBView

    def __init__(self, appbuilder: Any) -> None:
        super().__init__(appbuilder)
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_validator)
        self.login_throttle: LoginThrottle | None = None
        if self.limiter.enabled:
            self.login_throttle = LoginThrottle.from_strings(
                self.limiter.limiter,
                app.config.get("TESSERA_LOGIN_LIMIT_PER_ADDRESS", DEFAULT_PER_ADDRESS),
                app.config.get("TESSERA_LOGIN_LIMIT_PER_USERNAME", DEFAULT_PER_USERNAME),
            )
        self._login_endpoints: dict[str, Callable[[int], Response]] = {}
        user_logged_in.connect(self._stamp_session, app)

    def _create_db(self) -> None:
        engine = self.session.get_bind(mapper=None, clause=None)
        if not schema_ready(engine):
            log.warning("Security tables missing: run `flask --app run db upgrade` first.")
            return
        BaseSecurityManager.create_db(self)

    def role_names(self, user: object) -> set[str]:
        """Names of the roles of `user` (empty for anonymous users)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return set()
        return {role.name for role in getattr(user, "roles", [])}

    # --- login throttling -------------------------------------------------------------

    def register_views(self) -> None:
        """FAB's views, then the throttle in front of the form and API login endpoints."""
        super().register_views()
        if self.login_throttle is None or self.auth_view is None:
            return
        self._login_endpoints = {
            f"{self.auth_view.endpoint}.login": self.auth_view.throttled_page,
            f"{self.security_api.__name__}.login": throttled_json,
        }
        current_app.before_request(self._throttle_login)

    def _throttle_login(self) -> Response | None:
        answer = self._login_endpoints.get(request.endpoint or "")
        if answer is None or request.method != "POST" or self.login_throttle is None:
            return None
        seconds = self._guarded(
            self.login_throttle.retry_after, get_remote_address(), _typed_username()
        )
        return None if seconds is None else answer(seconds)

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check; a failure counts against the address and the username."""
        user = super().auth_user_db(username, password)
        if user is None and self.login_throttle is not None and has_request_context():
            self._guarded(
                self.login_throttle.record_failure,
                get_remote_address(),
                normalise_username(username),
            )
        return user

    @staticmethod
    def _guarded(action: Callable[..., T], *args: str) -> T | None:
        # A storage outage (Redis down) must not lock everybody out: let the attempt through.
        try:
            return action(*args)
        except Exception:
            log.exception("Login throttle storage failed; the attempt is not throttled.")
            return None

    # --- revocation by token version --------------------------------------------------

    def create_login_manager(self, app: Flask) -> LoginManager:
        """FAB's login manager, loading session users through the version check."""
        lm = super().create_login_manager(app)
        lm.user_loader(self.load_session_user)
        return lm

    def load_session_user(self, pk: str) -> Any:
        """The session's user if active and the session carries the current version."""
        user, version = user_with_version(self.session, self.user_model, int(pk))
        if user is None or not user.is_active:
            return None
        return user if is_current(web_session.get(SESSION_KEY), version) else None

    def _stamp_session(self, _app: Flask, user: Any, **_extra: Any) -> None:
        web_session[SESSION_KEY] = current_version(self.session, user.id)

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """FAB's JWT manager; tokens carry the version and stale ones are refused (401)."""
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(self._token_claims)
        jwt_manager.token_in_blocklist_loader(self._token_revoked)
        return jwt_manager

    def _token_claims(self, identity: str) -> dict[str, int]:
        return {CLAIM: current_version(self.session, int(identity))}

    def _token_revoked(self, _header: dict[str, Any], payload: dict[str, Any]) -> bool:
        user, version = user_with_version(self.session, self.user_model, int(payload["sub"]))
        # Held for the request: the session's identity map keeps objects only weakly, and
        # FAB's user lookup right after this check should find the row there, not query it.
        g.tessera_token_user = user
        return user is None or not is_current(payload.get(CLAIM), version)

    def revoke_sessions(self, user_id: int) -> None:
        """End every session and JWT of `user_id`, on every device."""
        bump_version(self.session, user_id)
        self.session.commit()

    def reset_password(self, userid: Any, password: str) -> None:
        """FAB's reset, which also ends the user's other sessions and tokens.

        The session making the change (the user's own, or an admin resetting their own
        password) is stamped with the new version and stays signed in.
        """
        user = self.get_user_by_id(int(userid))
        version = None if user is None else bump_version(self.session, user.id)
        super().reset_password(userid, password)  # commits the new version with the hash
        if version is not None and has_request_context():
            if current_user.is_authenticated and current_user.id == user.id:
                web_session[SESSION_KEY] = version
