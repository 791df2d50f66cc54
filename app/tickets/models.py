"""Ticket tables: tickets, their history, comments, attachments and the number counter.

Like `app.models`, they derive from `flask_appbuilder.Model` so Alembic sees one metadata.
The static list indexes are declared here (so autogenerate stays clean on both backends); the
per-field expression indexes depend on which fields templates mark filterable and are built at
run time by `app.tickets.fields.ensure_field_index` (PostgreSQL only).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.models import Department  # noqa: F401  (tickets belong to a department)
from workflows import Category

# JSONB on PostgreSQL (indexable, `->>`), JSON1 text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Priority(enum.StrEnum):
    """How urgent a ticket is, lowest first."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(enum.StrEnum):
    """Where a ticket (or a change to it) came from."""

    AGENT = "agent"
    WEB = "web"
    EMAIL = "email"
    API = "api"
    IMPORT = "import"
    SYSTEM = "system"  # triggers, timers and automations: no person acted


PEOPLE_CHANNELS = tuple(c.value for c in Channel if c is not Channel.SYSTEM)
"""The channels a person or a client may name (`system` is the job runtime's own)."""


class EventKind(enum.StrEnum):
    """What one history row records."""

    CREATED = "created"
    FIELD_CHANGED = "field_changed"
    ASSIGNED = "assigned"
    STATE_CHANGED = "state_changed"
    COMMENTED = "commented"
    ROUTED = "routed"
    CLAIMED = "claimed"
    TRANSFERRED = "transferred"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    SLA_CHANGED = "sla_changed"
    CHASED = "chased"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    ESCALATED = "escalated"


VERSIONLESS = frozenset(
    {
        EventKind.COMMENTED.value,
        EventKind.CHASED.value,
        EventKind.SLA_WARNING.value,
        EventKind.SLA_BREACHED.value,
        EventKind.ESCALATED.value,
    }
)
"""Event kinds recorded without a new ticket version: they never make an edit stale."""

ACTIVE_CATEGORIES = (Category.NEW.value, Category.OPEN.value, Category.WAITING.value)
"""Categories of tickets still being worked: they count towards an agent's load."""


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class TicketCounter(Model):
    """One row per number series; `UPDATE ... RETURNING` on it hands out ticket numbers.

    The row lock makes concurrent creates wait for each other's commit, so numbers are unique
    and gapless on PostgreSQL and SQLite alike (a sequence would leave gaps on rollback).
    """

    __tablename__ = "ticket_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class Ticket(Model):
    """A ticket: system columns, the custom `data` document and an optimistic lock."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(_in("priority", Priority), name="ck_ticket_priority"),
        CheckConstraint(_in("channel", Channel), name="ck_ticket_channel"),
        CheckConstraint("template_version >= 1", name="ck_ticket_template_version"),
        CheckConstraint(_in("category", Category), name="ck_ticket_category"),
        CheckConstraint("sla_paused_seconds >= 0", name="ck_ticket_sla_paused"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    template_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The workflow version the ticket follows, pinned when it is created (NULL: none yet);
    # a newer published version applies to new tickets only.
    workflow_key: Mapped[str | None] = mapped_column(String(64))
    workflow_version: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    state: Mapped[str] = mapped_column(String(64), nullable=False, default="new")
    # The state's category in the pinned workflow, kept beside it for queues, loads and SLAs.
    category: Mapped[str] = mapped_column(
        String(16), nullable=False, default=Category.NEW.value, server_default=Category.NEW.value
    )
    priority: Mapped[str] = mapped_column(String(16), nullable=False, default=Priority.NORMAL.value)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), nullable=False
    )
    # NULL = in the department's group queue.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    # Who opened the ticket (NULL: an API client without a user, an import, or a deleted user).
    # The creator keeps read access wherever the ticket is routed (`app.tickets.access`).
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_phone: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default=Channel.AGENT.value)
    # Replace the whole dict to change it: in-place edits are not tracked (no MutableDict).
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    # What the list's free-text search reads (`app.tickets.search`; NULL: not written yet).
    search_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The SLA clock (workflows.sla.Clock): the policy that applies, when it started, the
    # business time spent paused so far and since when it is paused now; and its due times
    # (NULL: no target, or paused).
    sla_policy: Mapped[str | None] = mapped_column(String(64))
    sla_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_paused_seconds: Mapped[float] = mapped_column(
        Float, nullable=False, default=0.0, server_default="0"
    )
    sla_paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first SLA warning and breach of the current due times (None: none yet).
    sla_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the ticket entered its current state (automations count from it).
    state_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How often the customer chased (催单) the ticket.
    chases: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}

    department = relationship("Department")
    assignee = relationship("User", foreign_keys=[assignee_id])
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TicketEvent.id",
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Comment.id",
    )

    def __repr__(self) -> str:
        return self.number


# List pages order by (created_at DESC, id DESC) by default and page by keyset on it.
_NEWEST = (Ticket.created_at.desc(), Ticket.id.desc())
Index("ix_ticket_template_created", Ticket.template, *_NEWEST)
Index("ix_ticket_created", *_NEWEST)
# The "recently / least recently updated" sorts (read backwards for the latter): per template,
# and across templates for the department-scoped lists (a few departments: the walk is short).
_UPDATED = (Ticket.updated_at.desc(), Ticket.id.desc())
Index("ix_ticket_template_updated", Ticket.template, *_UPDATED)
Index("ix_ticket_updated", *_UPDATED)
Index("ix_ticket_department_created", Ticket.department_id, *_NEWEST)
Index("ix_ticket_assignee_created", Ticket.assignee_id, *_NEWEST)
Index("ix_ticket_creator_created", Ticket.created_by_id, *_NEWEST)  # "Created by me"
# The priority sort (`sort=priority`) reads one range per priority (migration 0012).
Index("ix_ticket_template_priority", Ticket.template, Ticket.priority, *_NEWEST)
Index("ix_ticket_priority", Ticket.priority, *_NEWEST)
# Free-text search (`app.tickets.search`): a GIN trigram index on PostgreSQL (pg_trgm, migration
# 0010). SQLite has no use for it: there it is partial on a false condition, so it stays empty.
Index(
    "ix_ticket_search",
    Ticket.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
    postgresql_with={"fastupdate": "off"},
    sqlite_where=text("0"),
)
# The group queue: unassigned tickets of a department in some states.
Index(
    "ix_ticket_group_queue",
    Ticket.state,
    Ticket.department_id,
    *_NEWEST,
    postgresql_where=Ticket.assignee_id.is_(None),
    sqlite_where=Ticket.assignee_id.is_(None),
)
# An agent's load: their tickets still being worked (assignment counts these).
Index("ix_ticket_assignee_category", Ticket.assignee_id, Ticket.category)
# Lists sorted by the resolution due time within a department.
Index("ix_ticket_department_due", Ticket.department_id, Ticket.resolution_due_at, Ticket.id)


class AssignmentPointer(Model):
    """Per department, the member assigned last: where round-robin rotation continues."""

    __tablename__ = "assignment_pointer"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class TicketEvent(Model):
    """One row of a ticket's history: who did what, when, through which channel."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        CheckConstraint(_in("kind", EventKind), name="ck_ticket_event_kind"),
        CheckConstraint(_in("channel", Channel), name="ck_ticket_event_channel"),
        Index("ix_ticket_event_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default=Channel.AGENT.value)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # RFC 6901 pointer into the ticket: "/state", "/data/serial_number", "/data/items/0/qty".
    pointer: Mapped[str | None] = mapped_column(String(500))
    old: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    new: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor = relationship("User", foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"{self.kind} {self.pointer or ''}".strip()


class Comment(Model):
    """A public reply (the requester sees it) or an internal note (agents only)."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    internal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default=Channel.AGENT.value)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )

    ticket: Mapped[Ticket] = relationship(back_populates="comments")
    author = relationship("User", foreign_keys=[author_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="comment", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"{'note' if self.internal else 'reply'} {self.id}"


class Attachment(Model):
    """A file on a ticket (optionally on one of its comments); the bytes live in storage."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("size >= 0", name="ck_attachment_size"),
        Index("ix_attachment_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Where the storage backend keeps the bytes (content-addressed: derived from sha256).
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )

    comment: Mapped[Comment | None] = relationship(back_populates="attachments")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    def __repr__(self) -> str:
        return self.filename


__all__ = [
    "ACTIVE_CATEGORIES",
    "AssignmentPointer",
    "Attachment",
    "Category",
    "Channel",
    "Comment",
    "EventKind",
    "Priority",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
]
