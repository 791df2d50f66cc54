"""Entry point: `python run.py` serves the embedded default; production runs
`gunicorn -c python:app.gunicorn_conf run:app` beside N `tessera worker` and one `tessera cron`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from app import create_app
from config import config_from_env

app = create_app(config_from_env())

# What runs beside the web app, each a process of its own, stopped together.
COMPANIONS = {
    "worker": ["tessera", "worker"],
    "cron": ["tessera", "cron"],
    "mail sink": ["tessera", "mailsink"],
}


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "run", *args],
        env={**os.environ, "FAB_UPDATE_PERMS": "False"},
    )


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # warm shutdown: the worker finishes its job
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    """The web app on PORT plus a worker (with the scheduler), the cron beat and a mail sink."""
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    wanted = dict(COMPANIONS)
    if os.environ.get("MAIL_SERVER"):
        wanted.pop("mail sink")  # a real mail server is configured
    processes = {name: _start(args) for name, args in wanted.items()}
    pids = ", ".join(f"{name} pid {p.pid}" for name, p in processes.items())
    print(f"Tessera on http://{host}:{port}  ({pids}; Ctrl-C stops all)")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
