"""A new ticket's one way in, for the API and the agent's page alike.

The caller resolves the template (`published_template`: 404 unknown, 409 retired) and hands
over its custom data checked once against that version's schema: `check_data` for a JSON
document, `read_form` for the template's posted form (whose `validate()` runs the same
validator). `open_ticket` decides everything else: the subject when none was given (the one
`settings.subject` points at, else the template's title), the department (the template's
default: 409 when there is none), the state (`new`), the assignee (none: the department's
queue) and the priority (normal unless given). Routing decides here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.tickets.access import default_department_id
from app.tickets.errors import TicketInvalid
from app.tickets.models import Priority, Ticket
from app.tickets.service import Requester, create_ticket
from app.tickets.system import SUBJECT_MAX
from app.tickets.templates import TemplateForm
from forms import TesseraForm

NEW_STATE = "new"


@dataclass(frozen=True)
class CheckedData:
    """Custom data valid under `template`'s schema; made by `check_data` or `read_form`."""

    template: TemplateForm
    data: dict[str, Any]


def check_data(template: TemplateForm, data: Any) -> CheckedData:
    """A JSON document checked against the template; TicketInvalid (422) at `/data` pointers."""
    if not isinstance(data, dict):
        raise TicketInvalid({"/data": ["Must be an object."]})
    found = template.errors(data, "/data")
    if found:
        raise TicketInvalid(found)
    return CheckedData(template, data)


def read_form(template: TemplateForm, form: TesseraForm) -> CheckedData | None:
    """The data of the template's posted form, validated once; None when invalid.

    When invalid, the form carries the messages at its fields, ready to be rendered again.
    """
    if not isinstance(form, template.form):
        raise TypeError(f"{form!r} is not a form of the template {template.key!r}.")
    if not form.validate():
        return None
    data = form.to_instance()
    return CheckedData(template, data) if isinstance(data, dict) else None


@dataclass(frozen=True)
class NewTicket:
    """What a person or client gives for a new ticket; `open_ticket` decides the rest.

    `subject` and `priority` are None when not given.
    """

    checked: CheckedData
    requester: Requester
    channel: str
    actor_id: int | None
    subject: str | None = None
    priority: str | None = None


def subject_for(checked: CheckedData, given: str | None = None) -> str:
    """The subject given, else the one `settings.subject` points at, else the template's title.

    Cut to SUBJECT_MAX characters.
    """
    template = checked.template
    subject = given or template.subject_from(checked.data) or template.title.strip()
    return subject[:SUBJECT_MAX]


def open_ticket(new: NewTicket) -> Ticket:
    """Route and create the ticket in one transaction (NoDefaultDepartment: 409, nothing saved)."""
    template = new.checked.template
    return create_ticket(
        template=template.key,
        template_version=template.version,
        subject=subject_for(new.checked, new.subject),
        department_id=default_department_id(template),
        data=new.checked.data,
        requester=new.requester,
        priority=new.priority or Priority.NORMAL.value,
        channel=new.channel,
        state=NEW_STATE,
        assignee_id=None,
        actor_id=new.actor_id,
    )
