"""What a ticket list page shows: its columns, its filters read from the query string, values.

Pure helpers of `TicketView.index` (no database): the page asks `columns` and `filter_specs`
(app.definitions.filterable) what a template's list offers, `read_sort` reads its sort, and
`display` renders a stored value the way the template's schema labels it. The filter inputs
are read by `app.tickets.filters.read_field_filters` (the API's reader too) in its form mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.clock import aware, utcnow
from app.definitions.filterable import choices, column_name, properties
from app.tickets import query
from app.tickets.models import Ticket
from app.tickets.templates import TemplateForm
from workflows import Category


@dataclass(frozen=True)
class Column:
    """One custom column of a template's list: the top-level field, its title and labels."""

    name: str
    title: str
    labels: Mapping[str, str]


def labels(schema: Any, ui: Any = None) -> dict[str, str]:
    """{stored value as text: label} of an enum field with labelled options; {} otherwise."""
    return {value: label for value, label in choices(schema, ui) or [] if label != value}


def titles(tf: TemplateForm) -> dict[str, str]:
    """{field: its title in the template (its name when it has none)} of the top-level fields."""
    return {name: str(sub.get("title") or name) for name, sub in properties(tf.schema).items()}


def _ui(tf: TemplateForm, name: str) -> Any:
    return tf.ui_schema.get(name) if isinstance(tf.ui_schema, dict) else None


def columns(tf: TemplateForm) -> list[Column]:
    """The custom columns `settings.list_columns` names (each top-level field once)."""
    found: dict[str, Column] = {}
    props = properties(tf.schema)
    for entry in tf.settings.get("list_columns") or []:
        name = column_name(entry)
        if name and name not in found:
            sub = props.get(name) or {}
            title = str(sub.get("title") or name)
            found[name] = Column(name, title, labels(sub, _ui(tf, name)))
    return list(found.values())


def field_labels(tf: TemplateForm) -> dict[str, dict[str, str]]:
    """{field: {value: label}} for every top-level enum field with labelled options."""
    out = {name: labels(sub, _ui(tf, name)) for name, sub in properties(tf.schema).items()}
    return {name: found for name, found in out.items() if found}


def display(value: Any, labels: Mapping[str, str] | None = None) -> str:
    """A custom value as text: the option's label, yes/no, JSON for objects and arrays."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return (labels or {}).get(text) or ("yes" if value else "no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return (labels or {}).get(str(value)) or str(value)


SORTS = {
    query.Sort.NEWEST: "Newest first",
    query.Sort.OLDEST: "Oldest first",
    query.Sort.RECENTLY_UPDATED: "Recently updated",
    query.Sort.LEAST_RECENTLY_UPDATED: "Least recently updated",
    query.Sort.DUE: "Resolution due soonest",
}


def read_sort(args: MultiDict[str, str]) -> query.Sort:
    """The page's sort (`?sort=`; newest first when absent; BadFilter when unknown)."""
    return query.as_sort(args.get("sort") or query.Sort.NEWEST)


def span(delta: timedelta) -> str:
    """A duration as people read it on a list: "2d 3h", "1h 5m", "45m" (sign dropped)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh", d=days, h=hours)
    if hours:
        return _("%(h)dh %(m)dm", h=hours, m=mins)
    return _("%(m)dm", m=mins)


def sla_text(ticket: Ticket, now: datetime | None = None) -> str:
    """The list's SLA cell: time left to the next due target, overdue, paused, or nothing."""
    if ticket.category in (Category.SOLVED.value, Category.CLOSED.value):
        return ""
    if ticket.sla_paused_at is not None:
        return _("paused")
    due = ticket.first_response_due_at if ticket.first_response_at is None else None
    due = due or ticket.resolution_due_at
    if due is None:
        return ""
    left = aware(due) - (now or utcnow())
    if left < timedelta(0):
        return _("overdue %(span)s", span=span(left))
    return _("%(span)s left", span=span(left))
