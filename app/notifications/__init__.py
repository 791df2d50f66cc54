"""Notifications: the in-app bell of agents and heads, and e-mail, written by jobs.

`notify(s, key=..., ticket=..., event=..., to=[...])` runs inside a job's transaction. It
resolves the recipient kinds of the workflow language to people and addresses, renders the
subject and body once (`app.notifications.render`), and writes for each distinct user one
`Notification` (key `<key>:u<user id>`) and, when the user has an e-mail address, one
`MailMessage` (key `<key>:m<address>`); the requester gets the e-mail only. Every
`MailMessage` comes with an outbox message `mail.send` that `app.notifications.mail` sends
after the commit. Keys are unique: calling `notify` again with the same key writes nothing.

Recipient kinds: `assignee` (the ticket's assignee), `requester` (the requester's e-mail, a
customer with no account), `department` (every member of the ticket's department) and
`department_head` (its members with the head role). Inactive users are left out.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from email.utils import parseaddr
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import outbox
from app.clock import utcnow
from app.models import MemberRole, Membership
from app.notifications.models import MailMessage, Notification
from app.notifications.render import render
from app.outbox import insert_once
from app.tickets.models import Ticket

__all__ = ["RECIPIENT_KINDS", "context_for", "message_id_for", "notify", "ticket_url"]

logger = logging.getLogger(__name__)

RECIPIENT_KINDS = ("assignee", "requester", "department", "department_head")
KEY_MAX = 255  # Notification.key and MailMessage.key are String(255)
EVENT_MAX = 64
ADDRESS_MAX = 254
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
MAIL_TOPIC = "mail.send"


def notify(
    s: Session,
    *,
    key: str,
    ticket: Ticket,
    event: str,
    to: Sequence[str],
    subject: str | None = None,
    message: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Write the notifications and e-mails of one effect; the number of rows created.

    `subject` and `message` are Jinja templates (None: the event's default). Rows whose key
    exists already are skipped (looked up first, and inserted with ON CONFLICT DO NOTHING),
    so a repeated effect, or two runs at once, neither duplicates nor aborts the caller's
    transaction.
    """
    kinds = _kinds(to)
    users = _users(s, ticket, kinds)
    title, body = render(event, context_for(ticket, event, extra), subject, message)
    addresses: dict[str, int | None] = {}
    for user in users:
        address = _address(user.email)
        if address is not None:
            addresses.setdefault(address.lower(), user.id)
    if "requester" in kinds:
        address = _address(ticket.requester_email)
        if address is not None:
            addresses.setdefault(address.lower(), None)
    created = _notifications(s, key, ticket, event[:EVENT_MAX], title, body, users)
    created += _mails(s, key, ticket, title, body, addresses)
    return created


def _kinds(to: Sequence[str] | str) -> list[str]:
    kinds = [to] if isinstance(to, str) else list(to)
    unknown = sorted({k for k in kinds if k not in RECIPIENT_KINDS})
    if unknown:
        raise ValueError(
            f"notify: unknown recipient kind(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(RECIPIENT_KINDS)}"
        )
    return kinds


def _users(s: Session, ticket: Ticket, kinds: Iterable[str]) -> list[User]:
    """The active users the recipient kinds name, each once, by id."""
    wanted = set(kinds)
    ids: set[int] = set()
    if "assignee" in wanted and ticket.assignee_id is not None:
        ids.add(ticket.assignee_id)
    if wanted & {"department", "department_head"}:
        query = select(Membership.user_id).where(
            Membership.department_id == ticket.department_id
        )
        if "department" not in wanted:
            query = query.where(Membership.role == MemberRole.HEAD.value)
        ids.update(s.scalars(query))
    if not ids:
        return []
    query = select(User).where(User.id.in_(sorted(ids)), User.active.is_(True))
    return list(s.scalars(query.order_by(User.id)))


def _address(value: str | None) -> str | None:
    """`value` as one plain e-mail address, or None (logged) when it cannot be one."""
    if not value:
        return None
    address = value.strip()
    if len(address) > ADDRESS_MAX or not _ADDRESS.match(address):
        logger.warning("notify: %r is not an address mail can be sent to; skipped", value)
        return None
    return address


def fit_key(key: str) -> str:
    """`key` if it fits the 255-character column, else its head and its SHA-256."""
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: KEY_MAX - len(digest) - 1]}~{digest}"


def _existing(
    s: Session, model: type[Notification] | type[MailMessage], keys: list[str]
) -> set[str]:
    if not keys:
        return set()
    return set(s.scalars(select(model.key).where(model.key.in_(keys))))


def _notifications(
    s: Session, key: str, ticket: Ticket, event: str, title: str, body: str, users: list[User]
) -> int:
    rows = {fit_key(f"{key}:u{user.id}"): user for user in users}
    taken = _existing(s, Notification, list(rows))
    created = 0
    for row_key, user in rows.items():
        if row_key in taken:
            continue
        values = {
            "key": row_key, "user_id": user.id, "ticket_id": ticket.id, "event": event,
            "subject": title, "body": body, "created_at": utcnow(),
        }
        created += insert_once(s, Notification, values) is not None
    return created


def _mails(
    s: Session, key: str, ticket: Ticket, title: str, body: str, addresses: dict[str, int | None]
) -> int:
    rows = {fit_key(f"{key}:m{address}"): address for address in addresses}
    taken = _existing(s, MailMessage, list(rows))
    created = 0
    for row_key, address in rows.items():
        if row_key in taken:
            continue
        # The Message-ID names the row's id, known once it is inserted: a placeholder until then.
        values = {
            "key": row_key, "ticket_id": ticket.id, "to_address": address, "subject": title,
            "body": body, "message_id": "<>", "created_at": utcnow(), "attempts": 0,
        }
        mail_id = insert_once(s, MailMessage, values)
        if mail_id is None:
            continue
        s.execute(
            update(MailMessage)
            .where(MailMessage.id == mail_id)
            .values(message_id=message_id_for(mail_id, row_key))
        )
        outbox.add(s, MAIL_TOPIC, ticket_id=ticket.id, payload={"mail_id": mail_id})
        created += 1
    return created


def message_id_for(mail_id: int, key: str) -> str:
    """The Message-ID header of a mail: `<mail-<id>.<hash of key>@<sender's domain>>`."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"<mail-{mail_id}.{digest}@{_mail_domain()}>"


def _mail_domain() -> str:
    sender = parseaddr(str(current_app.config.get("MAIL_DEFAULT_SENDER") or ""))[1]
    domain = sender.rpartition("@")[2]
    return domain if domain and _DOMAIN.match(domain) else "tessera.invalid"


def ticket_url(ticket_id: int) -> str:
    """The ticket's page: `<TESSERA_BASE_URL>/tickets/<id>`."""
    base = str(current_app.config.get("TESSERA_BASE_URL") or "").rstrip("/")
    return f"{base}/tickets/{ticket_id}"


def _full_name(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or str(user.username)


def context_for(
    ticket: Ticket, event: str, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The variables of the templates: `ticket`, `requester`, `event` and `extra`."""
    department = ticket.department
    return {
        "ticket": {
            "id": ticket.id,
            "number": ticket.number,
            "subject": ticket.subject,
            "state": ticket.state,
            "priority": ticket.priority,
            "department": department.name if department is not None else "",
            "assignee": _full_name(ticket.assignee),
            "url": ticket_url(ticket.id),
        },
        "requester": {
            "name": ticket.requester_name or "",
            "email": ticket.requester_email or "",
        },
        "event": event,
        "extra": dict(extra or {}),
    }


from app.notifications import mail as _mail  # noqa: E402, F401  (registers mail.send)
