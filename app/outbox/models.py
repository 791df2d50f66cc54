"""The outbox and the effect ledger: how work leaves a transaction and happens once.

A change writes `OutboxMessage` rows in its own transaction; after the commit a dispatcher
enqueues each one as an RQ job whose id is `outbox-<id>`, and a periodic sweep enqueues what is
left (Redis was down, the process died in between, Redis lost its jobs). A message is done only
when its job commits `done_at`, so it runs at least once. What it does happens once: every
effect first inserts its `Effect` key (unique) in the job's transaction, and a second run finds
the key taken and skips the effect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.tickets.models import JSONDocument


class OutboxMessage(Model):
    """One unit of later work: a topic, what it is about, and when it may run."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "ticket.created", "sla.check", "ticket.autoclose", "mail.send", "webhook.deliver", ...
    topic: Mapped[str] = mapped_column(String(64), nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    # Not before this time (SLA timers, auto-close); None: now.
    run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"outbox:{self.id} {self.topic}"


# The sweep and the backlog read only what is not done yet.
Index(
    "ix_outbox_pending",
    OutboxMessage.id,
    postgresql_where=OutboxMessage.done_at.is_(None),
    sqlite_where=OutboxMessage.done_at.is_(None),
)
# The sweep and the admins' banner: messages never enqueued (Redis was down, no commit hook).
_UNSENT = OutboxMessage.done_at.is_(None) & OutboxMessage.enqueued_at.is_(None)
Index("ix_outbox_unsent", OutboxMessage.id, postgresql_where=_UNSENT, sqlite_where=_UNSENT)
Index("ix_outbox_ticket", OutboxMessage.ticket_id)
# The retention purge (app.outbox.retention): done messages, oldest first.
_DONE = OutboxMessage.done_at.is_not(None)
Index("ix_outbox_done", OutboxMessage.done_at, postgresql_where=_DONE, sqlite_where=_DONE)


class Effect(Model):
    """The key of one effect that happened: a second attempt at it finds the key taken."""

    __tablename__ = "effect"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Derived from (ticket, event, action): "t42:e1007:trigger:chased_twice:0".
    key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )

    def __repr__(self) -> str:
        return self.key


Index("ix_effect_ticket", Effect.ticket_id)
