"""The application's clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now: the only clock the models and services use."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored time as an aware datetime: SQLite gives back naive UTC, PostgreSQL aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """A stored time as RFC 3339 text with its offset (naive from SQLite: UTC); None stays."""
    return aware(value).isoformat() if value is not None else None
