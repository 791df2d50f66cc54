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
from app.security import ROLE_ADMIN, request_memo
from app.tickets.errors import TicketError, TicketNotFound, TicketReadOnly
from app.tickets.models import Comment, Ticket
from app.tickets.templates import TemplateForm


class NoDefaultDepartment(TicketError):
    """The template names no existing default department: a new ticket has nowhere to go."""

    status = 409


def member_roles(user_id: int) -> dict[int, str]:
    """{department id: membership role} of a user, read once per request."""

    def read() -> dict[int, str]:
        rows = db.session.execute(
            select(Membership.department_id, Membership.role).where(Membership.user_id == user_id)
        )
        return {department_id: role for department_id, role in rows}

    return request_memo(("member_roles", user_id), read)


def visible_departments() -> set[int] | None:
    """Department ids the current user may see tickets of; None = every department (Admin)."""
    user = g.user
    if any(role.name == ROLE_ADMIN for role in getattr(user, "roles", [])):
        return None
    return set(member_roles(int(user.id)))


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
    """{id: {id, username, name}} for the given user ids.

    One query for the ids this request has not looked up yet (here or as `members_of` and
    `department_members` rows), none when it has them all.
    """
    from flask_appbuilder.security.sqla.models import User

    wanted = {i for i in ids if i is not None}
    known = _known_users()
    missing = sorted(wanted - known.keys())
    if missing:
        found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(missing)))}
        for pk in missing:
            known[pk] = _user_entry(found[pk]) if pk in found else None
    return {pk: entry for pk in wanted if (entry := known[pk]) is not None}


def members_of(department_ids: Iterable[int]) -> list[dict[str, Any]]:
    """{id, username, name} of everyone who is a member of one of the departments (one query)."""
    from flask_appbuilder.security.sqla.models import User

    ids = sorted(set(department_ids))
    if not ids:
        return []
    member = select(Membership.user_id).where(Membership.department_id.in_(ids))
    rows = db.session.scalars(select(User).where(User.id.in_(member)))
    return [_remember(user) for user in rows]


def _known_users() -> dict[int, dict[str, Any] | None]:
    """{id: entry, or None for no such user} of the users this request has looked up."""
    return request_memo("user_entries", dict)


def _remember(user: Any) -> dict[str, Any]:
    entry = _user_entry(user)
    _known_users()[user.id] = entry
    return entry


def _user_entry(user: Any) -> dict[str, Any]:
    name = f"{user.first_name} {user.last_name}".strip()
    return {"id": user.id, "username": user.username, "name": name}


def all_departments() -> list[Department]:
    """Every department, by name: one query per request."""
    by_name = select(Department).order_by(Department.name)
    return list(request_memo("all_departments", lambda: list(db.session.scalars(by_name))))


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
    """The members of a department as {id, username, name, availability, role}, by name.

    One query, once per request.
    """
    from flask_appbuilder.security.sqla.models import User

    def read() -> list[dict[str, Any]]:
        rows = db.session.execute(
            select(User, Membership.availability, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.department_id == department_id)
        )
        found = [
            {**_remember(user), "availability": availability, "role": role}
            for user, availability, role in rows
        ]
        return sorted(found, key=lambda u: (u["name"] or u["username"]).lower())

    return list(request_memo(("department_members", department_id), read))


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
