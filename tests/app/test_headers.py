"""Security headers: a nonce-based CSP on every page, no framing, no sniffing, no banner."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.definitions import store
from app.headers import OTHER_POLICY
from config import BASE_DIR
from tests.app.test_ticket_attachments import attach, billing_ticket

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")
PAGE_DIRECTIVES = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes (template contents included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def policy_directives(response: TestResponse) -> list[str]:
    return [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]


def page_nonce(response: TestResponse) -> str:
    """The nonce of the page's policy; fails unless the policy is the strict page policy."""
    directives = policy_directives(response)
    for directive in PAGE_DIRECTIVES:
        assert directive in directives, (directive, directives)
    scripts = [d for d in directives if d.startswith("script-src ")]
    assert len(scripts) == 1, directives
    sources = scripts[0].split()[1:]
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, sources
    found = NONCE.fullmatch(sources[-1])
    assert sources[0] == "'self'" and found and len(sources) == 2, sources
    return found.group(1)


def assert_fixed_headers(response: TestResponse) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))


def assert_safe_page(response: TestResponse, path: str) -> None:
    """Strict headers; every inline script nonced with this response's nonce; no handlers."""
    assert response.mimetype == "text/html", path
    assert_fixed_headers(response)
    nonce = page_nonce(response)
    inline = 0
    for tag, attrs in tags_of(response.get_data(as_text=True)):
        handlers = [name for name in attrs if re.fullmatch(r"on[a-z]+", name)]
        assert not handlers, f"{path}: <{tag}> has {handlers}"
        if tag == "script" and not attrs.get("src"):
            inline += 1
            assert attrs.get("nonce") == nonce, f"{path}: inline script without the nonce"
    # A page with inline scripts must have been checked: FAB's lists all carry some.
    if path.endswith("/list/"):
        assert inline, f"{path}: expected Flask-AppBuilder's inline scripts"


def definition_id(app: Flask, kind: str, key: str) -> int:
    with app.app_context():
        row = store.published(kind, key)
        assert row is not None
        return row.id


@pytest.fixture
def ticket_id(app: Flask) -> int:
    return billing_ticket(app)


def pages_by_role(app: Flask, ticket_id: int) -> dict[str, list[str]]:
    template = definition_id(app, "template", "it_support")
    field = definition_id(app, "field", "summary")
    return {
        "anonymous": ["/login/", "/"],
        "agent": ["/tickets/", f"/tickets/{ticket_id}", "/tickets/new/refund", "/team/"],
        "head": ["/tickets/", f"/tickets/{ticket_id}", "/tickets/new/", "/team/"],
        "admin": [
            f"/definitions/templates/edit/{template}",
            f"/definitions/fields/history/{field}",
            "/definitions/templates/",
            "/departments/list/",
            "/memberships/list/",
            "/users/list/",
            "/roles/list/",
            "/ops/",
            "/ops/failed/",
            "/ops/tables/department/",
            "/ops/tables/department/new/",
            "/swagger/v1",
        ],
    }


@pytest.mark.parametrize("role", ["anonymous", "agent", "head", "admin"])
def test_pages_send_the_strict_headers_and_nonce_every_inline_script(
    app: Flask, client_as: Callable[[str], FlaskClient], ticket_id: int, role: str
) -> None:
    client = client_as(role)
    for path in pages_by_role(app, ticket_id)[role]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_safe_page(response, path)


def test_ops_delete_and_actions_use_data_attributes_the_ops_script_reads(
    client_as: Callable[[str], FlaskClient],
) -> None:
    html = client_as("admin").get("/ops/tables/department/").get_data(as_text=True)
    tags = tags_of(html)
    assert any("data-tessera-confirm" in attrs for tag, attrs in tags if tag == "button")
    assert any(attrs.get("data-tessera-action") == "delete" for tag, attrs in tags if tag == "a")
    assert any((attrs.get("src") or "").endswith("/tessera/ops.js") for tag, attrs in tags)


def test_the_nonce_is_fresh_on_every_request(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("admin")
    nonces = {page_nonce(client.get("/departments/list/")) for _ in range(3)}
    assert len(nonces) == 3


def test_the_nonce_is_fresh_even_inside_one_app_context(app_ctx: Flask) -> None:
    client = app_ctx.test_client()
    assert page_nonce(client.get("/login/")) != page_nonce(client.get("/login/"))


def test_error_pages_send_the_headers(client_as: Callable[[str], FlaskClient]) -> None:
    response = client_as("agent").get("/no/such/page")
    assert response.status_code == 404
    assert_safe_page(response, "/no/such/page")


@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/api/v1/tickets/999999"])
def test_api_responses_run_nothing_and_refuse_framing(
    path: str, client_as: Callable[[str], FlaskClient]
) -> None:
    response = client_as("agent").get(path)
    assert response.mimetype == "application/json"
    assert response.status_code in {200, 404}
    assert_fixed_headers(response)
    assert response.headers["Content-Security-Policy"] == OTHER_POLICY
    assert "frame-ancestors 'none'" in policy_directives(response)


def test_static_files_send_nosniff(client: FlaskClient) -> None:
    response = client.get("/static/tessera/ops.js")
    assert response.status_code == 200
    assert_fixed_headers(response)
    response.close()


def test_attachment_downloads_keep_their_own_policy(
    app: Flask, client_as: Callable[[str], FlaskClient], ticket_id: int
) -> None:
    aid = attach(app, ticket_id, "note.txt", os.urandom(8).hex().encode(), "text/plain")
    response = client_as("agent").get(f"/tickets/{ticket_id}/attachments/{aid}", buffered=True)
    assert response.status_code == 200
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    assert_fixed_headers(response)


def test_report_only_and_a_custom_policy_are_settings(
    database_url: str, tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    app = make_app(database_url, tmp_path, TESSERA_CSP_REPORT_ONLY=True)
    response = app.test_client().get("/login/")
    assert "Content-Security-Policy" not in response.headers
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy-Report-Only"]
    assert response.headers["X-Frame-Options"] == "DENY"

    custom = "default-src 'self'; script-src 'self' 'nonce-{nonce}'; frame-ancestors 'none'"
    app = make_app(database_url, tmp_path, TESSERA_CSP=custom)
    response = app.test_client().get("/login/")
    policy = response.headers["Content-Security-Policy"]
    nonce = NONCE.search(policy)
    assert nonce and policy == custom.replace("{nonce}", nonce.group(1))
    assert f'nonce="{nonce.group(1)}"' in response.get_data(as_text=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_when_up(port: int, path: str, process: subprocess.Popen[bytes]) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.25)
        finally:
            connection.close()


@pytest.mark.backend("sqlite")
def test_gunicorn_with_the_production_settings_sends_no_server_banner(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TESSERA_INSTANCE_PATH": str(tmp_path),
        "FAB_UPDATE_PERMS": "False",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "python:app.gunicorn_conf",
        "-w",
        "1",
        "-b",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "run:app",
    ]
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        response = get_when_up(port, "/login/", process)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert response.status == 200, errors.decode(errors="replace")[-2000:]
    headers = {name.lower() for name, _ in response.getheaders()}
    assert "server" not in headers, response.getheaders()
    assert "content-security-policy" in headers and "x-frame-options" in headers
