"""Entry point: `python run.py` serves the embedded default; production runs
`gunicorn -c python:app.gunicorn_conf run:app` beside N `tessera worker` and one `tessera cron`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

from app import create_app
from config import config_from_env

app = create_app(config_from_env())

# What runs beside the web app, each a process of its own, stopped together.
COMPANIONS = {
    "worker": ["tessera", "worker"],
    "cron": ["tessera", "cron"],
    "mail sink": ["tessera", "mailsink"],
}


class Terminated(Exception):
    """SIGTERM arrived (`kill`, a service manager): stop everything as Ctrl-C does."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _default_sigint() -> None:
    # In the companion before it runs: a shell script's `python run.py &` ignores SIGINT, and
    # the companions would inherit that and miss `_stop`'s.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "run", *args],
        env={**os.environ, "FAB_UPDATE_PERMS": "False"},
        preexec_fn=_default_sigint,
    )


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    # Stopping is not interrupted: a second signal would leave the companions running.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # warm shutdown: the worker finishes its job
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _database_problem() -> str | None:
    """Why the database cannot be served yet (not migrated), else None; hints at no users."""
    from app.extensions import db
    from app.security import schema_ready, security_manager

    with app.app_context():
        if not schema_ready(db.engine):
            return "The database is not migrated: run `make db` (or `flask --app run db upgrade`)."
        if not security_manager().count_users():
            print(
                "No users yet: `flask --app run tessera create-admin --username ... --email ...`"
                " creates the first administrator (`make demo` the demo logins)."
            )
        db.session.remove()
    return None


def main() -> int:
    """The web app on PORT plus a worker (with the scheduler), the cron beat and a mail sink."""
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    problem = _database_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    wanted = dict(COMPANIONS)
    if os.environ.get("MAIL_SERVER"):
        wanted.pop("mail sink")  # a real mail server is configured
    processes: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _terminate)
    try:
        for name, args in wanted.items():
            processes[name] = _start(args)
        pids = ", ".join(f"{name} pid {p.pid}" for name, p in processes.items())
        print(f"Tessera on http://{host}:{port}  ({pids}; Ctrl-C stops all)", flush=True)
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        _stop(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
