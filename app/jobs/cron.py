"""The one periodic process (`flask --app run tessera cron`): the outbox sweep, the
automations and the outbox's retention purge, on a beat.

Run exactly one per installation. A second one started by mistake stays on standby: the
beat holds a lock in Redis (renewed while it lives), and only the holder sweeps. Whatever a
sweep enqueues twice runs once anyway (job ids, the runner's row lock, effect keys).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType

from flask import Flask
from redis.exceptions import RedisError

from app.outbox.dispatch import sweep

log = logging.getLogger(__name__)

LOCK = "tessera:cron:lock"
PURGE_EVERY = 60.0  # seconds between two batches of the retention purge


def _text(value: object) -> str | None:
    return value.decode() if isinstance(value, bytes) else None if value is None else str(value)


class Beat:
    """The cron loop: hold the lock, sweep every `interval` seconds, stop on SIGINT/SIGTERM."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False
        self.purged_at: float | None = None  # time.monotonic() of the last purge batch

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def holds_lock(self) -> bool:
        """Take or renew the lock; False while another cron process holds it."""
        from app.queue import redis_connection

        ttl = max(int(self.interval * 6), 10)
        conn = redis_connection(self.app)
        try:
            if conn.set(LOCK, self.name, nx=True, ex=ttl):
                return True
            if _text(conn.get(LOCK)) == self.name:
                conn.expire(LOCK, ttl)
                return True
        except (RedisError, OSError) as exc:
            log.warning("cron: Redis unavailable (%s); sweeping waits for it", exc)
        return False

    def tick(self) -> int:
        """One beat: sweep the outbox if this process holds the lock; messages enqueued.

        Once per automation period it also enqueues the automations job, under a job id of
        that period: enqueued twice in one period, it exists already and is left alone.
        """
        if not self.holds_lock():
            return 0
        self.enqueue_automations()
        sent = sweep(self.app)
        self.purge()
        return sent

    def purge(self, now: float | None = None) -> int:
        """One batch of the retention purge, at most once per PURGE_EVERY; messages deleted."""
        from app.extensions import db
        from app.outbox.retention import purge

        clock = now if now is not None else time.monotonic()
        if self.purged_at is not None and clock - self.purged_at < PURGE_EVERY:
            return 0
        self.purged_at = clock
        with self.app.app_context():
            try:
                return purge(
                    db.session, self.app.config["TESSERA_OUTBOX_RETENTION_DAYS"], batches=1
                )
            finally:
                db.session.remove()

    def enqueue_automations(self, now: float | None = None) -> bool:
        """Enqueue this period's automations run unless it exists; whether it was enqueued."""
        from rq import Queue
        from rq.job import Job

        from app.jobs.automations import JOB
        from app.queue import redis_connection

        period = float(self.app.config["TESSERA_AUTOMATION_INTERVAL"])
        slot = int((now if now is not None else time.time()) // period)
        job_id = f"automations-{slot}"
        conn = redis_connection(self.app)
        try:
            if Job.exists(job_id, connection=conn):
                return False
            Queue("default", connection=conn).enqueue(
                JOB, job_id=job_id, job_timeout=int(period * 10), result_ttl=int(period * 3),
                failure_ttl=7 * 24 * 3600, description="automations",
            )
        except (RedisError, OSError) as exc:
            log.warning("cron: could not enqueue the automations (%s)", exc)
            return False
        return True

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        log.info("cron %s: sweeping every %.1f s", self.name, self.interval)
        while not self.stopping:
            try:
                sent = self.tick()
                if sent:
                    log.info("cron: enqueued %d outbox message(s)", sent)
            except Exception:  # the database may be away: keep beating
                log.exception("cron: sweep failed")
            deadline = time.monotonic() + self.interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, self.interval))
        self.release()

    def release(self) -> None:
        from app.queue import redis_connection

        try:
            conn = redis_connection(self.app)
            if _text(conn.get(LOCK)) == self.name:
                conn.delete(LOCK)
        except (RedisError, OSError):
            pass
