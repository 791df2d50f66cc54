"""The ticket page's workflow panel: state, SLA clock, transitions, claim, transfer, chase.

`panel` builds what the page shows; `TicketWorkflowPages` adds the POST routes to the
ticket view (`app.views.tickets.TicketView`). Each route goes through `app.tickets.transitions`
and, when refused, renders the ticket page again with the message where the user clicked and
what they typed kept (422, 409 or 403), never a bare error page. A chase (催单, through
`app.tickets.chase`) goes back to the ticket page with what happened flashed.

A transition whose `requires` names data fields carries those fields' inputs (a small form
compiled from the template's schema for them, prefixed so its ids never clash with the edit
form's); the requirement's messages are shown at those inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import ngettext

from app.clock import aware, utcnow
from app.errors import TesseraError
from app.extensions import db
from app.limits import MAX_ID
from app.tickets.access import (
    all_departments,
    department_members,
    readable_ticket,
    users_by_id,
    visible_ticket,
)
from app.tickets.chase import DONE
from app.tickets.chase import chase as chase_ticket
from app.tickets.errors import StaleTicket, TicketInvalid, TicketNotFound, TicketReadOnly
from app.tickets.models import ACTIVE_CATEGORIES, Channel, Ticket
from app.tickets.templates import TemplateForm
from app.tickets.transitions import Offer, Offered, offer, roles_on, state_label, take
from app.tickets.transitions import claim as claim_ticket
from app.tickets.transitions import transfer as transfer_ticket
from app.tickets.workflow import WorkflowUnavailable, workflow_of
from app.views.display import viewer_zone
from app.views.ticket_edits import without_autofocus
from app.views.ticket_lists import span
from forms import TesseraForm, compile_form
from forms.fields import JsonField
from workflows import BusinessCalendar, Workflow


@dataclass
class Refusal:
    """What the user posted that was refused, to show again with the reason."""

    action: str  # "transition", "claim" or "transfer"
    name: str = ""  # the transition's name
    messages: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    form: TesseraForm | None = None


def prefix_of(name: str) -> str:
    """The input-name prefix of a transition's fields (ids stay unique on the page)."""
    return f"t-{name}-"


def fields_form(tf: TemplateForm, offered: Offered) -> type[TesseraForm] | None:
    """A form of the template's own inputs for the fields the transition requires."""
    props = tf.schema.get("properties") if isinstance(tf.schema, dict) else None
    chosen = {n: props[n] for n in offered.fields if isinstance(props, dict) and n in props}
    if not chosen:
        return None
    schema: dict[str, Any] = {"type": "object", "properties": chosen}
    for keyword in ("$schema", "$defs", "definitions"):
        if keyword in tf.schema:
            schema[keyword] = tf.schema[keyword]
    ui = tf.ui_schema if isinstance(tf.ui_schema, dict) else {}
    # The panel sits below the header: no input of it may pull the page down on load.
    ui_schema: dict[str, Any] = {n: without_autofocus(ui[n]) for n in chosen if n in ui}
    ui_schema["ui:order"] = list(chosen)
    return compile_form(schema, ui_schema)


def attach(form: TesseraForm, errors: dict[str, list[str]]) -> list[str]:
    """Put `/data/...` messages on the form's inputs; return those that fit no input."""
    inputs = {f.pointer: f for top in form if isinstance(top, JsonField) for f in top.walk()}
    leftover: list[str] = []
    for pointer, texts in errors.items():
        target = pointer.removeprefix("/data") if pointer.startswith("/data/") else None
        while target and target not in inputs:
            target = target[: target.rfind("/")]
        found = inputs.get(target) if target else None
        if found is None:
            leftover.extend(texts)
            continue
        found.errors = [*list(found.errors), *(t for t in texts if t not in found.errors)]
    return leftover


# ---------------------------------------------------------------------------------------------
# What the panel shows


def _local(at: datetime, calendar: BusinessCalendar) -> str:
    return aware(at).astimezone(calendar.timezone).strftime("%Y-%m-%d %H:%M %Z")


def _target(
    label: str,
    due: datetime | None,
    met: datetime | None,
    paused: bool,
    calendar: BusinessCalendar,
    now: datetime,
    stopped: bool = False,
) -> dict[str, Any] | None:
    """One SLA target as the page shows it; None when the ticket has no such target."""
    row: dict[str, Any] = {"label": label, "due": _local(due, calendar) if due else None}
    if met is not None and due is not None:
        late = aware(met) > aware(due)
        return {
            **row,
            "state": "missed" if late else "met",
            "text": _("missed") if late else _("met"),
        }
    if stopped and due is not None:  # solved or closed: the clock no longer runs
        return {**row, "state": "stopped", "text": _("stopped")}
    if paused:
        return {**row, "state": "paused", "text": _("paused")}
    if due is None:
        return None
    left = aware(due) - now
    if left < timedelta(0):
        return {**row, "state": "breached", "text": _("overdue %(span)s", span=span(left))}
    return {**row, "state": "running", "text": _("%(span)s left", span=span(left))}


def sla_view(ticket: Ticket, calendar: BusinessCalendar, now: datetime | None = None) -> Any:
    """The SLA clock: the policy, each target's due time and time left (or paused, met)."""
    if ticket.sla_policy is None:
        return None
    now = now or utcnow()
    paused = ticket.sla_paused_at is not None
    stopped = ticket.category not in ACTIVE_CATEGORIES
    targets = [
        _target(
            _("First response"),
            ticket.first_response_due_at,
            ticket.first_response_at,
            paused,
            calendar,
            now,
            stopped,
        ),
        _target(
            _("Resolution"),
            ticket.resolution_due_at,
            ticket.resolved_at,
            paused,
            calendar,
            now,
            stopped,
        ),
    ]
    return {
        "policy": ticket.sla_policy,
        "paused": paused,
        "targets": [t for t in targets if t is not None],
        "timezone": str(calendar.timezone),
    }


def _transition_view(
    tf: TemplateForm, ticket: Ticket, offered: Offered, workflow: Workflow, refused: Any
) -> dict[str, Any]:
    name = offered.transition.name
    mine = refused if refused is not None and refused.name == name else None
    form_class = fields_form(tf, offered)
    form = mine.form if mine is not None and mine.form is not None else None
    if form is None and form_class is not None:
        data = {n: v for n, v in (ticket.data or {}).items() if n in offered.fields}
        form = form_class(
            formdata=None,
            data=data,
            prefix=prefix_of(name),
            meta={"csrf": False},
            timezone=viewer_zone(),
        )
    return {
        "name": name,
        "label": offered.transition.label or name,
        "to": state_label(workflow, offered.transition.to),
        "approval": offered.approval,
        "form": form,
        "messages": mine.messages if mine else [],
        "note": (mine.values.get("note") if mine else "") or "",
        "open": mine is not None,
    }


def _pending_view(shown: Offer, workflow: Workflow) -> dict[str, Any] | None:
    request_ = shown.pending
    if request_ is None:
        return None
    transition = workflow.transition(request_.transition or "")
    who = users_by_id([request_.requested_by_id]).get(request_.requested_by_id or -1) or {}
    return {
        "transition": transition.label if transition else request_.transition,
        "by": who.get("name") or who.get("username") or _("someone"),
        "at": aware(request_.requested_at),
        "note": request_.note,
    }


def chase_view(ticket: Ticket) -> dict[str, Any]:
    """Whether the ticket may be chased now, and "Chased N times" (None before the first)."""
    count = ticket.chases or 0
    return {
        "can_chase": ticket.category not in DONE,
        "chased": ngettext("Chased %(num)d time", "Chased %(num)d times", count) if count else None,
    }


# What the panel offers a user who works on the ticket; a follower reads the rest.
_ACTIONS = {"transitions": [], "can_claim": False, "can_transfer": False, "can_chase": False}


def panel(
    ticket: Ticket, tf: TemplateForm, refused: Refusal | None = None, works: bool = True
) -> dict[str, Any]:
    """Everything the workflow panel of the ticket page shows, for the signed-in user.

    A ticket whose workflow version is missing still shows: the panel says so, offers nothing.
    Without `works` (the user created or commented on it, in another department) it offers
    no action either: state and SLA only.
    """
    found = _any_panel(ticket, tf, refused)
    return found if works else {**found, **_ACTIONS}


def _any_panel(ticket: Ticket, tf: TemplateForm, refused: Refusal | None) -> dict[str, Any]:
    try:
        return _panel(ticket, tf, refused)
    except WorkflowUnavailable as exc:
        db.session.rollback()
        return {
            "unavailable": str(exc),
            "state": ticket.state,
            "category": ticket.category,
            "messages": [],
            "sla": None,
            "pending": None,
            "transitions": [],
            "can_claim": False,
            "can_transfer": False,
            "claim": None,
            "transfer": Refusal("transfer"),
            **chase_view(ticket),
        }


def _panel(ticket: Ticket, tf: TemplateForm, refused: Refusal | None) -> dict[str, Any]:
    workflow = workflow_of(ticket).workflow
    shown = offer(ticket, g.user)
    mine = refused if refused is not None else Refusal("")
    roles = roles_on(ticket, g.user)
    departments = all_departments()
    offered = {o.transition.name for o in shown.transitions}
    # A refused transition the page no longer offers: say why at the top of the panel.
    elsewhere = mine.messages if mine.action == "transition" and mine.name not in offered else []
    return {
        "unavailable": None,
        "messages": elsewhere,
        "state": state_label(workflow, ticket.state),
        "category": ticket.category,
        "sla": sla_view(ticket, workflow.calendar),
        "pending": _pending_view(shown, workflow),
        "transitions": [
            _transition_view(tf, ticket, o, workflow, mine if mine.action == "transition" else None)
            for o in shown.transitions
        ],
        "can_claim": (
            ticket.assignee_id is None and ticket.category in ACTIVE_CATEGORIES and "agent" in roles
        ),
        "can_transfer": bool(roles & {"agent", "admin"}),
        "members": [
            m for m in department_members(ticket.department_id) if m["id"] != ticket.assignee_id
        ],
        "departments": departments,
        "claim": mine if mine.action == "claim" else None,
        "transfer": mine if mine.action == "transfer" else Refusal("transfer"),
        **chase_view(ticket),
    }


# ---------------------------------------------------------------------------------------------
# The routes (mixed into TicketView)


def _ticket_or_404(pk: int) -> Ticket:
    try:
        return visible_ticket(pk)
    except TicketNotFound:
        abort(404)
    except TicketReadOnly:
        abort(403)


def _lock_version() -> int:
    text = request.form.get("lock_version", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_ID:
        abort(400, _("lock_version is missing or not a version of this ticket."))
    return int(text)


def _messages(exc: TesseraError) -> list[str]:
    if isinstance(exc, TicketInvalid):
        return [m for texts in exc.errors.values() for m in texts]
    if isinstance(exc, StaleTicket):
        who = users_by_id([exc.changed_by_id]).get(exc.changed_by_id or -1) or {}
        return [
            _(
                "%(who)s changed this ticket after you opened it; nothing was saved. "
                "Check it below, then try again.",
                who=who.get("name") or who.get("username") or _("Someone"),
            )
        ]
    return [str(exc)]


def _target_of(value: str) -> tuple[int | None, int | None]:
    """(assignee id, department id) of the transfer form's choice ("user:5", "department:2")."""
    kind, _sep, number = value.partition(":")
    if not (number.isascii() and number.isdigit()) or len(number) > 10:
        return None, None
    ident = int(number)
    return (
        (ident, None) if kind == "user" else (None, ident) if kind == "department" else (None, None)
    )


class TicketWorkflowPages:
    """POST routes of the ticket page: take a transition, claim, transfer, chase."""

    endpoint: str

    def _detail_refused(self, ticket: Ticket, refused: Refusal, status: int) -> Any:
        """The ticket page again, showing the refusal; the view supplies it."""
        raise NotImplementedError

    @expose("/<int:pk>/transition", methods=["POST"])
    @has_access
    def transition(self, pk: int) -> ResponseReturnValue:
        """Take a transition; the fields it requires come with it."""
        ticket = _ticket_or_404(pk)
        expected = _lock_version()
        name = request.form.get("transition", "")[:64]
        note = request.form.get("note", "")
        refused = Refusal("transition", name, values={"note": note})
        form: TesseraForm | None = None
        try:
            patch, form = self._posted_fields(ticket, name)
            refused.form = form
            if form is not None and patch is None:
                refused.messages = [_("Check the marked fields.")]
                return self._detail_refused(ticket, refused, 422)
            taken = take(pk, name, expected, g.user, patch, note or None, Channel.AGENT.value)
        except TesseraError as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, TicketInvalid) else {}
            leftover = attach(form, errors) if form is not None and errors else None
            if leftover is None:
                refused.messages = _messages(exc)
            else:
                refused.messages = leftover or [_("Check the marked fields.")]
            return self._detail_refused(ticket, refused, exc.status)
        if taken.approval is not None:
            flash(_("Sent to a department head for approval."), "info")
        else:
            flash(
                _("Done: the ticket is now %(state)s.", state=self._state(taken.ticket)), "success"
            )
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @staticmethod
    def _state(ticket: Ticket) -> str:
        return state_label(workflow_of(ticket).workflow, ticket.state)

    def _posted_fields(
        self, ticket: Ticket, name: str
    ) -> tuple[dict[str, Any] | None, TesseraForm | None]:
        """(merge patch of the posted fields, their form); (None, form) when unreadable."""
        from app.tickets.templates import template_version

        shown = offer(ticket, g.user)
        offered = next((o for o in shown.transitions if o.transition.name == name), None)
        if offered is None:
            return {}, None
        tf = template_version(ticket.template, ticket.template_version)
        form_class = fields_form(tf, offered)
        if form_class is None:
            return {}, None
        form = form_class(
            formdata=request.form,
            data=ticket.data or {},
            prefix=prefix_of(name),
            meta={"csrf": False},
            timezone=viewer_zone(),
        )
        if not form.validate():
            return None, form
        values = form.to_instance()
        values = values if isinstance(values, dict) else {}
        chosen = form_class.schema["properties"]
        return {n: values.get(n) for n in offered.fields if n in chosen}, form

    @expose("/<int:pk>/claim", methods=["POST"])
    @has_access
    def claim(self, pk: int) -> ResponseReturnValue:
        """Claim the unassigned ticket (抢单): one of several agents at once gets it."""
        ticket = _ticket_or_404(pk)
        try:
            claim_ticket(pk, g.user, channel=Channel.AGENT.value)
        except TesseraError as exc:
            db.session.rollback()
            return self._detail_refused(
                ticket, Refusal("claim", messages=_messages(exc)), exc.status
            )
        flash(_("The ticket is yours."), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/transfer", methods=["POST"])
    @has_access
    def transfer(self, pk: int) -> ResponseReturnValue:
        """Transfer the ticket to an agent or a department, with a reason."""
        ticket = _ticket_or_404(pk)
        expected = _lock_version()
        target = request.form.get("target", "")
        reason = request.form.get("reason", "")
        assignee, department = _target_of(target)
        refused = Refusal("transfer", values={"target": target, "reason": reason})
        if assignee is None and department is None:
            refused.messages = [_("Choose the agent or the department to transfer to.")]
            return self._detail_refused(ticket, refused, 422)
        try:
            moved = transfer_ticket(
                pk,
                expected,
                g.user,
                assignee_id=assignee,
                department_id=department,
                reason=reason,
                channel=Channel.AGENT.value,
            )
        except TesseraError as exc:
            db.session.rollback()
            refused.messages = _messages(exc)
            refused.errors = exc.errors if isinstance(exc, TicketInvalid) else {}
            return self._detail_refused(ticket, refused, exc.status)
        flash(_("Transferred."), "success")
        if visible_ticket_or_none(moved.id) is None:
            return redirect(url_for(f"{self.endpoint}.index"))
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/chase", methods=["POST"])
    @has_access
    def chase(self, pk: int) -> ResponseReturnValue:
        """Record that the customer chased the ticket (催单), with an optional note."""
        _ticket_or_404(pk)
        note = request.form.get("note", "")
        try:
            chase_ticket(pk, g.user.id, channel=Channel.AGENT.value, note=note or None)
        except TesseraError as exc:
            db.session.rollback()
            for message in _messages(exc):
                flash(message, "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        flash(_("Chase recorded."), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))


def visible_ticket_or_none(pk: int) -> Ticket | None:
    """The ticket if the user may still read it (a transfer may take it out of their reach)."""
    try:
        return readable_ticket(pk)
    except TicketNotFound:
        return None
