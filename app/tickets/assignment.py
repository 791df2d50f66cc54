"""Assignment against the database: a department's candidates, its rotation pointer, the pick.

The pure strategies are in `workflows.assignment`; this module gives them each agent of the
department (heads approve and may claim, but assignment does not hand them tickets) with
their load (tickets assigned to them in the department that are still being worked), and keeps
the department's round-robin pointer in `assignment_pointer`, locked while it is read and
written, so concurrent assignments in one department take turns.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import Availability, MemberRole, Membership
from app.tickets.models import ACTIVE_CATEGORIES, AssignmentPointer, Ticket
from workflows import Candidate, Strategy, Workflow


def loads(s: Session, department_id: int) -> dict[int, int]:
    """{user id: tickets assigned to them in the department that are still being worked}."""
    rows = s.execute(
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.department_id == department_id,
            Ticket.assignee_id.is_not(None),
            Ticket.category.in_(ACTIVE_CATEGORIES),
        )
        .group_by(Ticket.assignee_id)
    ).all()
    return {int(user_id): int(count) for user_id, count in rows if user_id is not None}


def candidates(s: Session, department_id: int) -> list[Candidate]:
    """The department's agents as assignment sees them."""
    members = s.scalars(
        select(Membership).where(
            Membership.department_id == department_id,
            Membership.role == MemberRole.AGENT.value,
        )
    ).all()
    load = loads(s, department_id)
    return [
        Candidate(
            user_id=m.user_id,
            load=load.get(m.user_id, 0),
            capacity=m.capacity,
            skills=frozenset(m.skills or ()),
            available=m.availability == Availability.AVAILABLE.value,
        )
        for m in members
    ]


def _pointer(s: Session, department_id: int) -> AssignmentPointer:
    """The department's pointer row, created if missing, locked until the transaction ends."""
    dialect = s.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    s.execute(
        insert(AssignmentPointer).values(department_id=department_id).on_conflict_do_nothing()
    )
    row = s.scalars(
        select(AssignmentPointer)
        .where(AssignmentPointer.department_id == department_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def assign(
    s: Session,
    workflow: Workflow,
    department_id: int,
    strategy: Strategy,
    skills: Iterable[str] = (),
) -> int | None:
    """Who gets a ticket of the department by `strategy` (None: the group queue).

    Moves the department's rotation pointer in the caller's transaction.
    """
    if strategy is Strategy.MANUAL:
        return None
    pointer = _pointer(s, department_id)
    choice = workflow.choose_assignee(
        strategy, candidates(s, department_id), pointer.user_id, skills
    )
    if choice.user_id is not None:
        pointer.user_id = choice.pointer
    return choice.user_id
