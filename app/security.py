"""Security manager: roles come from migrations-created tables, never from `create_all`."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.manager import SecurityManager
from sqlalchemy import inspect

log = logging.getLogger(__name__)

ROLE_ADMIN = "Admin"
ROLE_AGENT = "Agent"
ROLE_HEAD = "DepartmentHead"


def security_manager() -> Any:
    """The current app's FAB security manager."""
    return current_app.extensions["appbuilder"].sm


def schema_ready(engine: object) -> bool:
    """True once migrations have created FAB's security tables."""
    tables = set(inspect(engine).get_table_names())
    return {"ab_user", "ab_role", "ab_permission_view"} <= tables


class TesseraSecurityManager(SecurityManager):
    """FAB's manager minus table creation: Alembic owns the schema.

    When the tables exist, the builtin roles (Admin, Agent, DepartmentHead, Public) are made
    sure of; before the first migration, nothing is touched so `flask db upgrade` can run.
    """

    # FAB's login-count chart answers 500 to a non-numeric /chart/<group_by>; Tessera's reports
    # replace it, so it is not registered at all.
    userstatschartview = None

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
