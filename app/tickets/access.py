"""Who may see which tickets, and the lookups the API and the agent pages share.

Admins see every ticket; everyone else works on the tickets of the departments they are a
member of. Whoever created a ticket, or commented on it, keeps *read* access (and may still
reply) wherever it is routed or transferred: `readable_ticket`. Changing it (fields, state,
assignee) stays with its department: `visible_ticket`. A ticket outside the caller's scope is
reported exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g
from sqlalchemy import exists, select

from app.extensions import db
from app.limits import MAX_ID
from app.models import Department, Membership
from app.security import ROLE_ADMIN
from app.tickets.errors import TicketError, TicketNotFound, TicketReadOnly
from app.tickets.models import Comment, Ticket
from app.tickets.templates import TemplateForm


class NoDefaultDepartment(TicketError):
    """The template names no existing default department: a new ticket has nowhere to go."""

    status = 409


def visible_departments() -> set[int] | None:
    """Department ids the current user may see tickets of; None = every department (Admin)."""
    user = g.user
    if any(role.name == ROLE_ADMIN for role in getattr(user, "roles", [])):
        return None
    return set(
        db.session.scalars(select(Membership.department_id).where(Membership.user_id == user.id))
    )


def _ticket(pk: int) -> Ticket:
    ticket = db.session.get(Ticket, pk) if 1 <= pk <= MAX_ID else None
    if ticket is None:
        raise TicketNotFound(f"No ticket with id {pk}.")
    return ticket


def works_on(ticket: Ticket) -> bool:
    """Whether the current user may change the ticket: it is in one of their departments."""
    scope = visible_departments()
    return scope is None or ticket.department_id in scope


def follows(ticket: Ticket, user_id: int) -> bool:
    """Whether the user created the ticket or commented on it (read access from anywhere)."""
    if ticket.created_by_id == user_id:
        return True
    commented = exists().where(Comment.ticket_id == ticket.id, Comment.author_id == user_id)
    return bool(db.session.scalar(select(commented)))


def visible_ticket(pk: int) -> Ticket:
    """The ticket if it exists and the user works on it (`works_on`).

    TicketReadOnly when the user only follows it (`follows`), TicketNotFound otherwise.
    """
    ticket = _ticket(pk)
    if not works_on(ticket):
        if follows(ticket, int(g.user.id)):
            raise TicketReadOnly(
                f"Ticket {ticket.number} belongs to another department: you may read it and "
                "reply, not change it."
            )
        raise TicketNotFound(f"No ticket with id {pk}.")
    return ticket


def readable_ticket(pk: int) -> Ticket:
    """The ticket if the user works on it or follows it (`follows`); otherwise TicketNotFound."""
    ticket = _ticket(pk)
    if not works_on(ticket) and not follows(ticket, int(g.user.id)):
        raise TicketNotFound(f"No ticket with id {pk}.")
    return ticket


def users_by_id(ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    """{id: {id, username, name}} for the given user ids (one query)."""
    from flask_appbuilder.security.sqla.models import User

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.scalars(select(User).where(User.id.in_(sorted(wanted))))
    return {
        u.id: {"id": u.id, "username": u.username, "name": f"{u.first_name} {u.last_name}".strip()}
        for u in rows
    }


def default_department_id(template: TemplateForm) -> int:
    """The id of the template's `settings.default_department`, or NoDefaultDepartment."""
    key = template.settings.get("default_department")
    department = (
        db.session.scalar(select(Department).where(Department.key == key))
        if isinstance(key, str)
        else None
    )
    if department is None:
        raise NoDefaultDepartment(
            f"The template {template.key!r} names no existing default department; "
            "tickets cannot be routed."
        )
    return department.id


def department_members(department_id: int) -> list[dict[str, Any]]:
    """The members of a department as {id, username, name, availability}, by name."""
    rows = db.session.execute(
        select(Membership.user_id, Membership.availability).where(
            Membership.department_id == department_id
        )
    ).all()
    users = users_by_id(user_id for user_id, _ in rows)
    found = [
        {**users[user_id], "availability": availability}
        for user_id, availability in rows
        if user_id in users
    ]
    return sorted(found, key=lambda u: (u["name"] or u["username"]).lower())


def parse_assignee(errors: dict[str, list[str]], department_id: int, value: Any) -> int | None:
    """The assignee a request names: a member of the ticket's department, "me", or None.

    `None`/`""` is the department's group queue (unassigned). Anyone else is refused with a
    message at `/assignee` (a ticket is only ever assigned within its department).
    """
    if value is None or value == "":
        return None
    if value == "me":
        value = int(g.user.id)
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        errors["/assignee"] = ['Give a user id, "me", or null for the department\'s queue.']
        return None
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.department_id == department_id, Membership.user_id == value
        )
    )
    if member is None:
        errors["/assignee"] = ["Not a member of the ticket's department."]
        return None
    return value
