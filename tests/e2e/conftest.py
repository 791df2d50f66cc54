"""Browser tests: a real server on localhost, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Definition
from tests.conftest import build_app, dispose_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def e2e_app(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = pg_database.replace("postgresql://", "postgresql+psycopg://", 1)
    app = build_app(url, tmp_path_factory.mktemp("e2e-instance"), WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        dispose_engine()


@pytest.fixture(scope="session")
def live_server(e2e_app: Flask) -> Iterator[str]:
    """The app served by a threaded WSGI server on a free local port."""
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/install-chromium`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: Page, base_url: str, username: str) -> None:
    """Fill FAB's login form like a person would."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", username)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")


def saved_body(app: Flask, key: str, kind: str = "template") -> dict[str, Any]:
    """The body of the newest version of definition `key` (what a page's save stored)."""
    with app.app_context():
        row = db.session.scalars(
            select(Definition)
            .where(Definition.kind == kind, Definition.key == key)
            .order_by(Definition.version.desc())
        ).first()
        assert row is not None, f"{kind} {key} was not saved"
        body = dict(row.body)
        db.session.remove()
    return body
