"""Security manager: roles come from migrations-created tables, never from `create_all`.

It also wires `app.auth` into Flask-AppBuilder: login throttling (a before-request check on
the two login endpoints, failures counted in `auth_user_db`), the password policy (FAB's
`FAB_PASSWORD_COMPLEXITY_VALIDATOR`), and revocation by token version (the session user
loader and the JWT blocklist loader compare versions; logout and password changes raise it).

Permission checks are resolved once per request (`RequestScope`): the user comes with their
roles and groups in the one query that loads them, and the permissions of their database
roles (and of the public role) are read in one query the first time a check needs them. Every
later `has_access` of the request, the menu's included, is answered from memory. Nothing is
kept between requests, so a change of roles or of role permissions counts from the next
request on, in every process; within a request, a flush that writes a user, role, group,
permission, membership or department row (`SCOPE_MODELS`), or a rollback, forgets what was
read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, has_request_context, request
from flask import session as web_session
from flask.wrappers import Response
from flask_appbuilder.const import LOGMSG_WAR_SEC_NO_USER
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Group,
    Permission,
    PermissionView,
    Role,
    User,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_jwt_extended import JWTManager
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, user_logged_in
from sqlalchemy import ColumnElement, event, inspect, select
from sqlalchemy.orm import Session, joinedload

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
from app.models import Department, Membership

log = logging.getLogger(__name__)

ROLE_ADMIN = "Admin"
ROLE_AGENT = "Agent"
ROLE_HEAD = "DepartmentHead"

T = TypeVar("T")

# Writing one of these rows can change what a user may do or see, or who is called what.
SCOPE_MODELS = (User, Role, Group, PermissionView, Permission, ViewMenu, Membership, Department)
_SCOPE_KEY = "_tessera_request_scope"


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


Grant = tuple[str, str]  # (permission name, view or menu name)


@dataclass
class RequestScope:
    """What one request resolved about who may do what; dropped with the request.

    `answers` are `has_access` results by (roles, permission, view); `grants` the
    permissions of sets of database roles, `public` those of the public role; `memo` holds
    other lookups of rows of SCOPE_MODELS (`request_memo`: memberships, users' names,
    departments in `app.tickets.access`).
    """

    request: object  # the request these belong to (`g` can outlive one)
    answers: dict[tuple[frozenset[tuple[int, str]], str, str], bool] = field(default_factory=dict)
    grants: dict[tuple[int, ...], frozenset[Grant]] = field(default_factory=dict)
    public: frozenset[Grant] | None = None
    memo: dict[Hashable, Any] = field(default_factory=dict)


def request_scope() -> RequestScope | None:
    """The current request's scope (made on first use); None outside a request."""
    if not has_request_context():
        return None
    current = request._get_current_object()  # type: ignore[attr-defined]
    held = g.get(_SCOPE_KEY)
    if not isinstance(held, RequestScope) or held.request is not current:
        held = RequestScope(current)
        setattr(g, _SCOPE_KEY, held)
    return held


def request_memo(key: Hashable, read: Callable[[], T]) -> T:
    """`read()` once per request under `key` (every call outside a request)."""
    scope = request_scope()
    if scope is None:
        return read()
    if key not in scope.memo:
        scope.memo[key] = read()
    return cast(T, scope.memo[key])


def forget_request_scope(session: Session, _flush_context: object) -> None:
    """After a flush writing a row of SCOPE_MODELS, the request reads everything again."""
    if not has_request_context() or g.get(_SCOPE_KEY) is None:
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, SCOPE_MODELS) for row in touched):
        g.pop(_SCOPE_KEY, None)


def forget_request_scope_on_rollback(_session: Session, _transaction: object) -> None:
    """A rollback may undo what was read (and expires the rows held): read everything again."""
    if has_request_context():
        g.pop(_SCOPE_KEY, None)


def grants_query(role_condition: ColumnElement[bool]) -> Any:
    """(permission name, view name) of the roles matching `role_condition`, in one statement."""
    link = assoc_permissionview_role.c
    return (
        select(Permission.name, ViewMenu.name)
        .select_from(PermissionView)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .join(assoc_permissionview_role, link.permission_view_id == PermissionView.id)
        .join(Role, Role.id == link.role_id)
        .where(role_condition)
    )


class _Without(logging.Filter):
    """Drops one message (by its text before formatting) of the logger it is added to."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != self.message


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
        if not event.contains(Session, "after_flush", forget_request_scope):
            event.listen(Session, "after_flush", forget_request_scope)
            event.listen(Session, "after_soft_rollback", forget_request_scope_on_rollback)

    def _create_db(self) -> None:
        engine = self.session.get_bind(mapper=None, clause=None)
        if not schema_ready(engine):
            # `flask db upgrade` builds this app before it migrates: nothing to do yet (run.py
            # refuses to serve a database that is not migrated).
            log.debug("Security tables missing: the builtin roles wait for the migrations.")
            return
        # FAB warns "No user yet created, use flask fab command to do it." while the user table
        # is empty: on every release step before the first user (create-permissions, the demo
        # load that is about to create them), naming a command Tessera does not use.
        fab_log = logging.getLogger("flask_appbuilder.security.manager")
        quiet = _Without(LOGMSG_WAR_SEC_NO_USER)
        fab_log.addFilter(quiet)
        try:
            BaseSecurityManager.create_db(self)
        finally:
            fab_log.removeFilter(quiet)

    def role_names(self, user: object) -> set[str]:
        """Names of the roles of `user` (empty for anonymous users)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return set()
        return {role.name for role in getattr(user, "roles", [])}

    # --- permission checks, resolved once per request ------------------------------------

    def user_loader_options(self) -> tuple[Any, ...]:
        """Loader options bringing a user's roles and groups (with theirs) in the user's query."""
        user = self.user_model
        return (joinedload(user.roles), joinedload(user.groups).joinedload(Group.roles))

    def _has_view_access(self, user: object, permission_name: str, view_name: str) -> bool:
        """FAB's answer (builtin roles by pattern, then database roles), once per request."""
        scope = request_scope()
        if scope is None:
            return bool(super()._has_view_access(user, permission_name, view_name))
        roles = self.get_user_roles(user)
        key = (frozenset((role.id, role.name) for role in roles), permission_name, view_name)
        if key not in scope.answers:
            scope.answers[key] = self._roles_have(scope, roles, permission_name, view_name)
        return scope.answers[key]

    def _roles_have(
        self, scope: RequestScope, roles: Collection[Any], permission_name: str, view_name: str
    ) -> bool:
        if any(
            role.name in self.builtin_roles
            and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        ids = tuple(sorted(role.id for role in roles if role.name not in self.builtin_roles))
        if not ids:
            return False
        if ids not in scope.grants:
            scope.grants[ids] = self._read_grants(Role.id.in_(ids))
        return (permission_name, view_name) in scope.grants[ids]

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB's check of the public role's permissions, read once per request."""
        scope = request_scope()
        if scope is None:
            return bool(super().is_item_public(permission_name, view_name))
        if scope.public is None:
            scope.public = self._read_grants(Role.name == self.auth_role_public)
        return (permission_name, view_name) in scope.public

    def _read_grants(self, role_condition: ColumnElement[bool]) -> frozenset[Grant]:
        rows = self.session.execute(grants_query(role_condition)).all()
        return frozenset((str(permission), str(view)) for permission, view in rows)

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
        user, version = user_with_version(
            self.session, self.user_model, int(pk), self.user_loader_options()
        )
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
        user, version = user_with_version(
            self.session, self.user_model, int(payload["sub"]), self.user_loader_options()
        )
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
