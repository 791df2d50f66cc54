"""The application's clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now: the only clock the models and services use."""
    return datetime.now(UTC)
