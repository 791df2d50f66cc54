"""Running a workflow's triggers on a ticket: each action once, in the job's transaction.

The job of a `ticket.events` message calls `fire` once per trigger event the change raised.
Every action first takes its effect key (ticket, message, trigger, action index): a second run
of the same message finds the keys taken and does nothing again. Actions that change the
ticket go through the ticket service (their events, SLA and history as any change), on the
system channel, one trigger round deeper: what they change can fire triggers again only up to
`workflows.timers.MAX_DEPTH` rounds. An action that cannot apply (a transition whose
requirements the ticket does not meet, a value the template refuses) is skipped and logged;
the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import Department
from app.outbox import DEPTH, once
from app.pointers import tokens
from app.tickets import document
from app.tickets.errors import TransitionUnavailable
from app.tickets.models import Channel, EventKind, Ticket
from app.tickets.service import change_state, record_event, update_ticket
from workflows import ROLES, Outcome, Strategy, Workflow
from workflows.timers import shift_priority, triggers_for

log = logging.getLogger(__name__)

SYSTEM = Channel.SYSTEM.value


@dataclass(frozen=True)
class Firing:
    """One trigger event on one ticket, as the job sees it."""

    s: Session
    ticket: Ticket
    workflow: Workflow
    event: str
    key: str  # "t<ticket>:m<message>:<event>:<trigger>[:<action>]": effect keys start here


class Skipped(Exception):
    """An action that does not apply to the ticket as it is (logged, not retried)."""


def fire(s: Session, ticket: Ticket, workflow: Workflow, event: str, key: str) -> int:
    """Run the triggers `event` fires on `ticket`; how many actions ran."""
    doc = document.of_ticket(ticket, workflow.calendar)
    ran = 0
    for trigger in triggers_for(workflow.parts.triggers, event, doc, int(s.info.get(DEPTH, 0))):
        ran += run_actions(
            Firing(s, ticket, workflow, event, f"{key}:{trigger.name}"), trigger.actions
        )
    return ran


def run_actions(firing: Firing, actions: Sequence[Mapping[str, Any]]) -> int:
    """Run `actions` in order, each once (key: the firing's key and the action's index)."""
    s, ticket = firing.s, firing.ticket
    depth = int(s.info.get(DEPTH, 0))
    ran = 0
    for index, action in enumerate(actions):
        effect = f"{firing.key}:{index}"
        if not once(s, effect, f"action.{action['type']}", ticket.id):
            continue
        s.info[DEPTH] = depth + 1  # what the action changes is one round deeper
        try:
            ACTIONS[action["type"]](replace(firing, key=effect), action)  # checks, then writes
            ran += 1
        except (Skipped, TransitionUnavailable) as exc:
            log.info("%s: action %d skipped on %s: %s", firing.key, index, ticket.number, exc)
        finally:
            s.info[DEPTH] = depth
    return ran


def _update(firing: Firing, changes: Mapping[str, Any], note: str | None = None) -> None:
    update_ticket(
        firing.ticket.id, changes, firing.ticket.lock_version, None, channel=SYSTEM, note=note,
        commit=False, session=firing.s,
    )


def _set_field(firing: Firing, action: Mapping[str, Any]) -> None:
    from app.tickets.templates import template_version

    name = tokens(action["field"])[1]
    data = {**(firing.ticket.data or {}), name: action["value"]}
    tf = template_version(firing.ticket.template, firing.ticket.template_version)
    errors = tf.errors(data, "/data")
    if errors:
        raise Skipped(f"the template refuses {action['field']}: {errors}")
    _update(firing, {"data": data})


def _set_priority(firing: Firing, action: Mapping[str, Any]) -> None:
    _update(firing, {"priority": shift_priority(firing.ticket.priority, action["priority"])})


def _route(firing: Firing, action: Mapping[str, Any]) -> None:
    doc = document.of_ticket(firing.ticket, firing.workflow.calendar)
    route = firing.workflow.route(doc)
    if route.department is None:
        raise Skipped("no routing rule names a department")
    department_id = firing.s.scalar(select(Department.id).where(Department.key == route.department))
    if department_id is None:
        raise Skipped(f"no department {route.department}")
    changes: dict[str, Any] = {"department_id": department_id}
    if department_id != firing.ticket.department_id:
        changes["assignee_id"] = _choose(firing, department_id, route.strategy, route.skills)
    _update(firing, changes)


def _assign(firing: Firing, action: Mapping[str, Any]) -> None:
    strategy = Strategy(action.get("strategy") or firing.workflow.parts.strategy)
    chosen = _choose(
        firing, firing.ticket.department_id, strategy, tuple(action.get("skills", ()))
    )
    if chosen is None:
        raise Skipped("nobody free holds the skills")
    _update(firing, {"assignee_id": chosen})


def _choose(
    firing: Firing, department_id: int, strategy: Strategy, skills: tuple[str, ...]
) -> int | None:
    from app.tickets.assignment import assign

    return assign(firing.s, firing.workflow, department_id, strategy, skills)


def _transition(firing: Firing, action: Mapping[str, Any]) -> None:
    from app.tickets.transitions import changes_for

    ticket = firing.ticket
    doc = document.of_ticket(ticket, firing.workflow.calendar)
    check = firing.workflow.check_transition(action["transition"], doc, set(ROLES))
    if check.outcome not in (Outcome.OK, Outcome.APPROVAL) or check.transition is None:
        raise Skipped(f"transition {action['transition']}: {check.outcome}")
    also = changes_for(ticket, check.transition, dict(ticket.data or {}))
    change_state(
        ticket.id, check.transition.to, ticket.lock_version, None, also=also, channel=SYSTEM,
        commit=False, session=firing.s,
    )


def _notify(firing: Firing, action: Mapping[str, Any]) -> None:
    from app.notifications import notify

    notify(
        firing.s, key=firing.key, ticket=firing.ticket, event=firing.event,
        to=tuple(action["to"]), subject=action.get("subject"), message=action.get("message"),
    )


def _webhook(firing: Firing, action: Mapping[str, Any]) -> None:
    from app.api.represent import represent
    from app.webhooks import emit

    emit(
        firing.s, key=firing.key, event=firing.event, ticket_id=firing.ticket.id,
        payload=represent([firing.ticket])[0], url=action["url"],
        secret_name=action.get("secret"),
    )


def _escalate(firing: Firing, action: Mapping[str, Any]) -> None:
    from app.notifications import notify

    note = action.get("note")
    record_event(
        firing.s, firing.ticket, EventKind.ESCALATED, at=utcnow(), actor_id=None,
        channel=SYSTEM, new={"event": firing.event}, note=note,
    )
    notify(
        firing.s, key=firing.key, ticket=firing.ticket, event="ticket.escalated",
        to=("department_head",), subject=None, message=note,
    )


ACTIONS: dict[str, Callable[[Firing, Mapping[str, Any]], None]] = {
    "set_field": _set_field,
    "set_priority": _set_priority,
    "route": _route,
    "assign": _assign,
    "transition": _transition,
    "notify": _notify,
    "webhook": _webhook,
    "escalate": _escalate,
}
"""One function per action type of the workflow language."""
