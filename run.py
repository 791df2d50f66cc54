"""Entry point: `python run.py` serves web + one worker; production runs
`gunicorn -c python:app.gunicorn_conf run:app`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from app import create_app
from config import config_from_env

app = create_app(config_from_env())


def main() -> int:
    """The embedded default: the web app on PORT plus one RQ worker, stopped together."""
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "run", "tessera", "worker"],
        env={**os.environ, "FAB_UPDATE_PERMS": "False"},
    )
    print(f"Tessera on http://{host}:{port}  (worker pid {worker.pid}; Ctrl-C stops both)")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)  # warm shutdown: finish the current job
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
