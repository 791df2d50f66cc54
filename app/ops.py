"""The operations console at /ops (Flask-Admin): RQ queues, failed jobs, raw tables.

Flask-Admin has no login of its own: every view here asks FAB's security manager, which only
the Admin role satisfies (`menu_access` on the "Operations" menu link).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_admin.theme import Bootstrap4Theme
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.worker import Worker

from app.extensions import db
from app.limits import MAX_ID
from app.models import AuditLog, Definition, Department, Membership
from app.notifications.models import MailMessage
from app.outbox.models import OutboxMessage
from app.queue import queue_online, queues, redis_connection
from app.security import security_manager
from app.views.display import minute, minute_cell
from app.views.fields import refuse_nul
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.views import DeliveryLogAdmin, EndpointAdmin

OPS_PERMISSION = ("menu_access", "Operations")
REGISTRIES = ("started", "scheduled", "deferred", "finished", "failed")


class OpsAccess:
    """Admit only users holding FAB's Operations permission; others are sent away."""

    def is_accessible(self) -> bool:
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return False
        return bool(security_manager().has_access(*OPS_PERMISSION))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return redirect(url_for("AuthDBView.login", next=request.full_path))
        abort(403)


def queue_stats() -> dict[str, Any]:
    """Per-queue job counts and the live workers; `error` is set when Redis is unreachable."""
    online, error = queue_online()
    if not online:
        return {"online": False, "error": error, "queues": [], "workers": []}
    try:
        rows = []
        for queue in queues():
            row = {"name": queue.name, "queued": queue.count}
            for registry in REGISTRIES:
                row[registry] = getattr(queue, f"{registry}_job_registry").count
            rows.append(row)
        workers = [
            {"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names())}
            for w in Worker.all(connection=redis_connection())
        ]
    except (RedisError, OSError) as exc:
        return {"online": False, "error": str(exc), "queues": [], "workers": []}
    return {"online": True, "error": "", "queues": rows, "workers": workers}


class OpsIndexView(OpsAccess, AdminIndexView):
    """Queue overview: counts per queue and registry, and the workers that are alive."""

    @expose("/")
    def index(self) -> str:
        from app.outbox import backlog

        return self.render("ops/index.html", stats=queue_stats(), outbox=backlog(db.session))


def failed_jobs(limit: int = 200) -> list[dict[str, Any]]:
    """The most recent failed jobs of every queue, newest first."""
    connection = redis_connection()
    rows: list[dict[str, Any]] = []
    for queue in queues():
        registry = FailedJobRegistry(queue=queue)
        for job in Job.fetch_many(registry.get_job_ids(0, limit - 1), connection=connection):
            if job is None:
                continue
            result = job.latest_result()
            exc = ((result.exc_string if result else "") or "").strip().splitlines()
            rows.append(
                {
                    "id": job.id,
                    "queue": queue.name,
                    "func": job.func_name,
                    "error": exc[-1] if exc else "",
                    "ended_at": job.ended_at or datetime.min,
                }
            )
    rows.sort(key=lambda r: r["ended_at"], reverse=True)
    return rows[:limit]


class FailedJobsView(OpsAccess, BaseView):
    """Failed jobs with their last error line; requeue one or all."""

    @expose("/")
    def index(self) -> str:
        online, error = queue_online()
        jobs = failed_jobs() if online else []
        return self.render(
            "ops/failed.html", jobs=jobs, online=online, error=error, form=FlaskForm(),
            minute=minute,
        )

    @expose("/requeue", methods=["POST"])
    def requeue(self) -> Any:
        job_ids = request.form.getlist("job_id")
        requeued = 0
        for queue in queues():
            registry = FailedJobRegistry(queue=queue)
            for job_id in job_ids or registry.get_job_ids():
                if job_id in registry:
                    registry.requeue(job_id)
                    requeued += 1
        flash(f"Requeued {requeued} job(s).", "success")
        return redirect(url_for(".index"))


def row_id(text: Any) -> int | None:
    """`text` as a row id (ASCII digits, 0 … MAX_ID), or None when no row can have it."""
    text = str(text)
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)):
        return int(text) if int(text) <= MAX_ID else None
    return None


class OpsForm(FlaskForm):
    """Flask-WTF's form, refusing NUL characters before any validator queries them."""

    def __init__(self, *args: Any, obj: Any = None, **kwargs: Any) -> None:
        # Flask-Admin's Unique validator skips the row being edited only when the form
        # knows it (`_obj`, as flask_admin.form.BaseForm keeps it).
        self._obj = obj
        super().__init__(*args, obj=obj, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        """False, with the inputs marked, when one holds a NUL character; else the validators."""
        if refuse_nul(self):
            return False
        return bool(super().validate(extra_validators))


class TableView(OpsAccess, ModelView):
    """A raw table, generated per model; forms carry Flask-WTF's CSRF token.

    Ids come as text (`?id=`, the `rowid`s of an action): PostgreSQL refuses text that is no
    32-bit number for an integer column (a 500), so such an id finds no row here.
    """

    form_base_class = OpsForm
    can_export = True
    # Lists and details show times to the minute; exports keep them whole.
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: minute_cell}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: minute_cell}
    page_size = 50

    def get_one(self, id: Any) -> Any:
        """The row with this id, or None (Flask-Admin then says it does not exist)."""
        return None if row_id(id) is None else super().get_one(id)

    @action(
        "delete",
        lazy_gettext("Delete"),
        lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: Any) -> None:
        """Delete the selected rows, their ids as numbers: PostgreSQL compares no text to ids."""
        numbers = [number for number in map(row_id, ids) if number is not None]
        super().action_delete(numbers)

    def get_list(self, page: int | None, *args: Any, **kwargs: Any) -> Any:
        """The page asked for; a page before the first or past MAX_ID is the first."""
        # PostgreSQL refuses a negative OFFSET and one beyond 64 bits (a 500).
        return super().get_list(page if page and 0 < page <= MAX_ID else 0, *args, **kwargs)


# Raw tables shown under "Tables": (model, columns hidden from lists, writable?). Definitions
# and the audit log are read-only here: changes go through the store, its checks and audit.
TABLES: list[tuple[Any, tuple[str, ...], bool]] = [
    (Department, (), True),
    (Membership, (), True),
    (Definition, ("body", "pins"), False),
    (AuditLog, ("diff",), False),
    (WebhookEndpoint, ("secret",), True),
    (WebhookDelivery, ("payload",), False),
    (OutboxMessage, ("payload",), False),
    (MailMessage, ("body",), False),
]
# What a table adds to the generic view (its forms, columns, order, actions), mixed in first.
TABLE_MIXINS: dict[Any, type] = {WebhookEndpoint: EndpointAdmin, WebhookDelivery: DeliveryLogAdmin}


def init_ops(app: Flask) -> Admin:
    """Mount the console at /ops with endpoints prefixed `ops` so none clash with FAB's."""
    admin = Admin(
        app,
        name="Tessera ops",
        url="/ops",
        endpoint="ops",
        index_view=OpsIndexView(name="Queues", url="/ops", endpoint="ops"),
        theme=Bootstrap4Theme(),
    )
    admin.add_view(FailedJobsView(name="Failed jobs", endpoint="ops_failed", url="/ops/failed"))
    for model, hidden, writable in TABLES:
        name = model.__tablename__
        attrs = {
            "column_exclude_list": hidden,
            "can_create": writable,
            "can_edit": writable,
            "can_delete": writable,
            "can_view_details": True,
        }
        bases = (TABLE_MIXINS[model], TableView) if model in TABLE_MIXINS else (TableView,)
        view = type(f"{model.__name__}TableView", bases, attrs)
        admin.add_view(
            view(model, db, name=name, category="Tables", endpoint=f"ops_table_{name}",
                 url=f"/ops/tables/{name}")
        )
    return admin
