"""The worker classes: a stop request that lands inside a log call is not lost."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.exceptions import StopRequested
from rq.worker import WorkerStatus

from app.jobs.workers import TesseraSimpleWorker, TesseraWorker


@pytest.fixture
def signal_handlers() -> Iterator[None]:
    """`work()` installs RQ's SIGINT/SIGTERM handlers in this process: put pytest's back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize("kind", [TesseraSimpleWorker, TesseraWorker])
def test_a_swallowed_stop_still_stops_the_worker_before_the_next_job(
    redis_conn: Redis, signal_handlers: None, kind: type[TesseraSimpleWorker]
) -> None:
    queue = Queue("stop-test", connection=redis_conn)
    queue.enqueue("builtins.len", "abc")
    worker = kind([queue], connection=redis_conn)
    assert worker.get_state() != WorkerStatus.BUSY
    # Not busy: the signal handler raises where the worker is; inside a log call, logging
    # swallows it.
    try:
        worker._shutdown()
    except StopRequested:
        pass
    # RQ's own worker would go on: run the job, idle 1 s, quit. This one stops first.
    worker.work(burst=False, max_idle_time=1)
    assert queue.count == 1  # the job waits for the next worker
