"""SQLAlchemy models of Tessera's own tables.

They derive from `flask_appbuilder.Model` so that they share one metadata with FAB's `ab_*`
tables: Alembic sees the whole schema and never proposes to drop FAB's tables.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User  # noqa: F401  ("User" below)
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow


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


class DefinitionKind(enum.StrEnum):
    """The three kinds of definition documents."""

    FIELD = "field"
    TEMPLATE = "template"
    WORKFLOW = "workflow"


class DefinitionStatus(enum.StrEnum):
    """Life of one definition version; workflows add pending and rejected."""

    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    RETIRED = "retired"


class Definition(Model):
    """One version of a field, template or workflow definition (body = the JSON document)."""

    __tablename__ = "definition"
    __table_args__ = (
        UniqueConstraint("kind", "key", "version", name="uq_definition_kind_key_version"),
        CheckConstraint("kind IN ('field', 'template', 'workflow')", name="ck_definition_kind"),
        CheckConstraint(
            "status IN ('draft', 'pending', 'published', 'rejected', 'retired')",
            name="ck_definition_status",
        ),
        CheckConstraint("version >= 1", name="ck_definition_version_positive"),
        # At most one published version per key: a partial unique index on both backends.
        Index(
            "uq_definition_one_published",
            "kind",
            "key",
            unique=True,
            postgresql_where=text("status = 'published'"),
            sqlite_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), default=DefinitionStatus.DRAFT.value, nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # sha256 of the canonical JSON of `body`.
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    # Templates: {"<field key>": <field version>} resolved when the version was published.
    pins: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author = relationship("User", foreign_keys=[author_id])
    published_by = relationship("User", foreign_keys=[published_by_id])

    def __repr__(self) -> str:
        return f"{self.kind}:{self.key} v{self.version} ({self.status})"


class AuditLog(Model):
    """Who changed what, when: one row per create/edit/publish/retire/import."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    # A unified diff (text) of the pretty-printed JSON, or null.
    diff: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User", foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class ApprovalKind(enum.StrEnum):
    """What an approval request asks a department head to allow."""

    WORKFLOW = "workflow"
    TRANSITION = "transition"


class ApprovalStatus(enum.StrEnum):
    """Life of an approval request: pending until a head decides (or the author withdraws)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApprovalRequest(Model):
    """A change waiting for a department head: a workflow version, or a ticket's transition.

    A workflow request points at the pending definition version; a transition request at the
    ticket, naming the transition and the data it would write. The heads of the departments in
    `departments` decide; never the requester. Deciding applies the change in the same
    transaction (publishing the version, or completing the transition).
    """

    __tablename__ = "approval_request"
    __table_args__ = (
        CheckConstraint("kind IN ('workflow', 'transition')", name="ck_approval_kind"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')", name="ck_approval_status"
        ),
        CheckConstraint(
            "(kind = 'workflow' AND definition_id IS NOT NULL AND ticket_id IS NULL) OR "
            "(kind = 'transition' AND ticket_id IS NOT NULL AND transition IS NOT NULL)",
            name="ck_approval_subject",
        ),
        # At most one pending request per workflow version and per ticket.
        Index(
            "uq_approval_pending_definition",
            "definition_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "uq_approval_pending_ticket",
            "ticket_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_approval_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), default=ApprovalStatus.PENDING.value, nullable=False
    )
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("definition.id", ondelete="CASCADE")
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    transition: Mapped[str | None] = mapped_column(String(64))
    # The custom data the transition would write (its `set` and the fields given with it).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)

    departments: Mapped[list[ApprovalDepartment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    definition = relationship("Definition", foreign_keys=[definition_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"approval {self.id} {self.kind} ({self.status})"


class ApprovalDepartment(Model):
    """A department whose heads may decide an approval request."""

    __tablename__ = "approval_department"

    approval_id: Mapped[int] = mapped_column(
        ForeignKey("approval_request.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True
    )
