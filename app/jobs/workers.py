"""The RQ worker classes `tessera worker` runs: RQ's, with a warm stop that cannot be lost.

On SIGTERM / SIGINT an idle RQ worker raises `StopRequested` from the signal handler, wherever
the main thread is. When that is inside a log call (the worker logs each job it dequeues),
`logging` catches the exception as a handler error, prints it, and the worker carries on as if
no signal had come: it never stops, until a service manager kills it. Here the stop is also
remembered (`_stop_requested`, which RQ's work loop checks before each dequeue), so a
swallowed `StopRequested` still ends the worker after the job in hand.
"""

from __future__ import annotations

from rq import SimpleWorker, Worker


class _RememberedStop:
    _stop_requested: bool

    def _shutdown(self) -> None:
        self._stop_requested = True  # kept even when the raise below is swallowed
        super()._shutdown()  # type: ignore[misc]


class TesseraWorker(_RememberedStop, Worker):
    """Forks a work horse per job (`tessera worker --fork`)."""


class TesseraSimpleWorker(_RememberedStop, SimpleWorker):
    """Runs jobs in the worker process (the default)."""
