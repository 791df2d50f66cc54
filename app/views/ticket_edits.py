"""Edits saved against an older version of a ticket: merged with what was saved meanwhile.

The page posts only the `lock_version` the agent read; the version it started from is rebuilt
from the ticket's history (`app.tickets.merge`). Only the agent's own changes are applied on
top of the stored ticket; values both sides changed differently are shown side by side, with
who changed them, and the agent chooses per value before anything is saved.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import request
from flask_babel import gettext as _

from app.pointers import tokens
from app.tickets import display, merge
from app.tickets.access import users_by_id
from app.tickets.models import Priority, Ticket
from app.tickets.templates import TemplateForm
from app.views.display import viewer_zone
from forms import TesseraForm, compile_form
from forms.fields import JsonField

REQUESTER_FIELDS = ("name", "email", "phone")

# The values the edit form edits besides `data`, by the pointer the history records them at,
# with their title and where their parser puts a message.
SYSTEM_EDITS: dict[str, tuple[Any, str]] = {
    pointer: (display.SYSTEM_TITLES[pointer], where)
    for pointer, where in (
        ("/subject", "/subject"),
        ("/priority", "/priority"),
        ("/requester_name", "/requester/name"),
        ("/requester_email", "/requester/email"),
        ("/requester_phone", "/requester/phone"),
    )
}
EDIT_COLUMNS = tuple(pointer[1:] for pointer in SYSTEM_EDITS)
MAX_CONFLICTS = 200  # conflict pointers a conflict page posts back, at most
SAVE_ATTEMPTS = 3  # merges against a version that changes again before the save lands
MAX_EDIT_FORMS = 512  # edit-form classes kept (one per resolved template version)


def without_autofocus(ui: Any) -> Any:
    """A uiSchema with every `ui:autofocus` (and `ui:options.autofocus`) left out."""
    if isinstance(ui, list):
        return [without_autofocus(item) for item in ui]
    if not isinstance(ui, dict):
        return ui
    out = {key: without_autofocus(value) for key, value in ui.items() if key != "ui:autofocus"}
    options = out.get("ui:options")
    if isinstance(options, dict) and "autofocus" in options:
        out["ui:options"] = {key: value for key, value in options.items() if key != "autofocus"}
    return out


_edit_forms_lock = threading.Lock()
_edit_forms: dict[int, tuple[TemplateForm, type[TesseraForm]]] = {}


def edit_form(tf: TemplateForm) -> type[TesseraForm]:
    """The template's form as the ticket page edits with it: the same inputs, none autofocused.

    `ui:autofocus` is for a new ticket's form; on the ticket page it would scroll the page
    past the ticket to the edit panel. Compiled once per resolved template version.
    """
    hit = _edit_forms.get(id(tf))
    if hit is not None and hit[0] is tf:
        return hit[1]
    ui = without_autofocus(tf.ui_schema)
    form = tf.form if ui == tf.ui_schema else compile_form(tf.schema, ui)
    with _edit_forms_lock:
        if len(_edit_forms) >= MAX_EDIT_FORMS:
            _edit_forms.clear()
        _edit_forms[id(tf)] = (tf, form)  # `tf` is kept: its id is not reused meanwhile
    return form


def stored_values(ticket: Ticket) -> dict[str, Any]:
    """The values the edit form edits, as stored: the system columns and the custom data."""
    values: dict[str, Any] = {name: getattr(ticket, name) for name in EDIT_COLUMNS}
    values["data"] = ticket.data or {}
    return values


def posted_values(system: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The posted edit as the same values: what the agent wants the ticket to hold."""
    values: dict[str, Any] = {
        "subject": system["subject"],
        "priority": system["priority"] or Priority.NORMAL.value,
    }
    for name in REQUESTER_FIELDS:
        values[f"requester_{name}"] = system["requester"].get(name)
    values["data"] = data
    return values


def history(ticket: Ticket) -> list[merge.Change]:
    return [
        merge.Change(e.at, e.actor_id, e.channel, e.kind, e.pointer, e.old, e.new)
        for e in ticket.events
    ]


def base(ticket: Ticket, read_at: int, mine: dict[str, Any]) -> Any:
    """The values at version `read_at` (the stored ones rewound), or merge.UNKNOWN."""
    stored = stored_values(ticket)
    if ticket.lock_version == read_at:
        return stored
    changes = merge.since(history(ticket), read_at, ticket.lock_version)
    return merge.UNKNOWN if changes is None else merge.rewind(stored, changes, mine)


def editable(pointer: str) -> bool:
    try:
        parts = tokens(pointer)
    except ValueError:
        return False
    return pointer in SYSTEM_EDITS or (len(parts) > 1 and parts[0] == "data")


def posted_choices() -> dict[str, str | None]:
    """What a conflict page's radios say: {pointer: "mine", "theirs" or None (no choice)}."""
    found: dict[str, str | None] = {}
    for pointer in request.form.getlist("conflict")[:MAX_CONFLICTS]:
        if editable(pointer):
            choice = request.form.get(f"choice:{pointer}")
            found[pointer] = choice if choice in ("mine", "theirs") else None
    return found


def reading_errors(form: Any) -> list[str]:
    """Pointers of inputs that could not be read (not a number, NUL characters...)."""
    return [
        field.pointer
        for top in form
        if isinstance(top, JsonField)
        for field in top.walk()
        if field.process_errors
    ]


def form_for(tf: TemplateForm, data: Any, stored: dict[str, Any]) -> Any:
    """The template's form holding `data` as if the agent had posted it (CSRF token kept)."""
    form = edit_form(tf)
    formdata = form.encode(data)
    token = request.form.get("csrf_token")
    if token is not None:
        formdata["csrf_token"] = token
    return form(formdata=formdata, data=stored, timezone=viewer_zone())


def user_name(users: dict[int, dict[str, Any]], user_id: int | None) -> str:
    found = users.get(user_id or -1) or {}
    return str(found.get("name") or found.get("username") or _("someone"))


def within(pointer: str, top: str) -> bool:
    return pointer == top or pointer.startswith(top + "/")


def take_theirs(
    tf: TemplateForm,
    ticket: Ticket,
    form: Any,
    posted: dict[str, Any],
    base: dict[str, Any],
    taken: list[str],
    errors: dict[str, list[str]],
    shown: dict[str, Any],
) -> tuple[dict[str, Any], Any]:
    """(values, form) with "take theirs" applied: their value at each of `taken` pointers.

    The form is rebuilt holding those values (so it is checked as it will be saved), unless
    an input elsewhere could not be read: then the posted form is kept, with its messages.
    """
    mine = posted
    for pointer in taken:
        mine = merge.put(mine, pointer, merge.get(base, pointer))
        if pointer in SYSTEM_EDITS:
            errors.pop(SYSTEM_EDITS[pointer][1], None)
            shown[pointer[1:]] = mine[pointer[1:]]
    unread = [p for p in reading_errors(form) if not any(within(f"/data{p}", t) for t in taken)]
    if any(p.startswith("/data/") for p in taken) and not unread:
        form = form_for(tf, mine["data"], ticket.data or {})
    return mine, form


class MergeView:
    """What the page says about an edit merged with newer versions: who, what, which choices."""

    def __init__(self, ticket: Ticket, tf: TemplateForm) -> None:
        self.history = history(ticket)
        self.users = users_by_id(c.actor_id for c in self.history)
        latest = next((c for c in reversed(self.history) if c.kind not in merge.VERSIONLESS), None)
        self.by = user_name(self.users, latest.actor_id if latest else None)
        self.at = latest.at if latest else None
        self.reading = display.Reading(tf.schema, tf.ui_schema, viewer_zone())
        self.changed: list[dict[str, Any]] = []
        self.conflicts: list[dict[str, Any]] = []
        self.unknown = False  # the version the agent read could not be recomputed
        self.invalid = False  # the combined version needs a fix before it can be saved
        self.unchosen = False  # a conflict page was saved without a choice for every field

    def title(self, pointer: str) -> str:
        """How the page names the value at `pointer` (its title path)."""
        return display.field_title(pointer, self.reading)

    def show(self, pointer: str, value: Any) -> str:
        """A value as the page shows it (labels for options, "(empty)" for nothing)."""
        if value is merge.MISSING:
            return _("(empty)")
        return display.text(display.value_at(pointer, value, self.reading)) or _("(empty)")

    def who(self, pointer: str) -> str:
        """Who last changed the value at `pointer`."""
        change = merge.last_change(self.history, pointer)
        return user_name(self.users, change.actor_id) if change else _("someone")

    def note_changed(self, pointers: list[str], theirs: Any) -> None:
        """The values others changed since the agent read the ticket (kept in the form)."""
        for pointer in pointers:
            value = merge.get(theirs, pointer)
            self.changed.append(
                {
                    "pointer": pointer,
                    "title": self.title(pointer),
                    "who": self.who(pointer),
                    "value": self.show(pointer, value),
                }
            )

    def note_conflict(self, pointer: str, mine: Any, theirs: Any, choice: str | None) -> None:
        """One value both sides changed, and the agent's choice so far."""
        self.conflicts.append(
            {
                "pointer": pointer,
                "title": self.title(pointer),
                "who": self.who(pointer),
                "mine": self.show(pointer, mine),
                "theirs": self.show(pointer, theirs),
                "choice": choice,
            }
        )

    def changed_pointers(self) -> list[str]:
        """Pointers others changed or both changed (the form marks their fields)."""
        return [c["pointer"] for c in self.changed] + [c["pointer"] for c in self.conflicts]

    def kept_message(self) -> str:
        """The flash after a merged save: whose changes were kept, in which fields."""
        names = sorted({c["who"] for c in self.changed})
        fields = ", ".join(dict.fromkeys(c["title"] for c in self.changed))
        return _(
            "Saved. The changes %(names)s made meanwhile were kept: %(fields)s.",
            names=", ".join(names),
            fields=fields,
        )
