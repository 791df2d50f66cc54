"""Creating, updating and commenting on tickets: one transaction each, history per pointer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.tickets.errors import StaleTicket, TicketInvalid, TicketNotFound
from app.tickets.models import Comment, Ticket, TicketCounter, TicketEvent
from app.tickets.numbers import format_number, parse_number
from app.tickets.service import (
    add_comment,
    change_state,
    create_ticket,
    diff_documents,
    get_ticket,
    update_ticket,
)
from tests.app.tickets.conftest import Setting

NewTicket = Callable[..., Ticket]


def _events(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )


def _counter() -> int:
    return int(db.session.scalar(select(TicketCounter.value).where(TicketCounter.name == "ticket")))


def test_number_format_and_parse() -> None:
    assert format_number(123) == "TS-000123"
    assert format_number(1234567) == "TS-1234567"
    assert parse_number("ts-000123") == 123
    assert parse_number("TS-12") is None
    assert parse_number("nonsense") is None


def test_create_writes_ticket_and_created_event(setting: Setting, new_ticket: NewTicket) -> None:
    ticket = new_ticket(data={"region": "north"}, priority="high", channel="web")
    db.session.expire_all()
    stored = get_ticket(ticket.id)
    assert stored.number.startswith("TS-")
    assert (stored.state, stored.priority, stored.channel) == ("new", "high", "web")
    assert stored.data == {"region": "north"}
    assert stored.lock_version == 1
    assert stored.assignee_id is None
    assert (stored.requester_name, stored.requester_email) == ("Li Wei", "li@example.test")
    [event] = _events(ticket.id)
    assert (event.kind, event.actor_id, event.channel) == ("created", setting.agent_id, "web")
    assert event.new == {"number": stored.number, "state": "new"}


def test_numbers_are_sequential_and_unique(new_ticket: NewTicket) -> None:
    numbers = [new_ticket().number for _ in range(5)]
    values = [parse_number(n) for n in numbers]
    assert values == list(range(values[0], values[0] + 5))  # type: ignore[operator]
    assert _counter() >= values[-1]  # type: ignore[operator]


def test_create_is_atomic(setting: Setting, new_ticket: NewTicket) -> None:
    before = _counter()

    def explode(session: Session, ticket: Ticket) -> None:
        assert session.get(Ticket, ticket.id) is not None  # the ticket row was inserted
        raise RuntimeError("outbox unavailable")

    with pytest.raises(RuntimeError, match="outbox"):
        new_ticket(subject="Never saved", also=[explode])
    db.session.expire_all()
    leftover = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.template == setting.template)
    )
    assert leftover == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .join(Ticket)
            .where(Ticket.template == setting.template)
        )
        == 0
    )
    assert _counter() == before  # the number is handed out again: no gap
    assert parse_number(new_ticket().number) == before + 1


def test_create_rejects_bad_system_values(new_ticket: NewTicket) -> None:
    with pytest.raises(TicketInvalid) as info:
        new_ticket(priority="whenever", channel="pigeon", subject="  ")
    assert set(info.value.errors) == {"/priority", "/channel", "/subject"}


@pytest.mark.backend("postgresql")  # SQLite serializes writers
def test_concurrent_creates_get_distinct_consecutive_numbers(
    app: Flask, backend: str, setting: Setting
) -> None:
    db.session.remove()
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with app.app_context():
                for _ in range(15):
                    ticket = create_ticket(
                        template=setting.template,
                        template_version=1,
                        subject="Race",
                        department_id=setting.department_id,
                        data={},
                    )
                    with lock:
                        numbers.append(ticket.number)
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    values = sorted(parse_number(n) or 0 for n in numbers)
    assert len(values) == 45 and len(set(values)) == 45
    # Other tests do not create tickets meanwhile, so the three threads' numbers interleave
    # into one consecutive run.
    assert values == list(range(values[0], values[0] + 45))


def test_update_records_one_event_per_pointer(setting: Setting, new_ticket: NewTicket) -> None:
    ticket = new_ticket(
        data={
            "region": "north",
            "amount": 5,
            "address": {"city": "Wuhan", "zip": "430000"},
            "tags": ["a"],
            "drop_me": True,
        }
    )
    updated = update_ticket(
        ticket.id,
        {
            "subject": "Printer jams daily",
            "assignee_id": setting.agent_id,
            "data": {
                "region": "south",
                "amount": 5,
                "address": {"city": "Wuhan", "zip": "430070"},
                "tags": ["a", "b"],
                "a/b~c": 1,
            },
        },
        expected_lock_version=1,
        actor_id=setting.other_agent_id,
        note="customer called",
    )
    assert updated.lock_version == 2
    changes = {
        e.pointer: (e.kind, e.old, e.new, e.actor_id, e.note)
        for e in _events(ticket.id)
        if e.kind != "created"
    }
    actor, note = setting.other_agent_id, "customer called"
    assert changes == {
        "/subject": ("field_changed", "Printer jams", "Printer jams daily", actor, note),
        "/assignee_id": ("assigned", None, setting.agent_id, actor, note),
        "/data/region": ("field_changed", "north", "south", actor, note),
        "/data/address/zip": ("field_changed", "430000", "430070", actor, note),
        "/data/tags": ("field_changed", ["a"], ["a", "b"], actor, note),
        "/data/drop_me": ("field_changed", True, None, actor, note),
        "/data/a~1b~0c": ("field_changed", None, 1, actor, note),
    }
    db.session.expire_all()
    assert get_ticket(ticket.id).data["address"]["zip"] == "430070"


def test_update_without_changes_writes_nothing(new_ticket: NewTicket, setting: Setting) -> None:
    ticket = new_ticket(data={"x": 1})
    same = update_ticket(
        ticket.id, {"data": {"x": 1}, "subject": ticket.subject}, 1, setting.agent_id
    )
    assert same.lock_version == 1
    assert [e.kind for e in _events(ticket.id)] == ["created"]


def test_stale_update_raises_with_current_version_and_actor(
    setting: Setting, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(data={"region": "north"})
    update_ticket(ticket.id, {"priority": "urgent"}, 1, setting.other_agent_id)
    add_comment(ticket.id, "a note, which does not make anyone stale", setting.agent_id)
    with pytest.raises(StaleTicket) as info:
        update_ticket(ticket.id, {"data": {"region": "west"}}, 1, setting.agent_id)
    stale = info.value
    assert (stale.current_version, stale.expected_version) == (2, 1)
    assert stale.changed_by_id == setting.other_agent_id
    assert stale.changed_at is not None
    assert stale.status == 409
    db.session.expire_all()
    stored = get_ticket(ticket.id)
    assert (stored.data, stored.priority, stored.lock_version) == ({"region": "north"}, "urgent", 2)


def test_concurrent_write_between_read_and_flush_is_not_lost(
    app: Flask, setting: Setting, new_ticket: NewTicket
) -> None:
    """The versioned UPDATE catches a write that lands after our read (no lost update)."""
    ticket = new_ticket(data={"n": 0})
    ticket_id = ticket.id
    loaded = db.session.get(Ticket, ticket_id)
    assert loaded is not None and loaded.lock_version == 1
    # Someone else saves version 2 through another connection, after our read.
    with db.engine.begin() as other:
        other.execute(
            Ticket.__table__.update()
            .where(Ticket.__table__.c.id == ticket_id)
            .values(lock_version=2, subject="theirs")
        )
    loaded.subject = "mine"
    with pytest.raises(Exception) as info:
        db.session.commit()
    assert type(info.value).__name__ == "StaleDataError"
    db.session.rollback()
    # Through the service, the same race surfaces as StaleTicket.
    from app.tickets import service

    real_get = Session.get

    def get_old_version(self: Session, entity: Any, ident: Any, **kw: Any) -> Any:
        row = real_get(self, entity, ident, **kw)
        if entity is Ticket:
            # What this request read before the other save: version 2 (now 3 in the DB).
            with db.engine.begin() as other:
                other.execute(
                    Ticket.__table__.update()
                    .where(Ticket.__table__.c.id == ticket_id)
                    .values(lock_version=3)
                )
        return row

    Session.get = get_old_version  # type: ignore[method-assign]
    try:
        with pytest.raises(StaleTicket) as stale:
            service.update_ticket(ticket_id, {"subject": "mine"}, 2, setting.agent_id)
    finally:
        Session.get = real_get  # type: ignore[method-assign]
    assert stale.value.current_version == 3
    db.session.expire_all()
    assert get_ticket(ticket_id).subject == "theirs"


def test_update_refuses_unknown_columns_and_missing_tickets(
    new_ticket: NewTicket, setting: Setting
) -> None:
    ticket = new_ticket()
    with pytest.raises(TicketInvalid) as info:
        update_ticket(ticket.id, {"number": "TS-999999", "lock_version": 9}, 1, setting.agent_id)
    assert set(info.value.errors) == {"/number", "/lock_version"}
    with pytest.raises(TicketNotFound):
        update_ticket(2_000_000_000, {"subject": "x"}, 1, setting.agent_id)


def test_state_changes_only_through_change_state(
    setting: Setting, new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    with pytest.raises(TicketInvalid) as refused:
        update_ticket(ticket.id, {"state": "open"}, 1, setting.agent_id)
    assert refused.value.errors == {"/state": ["cannot be changed here"]}
    moved = change_state(ticket.id, "open", 1, setting.other_agent_id, note="picked up")
    assert (moved.state, moved.lock_version) == ("open", 2)
    [created, changed] = _events(ticket.id)
    assert (changed.kind, changed.pointer, changed.old, changed.new, changed.note) == (
        "state_changed", "/state", "new", "open", "picked up"
    )
    assert changed.actor_id == setting.other_agent_id
    with pytest.raises(StaleTicket):
        change_state(ticket.id, "solved", 1, setting.agent_id)
    with pytest.raises(TicketInvalid):
        change_state(ticket.id, " ", 2, setting.agent_id)
    db.session.expire_all()
    assert get_ticket(ticket.id).state == "open"


def _four_writes(setting: Setting, new_ticket: NewTicket) -> Ticket:
    """Create, assign, move and comment on a ticket, none of them committing."""
    ticket = new_ticket(commit=False)
    update_ticket(
        ticket.id, {"assignee_id": setting.agent_id}, 1, setting.agent_id, commit=False
    )
    change_state(ticket.id, "open", 2, setting.agent_id, commit=False)
    add_comment(ticket.id, "On it.", setting.agent_id, commit=False)
    return ticket


def test_writes_compose_into_one_transaction(setting: Setting, new_ticket: NewTicket) -> None:
    ticket = _four_writes(setting, new_ticket)
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id) is None  # nothing of the four was committed

    ticket = _four_writes(setting, new_ticket)
    db.session.commit()
    db.session.expire_all()
    stored = get_ticket(ticket.id)
    assert (stored.state, stored.assignee_id, stored.lock_version) == (
        "open", setting.agent_id, 3
    )
    assert [e.kind for e in _events(ticket.id)] == [
        "created", "assigned", "state_changed", "commented"
    ]


def test_a_failing_write_rolls_back_the_composed_transaction(
    setting: Setting, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(commit=False)
    with pytest.raises(StaleTicket):
        update_ticket(ticket.id, {"subject": "Other"}, 7, setting.agent_id, commit=False)
    assert db.session.get(Ticket, ticket.id) is None


def test_comments_and_notes(setting: Setting, new_ticket: NewTicket) -> None:
    ticket = new_ticket()
    note = add_comment(ticket.id, "Checked the logs", setting.agent_id, internal=True)
    db.session.expire_all()
    assert get_ticket(ticket.id).first_response_at is None  # a note is no response
    reply = add_comment(ticket.id, "We are on it", setting.agent_id)
    add_comment(ticket.id, "Thanks", None, channel="email")
    db.session.expire_all()
    stored = get_ticket(ticket.id)
    assert stored.first_response_at is not None
    assert stored.lock_version == 1  # comments never make an open edit form stale
    comments = list(
        db.session.scalars(
            select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id)
        )
    )
    assert [(c.id, c.internal) for c in comments[:2]] == [(note.id, True), (reply.id, False)]
    kinds = [(e.kind, e.pointer) for e in _events(ticket.id)]
    assert kinds[1:] == [("commented", f"/comments/{c.id}") for c in comments]
    with pytest.raises(TicketInvalid):
        add_comment(ticket.id, "   ", setting.agent_id)
    with pytest.raises(TicketNotFound):
        add_comment(2_000_000_000, "hello", setting.agent_id)


def test_diff_documents_reports_leaves() -> None:
    old = {"a": 1, "b": {"c": [1, 2], "d": None}, "e": True}
    new = {"a": 1.0, "b": {"c": [1, 2], "d": 0}, "f": "x"}
    assert list(diff_documents(old, new)) == [
        ("/a", 1, 1.0),
        ("/b/d", None, 0),
        ("/e", True, None),
        ("/f", None, "x"),
    ]
