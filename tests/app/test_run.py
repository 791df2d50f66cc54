"""`python run.py`: the embedded default serves the web app, a worker, the cron beat and a mail
sink; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask import Flask
from redis import Redis
from rq import Worker

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate, what: str, timeout: float = 120.0, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    output = log.read_text() if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{output}")


def _worker_states(redis_conn: Redis) -> list[str]:
    return [worker.get_state() for worker in Worker.all(connection=redis_conn)]


def _login_page_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def test_run_serves_web_worker_cron_and_sink_and_ctrl_c_stops_all(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    # The worker builds missing field indexes when it starts (CREATE INDEX CONCURRENTLY waits
    # for every open transaction); build them now, so stopping it never waits on that job.
    with app.app_context():
        from app.tickets.indexing import reconcile

        reconcile()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "PORT": str(port),
        "MAIL_PORT": str(_free_port()),  # the mail sink's
        "FAB_UPDATE_PERMS": "False",
    }
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "run.py"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _login_page_answers(port), "the login page")
        # RQ registers a worker before it installs its signal handlers (the scheduler starts in
        # between): a Ctrl-C in that gap kills it unregistered. Wait until it listens.
        _wait_for(lambda: _worker_states(redis_conn) == ["idle"], "the worker to listen")
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(timeout=30)
        _wait_for(
            lambda: not Worker.all(connection=redis_conn),
            "the worker to stop",
            30,
            log,
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = log.read_text()
    assert f"http://127.0.0.1:{port}" in output
    assert all(f"{name} pid" in output for name in ("worker", "cron", "mail sink"))
    assert not _login_page_answers(port)
