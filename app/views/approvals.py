"""The approvals inbox: what waits for the heads of the user's departments, and the decisions.

Pending requests of both kinds, each with what a head needs to judge it: a workflow version
with its diff and the impact preview, a ticket transition with the ticket, the transition and
the requester's note. Approve and reject are forms (CSRF, a comment; rejecting needs one);
every rule is checked by `app.approvals.workflows` and `app.approvals`, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from app import approvals as shared
from app.approvals import workflows as approvals
from app.definitions.errors import DefinitionInvalid
from app.errors import TesseraError
from app.extensions import db
from app.models import ApprovalKind, ApprovalRequest, ApprovalStatus, Department
from app.tickets.models import Ticket
from app.views.definitions import diff_lines

TABS = ("pending", "decided")
LIST_LIMIT = 100


class DecisionForm(FlaskForm):
    """Approve or reject one request, with a comment (required to reject)."""

    comment = TextAreaField(_l("Comment"), validators=[Length(max=shared.MAX_COMMENT)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


def decision_form(approval_id: int, formdata: Any = None) -> DecisionForm:
    """The form of one request; the prefix keeps ids apart when a page holds several."""
    return DecisionForm(formdata=formdata, prefix=f"a{approval_id}")


@dataclass
class Card:
    """One request as the inbox shows it."""

    request: ApprovalRequest
    departments: list[str]
    may_decide: bool
    form: DecisionForm
    review: approvals.Review | None = None
    diff: list[tuple[str, str]] | None = None
    ticket: Ticket | None = None
    transition: str | None = None


def transition_label(ticket: Ticket, name: str) -> str:
    from app.tickets.workflow import WorkflowUnavailable, workflow_of

    try:
        found = workflow_of(ticket).workflow.transition(name)
    except WorkflowUnavailable:
        return name
    return found.label if found is not None else name


def card(found: ApprovalRequest, user_id: int, form: DecisionForm | None = None) -> Card:
    """The request with its diff and impact (workflow) or its ticket (transition)."""
    ids = sorted(d.department_id for d in found.departments)
    names = {
        pk: name
        for pk, name in db.session.execute(
            select(Department.id, Department.name).where(Department.id.in_(ids))
        )
    }
    result = Card(
        found,
        [names.get(d.department_id, str(d.department_id)) for d in found.departments],
        approvals.may_decide(found, user_id),
        form or decision_form(found.id),
    )
    if found.kind == ApprovalKind.WORKFLOW.value:
        result.review = approvals.review(found)
        result.diff = diff_lines(result.review.diff)
    elif found.ticket_id is not None:
        result.ticket = db.session.get(Ticket, found.ticket_id)
        name = found.transition or ""
        result.transition = transition_label(result.ticket, name) if result.ticket else name
    return result


def inbox_requests(user_id: int, tab: str) -> list[ApprovalRequest]:
    """The requests of the departments the user heads: pending, or decided (newest first)."""
    query = shared.inbox(user_id, None)
    if tab == "pending":
        query = query.where(ApprovalRequest.status == ApprovalStatus.PENDING.value)
    else:
        query = query.where(ApprovalRequest.status != ApprovalStatus.PENDING.value)
    query = query.options(selectinload(ApprovalRequest.departments)).limit(LIST_LIMIT)
    return list(db.session.scalars(query))


class ApprovalsView(BaseView):
    """The inbox of department heads (and admins): pending and decided approval requests."""

    route_base = "/approvals"
    default_view = "pending"
    class_permission_name = "ApprovalsView"
    method_permission_name = {
        "pending": "read",
        "decided": "read",
        "show": "read",
        "decide": "decide",
    }

    @expose("/")
    @has_access
    def pending(self) -> ResponseReturnValue:
        """Requests waiting for a head of the user's departments."""
        return self._list("pending")

    @expose("/decided")
    @has_access
    def decided(self) -> ResponseReturnValue:
        """Requests of the user's departments that are decided or withdrawn."""
        return self._list("decided")

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> ResponseReturnValue:
        """One request, with its diff and impact or its ticket, and the decision form."""
        return self._page(self._visible(pk))

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide(self, pk: int) -> ResponseReturnValue:
        """Approve or reject (the button pressed says which); errors stay at the comment."""
        found = self._visible(pk)
        form = decision_form(found.id, request.form)
        if not form.validate():
            return self._page(found, form), 422
        if form.approve.data == form.reject.data:
            abort(400)  # exactly one of the two buttons sends the form
        approve = bool(form.approve.data)
        try:
            approvals.decide(found.id, int(g.user.id), approve, form.comment.data)
        except shared.CommentRequired as exc:
            db.session.rollback()
            form.comment.errors = [*form.comment.errors, str(exc)]
            return self._page(found, form), exc.status
        except DefinitionInvalid as exc:
            db.session.rollback()
            flash(_("Not approved: the version fails the publish checks now."), "danger")
            return self._page(found, form, exc.errors), exc.status
        except TesseraError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._page(self._visible(pk), form), exc.status
        flash(_("Approved.") if approve else _("Rejected."), "success")
        return redirect(url_for(f"{self.endpoint}.pending"))

    def _visible(self, pk: int) -> ApprovalRequest:
        try:
            return shared.get_request(pk, int(g.user.id))
        except shared.ApprovalNotFound:
            abort(404)

    def _list(self, tab: str) -> str:
        user_id = int(g.user.id)
        cards = [card(r, user_id) for r in inbox_requests(user_id, tab)]
        return self.render_template(
            "tessera/approvals/list.html", cards=cards, tab=tab, tabs=TABS,
            ep=self.endpoint, heads_any=bool(shared.headed_departments(user_id)),
        )

    def _page(
        self,
        found: ApprovalRequest,
        form: DecisionForm | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> str:
        return self.render_template(
            "tessera/approvals/show.html",
            item=card(found, int(g.user.id), form), ep=self.endpoint, errors=errors or {},
        )
