"""Error pages: inside the layout with its navigation, JSON under /api/, and a page that needs
nothing when even the layout cannot be shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, request
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Conflict, InternalServerError

from app.extensions import db
from tests.app.test_headers import assert_safe_page
from tests.conftest import dispose_engine, login, make_config

TITLES = {
    403: "Not allowed",
    404: "Page not found",
    405: "Not possible this way",
    409: "Changed meanwhile",
    413: "Too large",
    500: "Something went wrong",
}
UPLOAD_LIMIT = 1024


class Busy(Conflict):
    """A 409 whose answer says when to try again."""

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), ("Retry-After", "30")]


def _raise(code: int) -> Any:
    abort(code)


def _busy() -> Any:
    raise Busy()


def _described() -> Any:
    abort(409, "Someone else saved this ticket first.")


def _boom() -> Any:
    raise RuntimeError("the secret internals of a failure")


def _upload() -> Any:
    return str(len(request.form))


def failing_app(database_url: str, instance: Path) -> Flask:
    """The app, plus pages that fail on purpose; other exceptions answer 500 as in production."""
    from app import create_app

    failing = create_app(
        make_config(
            database_url,
            instance,
            FAB_UPDATE_PERMS=False,
            PROPAGATE_EXCEPTIONS=False,
            MAX_CONTENT_LENGTH=UPLOAD_LIMIT,
        )
    )
    for prefix in ("", "/api"):
        name = prefix.strip("/") or "page"
        failing.add_url_rule(f"{prefix}/raise/<int:code>", f"raise_{name}", _raise)
        failing.add_url_rule(f"{prefix}/busy", f"busy_{name}", _busy)
        failing.add_url_rule(f"{prefix}/boom", f"boom_{name}", _boom)
    failing.add_url_rule("/described", "described", _described)
    failing.add_url_rule("/upload", "upload", _upload, methods=["POST"])
    return failing


@pytest.fixture(scope="module")
def raising_app(
    _session_app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """`failing_app` on the migrated, demo-loaded database of the session."""
    failing = failing_app(database_url, tmp_path_factory.mktemp("failing"))
    yield failing
    with failing.app_context():
        dispose_engine()


@pytest.fixture
def app_without_database(_session_app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """`failing_app` of its own: the test takes its database away."""
    failing = failing_app(database_url, tmp_path)
    yield failing
    with failing.app_context():
        dispose_engine()


def assert_layout_page(response: Any, code: int) -> str:
    """The status's page inside the layout: navbar, title, explanation, a way home."""
    assert response.status_code == code
    assert response.mimetype == "text/html"
    html = str(response.get_data(as_text=True))
    assert f'id="error-page" data-status="{code}"' in html
    assert '<header class="top" role="header">' in html and "navbar" in html
    assert TITLES[code] in html and f"Error {code}" in html
    assert 'id="error-explanation"' in html
    assert 'href="/" id="error-home"' in html
    return html


@pytest.mark.parametrize("code", [403, 404, 405, 409, 500])
def test_each_status_renders_in_the_layout_with_navigation(raising_app: Flask, code: int) -> None:
    agent = login(raising_app.test_client(), "agent3")
    response = agent.get(f"/raise/{code}", headers={"Referer": "http://localhost/tickets/"})
    html = assert_layout_page(response, code)
    assert "Agent3 Demo" in html and 'href="/tickets/"' in html  # the navbar of the user
    assert 'href="http://localhost/tickets/" id="error-back"' in html
    assert_safe_page(response, f"/raise/{code}")


def test_a_too_large_form_renders_in_the_layout(raising_app: Flask) -> None:
    agent = login(raising_app.test_client(), "agent3")
    response = agent.post("/upload", data={"note": "x" * (2 * UPLOAD_LIMIT)})
    assert_layout_page(response, 413)


def test_anonymous_visitors_get_the_layout_too(raising_app: Flask) -> None:
    html = assert_layout_page(raising_app.test_client().get("/no/such/page"), 404)
    assert "Login" in html
    assert 'id="error-back"' not in html  # no page to go back to


def test_a_link_back_only_to_this_site(raising_app: Flask) -> None:
    client = raising_app.test_client()
    response = client.get("/raise/404", headers={"Referer": "https://elsewhere.example/"})
    assert 'id="error-back"' not in assert_layout_page(response, 404)


def test_what_the_error_says_is_shown(raising_app: Flask) -> None:
    html = assert_layout_page(raising_app.test_client().get("/described"), 409)
    assert '<p id="error-detail">Someone else saved this ticket first.</p>' in html


def test_the_error_s_own_headers_are_kept(raising_app: Flask) -> None:
    busy = raising_app.test_client().get("/busy")
    assert_layout_page(busy, 409)
    assert busy.headers["Retry-After"] == "30"


def test_real_pages_answer_in_the_layout(client_as: Callable[[str], FlaskClient]) -> None:
    agent = client_as("agent")
    assert_layout_page(agent.get("/definitions/fields/"), 403)
    assert_layout_page(agent.get("/no/such/page"), 404)
    wrong = agent.get("/team/availability/1")  # POST only
    assert_layout_page(wrong, 405)
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}


def test_a_500_shows_no_internals(raising_app: Flask) -> None:
    response = login(raising_app.test_client(), "agent3").get("/boom")
    html = assert_layout_page(response, 500)
    assert "secret internals" not in html and "Traceback" not in html
    assert 'id="error-detail"' not in html


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/raise/403", 403),
        ("/api/raise/404", 404),
        ("/api/raise/409", 409),
        ("/api/raise/413", 413),
        ("/api/boom", 500),
        ("/api/v1/no/such/thing", 404),
    ],
)
def test_api_paths_still_answer_json(raising_app: Flask, path: str, code: int) -> None:
    response = raising_app.test_client().get(path)
    assert response.status_code == code and response.mimetype == "application/json"
    payload = response.get_json()
    assert payload["status"] == code and isinstance(payload["message"], str)
    if code == 500:
        assert payload["message"] == InternalServerError.description


def test_api_keeps_the_headers_of_the_error(
    raising_app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    busy = raising_app.test_client().get("/api/busy")
    assert busy.get_json()["status"] == 409 and busy.headers["Retry-After"] == "30"
    wrong = client_as("agent").get("/api/v1/tickets/1/claim")  # POST only
    assert wrong.status_code == 405 and wrong.mimetype == "application/json"
    assert "POST" in wrong.headers["Allow"]


def test_a_500_falls_back_to_a_static_page_when_the_database_is_down(
    app_without_database: Flask,
) -> None:
    agent = login(app_without_database.test_client(), "agent3")  # while the database is up

    def refuse(*args: Any) -> None:
        raise OperationalError("connect", {}, ConnectionRefusedError("the database is down"))

    with app_without_database.app_context():
        db.engine.dispose()
        event.listen(db.engine, "do_connect", refuse)
    response = agent.get("/tickets/")  # loading the user needs the database
    assert response.status_code == 500 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'id="error-title">Something went wrong' in html and 'href="/" id="error-home"' in html
    assert "navbar" not in html and "the database is down" not in html
    assert_safe_page(response, "/tickets/")
    # Another status keeps Werkzeug's own page then.
    missing = agent.get("/no/such/page")
    assert missing.status_code == 404 and "Not Found" in missing.get_data(as_text=True)


def test_the_icon_answers(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.data.startswith(b"<svg")
    icon.close()
    page = client.get("/login/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/tessera/favicon.svg">' in page
