"""The start page: what each of the user's roles needs first; anonymous users get the sign-in.

A user sees one section per role they hold, each short and linking to its full page:

- agents (an agent membership in a department): their open tickets, the unassigned open
  tickets of each of their departments, and their tickets due soon (the next SLA target within
  DUE_SOON, or overdue), soonest first;
- department heads (a head membership, as `app.approvals` and the workflows' `head` role read
  it): the approval requests waiting for them, their departments' tickets at risk (due soon,
  overdue, or their SLA warned or breached) and each agent's open tickets against capacity;
- admins: definitions in draft, the job queue and the outbox, the latest audit entries.

Tickets are read by the list query (`app.tickets.query` with `TicketFilters`): its pages, and
its counts, which stop at COUNT_CAP ("1,000+"); a short list that is complete is its own count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import g, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.approvals import inbox
from app.clock import utcnow
from app.extensions import db
from app.models import (
    ApprovalKind,
    ApprovalRequest,
    AuditLog,
    Availability,
    Definition,
    DefinitionStatus,
    MemberRole,
    Membership,
)
from app.outbox import Backlog, backlog, oldest_unsent_age
from app.security import ROLE_ADMIN
from app.tickets import query
from app.tickets.access import all_departments, member_roles, users_by_id, visible_departments
from app.tickets.assignment import loads
from app.tickets.filters import SlaDue
from app.tickets.models import ACTIVE_CATEGORIES, Ticket
from app.tickets.query import COUNT_CAP, Sort, TicketFilters
from app.views.approvals import transition_label
from app.views.display import minute
from app.views.ticket_lists import sla_text, span

LIST_LIMIT = 5
AUDIT_LIMIT = 8
DUE_SOON = timedelta(hours=8)
OPEN = tuple(ACTIVE_CATEGORIES)  # new, open, waiting: still being worked


@dataclass(frozen=True)
class Count:
    """A count as the lists give it: exact up to COUNT_CAP, else "more than"."""

    n: int
    capped: bool = False

    @property
    def text(self) -> str:
        return f"{self.n:,}+" if self.capped else f"{self.n:,}"


@dataclass(frozen=True)
class Listed:
    """A short list, how many there are in all, and the page with all of them."""

    rows: Sequence[Any]
    count: Count
    link: str


def _tickets(filters: TicketFilters, link: str) -> Listed:
    """The first LIST_LIMIT tickets of `filters` and their capped count."""
    page = query.list_tickets(filters, limit=LIST_LIMIT)
    if page.next_cursor is None:
        return Listed(page.tickets, Count(len(page.tickets)), link)
    return Listed(page.tickets, _ticket_count(filters), link)


def _ticket_count(filters: TicketFilters) -> Count:
    return Count(*query.count_tickets(filters, cap=COUNT_CAP))


def _capped(statement: Select[Any]) -> Count:
    """How many rows `statement` has, counting at most COUNT_CAP + 1 of them."""
    rows = statement.order_by(None).limit(COUNT_CAP + 1).subquery()
    n = int(db.session.scalar(select(func.count()).select_from(rows)) or 0)
    return Count(COUNT_CAP, True) if n > COUNT_CAP else Count(n)


def _list_link(**args: Any) -> str:
    return url_for("TicketView.index", category=",".join(OPEN), **args)


# ---------------------------------------------------------------------------------------------
# Agents


@dataclass(frozen=True)
class Queue:
    """A department's unassigned open tickets."""

    department_id: int
    count: Count
    link: str


@dataclass(frozen=True)
class AgentHome:
    mine: Listed
    queues: list[Queue]
    due: Listed


def agent_home(
    user_id: int, departments: Iterable[int], scope: Collection[int] | None, now: datetime
) -> AgentHome:
    """The agent's open tickets, their departments' queues and what is due soon.

    `scope`: the departments whose tickets the user may see (None: all), as on the lists.
    """
    mine = TicketFilters(assignee=user_id, categories=OPEN, department_ids=scope)
    queues = [
        Queue(
            d,
            _ticket_count(
                TicketFilters(
                    department_ids=frozenset({d}), assignee=query.UNASSIGNED, categories=OPEN
                )
            ),
            _list_link(view="queue", department=d),
        )
        for d in sorted(departments)
    ]
    due = replace(mine, sla_due=SlaDue(now + DUE_SOON), sort=Sort.DUE)
    return AgentHome(
        mine=_tickets(mine, _list_link(view="mine")),
        queues=queues,
        due=_tickets(due, _list_link(view="mine", sort=Sort.DUE.value)),
    )


# ---------------------------------------------------------------------------------------------
# Department heads


@dataclass(frozen=True)
class Approval:
    """A pending request as the start page names it."""

    request: ApprovalRequest
    what: str
    ticket: Ticket | None


@dataclass(frozen=True)
class Load:
    """One agent of a department: open tickets assigned to them against their capacity."""

    user_id: int
    name: str
    load: int
    capacity: int
    away: bool

    @property
    def over(self) -> bool:
        return self.load >= self.capacity


@dataclass(frozen=True)
class Workload:
    department_id: int
    agents: list[Load]
    unassigned: Count


@dataclass(frozen=True)
class HeadHome:
    approvals: Listed
    at_risk: Listed
    workload: list[Workload]


def _approvals(user_id: int) -> Listed:
    """The requests waiting for the user's decision, newest first, each with what it is about."""
    waiting = inbox(user_id)
    found = list(db.session.scalars(waiting.limit(LIST_LIMIT + 1)))
    count = Count(len(found)) if len(found) <= LIST_LIMIT else _capped(waiting)
    found = found[:LIST_LIMIT]
    tickets = _by_id(Ticket, [r.ticket_id for r in found])
    definitions = _by_id(Definition, [r.definition_id for r in found])
    rows = [_approval(r, tickets, definitions) for r in found]
    return Listed(rows, count, url_for("ApprovalsView.pending"))


def _by_id(model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(wanted)))}


def _approval(
    request: ApprovalRequest, tickets: dict[int, Ticket], definitions: dict[int, Definition]
) -> Approval:
    if request.kind == ApprovalKind.TRANSITION.value:
        ticket = tickets.get(request.ticket_id or 0)
        name = request.transition or ""
        return Approval(request, transition_label(ticket, name) if ticket else name, ticket)
    row = definitions.get(request.definition_id or 0)
    what = _("Workflow %(key)s v%(version)s", key=row.key, version=row.version) if row else ""
    return Approval(request, what, None)


def _workload(department_id: int, members: Sequence[Membership], names: dict[int, Any]) -> Workload:
    """The department's agents with their load, and its unassigned open tickets."""
    held = loads(db.session, department_id)
    agents = [
        Load(
            m.user_id,
            (names.get(m.user_id) or {}).get("name") or str(m.user_id),
            held.get(m.user_id, 0),
            m.capacity,
            m.availability == Availability.AWAY.value,
        )
        for m in members
    ]
    unassigned = _ticket_count(
        TicketFilters(
            department_ids=frozenset({department_id}), assignee=query.UNASSIGNED, categories=OPEN
        )
    )
    return Workload(department_id, sorted(agents, key=lambda a: a.name.lower()), unassigned)


def head_home(user_id: int, departments: Iterable[int], now: datetime) -> HeadHome:
    """What waits for the head's decision, what is at risk, and who carries how much."""
    headed = sorted(departments)
    at_risk = TicketFilters(
        department_ids=frozenset(headed),
        categories=OPEN,
        sla_due=SlaDue(now + DUE_SOON, alerted=True),
        sort=Sort.DUE,
    )
    members = list(
        db.session.scalars(
            select(Membership).where(
                Membership.department_id.in_(headed), Membership.role == MemberRole.AGENT.value
            )
        )
    )
    names = users_by_id(m.user_id for m in members)
    workload = [_workload(d, [m for m in members if m.department_id == d], names) for d in headed]
    return HeadHome(
        approvals=_approvals(user_id),
        at_risk=_tickets(at_risk, _list_link(sort=Sort.DUE.value)),
        workload=workload,
    )


# ---------------------------------------------------------------------------------------------
# Admins


@dataclass(frozen=True)
class AdminHome:
    drafts: Listed
    queue: dict[str, Any]
    outbox: Backlog
    unsent_age: float | None
    audit: list[AuditLog]


def _drafts() -> Listed:
    drafts = select(Definition).where(Definition.status == DefinitionStatus.DRAFT.value)
    found = list(
        db.session.scalars(
            drafts.order_by(Definition.updated_at.desc(), Definition.id.desc()).limit(
                LIST_LIMIT + 1
            )
        )
    )
    count = Count(len(found)) if len(found) <= LIST_LIMIT else _capped(drafts)
    return Listed(found[:LIST_LIMIT], count, "")  # the template links each kind's console


def admin_home() -> AdminHome:
    """Drafts, the job queue and the outbox, and the latest audit entries."""
    from app.ops import queue_stats

    audit = list(
        db.session.scalars(
            select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(AUDIT_LIMIT)
        )
    )
    return AdminHome(
        drafts=_drafts(),
        queue=queue_stats(),
        outbox=backlog(db.session),
        unsent_age=oldest_unsent_age(db.session),
        audit=audit,
    )


# ---------------------------------------------------------------------------------------------
# The page


@dataclass(frozen=True)
class Home:
    """The sections of one user's start page (None: a role they do not hold)."""

    agent: AgentHome | None
    head: HeadHome | None
    admin: AdminHome | None
    departments: dict[int, str]
    users: dict[int, Any]
    now: datetime


def home_for(user: Any, now: datetime) -> Home:
    """Every section the user's roles call for."""
    roles = member_roles(int(user.id))
    agent_of = [d for d, role in roles.items() if role == MemberRole.AGENT.value]
    head_of = [d for d, role in roles.items() if role == MemberRole.HEAD.value]
    is_admin = ROLE_ADMIN in {r.name for r in user.roles}
    agent = agent_home(int(user.id), agent_of, visible_departments(), now) if agent_of else None
    head = head_home(int(user.id), head_of, now) if head_of else None
    shown = [*(agent.mine.rows if agent else ()), *(agent.due.rows if agent else ())]
    shown += [*(head.at_risk.rows if head else ())]
    shown += [a.ticket for a in (head.approvals.rows if head else ()) if a.ticket is not None]
    people: list[int | None] = [t.assignee_id for t in shown]
    admin = admin_home() if is_admin else None
    if head:
        people += [a.request.requested_by_id for a in head.approvals.rows]
    if admin:
        people += [entry.actor_id for entry in admin.audit]
    return Home(
        agent=agent,
        head=head,
        admin=admin,
        departments={d.id: d.name for d in all_departments()},
        users=users_by_id(people),
        now=now,
    )


def ago(seconds: float | None) -> str:
    """A wait as people read it ("2h 5m"); nothing for none."""
    return span(timedelta(seconds=seconds)) if seconds is not None else ""


class HomeView(IndexView):
    """The start page of every role (the sign-in link when anonymous)."""

    @expose("/")
    def index(self) -> Any:
        """The sections the user's roles call for."""
        user = g.user
        home = None
        if user is not None and user.is_authenticated:
            home = home_for(user, utcnow())
        return self.render_template(
            "tessera/index.html",
            home=home,
            sla_text=sla_text,
            minute=minute,
            ago=ago,
            due_hours=int(DUE_SOON.total_seconds() // 3600),
        )
