"""Demo tickets: a month of work on the four demo templates, through the real ticket services.

`plan_tickets` writes the stories (pure: a seeded `random.Random` and the time it is asked);
`load_demo_tickets` plays them, oldest first, each ticket in turn:

- opened through `app.tickets.intake.open_ticket`, so routing picks the department, the
  priority and the assignee (or the group queue) as for any new ticket;
- moved only by the transitions its workflow offers (`app.tickets.transitions.take`, `claim`),
  commented through `app.tickets.service.add_comment`, and transitions that need a head's
  approval decided through the approvals inbox's own `app.approvals.workflows.decide`;
- then moved back in time by `backdate_demo_ticket`: the services stamp every write with the
  present, and nothing in them takes another time.

`backdate_demo_ticket` is for demo data only. It maps every time stamp the story wrote (the
ticket's, its history's, its comments', its approval requests' and their audit rows') onto the
story's planned times, replays the state changes through `app.tickets.lifecycle.follow` at
those times (so the category, `resolved_at`/`closed_at`, the SLA clock with its pauses and the
due times are what they would have been, and the `sla_changed` history rows say so), and
writes the result without a new ticket version. The outbox messages the story wrote are
settled unrun: their triggers, webhooks and timers belong to a past the demo only replays.
In their place it plans the SLA and auto-close timers of the moved due times
(`app.tickets.followups`): a target already missed is warned about and breached by the worker
once it runs. While the demo loads, commits leave the outbox to the cron sweep
(`app.outbox.dispatch.HOLD`) and do not wait for the disk (`bulk_load`).

Routing's `in_business_hours` sees the time the demo is loaded, not the planned one.
Loading is skipped when the desk has any ticket: demo tickets never mix into real ones, and a
second load adds nothing.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.approvals.workflows import decide
from app.clock import aware, utcnow
from app.demo import samples
from app.extensions import db
from app.models import ApprovalRequest, AuditLog, Department, MemberRole, Membership
from app.outbox.dispatch import HOLD
from app.outbox.models import OutboxMessage
from app.security import security_manager
from app.tickets import document
from app.tickets.followups import plan_auto_close, plan_sla
from app.tickets.intake import NewTicket, check_data, open_ticket
from app.tickets.lifecycle import follow
from app.tickets.models import Channel, Comment, EventKind, Ticket, TicketEvent
from app.tickets.service import Requester, add_comment, get_ticket
from app.tickets.sla import start as start_clock
from app.tickets.templates import TemplateForm, published_template
from app.tickets.transitions import claim, take, transfer
from app.tickets.workflow import workflow_of

DEMO_TICKETS = 200
SEED = 20261201
SPREAD = timedelta(days=30)
QUIET = timedelta(minutes=5)  # the newest step of a story is at least this long ago
OPENERS = ("agent1", "agent2")  # frontline agents who type in phoned-in tickets


# ---------------------------------------------------------------------------------------------
# Stories (pure)


@dataclass(frozen=True)
class Step:
    """One thing that happens to a demo ticket at `at`: an action of `ACTIONS`."""

    action: str
    at: datetime


@dataclass(frozen=True)
class Story:
    """One demo ticket: what is asked, by whom, when, and what happens to it afterwards.

    `pick` chooses the department member who claims the ticket when routing left it in the
    group queue (a fraction of the members, so the story need not know them).
    """

    template: str
    data: dict[str, Any]
    requester: Requester
    channel: str
    priority: str | None
    opened_at: datetime
    steps: tuple[Step, ...]
    pick: float = 0.0
    texts: dict[str, str] = field(default_factory=dict)


# Where a story ends, by the ticket's age: young tickets are mostly new or in progress, those
# older than a few days mostly closed (solved ones close by themselves after three days).
ENDINGS_BY_AGE: list[tuple[timedelta, dict[str, float]]] = [
    (timedelta(days=1), {"new": 4, "open": 3, "waiting": 1, "solved": 1, "pending": 1}),
    (
        timedelta(days=3),
        {
            "new": 1,
            "open": 3,
            "waiting": 2,
            "replied": 1,
            "parts": 1,
            "solved": 2,
            "closed": 2,
            "pending": 1,
        },
    ),
    (
        SPREAD,
        {
            "new": 0.2,
            "open": 0.8,
            "waiting": 0.6,
            "replied": 0.4,
            "parts": 0.3,
            "closed": 8,
            "pending": 0.3,
        },
    ),
]

# Ending → the steps that lead there; `approve` is added after a transition that waits for a
# head, `pending` leaves one waiting; `parts` (waiting for parts) is the repairs' own.
PATHS: dict[str, tuple[str, ...]] = {
    "new": (),
    "open": ("start", "reply"),
    "waiting": ("start", "reply", "ask"),
    "replied": ("start", "ask", "customer_replied"),
    "solved": ("start", "reply", "solve"),
    "closed": ("start", "reply", "solve", "close"),
    "pending": ("start", "reply", "solve"),
    "parts": ("start", "reply", "ask"),
}
REPAIR_PATHS: dict[str, tuple[str, ...]] = {
    "solved": ("start", "reply", "order_parts", "approve", "parts_arrived", "solve"),
    "closed": ("start", "reply", "order_parts", "approve", "parts_arrived", "solve", "close"),
    "pending": ("start", "reply", "order_parts"),
    "parts": ("start", "reply", "order_parts", "approve"),
}
REFUND_APPROVAL_ABOVE = 500  # the refund workflow's solve waits for a head above this amount

# How long after the previous step each action happens (low, high).
GAPS: dict[str, tuple[timedelta, timedelta]] = {
    "start": (timedelta(minutes=5), timedelta(hours=3)),
    "reply": (timedelta(minutes=1), timedelta(minutes=30)),
    "note": (timedelta(minutes=10), timedelta(hours=4)),
    "ask": (timedelta(minutes=10), timedelta(hours=2)),
    "customer_replied": (timedelta(hours=2), timedelta(days=2)),
    "solve": (timedelta(hours=1), timedelta(days=2)),
    "approve": (timedelta(minutes=30), timedelta(hours=20)),
    "order_parts": (timedelta(hours=1), timedelta(hours=8)),
    "parts_arrived": (timedelta(days=1), timedelta(days=4)),
    "close": (timedelta(hours=4), timedelta(days=2)),
}


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def ending_for(rng: random.Random, age: timedelta) -> str:
    """Where the story of a ticket this old ends."""
    for limit, weights in ENDINGS_BY_AGE:
        if age <= limit:
            return _weighted(rng, weights)
    return _weighted(rng, ENDINGS_BY_AGE[-1][1])


def _needs_approval(template: str, data: dict[str, Any]) -> bool:
    return template == "refund" and float(data["refund_amount"]) > REFUND_APPROVAL_ABOVE


def path_for(template: str, data: dict[str, Any], ending: str, rng: random.Random) -> list[str]:
    """The actions of a story: its ending's path, approvals where the workflow asks for them.

    A `pending` ending needs a transition that waits for a head: without one it stays open.
    """
    if ending == "pending" and template != "repair" and not _needs_approval(template, data):
        ending = "open"
    path = list((REPAIR_PATHS if template == "repair" else {}).get(ending, PATHS[ending]))
    if template == "refund" and _needs_approval(template, data) and ending != "pending":
        path = [a for n in path for a in ((n, "approve") if n == "solve" else (n,))]
    if "reply" in path and rng.random() < 0.15:
        path.remove("reply")  # no first reply yet: its target runs out
    if len(path) > 1 and rng.random() < 0.25:
        path.insert(1, "note")
    return path


def _times(
    rng: random.Random, opened_at: datetime, actions: Sequence[str], now: datetime
) -> list[datetime]:
    """When each action happens: random gaps, squeezed so the last is QUIET before `now`."""
    gaps = [rng.uniform(*(g.total_seconds() for g in GAPS[a])) for a in actions]
    room = (now - QUIET - opened_at).total_seconds()
    scale = min(1.0, room / sum(gaps)) if gaps and sum(gaps) > 0 else 1.0
    times, at = [], opened_at
    for gap in gaps:
        at += timedelta(seconds=gap * scale)
        times.append(at)
    return times


def _opened_at(rng: random.Random, now: datetime) -> datetime:
    """More of them lately; mostly in Shanghai office hours (01:00-10:00 UTC), some at any hour."""
    day = now - SPREAD * rng.random() ** 1.6
    if rng.random() < 0.8:
        office = day.replace(hour=rng.randint(1, 9), minute=rng.randint(0, 59))
        day = office if office >= now - SPREAD else day  # never before the SPREAD
    latest = now - QUIET - timedelta(minutes=1)
    # Too late: some time in the hour before, not all at one instant (they open oldest first).
    return day if day <= latest else latest - timedelta(seconds=3600 * rng.random())


def plan_tickets(count: int, now: datetime, seed: int = SEED) -> list[Story]:
    """`count` demo stories opened over the SPREAD before `now`, oldest first."""
    rng = random.Random(seed)
    names = list(samples.TEMPLATE_WEIGHTS)
    weights = [samples.TEMPLATE_WEIGHTS[n] for n in names]
    stories = []
    for _ in range(count):
        template = rng.choices(names, weights=weights)[0]
        person, language = samples.requester(rng)
        data = samples.TEMPLATES[template](rng, person, language)
        opened_at = _opened_at(rng, now)
        path = path_for(template, data, ending_for(rng, now - opened_at), rng)
        times = _times(rng, opened_at, path, now)
        steps = tuple(Step(a, t) for a, t in zip(path, times, strict=True))
        stories.append(
            Story(
                template=template,
                data=data,
                requester=person,
                channel=rng.choices(["web", "email", "agent"], weights=[5, 3, 2])[0],
                priority="high" if rng.random() < 0.08 else None,
                opened_at=opened_at,
                steps=steps,
                pick=rng.random(),
                texts={
                    "reply": rng.choice(samples.REPLIES),
                    "question": rng.choice(samples.QUESTIONS),
                    "answer": rng.choice(samples.CUSTOMER_REPLIES),
                    "note": rng.choice(samples.NOTES),
                },
            )
        )
    return sorted(stories, key=lambda s: s.opened_at)


# ---------------------------------------------------------------------------------------------
# Playing a story through the services


@dataclass(frozen=True)
class Actor:
    """A demo user as the services read one: its id and FAB roles (plain, never expired)."""

    id: int
    username: str
    roles: tuple[Any, ...] = ()


@dataclass
class Desk:
    """What every story of one load reads: the templates, the people, the departments."""

    templates: dict[str, TemplateForm]
    actors: dict[int, Actor]
    members: dict[tuple[int, str], list[Actor]]
    departments: dict[str, int]
    rng: random.Random

    @classmethod
    def read(cls, seed: int) -> Desk:
        """The published demo templates, every user and every membership, read once."""
        actors = {
            u.id: Actor(u.id, u.username, tuple(_Role(r.name) for r in u.roles))
            for u in security_manager().get_all_users()
        }
        members: dict[tuple[int, str], list[Actor]] = {}
        rows = db.session.execute(
            select(Membership.department_id, Membership.role, Membership.user_id).order_by(
                Membership.user_id
            )
        )
        for department_id, role, user_id in rows:
            members.setdefault((department_id, role), []).append(actors[user_id])
        templates = {key: published_template(key) for key in samples.TEMPLATES}
        rows = db.session.execute(select(Department.key, Department.id))
        departments = {key: department_id for key, department_id in rows}
        return cls(templates, actors, members, departments, random.Random(seed))

    def by_name(self, username: str) -> Actor:
        return next(a for a in self.actors.values() if a.username == username)

    def in_role(self, department_id: int, role: MemberRole) -> list[Actor]:
        """The department's members in `role`, by user id."""
        return self.members.get((department_id, role.value), [])


@dataclass(frozen=True)
class _Role:
    name: str


@dataclass
class Play:
    """A story being played: the ticket, who works it, and the wall time of each step."""

    story: Story
    ticket_id: int
    desk: Desk
    handler: Actor | None = None
    approval_id: int | None = None
    # (wall time the step started, planned time): `backdate_demo_ticket` maps one on the other.
    marks: list[tuple[datetime, datetime]] = field(default_factory=list)

    def lock(self) -> int:
        return int(get_ticket(self.ticket_id).lock_version)


def _handler(play: Play) -> Actor:
    """Who works the ticket: its assignee, else a member of its department claims it."""
    if play.handler is not None:
        return play.handler
    ticket = get_ticket(play.ticket_id)
    if ticket.assignee_id is None:
        desk = play.desk
        members = desk.in_role(ticket.department_id, MemberRole.AGENT) or desk.in_role(
            ticket.department_id, MemberRole.HEAD
        )
        chosen = members[int(play.story.pick * len(members))]
        claim(ticket.id, chosen)
        play.handler = chosen
    else:
        play.handler = play.desk.actors[ticket.assignee_id]
    return play.handler


Action = Callable[[Play], None]


def _no_data(play: Play) -> dict[str, Any] | None:
    return None


def _transition(name: str, data: Callable[[Play], dict[str, Any] | None] = _no_data) -> Action:
    """Take the workflow transition `name` as the ticket's handler (with `data`)."""

    def act(play: Play) -> None:
        user = _handler(play)
        taken = take(play.ticket_id, name, play.lock(), user, data=data(play))
        if taken.approval is not None:
            play.approval_id = taken.approval.id

    return act


def _comment(text: str, *, internal: bool = False, customer: bool = False) -> Action:
    """A reply or note of the handler, or the customer's answer by e-mail."""

    def act(play: Play) -> None:
        author = None if customer else _handler(play).id
        channel = Channel.EMAIL.value if customer else Channel.AGENT.value
        add_comment(
            play.ticket_id, play.story.texts[text], author, internal=internal, channel=channel
        )

    return act


def _ask(play: Play) -> None:
    _comment("question")(play)
    _transition("ask_customer")(play)


def _customer_replied(play: Play) -> None:
    _comment("answer", customer=True)(play)
    _transition("customer_replied")(play)


def _approve(play: Play) -> None:
    """The head of the ticket's department approves the waiting transition."""
    if play.approval_id is None:
        raise RuntimeError(f"demo ticket {play.ticket_id}: nothing waits for approval")
    ticket = get_ticket(play.ticket_id)
    requester = _handler(play).id
    heads = play.desk.in_role(ticket.department_id, MemberRole.HEAD)
    decider = next(h for h in heads if h.id != requester)
    decide(play.approval_id, decider.id, True, "Checked, go ahead. 同意。")
    play.approval_id = None


def _resolution(play: Play) -> dict[str, Any]:
    return {"resolution": samples.RESOLUTIONS[play.story.template]}


def _parts(play: Play) -> dict[str, Any]:
    return {"parts": samples.PARTS[play.story.data["product_model"]]}


ACTIONS: dict[str, Action] = {
    "start": _transition("start"),
    "reply": _comment("reply"),
    "note": _comment("note", internal=True),
    "ask": _ask,
    "customer_replied": _customer_replied,
    "solve": _transition("solve", _resolution),
    "approve": _approve,
    "order_parts": _transition("order_parts", _parts),
    "parts_arrived": _transition("parts_arrived"),
    "close": _transition("close"),
}
"""What each step of a story does, through the services an agent's page calls."""


def _open(story: Story, desk: Desk) -> Ticket:
    opener = desk.rng.choice(OPENERS)  # drawn for every story: the sequence stays the same
    actor = desk.by_name(opener).id if story.channel == "agent" else None
    return open_ticket(
        NewTicket(
            checked=check_data(desk.templates[story.template], story.data),
            requester=story.requester,
            channel=story.channel,
            actor_id=actor,
            priority=story.priority,
        )
    )


# Routing rules that park a ticket in the frontline queue to be handed on in office hours:
# routing sees the time the demo is loaded, and that is often outside them.
HANDED_ON = frozenset({"after_hours"})


def _routed_by(ticket_id: int) -> str | None:
    """The routing rule that placed the ticket (its `created` event says)."""
    created = db.session.scalar(
        select(TicketEvent.new).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.CREATED.value
        )
    )
    return (created or {}).get("routing", {}).get("rule")


def _hand_on(play: Play) -> None:
    """A member of the parking department transfers the ticket to its template's department."""
    ticket = get_ticket(play.ticket_id)
    desk = play.desk
    members = desk.in_role(ticket.department_id, MemberRole.AGENT)
    sender = members[int(play.story.pick * len(members))]
    target = desk.departments[
        str(desk.templates[play.story.template].settings["default_department"])
    ]
    transfer(
        ticket.id,
        ticket.lock_version,
        sender,
        department_id=target,
        reason="Arrived after hours: handed on to the department that handles it. 转交处理部门。",
    )
    play.handler = None


def play_story(story: Story, desk: Desk) -> Play:
    """Open the story's ticket and play its steps; then move it back to the planned times."""
    started = utcnow()
    ticket = _open(story, desk)
    play = Play(story, ticket.id, desk, marks=[(started, story.opened_at)])
    parked = _routed_by(ticket.id) in HANDED_ON
    for step in story.steps:
        play.marks.append((utcnow(), step.at))
        try:
            if parked:
                _hand_on(play)
                parked = False
            ACTIONS[step.action](play)
        except Exception as exc:
            raise RuntimeError(
                f"demo ticket {ticket.number} ({story.template}), step {step.action}: {exc}"
            ) from exc
    backdate_demo_ticket(db.session, play.ticket_id, play.marks)
    return play


# ---------------------------------------------------------------------------------------------
# Moving a played story back in time (demo data only)


def _mapper(marks: Sequence[tuple[datetime, datetime]]) -> Callable[[datetime], datetime]:
    """Wall time → planned time: each step's writes move with its mark, keeping their order."""
    walls = [aware(wall) for wall, _ in marks]

    def moved(value: datetime) -> datetime:
        value = aware(value)
        index = max(bisect.bisect_right(walls, value) - 1, 0)
        return marks[index][1] + (value - walls[index])

    return moved


def _moved_or_none(moved: Callable[[datetime], datetime], value: datetime | None) -> Any:
    return moved(value) if value is not None else None


TICKET_TIMES = ("created_at", "updated_at", "first_response_at")
REPLAYED = (
    "category",
    "state_entered_at",
    "resolved_at",
    "closed_at",
    "sla_policy",
    "sla_started_at",
    "sla_paused_seconds",
    "sla_paused_at",
    "first_response_due_at",
    "resolution_due_at",
)


def backdate_demo_ticket(
    s: Session, ticket_id: int, marks: Sequence[tuple[datetime, datetime]]
) -> None:
    """Move a demo ticket's writes from the wall times in `marks` to their planned times.

    Demo data only: real tickets keep the times their changes happened. See the module's
    docstring for what moves and how the SLA follows; commits.
    """
    moved = _mapper(marks)
    ticket = s.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise RuntimeError(f"No demo ticket with id {ticket_id}.")
    events = list(
        s.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )
    s.expunge(ticket)  # replayed on a detached copy: no flush, no new ticket version
    for name in TICKET_TIMES:
        setattr(ticket, name, _moved_or_none(moved, getattr(ticket, name)))
    sla_views = _replay_states(ticket, events, moved)
    s.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values({n: getattr(ticket, n) for n in (*TICKET_TIMES, *REPLAYED)})
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(TicketEvent),
        [{"id": e.id, "at": moved(e.at), **sla_views.get(e.id, {})} for e in events],
    )
    _backdate_rows(s, ticket_id, moved)
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.done_at.is_(None))
        .values(done_at=utcnow())
    )
    plan_sla(s, ticket)
    plan_auto_close(s, ticket)
    s.commit()


def _replay_states(
    ticket: Ticket, events: Sequence[TicketEvent], moved: Callable[[datetime], datetime]
) -> dict[int, dict[str, Any]]:
    """Replay the ticket's state changes at their moved times; {sla_changed event id: values}.

    From the state it was opened in, with the clock started at its moved creation time, each
    `state_changed` row goes through `lifecycle.follow` as when it was written; the SLA view
    that yields replaces the one the `sla_changed` row of the same write recorded.
    """
    workflow = workflow_of(ticket).workflow
    created = next(e for e in events if e.kind == EventKind.CREATED.value)
    final_state = ticket.state
    ticket.state = str(created.new["state"])
    ticket.category = workflow.initial.category.value
    ticket.resolved_at = ticket.closed_at = None
    ticket.state_entered_at = ticket.created_at
    ticket.sla_paused_seconds, ticket.sla_paused_at = 0.0, None
    start_clock(ticket, workflow, document.of_ticket(ticket, workflow.calendar), ticket.created_at)
    views: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.kind != EventKind.STATE_CHANGED.value:
            continue
        ticket.state = str(event.new)
        changes = list(follow(ticket, {"state"}, moved(event.at)))
        found = [c for c in changes if c[0] is EventKind.SLA_CHANGED]
        row = next(
            (e for e in events if e.kind == EventKind.SLA_CHANGED.value and e.at == event.at), None
        )
        if row is not None and found:
            views[row.id] = {"old": found[0][2], "new": found[0][3]}
    if ticket.state != final_state:
        raise RuntimeError(f"demo ticket {ticket.number}: replay ended in {ticket.state}")
    return views


def _backdate_rows(s: Session, ticket_id: int, moved: Callable[[datetime], datetime]) -> None:
    """The ticket's comments, approval requests and those requests' audit rows."""
    comments = s.execute(
        select(Comment.id, Comment.created_at).where(Comment.ticket_id == ticket_id)
    ).all()
    if comments:
        s.execute(update(Comment), [{"id": i, "created_at": moved(at)} for i, at in comments])
    requests = s.execute(
        select(ApprovalRequest.id, ApprovalRequest.requested_at, ApprovalRequest.decided_at).where(
            ApprovalRequest.ticket_id == ticket_id
        )
    ).all()
    if not requests:
        return
    s.execute(
        update(ApprovalRequest),
        [
            {"id": i, "requested_at": moved(asked), "decided_at": _moved_or_none(moved, decided)}
            for i, asked, decided in requests
        ],
    )
    audits = s.execute(
        select(AuditLog.id, AuditLog.at).where(
            AuditLog.object_type.like("approval:%"),
            AuditLog.object_id.in_([i for i, _, _ in requests]),
        )
    ).all()
    if audits:
        s.execute(update(AuditLog), [{"id": i, "at": moved(at)} for i, at in audits])


# ---------------------------------------------------------------------------------------------
# Loading


def load_demo_tickets(count: int = DEMO_TICKETS, seed: int = SEED) -> int:
    """Play `count` demo stories into a desk without tickets; how many were opened.

    None (0) when the desk has any ticket already.
    """
    if count <= 0 or db.session.scalar(select(Ticket.id).limit(1)) is not None:
        return 0
    desk = Desk.read(seed)
    stories = plan_tickets(count, utcnow(), seed)
    with bulk_load(db.engine):
        for story in stories:
            play_story(story, desk)
    return len(stories)


@contextmanager
def bulk_load(engine: Engine) -> Iterator[None]:
    """Commits that leave the outbox to the sweep and do not wait for the disk.

    The demo can be loaded again from scratch, so its commits need not survive a crash:
    SQLite `synchronous = OFF`, PostgreSQL `synchronous_commit = off` on every connection
    checked out meanwhile. The session and the pool are dropped afterwards, so neither the
    hold nor the setting outlives the load.
    """
    statement = {
        "sqlite": "PRAGMA synchronous = OFF",
        "postgresql": "SET synchronous_commit = off",
    }.get(engine.dialect.name)

    def relax(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    if statement is not None:
        sa_event.listen(engine, "checkout", relax)
    db.session.remove()
    db.session.info[HOLD] = True
    try:
        yield
    finally:
        if statement is not None:
            sa_event.remove(engine, "checkout", relax)
        db.session.remove()
        engine.dispose()
