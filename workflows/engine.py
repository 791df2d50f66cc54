"""Questions a loaded workflow answers: where a ticket goes, what may happen to it, its SLA.

Every answer is plain data computed from the ticket document (the one shape conditions see,
documented in `docs/workflows.md`); nothing here reads a clock, a database or a request.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from workflows.assignment import Candidate, Choice, choose
from workflows.calendar import BusinessCalendar
from workflows.conditions import Miss, compile_condition, first_match
from workflows.model import (
    Category,
    Parts,
    Rule,
    SlaPolicy,
    State,
    Strategy,
    Targets,
    Transition,
)
from workflows.requirements import errors_by_pointer


@dataclass(frozen=True)
class Route:
    """The routing decision for one ticket document.

    `department` is None when no rule names one (the template's default department applies);
    `priority` is None when neither a rule nor the priority matrix sets one, and
    `priority_from` says which did (`"rule"` or `"matrix"`): a rule's priority wins over one
    given when the ticket is created, a given one over the matrix's. `rule` is the name of the
    rule that matched, or None when none did.
    """

    department: str | None
    priority: str | None
    strategy: Strategy
    skills: tuple[str, ...]
    rule: str | None
    priority_from: str | None = None


@dataclass(frozen=True)
class RuleReport:
    """One rule as `explain` saw it: matched, or the first keyword that failed and where."""

    name: str
    pointer: str
    matched: bool
    miss: Miss | None


class Outcome(enum.StrEnum):
    """What taking a transition would do."""

    OK = "ok"
    INVALID = "invalid"
    APPROVAL = "approval"
    FORBIDDEN = "forbidden"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TransitionCheck:
    """The answer of `check_transition`: the outcome, and errors by document pointer."""

    outcome: Outcome
    transition: Transition | None = None
    errors: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The transition may be applied now (no approval needed)."""
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class SlaTerms:
    """The SLA that applies to a ticket: the policy's targets for its priority."""

    policy: str
    targets: Targets
    calendar: BusinessCalendar
    warning: float


class Workflow:
    """A checked, compiled workflow version (made by `load_workflow`, cached by checksum)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._first_rule: Callable[[Any], int | None] = first_match([r.when for r in parts.rules])
        self._first_policy: Callable[[Any], int | None] = first_match(
            [p.when or _ALWAYS for p in parts.policies]
        )

    @property
    def key(self) -> str:
        """The workflow's key."""
        return self.parts.key

    @property
    def checksum(self) -> str:
        """The sha256 of the definition's canonical JSON: one compiled workflow per version."""
        return self.parts.checksum

    @property
    def states(self) -> Mapping[str, State]:
        """The states by name, in definition order."""
        return self.parts.states

    @property
    def initial(self) -> State:
        """The state every new ticket starts in."""
        return self.parts.states[self.parts.initial]

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar of the SLA (24/7 UTC when the workflow defines none)."""
        return self.parts.calendar

    def category(self, state: str) -> Category | None:
        """The category of a state, or None for a state this version does not have."""
        found = self.parts.states.get(state)
        return found.category if found else None

    def route(self, doc: Mapping[str, Any]) -> Route:
        """Where the ticket goes: the first rule that matches, else the workflow's defaults."""
        index = self._first_rule(doc)
        route = self._fallback if index is None else self._routes[index]
        if route.priority_from == "rule" or self.parts.matrix is None:
            return route  # decided by the rule alone: built once, when the workflow was loaded
        priority = self.matrix_priority(doc)
        return replace(route, priority=priority, priority_from="matrix") if priority else route

    @cached_property
    def _routes(self) -> tuple[Route, ...]:
        return tuple(self._rule_route(rule) for rule in self.parts.rules)

    @cached_property
    def _fallback(self) -> Route:
        return Route(None, None, self.parts.strategy, (), None)

    def _rule_route(self, rule: Rule) -> Route:
        strategy = rule.strategy or (Strategy.SKILLS if rule.skills else self.parts.strategy)
        source = "rule" if rule.priority else None
        return Route(rule.department, rule.priority, strategy, rule.skills, rule.name, source)

    def priority_for(self, route: Route, given: str | None) -> str:
        """The new ticket's priority: the rule's, else the one given, else the matrix's."""
        if route.priority_from == "rule" and route.priority:
            return route.priority
        return given or route.priority or "normal"

    def explain(self, doc: Mapping[str, Any]) -> list[RuleReport]:
        """Every rule in order: whether it matches the document, and why not."""
        return [_report(rule, doc) for rule in self.parts.rules]

    def matrix_priority(self, doc: Mapping[str, Any]) -> str | None:
        """The impact × urgency matrix's priority for the document, if it has one."""
        matrix = self.parts.matrix
        data = doc.get("data")
        if matrix is None or not isinstance(data, Mapping):
            return None
        impact, urgency = _field_value(data, matrix.impact), _field_value(data, matrix.urgency)
        row = matrix.values.get(impact) if impact is not None else None
        return row.get(urgency) if row and urgency is not None else None

    def transition(self, name: str) -> Transition | None:
        """The transition called `name`, if this version has one."""
        return self._transitions_by_name.get(name)

    def transitions(
        self, state: str, roles: Collection[str], doc: Mapping[str, Any]
    ) -> list[Transition]:
        """The transitions these roles may take from `state` for this document."""
        return [
            t
            for t in self.parts.transitions
            if state in t.sources and t.roles & set(roles) and (t.when is None or t.when(doc))
        ]

    def check_transition(
        self, name: str, doc: Mapping[str, Any], roles: Collection[str]
    ) -> TransitionCheck:
        """Whether `roles` may take `name` on the document now, and what stands in the way."""
        found = self.transition(name)
        if found is None:
            return TransitionCheck(Outcome.UNKNOWN)
        if doc.get("state") not in found.sources or (found.when and not found.when(doc)):
            return TransitionCheck(Outcome.UNAVAILABLE, found)
        if not found.roles & set(roles):
            return TransitionCheck(Outcome.FORBIDDEN, found)
        if found.requires is not None:
            errors = errors_by_pointer(found.requires, doc)
            if errors:
                return TransitionCheck(Outcome.INVALID, found, errors)
        approval = found.approval
        if approval and (approval.when is None or approval.when(doc)):
            return TransitionCheck(Outcome.APPROVAL, found)
        return TransitionCheck(Outcome.OK, found)

    def choose_assignee(
        self,
        strategy: Strategy | str,
        candidates: Sequence[Candidate],
        pointer: int | None,
        skills: Iterable[str] = (),
    ) -> Choice:
        """Who gets the ticket among `candidates` (see `workflows.assignment.choose`)."""
        return choose(Strategy(strategy), candidates, pointer, skills)

    def sla(self, priority: str, doc: Mapping[str, Any]) -> SlaTerms | None:
        """The SLA for a ticket of `priority`: the first policy that matches and has targets."""
        index = self._first_policy(doc)
        if index is None:
            return None
        policy: SlaPolicy = self.parts.policies[index]
        targets = policy.targets.get(priority)
        if targets is None:
            return None
        return SlaTerms(policy.name, targets, self.parts.calendar, self.parts.warning)

    @cached_property
    def _transitions_by_name(self) -> dict[str, Transition]:
        return {t.name: t for t in self.parts.transitions}


def _report(rule: Rule, doc: Mapping[str, Any]) -> RuleReport:
    miss = rule.when.explain(doc)
    return RuleReport(rule.name, rule.pointer, miss is None, miss)


def _field_value(data: Mapping[str, Any], pointer: str) -> str | None:
    """A matrix axis as the matrix's (string) keys: strings as they are, integers as digits."""
    value = data.get(pointer.removeprefix("/data/"))
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


_ALWAYS = compile_condition(True, "")
