"""Sending one `MailMessage`: the handler of the outbox topic `mail.send`.

The handler runs in the job's transaction. It locks the row (PostgreSQL; SQLite serialises
writers anyway), returns when it was sent already, else hands the message to the SMTP server
`MAIL_SERVER:MAIL_PORT` and records `sent_at`. An SMTP or network error propagates: the
runner rolls back, records the attempt and retries later. A commit that fails after the
server accepted the message means it is sent again; its Message-ID stays the same, so the
receiving side can recognise the repeat.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.notifications.models import MailMessage
from app.outbox import handles
from app.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)


def build_message(mail: MailMessage, sender: str) -> EmailMessage:
    """The e-mail of `mail`: UTF-8 plain text with its stable Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(utcnow())
    # RFC 3834: an automatic message; well-behaved auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    return message


def deliver(message: EmailMessage) -> None:
    """Hand `message` to the configured SMTP server; SMTP and socket errors propagate."""
    config = current_app.config
    server, port = str(config["MAIL_SERVER"]), int(config["MAIL_PORT"])
    try:
        with smtplib.SMTP(server, port, timeout=float(config["MAIL_TIMEOUT"])) as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        exc.add_note(f"sending {message['Message-ID']} through SMTP {server}:{port}")
        raise


def mail_id_of(message: OutboxMessage) -> int:
    """The `mail_id` of a `mail.send` message's payload."""
    value = (message.payload or {}).get("mail_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(
            f"outbox:{message.id} mail.send: payload.mail_id must be an id, not {value!r}"
        )
    return value


@handles("mail.send", queue="default")
def send_mail(s: Session, message: OutboxMessage) -> None:
    """Send the message's `MailMessage` once: nothing when it is gone or already sent."""
    mail_id = mail_id_of(message)
    mail = s.get(MailMessage, mail_id, with_for_update=True, populate_existing=True)
    if mail is None:
        logger.warning("outbox:%s mail.send: mail %s no longer exists", message.id, mail_id)
        return
    if mail.sent_at is not None:
        return
    deliver(build_message(mail, str(current_app.config["MAIL_DEFAULT_SENDER"])))
    mail.sent_at = utcnow()
    mail.attempts = (mail.attempts or 0) + 1
    mail.last_error = None
    logger.info("mail %s sent to %s (%s)", mail.id, mail.to_address, mail.message_id)
