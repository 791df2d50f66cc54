"""Webhook endpoints (configured by admins) and the log of every delivery to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.tickets.models import JSONDocument


class WebhookEndpoint(Model):
    """Where events are POSTed, signed with the endpoint's secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    # Event names ("ticket.created", "sla.breached", ...) this endpoint receives.
    events: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Failed deliveries in a row (a success resets it); past the limit the endpoint is disabled.
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )

    def __repr__(self) -> str:
        return self.name


class WebhookDelivery(Model):
    """One event for one endpoint: attempts, and how the last one went."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # (endpoint, effect): the same event is delivered to an endpoint once.
    key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False
    )
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    # pending → delivered | failed (gave up after the retries)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    endpoint: Mapped[WebhookEndpoint] = relationship()

    def __repr__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


Index("ix_webhook_delivery_endpoint", WebhookDelivery.endpoint_id, WebhookDelivery.id.desc())
