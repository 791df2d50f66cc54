"""The agent's ticket pages, generated from the published templates (no per-template views).

- `/tickets/new/` lists the published templates; `/tickets/new/<template>` renders the
  template's compiled form plus the system fields and creates the ticket in one transaction,
  through the one way in the API takes too (`app.tickets.intake`: department, state, assignee).
- `/tickets/` lists tickets: "mine", "queue" (my departments, unassigned), "all" (scoped), and
  per template (`?template=`) with its `list_columns` and filters generated from its schema;
  on every list a free-text search (`?q=`), the system filters (`app.tickets.filters`
  `read_system_filters`, the API's reader too), one department, and sortable headers.
- `/tickets/<pk>` shows a ticket: its header, its values as people read them
  (`app.tickets.display`), the conversation, the history, and the edit form (optimistic
  locking), folded until asked for or a save was refused; nothing autofocuses. A save read
  at an older version is merged three-way with what others saved meanwhile
  (`app.tickets.merge`: only the agent's own changes are applied, the base version recomputed
  from the history); values both changed differently answer 409 with both values side by
  side and a choice per value, nothing saved until the agent chooses.
- `/tickets/<pk>/comment` adds a reply or internal note with files, all or nothing (a refused
  file answers 413/422 on the page, the typed text and the stored values kept; a GET goes
  back to the ticket); `/tickets/<pk>/attachments/<aid>`
  downloads one file, scoped like the ticket (`app.tickets.comments`).

Scoping and the API's input checks are the API's own (`app.api.tickets`): a ticket outside the
user's departments answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

import forms
from app.definitions.filterable import filter_specs
from app.extensions import db
from app.limits import MAX_ID
from app.models import Definition, DefinitionStatus
from app.security import request_memo
from app.tickets import display, filefields, merge, query
from app.tickets.access import (
    NoDefaultDepartment,
    all_departments,
    department_members,
    member_roles,
    members_of,
    parse_assignee,
    readable_ticket,
    users_by_id,
    visible_departments,
    visible_ticket,
    works_on,
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
    TicketReadOnly,
)
from app.tickets.filefields import FileRef
from app.tickets.filters import read_field_filters, read_system_filters
from app.tickets.intake import NewTicket, open_ticket, read_form
from app.tickets.models import Channel, Priority, Ticket
from app.tickets.query import COUNT_CAP
from app.tickets.search import MIN_CONTAINS
from app.tickets.service import MAX_FILES_PER_COMMENT, Requester, add_comment, update_ticket
from app.tickets.storage import storage_for
from app.tickets.system import parse_priority, parse_requester, parse_subject
from app.tickets.templates import (
    TemplateForm,
    TemplateUnavailable,
    published_template,
    template_form,
    template_version,
)
from app.tickets.workflow import (
    WorkflowUnavailable,
    default_workflow,
    loaded,
    workflow_for,
    workflow_of,
)
from app.views import ticket_edits as edits
from app.views import ticket_lists as lists
from app.views import ticket_workflow as workflow_panel
from app.views.display import viewer_zone
from workflows import Category

VIEWS = {
    "mine": "My tickets",
    "queue": "My departments' queue",
    "created": "Created by me",
    "all": "All tickets",
}
PAGE_SIZE = query.DEFAULT_LIMIT
REQUESTER_FIELDS = edits.REQUESTER_FIELDS


# ---------------------------------------------------------------------------------------------
# Helpers


def _scoped_ticket(pk: int) -> Ticket:
    """The ticket the user works on; 404 when out of reach, 403 when they may only read it."""
    try:
        return visible_ticket(pk)
    except TicketNotFound:
        abort(404)
    except TicketReadOnly:
        abort(403)


def _readable_ticket(pk: int) -> Ticket:
    """The ticket the user works on or follows (created, commented on); 404 otherwise."""
    try:
        return readable_ticket(pk)
    except TicketNotFound:
        abort(404)


def _version_or_abort(ticket: Ticket) -> TemplateForm:
    try:
        return template_version(ticket.template, ticket.template_version)
    except TemplateUnavailable as exc:
        abort(exc.status, str(exc))


def _template_or_abort(key: str) -> TemplateForm:
    row = next((d for d in _published("template") if d.key == key), None)
    try:
        return template_form(row) if row is not None else published_template(key)
    except TemplateUnavailable as exc:
        abort(exc.status, str(exc))


def _comment_added(internal: bool, files: int) -> str:
    """The flash after a comment: reply or internal note, with how many files."""
    if not files:
        return _("Internal note added.") if internal else _("Reply added.")
    if internal:
        return ngettext(
            "Internal note added with %(num)d file.", "Internal note added with %(num)d files.",
            files,
        )
    return ngettext("Reply added with %(num)d file.", "Reply added with %(num)d files.", files)


def _file_link(ticket_id: int) -> display.Link:
    """Where the page links a file field's reference: the ticket's own download route."""

    def link(ref: FileRef) -> str:
        return url_for("TicketView.download", pk=ticket_id, aid=ref.attachment_id)

    return link


def _workflow_names(ticket: Ticket) -> tuple[dict[str, str], dict[str, str]]:
    """({state: label}, {transition: label}) of the ticket's workflow ({} when it is gone)."""
    try:
        workflow = workflow_of(ticket).workflow
    except WorkflowUnavailable:
        return {}, {}
    states = {name: state.label or name for name, state in workflow.states.items()}
    moves = {t.name: t.label or t.name for t in workflow.parts.transitions}
    return states, moves


def _reading(
    ticket: Ticket, tf: TemplateForm, users: dict[int, dict[str, Any]], departments: set[int]
) -> display.Reading:
    """What the page reads the ticket's values and history with: names, labels, the zone."""
    names = {d.id: d.name for d in all_departments() if d.id in departments}
    states, moves = _workflow_names(ticket)
    return display.Reading(
        schema=tf.schema,
        ui=tf.ui_schema,
        zone=viewer_zone(),
        users={pk: str(u.get("name") or u.get("username") or pk) for pk, u in users.items()},
        departments=names,
        states=states,
        transitions=moves,
    )


def _state_names(tf: TemplateForm | None) -> list[str]:
    """The states a list's state filter offers: the template's workflow's, else every one's."""
    if tf is not None:
        key = tf.settings.get("workflow")
        row = next((d for d in _published("workflow") if d.key == key), None)
        try:
            # The published version is among the request's; workflow_for for the rest.
            return list((loaded(row) if row is not None else workflow_for(tf)).workflow.states)
        except WorkflowUnavailable:
            return []
    names = list(default_workflow().workflow.states)
    for row in _published("workflow"):
        names += loaded(row).workflow.states
    return list(dict.fromkeys(names))


def _published_templates() -> list[Definition]:
    return _published("template")


def _published(kind: str) -> list[Definition]:
    """The published templates or workflows, by title: one query for both kinds per request."""

    def read() -> list[Definition]:
        published = select(Definition).where(
            Definition.kind.in_(("template", "workflow")),
            Definition.status == DefinitionStatus.PUBLISHED.value,
        )
        return list(db.session.scalars(published.order_by(Definition.title, Definition.key)))

    return [d for d in request_memo("published_definitions", read) if d.kind == kind]


def _system_values(errors: dict[str, list[str]], *, with_subject: bool) -> dict[str, Any]:
    """Requester, priority and (when the template names none) subject from the posted form.

    A priority not posted is None: a new ticket's then falls to the intake's default.
    """
    form = request.form
    given = {n: form.get(f"requester_{n}", "") for n in REQUESTER_FIELDS}
    requester = parse_requester(errors, given)
    priority = parse_priority(errors, form["priority"]) if "priority" in form else None
    values: dict[str, Any] = {"requester": requester, "priority": priority, "subject": None}
    if with_subject:
        values["subject"] = parse_subject(errors, form.get("subject", ""))
    return values


def _formdata() -> CombinedMultiDict[str, Any]:
    return CombinedMultiDict([request.files, request.form])


def _posted_lock_version() -> int:
    """The lock_version the posted form was read at (400 when it is missing or not a number)."""
    text = request.form.get("lock_version", "")
    if not (text.isascii() and text.isdigit()):
        abort(400, "lock_version is missing.")
    if len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        abort(400, _("lock_version is not a version of this ticket."))
    return int(text)


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


class TicketView(workflow_panel.TicketWorkflowPages, BaseView):
    """New ticket, lists, detail with edit and comments; generated from the templates.

    The workflow's routes (transition, claim, transfer, chase) come from
    `app.views.ticket_workflow.TicketWorkflowPages`.
    """

    route_base = "/tickets"
    default_view = "index"
    method_permission_name = {
        "index": "list",
        "new_index": "new",
        "new": "new",
        "show": "show",
        "edit": "edit",
        "comment": "comment",
        "assign": "edit",
        "transition": "edit",
        "claim": "edit",
        "transfer": "edit",
        "chase": "edit",
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
    def new_index(self) -> ResponseReturnValue:
        """The published templates an agent may open a ticket with."""
        return self.render_template(
            "tessera/tickets/new_index.html", templates=_published_templates(), title="New ticket"
        )

    @expose("/new/<string:template>", methods=["GET", "POST"])
    @has_access
    def new(self, template: str) -> ResponseReturnValue:
        """The template's compiled form plus the system fields; POST creates the ticket."""
        tf = _template_or_abort(template)
        needs_subject = not tf.settings.get("subject")
        if request.method == "GET":
            return self._new_page(tf, tf.form(timezone=viewer_zone()), {}, needs_subject)
        form = tf.form(formdata=_formdata(), timezone=viewer_zone())
        checked = read_form(tf, form)
        errors: dict[str, list[str]] = {}
        system = _system_values(errors, with_subject=needs_subject)
        if checked is None or errors:
            db.session.rollback()
            return self._new_page(tf, form, errors, needs_subject), 422
        new = NewTicket(
            checked=checked,
            requester=Requester(**system["requester"]),
            channel=Channel.AGENT.value,
            actor_id=g.user.id,
            subject=system["subject"],
            priority=system["priority"],
        )
        try:
            ticket = open_ticket(new)
        except NoDefaultDepartment as exc:
            flash(str(exc), "danger")
            return self._new_page(tf, form, errors, needs_subject), 409
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
    def index(self) -> ResponseReturnValue:
        """Tickets by view (mine, queue, all) or by template, sorted, keyset pages."""
        view = request.args.get("view", "all")
        if view not in VIEWS:
            view = "all"
        key = request.args.get("template") or None
        tf = _template_or_abort(key) if key else None
        specs = filter_specs(tf.settings, tf.schema, tf.ui_schema) if tf is not None else []
        columns = lists.columns(tf) if tf is not None else []
        sortable = lists.sortable(tf) if tf is not None else []
        column_sorts = lists.column_sorts(tf, columns) if tf is not None else []
        scope = visible_departments()
        assignee: int | Literal["unassigned"] | None = None
        creator: int | None = None
        if view == "mine":
            assignee = int(g.user.id)
        elif view == "created":  # wherever they were routed: the creator may read them
            creator, scope = int(g.user.id), None
        elif view == "queue":
            assignee = query.UNASSIGNED
            if scope is None:  # an admin's "my departments" are still the ones they belong to
                scope = self._my_departments()
        cursor = request.args.get("cursor") or None
        limit = max(1, min(request.args.get("limit", PAGE_SIZE, type=int) or PAGE_SIZE, 100))
        error = None
        page: query.TicketPage = query.TicketPage([], None)
        count, capped = 0, False
        sort: query.Sort | query.FieldSort = query.Sort.NEWEST
        choices = self._filter_choices(tf, visible_departments())
        try:
            sort = lists.read_sort(request.args, sortable, key)
            filters = read_system_filters(
                request.args,
                int(g.user.id),
                query.TicketFilters(
                    template=key,
                    department_ids=lists.read_department(request.args, scope),
                    created_by=creator,
                    fields=read_field_filters(request.args, specs, form=True),
                    sort=sort,
                ),
            )
            if assignee is not None:  # "mine" and the queue fix it
                filters = replace(filters, assignee=assignee)
            page = query.list_tickets(filters, cursor, limit)
            if cursor is None and page.next_cursor is None:  # every match is on this page
                shown = len(page.tickets)
                count, capped = (COUNT_CAP, True) if shown > COUNT_CAP else (shown, False)
            else:
                count, capped = query.count_tickets(filters, cap=COUNT_CAP, at_least=page.seen)
        except (BadFilter, BadCursor) as exc:
            db.session.rollback()
            error = str(exc)
        departments = {d.id: d.name for d in all_departments()}
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
                capped=capped, cap=COUNT_CAP, probe=query.SEARCH_PROBE_ROWS, next_args=next_args,
                args=request.args, departments=departments, users=users, display=lists.display,
                error=error,
                sla_text=lists.sla_text, title="Tickets", sort_value=sort.value,
                sorts=lists.sort_options(column_sorts, {c.name: c.title for c in columns}),
                sort_links=lists.sort_links(request.args, sort, column_sorts), choices=choices,
                filtered=lists.filters_given(request.args), min_term=MIN_CONTAINS,
            ),
            400 if error else 200,
        )

    def _filter_choices(self, tf: TemplateForm | None, scope: set[int] | None) -> dict[str, Any]:
        """The options of the list's filter inputs: states, departments, assignees and more."""
        departments = [d for d in all_departments() if scope is None or d.id in scope]
        people = sorted(
            members_of(d.id for d in departments),
            key=lambda u: (u["name"] or u["username"]).lower(),
        )
        return {
            "states": _state_names(tf),
            "categories": [c.value for c in Category],
            "priorities": [p.value for p in Priority],
            "departments": [(d.id, d.name) for d in departments],
            "assignees": [(u["id"], u["name"] or u["username"]) for u in people],
        }

    def _my_departments(self) -> set[int]:
        return set(member_roles(int(g.user.id)))

    # -- detail, edit, comment ---------------------------------------------------------------

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> ResponseReturnValue:
        """The ticket's header, its values, comments, history, and the edit form (folded)."""
        ticket = _readable_ticket(pk)
        tf = _version_or_abort(ticket)
        form = edits.edit_form(tf)(formdata=None, data=ticket.data or {}, timezone=viewer_zone())
        return self._detail(ticket, tf, form, ticket.lock_version)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk: int) -> ResponseReturnValue:
        """Save the edit form; read at an older version, it is merged with the newer ones.

        The form posts the lock_version it was read at; the server recomputes that version
        from the history (`app.tickets.merge`) and applies only what the agent changed. Values
        both sides changed differently are not saved: the page (409) shows both and asks which
        to keep (`conflict` and `choice:<pointer>` fields), then the agent saves again.
        """
        ticket = _scoped_ticket(pk)
        tf = _version_or_abort(ticket)
        read_at = _posted_lock_version()
        choices = edits.posted_choices()
        form = edits.edit_form(tf)(
            formdata=_formdata(), data=ticket.data or {}, timezone=viewer_zone()
        )
        files = filefields.read_posted(form, ticket=ticket)
        errors: dict[str, list[str]] = {}
        system = _system_values(errors, with_subject=True)
        data = form.to_instance()
        posted = edits.posted_values(system, data if isinstance(data, dict) else {})
        shown = dict(request.form)
        # The version a conflict page showed (the one it posts): where "take theirs" looks.
        base = None
        if choices:
            found = edits.base(ticket, read_at, posted)
            base = edits.stored_values(ticket) if found is merge.UNKNOWN else found
        mine = posted
        taken = [p for p, choice in choices.items() if choice == "theirs"]
        if base is not None and taken and isinstance(data, dict):
            mine, form = edits.take_theirs(tf, ticket, form, posted, base, taken, errors, shown)
        valid = filefields.validate(form, files)
        unchosen = [p for p, choice in choices.items() if choice is None]
        if not valid or errors or not isinstance(data, dict) or unchosen:
            db.session.rollback()
            view = None
            if base is not None:
                view = edits.MergeView(ticket, tf)
                view.unchosen = bool(unchosen)
                for pointer, choice in choices.items():
                    view.note_conflict(
                        pointer, merge.get(posted, pointer), merge.get(base, pointer), choice
                    )
            status = 409 if valid and not errors and isinstance(data, dict) else 422
            return self._detail(
                ticket, tf, form, read_at, errors=errors, values=shown, merged=view, editing=True
            ), status
        return self._save(pk, tf, read_at, mine, files)

    def _save(
        self, pk: int, tf: TemplateForm, read_at: int, mine: dict[str, Any],
        files: filefields.Files = filefields.NO_FILES,
    ) -> ResponseReturnValue:
        """Save `mine`, merged with the versions after `read_at`; the conflict page if needed."""
        for _attempt in range(edits.SAVE_ATTEMPTS):
            current = _scoped_ticket(pk)
            theirs = edits.stored_values(current)
            view = edits.MergeView(current, tf)
            final: dict[str, Any] = mine
            conflicts: list[merge.Conflict] = []
            if current.lock_version != read_at:
                base = edits.base(current, read_at, mine)
                final, conflicts = merge.three_way(base, mine, theirs)
                view.unknown = base is merge.UNKNOWN
                if not view.unknown:
                    clashes = [c.pointer for c in conflicts]
                    view.note_changed(
                        [p for p in merge.differences(base, theirs)
                         if not any(edits.within(p, c) for c in clashes)],
                        theirs,
                    )
            combined = not merge.same(final["data"], mine["data"])
            if conflicts or (combined and tf.errors(files.stored(final["data"]))):
                return self._conflict_page(current, tf, view, final, conflicts)
            try:
                filefields.update_ticket(files, pk, final, current.lock_version, g.user.id,
                                         channel=Channel.AGENT.value)
            except StaleTicket:
                db.session.rollback()
                continue
            except TicketError as exc:
                db.session.rollback()
                flash(f"Not saved: {exc}", "danger")
                form = edits.form_for(tf, final["data"], current.data or {})
                return self._detail(current, tf, form, current.lock_version,
                                    values=final, editing=True), exc.status
            flash(view.kept_message() if view.changed else "Saved.", "success")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        db.session.rollback()
        abort(409, _("The ticket keeps changing; open it again and repeat your change."))

    def _conflict_page(
        self,
        current: Ticket,
        tf: TemplateForm,
        view: edits.MergeView,
        final: dict[str, Any],
        conflicts: list[merge.Conflict],
    ) -> ResponseReturnValue:
        """409: the combined version in the form, both values of each conflict side by side.

        The form holds the agent's value at each conflict (to keep or refine) and posts the
        current lock_version, so saving it again merges only with what changes after now.
        """
        db.session.rollback()
        for conflict in conflicts:
            view.note_conflict(conflict.pointer, conflict.mine, conflict.theirs, None)
        shown = merge.resolve(final, conflicts, {c.pointer: "mine" for c in conflicts})
        form = edits.form_for(tf, shown["data"], current.data or {})
        view.invalid = not form.validate()
        values = {name: shown[name] for name in edits.EDIT_COLUMNS}
        return self._detail(
            current, tf, form, current.lock_version, values=values, merged=view, editing=True
        ), 409

    @expose("/<int:pk>/comment", methods=["GET", "POST"])
    @has_access
    def comment(self, pk: int) -> ResponseReturnValue:
        """Add a public reply or an internal note, with files; all or nothing.

        A GET (the address of a refused comment, reloaded) goes back to the ticket's page.
        """
        ticket = _readable_ticket(pk)
        if request.method == "GET":
            return redirect(url_for(f"{self.endpoint}.show", pk=ticket.id))
        try:
            body = request.form.get("body", "")
            internal = request.form.get("internal") in ("1", "true", "on")
            uploads = uploads_from(request.files.getlist("files"))
        except RequestEntityTooLarge:
            limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
            message = _(
                "The request is larger than %(limit)s bytes; nothing was saved.",
                limit=f"{limit:,}",
            )
            return self._comment_refused(ticket, "", False, [message], 413)
        if not body.strip() and not uploads:
            flash(_("A comment needs text or a file."), "danger")
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
        flash(_comment_added(internal, len(uploads)), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    def _comment_refused(
        self, ticket: Ticket, body: str, internal: bool, messages: list[str], status: int
    ) -> tuple[str, int]:
        """The detail page again, the comment form holding the text and saying why.

        formdata=None: the edit form shows the ticket's stored values, not the comment's post.
        """
        db.session.rollback()
        tf = _version_or_abort(ticket)
        form = edits.edit_form(tf)(formdata=None, data=ticket.data or {}, timezone=viewer_zone())
        comment = {"body": body, "internal": internal, "errors": messages}
        return self._detail(ticket, tf, form, ticket.lock_version, comment=comment), status

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk: int) -> ResponseReturnValue:
        """Assign the ticket to a member of its department, to me, or back to the queue."""
        ticket = _scoped_ticket(pk)
        expected = _posted_lock_version()
        errors: dict[str, list[str]] = {}
        assignee = parse_assignee(errors, ticket.department_id, request.form.get("assignee"))
        target = url_for(f"{self.endpoint}.show", pk=pk)
        if errors:
            flash(" ".join(errors["/assignee"]), "danger")
            return redirect(target), 303
        try:
            update_ticket(
                pk, {"assignee_id": assignee}, expected, g.user.id,
                channel=Channel.AGENT.value,
            )
        except StaleTicket:
            db.session.rollback()
            flash("Not assigned: someone changed this ticket meanwhile; check it again.", "danger")
            return redirect(target), 303
        who = users_by_id([assignee]).get(assignee or -1)
        flash(f"Assigned to {who['name'] or who['username']}." if who else "Back in the queue.",
              "success")
        return redirect(target)

    @expose("/<int:pk>/attachments/<int:aid>")
    @has_access
    def download(self, pk: int, aid: int) -> ResponseReturnValue:
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
        values: dict[str, Any] | None = None,
        merged: edits.MergeView | None = None,
        comment: dict[str, Any] | None = None,
        refused: workflow_panel.Refusal | None = None,
        editing: bool = False,
    ) -> str:
        """The detail page; the edit form holds `values` (else the stored ones) and `form`.

        `editing`: the page answers a save that was not done (invalid, a conflict, refused):
        the edit panel is open and the top of the page says so.
        """
        attachments = ticket_attachments(ticket.id)
        named_users, named_departments = display.named_ids(ticket.events)
        # First: the members' names come with them, users_by_id then reads only the others.
        members = department_members(ticket.department_id)
        users = users_by_id(
            [ticket.assignee_id]
            + [c.author_id for c in ticket.comments]
            + [e.actor_id for e in ticket.events]
            + [a.uploaded_by_id for a in attachments]
            + [*named_users]
        )
        department = next((d for d in all_departments() if d.id == ticket.department_id), None)
        reading = _reading(ticket, tf, users, named_departments)
        works = works_on(ticket)
        zone = reading.zone
        return self.render_template(
            "tessera/tickets/show.html",
            ticket=ticket, tf=tf, form=form, lock_version=lock_version,
            custom=display.summary(ticket.data or {}, tf.schema, tf.ui_schema, zone),
            history=[(e, display.history_line(e, reading)) for e in ticket.events],
            html=display.html, change_html=display.change_html, link=_file_link(ticket.id),
            moment=lambda at: display.moment(at, zone), sla_text=lists.sla_text,
            users=users, department=department, errors=errors or {}, merged=merged,
            values=values if values is not None else edits.stored_values(ticket),
            changed=set(merged.changed_pointers()) if merged else set(),
            priorities=list(Priority), editing=editing,
            forms_script=self._script(),
            attachments=attachments, attachments_by_comment=by_comment(attachments),
            members=members,
            comment=comment or {"body": "", "internal": False, "errors": []},
            limits=_upload_limits(), human_size=human_size,
            wf=workflow_panel.panel(ticket, tf, refused, works),
            works=works,
            title=f"{ticket.number}: {ticket.subject}",
        )

    def _detail_refused(
        self, ticket: Ticket, refused: workflow_panel.Refusal, status: int
    ) -> ResponseReturnValue:
        """The detail page again after a refused move, saying why where the user clicked."""
        db.session.rollback()
        current = _scoped_ticket(ticket.id)
        tf = _version_or_abort(current)
        # formdata=None: the edit form shows the stored data, not the refused post.
        form = edits.edit_form(tf)(formdata=None, data=current.data or {}, timezone=viewer_zone())
        return self._detail(current, tf, form, current.lock_version, refused=refused), status
