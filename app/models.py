"""SQLAlchemy models of Tessera's own tables.

They derive from `flask_appbuilder.Model` so that they share one metadata with FAB's `ab_*`
tables: Alembic sees the whole schema and never proposes to drop FAB's tables.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class MemberRole(enum.StrEnum):
    """What a user is in a department."""

    AGENT = "agent"
    HEAD = "head"


class Availability(enum.StrEnum):
    """Whether assignment strategies may give the member new tickets."""

    AVAILABLE = "available"
    AWAY = "away"


class Department(Model):
    """A team that owns a queue of tickets (Billing, Technical Support, ...)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.name


class Membership(Model):
    """A user's place in one department: role, skills, capacity and availability."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "department_id", name="uq_membership_user_department"),
        CheckConstraint("capacity >= 0", name="ck_membership_capacity_nonnegative"),
        CheckConstraint("role IN ('agent', 'head')", name="ck_membership_role"),
        CheckConstraint(
            "availability IN ('available', 'away')", name="ck_membership_availability"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=MemberRole.AGENT.value, nullable=False)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    # Maximum number of open tickets assignment may give this member (0 = none).
    capacity: Mapped[int] = mapped_column(Integer, default=10, nullable=False)
    availability: Mapped[str] = mapped_column(
        String(16), default=Availability.AVAILABLE.value, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )

    department: Mapped[Department] = relationship(back_populates="memberships")
    user = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"{self.user} @ {self.department}"
