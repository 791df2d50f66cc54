"""`python run.py`: the embedded default serves the web app, a worker, the cron beat and a mail
sink; Ctrl-C, or SIGTERM to run.py alone, stops them all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def _sign_in(port: int, username: str) -> str:
    """Sign in through the login form as a browser does (CSRF token, cookies); where it went."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/login/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None, form
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "username": username, "password": username}
    ).encode()
    with opener.open(f"{base}/login/", data=data, timeout=10) as response:
        return str(response.url)


# What FAB and Tessera used to print on every start-up and sign-in, misleadingly.
MISLEADING = ("Security tables missing", "No user yet created", "Invalid redirect detected")


@dataclass
class Served:
    """`python run.py` running for a test: the process, its port and its output file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def companion_pids(self) -> dict[str, int]:
        """{worker, cron, mail sink: pid} from the line run.py prints when it starts."""
        found = re.findall(r"(worker|cron|mail sink) pid (\d+)", self.log.read_text())
        return {name: int(pid) for name, pid in found}


@contextmanager
def _served(app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path) -> Iterator[Served]:
    """run.py on a free port, once its login page answers and its worker listens."""
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
        _wait_for(lambda: _login_page_answers(port), "the login page", log=log)
        # RQ registers a worker before it installs its signal handlers (the scheduler starts in
        # between): a signal in that gap kills it unregistered. Wait until it listens.
        _wait_for(lambda: _worker_states(redis_conn) == ["idle"], "the worker to listen", log=log)
        yield Served(process, port, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_serves_web_worker_cron_and_sink_and_ctrl_c_stops_all(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    with _served(app, redis_conn, redis_url, tmp_path) as served:
        os.killpg(served.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        served.process.wait(timeout=30)
        _wait_for(
            lambda: not Worker.all(connection=redis_conn),
            "the worker to stop",
            30,
            served.log,
        )
    output = served.log.read_text()
    assert f"http://127.0.0.1:{served.port}" in output
    assert all(f"{name} pid" in output for name in ("worker", "cron", "mail sink"))
    assert not _login_page_answers(served.port)


def test_sigterm_to_run_py_alone_stops_the_worker_cron_and_sink(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    """`kill <pid>` and service managers signal run.py only: it stops the others itself."""
    with _served(app, redis_conn, redis_url, tmp_path) as served:
        pids = served.companion_pids()
        assert set(pids) == {"worker", "cron", "mail sink"}
        served.process.send_signal(signal.SIGTERM)  # run.py's pid, not its process group
        assert served.process.wait(timeout=60) == 0
        _wait_for(
            lambda: not Worker.all(connection=redis_conn),
            "the worker to deregister",
            30,
            served.log,
        )
        running = {name: pid for name, pid in pids.items() if _alive(pid)}
        assert not running, f"still running after SIGTERM: {running}"
    assert "warm shut down requested" in served.log.read_text()
    assert not _login_page_answers(served.port)


def test_signing_in_and_serving_print_nothing_misleading(
    app: Flask, redis_conn: Redis, redis_url: str, tmp_path: Path
) -> None:
    with _served(app, redis_conn, redis_url, tmp_path) as served:
        landed = _sign_in(served.port, "agent1")
        os.killpg(served.process.pid, signal.SIGINT)
        served.process.wait(timeout=30)
    assert landed == f"http://127.0.0.1:{served.port}/"
    output = served.log.read_text()
    assert '"POST /login/ HTTP/1.1" 302' in output
    assert not [line for line in output.splitlines() if any(m in line for m in MISLEADING)]


def _release_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "PORT": str(_free_port()),
        "TESSERA_DEMO_TICKETS": "0",
    }


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_run_py_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "run.py"],
        cwd=ROOT,
        env=_release_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "The database is not migrated: run `make db`" in done.stderr
    assert " pid " not in done.stdout  # nothing was started beside it
    assert "Security tables missing" not in done.stdout + done.stderr


def test_the_release_steps_print_nothing_misleading(tmp_path: Path) -> None:
    """`make db` and `make demo` on a new database: migrate, permissions, demo users."""
    env = _release_env(tmp_path)
    steps = [
        _flask({**env, "FAB_UPDATE_PERMS": "False"}, "db", "upgrade"),
        _flask(env, "fab", "create-permissions"),
        _flask(env, "tessera", "demo"),
    ]
    for done in steps:
        assert done.returncode == 0, done.stderr[-3000:]
        output = done.stdout + done.stderr
        assert not [line for line in output.splitlines() if any(m in line for m in MISLEADING)]
    assert "Demo logins" in steps[-1].stdout
