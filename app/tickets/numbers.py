"""Human ticket numbers (`TS-000123`): unique, sequential and gapless on both backends."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.tickets.errors import TicketError
from app.tickets.models import TicketCounter

SERIES = "ticket"
DEFAULT_PREFIX = "TS"
NUMBER = re.compile(r"^(?P<prefix>[A-Z][A-Z0-9]{0,9})-(?P<n>\d{6,})$")


def format_number(n: int, prefix: str = DEFAULT_PREFIX) -> str:
    """`TS-000123`: at least six digits, more once the series passes 999,999."""
    return f"{prefix}-{n:06d}"


def parse_number(number: str) -> int | None:
    """The sequence value in a ticket number, or None when it is not one."""
    match = NUMBER.match(number.strip().upper())
    return int(match["n"]) if match else None


def next_number(session: Session, series: str = SERIES) -> int:
    """Take the next value of a series inside the caller's transaction.

    `UPDATE ... RETURNING` locks the counter row until the transaction ends, so a concurrent
    create waits and then sees the incremented value: unique and, since a rollback undoes the
    increment, without gaps. Keep the rest of the transaction short.
    """
    value = session.execute(
        update(TicketCounter)
        .where(TicketCounter.name == series)
        .values(value=TicketCounter.value + 1)
        .returning(TicketCounter.value)
    ).scalar()
    if value is None:
        raise TicketError(f"Number series {series!r} is missing: run the migrations.")
    return int(value)
