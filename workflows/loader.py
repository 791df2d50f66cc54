"""Load a workflow definition: check it whole, compile its conditions, cache it by checksum.

The checks run in two stages. First the meta-schema (`schemas/workflow.json`): when the shape
is wrong nothing else can be read, so its errors are raised alone. Then everything the shape
cannot say, all reported together: unique names, transitions between real states, every state
reachable from the initial one, only closed states final, conditions that are valid schemas,
durations and the business calendar, actions naming real transitions.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from forms.messages import collect
from workflows.calendar import BusinessCalendar
from workflows.conditions import Condition, compile_condition
from workflows.durations import parse_duration
from workflows.engine import Workflow
from workflows.errors import DefinitionError
from workflows.model import (
    PRIORITIES,
    Approval,
    AutoClose,
    Automation,
    Category,
    Matrix,
    Parts,
    Rule,
    SlaPolicy,
    State,
    Strategy,
    Targets,
    Transition,
    Trigger,
)

Errors = dict[str, list[str]]
CACHE_SIZE = 256
DEFAULT_WARNING = 0.8

_cache: OrderedDict[str, Workflow] = OrderedDict()


def checksum_of(definition: Any) -> str:
    """sha256 of the definition's compact canonical JSON (sorted keys): the cache key.

    The app passes the checksum its definition store keeps instead; either identifies the
    content, which is all the cache needs.
    """
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_workflow(definition: Mapping[str, Any], checksum: str | None = None) -> Workflow:
    """Check and compile a workflow definition (DefinitionError with pointers when wrong).

    Compiled once per version: pass the stored `checksum` to skip hashing the document.
    """
    key = checksum or checksum_of(definition)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    workflow = Workflow(_build(definition, key))
    _cache[key] = workflow
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return workflow


@cache
def meta_schema() -> dict[str, Any]:
    """The workflow meta-schema shipped with the engine."""
    text = resources.files("workflows").joinpath("schemas/workflow.json").read_text("utf-8")
    return dict(json.loads(text))


@cache
def _meta_validator() -> Draft202012Validator:
    return Draft202012Validator(meta_schema())


def _build(body: Mapping[str, Any], checksum: str) -> Parts:
    found = collect(_meta_validator().iter_errors(body))
    if found:
        raise DefinitionError(found)
    reader = _Reader()
    states = reader.states(body["states"], body["initial"])
    transitions = reader.transitions(body["transitions"], states)
    reader.graph(states, body["initial"], transitions)
    routing = body.get("routing", {})
    sla = body.get("sla", {})
    parts = Parts(
        key=body["key"],
        title=body["title"],
        checksum=checksum,
        states=states,
        initial=body["initial"],
        transitions=transitions,
        rules=reader.rules(routing.get("rules", [])),
        strategy=Strategy(routing.get("strategy", Strategy.MANUAL.value)),
        matrix=_matrix(routing.get("priority_matrix")),
        calendar=reader.calendar(sla.get("calendar")),
        warning=float(sla.get("warning", DEFAULT_WARNING)),
        policies=reader.policies(sla.get("policies", [])),
        auto_close=reader.auto_close(body.get("auto_close"), states),
        triggers=reader.triggers(body.get("triggers", []), transitions),
        automations=reader.automations(body.get("automations", []), transitions),
    )
    if reader.errors:
        raise DefinitionError(reader.errors)
    return parts


class _Reader:
    """Builds the parts of a definition past its meta-schema, gathering every error."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, pointer: str, message: str) -> None:
        self.errors.setdefault(pointer, []).append(message)

    def guarded(self, make: Callable[[], Any]) -> Any:
        """Run `make`; its DefinitionError joins the others and the answer is None."""
        try:
            return make()
        except DefinitionError as exc:
            for pointer, messages in exc.errors.items():
                self.errors.setdefault(pointer, []).extend(messages)
            return None

    def condition(self, schema: Any, pointer: str) -> Condition | None:
        if schema is None:
            return None
        found: Condition | None = self.guarded(lambda: compile_condition(schema, pointer))
        return found

    def duration(self, text: str, pointer: str) -> Any:
        return self.guarded(lambda: parse_duration(text, pointer))

    def unique(self, items: Sequence[Mapping[str, Any]], where: str, what: str) -> None:
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item["name"] in seen:
                self.add(
                    f"{where}/{index}/name", f"Another {what} is already called {item['name']}."
                )
            seen.add(item["name"])

    def states(self, items: list[dict[str, Any]], initial: str) -> dict[str, State]:
        self.unique(items, "/states", "state")
        states = {
            s["name"]: State(s["name"], s.get("label", s["name"]), Category(s["category"]))
            for s in items
        }
        if initial not in states:
            self.add("/initial", f"There is no state called {initial}.")
        return states

    def transitions(
        self, items: list[dict[str, Any]], states: Mapping[str, State]
    ) -> tuple[Transition, ...]:
        self.unique(items, "/transitions", "transition")
        return tuple(self.transition(t, f"/transitions/{i}", states) for i, t in enumerate(items))

    def transition(
        self, item: dict[str, Any], where: str, states: Mapping[str, State]
    ) -> Transition:
        for index, name in enumerate(item["from"]):
            if name not in states:
                self.add(f"{where}/from/{index}", f"There is no state called {name}.")
        if item["to"] not in states:
            self.add(f"{where}/to", f"There is no state called {item['to']}.")
        priority = item.get("set", {}).get("/priority")
        if "/priority" in item.get("set", {}) and priority not in PRIORITIES:
            self.add(f"{where}/set/~1priority", f"A priority is one of {', '.join(PRIORITIES)}.")
        approval = item.get("approval")
        return Transition(
            name=item["name"],
            label=item.get("label", item["name"]),
            sources=frozenset(item["from"]),
            to=item["to"],
            roles=frozenset(item["roles"]),
            pointer=where,
            requires=self.condition(item.get("requires"), f"{where}/requires"),
            when=self.condition(item.get("when"), f"{where}/when"),
            set=dict(item.get("set", {})),
            approval=Approval(
                approval["by"], self.condition(approval.get("when"), f"{where}/approval/when")
            )
            if approval
            else None,
        )

    def graph(
        self, states: Mapping[str, State], initial: str, transitions: Iterable[Transition]
    ) -> None:
        """Every state reachable from the initial one; only closed states without a way out."""
        if initial not in states:
            return
        edges: dict[str, set[str]] = {}
        for t in transitions:
            for source in t.sources:
                edges.setdefault(source, set()).add(t.to)
        reached, frontier = {initial}, [initial]
        while frontier:
            for target in edges.get(frontier.pop(), ()):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for index, state in enumerate(states.values()):
            if state.name not in reached:
                self.add(f"/states/{index}", "No transition leads here from the initial state.")
            elif not edges.get(state.name) and state.category is not Category.CLOSED:
                self.add(
                    f"/states/{index}",
                    "Only a closed state may be final: add a transition out of this one.",
                )

    def rules(self, items: list[dict[str, Any]]) -> tuple[Rule, ...]:
        self.unique(items, "/routing/rules", "rule")
        rules = []
        for index, item in enumerate(items):
            where = f"/routing/rules/{index}"
            when = self.condition(item["when"], f"{where}/when")
            then = item["then"]
            strategy = then.get("strategy")
            rules.append(
                Rule(
                    name=item["name"],
                    label=item.get("label", item["name"]),
                    when=when or compile_condition(False, f"{where}/when"),
                    pointer=where,
                    department=then.get("department"),
                    priority=then.get("priority"),
                    skills=tuple(then.get("skills", ())),
                    strategy=Strategy(strategy) if strategy else None,
                )
            )
        return tuple(rules)

    def calendar(self, definition: Any) -> BusinessCalendar:
        found = self.guarded(lambda: BusinessCalendar.from_definition(definition, "/sla/calendar"))
        return found if found is not None else BusinessCalendar.from_definition(None)

    def policies(self, items: list[dict[str, Any]]) -> tuple[SlaPolicy, ...]:
        self.unique(items, "/sla/policies", "policy")
        policies = []
        for index, item in enumerate(items):
            where = f"/sla/policies/{index}"
            targets = {
                priority: Targets(
                    first_response=self.optional_duration(
                        t, "first_response", f"{where}/targets/{priority}"
                    ),
                    resolution=self.optional_duration(
                        t, "resolution", f"{where}/targets/{priority}"
                    ),
                )
                for priority, t in item["targets"].items()
            }
            when = self.condition(item.get("when"), f"{where}/when")
            policies.append(SlaPolicy(item["name"], item.get("label", item["name"]), when, targets))
        return tuple(policies)

    def optional_duration(self, item: Mapping[str, Any], name: str, where: str) -> Any:
        return self.duration(item[name], f"{where}/{name}") if name in item else None

    def auto_close(self, item: Any, states: Mapping[str, State]) -> AutoClose | None:
        if item is None:
            return None
        closed = [s.name for s in states.values() if s.category is Category.CLOSED]
        to = item.get("to", closed[0] if closed else None)
        if to is None or to not in closed:
            self.add(
                "/auto_close/to" if "to" in item else "/auto_close",
                "Auto-close needs a state of category closed.",
            )
        after = self.duration(item["after"], "/auto_close/after")
        return AutoClose(after, bool(item.get("business", False)), to or "")

    def actions(
        self, items: list[dict[str, Any]], where: str, transitions: Sequence[Transition]
    ) -> tuple[dict[str, Any], ...]:
        names = {t.name for t in transitions}
        for index, action in enumerate(items):
            if action["type"] == "transition" and action["transition"] not in names:
                self.add(
                    f"{where}/{index}/transition",
                    f"There is no transition called {action['transition']}.",
                )
        return tuple(dict(a) for a in items)

    def triggers(
        self, items: list[dict[str, Any]], transitions: Sequence[Transition]
    ) -> tuple[Trigger, ...]:
        self.unique(items, "/triggers", "trigger")
        return tuple(
            Trigger(
                name=item["name"],
                on=frozenset(item["on"]),
                when=self.condition(item.get("when"), f"/triggers/{i}/when"),
                actions=self.actions(item["actions"], f"/triggers/{i}/actions", transitions),
            )
            for i, item in enumerate(items)
        )

    def automations(
        self, items: list[dict[str, Any]], transitions: Sequence[Transition]
    ) -> tuple[Automation, ...]:
        self.unique(items, "/automations", "automation")
        return tuple(
            Automation(
                name=item["name"],
                when=self.condition(item.get("when"), f"/automations/{i}/when"),
                after=self.duration(item["after"], f"/automations/{i}/after"),
                since=item.get("since", "state_entered"),
                business=bool(item.get("business", False)),
                actions=self.actions(item["actions"], f"/automations/{i}/actions", transitions),
            )
            for i, item in enumerate(items)
        )


def _matrix(item: Any) -> Matrix | None:
    if item is None:
        return None
    return Matrix(item["impact"], item["urgency"], item["values"])
