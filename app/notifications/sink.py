"""A local SMTP sink for development and tests: every message received becomes an .eml file.

`start_sink(host, port, directory)` starts an aiosmtpd server in a thread and returns its
`Controller` (`.stop()` ends it); `run_sink` is the blocking form behind
`flask --app run tessera mailsink`. Files are named `<UTC time>-<hash of Message-ID>.eml`
and hold the message exactly as received; one log line names each.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from app.clock import utcnow

logger = logging.getLogger(__name__)

ACCEPTED = "250 Message accepted for delivery"


class EmlWriter:
    """aiosmtpd handler: writes each message's bytes into `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message as an .eml file and log it."""
        data: bytes = envelope.original_content or envelope.content
        headers = BytesHeaderParser(policy=default_policy).parsebytes(data)
        path = self.write(data, str(headers.get("Message-ID") or ""))
        logger.info(
            "mail sink: from %s to %s, %r, saved as %s",
            envelope.mail_from, ", ".join(envelope.rcpt_tos), str(headers.get("Subject") or ""),
            path.name,
        )
        return ACCEPTED

    def write(self, data: bytes, message_id: str) -> Path:
        """Write `data` under a new name; never overwrites an earlier file."""
        digest = hashlib.sha256((message_id or data.hex()).encode("utf-8")).hexdigest()[:16]
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        for attempt in range(1000):
            suffix = f"-{attempt}" if attempt else ""
            path = self.directory / f"{stamp}-{digest}{suffix}.eml"
            try:
                with path.open("xb") as handle:
                    handle.write(data)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(
            f"mail sink: no free file name for {stamp}-{digest} in {self.directory}"
        )


def start_sink(host: str, port: int, directory: Path) -> Controller:
    """Start the sink on host:port writing into `directory` (created); stop it with `.stop()`."""
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        EmlWriter(directory), hostname=host, port=port, enable_SMTPUTF8=True
    )
    controller.start()
    logger.info("mail sink listening on %s:%s, writing to %s", host, port, directory)
    return controller


def run_sink(
    host: str, port: int, directory: Path, stop: threading.Event | None = None
) -> None:
    """Serve until interrupted (Ctrl-C), or until `stop` is set."""
    controller = start_sink(host, port, directory)
    stop = stop or threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
