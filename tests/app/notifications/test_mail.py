"""mail.send against a real SMTP sink: one .eml per mail, the right headers, sent once."""

from __future__ import annotations

import email
import hashlib
import re
import socket
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.jobs.runner import run
from app.notifications import notify
from app.notifications.mail import send_mail
from app.notifications.models import MailMessage
from app.notifications.sink import start_sink
from app.outbox import HANDLERS
from app.outbox.models import OutboxMessage
from app.tickets.models import Ticket
from tests.app.notifications.conftest import Scene


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A sink on a free local port: (port, folder of its .eml files)."""
    port, folder = free_port(), tmp_path / "mail"
    controller = start_sink("127.0.0.1", port, folder)
    yield port, folder
    controller.stop()


@pytest.fixture
def smtp_at(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """`smtp_at(port)` points the app's mail settings at 127.0.0.1:port."""

    def point(port: int) -> None:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5.0)

    return point


def queue_mail(scene: Scene, key: str) -> tuple[int, int]:
    """Notify the requester; (mail id, id of its mail.send message), committed."""
    ticket = db.session.get(Ticket, scene.ticket_id)
    assert ticket is not None
    assert notify(db.session, key=key, ticket=ticket, event="ticket.commented",
                  to=["requester"], extra={"author": "Agent", "comment": "已处理 done"}) == 1
    db.session.commit()
    mail = db.session.scalar(select(MailMessage).where(MailMessage.key.like(f"{key}:m%")))
    assert mail is not None
    jobs = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.topic == "mail.send", OutboxMessage.ticket_id == scene.ticket_id,
            OutboxMessage.done_at.is_(None),
        )
    )
    message = next(m for m in jobs if m.payload == {"mail_id": mail.id})
    return mail.id, message.id


def parse(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_handler_is_registered_on_the_default_queue() -> None:
    topic = HANDLERS["mail.send"]
    assert topic.handler is send_mail and topic.queue == "default"


def test_a_mail_is_sent_once_with_its_headers(
    app: Flask, app_ctx: Flask, scene: Scene, sink: tuple[int, Path], smtp_at: Callable[[int], None]
) -> None:
    port, folder = sink
    smtp_at(port)
    mail_id, message_id = queue_mail(scene, f"t{scene.ticket_id}:mail")
    assert run(message_id) == "done"

    files = sorted(folder.glob("*.eml"))
    assert len(files) == 1
    db.session.expire_all()
    mail = db.session.get(MailMessage, mail_id)
    assert mail is not None and mail.sent_at is not None and mail.attempts == 1
    digest = hashlib.sha256(mail.message_id.encode()).hexdigest()[:16]
    assert re.fullmatch(rf"\d{{8}}T\d{{12}}Z-{digest}\.eml", files[0].name)

    received = parse(files[0])
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received["To"] == scene.requester_email
    assert received["Subject"] == mail.subject and "新评论" in mail.subject
    assert received["Message-ID"] == mail.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    content = received.get_content()
    assert "已处理 done" in content
    assert f"{app.config['TESSERA_BASE_URL']}/tickets/{scene.ticket_id}" in content

    # The same message again, or a second message naming the same mail: nothing is sent.
    assert run(message_id) == "skipped"
    outbox_row = db.session.get(OutboxMessage, message_id)
    assert outbox_row is not None
    send_mail(db.session, outbox_row)
    db.session.commit()
    assert len(list(folder.glob("*.eml"))) == 1


def test_an_unreachable_server_raises_and_leaves_the_mail_unsent(
    app_ctx: Flask, scene: Scene, smtp_at: Callable[[int], None]
) -> None:
    port = free_port()  # nothing listens there
    smtp_at(port)
    mail_id, message_id = queue_mail(scene, f"t{scene.ticket_id}:down")
    with pytest.raises(OSError) as raised:
        run(message_id)
    assert any(f"SMTP 127.0.0.1:{port}" in note for note in raised.value.__notes__)
    db.session.expire_all()
    mail = db.session.get(MailMessage, mail_id)
    assert mail is not None and mail.sent_at is None and mail.attempts == 0
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None and message.done_at is None
    assert message.last_error and "ConnectionRefusedError" in message.last_error


def test_a_mail_that_is_gone_is_skipped(
    app_ctx: Flask, scene: Scene, sink: tuple[int, Path], smtp_at: Callable[[int], None]
) -> None:
    port, folder = sink
    smtp_at(port)
    mail_id, message_id = queue_mail(scene, f"t{scene.ticket_id}:gone")
    db.session.delete(db.session.get(MailMessage, mail_id))
    db.session.commit()
    assert run(message_id) == "done"
    assert list(folder.glob("*.eml")) == []


def test_a_payload_without_a_mail_id_says_which_message(app_ctx: Flask) -> None:
    message = OutboxMessage(id=41, topic="mail.send", payload={"mail_id": "7"})
    with pytest.raises(ValueError, match=r"outbox:41 mail\.send: payload\.mail_id"):
        send_mail(db.session, message)


def test_the_sink_keeps_every_message(tmp_path: Path) -> None:
    import smtplib

    port, folder = free_port(), tmp_path / "sink"
    controller = start_sink("127.0.0.1", port, folder)
    try:
        for n in range(2):
            message = EmailMessage()
            message["From"], message["To"] = "a@example.test", "b@example.test"
            message["Subject"] = f"same id {n}"
            message["Message-ID"] = "<same@example.test>"
            message.set_content("x")
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.send_message(message)
    finally:
        controller.stop()
    subjects = sorted(parse(path)["Subject"] for path in folder.glob("*.eml"))
    assert subjects == ["same id 0", "same id 1"]


def test_the_mailsink_command_is_there(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["tessera", "mailsink", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
