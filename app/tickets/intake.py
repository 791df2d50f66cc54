"""A new ticket's one way in, for the API and the agent's page alike.

The caller resolves the template (`published_template`: 404 unknown, 409 retired) and hands
over its custom data checked once against that version's schema: `check_data` for a JSON
document, `read_form` for the template's posted form (whose `validate()` runs the same
validator). `open_ticket` decides everything else, through the workflow the template follows
(`app.tickets.workflow`): the ticket document, the routing decision (department, priority,
assignment strategy and skills, the matched rule), the assignee or the group queue, the initial
state and the SLA clock; the subject when none was given (the one `settings.subject` points
at, else the template's title). Routing decides here and nowhere else.

File fields (`app.tickets.filefields`): both checks read the files the data brings (data URLs)
and validate the data as it will be stored, each new file standing in as a reference; a
refused file is an error at its pointer. `open_ticket` stores the files as attachments of the
new ticket in its own transaction and puts their references in the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import db
from app.models import Department
from app.tickets import document, filefields, sla
from app.tickets.access import default_department_id
from app.tickets.assignment import assign
from app.tickets.errors import TicketInvalid
from app.tickets.models import Ticket
from app.tickets.service import CreateHook, Requester, create_ticket
from app.tickets.system import SUBJECT_MAX
from app.tickets.templates import TemplateForm
from app.tickets.uploads import files_follow_rows
from app.tickets.workflow import Pinned, WorkflowUnavailable, workflow_for
from forms import TesseraForm
from workflows import Route


@dataclass(frozen=True)
class CheckedData:
    """Custom data valid under `template`'s schema; made by `check_data` or `read_form`.

    `data` is as it will be stored, new files (`files.new`) standing in as references.
    """

    template: TemplateForm
    data: dict[str, Any]
    files: filefields.Files = filefields.NO_FILES


def check_data(template: TemplateForm, data: Any, ticket: Ticket | None = None) -> CheckedData:
    """A JSON document checked against the template; TicketInvalid (422) at `/data` pointers.

    For a new ticket, or an edit of `ticket` (its attachments may be referenced, its stored
    values are kept as they are).
    """
    if not isinstance(data, dict):
        raise TicketInvalid({"/data": ["Must be an object."]})
    files = filefields.read(template.form, data, ticket=ticket)
    stored = files.stored(data)
    refused = {f"/data{p}": m for p, m in files.errors.items()}
    found = {
        p: m
        for p, m in template.errors(stored, "/data").items()
        if not any(p == r or p.startswith(r + "/") for r in refused)
    }
    if refused or found:
        raise TicketInvalid({**refused, **found})
    return CheckedData(template, stored, files)


def read_form(template: TemplateForm, form: TesseraForm) -> CheckedData | None:
    """The data of the template's posted form, validated once; None when invalid.

    When invalid, the form carries the messages at its fields (a refused file at its own),
    ready to be rendered again.
    """
    if not isinstance(form, template.form):
        raise TypeError(f"{form!r} is not a form of the template {template.key!r}.")
    files = filefields.read_posted(form)
    if not filefields.validate(form, files):
        return None
    data = files.stored(form.to_instance())
    return CheckedData(template, data, files) if isinstance(data, dict) else None


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


@dataclass(frozen=True)
class Decision:
    """Where routing sends a new ticket, before the assignee is chosen."""

    pinned: Pinned
    route: Route
    department_id: int
    department: str
    priority: str
    doc: dict[str, Any]


def decide(new: NewTicket) -> Decision:
    """Route a new ticket through its template's workflow (409 when it has nowhere to go)."""
    template = new.checked.template
    pinned = workflow_for(template)
    workflow = pinned.workflow
    default_id = default_department_id(template)
    doc = document.build(
        data=new.checked.data,
        template=template.key,
        priority=new.priority or "normal",
        channel=new.channel,
        state=workflow.initial.name,
        department=str(template.settings["default_department"]),
        requester=asdict(new.requester),
        created_at=utcnow(),
        calendar=workflow.calendar,
    )
    route = workflow.route(doc)
    department_id, department = default_id, doc["department"]
    if route.department is not None and route.department != department:
        department_id = _department_id(route.department, route.rule)
        department = route.department
    priority = workflow.priority_for(route, new.priority)
    doc = {**doc, "department": department, "priority": priority}
    return Decision(pinned, route, department_id, department, priority, doc)


def _department_id(key: str, rule: str | None) -> int:
    found = db.session.scalar(select(Department.id).where(Department.key == key))
    if found is None:
        raise WorkflowUnavailable(
            _(
                "The routing rule %(rule)s sends tickets to the department %(department)s, "
                "which does not exist.",
                rule=rule,
                department=key,
            )
        )
    return int(found)


def open_ticket(new: NewTicket) -> Ticket:
    """Route and create the ticket in one transaction (409 when it has nowhere to go)."""
    template = new.checked.template
    decision = decide(new)
    workflow = decision.pinned.workflow
    route = decision.route

    def prepare(s: Session, ticket: Ticket) -> None:
        ticket.assignee_id = assign(
            s, workflow, decision.department_id, route.strategy, route.skills
        )
        sla.start(ticket, workflow, decision.doc, ticket.created_at)

    def create(commit: bool, also: Sequence[CreateHook] = ()) -> Ticket:
        return create_ticket(
            template=template.key,
            template_version=template.version,
            subject=subject_for(new.checked, new.subject),
            department_id=decision.department_id,
            data=new.checked.data,
            requester=new.requester,
            priority=decision.priority,
            channel=new.channel,
            state=workflow.initial.name,
            category=workflow.initial.category.value,
            workflow_key=decision.pinned.key,
            workflow_version=decision.pinned.version,
            actor_id=new.actor_id,
            prepare=[prepare],
            describe=lambda ticket: {"routing": routed(decision, ticket)},
            also=also,
            commit=commit,
        )

    files = new.checked.files
    storage = filefields.storage_if(files)
    wanted, staged = filefields.stage(files, new.checked.data, storage)
    if not wanted:
        return create(commit=True)
    s = db.session
    with files_follow_rows(s, storage, staged) as place:
        ticket = create(False, [filefields.creating(wanted, staged, new.actor_id)])
        place()
        s.commit()
    return ticket


def routed(decision: Decision, ticket: Ticket) -> dict[str, Any]:
    """What the `created` event keeps of the routing decision."""
    return {
        "department": decision.department,
        "priority": decision.priority,
        "assignee_id": ticket.assignee_id,
        "strategy": decision.route.strategy.value,
        "skills": list(decision.route.skills),
        "rule": decision.route.rule,
        "workflow": decision.pinned.key,
        "workflow_version": decision.pinned.version,
        "sla_policy": ticket.sla_policy,
    }
