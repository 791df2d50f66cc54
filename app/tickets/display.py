"""Stored ticket values as people read them: labels, Yes/No, dates in a time zone, files, history.

Pure: no request, no database. `shown` reads one stored custom value with its sub-schema and
uiSchema entry into a small tree (`Shown`); `text` flattens it for lists and messages, `html`
renders it for a page (file references linked when the page says where). `labelled` reads a
value by a {value: label} map alone (a list's column). `history_line` names what one history
event changed by its title, both values shown the same way, the event kind as a phrase.

- enum values (`enum`, `oneOf`/`anyOf` of `const`) show their option's label, read by
  `app.definitions.filterable.choices` (`title`, `ui:enumNames`);
- arrays show their items (a multi-select's labels from `items`, else the array's uiSchema,
  as the form compiler reads them), objects their members as "Title: value" pairs;
- booleans show Yes/No (or the two `ui:enumNames` a radio or select gives them);
- `format: date` shows the date, `format: date-time` the moment in the reader's time zone,
  to the minute (seconds when there are any, never microseconds), with the zone's name;
- file references (`app.tickets.filefields`) show the file's name; a data URL its name and
  size (`filefields.describe`), never its bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape

from app.definitions.filterable import choices, properties
from app.pointers import resolve, tokens
from app.tickets.chase import ordinal
from app.tickets.filefields import FileRef, describe, is_data_url, parse_ref
from forms.structure import _labels_ui

MAX_DEPTH = 32  # nesting (and `$ref` hops) read at most; deeper values show as their text


@dataclass(frozen=True)
class Shown:
    """One value as the page shows it: a text, a file, a list of items, or titled members."""

    text: str = ""
    file: FileRef | None = None
    items: tuple[Shown, ...] | None = None
    pairs: tuple[tuple[str, Shown], ...] | None = None

    def __bool__(self) -> bool:
        return bool(self.text or self.file or self.items or self.pairs)


EMPTY = Shown()


# ---------------------------------------------------------------------------------------------
# Schemas


def _resolved(schema: Any, root: Any, depth: int = 0) -> dict[str, Any]:
    """`schema` with a local `$ref` (`#/$defs/...`) followed, its own keywords winning."""
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#") or depth >= MAX_DEPTH:
        return schema
    target = root if ref == "#" else resolve(root, ref[1:])
    siblings = {k: v for k, v in schema.items() if k != "$ref"}
    return {**_resolved(target, root, depth + 1), **siblings}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    found = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    return ["number" if t == "integer" else t for t in found]


def _branch(schema: dict[str, Any], value: Any, root: Any) -> dict[str, Any]:
    """A `oneOf`/`anyOf` of non-const schemas: the branch whose type the value has, merged."""
    if choices(schema) is not None:
        return schema
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        for option in options if isinstance(options, list) else []:
            branch = _resolved(option, root)
            if _kind(value) in _types(branch):
                rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                return {**branch, **rest}
    return schema


def _ui(ui: Any, key: str) -> dict[str, Any]:
    found = ui.get(key) if isinstance(ui, dict) else None
    return found if isinstance(found, dict) else {}


def _items_ui(ui: Any) -> dict[str, Any]:
    """An array's items' uiSchema, with the option labels a multi-select gives the array."""
    items = _ui(ui, "items")
    source = _labels_ui(ui if isinstance(ui, dict) else {}, items)
    if source is items:
        return items
    names = source.get("ui:enumNames")
    if names is None:
        names = _ui(source, "ui:options").get("enumNames")
    return {**items, "ui:enumNames": names}


def _title(schema: Any, ui: Any, name: str) -> str:
    options = _ui(ui, "ui:options")
    title = (ui.get("ui:title") if isinstance(ui, dict) else None) or options.get("title")
    if not title and isinstance(schema, dict):
        title = schema.get("title")
    return str(title) if title else name


def _member(schema: dict[str, Any], name: str, root: Any) -> dict[str, Any] | None:
    props = properties(schema)
    if name in props:
        return _resolved(props[name], root)
    extra = schema.get("additionalProperties")
    return _resolved(extra, root) if isinstance(extra, dict) else None


def _item(schema: dict[str, Any], index: int, root: Any) -> dict[str, Any] | None:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return _resolved(prefix[index], root)
    items = schema.get("items")
    return _resolved(items, root) if isinstance(items, dict) else None


def _is_array(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        "array" in _types(schema) or "items" in schema or "prefixItems" in schema
    )


def locate(schema: Any, ui: Any, parts: Iterable[str]) -> tuple[Any, Any, list[str]]:
    """(sub-schema, its uiSchema, titles of the path) of the value at `parts` in a document.

    A member is named by its title (its name when it has none), an array item "#n" (from 1);
    where the schema says nothing the sub-schema is None and the tokens name the rest.
    """
    root = schema
    node: Any = _resolved(schema, root)
    titles: list[str] = []
    for part in parts:
        if _is_array(node) and part.isdigit():
            titles.append(f"#{int(part) + 1}")
            node, ui = _item(node, int(part), root), _items_ui(ui)
            continue
        sub = _member(node, part, root) if isinstance(node, dict) else None
        member_ui = _ui(ui, part)
        titles.append(_title(sub, member_ui, part))
        node, ui = sub, member_ui
    return node, ui, titles


# ---------------------------------------------------------------------------------------------
# Values


def moment(value: datetime, zone: tzinfo = UTC) -> str:
    """A point in time in `zone`, to the minute (seconds when there are any), with the zone."""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    shape = "%Y-%m-%d %H:%M:%S %Z" if local.second else "%Y-%m-%d %H:%M %Z"
    return local.strftime(shape)


def _date_time(text: str, zone: tzinfo) -> str:
    try:
        return moment(datetime.fromisoformat(text), zone)
    except ValueError:
        return text


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _key(value: Any) -> str:
    """A scalar as a {value: label} map keys it (`app.definitions.filterable`'s text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _scalar(value: Any, labels: Mapping[str, str], fmt: Any = None, zone: tzinfo = UTC) -> Shown:
    """One scalar: a file, its option's label, Yes/No, a date, a moment, or its text."""
    ref = parse_ref(value)
    if ref is not None:
        return Shown(file=ref)
    label = labels.get(_key(value))
    if label is not None:
        return Shown(text=label)
    if isinstance(value, bool):
        return Shown(text=yes_no(value))
    if isinstance(value, int | float):
        return Shown(text=_number(value))
    if isinstance(value, str):
        if fmt == "date-time":
            return Shown(text=_date_time(value, zone))
        if fmt == "date":
            return Shown(text=_date(value))
        if is_data_url(value):
            return Shown(text=describe(value))
        return Shown(text=value)
    return Shown(text=str(value))


def _labels(schema: Any, ui: Any) -> dict[str, str]:
    found = {value: label for value, label in choices(schema, ui) or [] if label != value}
    if isinstance(schema, dict) and "boolean" in _types(schema):
        names = ui.get("ui:enumNames") if isinstance(ui, dict) else None
        widget = ui.get("ui:widget") if isinstance(ui, dict) else None
        if widget in ("radio", "select") and isinstance(names, list) and len(names) == 2:
            found.update({"true": str(names[0]), "false": str(names[1])})
    return found


def shown(
    value: Any, schema: Any = None, ui: Any = None, *, zone: tzinfo = UTC, root: Any = None
) -> Shown:
    """One stored value read with its sub-schema and uiSchema entry (`root`: for `$ref`s)."""
    return _read(value, schema, ui, zone, schema if root is None else root, 0)


def _read(value: Any, schema: Any, ui: Any, zone: tzinfo, root: Any, depth: int) -> Shown:
    if value is None:
        return EMPTY
    node = _branch(_resolved(schema, root), value, root)
    ui = ui if isinstance(ui, dict) else {}
    if depth >= MAX_DEPTH:
        return Shown(text=str(value))
    if isinstance(value, list):
        items_ui = _items_ui(ui)
        return Shown(
            items=tuple(
                _read(item, _item(node, i, root), items_ui, zone, root, depth + 1)
                for i, item in enumerate(value)
            )
        )
    if isinstance(value, dict):
        return Shown(pairs=tuple(_members(value, node, ui, zone, root, depth)))
    return _scalar(value, _labels(node, ui), node.get("format") if node else None, zone)


def _members(
    value: dict[str, Any],
    schema: dict[str, Any],
    ui: dict[str, Any],
    zone: tzinfo,
    root: Any,
    depth: int,
) -> Iterable[tuple[str, Shown]]:
    for name in ordered(value, ui):
        sub = _member(schema, name, root) if schema else None
        member_ui = _ui(ui, name)
        found = _read(value[name], sub, member_ui, zone, root, depth + 1)
        if found:
            yield _title(sub, member_ui, name), found


def ordered(value: Mapping[str, Any], ui: Any) -> list[str]:
    """The names of an object's members in the uiSchema's `ui:order`, the others after."""
    order = ui.get("ui:order") if isinstance(ui, dict) else None
    named = [str(n) for n in order if n != "*"] if isinstance(order, list) else []
    return [n for n in named if n in value] + [n for n in value if n not in named]


def labelled(value: Any, labels: Mapping[str, str] | None = None) -> str:
    """A value by a {value: label} map alone (no schema), as text: a list's column."""
    return text(_plain(value, labels or {}, 0))


def _plain(value: Any, labels: Mapping[str, str], depth: int) -> Shown:
    if value is None:
        return EMPTY
    if depth >= MAX_DEPTH:
        return Shown(text=str(value))
    if isinstance(value, list):
        return Shown(items=tuple(_plain(item, labels, depth + 1) for item in value))
    if isinstance(value, dict):
        pairs = ((str(k), _plain(v, {}, depth + 1)) for k, v in value.items())
        return Shown(pairs=tuple((k, v) for k, v in pairs if v))
    return _scalar(value, labels)


# ---------------------------------------------------------------------------------------------
# Output


def text(value: Shown) -> str:
    """A shown value as one line of text."""
    if value.file is not None:
        return value.file.name
    if value.items is not None:
        parts = [text(item) for item in value.items]
        nested = any(item.pairs for item in value.items)
        return "; ".join(f"({p})" for p in parts) if nested else ", ".join(parts)
    if value.pairs is not None:
        return "; ".join(
            f"{title}: ({text(v)})" if v.pairs else f"{title}: {text(v)}"
            for title, v in value.pairs
        )
    return value.text


Link = Callable[[FileRef], str | None]


def html(value: Shown, link: Link | None = None) -> Markup:
    """A shown value as HTML: items and members as lists, files as links where `link` says."""
    if value.file is not None:
        href = link(value.file) if link is not None else None
        name = escape(value.file.name)
        if href is None:
            return Markup('<span class="tessera-file">{}</span>').format(name)
        return Markup('<a class="tessera-file" href="{}" download>{}</a>').format(href, name)
    if value.items is not None:
        if not value.items:
            return Markup("")
        rows = Markup("").join(Markup("<li>{}</li>").format(html(i, link)) for i in value.items)
        return Markup('<ul class="tessera-items">{}</ul>').format(rows)
    if value.pairs is not None:
        rows = Markup("").join(
            Markup('<li><span class="tessera-pair-title">{}:</span> {}</li>').format(
                title, html(v, link)
            )
            for title, v in value.pairs
        )
        return Markup('<ul class="tessera-pairs">{}</ul>').format(rows)
    return escape(value.text)


@dataclass(frozen=True)
class Field:
    """One top-level custom value of a ticket as its summary shows it."""

    name: str
    title: str
    value: Shown


def summary(data: Mapping[str, Any], schema: Any, ui: Any, zone: tzinfo = UTC) -> list[Field]:
    """The ticket's custom values in the template's order (`ui:order`), empty ones left out."""
    out = []
    for name in ordered(data, ui):
        sub, sub_ui, titles = locate(schema, ui, [name])
        found = shown(data[name], sub, sub_ui, zone=zone, root=schema)
        if found:
            out.append(Field(name, titles[-1], found))
    return out


# ---------------------------------------------------------------------------------------------
# History


# What the history calls each event kind (app.tickets.models.EventKind).
# The system priorities as people read them (the stored values are `Priority`'s).
PRIORITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}


def priority_label(value: Any) -> str:
    """A priority's label; an unknown value as it is."""
    label = PRIORITY_LABELS.get(str(value)) if value is not None else None
    return str(label) if label is not None else ("" if value is None else str(value))


KIND_PHRASES: dict[str, Any] = {
    "created": _l("Ticket created"),
    "field_changed": _l("Field changed"),
    "assigned": _l("Assignment changed"),
    "state_changed": _l("State changed"),
    "commented": _l("Comment added"),
    "routed": _l("Routed"),
    "claimed": _l("Claimed"),
    "transferred": _l("Transferred"),
    "approval_requested": _l("Approval requested"),
    "approval_decided": _l("Approval decided"),
    "sla_changed": _l("SLA changed"),
    "chased": _l("Customer chased"),
    "sla_warning": _l("SLA target nearly due"),
    "sla_breached": _l("SLA target breached"),
    "escalated": _l("Escalated"),
}

# The ticket's own columns by the pointer the history records them at.
SYSTEM_TITLES: dict[str, Any] = {
    "/subject": _l("Subject"),
    "/priority": _l("Priority"),
    "/state": _l("State"),
    "/assignee_id": _l("Assignee"),
    "/department_id": _l("Department"),
    "/requester_name": _l("Requester name"),
    "/requester_email": _l("Requester email"),
    "/requester_phone": _l("Requester phone"),
    "/resolved_at": _l("Resolved at"),
    "/closed_at": _l("Closed at"),
    "/sla": _l("SLA"),
}

SLA_TARGETS: dict[str, Any] = {
    "first_response": _l("First response"),
    "resolution": _l("Resolution"),
}

_SLA_MEMBERS: dict[str, Any] = {
    "policy": _l("Policy"),
    "first_response_due_at": _l("First response due"),
    "resolution_due_at": _l("Resolution due"),
    "paused": _l("Paused"),
}

DECISIONS: dict[str, Any] = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "pending": _l("Pending"),
}


class Event(Protocol):
    """What a history line reads of an event (`app.tickets.models.TicketEvent`)."""

    kind: str
    pointer: str | None
    old: Any
    new: Any
    note: str | None


@dataclass(frozen=True)
class Reading:
    """What history lines need besides the events: the template, the zone, names by id."""

    schema: Any = None
    ui: Any = None
    zone: tzinfo = UTC
    users: Mapping[int, str] = field(default_factory=dict)
    departments: Mapping[int, str] = field(default_factory=dict)
    states: Mapping[str, str] = field(default_factory=dict)  # workflow state → its label
    transitions: Mapping[str, str] = field(default_factory=dict)  # transition → its label


@dataclass(frozen=True)
class HistoryLine:
    """One history row: the kind as a phrase, the field by its title, before and after.

    `old` is None when the event has no before side (a creation, a comment); a value that
    was empty before shows "(empty)".
    """

    what: str
    field: str = ""
    old: Shown | None = None
    new: Shown | None = None
    note: str = ""

    def change(self) -> str:
        """What changed as text: "Priority: normal → high", "State: New", "" for nothing."""
        after = text(self.new) if self.new is not None else ""
        change = f"{text(self.old)} → {after}" if self.old is not None else after
        if self.field:
            return f"{self.field}: {change}" if change else self.field
        return change


def change_html(line: HistoryLine, link: Link | None = None) -> Markup:
    """`HistoryLine.change` as HTML: the values rendered by `html` (files linked)."""
    after = html(line.new, link) if line.new is not None else Markup("")
    if line.old is not None:
        after = Markup('{} <span class="tessera-arrow">&rarr;</span> {}').format(
            html(line.old, link), after
        )
    if line.field:
        title = Markup('<span class="tessera-field">{}</span>').format(line.field)
        return Markup("{}: {}").format(title, after) if after else title
    return after


def _or_empty(value: Shown) -> Shown:
    return value if value else Shown(text=_("(empty)"))


def _named(names: Mapping[int, str], value: Any, nobody: str) -> Shown:
    if value is None:
        return Shown(text=nobody)
    if isinstance(value, int) and not isinstance(value, bool):
        found = names.get(value)
        return Shown(text=found if found else f"#{value}")
    return Shown(text=str(value))


def _state(reading: Reading, value: Any) -> Shown:
    if value is None:
        return EMPTY
    return Shown(text=reading.states.get(str(value)) or str(value))


def _system(pointer: str, value: Any, reading: Reading) -> Shown:
    """A value of the ticket's own columns as the page names it."""
    if pointer == "/assignee_id":
        return _named(reading.users, value, _("(unassigned)"))
    if pointer == "/department_id":
        return _named(reading.departments, value, _("(none)"))
    if pointer == "/state":
        return _state(reading, value)
    if pointer in ("/resolved_at", "/closed_at"):
        return _scalar(value, {}, "date-time", reading.zone) if value is not None else EMPTY
    if pointer == "/sla":
        return _sla(value, reading)
    return _scalar(value, {}) if value is not None else EMPTY


def _sla(value: Any, reading: Reading) -> Shown:
    if not isinstance(value, dict):
        return EMPTY if value is None else Shown(text=str(value))
    pairs = []
    for name, item in value.items():
        if item is None:
            continue
        fmt = "date-time" if name.endswith("_at") else None
        title = str(_SLA_MEMBERS.get(name, name))
        pairs.append((title, _scalar(item, {}, fmt, reading.zone)))
    return Shown(pairs=tuple(pairs))


def _destination(value: Any, reading: Reading) -> Shown:
    """A transfer's before or after: {"department_id", "assignee_id"}."""
    if not isinstance(value, dict):
        return EMPTY
    return Shown(
        pairs=(
            (
                str(SYSTEM_TITLES["/department_id"]),
                _system("/department_id", value.get("department_id"), reading),
            ),
            (
                str(SYSTEM_TITLES["/assignee_id"]),
                _system("/assignee_id", value.get("assignee_id"), reading),
            ),
        )
    )


def phrase(kind: str, new: Any = None) -> str:
    """What the history calls an event of `kind` (a comment: reply or note; a chase: which)."""
    if kind == "commented" and isinstance(new, dict):
        return _("Internal note added") if new.get("internal") else _("Reply added")
    if kind == "chased":
        count = new.get("chases") if isinstance(new, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            return _("Customer chased (%(nth)s time)", nth=ordinal(count))
    found = KIND_PHRASES.get(kind)
    return str(found) if found is not None else kind.replace("_", " ").capitalize()


def field_title(pointer: str, reading: Reading) -> str:
    """What a pointer names: a system column's name, a custom field's title path."""
    if pointer in SYSTEM_TITLES:
        return str(SYSTEM_TITLES[pointer])
    try:
        parts = tokens(pointer)
    except ValueError:
        return pointer
    if parts[:1] == ["data"] and len(parts) > 1:
        return " › ".join(locate(reading.schema, reading.ui, parts[1:])[2])
    if parts[:1] == ["sla"] and len(parts) == 2:
        return str(SLA_TARGETS.get(parts[1], parts[1]))
    return " › ".join(parts)


def value_at(pointer: str, value: Any, reading: Reading) -> Shown:
    """A value of the ticket at `pointer` (`/data/...` read with its schema)."""
    try:
        parts = tokens(pointer)
    except ValueError:
        return _scalar(value, {}) if value is not None else EMPTY
    if parts[:1] == ["data"] and len(parts) > 1:
        sub, sub_ui, _titles = locate(reading.schema, reading.ui, parts[1:])
        return shown(value, sub, sub_ui, zone=reading.zone, root=reading.schema)
    if pointer in SYSTEM_TITLES:
        return _system(pointer, value, reading)
    return _plain(value, {}, 0)


def _fields(event: Event) -> dict[str, Any]:
    return event.new if isinstance(event.new, dict) else {}


def _comment_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    count = len(_fields(event).get("attachments") or [])
    files = ngettext("%(num)d file", "%(num)d files", count) if count else ""
    return HistoryLine(what, new=Shown(text=files) if files else None, note=event.note or "")


def _transfer_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    return HistoryLine(
        what,
        old=_destination(event.old, reading),
        new=_destination(event.new, reading),
        note=event.note or "",
    )


def _transition(reading: Reading, name: Any) -> str:
    return reading.transitions.get(str(name or "")) or str(name or "")


def _approval_asked_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    new = _fields(event)
    to = text(_state(reading, new.get("to")))
    after = _(
        "%(transition)s (to %(state)s)",
        transition=_transition(reading, new.get("transition")),
        state=to,
    )
    return HistoryLine(what, str(_("Transition")), new=Shown(text=after), note=event.note or "")


def _approval_decided_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    new = _fields(event)
    decision = str(new.get("decision") or "")
    after = Shown(text=str(DECISIONS.get(decision, decision)))
    return HistoryLine(
        what, _transition(reading, new.get("transition")), new=after, note=event.note or ""
    )


def _sla_due_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    due = _fields(event).get("due_at")
    after = Shown(text=_("due %(when)s", when=_date_time(str(due), reading.zone))) if due else None
    return HistoryLine(
        what, field_title(event.pointer or "", reading), new=after, note=event.note or ""
    )


def _created_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    state = _state(reading, _fields(event).get("state"))
    title = str(SYSTEM_TITLES["/state"]) if state else ""
    return HistoryLine(what, title, new=state or None, note=event.note or "")


def _change_line(event: Event, reading: Reading, what: str) -> HistoryLine:
    """A value that changed at the event's pointer: its title, before and after."""
    pointer = event.pointer or ""
    if not pointer:
        return HistoryLine(what, note=event.note or "")
    return HistoryLine(
        what,
        field_title(pointer, reading),
        old=_or_empty(value_at(pointer, event.old, reading)),
        new=_or_empty(value_at(pointer, event.new, reading)),
        note=event.note or "",
    )


_LINES: dict[str, Callable[[Event, Reading, str], HistoryLine]] = {
    "commented": _comment_line,
    "transferred": _transfer_line,
    "approval_requested": _approval_asked_line,
    "approval_decided": _approval_decided_line,
    "sla_warning": _sla_due_line,
    "sla_breached": _sla_due_line,
    "created": _created_line,
}


def history_line(event: Event, reading: Reading) -> HistoryLine:
    """One event as the history shows it (a change at a pointer unless its kind says more)."""
    build = _LINES.get(event.kind, _change_line)
    return build(event, reading, phrase(event.kind, event.new))


def named_ids(events: Iterable[Event]) -> tuple[set[int], set[int]]:
    """(user ids, department ids) the history lines of `events` name (to look them up)."""
    users: set[int] = set()
    departments: set[int] = set()

    def add(found: set[int], value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            found.add(value)

    for event in events:
        if event.pointer == "/assignee_id":
            add(users, event.old)
            add(users, event.new)
        elif event.pointer == "/department_id":
            add(departments, event.old)
            add(departments, event.new)
        elif event.kind == "transferred":
            for side in (event.old, event.new):
                if isinstance(side, dict):
                    add(users, side.get("assignee_id"))
                    add(departments, side.get("department_id"))
    return users, departments
