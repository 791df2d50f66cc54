"""Revocation by token version: sessions and JWTs carry the version they were issued at.

A session keeps it under `SESSION_KEY`, a JWT as the `CLAIM` claim. Raising a user's version
makes every session and token of that user stale at once, on every device: logout does it,
and so does a password change. Checking costs the one primary-key query a request already
makes to load its user: the version comes with it through a LEFT JOIN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from app.auth.models import UserTokenVersion

SESSION_KEY = "_user_version"
CLAIM = "token_version"

# INSERT ... ON CONFLICT DO UPDATE, spelled by each backend's dialect.
_INSERTS: dict[str, Callable[..., Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def current_version(session: Session, user_id: int) -> int:
    """The version sessions and tokens of `user_id` must carry now."""
    stored = session.scalar(
        select(UserTokenVersion.version).where(UserTokenVersion.user_id == user_id)
    )
    return int(stored or 0)


def user_with_version(
    session: Session, user_model: Any, user_id: int, options: Sequence[ExecutableOption] = ()
) -> tuple[Any, int]:
    """(user or None, current version) in one query: the user row LEFT JOIN its version.

    `options` are loader options for the user (joined eager loads keep it one query).
    """
    row = (
        session.execute(
            select(user_model, func.coalesce(UserTokenVersion.version, 0))
            .outerjoin(UserTokenVersion, UserTokenVersion.user_id == user_model.id)
            .where(user_model.id == user_id)
            .options(*options)
        )
        .unique()
        .one_or_none()
    )
    return (None, 0) if row is None else (row[0], int(row[1]))


def bump_version(session: Session, user_id: int) -> int:
    """Revoke every session and token of `user_id`; flushed, committed by the caller."""
    dialect = session.get_bind().dialect.name
    insert = _INSERTS[dialect](UserTokenVersion).values(user_id=user_id, version=1)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[UserTokenVersion.user_id],
            set_={"version": UserTokenVersion.version + 1},
        )
    )
    return current_version(session, user_id)


def is_current(carried: object, version: int) -> bool:
    """True when a session's or token's `carried` version is `version` (missing: stale)."""
    return isinstance(carried, int) and not isinstance(carried, bool) and carried == version
