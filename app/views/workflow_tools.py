"""The route tester of the workflow editor: where would this ticket go, and why.

For one stored workflow version (a draft or a published one) an admin picks one of the most
recent tickets of the templates that follow the workflow, or pastes a ticket document. The
server builds (or parses) the document and answers `Workflow.route(doc)` and every rule of
`Workflow.explain(doc)`. Nothing is saved.

`GET /definitions/workflow-tools/route/<pk>` shows the tester; `POST` (with the CSRF token)
runs it. Both answer a page, or `{"ok", "html", "errors"}` to a request that accepts JSON (the
editor loads the tester into its page that way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import abort, jsonify, render_template, render_template_string, request, url_for
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.definitions import store
from app.definitions.checks import parse_json
from app.definitions.errors import DefinitionInvalid, DefinitionNotFound
from app.extensions import db
from app.models import Definition, Department
from app.tickets.document import of_ticket
from app.tickets.models import Ticket
from workflows import PRIORITIES, DefinitionError, Route, Workflow, load_workflow

RECENT = 20  # tickets offered to choose from
MAX_ID = 2**31 - 1  # ticket ids are INTEGER
PARTIAL = "tessera/definitions/_route_tester.html"
# The tester as a page of its own, for browsers without JavaScript.
PAGE = """{% extends base_template %}
{% block head_css %}{{ super() }}
<link href="{{ url_for('static', filename='tessera/workflow-tools.css') }}" rel="stylesheet">
{% endblock %}
{% block content %}<div class="col-md-8">{% include partial %}</div>
{% endblock %}"""


@dataclass(frozen=True)
class RuleRow:
    """One routing rule as the tester shows it."""

    number: int
    name: str
    label: str
    pointer: str
    matched: bool
    decides: bool  # the first rule that matched: it routes the ticket
    reached: bool  # rules after the deciding one do not change anything
    keyword: str = ""
    instance_pointer: str = ""
    schema_pointer: str = ""
    message: str = ""


@dataclass(frozen=True)
class Outcome:
    """What routing the document decided, in words, and every rule."""

    route: Route
    department: str
    priority: str
    priority_from: str
    skills: list[str]
    rules: list[RuleRow]
    ticket: Ticket | None


@dataclass
class Tester:
    """Everything the tester partial shows."""

    row: Definition
    tickets: list[Ticket]
    ticket: str = ""
    document: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    outcome: Outcome | None = None
    strategy: str = ""


# -- what the tester offers ------------------------------------------------------------------


def following_templates(workflow_key: str) -> list[str]:
    """Template keys whose current version (the published one, else the newest) follows it."""
    rows = db.session.scalars(
        select(Definition)
        .where(Definition.kind == "template")
        .order_by(Definition.key, Definition.version.desc())
    )
    current: dict[str, Definition] = {}
    for row in rows:
        if row.key not in current or row.status == store.PUBLISHED:
            current[row.key] = row
    return [key for key, row in current.items() if _workflow_of(row.body) == workflow_key]


def _workflow_of(body: Any) -> Any:
    settings = body.get("settings") if isinstance(body, dict) else None
    return settings.get("workflow") if isinstance(settings, dict) else None


def recent_tickets(templates: list[str]) -> list[Ticket]:
    """The newest tickets of these templates."""
    if not templates:
        return []
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.template.in_(templates))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(RECENT)
        )
    )


# -- reading the posted choice ---------------------------------------------------------------


class FieldError(Exception):
    """A posted input is wrong: the message goes beside that input."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def chosen_ticket(text: str, templates: list[str]) -> Ticket:
    """The ticket the admin chose: it must be one of a template that follows the workflow."""
    if not text.strip():
        raise FieldError("ticket", _("Choose a ticket, or paste a ticket document below."))
    pk = _ticket_id(text)
    ticket = db.session.get(Ticket, pk) if pk is not None else None
    if ticket is None or ticket.template not in templates:
        raise FieldError("ticket", _("Choose one of the tickets in the list."))
    return ticket


def _ticket_id(text: str) -> int | None:
    """The id posted, when a ticket can have it (PostgreSQL refuses to compare larger ones)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    return int(text) if int(text) <= MAX_ID else None


def pasted_document(text: str) -> dict[str, Any]:
    """The pasted ticket document: a JSON object."""
    if not text.strip():
        raise FieldError("document", _("Paste a ticket document (a JSON object)."))
    try:
        doc = parse_json(text)
    except DefinitionInvalid as exc:
        messages = [m for found in exc.errors.values() for m in found]
        raise FieldError("document", "; ".join(messages)) from exc
    if not isinstance(doc, dict):
        raise FieldError("document", _("A ticket document is a JSON object: {\"data\": …}."))
    return doc


# -- what routing decided --------------------------------------------------------------------


def rule_rows(workflow: Workflow, doc: dict[str, Any]) -> list[RuleRow]:
    """Every rule in order; the first that matched decides, the ones after it are not reached."""
    rows: list[RuleRow] = []
    decided = False
    for number, (rule, report) in enumerate(
        zip(workflow.parts.rules, workflow.explain(doc), strict=True), start=1
    ):
        miss = report.miss
        rows.append(
            RuleRow(
                number, report.name, rule.label, report.pointer, report.matched,
                decides=report.matched and not decided, reached=not decided,
                keyword=miss.keyword if miss else "",
                instance_pointer=miss.instance_pointer if miss else "",
                schema_pointer=miss.schema_pointer if miss else "",
                message=miss.message if miss else "",
            )
        )
        decided = decided or report.matched
    return rows


def department_text(key: str | None, doc: dict[str, Any]) -> str:
    """The department a route names, with its name; or the template's default one."""
    if key is None:
        given = doc.get("department")
        if isinstance(given, str) and given:
            return _("the template's default department (%(key)s)", key=given)
        return _("the template's default department")
    name = db.session.scalar(select(Department.name).where(Department.key == key))
    if name is None:
        return _("%(key)s (no department has this key yet)", key=key)
    return f"{key}: {name}"


PRIORITY_FROM = {
    "rule": lambda: _("set by the rule"),
    "given": lambda: _("the ticket's own"),
    "matrix": lambda: _("from the priority matrix"),
    "default": lambda: _("the default"),
}


def priority_of(workflow: Workflow, route: Route, doc: dict[str, Any]) -> tuple[str, str]:
    """The priority a new ticket with this document would get, and where it comes from."""
    given = doc.get("priority") if doc.get("priority") in PRIORITIES else None
    priority = workflow.priority_for(route, given)
    if route.priority_from == "rule":
        source = "rule"
    elif given is not None:
        source = "given"
    else:
        source = "matrix" if route.priority else "default"
    return priority, PRIORITY_FROM[source]()


def outcome_of(workflow: Workflow, doc: dict[str, Any], ticket: Ticket | None) -> Outcome:
    """Route and explain the document."""
    try:
        route = workflow.route(doc)
        rules = rule_rows(workflow, doc)
    except RecursionError as exc:  # a document nested too deeply for the conditions
        raise FieldError("document", _("The document is nested too deeply.")) from exc
    priority, source = priority_of(workflow, route, doc)
    return Outcome(
        route, department_text(route.department, doc), priority, source, list(route.skills),
        rules, ticket,
    )


# -- the view --------------------------------------------------------------------------------


class WorkflowToolsView(BaseView):
    """Tools of the workflow editor (admins only): the route tester."""

    route_base = "/definitions/workflow-tools"
    default_view = "route_tester"
    method_permission_name = {"route_tester": "read"}

    @expose("/route/<int:pk>", methods=["GET", "POST"])
    @has_access
    def route_tester(self, pk: int) -> ResponseReturnValue:
        """GET: the tester for workflow version `pk`; POST: route the chosen ticket or document."""
        row = self._load(pk)
        try:
            workflow = load_workflow(row.body, row.checksum)
        except DefinitionError:
            abort(409)  # every stored version loads; one that no longer does cannot be tested
        templates = following_templates(row.key)
        tester = Tester(row, recent_tickets(templates), strategy=str(workflow.parts.strategy))
        status = 200
        if request.method == "POST":
            status = self._run(tester, workflow, templates)
        return self._answer(tester, status)

    def _run(self, tester: Tester, workflow: Workflow, templates: list[str]) -> int:
        form = request.form
        tester.ticket = form.get("ticket", "")
        tester.document = form.get("document", "")
        use = form.get("use") or ("document" if tester.document.strip() else "ticket")
        try:
            ticket = None
            if use == "document":
                doc = pasted_document(tester.document)
            else:
                ticket = chosen_ticket(tester.ticket, templates)
                doc = of_ticket(ticket, workflow.calendar)
                tester.document = json.dumps(doc, indent=2, ensure_ascii=False)
            tester.outcome = outcome_of(workflow, doc, ticket)
        except FieldError as exc:
            tester.errors = {exc.name: [exc.message]}
            return 422
        return 200

    def _load(self, pk: int) -> Definition:
        try:
            row = store.get(pk)
        except DefinitionNotFound:
            abort(404)
        if row.kind != "workflow":
            abort(404)
        return row

    def _answer(self, tester: Tester, status: int) -> ResponseReturnValue:
        context = {
            "tester": tester,
            "action": url_for(f"{self.endpoint}.route_tester", pk=tester.row.id),
            "editor": url_for("WorkflowDefinitionView.edit", pk=tester.row.id),
        }
        if request.accept_mimetypes.best == "application/json":
            html = render_template(PARTIAL, editor_embedded=True, **context)
            response = jsonify({"ok": not tester.errors, "html": html, "errors": tester.errors})
            response.status_code = status
            return response
        page = render_template_string(
            PAGE, partial=PARTIAL, base_template=self.appbuilder.base_template,
            appbuilder=self.appbuilder, title=_("Route tester"), **context,
        )
        return page, status
