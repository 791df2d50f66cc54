"""Stored values as people read them: labels, lists, Yes/No, dates, zones, files, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.tickets import display
from app.tickets.display import HistoryLine, Reading, Shown
from app.tickets.filefields import FileRef, format_ref
from app.tickets.models import EventKind

SHANGHAI = ZoneInfo("Asia/Shanghai")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {"day": {"type": "string", "format": "date", "title": "Day"}},
    "properties": {
        "reason": {"type": "string", "title": "Reason", "enum": ["dup", "late"]},
        "tier": {"title": "Tier", "oneOf": [{"const": "g", "title": "Gold"}, {"const": "s"}]},
        "symptoms": {
            "type": "array",
            "title": "Symptoms",
            "items": {"type": "string", "enum": ["noise", "heat"]},
            "uniqueItems": True,
        },
        "vip": {"type": "boolean", "title": "VIP"},
        "agreed": {"type": "boolean", "title": "Agreed"},
        "bought": {"type": "string", "format": "date", "title": "Bought"},
        "seen_at": {"type": "string", "format": "date-time", "title": "Seen at"},
        "due": {"$ref": "#/$defs/day", "title": "Due"},
        "contact": {
            "type": "object",
            "title": "Contact",
            "properties": {
                "email": {"type": "string", "title": "E-mail"},
                "name": {"type": "string", "title": "Name"},
                "kind": {"type": "string", "enum": ["home", "work"]},
            },
        },
        "parts": {
            "type": "array",
            "title": "Parts",
            "items": {"type": "object", "properties": {"qty": {"type": "integer", "title": "Qty"}}},
        },
        "photo": {"type": "string", "format": "data-url", "title": "Photo"},
        "amount": {"type": "number", "title": "Amount"},
    },
}
UI: dict[str, Any] = {
    "ui:order": ["contact", "reason", "*"],
    "reason": {"ui:enumNames": ["Charged twice", "Arrived late"]},
    "symptoms": {"ui:widget": "checkboxes", "ui:enumNames": ["Unusual noise", "Overheating"]},
    "agreed": {"ui:widget": "radio", "ui:enumNames": ["I agree", "I do not"]},
    "contact": {
        "ui:order": ["name", "email"],
        "kind": {"ui:enumNames": ["Home", "Work"]},
    },
}


def field(name: str, value: Any, zone: Any = UTC) -> Shown:
    sub, ui, _titles = display.locate(SCHEMA, UI, [name])
    return display.shown(value, sub, ui, zone=zone, root=SCHEMA)


def as_text(name: str, value: Any, zone: Any = UTC) -> str:
    return display.text(field(name, value, zone))


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("reason", "dup", "Charged twice"),
        ("reason", "gone", "gone"),  # no such option: the value itself
        ("tier", "g", "Gold"),
        ("tier", "s", "s"),  # an option without a title
        ("amount", 120.5, "120.5"),
        ("amount", 3.0, "3"),
        ("amount", 0, "0"),
    ],
)
def test_options_show_their_labels(name: str, value: Any, text: str) -> None:
    assert as_text(name, value) == text


def test_a_multi_select_shows_its_labels_from_the_array_or_its_items() -> None:
    assert as_text("symptoms", ["heat", "noise"]) == "Overheating, Unusual noise"
    on_items = {"type": "array", "items": {"enum": ["a", "b"]}}
    ui = {"items": {"ui:enumNames": ["Alpha", "Beta"]}}
    assert display.text(display.shown(["b", "a"], on_items, ui)) == "Beta, Alpha"
    assert str(display.html(field("symptoms", ["noise"]))) == (
        '<ul class="tessera-items"><li>Unusual noise</li></ul>'
    )
    assert display.text(field("symptoms", [])) == ""


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("vip", True, "Yes"),
        ("vip", False, "No"),
        ("agreed", True, "I agree"),  # a radio's own two labels
        ("agreed", False, "I do not"),
    ],
)
def test_booleans_read_yes_or_no(name: str, value: bool, text: str) -> None:
    assert as_text(name, value) == text


def test_a_boolean_enum_without_labels_still_reads_yes_or_no() -> None:
    assert display.text(display.shown(True, {"enum": [True, False]})) == "Yes"


def test_dates_and_moments_in_the_readers_zone() -> None:
    assert as_text("bought", "2026-03-01") == "2026-03-01"
    assert as_text("bought", "not a date") == "not a date"
    assert as_text("due", "2026-04-02") == "2026-04-02"  # through a local $ref
    # UTC 10:20:30.123456 is 18:20:30 in Shanghai; microseconds never show.
    assert as_text("seen_at", "2026-03-01T10:20:30.123456Z", SHANGHAI) == (
        "2026-03-01 18:20:30 CST"
    )
    assert as_text("seen_at", "2026-03-01T10:20:00+00:00") == "2026-03-01 10:20 UTC"
    assert as_text("seen_at", "2026-03-01T23:30:00-05:00", SHANGHAI) == "2026-03-02 12:30 CST"
    assert as_text("seen_at", "2026-03-01T10:20:00") == "2026-03-01 10:20 UTC"  # no offset: UTC
    assert as_text("seen_at", "yesterday") == "yesterday"


def test_moment_names_its_zone() -> None:
    at = datetime(2026, 7, 1, 12, 0, 5, 999, tzinfo=UTC)
    assert display.moment(at) == "2026-07-01 12:00:05 UTC"
    assert display.moment(at, ZoneInfo("Europe/Berlin")) == "2026-07-01 14:00:05 CEST"
    assert display.moment(datetime(2026, 7, 1, 12, 0)) == "2026-07-01 12:00 UTC"


def test_nested_objects_show_titled_members_in_order() -> None:
    value = {"email": "li@example.com", "kind": "work", "name": "Li Na", "note": None}
    shown = field("contact", value)
    assert shown.pairs == (
        ("Name", Shown(text="Li Na")),
        ("E-mail", Shown(text="li@example.com")),
        ("kind", Shown(text="Work")),  # no title: its name; its option's label
    )
    assert display.text(shown) == "Name: Li Na; E-mail: li@example.com; kind: Work"
    assert display.text(field("parts", [{"qty": 2}, {"qty": 3}])) == "(Qty: 2); (Qty: 3)"
    assert str(display.html(Shown(pairs=(("<b>", Shown(text="x&y")),)))) == (
        '<ul class="tessera-pairs"><li><span class="tessera-pair-title">&lt;b&gt;:</span> '
        "x&amp;y</li></ul>"
    )


def test_file_references_show_the_file_name_linked_where_the_page_says() -> None:
    ref = format_ref(12, "scan <1>.pdf")
    shown = field("photo", ref)
    assert shown.file == FileRef(12, "scan <1>.pdf")
    assert display.text(shown) == "scan <1>.pdf"

    def link(found: FileRef) -> str:
        return f"/tickets/5/attachments/{found.attachment_id}"

    assert str(display.html(shown, link)) == (
        '<a class="tessera-file" href="/tickets/5/attachments/12" download>scan &lt;1&gt;.pdf</a>'
    )
    assert str(display.html(shown)) == '<span class="tessera-file">scan &lt;1&gt;.pdf</span>'
    # A file in a plain string field is still a file; an inline data URL never shows its bytes.
    assert display.text(display.shown(ref, {"type": "string"})) == "scan <1>.pdf"
    inline = "data:image/png;name=shot%201.png;base64,iVBORw0KGgo="
    assert as_text("photo", inline) == "shot 1.png (8 bytes)"
    assert display.labelled(inline) == "shot 1.png (8 bytes)"


def test_the_summary_follows_the_template_order_and_leaves_out_empty_values() -> None:
    data = {"amount": 5, "reason": "late", "vip": None, "contact": {"name": "Li"}, "bought": ""}
    found = display.summary(data, SCHEMA, UI)
    assert [(f.name, f.title, display.text(f.value)) for f in found] == [
        ("contact", "Contact", "Name: Li"),
        ("reason", "Reason", "Arrived late"),
        ("amount", "Amount", "5"),
    ]


@pytest.mark.parametrize(
    ("value", "labels", "text"),
    [
        (None, None, ""),
        ("g", {"g": "Gold"}, "Gold"),
        (False, None, "No"),
        (["g", "x"], {"g": "Gold"}, "Gold, x"),
        ({"a": 1, "b": None}, None, "a: 1"),
        (format_ref(3, "a.txt"), None, "a.txt"),
    ],
)
def test_labelled_reads_a_value_by_its_labels_alone(
    value: Any, labels: dict[str, str] | None, text: str
) -> None:
    assert display.labelled(value, labels) == text


# ---------------------------------------------------------------------------------------------
# History


@dataclass
class Event:
    kind: str
    pointer: str | None = None
    old: Any = None
    new: Any = None
    note: str | None = None


READING = Reading(
    schema=SCHEMA,
    ui=UI,
    zone=SHANGHAI,
    users={4: "Agent3 Demo"},
    departments={2: "Billing", 3: "Repair"},
    states={"new": "New", "open": "In progress"},
    transitions={"solve": "Solve"},
)


def line(event: Event) -> HistoryLine:
    return display.history_line(event, READING)


@pytest.mark.parametrize(
    ("event", "what", "change"),
    [
        (
            Event("field_changed", "/priority", "normal", "high"),
            "Field changed",
            "Priority: normal → high",
        ),
        (
            Event("field_changed", "/data/reason", "dup", "late"),
            "Field changed",
            "Reason: Charged twice → Arrived late",
        ),
        (
            Event("field_changed", "/data/contact/email", None, "li@example.com"),
            "Field changed",
            "Contact › E-mail: (empty) → li@example.com",
        ),
        (
            Event("field_changed", "/data/parts/1/qty", 3, 4),
            "Field changed",
            "Parts › #2 › Qty: 3 → 4",
        ),
        (
            Event("field_changed", "/data/symptoms", ["noise"], ["noise", "heat"]),
            "Field changed",
            "Symptoms: Unusual noise → Unusual noise, Overheating",
        ),
        (Event("field_changed", "/data/vip", False, True), "Field changed", "VIP: No → Yes"),
        (
            Event("field_changed", "/data/seen_at", None, "2026-03-01T10:00:00Z"),
            "Field changed",
            "Seen at: (empty) → 2026-03-01 18:00 CST",
        ),
        (
            Event("field_changed", "/data/unknown_field", "a", "b"),
            "Field changed",
            "unknown_field: a → b",
        ),
        (
            Event("assigned", "/assignee_id", None, 4),
            "Assignment changed",
            "Assignee: (unassigned) → Agent3 Demo",
        ),
        (
            Event("assigned", "/department_id", 2, 3),
            "Assignment changed",
            "Department: Billing → Repair",
        ),
        (
            Event("claimed", "/assignee_id", None, 4),
            "Claimed",
            "Assignee: (unassigned) → Agent3 Demo",
        ),
        (
            Event("state_changed", "/state", "new", "open"),
            "State changed",
            "State: New → In progress",
        ),
        (
            Event("field_changed", "/resolved_at", None, "2026-03-01T01:00:00+00:00"),
            "Field changed",
            "Resolved at: (empty) → 2026-03-01 09:00 CST",
        ),
        (
            Event("created", new={"number": "TS-1", "state": "new", "routing": {"rule": "x"}}),
            "Ticket created",
            "State: New",
        ),
        (Event("commented", "/comments/9", new={"internal": False}), "Reply added", ""),
        (
            Event("commented", "/comments/9", new={"internal": True, "attachments": [1, 2]}),
            "Internal note added",
            "2 files",
        ),
        (Event("chased", new={"chases": 2}), "Customer chased (2nd time)", ""),
        (
            Event("sla_warning", "/sla/resolution", new={"due_at": "2026-03-01T02:00:00+00:00"}),
            "SLA target nearly due",
            "Resolution: due 2026-03-01 10:00 CST",
        ),
        (
            Event("sla_breached", "/sla/first_response", new={"due_at": "2026-03-01T02:00:00Z"}),
            "SLA target breached",
            "First response: due 2026-03-01 10:00 CST",
        ),
        (
            Event(
                "transferred",
                old={"department_id": 2, "assignee_id": 4},
                new={"department_id": 3, "assignee_id": None},
            ),
            "Transferred",
            "Department: Billing; Assignee: Agent3 Demo → Department: Repair; "
            "Assignee: (unassigned)",
        ),
        (
            Event("approval_requested", new={"transition": "solve", "to": "open"}),
            "Approval requested",
            "Transition: Solve (to In progress)",
        ),
        (
            Event("approval_decided", new={"transition": "solve", "decision": "rejected"}),
            "Approval decided",
            "Solve: Rejected",
        ),
        (Event("escalated", new={"event": "sla.breached"}), "Escalated", ""),
        (
            Event(
                "sla_changed",
                "/sla",
                {"policy": None, "paused": False},
                {"policy": "standard", "resolution_due_at": "2026-03-01T02:00:00+00:00"},
            ),
            "SLA changed",
            "SLA: Paused: No → Policy: standard; Resolution due: 2026-03-01 10:00 CST",
        ),
    ],
)
def test_history_lines_name_fields_by_title_and_show_values_as_people_read_them(
    event: Event, what: str, change: str
) -> None:
    found = line(event)
    assert (found.what, found.change()) == (what, change)
    assert "/data" not in found.change() and "{" not in found.change()


def test_a_history_line_keeps_the_note_and_escapes_its_html() -> None:
    found = line(Event("state_changed", "/state", "new", "<b>open</b>", note="Called back."))
    assert found.note == "Called back."
    assert str(display.change_html(found)) == (
        '<span class="tessera-field">State</span>: New <span class="tessera-arrow">&rarr;</span>'
        " &lt;b&gt;open&lt;/b&gt;"
    )


def test_a_file_in_the_history_is_linked() -> None:
    found = line(Event("field_changed", "/data/photo", None, format_ref(7, "p.png")))
    html = str(display.change_html(found, lambda ref: f"/f/{ref.attachment_id}"))
    assert html.endswith('<a class="tessera-file" href="/f/7" download>p.png</a>')


def test_every_event_kind_has_a_phrase() -> None:
    assert set(display.KIND_PHRASES) == {kind.value for kind in EventKind}
    assert all("_" not in str(p) for p in display.KIND_PHRASES.values())


def test_the_ids_the_history_names_are_collected_for_lookup() -> None:
    events = [
        Event("assigned", "/assignee_id", 4, 5),
        Event("assigned", "/department_id", 2, 3),
        Event(
            "transferred",
            old={"department_id": 3, "assignee_id": 6},
            new={"department_id": 7, "assignee_id": None},
        ),
        Event("field_changed", "/data/amount", 1, 2),
    ]
    assert display.named_ids(events) == ({4, 5, 6}, {2, 3, 7})
