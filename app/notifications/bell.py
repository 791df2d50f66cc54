"""The bell: one user's notifications, newest first, and marking them read.

Every query names the user, so nobody reads or marks another user's rows; they walk
`ix_notification_user` (user_id, read_at, id). Pages are keyset pages on the id (`before`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.clock import utcnow
from app.errors import TesseraError
from app.extensions import db
from app.notifications.models import Notification
from app.tickets.models import Ticket

PAGE_SIZE = 50
BADGE_CAP = 99  # the navbar shows "99+" beyond this; counting stops there


class NotificationNotFound(TesseraError):
    """No notification with this id belongs to the caller."""

    status = 404


@dataclass(frozen=True)
class Page:
    """One page of a user's notifications and the `before` of the next (None: the last)."""

    rows: list[Notification]
    next_before: int | None


def page_for(
    user_id: int, *, unread: bool = False, before: int | None = None, limit: int = PAGE_SIZE
) -> Page:
    """The user's notifications older than `before` (id), newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def unread_count(user_id: int, cap: int | None = None) -> int:
    """How many unread notifications the user has (at most `cap` + 1 are counted)."""
    query = select(Notification.id).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if cap is not None:
        query = query.limit(cap + 1)
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (kept as is when it was); commits."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotificationNotFound(_("You have no notification %(id)s.", id=notification_id))
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    return row


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; how many; commits."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def tickets_of(rows: list[Notification]) -> dict[int, tuple[str, str]]:
    """{ticket id: (number, subject)} for the rows' tickets, in one query."""
    ids = sorted({r.ticket_id for r in rows if r.ticket_id is not None})
    if not ids:
        return {}
    found = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.subject).where(Ticket.id.in_(ids))
    )
    return {pk: (number, subject) for pk, number, subject in found}
