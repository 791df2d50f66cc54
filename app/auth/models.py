"""The per-user token version that revokes sessions and JWTs.

A session stamps the version it was signed in with, and every JWT carries it as a claim;
raising the version (at logout, or when the password changes) makes all of them stale at
once. A user without a row is at version 0.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, text
from sqlalchemy.orm import Mapped, mapped_column


class UserTokenVersion(Model):
    """How many times the sessions and tokens of one user have been revoked."""

    __tablename__ = "user_token_version"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
