"""`tessera cron`: one beat sweeps; a second process started by mistake changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue

from app.jobs.cron import LOCK, Beat

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.backend("postgresql")


def test_two_cron_processes_enqueue_each_automation_run_once(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
        "TESSERA_AUTOMATION_INTERVAL": "3600",
    }
    crons = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "run", "tessera", "cron", "--interval", "0.3"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Queue("default", connection=redis_conn).count:
            time.sleep(0.2)
        time.sleep(2)  # both beat several times meanwhile
        assert all(c.poll() is None for c in crons)  # the second waits; it does not crash
        jobs = Queue("default", connection=redis_conn).get_jobs()
        assert [job.description for job in jobs] == ["automations"]
        holder = redis_conn.get(LOCK)
        assert holder is not None
    finally:
        for cron in crons:
            cron.send_signal(signal.SIGINT)
        for cron in crons:
            cron.wait(timeout=30)
    assert redis_conn.get(LOCK) is None  # the holder let go on its way out


def test_a_beat_without_the_lock_does_not_sweep(app: Flask, redis_conn: Redis) -> None:
    first, second = Beat(app, 1.0), Beat(app, 1.0)
    second.name = "another-host:1"
    assert first.holds_lock()
    assert not second.holds_lock()
    assert second.tick() == 0
    period = app.config["TESSERA_AUTOMATION_INTERVAL"]
    assert first.enqueue_automations(now=100 * period)
    assert not first.enqueue_automations(now=100.5 * period)  # the same period: the job exists
    assert first.enqueue_automations(now=101 * period)  # the next period
    first.release()
    assert second.holds_lock()
