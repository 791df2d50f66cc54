"""Done outbox messages are deleted once they are old; effect keys are kept.

A message is done when its job committed `done_at`; after that nothing reads it but /ops and
a person looking into what happened, so `purge` deletes done messages whose `done_at` is older
than `TESSERA_OUTBOX_RETENTION_DAYS` (default 30; 0 keeps them forever), in batches, each in
its own short transaction. `flask tessera cron` runs one batch a minute; `flask tessera
purge-outbox` runs them all at once.

Messages not done (pending timers, and failed jobs waiting for a person to requeue them from
/ops) are never deleted. A job whose message was deleted finds it gone and does nothing
(`app.jobs.runner.run` answers "gone"), so a late duplicate of a deleted message does no harm.

The effect ledger (`effect`) is not purged: its keys are what makes an effect happen once, and
some are checked again long after their message ran (an automation is keyed by the time its
rule's clock started, which may lie months back on an idle ticket). A key is a short row; they
go with their ticket (`ON DELETE CASCADE`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.outbox.models import OutboxMessage

BATCH = 1000  # rows deleted by one statement


def cutoff(days: float, now: datetime | None = None) -> datetime | None:
    """The `done_at` before which messages go; None when retention is off (days ≤ 0)."""
    if days <= 0:
        return None
    return (now or utcnow()) - timedelta(days=days)


def purge_batch(s: Session, before: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` messages done before `before` and commit; how many went."""
    ids = select(OutboxMessage.id).where(
        OutboxMessage.done_at.is_not(None), OutboxMessage.done_at < before
    ).order_by(OutboxMessage.done_at).limit(batch)
    result = s.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_(ids.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
    s.commit()
    return int(cast(CursorResult[Any], result).rowcount or 0)


def purge(s: Session, days: float, *, batch: int = BATCH, batches: int | None = None) -> int:
    """Delete messages done more than `days` ago, `batches` batches at most; how many went."""
    before = cutoff(days)
    if before is None:
        return 0
    total, runs = 0, 0
    while batches is None or runs < batches:
        deleted = purge_batch(s, before, batch)
        total, runs = total + deleted, runs + 1
        if deleted < batch:
            break
    return total
