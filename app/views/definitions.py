"""The definitions console: lists, editor with live preview, publish/retire, history, usages.

One `DefinitionView` serves every kind; `FieldDefinitionView`, `WorkflowDefinitionView` and
`TemplateDefinitionView` are made from it with `type(...)`, differing only in `kind`. A kind
without a form (workflows) previews as an outline of its states and transitions instead.
Workflows are not published from here: `ApprovedDefinitionView` adds submitting a draft to
the department heads and withdrawing it (`app.approvals.workflows`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import CombinedMultiDict

import forms
from app.approvals import ApprovalError
from app.approvals import workflows as approvals
from app.definitions import store
from app.definitions.checked import raise_if
from app.definitions.checks import storable_errors
from app.definitions.errors import (
    DefinitionConflict,
    DefinitionInvalid,
    DefinitionNotFound,
    DefinitionStoreError,
)
from app.extensions import db
from app.models import AuditLog, Definition, Department
from app.views import definition_editor as editor
from app.views.display import viewer_zone

T = TypeVar("T")
DIFF_CLASSES = (("+++", "meta"), ("---", "meta"), ("@@", "hunk"), ("+", "add"), ("-", "del"))


# How pages name each kind of definition: (one, the list of them).
KIND_NAMES = {
    "field": (_l("field"), _l("Fields")),
    "template": (_l("template"), _l("Templates")),
    "workflow": (_l("workflow"), _l("Workflows")),
}


def store_call(action: Callable[..., T], *args: Any) -> T:
    """Run one store operation; a lost race on a unique constraint becomes a conflict."""
    try:
        return action(*args)
    except IntegrityError as exc:
        db.session.rollback()
        raise DefinitionConflict(
            "Someone else changed this definition at the same moment; reload and try again."
        ) from exc
    except DefinitionStoreError:
        db.session.rollback()
        raise


def diff_lines(text: str) -> list[tuple[str, str]]:
    """(css class, line) pairs of a unified diff, for the template to escape and style."""
    lines = []
    for line in text.splitlines():
        css = next((c for prefix, c in DIFF_CLASSES if line.startswith(prefix)), "same")
        lines.append((css, line))
    return lines


def last_changes(kind: str, ids: list[int]) -> dict[int, AuditLog]:
    """The newest audit entry of each definition version (who touched it last)."""
    if not ids:
        return {}
    entries = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.object_type == f"definition:{kind}", AuditLog.object_id.in_(ids))
        .order_by(AuditLog.at, AuditLog.id)
    )
    return {entry.object_id: entry for entry in entries if entry.object_id is not None}


def published_fields() -> list[Definition]:
    """The library fields a template can use now, by key."""
    return list(
        db.session.scalars(
            select(Definition)
            .where(Definition.kind == "field", Definition.status == store.PUBLISHED)
            .order_by(Definition.key)
        )
    )


class DefinitionView(BaseView):
    """Console pages for one kind of definition (set `kind` in a subclass)."""

    kind: ClassVar[str] = ""
    # Actions a POST carries out only with `confirm=1`; without it the confirmation page answers
    # (the editor's dialog posts the field, so browsers with scripts skip that page).
    confirmed_actions: ClassVar[frozenset[str]] = frozenset({"publish", "retire"})
    default_view = "list"
    method_permission_name = {
        "list": "read",
        "history": "read",
        "new": "write",
        "edit": "write",
        "preview": "write",
        "try_submit": "write",
        "publish": "publish",
        "retire": "publish",
        "submit": "publish",
        "withdraw": "publish",
    }

    def create_blueprint(
        self, appbuilder: Any, endpoint: Any = None, static_folder: Any = None
    ) -> Any:
        """Also serve the form compiler's script (`<route_base>/static/tessera-forms.js`)."""
        return super().create_blueprint(appbuilder, endpoint, forms.STATIC_FOLDER)

    # -- pages -----------------------------------------------------------------------------

    @expose("/")
    @has_access
    def list(self) -> ResponseReturnValue:
        """The newest version of every key, filtered by `?q=` (key or title)."""
        query = request.args.get("q", "").strip()
        rows = store.latest(self.kind)
        if query:
            needle = query.casefold()
            rows = [r for r in rows if needle in r.key.casefold() or needle in r.title.casefold()]
        live = {
            r.key: r.version
            for r in db.session.scalars(
                select(Definition).where(
                    Definition.kind == self.kind, Definition.status == store.PUBLISHED
                )
            )
        }
        return self.render_template(
            "tessera/definitions/list.html",
            rows=rows, live=live, query=query,
            changes=last_changes(self.kind, [r.id for r in rows]),
            **self._page_args(),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> ResponseReturnValue:
        """The editor for a new key; POST saves v1 as a draft."""
        if request.method == "GET":
            return self._editor(None, "", editor.split(self.kind, self._starter()))
        key = request.form.get("key", "").strip()
        try:
            raise_if(storable_errors(key, "/key"))  # before the lookup: PostgreSQL refuses NUL
            if key and store.versions(self.kind, key):
                raise DefinitionInvalid(
                    {"/key": [f"A {self.kind} with the key {key!r} exists already: edit it."]}
                )
            body = editor.assemble(self.kind, key, request.form)
            row = store_call(store.save_draft, self.kind, key, body, g.user.id)
        except DefinitionInvalid as exc:
            return self._editor(None, key, editor.texts_from(self.kind, request.form), exc), 422
        flash(f"Saved {self.kind} {row.key} v{row.version} as a draft.", "success")
        return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> ResponseReturnValue:
        """The editor for one version; POST updates the draft or starts the next one."""
        row = self._load(pk)
        if request.method == "GET":
            return self._editor(row, row.key, editor.split(self.kind, row.body))
        texts = editor.texts_from(self.kind, request.form)
        try:
            body = editor.assemble(self.kind, row.key, request.form)
            if body == row.body:
                flash(f"Nothing changed in {self.kind} {row.key} v{row.version}.", "info")
                return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))
            if row.status == store.DRAFT:
                saved = store_call(store.update_draft, row.id, body, g.user.id)
            else:
                saved = store_call(store.save_draft, self.kind, row.key, body, g.user.id)
        except DefinitionInvalid as exc:
            return self._editor(row, row.key, texts, exc), 422
        except DefinitionConflict as exc:
            flash(f"Not saved: {exc}", "danger")
            return self._editor(row, row.key, texts), 409
        flash(f"Saved {self.kind} {saved.key} v{saved.version} as a draft.", "success")
        return redirect(url_for(f"{self.endpoint}.edit", pk=saved.id))

    @expose("/publish/<int:pk>", methods=["POST"])
    @has_access
    def publish(self, pk: int) -> ResponseReturnValue:
        """Publish a draft (the previously published version retires), once confirmed."""
        row = self._load(pk)
        if self._unconfirmed("publish"):
            return self._confirmation_page(row, "publish")
        try:
            store_call(store.publish, row.id, g.user.id)
        except DefinitionInvalid as exc:
            flash(f"{self.kind} {row.key} v{row.version} cannot be published yet.", "danger")
            return self._editor(row, row.key, editor.split(self.kind, row.body), exc), 422
        except store.ApprovalRequired as exc:
            flash(_("Not published: %(reason)s", reason=str(exc)), "danger")
            return self._editor(row, row.key, editor.split(self.kind, row.body)), 409
        except DefinitionConflict as exc:
            flash(f"Not published: {exc}", "danger")
            return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))
        flash(f"Published {self.kind} {row.key} v{row.version}.", "success")
        return redirect(url_for(f"{self.endpoint}.list"))

    @expose("/retire/<int:pk>", methods=["POST"])
    @has_access
    def retire(self, pk: int) -> ResponseReturnValue:
        """Retire a published version, once confirmed."""
        row = self._load(pk)
        if self._unconfirmed("retire"):
            return self._confirmation_page(row, "retire")
        try:
            store_call(store.retire, row.id, g.user.id)
        except DefinitionConflict as exc:
            flash(f"Not retired: {exc}", "danger")
            return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))
        flash(f"Retired {self.kind} {row.key} v{row.version}.", "success")
        return redirect(url_for(f"{self.endpoint}.list"))

    @expose("/history/<int:pk>")
    @has_access
    def history(self, pk: int) -> ResponseReturnValue:
        """Every version of the key, a diff of two (`?old=&new=`), usages and the audit trail."""
        row = self._load(pk)
        rows = store.versions(self.kind, row.key)
        by_version = {r.version: r for r in rows}
        new = by_version.get(request.args.get("new", type=int) or 0, rows[0])
        older = [r for r in rows if r.version < new.version]
        wanted = request.args.get("old", type=int)
        old = None if wanted == 0 else by_version.get(wanted or -1, older[0] if older else None)
        audit = db.session.scalars(
            select(AuditLog)
            .where(
                AuditLog.object_type == f"definition:{self.kind}",
                AuditLog.object_id.in_([r.id for r in rows]),
            )
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        ).all()
        return self.render_template(
            "tessera/definitions/history.html",
            row=row, rows=rows, old=old, new=new,
            decisions=approvals.latest_requests(r.id for r in rows),
            diff=diff_lines(store.diff(old, new) if old is not new else ""),
            audit=audit, diff_lines=diff_lines,
            usages=store.usages(row.key) if self.kind == "field" else [],
            **self._page_args(),
        )

    # -- live preview (fetch) --------------------------------------------------------------

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self) -> ResponseReturnValue:
        """Check the posted editor inputs and answer the compiled form's HTML (JSON)."""
        checked, failed = self._check_posted()
        if failed is not None:
            return failed
        outline = editor.outline(self.kind, checked)
        if outline is not None:
            return self._fragment(outline=outline)
        form_class = editor.preview_form(self.kind, checked)
        form = form_class(
            formdata=None,
            data=editor.example_of(self.kind, checked),
            meta={"csrf": False},
            timezone=viewer_zone(),
        )
        return self._fragment(
            form=form, warnings=form_class.warnings, example_warnings=checked.warnings
        )

    @expose("/try", methods=["POST"])
    @has_access
    def try_submit(self) -> ResponseReturnValue:
        """Validate the preview form's posted data against the compiled form; save nothing."""
        if self.kind in editor.OUTLINES:
            abort(404)  # the kind has no form to submit
        checked, failed = self._check_posted()
        if failed is not None:
            return failed
        form_class = editor.preview_form(self.kind, checked)
        form = form_class(
            formdata=CombinedMultiDict([request.files, request.form]),
            meta={"csrf": False},
            timezone=viewer_zone(),
        )
        valid = form.validate()
        errors = form.errors_by_pointer()
        instance = json.dumps(form.to_instance(), indent=2, ensure_ascii=False, default=str)
        return self._fragment(
            form=form, warnings=form_class.warnings, tried=True, valid=valid,
            submission_errors=errors, instance=instance,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _load(self, pk: int) -> Definition:
        try:
            row = store.get(pk)
        except DefinitionNotFound:
            abort(404)
        if row.kind != self.kind:
            abort(404)
        return row

    def _starter(self) -> dict[str, Any]:
        """The new-definition scaffold; a template's routes to the first department by key."""
        first = None
        if self.kind == "template":
            first = db.session.scalar(select(Department.key).order_by(Department.key).limit(1))
        return editor.starter(self.kind, first)

    def _page_args(self) -> dict[str, Any]:
        singular, plural = KIND_NAMES[self.kind]
        return {"kind": self.kind, "ep": self.endpoint, "title": plural, "kind_label": singular}

    def _unconfirmed(self, action: str) -> bool:
        """True when `action` asks first and the POST does not carry `confirm=1`."""
        return action in self.confirmed_actions and request.form.get("confirm") != "1"

    def _confirmation(self, row: Definition, action: str) -> dict[str, str]:
        """What the confirmation of `action` on `row` asks, says will happen, and posts to."""
        what, version = f"{self.kind} {row.key}", row.version
        if action == "publish":
            live = store.published(self.kind, row.key)
            question = _("Publish %(what)s v%(version)d?", what=what, version=version)
            outcome = _(
                "v%(version)d becomes the published version of %(what)s.",
                version=version, what=what,
            )
            if live is not None and live.id != row.id:
                outcome += " " + _("v%(old)d, published now, retires.", old=live.version)
            label, css = _("Publish v%(version)d", version=version), "btn-success"
        else:
            question = _("Retire %(what)s v%(version)d?", what=what, version=version)
            outcome = _(
                "%(what)s then has no published version: nothing new can use it until "
                "another version is published.",
                what=what,
            )
            label, css = _("Retire v%(version)d", version=version), "btn-warning"
        return {
            "action": action, "question": question, "outcome": outcome, "label": label,
            "css": css, "url": url_for(f"{self.endpoint}.{action}", pk=row.id),
        }

    def _confirmations(self, row: Definition | None) -> dict[str, dict[str, str]]:
        """The editor's confirmation dialogs, by action (none for a new definition)."""
        if row is None:
            return {}
        return {action: self._confirmation(row, action) for action in self.confirmed_actions}

    def _confirmation_page(self, row: Definition, action: str) -> str:
        """The page asking to confirm `action` (for browsers without the editor's script)."""
        return self.render_template(
            "tessera/definitions/confirm.html",
            row=row, confirm=self._confirmation(row, action), **self._page_args(),
        )

    def _editor(
        self,
        row: Definition | None,
        key: str,
        texts: dict[str, str],
        error: DefinitionInvalid | None = None,
    ) -> str:
        errors = error.errors if error is not None else {}
        open_draft = waiting = None
        if row is not None and row.status != store.DRAFT:
            others = store.versions(self.kind, row.key)
            open_draft = next((r for r in others if r.status == store.DRAFT), None)
            waiting = next((r for r in others if r.status == store.PENDING), None)
        return self.render_template(
            "tessera/definitions/edit.html",
            row=row, key=key, texts=texts, parts=editor.PARTS[self.kind],
            approval=approvals.latest_requests([row.id]).get(row.id) if row else None,
            needs_approval=self.kind in APPROVED_KINDS,
            errors=errors, grouped=editor.errors_by_part(self.kind, errors),
            open_draft=open_draft, waiting=waiting if waiting is not row else None,
            confirmations=self._confirmations(row),
            usages=store.usages(row.key) if row is not None and self.kind == "field" else [],
            library=published_fields() if self.kind == "template" else [],
            forms_script=url_for(f"{self.endpoint}.static", filename=forms.SCRIPT),
            **self._page_args(),
        )

    def _check_posted(self) -> tuple[Any, Any]:
        """(Checked, None) for a good posted definition, else (None, a 422 response)."""
        key = request.form.get("key", "").strip() or editor.PREVIEW_KEY
        try:
            body = editor.assemble(self.kind, key, request.form)
            return store.check(self.kind, body, key), None
        except DefinitionInvalid as exc:
            return None, (self._fragment(errors=exc.errors, status=422))

    def _fragment(self, status: int = 200, **context: Any) -> Any:
        errors = context.get("errors") or {}
        html = render_template(
            "tessera/definitions/_preview.html", kind_label=KIND_NAMES[self.kind][0], **context
        )
        payload = {"ok": not errors, "html": html, "errors": errors}
        if context.get("tried"):
            payload["valid"] = context["valid"]
            payload["submission_errors"] = context["submission_errors"]
        response = jsonify(payload)
        response.status_code = status
        return response


class ApprovedDefinitionView(DefinitionView):
    """Console pages for a kind whose versions department heads approve: submit, withdraw."""

    # A publish is refused (the store's ApprovalRequired) without asking first.
    confirmed_actions: ClassVar[frozenset[str]] = frozenset({"retire"})

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk: int) -> ResponseReturnValue:
        """Submit a draft for approval (it must pass the publish checks already)."""
        row = self._load(pk)
        try:
            store_call(approvals.submit, row.id, g.user.id)
        except DefinitionInvalid as exc:
            flash(
                _("%(what)s v%(version)d cannot be submitted yet.",
                  what=f"{self.kind} {row.key}", version=row.version),
                "danger",
            )
            return self._editor(row, row.key, editor.split(self.kind, row.body), exc), 422
        except DefinitionConflict as exc:
            flash(_("Not submitted: %(reason)s", reason=str(exc)), "danger")
            return self._editor(row, row.key, editor.split(self.kind, row.body)), 409
        flash(
            _("Submitted %(what)s v%(version)d to the department heads for approval.",
              what=f"{self.kind} {row.key}", version=row.version),
            "success",
        )
        return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> ResponseReturnValue:
        """Take a pending version back: a draft again."""
        row = self._load(pk)
        try:
            store_call(approvals.withdraw, row.id, g.user.id)
        except (DefinitionConflict, ApprovalError) as exc:
            db.session.rollback()
            flash(_("Not withdrawn: %(reason)s", reason=str(exc)), "danger")
            status = exc.status if isinstance(exc, ApprovalError) else 409
            return self._editor(row, row.key, editor.split(self.kind, row.body)), status
        flash(
            _("Withdrew %(what)s v%(version)d: it is a draft again.",
              what=f"{self.kind} {row.key}", version=row.version),
            "success",
        )
        return redirect(url_for(f"{self.endpoint}.edit", pk=row.id))


# Kinds whose versions are published by a department head's approval, and their view class.
APPROVED_KINDS = {"workflow": ApprovedDefinitionView}


def definition_view(kind: str, route_base: str) -> type[DefinitionView]:
    """A console view class for one kind of definition."""
    name = f"{kind.title()}DefinitionView"
    attrs = {"kind": kind, "route_base": route_base, "__doc__": f"Console pages for {kind}s."}
    return type(name, (APPROVED_KINDS.get(kind, DefinitionView),), attrs)


FieldDefinitionView = definition_view("field", "/definitions/fields")
WorkflowDefinitionView = definition_view("workflow", "/definitions/workflows")
TemplateDefinitionView = definition_view("template", "/definitions/templates")
