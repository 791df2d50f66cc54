"""notify(): recipients per kind, once per key, and templates in a sandbox."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.notifications import context_for, fit_key, notify
from app.notifications.models import MailMessage, Notification
from app.notifications.render import render
from app.notifications.templates import DEFAULTS, GENERIC
from app.outbox.models import OutboxMessage
from app.tickets.models import Ticket
from tests.app.notifications.conftest import Scene


def _ticket(scene: Scene) -> Ticket:
    found = db.session.get(Ticket, scene.ticket_id)
    assert found is not None
    return found


def _send(scene: Scene, key: str, to: list[str], **kwargs: Any) -> int:
    created = notify(
        db.session, key=key, ticket=_ticket(scene), event=kwargs.pop("event", "ticket.created"),
        to=to, **kwargs,
    )
    db.session.commit()
    return created


def _notified(key: str) -> list[int]:
    query = select(Notification.user_id).where(Notification.key.like(f"{key}:u%"))
    return sorted(db.session.scalars(query))


def _mailed(key: str) -> list[str]:
    query = select(MailMessage.to_address).where(MailMessage.key.like(f"{key}:m%"))
    return sorted(db.session.scalars(query))


def _mail_jobs(key: str) -> list[dict[str, Any]]:
    """The payloads of the pending mail.send messages of the key's mails."""
    mails = db.session.execute(
        select(MailMessage.id, MailMessage.ticket_id).where(MailMessage.key.like(f"{key}:%"))
    ).all()
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.topic == "mail.send", OutboxMessage.done_at.is_(None),
            OutboxMessage.ticket_id.in_({ticket for _id, ticket in mails}),
        )
    )
    ids = {mail_id for mail_id, _ticket in mails}
    return [r.payload for r in rows if r.payload.get("mail_id") in ids]


@pytest.mark.parametrize(
    ("kinds", "users", "requester"),
    [
        (["assignee"], ["assignee"], False),
        (["requester"], [], True),
        (["department"], ["assignee", "agent", "head"], False),
        (["department_head"], ["head"], False),
        (["assignee", "department", "requester"], ["assignee", "agent", "head"], True),
    ],
)
def test_recipients_are_resolved_per_kind(
    app_ctx: Flask, scene: Scene, kinds: list[str], users: list[str], requester: bool
) -> None:
    key = f"t{scene.ticket_id}:kinds:{'+'.join(kinds)}"
    wanted = sorted(getattr(scene, part) for part in users)
    addresses = sorted([scene.emails[u] for u in wanted] + [scene.requester_email] * requester)
    created = _send(scene, key, kinds)
    # One bell row per user (never the inactive member nor anyone outside), one mail per
    # address, and one mail.send message per mail.
    assert _notified(key) == wanted
    assert _mailed(key) == addresses
    assert created == len(wanted) + len(addresses)
    assert len(_mail_jobs(key)) == len(addresses)


def test_a_second_call_with_the_same_key_creates_nothing(app_ctx: Flask, scene: Scene) -> None:
    key = f"t{scene.ticket_id}:twice"
    kinds = ["department", "requester"]
    first = _send(scene, key, kinds)
    before = (_notified(key), _mailed(key), len(_mail_jobs(key)))
    assert first == 3 + 4
    assert _send(scene, key, kinds) == 0
    assert (_notified(key), _mailed(key), len(_mail_jobs(key))) == before
    # Widening the recipients of a key adds only who is new: the head had both already.
    wider = f"{key}-wider"
    assert _send(scene, wider, ["department_head"]) == 2
    assert _send(scene, wider, ["department"]) == 4
    assert _notified(wider) == sorted([scene.assignee, scene.agent, scene.head])


def test_a_key_taken_meanwhile_is_skipped_without_aborting_the_transaction(
    app_ctx: Flask, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.notifications as notifications

    key = f"t{scene.ticket_id}:race"
    assert _send(scene, key, ["assignee"]) == 2
    # Another run inserted the same rows after this one looked: the inserts meet the unique
    # keys, each in its SAVEPOINT, and the caller's transaction goes on.
    monkeypatch.setattr(notifications, "_existing", lambda s, model, keys: set())
    ticket = _ticket(scene)
    ticket_subject = ticket.subject
    assert notify(db.session, key=key, ticket=ticket, event="ticket.created",
                  to=["assignee"]) == 0
    db.session.commit()
    assert _notified(key) == [scene.assignee]
    assert _mailed(key) == [scene.emails[scene.assignee]]
    assert _ticket(scene).subject == ticket_subject


def test_rows_carry_the_rendered_texts_and_a_stable_message_id(
    app: Flask, app_ctx: Flask, scene: Scene
) -> None:
    key = f"t{scene.ticket_id}:texts"
    _send(scene, key, ["assignee"], event="ticket.assigned")
    row = db.session.scalar(
        select(Notification).where(Notification.key == f"{key}:u{scene.assignee}")
    )
    mail = db.session.scalar(select(MailMessage).where(MailMessage.key.like(f"{key}:m%")))
    assert row is not None and mail is not None
    number = _ticket(scene).number
    assert row.event == "ticket.assigned" and row.ticket_id == scene.ticket_id
    assert row.subject == (
        f"[{number}] Assigned to Assignee Tester {scene.tag}: Printer jams 打印机卡纸 (工单已分配)"
    )
    assert f"{app.config['TESSERA_BASE_URL']}/tickets/{scene.ticket_id}" in row.body
    assert (mail.subject, mail.body) == (row.subject, row.body)
    assert re.fullmatch(rf"<mail-{mail.id}\.[0-9a-f]{{16}}@localhost>", mail.message_id)
    assert mail.sent_at is None and mail.attempts == 0
    assert _mail_jobs(key) == [{"mail_id": mail.id}]


def test_unknown_kinds_are_refused_by_name(app_ctx: Flask, scene: Scene) -> None:
    with pytest.raises(ValueError, match="'watchers'"):
        notify(db.session, key="x", ticket=_ticket(scene), event="ticket.created",
               to=["assignee", "watchers"])
    db.session.rollback()


def test_a_requester_without_a_usable_address_gets_nothing(
    app_ctx: Flask, scene: Scene
) -> None:
    ticket = _ticket(scene)
    ticket.requester_email = "not an address\r\nBcc: x@example.test"
    key = f"t{scene.ticket_id}:bad-address"
    assert notify(db.session, key=key, ticket=ticket, event="ticket.created",
                  to=["requester"]) == 0
    db.session.rollback()


def test_long_keys_are_shortened_and_stay_distinct() -> None:
    long = "k" * 300
    assert fit_key("short") == "short"
    assert len(fit_key(long + "a")) == 255
    assert fit_key(long + "a") != fit_key(long + "b")


# -- templates ------------------------------------------------------------------------------


def _context(app: Flask, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "ticket": {
            "id": 7, "number": "T-000007", "subject": "Printer jams", "state": "open",
            "priority": "high", "department": "Billing (财务)", "assignee": "Agent Three",
            "url": f"{app.config['TESSERA_BASE_URL']}/tickets/7",
        },
        "requester": {"name": "Li Wei", "email": "li@example.test"},
        "event": "ticket.created",
        "extra": extra or {},
    }


@pytest.mark.parametrize("event", [*DEFAULTS, "something.else"])
def test_every_default_renders_bilingual_with_the_ticket(app: Flask, event: str) -> None:
    subject, body = render(event, _context(app), None, None)
    assert "T-000007" in subject and "\n" not in subject
    assert re.search(r"[\u4e00-\u9fff]", subject + body)  # the Chinese half
    assert "/tickets/7" in body
    assert "None" not in subject + body


def test_defaults_of_known_events_differ_from_the_generic_one() -> None:
    assert all(pair != GENERIC for pair in DEFAULTS.values())
    assert {
        "ticket.created", "ticket.updated", "ticket.transitioned", "ticket.commented",
        "ticket.assigned", "ticket.chased", "sla.warning", "sla.breached",
        "approval.requested", "approval.decided",
    } <= set(DEFAULTS)


def test_undefined_variables_render_empty(app: Flask) -> None:
    subject, body = render(
        "ticket.created", _context(app),
        "[{{ nothing }}{{ ticket.nope.deeper }}] {{ extra.x.y }}ok",
        "A{{ requester.phone }}B{{ missing['k'] }}C",
    )
    assert (subject, body) == ("[] ok", "ABC")


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ticket.__class__.__init__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ extra.items.__self__ }}",
        "{{ self.__dict__ }}",
    ],
)
def test_python_internals_read_as_nothing(app: Flask, template: str) -> None:
    subject, body = render("ticket.created", _context(app), "X" + template + "Y", template)
    assert subject == "XY"
    assert body == ""


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ config.__class__.__init__.__globals__['os'].system('id') }}",
        "{{ extra.tags.append('owned') }}",
        "{{ 'x' * 1000000 }}",
        "{{ 2 ** 100000000 }}",
        "{{ lipsum(1000) }}",
        "{{ ticket.number ",
        "{% for %}",
        "{{ 1 / 0 }}",
    ],
)
def test_a_failing_template_falls_back_to_the_default_and_logs(
    app: Flask, template: str, caplog: pytest.LogCaptureFixture
) -> None:
    context = _context(app, {"tags": ["a"]})
    default = render("ticket.created", context, None, None)
    with caplog.at_level(logging.WARNING, logger="app.notifications.render"):
        assert render("ticket.created", context, template, template) == default
    assert context["extra"]["tags"] == ["a"]
    assert [r for r in caplog.records if "template for ticket.created failed" in r.getMessage()]


def test_subjects_are_one_line_and_cut_to_the_column(app: Flask) -> None:
    subject, _body = render("ticket.created", _context(app), "a\r\nBcc: x\n" + "y" * 400, "b")
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("a Bcc: x yyy") and len(subject) == 300


def test_extra_reaches_the_templates(app: Flask) -> None:
    context = _context(app, {"comment": "Please call me 请回电", "author": "Li Wei"})
    _subject, body = render("ticket.commented", context, None, None)
    assert "Li Wei commented:\nPlease call me 请回电" in body
    own = render("ticket.commented", context, "{{ extra.author }}", "{{ extra.comment|upper }}")
    assert own == ("Li Wei", "PLEASE CALL ME 请回电")


def test_the_context_of_a_ticket(app_ctx: Flask, scene: Scene, app: Flask) -> None:
    ticket = _ticket(scene)
    context = context_for(ticket, "ticket.updated", {"changes": ["priority"]})
    assert context["ticket"] == {
        "id": ticket.id, "number": ticket.number, "subject": "Printer jams 打印机卡纸",
        "state": ticket.state, "priority": ticket.priority,
        "department": f"Notify {scene.tag} (通知)",
        "assignee": f"Assignee Tester {scene.tag}",
        "url": f"{app.config['TESSERA_BASE_URL']}/tickets/{ticket.id}",
    }
    assert context["requester"] == {"name": "Li Wei 李伟", "email": scene.requester_email}
    assert context["event"] == "ticket.updated" and context["extra"] == {"changes": ["priority"]}


def test_counts_in_the_database_match_what_notify_returns(app_ctx: Flask, scene: Scene) -> None:
    before = db.session.scalar(select(func.count()).select_from(Notification))
    before_mail = db.session.scalar(select(func.count()).select_from(MailMessage))
    created = _send(scene, f"t{scene.ticket_id}:count", ["department_head", "requester"])
    after = db.session.scalar(select(func.count()).select_from(Notification))
    after_mail = db.session.scalar(select(func.count()).select_from(MailMessage))
    assert created == (after - before) + (after_mail - before_mail) == 3
