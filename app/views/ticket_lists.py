"""What a ticket list page shows: its columns, its filters read from the query string, values.

Pure helpers of `TicketView.index` (no database): the page asks `columns` and `filter_specs`
(app.definitions.filterable) what a template's list offers, `read_sort` reads its sort (a
system sort, or on a template's list one of its `sortable` fields), `sort_links` makes its
column headers (the custom columns' too, for the fields it can sort by), and `display`
renders a stored value the way the template's schema labels it. The filter inputs are read
by `app.tickets.filters` (`read_field_filters` in its form mode, `read_system_filters`: the
API's readers too); `read_department` narrows the list to one of the departments the user
sees.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.clock import aware, utcnow
from app.definitions.filterable import FilterSpec, choices, column_name, filterable, properties
from app.tickets import query
from app.tickets.display import labelled
from app.tickets.errors import BadFilter
from app.tickets.filters import SYSTEM_PARAMS, FieldSort
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
    """A custom value as text: the option's label, Yes/No, items, "name: value" members."""
    return labelled(value, labels)


SORTS = {
    query.Sort.NEWEST: "Newest first",
    query.Sort.OLDEST: "Oldest first",
    query.Sort.RECENTLY_UPDATED: "Recently updated",
    query.Sort.LEAST_RECENTLY_UPDATED: "Least recently updated",
    query.Sort.DUE: "Resolution due soonest",
    query.Sort.PRIORITY_DESC: "Priority, urgent first",
    query.Sort.PRIORITY: "Priority, low first",
}


def sortable(tf: TemplateForm) -> list[FilterSpec]:
    """The fields a template's list can sort by: its filterable ones (their kinds say how)."""
    return list(filterable(tf.schema, tf.ui_schema).values())


def column_sorts(tf: TemplateForm, shown: list[Column]) -> list[FilterSpec]:
    """The sortable fields among a template list's custom columns, in the columns' order."""
    found = {spec.name: spec for spec in sortable(tf)}
    return [found[c.name] for c in shown if c.name in found]


def read_sort(
    args: MultiDict[str, str],
    offered: Collection[FilterSpec] = (),
    template: str | None = None,
) -> query.Sort | FieldSort:
    """The page's sort (`?sort=`; newest first when absent; BadFilter when unknown).

    `f.<field>` / `-f.<field>` sorts a template's list by one of its `offered` fields.
    """
    return query.read_sort(args.get("sort"), offered, template)


# The sortable column headers: (first sort, the other direction or None). Numbers follow
# creation order, so the number column sorts by created_at. Only sorts that keyset pagination
# supports (`query.SORT_KEYS`, the priority sorts) are offered; the due time sorts soonest
# first only, the priority urgent first, then low first.
SORT_COLUMNS: dict[str, tuple[query.Sort, query.Sort | None]] = {
    "number": (query.Sort.NEWEST, query.Sort.OLDEST),
    "created": (query.Sort.NEWEST, query.Sort.OLDEST),
    "updated": (query.Sort.RECENTLY_UPDATED, query.Sort.LEAST_RECENTLY_UPDATED),
    "due": (query.Sort.DUE, None),
    "priority": (query.Sort.PRIORITY_DESC, query.Sort.PRIORITY),
}
ASCENDING = frozenset(
    {query.Sort.OLDEST, query.Sort.LEAST_RECENTLY_UPDATED, query.Sort.DUE, query.Sort.PRIORITY}
)


@dataclass(frozen=True)
class SortLink:
    """A column header's link: the query string it leads to, and the column's order now."""

    args: dict[str, list[str]]
    order: str | None  # "ascending" / "descending" (aria-sort) when the list is sorted by it


def _field_columns(fields: Collection[FilterSpec]) -> dict[str, tuple[FieldSort, FieldSort]]:
    """The custom columns' headers, by `f.<field>`: ascending first, then descending."""
    return {
        f"f.{spec.name}": (
            FieldSort(spec.name, spec.kind),
            FieldSort(spec.name, spec.kind, descending=True),
        )
        for spec in fields
    }


def _ascending(sort: query.Sort | FieldSort) -> bool:
    return not sort.descending if isinstance(sort, FieldSort) else sort in ASCENDING


def sort_links(
    args: MultiDict[str, str],
    current: query.Sort | FieldSort,
    fields: Collection[FilterSpec] = (),
) -> dict[str, SortLink]:
    """{column: SortLink}: each header toggles its direction and keeps the other parameters.

    A header sorted by already leads to its other direction (when it has one); any other
    leads to its first sort. The cursor is dropped: it belongs to the current order. `fields`:
    the custom columns that sort (keys `f.<field>`), ascending first.
    """
    links: dict[str, SortLink] = {}
    kept = {k: v for k, v in args.to_dict(flat=False).items() if k not in ("cursor", "sort")}
    headers: dict[str, tuple[Any, Any]] = {**SORT_COLUMNS, **_field_columns(fields)}
    for name, (first, other) in headers.items():
        shown = current in (first, other)
        target = other if shown and current == first and other is not None else first
        order = ("ascending" if _ascending(current) else "descending") if shown else None
        links[name] = SortLink({**kept, "sort": [target.value]}, order)
    return links


def sort_options(fields: Collection[FilterSpec], titles: Mapping[str, str]) -> dict[str, str]:
    """The filter panel's sort choices: the system sorts, then each sortable column both ways."""
    options = {sort.value: _(label) for sort, label in SORTS.items()}
    for spec in fields:
        title = titles.get(spec.name, spec.title)
        options[f"f.{spec.name}"] = _("%(title)s, ascending", title=title)
        options[f"-f.{spec.name}"] = _("%(title)s, descending", title=title)
    return options


def read_department(
    args: MultiDict[str, str], scope: Collection[int] | None
) -> Collection[int] | None:
    """The list's departments: `scope`, or the one `?department=` names within it.

    A department outside the scope shows nothing (as one that does not exist would).
    """
    value = args.get("department") or ""
    if not value:
        return scope
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise BadFilter(_("department must be a department's id."))
    wanted = int(value)
    return {wanted} if scope is None or wanted in scope else set()


# The parameters of the filter panel's inputs (the search box sits outside it).
PANEL_PARAMS = frozenset({*SYSTEM_PARAMS, "department"} - {"q", "q_mode"})


def filters_given(args: MultiDict[str, str]) -> bool:
    """Whether the query string sets a filter of the panel (it then opens on phones too)."""
    return any(
        value
        for name in args
        if name in PANEL_PARAMS or name.startswith("f.")
        for value in args.getlist(name)
    )


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
