"""The application's clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now: the only clock the models and services use."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored time as an aware datetime: SQLite gives back naive UTC, PostgreSQL aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
