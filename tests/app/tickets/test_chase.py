"""Chasing a ticket (催单): the count, its event, no new version, refusals, the interval."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import update

from app.extensions import db
from app.tickets import document
from app.tickets.chase import chase, chase_interval, ordinal
from app.tickets.errors import ChaseTooSoon, TicketInvalid, TicketNotFound
from app.tickets.models import Channel, Ticket, TicketEvent
from app.tickets.service import update_ticket
from app.tickets.templates import TemplateForm
from app.tickets.transitions import take
from app.tickets.workflow import workflow_of
from tests.app.tickets.conftest import Setting
from tests.app.tickets.test_transitions import (
    create,
    events,
    fresh,
    member,
    one_group_per_version,
    opened,
    publish_flow,
)


@pytest.fixture
def flow(setting: Setting) -> TemplateForm:
    return publish_flow(setting)


@pytest.fixture
def agent(setting: Setting) -> User:
    return member(setting.department_id)


def chases_of(ticket_id: int) -> list[TicketEvent]:
    return [e for e in events(ticket_id) if e.kind == "chased"]


def age_chases(ticket_id: int, seconds: float) -> None:
    """Move every recorded chase of the ticket `seconds` into the past."""
    for event in chases_of(ticket_id):
        event.at = event.at - timedelta(seconds=seconds)
    db.session.commit()


def test_a_chase_counts_and_records_one_event(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    before = len(events(ticket.id))
    chased = chase(ticket.id, agent.id, channel=Channel.AGENT.value, note=" Called twice ")
    assert chased.id == ticket.id and chased.chases == 1
    assert fresh(ticket.id).chases == 1
    rows = events(ticket.id)
    assert len(rows) == before + 1
    last = rows[-1]
    assert (last.kind, last.actor_id, last.channel, last.new, last.note, last.pointer) == (
        "chased", agent.id, "agent", {"chases": 1}, "Called twice", None
    )


def test_a_chase_makes_no_new_version(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    version, updated = ticket.lock_version, ticket.updated_at
    chase(ticket.id, agent.id, channel=Channel.API.value)
    stored = fresh(ticket.id)
    assert (stored.lock_version, stored.updated_at, stored.chases) == (version, updated, 1)
    # An agent who opened the ticket before the chase saves without being made stale.
    edited = update_ticket(ticket.id, {"subject": "Refund, chased"}, version, agent.id)
    assert edited.lock_version == version + 1 and fresh(ticket.id).chases == 1


def test_a_loaded_ticket_is_not_written_back_over_a_chase(
    flow: TemplateForm, agent: User
) -> None:
    ticket = create(flow)
    loaded = db.session.get(Ticket, ticket.id)
    assert loaded is not None and loaded.chases == 0
    chase(ticket.id, agent.id, channel=Channel.AGENT.value, commit=False)
    assert loaded.chases == 1 and loaded not in db.session.dirty
    db.session.commit()
    assert fresh(ticket.id).chases == 1


def test_the_document_conditions_see_counts_chases(flow: TemplateForm, agent: User) -> None:
    ticket = create(flow)
    calendar = workflow_of(ticket).workflow.calendar
    assert document.of_ticket(fresh(ticket.id), calendar)["chases"] == 0
    chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    chase(ticket.id, member(ticket.department_id).id, channel=Channel.AGENT.value)
    assert document.of_ticket(fresh(ticket.id), calendar)["chases"] == 2


def test_a_solved_ticket_is_not_chased(flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent)
    solved = take(
        ticket.id, "solve", ticket.lock_version, agent, data={"resolution": "Fixed it, done."}
    ).ticket
    count = len(events(ticket.id))
    with pytest.raises(TicketInvalid) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    assert caught.value.status == 422
    assert caught.value.errors == {
        "/category": ["This ticket is already solved; reopen it instead."]
    }
    stored = fresh(ticket.id)
    assert (stored.chases, stored.lock_version) == (0, solved.lock_version)
    assert len(events(ticket.id)) == count


def test_a_closed_ticket_is_not_chased(flow: TemplateForm, agent: User) -> None:
    ticket = opened(flow, agent)
    solved = take(
        ticket.id, "solve", ticket.lock_version, agent, data={"resolution": "Fixed it, done."}
    ).ticket
    take(ticket.id, "close", solved.lock_version, agent)
    with pytest.raises(TicketInvalid) as caught:
        chase(ticket.id, None, channel=Channel.WEB.value)
    assert list(caught.value.errors) == ["/category"]
    assert fresh(ticket.id).chases == 0 and chases_of(ticket.id) == []


def test_an_unknown_ticket_and_bad_values_are_refused(flow: TemplateForm, agent: User) -> None:
    with pytest.raises(TicketNotFound):
        chase(2_000_000_000, agent.id, channel=Channel.AGENT.value)
    ticket = create(flow)
    with pytest.raises(TicketInvalid) as caught:
        chase(ticket.id, agent.id, channel="fax")
    assert list(caught.value.errors) == ["/channel"]
    with pytest.raises(TicketInvalid) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value, note="x" * 2001)
    assert list(caught.value.errors) == ["/note"]
    assert fresh(ticket.id).chases == 0 and chases_of(ticket.id) == []


def test_the_same_actor_waits_for_the_interval(
    app: Flask, flow: TemplateForm, agent: User
) -> None:
    assert chase_interval() == app.config["TESSERA_CHASE_INTERVAL"] == 600
    ticket = create(flow)
    chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    with pytest.raises(ChaseTooSoon) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value, note="again")
    assert caught.value.status == 429 and 590 <= caught.value.retry_after <= 600
    assert str(caught.value.retry_after) in str(caught.value)
    assert fresh(ticket.id).chases == 1 and len(chases_of(ticket.id)) == 1
    # Someone else may chase meanwhile, and so may a chase without an actor.
    chase(ticket.id, member(ticket.department_id).id, channel=Channel.AGENT.value)
    chase(ticket.id, None, channel=Channel.WEB.value)
    with pytest.raises(ChaseTooSoon):
        chase(ticket.id, None, channel=Channel.WEB.value)
    age_chases(ticket.id, 300)
    with pytest.raises(ChaseTooSoon) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    assert 290 <= caught.value.retry_after <= 300
    age_chases(ticket.id, 301)
    again = chase(ticket.id, agent.id, channel=Channel.AGENT.value, note="again")
    assert again.chases == 4
    assert [e.new for e in chases_of(ticket.id)] == [{"chases": n} for n in (1, 2, 3, 4)]


def test_the_interval_is_configured(
    app: Flask, flow: TemplateForm, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TESSERA_CHASE_INTERVAL", 0)
    ticket = create(flow)
    for _ in range(3):
        chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    assert fresh(ticket.id).chases == 3
    monkeypatch.setitem(app.config, "TESSERA_CHASE_INTERVAL", 30)
    with pytest.raises(ChaseTooSoon) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    assert 20 <= caught.value.retry_after <= 30


def test_chases_keep_one_history_group_per_version(flow: TemplateForm, agent: User) -> None:
    """Edits of older versions rebuild them from the history: a chase adds no version."""
    ticket = create(flow)
    version = ticket.lock_version
    chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    update_ticket(ticket.id, {"priority": "high"}, version, agent.id)
    assert one_group_per_version(fresh(ticket.id))


@pytest.mark.backend("postgresql")
def test_one_actor_chasing_at_once_counts_once(
    app: Flask, flow: TemplateForm, agent: User
) -> None:
    ticket_id, agent_id = create(flow).id, agent.id
    outcomes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def work() -> None:
        try:
            with app.app_context():
                start.wait()
                try:
                    chase(ticket_id, agent_id, channel=Channel.API.value)
                    outcome = "chased"
                except ChaseTooSoon:
                    outcome = "refused"
                with lock:
                    outcomes.append(outcome)
                db.session.remove()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(outcomes) == ["chased"] + ["refused"] * 5
    assert fresh(ticket_id).chases == 1 and len(chases_of(ticket_id)) == 1


def test_a_ticket_solved_meanwhile_is_not_counted(flow: TemplateForm, agent: User) -> None:
    """The count is raised only on a ticket still being worked, whatever was read before."""
    ticket = create(flow)
    db.session.get(Ticket, ticket.id)  # read as still being worked
    with db.engine.begin() as conn:  # then solved by someone else
        conn.execute(update(Ticket).where(Ticket.id == ticket.id).values(category="solved"))
    with pytest.raises(TicketInvalid) as caught:
        chase(ticket.id, agent.id, channel=Channel.AGENT.value)
    assert list(caught.value.errors) == ["/category"]
    assert fresh(ticket.id).chases == 0


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")],
)
def test_ordinals(n: int, text: str) -> None:
    assert ordinal(n) == text
