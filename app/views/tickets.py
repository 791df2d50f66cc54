"""The agent's ticket pages, generated from the published templates (no per-template views).

- `/tickets/new/` lists the published templates; `/tickets/new/<template>` renders the
  template's compiled form plus the system fields and creates the ticket in one transaction.
- `/tickets/` lists tickets: "mine", "queue" (my departments, unassigned), "all" (scoped), and
  per template (`?template=`) with its `list_columns` and filters generated from its schema.
- `/tickets/<pk>` shows a ticket, its history and comments, and the edit form (optimistic
  locking: a stale save answers 409, keeps what the agent typed and says who changed it).
- `/tickets/<pk>/comment` adds a reply or internal note with files, all or nothing (a refused
  file answers 413/422 on the page, the typed text kept); `/tickets/<pk>/attachments/<aid>`
  downloads one file, scoped like the ticket (`app.tickets.comments`).

Scoping and the API's input checks are the API's own (`app.api.tickets`): a ticket outside the
user's departments answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

import forms
from app.extensions import db
from app.models import Definition, DefinitionStatus, Department
from app.tickets import query
from app.tickets.access import (
    NoDefaultDepartment,
    default_department_id,
    users_by_id,
    visible_departments,
    visible_ticket,
)
from app.tickets.comments import (
    body_errors,
    by_comment,
    download_response,
    human_size,
    ticket_attachments,
    uploads_from,
    visible_attachment,
)
from app.tickets.errors import (
    AttachmentMissing,
    BadCursor,
    BadFilter,
    StaleTicket,
    TicketError,
    TicketInvalid,
    TicketNotFound,
)
from app.tickets.fields import FIELD_NAME
from app.tickets.models import Channel, Priority, Ticket
from app.tickets.query import COUNT_CAP
from app.tickets.service import (
    MAX_FILES_PER_COMMENT,
    Requester,
    add_comment,
    create_ticket,
    update_ticket,
)
from app.tickets.storage import storage_for
from app.tickets.system import SUBJECT_MAX, parse_priority, parse_requester, parse_subject
from app.tickets.templates import (
    TemplateForm,
    TemplateUnavailable,
    published_template,
    template_version,
)

VIEWS = {"mine": "My tickets", "queue": "My departments' queue", "all": "All tickets"}
PAGE_SIZE = query.DEFAULT_LIMIT
REQUESTER_FIELDS = ("name", "email", "phone")


# ---------------------------------------------------------------------------------------------
# Helpers


def _scoped_ticket(pk: int) -> Ticket:
    try:
        return visible_ticket(pk)
    except TicketNotFound:
        abort(404)


def _version_or_abort(ticket: Ticket) -> TemplateForm:
    try:
        return template_version(ticket.template, ticket.template_version)
    except TemplateUnavailable as exc:
        abort(exc.status, str(exc))


def _template_or_abort(key: str) -> TemplateForm:
    try:
        return published_template(key)
    except TemplateUnavailable as exc:
        abort(exc.status, str(exc))


def _choices(schema: dict[str, Any]) -> list[tuple[str, str]] | None:
    """(value, label) of an enum-like string field; None when it is not one."""
    if isinstance(schema.get("enum"), list):
        return [(str(v), str(v)) for v in schema["enum"]]
    options = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(options, list) and options and all(
        isinstance(o, dict) and "const" in o for o in options
    ):
        return [(str(o["const"]), str(o.get("title") or o["const"])) for o in options]
    return None


def field_kind(schema: Any) -> str | None:
    """How a top-level custom field is filtered: enum, number, date, boolean, text (or None)."""
    if not isinstance(schema, dict):
        return None
    if _choices(schema) is not None:
        return "enum"
    kind = schema.get("type")
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "string":
        return "date" if schema.get("format") in ("date", "date-time") else "text"
    return None


def _properties(tf: TemplateForm) -> dict[str, dict[str, Any]]:
    """Top-level properties, including those a conditional (`then`) adds."""
    out: dict[str, dict[str, Any]] = {}
    schema = tf.schema

    def collect(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and name not in out:
                out[name] = sub
        for branch in ("then", "else"):
            collect(node.get(branch))
        for part in node.get("allOf") or []:
            collect(part)

    collect(schema)
    return out


def _title(tf: TemplateForm | None, name: str) -> str:
    if tf is None:
        return name
    sub = _properties(tf).get(name) or {}
    return str(sub.get("title") or name)


def _column_name(column: Any) -> str | None:
    if not isinstance(column, str) or not column:
        return None
    name = column[1:] if column.startswith("/") else column
    return name.split("/", 1)[0].replace("~1", "/").replace("~0", "~") or None


def filter_specs(tf: TemplateForm) -> list[dict[str, Any]]:
    """The filter inputs of a template's list: one per top-level field of a known kind."""
    specs = []
    for name, sub in _properties(tf).items():
        kind = field_kind(sub)
        if kind is None or not FIELD_NAME.match(name):
            continue
        specs.append(
            {"name": name, "kind": kind, "title": str(sub.get("title") or name),
             "choices": _choices(sub) or []}
        )
    return specs


def read_field_filters(specs: list[dict[str, Any]]) -> tuple[query.FieldFilter, ...]:
    """The query.py filters of the non-empty filter inputs (BadFilter on a bad value)."""
    found: list[query.FieldFilter] = []
    args = request.args
    for spec in specs:
        name, kind = spec["name"], spec["kind"]
        base = f"f.{name}"
        if kind == "enum":
            values = tuple(v for v in args.getlist(base) if v)
            if values:
                found.append(query.EnumIs(name, values))
        elif kind == "number":
            low, high = args.get(base + ".min", ""), args.get(base + ".max", "")
            if low or high:
                found.append(query.NumberRange(name, query.as_decimal(low), query.as_decimal(high)))
        elif kind == "date":
            start, end = args.get(base + ".from", ""), args.get(base + ".to", "")
            if start or end:
                found.append(query.DateRange(name, start or None, end or None))
        elif kind == "boolean":
            value = args.get(base + ".is", "")
            if value in ("true", "false"):
                found.append(query.FlagIs(name, value == "true"))
            elif value:
                raise BadFilter(f"{name} must be yes or no.")
        elif kind == "text":
            prefix = args.get(base + ".prefix", "")
            if prefix:
                found.append(query.TextPrefix(name, prefix))
    return tuple(found)


def display(value: Any) -> str:
    """A custom value as text (objects and arrays as JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _published_templates() -> list[Definition]:
    return list(
        db.session.scalars(
            select(Definition)
            .where(
                Definition.kind == "template",
                Definition.status == DefinitionStatus.PUBLISHED.value,
            )
            .order_by(Definition.title, Definition.key)
        )
    )


def _system_values(
    tf: TemplateForm, errors: dict[str, list[str]], *, with_subject: bool
) -> dict[str, Any]:
    """Requester, priority and (when the template names none) subject from the posted form."""
    form = request.form
    given = {n: form.get(f"requester_{n}", "") for n in REQUESTER_FIELDS}
    requester = parse_requester(errors, given)
    priority = parse_priority(errors, form.get("priority", Priority.NORMAL.value))
    values: dict[str, Any] = {"requester": requester, "priority": priority, "subject": None}
    if with_subject:
        values["subject"] = parse_subject(errors, form.get("subject", ""))
    return values


def _formdata() -> CombinedMultiDict:  # type: ignore[type-arg]
    return CombinedMultiDict([request.files, request.form])


def _upload_limits() -> dict[str, Any]:
    """What the comment form says about files: count, size and types allowed."""
    storage = storage_for(current_app)
    return {
        "files": MAX_FILES_PER_COMMENT,
        "size": human_size(storage.max_bytes),
        "types": sorted(storage.allowed_types),
    }


# ---------------------------------------------------------------------------------------------
# The view


class TicketView(BaseView):
    """New ticket, lists, detail with edit and comments; generated from the templates."""

    route_base = "/tickets"
    default_view = "index"
    method_permission_name = {
        "index": "list",
        "new_index": "new",
        "new": "new",
        "show": "show",
        "edit": "edit",
        "comment": "comment",
        "download": "show",
    }

    def create_blueprint(
        self, appbuilder: Any, endpoint: Any = None, static_folder: Any = None
    ) -> Any:
        """Also serve the form compiler's script (`/tickets/static/tessera-forms.js`)."""
        return super().create_blueprint(appbuilder, endpoint, forms.STATIC_FOLDER)

    def _script(self) -> str:
        return url_for(f"{self.endpoint}.static", filename=forms.SCRIPT)

    # -- new ---------------------------------------------------------------------------------

    @expose("/new/")
    @has_access
    def new_index(self):  # type: ignore[no-untyped-def]
        """The published templates an agent may open a ticket with."""
        return self.render_template(
            "tessera/tickets/new_index.html", templates=_published_templates(), title="New ticket"
        )

    @expose("/new/<string:template>", methods=["GET", "POST"])
    @has_access
    def new(self, template: str):  # type: ignore[no-untyped-def]
        """The template's compiled form plus the system fields; POST creates the ticket."""
        tf = _template_or_abort(template)
        needs_subject = not tf.settings.get("subject")
        if request.method == "GET":
            return self._new_page(tf, tf.form(), {}, needs_subject)
        form = tf.form(formdata=_formdata())
        valid = form.validate()
        errors: dict[str, list[str]] = {}
        system = _system_values(tf, errors, with_subject=needs_subject)
        data = form.to_instance()
        if not valid or errors or not isinstance(data, dict):
            db.session.rollback()
            return self._new_page(tf, form, errors, needs_subject), 422
        try:
            department_id = default_department_id(tf)
        except NoDefaultDepartment as exc:
            flash(str(exc), "danger")
            return self._new_page(tf, form, errors, needs_subject), 409
        subject = system["subject"] or tf.subject_from(data) or tf.title.strip()
        try:
            ticket = create_ticket(
                template=tf.key,
                template_version=tf.version,
                subject=subject[:SUBJECT_MAX],
                department_id=department_id,
                data=data,
                requester=Requester(**system["requester"]),
                priority=system["priority"],
                channel=Channel.AGENT.value,
                actor_id=g.user.id,
            )
        except TicketError as exc:
            flash(f"Not saved: {exc}", "danger")
            return self._new_page(tf, form, errors, needs_subject), 422
        flash(f"Created {ticket.number}.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=ticket.id))

    def _new_page(
        self, tf: TemplateForm, form: Any, errors: dict[str, list[str]], needs_subject: bool
    ) -> str:
        return self.render_template(
            "tessera/tickets/new.html",
            tf=tf, form=form, errors=errors, needs_subject=needs_subject,
            priorities=list(Priority), posted=request.form, forms_script=self._script(),
            title=f"New ticket: {tf.title}",
        )

    # -- list --------------------------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):  # type: ignore[no-untyped-def]
        """Tickets by view (mine, queue, all) or by template, newest first, keyset pages."""
        view = request.args.get("view", "all")
        if view not in VIEWS:
            view = "all"
        key = request.args.get("template") or None
        tf = _template_or_abort(key) if key else None
        specs = filter_specs(tf) if tf is not None else []
        columns: list[tuple[str, str]] = []
        if tf is not None:
            for column in tf.settings.get("list_columns") or []:
                name = _column_name(column)
                if name:
                    columns.append((name, _title(tf, name)))
        scope = visible_departments()
        assignee: int | str | None = None
        if view == "mine":
            assignee = int(g.user.id)
        elif view == "queue":
            assignee = query.UNASSIGNED
            if scope is None:  # an admin's "my departments" are still the ones they belong to
                scope = self._my_departments()
        cursor = request.args.get("cursor") or None
        limit = max(1, min(request.args.get("limit", PAGE_SIZE, type=int) or PAGE_SIZE, 100))
        error = None
        page: query.TicketPage = query.TicketPage([], None)
        count, capped = 0, False
        try:
            filters = query.TicketFilters(
                template=key,
                department_ids=scope,
                assignee=assignee,  # type: ignore[arg-type]
                fields=read_field_filters(specs),
            )
            page = query.list_tickets(filters, cursor, limit)
            count, capped = query.count_tickets(filters, cap=COUNT_CAP)
        except (BadFilter, BadCursor) as exc:
            db.session.rollback()
            error = str(exc)
        departments = {
            d.id: d.name
            for d in db.session.scalars(
                select(Department).where(
                    Department.id.in_(sorted({t.department_id for t in page.tickets}))
                )
            )
        }
        users = users_by_id(t.assignee_id for t in page.tickets)
        next_args = None
        if page.next_cursor:
            next_args = request.args.to_dict(flat=False)
            next_args["cursor"] = [page.next_cursor]
        return (
            self.render_template(
                "tessera/tickets/list.html",
                view=view, views=VIEWS, tf=tf, templates=_published_templates(),
                specs=specs, columns=columns, tickets=page.tickets, count=count,
                capped=capped, cap=COUNT_CAP, next_args=next_args, args=request.args,
                departments=departments, users=users, display=display, error=error,
                title="Tickets",
            ),
            400 if error else 200,
        )

    def _my_departments(self) -> set[int]:
        from app.models import Membership

        return set(
            db.session.scalars(
                select(Membership.department_id).where(Membership.user_id == g.user.id)
            )
        )

    # -- detail, edit, comment ---------------------------------------------------------------

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):  # type: ignore[no-untyped-def]
        """System fields, custom data, history, comments, and the edit form."""
        ticket = _scoped_ticket(pk)
        tf = _version_or_abort(ticket)
        form = tf.form(data=ticket.data or {})
        return self._detail(ticket, tf, form, ticket.lock_version)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk: int):  # type: ignore[no-untyped-def]
        """Save the edit form against the lock_version it was read at (409 when stale)."""
        ticket = _scoped_ticket(pk)
        tf = _version_or_abort(ticket)
        lock_text = request.form.get("lock_version", "")
        if not (lock_text.isascii() and lock_text.isdigit()):
            abort(400, "lock_version is missing.")
        expected = int(lock_text)
        form = tf.form(formdata=_formdata(), data=ticket.data or {})
        valid = form.validate()
        errors: dict[str, list[str]] = {}
        system = _system_values(tf, errors, with_subject=True)
        data = form.to_instance()
        if not valid or errors or not isinstance(data, dict):
            db.session.rollback()
            return self._detail(ticket, tf, form, expected, errors=errors), 422
        changes: dict[str, Any] = {
            "subject": system["subject"],
            "priority": system["priority"],
            "data": data,
        }
        for name in REQUESTER_FIELDS:
            changes[f"requester_{name}"] = system["requester"].get(name)
        try:
            update_ticket(pk, changes, expected, g.user.id, channel=Channel.AGENT.value)
        except StaleTicket as exc:
            db.session.rollback()
            current = _scoped_ticket(pk)
            who = users_by_id([exc.changed_by_id]).get(exc.changed_by_id or -1)
            stale = {
                "by": (who or {}).get("name") or (who or {}).get("username") or "someone",
                "at": exc.changed_at,
                "current": current.data or {},
            }
            # The form keeps what the agent typed; saving again now replaces the newer version
            # knowingly (the message says so), never silently.
            return (
                self._detail(current, tf, form, exc.current_version, errors=errors, stale=stale),
                409,
            )
        except TicketError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "danger")
            return self._detail(ticket, tf, form, expected, errors=errors), exc.status
        flash("Saved.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/comment", methods=["POST"])
    @has_access
    def comment(self, pk: int):  # type: ignore[no-untyped-def]
        """Add a public reply or an internal note, with files; all or nothing."""
        ticket = _scoped_ticket(pk)
        try:
            body = request.form.get("body", "")
            internal = request.form.get("internal") in ("1", "true", "on")
            uploads = uploads_from(request.files.getlist("files"))
        except RequestEntityTooLarge:
            limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
            message = f"The request is larger than {limit:,} bytes; nothing was saved."
            return self._comment_refused(ticket, "", False, [message], 413)
        if not body.strip() and not uploads:
            flash("A comment needs text or a file.", "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk)), 303
        problems = body_errors(body)
        if problems:
            return self._comment_refused(ticket, body, internal, problems, 422)
        try:
            add_comment(
                pk, body, g.user.id, internal=internal, channel=Channel.AGENT.value,
                uploads=uploads, storage=storage_for(current_app),
            )
        except TicketInvalid as exc:
            messages = [m for found in exc.errors.values() for m in found]
            return self._comment_refused(ticket, body, internal, messages, exc.status)
        added = "Internal note added" if internal else "Reply added"
        files = f" with {len(uploads)} file{'s' if len(uploads) != 1 else ''}" if uploads else ""
        flash(f"{added}{files}.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    def _comment_refused(
        self, ticket: Ticket, body: str, internal: bool, messages: list[str], status: int
    ) -> tuple[str, int]:
        """The detail page again, the comment form holding the text and saying why."""
        db.session.rollback()
        tf = _version_or_abort(ticket)
        form = tf.form(data=ticket.data or {})
        comment = {"body": body, "internal": internal, "errors": messages}
        return self._detail(ticket, tf, form, ticket.lock_version, comment=comment), status

    @expose("/<int:pk>/attachments/<int:aid>")
    @has_access
    def download(self, pk: int, aid: int):  # type: ignore[no-untyped-def]
        """One attachment of a ticket the user may see, as a download (404 otherwise)."""
        try:
            return download_response(visible_attachment(pk, aid), storage_for(current_app))
        except (TicketNotFound, AttachmentMissing):
            abort(404)

    def _detail(
        self,
        ticket: Ticket,
        tf: TemplateForm,
        form: Any,
        lock_version: int,
        *,
        errors: dict[str, list[str]] | None = None,
        stale: dict[str, Any] | None = None,
        comment: dict[str, Any] | None = None,
    ) -> str:
        data = ticket.data or {}
        order = [str(n) for n in (tf.ui_schema.get("ui:order") or []) if n != "*"]
        names = [n for n in order if n in data] + [n for n in data if n not in order]
        custom = [(_title(tf, n), display(data[n])) for n in names]
        attachments = ticket_attachments(ticket.id)
        users = users_by_id(
            [ticket.assignee_id]
            + [c.author_id for c in ticket.comments]
            + [e.actor_id for e in ticket.events]
            + [a.uploaded_by_id for a in attachments]
        )
        department = db.session.get(Department, ticket.department_id)
        current = None
        if stale is not None:
            current = [(_title(tf, n), display(v)) for n, v in stale["current"].items()]
        # Only the edit form posts back into the system fields; a refused comment does not.
        edit_posted = request.method == "POST" and comment is None
        return self.render_template(
            "tessera/tickets/show.html",
            ticket=ticket, tf=tf, form=form, lock_version=lock_version, custom=custom,
            users=users, department=department, errors=errors or {}, stale=stale,
            current=current, posted=request.form if edit_posted else None,
            priorities=list(Priority), display=display, forms_script=self._script(),
            attachments=attachments, attachments_by_comment=by_comment(attachments),
            comment=comment or {"body": "", "internal": False, "errors": []},
            limits=_upload_limits(), human_size=human_size,
            title=f"{ticket.number}: {ticket.subject}",
        )
