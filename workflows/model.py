"""A loaded workflow as frozen data: states, transitions, rules, SLA policies.

`workflows.loader.load_workflow` builds these from a definition after checking it; nothing
else creates them. Conditions are compiled `workflows.conditions.Condition` objects.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from workflows.calendar import BusinessCalendar
from workflows.conditions import Condition


class Category(enum.StrEnum):
    """What a state means to lists, SLA clocks and reports, whatever it is called."""

    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    SOLVED = "solved"
    CLOSED = "closed"


class Strategy(enum.StrEnum):
    """How a routed ticket finds its agent."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    SKILLS = "skills"
    MANUAL = "manual"


PRIORITIES = ("low", "normal", "high", "urgent")
"""Ticket priorities, lowest first."""

ROLES = ("agent", "head", "admin")
"""Who may take a transition: an agent of the ticket's department, its head, an admin."""


@dataclass(frozen=True)
class State:
    """One state a ticket can be in."""

    name: str
    label: str
    category: Category


@dataclass(frozen=True)
class Approval:
    """A transition that waits for a head of the ticket's department (when `when` holds)."""

    by: str
    when: Condition | None


@dataclass(frozen=True)
class Transition:
    """A named move between states, with who may take it and what it needs."""

    name: str
    label: str
    sources: frozenset[str]
    to: str
    roles: frozenset[str]
    pointer: str
    requires: Condition | None = None
    when: Condition | None = None
    set: Mapping[str, Any] = field(default_factory=dict)
    approval: Approval | None = None


@dataclass(frozen=True)
class Rule:
    """A routing rule: when its condition holds, the ticket goes where `then` says."""

    name: str
    label: str
    when: Condition
    pointer: str
    department: str | None = None
    priority: str | None = None
    skills: tuple[str, ...] = ()
    strategy: Strategy | None = None


@dataclass(frozen=True)
class Matrix:
    """Priority from two custom fields: `values[impact][urgency]`."""

    impact: str
    urgency: str
    values: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Targets:
    """How long a ticket of one priority may wait for a first response and a resolution."""

    first_response: timedelta | None = None
    resolution: timedelta | None = None


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority for the tickets `when` matches (every ticket when None)."""

    name: str
    label: str
    when: Condition | None
    targets: Mapping[str, Targets]


@dataclass(frozen=True)
class AutoClose:
    """Solved tickets close after `after` (business time when `business`) into `to`."""

    after: timedelta
    business: bool
    to: str


@dataclass(frozen=True)
class Trigger:
    """Event + condition → actions; the job runtime runs them (kept as plain data here)."""

    name: str
    on: frozenset[str]
    when: Condition | None
    actions: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Automation:
    """A time-based rule: tickets matching `when` for longer than `after` get the actions."""

    name: str
    when: Condition | None
    after: timedelta
    since: str
    business: bool
    actions: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Parts:
    """Everything a definition loads into; `workflows.engine.Workflow` answers questions on it."""

    key: str
    title: str
    checksum: str
    states: Mapping[str, State]
    initial: str
    transitions: tuple[Transition, ...]
    rules: tuple[Rule, ...]
    strategy: Strategy
    matrix: Matrix | None
    calendar: BusinessCalendar
    warning: float
    policies: tuple[SlaPolicy, ...]
    auto_close: AutoClose | None
    triggers: tuple[Trigger, ...]
    automations: tuple[Automation, ...]
