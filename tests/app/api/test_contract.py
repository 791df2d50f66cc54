"""The OpenAPI document holds: schemathesis runs every check against a live server.

As an Admin and as an Agent (JWT bearer), ~20 examples per operation, seeded and
derandomized, on a database of its own (the run edits and retires what it finds, so it must
not share the suite's). What no OpenAPI document can say is listed in `EXPLAINED`, each with
the reason; every other failure fails the test.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
import schemathesis
from flask import Flask
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema
from werkzeug.serving import make_server

from tests.conftest import PG_ADMIN_URL, build_app, dispose_engine

SEED = 20260101
EXAMPLES = 20
SPEC = "/api/v1/_openapi"


@dataclass(frozen=True)
class Explained:
    """A failure the document cannot prevent: check code, operation, answer, and why."""

    code: str
    operations: frozenset[str]
    status: int
    says: str  # text the answer's body contains
    why: str


_DOCUMENTS = frozenset(
    {
        "POST /api/v1/definitions/",
        "PUT /api/v1/definitions/{pk}",
        "POST /api/v1/definitions/import",
        "POST /api/v1/definitions/{pk}/publish",
    }
)
EXPLAINED = (
    Explained(
        "ST202", _DOCUMENTS, 422, '"errors"',
        "A definition document is checked against its kind's rules (required members, a key "
        "matching the file, fields that exist); the API documents it as an object and answers "
        "each problem at its pointer.",
    ),
    Explained(
        "ST202", frozenset({"POST /api/v1/tickets/", "PATCH /api/v1/tickets/{pk}"}), 422,
        '"/data',
        "A ticket's data is valid under its own template's schema, which differs per template.",
    ),
    Explained(
        "ST202", frozenset({"POST /api/v1/tickets/{pk}/comments"}), 422, '"/files/',
        "A file's type is judged from its name and declared type together.",
    ),
    Explained(
        "ST202", frozenset({"GET /api/v1/tickets/"}), 400, "No department",
        "`department` names a department that must exist.",
    ),
    Explained(
        "ST202", frozenset({"GET /api/v1/tickets/"}), 400, "cannot sort by",
        "`sort=f.<field>` names a filterable field of the template `template` names.",
    ),
    Explained(
        "ST202", frozenset({"GET /api/v1/tickets/"}), 400, "needs a template",
        "`sort=f.<field>` sorts a template's list only: it comes with `template`.",
    ),
    Explained(
        "ST202", frozenset({"GET /api/v1/tickets/"}), 400, "cursor",
        "`cursor` is opaque: only a `next_cursor` the server gave (for the same sort) is one.",
    ),
)


def _label(case: schemathesis.Case) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


def explained(
    failure: Failure, case: schemathesis.Case, response: schemathesis.Response
) -> Explained | None:
    """The explanation that covers this failure, if any."""
    body = response.content.decode("utf-8", "replace") if response.content else ""
    for item in EXPLAINED:
        if (
            failure.code == item.code
            and _label(case) in item.operations
            and response.status_code == item.status
            and item.says in body
        ):
            return item
    return None


@pytest.fixture(scope="module")
def contract_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for this module alone, on the backend under test."""
    if backend == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("contract") / "tessera.db")
        return
    name = f"tessera_contract_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live_api(
    contract_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo app on its own database, served on a free local port."""
    app: Flask = build_app(contract_database, tmp_path_factory.mktemp("contract-instance"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        dispose_engine()


def token(base: str, username: str) -> str:
    import requests

    response = requests.post(
        f"{base}/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def run_schemathesis(base: str, username: str) -> tuple[list[str], list[str], int]:
    """(unexplained failures, explained ones, test cases) of one run as `username`."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "continue-on-failure": True,
            "headers": {"Authorization": f"Bearer {token(base, username)}"},
            "checks": {"enabled": True},
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                # NUL is refused in every text (PostgreSQL stores none), which OpenAPI cannot
                # say of free-form objects; the API tests send it on purpose.
                "allow-x00": False,
            },
            # Error feedback reads the JSON pointers of `errors` as member names and then calls
            # a body with a member "/password" valid, although the schema forbids extra ones.
            "phases": {"fuzzing": {"error-feedback": {"enabled": False}}},
        }
    )
    # The document is the same for every role; an Admin token reads it.
    schema = schemathesis.openapi.from_url(
        f"{base}{SPEC}", config=config,
        headers={"Authorization": f"Bearer {token(base, 'admin')}"},
    )
    if username != "admin":
        # Agents are refused the Admin-only definitions API outright (the access matrix
        # checks that); their run spends its examples on what they may call.
        schema = schema.exclude(path_regex="^/api/v1/definitions")
    kept: list[str] = []
    dropped: list[str] = []

    @schema.hook
    def filter_failure(  # schemathesis finds the hook by its name
        context: schemathesis.HookContext,
        failure: Failure,
        case: schemathesis.Case,
        response: schemathesis.Response,
    ) -> bool:
        reason = explained(failure, case, response)
        if reason is not None:
            dropped.append(f"{failure.code} {_label(case)}: {reason.why}")
        return reason is None

    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    found = check.failure_info.failure
                    interaction = event.recorder.interactions.get(case_id)
                    answer = interaction.response if interaction else None
                    kept.append(
                        f"{found.code} {event.recorder.label}: {found.title}: "
                        f"{found.message[:300]}\n  {check.failure_info.code_sample[:400]}\n"
                        f"  -> {answer.status_code if answer else '?'} "
                        f"{(answer.content or b'')[:300] if answer else b''!r}"
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            kept.append(f"schemathesis could not run: {event!r}")
    return kept, dropped, cases


@pytest.mark.backend("postgresql")  # the stricter backend; its run takes long enough
@pytest.mark.parametrize("username", ["admin", "agent3"])
def test_the_api_keeps_its_openapi_contract(
    live_api: str, username: str, record_property: Callable[[str, object], None]
) -> None:
    failures, explained_ones, cases = run_schemathesis(live_api, username)
    record_property("schemathesis_cases", cases)
    record_property("schemathesis_explained", len(explained_ones))
    assert cases > 200, "schemathesis ran too few test cases to judge the contract"
    assert not failures, "\n".join(dict.fromkeys(failures))


@pytest.mark.backend("postgresql")
def test_explanations_name_real_operations(live_api: str) -> None:
    import requests

    headers = {"Authorization": f"Bearer {token(live_api, 'admin')}"}
    paths = requests.get(f"{live_api}{SPEC}", headers=headers, timeout=10).json()["paths"]
    documented = {f"{method.upper()} {path}" for path, item in paths.items() for method in item}
    for item in EXPLAINED:
        assert item.operations <= documented, item.operations - documented


# ---------------------------------------------------------------------------------------------
# What the run above found, pinned down one by one (both backends, the suite's app)


def bearer_headers(app: Flask, username: str = "admin") -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def expired_token(app: Flask) -> str:
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    with app.app_context():
        return create_access_token(identity="1", expires_delta=timedelta(seconds=-1))


@pytest.mark.parametrize(
    "authorization", ["Bearer nonsense", "Bearer a.b.c", "Bearer ", "expired"]
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets/"),
        ("POST", "/api/v1/tickets/"),
        ("GET", "/api/v1/definitions/"),
        ("POST", "/api/v1/definitions/1/retire"),
        ("GET", "/api/v1/menu/"),
        ("POST", "/api/v1/security/refresh"),
    ],
)
def test_a_bad_or_expired_token_is_401(
    app: Flask, authorization: str, method: str, path: str
) -> None:
    if authorization == "expired":
        authorization = f"Bearer {expired_token(app)}"
    response = app.test_client().open(
        path, method=method, headers={"Authorization": authorization}, json={}
    )
    assert response.status_code == 401, response.get_data(as_text=True)
    assert isinstance(response.json["message"], str)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_access_token_is_not_a_refresh_token(app: Flask) -> None:
    response = app.test_client().post("/api/v1/security/refresh", headers=bearer_headers(app))
    assert response.status_code == 401 and isinstance(response.json["message"], str)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/tickets/", {"GET", "POST"}),
        ("PUT", "/api/v1/tickets/1", {"GET", "PATCH"}),
        ("TRACE", "/api/v1/definitions/export", {"GET"}),
    ],
)
def test_405_names_the_allowed_methods(
    app: Flask, method: str, path: str, allowed: set[str]
) -> None:
    response = app.test_client().open(path, method=method, headers=bearer_headers(app))
    assert response.status_code == 405 and response.is_json
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_empty_query_parameters_mean_not_given(app: Flask) -> None:
    headers = bearer_headers(app)
    client = app.test_client()
    empty = "state=&department=&assignee=&template=&sort=&cursor=&limit="
    got = client.get(f"/api/v1/tickets/?{empty}", headers=headers)
    assert got.status_code == 200, got.json
    assert got.json["count"] == client.get("/api/v1/tickets/", headers=headers).json["count"]
    assert client.get("/api/v1/definitions/?kind=", headers=headers).status_code == 200
    assert client.get("/api/v1/definitions/export?drafts=", headers=headers).status_code == 200


@pytest.mark.parametrize("drafts", ["maybe", "1", "TRUE"])
def test_export_drafts_is_true_or_false(app: Flask, drafts: str) -> None:
    response = app.test_client().get(
        f"/api/v1/definitions/export?drafts={drafts}", headers=bearer_headers(app)
    )
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, {"/username", "/password", "/provider"}),
        ({"username": "admin", "password": "admin"}, {"/provider"}),
        ({"username": "", "password": "x", "provider": "db"}, {"/username"}),
        ({"username": "a", "password": "b", "provider": "db", "extra": 1}, {"/extra"}),
    ],
)
def test_login_errors_have_the_error_shape(
    app: Flask, body: dict[str, object], pointers: set[str]
) -> None:
    response = app.test_client().post("/api/v1/security/login", json=body)
    assert response.status_code == 400, response.json
    assert isinstance(response.json["message"], str)
    assert set(response.json["errors"]) == pointers
    assert all(isinstance(m, list) and m for m in response.json["errors"].values())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/tickets/"),
        ("PATCH", "/api/v1/tickets/1"),
        ("POST", "/api/v1/tickets/1/comments"),
        ("POST", "/api/v1/definitions/"),
        ("PUT", "/api/v1/definitions/1"),
        ("POST", "/api/v1/definitions/import"),
    ],
)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_json_endpoints_insist_on_json(
    app: Flask, method: str, path: str, content_type: str
) -> None:
    response = app.test_client().open(
        path, method=method, data=b'{"body": "x"}', content_type=content_type,
        headers=bearer_headers(app),
    )
    assert response.status_code == 415, response.json
    assert isinstance(response.json["message"], str)


def test_every_error_answer_is_documented_with_the_error_schema(app: Flask) -> None:
    spec = app.test_client().get(SPEC, headers=bearer_headers(app)).json
    assert spec["components"]["schemas"]["Error"]["required"] == ["message"]
    ours = {p: item for p, item in spec["paths"].items() if "/tickets" in p or "/definitions" in p}
    for path, item in ours.items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"401", "403"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415"} <= statuses, (method, path)
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert "Error" in json.dumps(schema), (method, path, status)


def test_the_spec_patterns_keep_their_backslashes(app: Flask) -> None:
    spec = app.test_client().get(SPEC, headers=bearer_headers(app)).json
    template = spec["paths"]["/api/v1/tickets/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["properties"]["template"]
    assert re.search(template["pattern"], " x ") and not re.search(template["pattern"], " \t ")


@pytest.mark.parametrize("username", ["agent3", "head1"])
def test_every_role_may_read_the_spec(app: Flask, username: str) -> None:
    response = app.test_client().get(SPEC, headers=bearer_headers(app, username))
    assert response.status_code == 200
