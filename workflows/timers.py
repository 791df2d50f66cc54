"""What happens later: SLA warnings and breaches, auto-close, and triggers chosen per event.

Plain answers from a loaded workflow and a ticket's stored facts; the job runtime turns each
`Timer` into a job due at `at` and, when it fires, asks again (`sla_timers`) whether the timer
still stands: the due time may have moved, the clock been paused or the target met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workflows.calendar import BusinessCalendar
from workflows.model import PRIORITIES, AutoClose, Automation, Category, Parts, Targets, Trigger
from workflows.sla import Clock, due_at

TARGETS = ("first_response", "resolution")
LEVELS = ("warning", "breach")
DEFAULT_AUTO_CLOSE = timedelta(days=3)
MAX_DEPTH = 3
"""Trigger rounds a change may cause: a trigger's own changes fire triggers at most this deep."""


@dataclass(frozen=True)
class Timer:
    """One future check: `level` of `target` at `at`, for the due time `due`."""

    target: str
    level: str
    at: datetime
    due: datetime


def sla_timers(
    calendar: BusinessCalendar,
    clock: Clock,
    targets: Targets,
    ratio: float,
    met: Mapping[str, bool],
) -> list[Timer]:
    """The warnings and breaches still ahead of a running clock (none while it is paused)."""
    timers: list[Timer] = []
    for target in TARGETS:
        span: timedelta | None = getattr(targets, target)
        due = due_at(calendar, clock, span)
        if span is None or due is None or met.get(target, False):
            continue
        warning = due_at(calendar, clock, span * ratio)
        if warning is not None and 0 < ratio < 1 and warning < due:
            timers.append(Timer(target, "warning", warning, due))
        timers.append(Timer(target, "breach", due, due))
    return timers


def policy_targets(parts: Parts, policy: str | None, priority: str) -> Targets | None:
    """The targets of the named SLA policy for `priority` (None: no such policy or targets)."""
    for candidate in parts.policies:
        if candidate.name == policy:
            return candidate.targets.get(priority)
    return None


def auto_close(parts: Parts) -> AutoClose | None:
    """How solved tickets close: the workflow's rule, else after 3 days into the first closed
    state; None when the workflow has no closed state."""
    if parts.auto_close is not None:
        return parts.auto_close
    closed = [s.name for s in parts.states.values() if s.category is Category.CLOSED]
    return AutoClose(DEFAULT_AUTO_CLOSE, False, closed[0]) if closed else None


def auto_close_at(rule: AutoClose, calendar: BusinessCalendar, solved_at: datetime) -> datetime:
    """When a ticket solved at `solved_at` closes (business time when the rule says so)."""
    return calendar.add(solved_at, rule.after) if rule.business else solved_at + rule.after


def automation_due(rule: Automation, calendar: BusinessCalendar, since: datetime) -> datetime:
    """When a ticket whose clock for `rule` started at `since` is due for its actions."""
    return calendar.add(since, rule.after) if rule.business else since + rule.after


def triggers_for(
    triggers: Sequence[Trigger], event: str, doc: Mapping[str, Any], depth: int
) -> list[Trigger]:
    """The triggers `event` fires on this document, in definition order; none past MAX_DEPTH."""
    if depth >= MAX_DEPTH:
        return []
    return [t for t in triggers if event in t.on and (t.when is None or t.when(doc))]


def shift_priority(current: str, change: str) -> str:
    """`raise` / `lower` one step (bounded), or a named priority as it is."""
    if change not in ("raise", "lower"):
        return change
    index = PRIORITIES.index(current) if current in PRIORITIES else 1
    step = 1 if change == "raise" else -1
    return PRIORITIES[max(0, min(len(PRIORITIES) - 1, index + step))]
