"""SLA clocks: due times from a start, the targets and the business time spent paused.

A ticket's clock runs in business time from its creation. While it is in a waiting state the
clock is paused; the business time spent paused is added to every target, so a due time can be
recomputed at any moment from three facts the ticket stores: when the clock started, how much
business time it has been paused in total, and since when it is paused now (if it is). A
priority change only swaps the targets; the same three facts give the new due times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workflows.calendar import BusinessCalendar
from workflows.model import Targets


@dataclass(frozen=True)
class Clock:
    """What a ticket stores about its SLA clock."""

    started_at: datetime
    paused: timedelta = timedelta(0)
    """Business time spent in waiting states so far (not counting a pause still running)."""
    paused_since: datetime | None = None


@dataclass(frozen=True)
class Due:
    """Due times of the two targets (None: no target, or the clock is paused)."""

    first_response: datetime | None
    resolution: datetime | None


def due_at(calendar: BusinessCalendar, clock: Clock, target: timedelta | None) -> datetime | None:
    """When `target` of business time will have run on this clock; None while paused."""
    if target is None or clock.paused_since is not None:
        return None
    return calendar.add(clock.started_at, target + clock.paused)


def due(calendar: BusinessCalendar, clock: Clock, targets: Targets) -> Due:
    """Both due times for the targets that apply."""
    return Due(
        due_at(calendar, clock, targets.first_response),
        due_at(calendar, clock, targets.resolution),
    )


def warning_at(
    calendar: BusinessCalendar, clock: Clock, target: timedelta | None, ratio: float
) -> datetime | None:
    """When `ratio` of the target will have run (the warning), None while paused."""
    if target is None:
        return None
    return due_at(calendar, clock, target * ratio)


def pause(clock: Clock, at: datetime) -> Clock:
    """The clock stopped at `at` (entering a waiting state); pausing twice changes nothing."""
    if clock.paused_since is not None:
        return clock
    return Clock(clock.started_at, clock.paused, at)


def resume(calendar: BusinessCalendar, clock: Clock, at: datetime) -> Clock:
    """The clock running again from `at`, the paused business time added to its total."""
    if clock.paused_since is None:
        return clock
    spent = calendar.elapsed(clock.paused_since, at)
    return Clock(clock.started_at, clock.paused + spent, None)


def spent(calendar: BusinessCalendar, clock: Clock, at: datetime) -> timedelta:
    """Business time the clock has run by `at` (pauses excluded)."""
    end = clock.paused_since if clock.paused_since is not None and clock.paused_since < at else at
    return calendar.elapsed(clock.started_at, end) - clock.paused
