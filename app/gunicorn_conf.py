"""Gunicorn settings for production: `gunicorn -c python:app.gunicorn_conf run:app`.

Gunicorn 27 writes `Server: gunicorn` into every HTTP/1.1 response by itself (after the
application's headers, so the app cannot replace it) and has no setting to leave it out: the
wrapper below drops that line. Bind address, workers and the rest come from the command line
or `GUNICORN_CMD_ARGS`, as usual.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi

SERVER_LINE = "server:"


def _without_server(default_headers: Any) -> Any:
    def headers(self: Any) -> list[str]:
        return [line for line in default_headers(self) if not line.lower().startswith(SERVER_LINE)]

    headers.tessera_without_server = True  # type: ignore[attr-defined]
    return headers


if not getattr(wsgi.Response.default_headers, "tessera_without_server", False):
    wsgi.Response.default_headers = _without_server(wsgi.Response.default_headers)
