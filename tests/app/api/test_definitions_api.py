"""Definitions API: every status code, with a JWT from FAB's login endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

API = "/api/v1/definitions/"


def bearer(app: Flask, username: str) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def api(app: Flask) -> Callable[..., Any]:
    """`api(method, path, json=..., user="admin")` → response, authenticated with a JWT."""
    tokens: dict[str, dict[str, str]] = {}
    client: FlaskClient = app.test_client()

    def call(method: str, path: str, user: str = "admin", **kwargs: Any) -> Any:
        if user not in tokens:
            tokens[user] = bearer(app, user)
        return client.open(path, method=method, headers=tokens[user], **kwargs)

    return call


def field(key: str, **schema: Any) -> dict[str, Any]:
    return {
        "kind": "field",
        "key": key,
        "body": {"key": key, "title": "Serial", "schema": {"type": "string", **schema}},
    }


def new_key() -> str:
    return f"serial_{uuid.uuid4().hex[:8]}"


def test_create_get_update_publish_retire(api: Callable[..., Any]) -> None:
    key = new_key()
    created = api("POST", API, json=field(key))
    assert created.status_code == 201
    assert {k: created.json[k] for k in ("kind", "key", "version", "status")} == {
        "kind": "field",
        "key": key,
        "version": 1,
        "status": "draft",
    }
    pk = created.json["id"]
    assert api("GET", f"{API}{pk}").json["result"]["body"]["schema"] == {"type": "string"}
    updated = api("PUT", f"{API}{pk}", json={"body": field(key, maxLength=20)["body"]})
    assert updated.status_code == 200
    assert api("POST", f"{API}{pk}/publish").json["status"] == "published"
    conflict = api("PUT", f"{API}{pk}", json={"body": field(key)["body"]})
    assert conflict.status_code == 409 and "published" in conflict.json["message"]
    assert api("POST", f"{API}{pk}/publish").status_code == 409
    listed = api("GET", f"{API}?kind=field").json["result"]
    assert any(row["key"] == key and row["status"] == "published" for row in listed)
    assert api("POST", f"{API}{pk}/retire").json["status"] == "retired"
    assert api("POST", f"{API}{pk}/retire").status_code == 409


def test_next_version_after_publish(api: Callable[..., Any]) -> None:
    key = new_key()
    pk = api("POST", API, json=field(key)).json["id"]
    api("POST", f"{API}{pk}/publish")
    second = api("POST", API, json=field(key, maxLength=5))
    assert (second.status_code, second.json["version"]) == (201, 2)


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"kind": "field", "key": "x1", "body": {"key": "x1", "title": "X"}}, ""),
        (
            {
                "kind": "field",
                "key": "x2",
                "body": {"key": "x2", "title": "X", "schema": {"type": 5}},
            },
            "/schema/type",
        ),
        ({"kind": "gadget", "key": "x3", "body": {}}, ""),
        ({"kind": "field", "body": {}}, "/key"),
        (
            {
                "kind": "field",
                "key": "x4",
                "body": {
                    "key": "x4",
                    "title": "X",
                    "schema": {"type": "string", "pattern": "(a+)+$"},
                },
            },
            "/schema/pattern",
        ),
    ],
)
def test_invalid_definition_is_422_with_pointer(
    api: Callable[..., Any], payload: dict[str, Any], pointer: str
) -> None:
    response = api("POST", API, json=payload)
    assert response.status_code == 422
    assert pointer in response.json["errors"]


def test_malformed_bodies_are_400(api: Callable[..., Any]) -> None:
    assert api("POST", API, data="{nope", content_type="application/json").status_code == 400
    assert api("POST", API, json=[1, 2]).status_code == 400
    assert api("POST", f"{API}import", json="x").status_code == 400


def test_unknown_id_is_404(api: Callable[..., Any]) -> None:
    for method, path in [
        ("GET", f"{API}987654"),
        ("POST", f"{API}987654/publish"),
        ("POST", f"{API}987654/retire"),
    ]:
        response = api(method, path)
        assert response.status_code == 404
        assert response.is_json


def test_bad_kind_filter_is_400(api: Callable[..., Any]) -> None:
    assert api("GET", f"{API}?kind=gadget").status_code == 400


def test_import_all_or_nothing_and_export(api: Callable[..., Any]) -> None:
    good, bad = new_key(), new_key()
    failed = api(
        "POST",
        f"{API}import",
        json={
            "publish": True,
            "files": {
                f"field/{good}.json": field(good)["body"],
                f"field/{bad}.json": {"key": bad, "title": "B", "schema": {"type": "strin"}},
            },
        },
    )
    assert failed.status_code == 422
    assert f"field/{bad}.json#/schema/type" in failed.json["errors"]
    assert all(row["key"] != good for row in api("GET", API).json["result"])
    ok = api(
        "POST",
        f"{API}import",
        json={"publish": True, "files": {f"field/{good}.json": field(good)["body"]}},
    )
    assert ok.status_code == 200 and ok.json["created"] == [f"field:{good} v1"]
    exported = api("GET", f"{API}export").json["files"]
    assert exported[f"field/{good}.json"] == field(good)["body"]
    assert "template/repair.json" in exported


@pytest.mark.parametrize("user", ["agent3", "head1"])
def test_non_admins_are_refused(api: Callable[..., Any], user: str) -> None:
    assert api("GET", API, user=user).status_code == 403
    assert api("POST", API, user=user, json=field(new_key())).status_code == 403


def test_anonymous_gets_401(app: Flask) -> None:
    assert app.test_client().get(API).status_code == 401


def test_definitions_api_is_in_the_openapi_spec(api: Callable[..., Any]) -> None:
    paths = api("GET", "/api/v1/_openapi").json["paths"]
    assert {
        "/api/v1/definitions/",
        "/api/v1/definitions/{pk}",
        "/api/v1/definitions/{pk}/publish",
        "/api/v1/definitions/import",
        "/api/v1/definitions/export",
    } <= set(paths)


def test_text_postgresql_refuses_is_422_not_500(api: Callable[..., Any]) -> None:
    key = new_key()
    body = field(key)
    body["body"]["title"] = "nul \u0000 inside"
    response = api("POST", API, json=body)
    assert response.status_code == 422
    assert "/body/title" in response.json["errors"]


def test_oversize_body_is_413(api: Callable[..., Any]) -> None:
    response = api(
        "POST", API, data=b"{" + b" " * 3_000_000 + b"}", content_type="application/json"
    )
    assert response.status_code == 413 and response.is_json


def loan(key: str, **settings: Any) -> dict[str, Any]:
    """A template body whose settings are `settings`."""
    return {
        "key": key,
        "title": "Loan",
        "schema": {"type": "object", "properties": {"tag": {"type": "string"}}},
        "settings": settings,
    }


def test_publish_refuses_a_template_that_cannot_take_tickets(api: Callable[..., Any]) -> None:
    key = f"loan_{uuid.uuid4().hex[:8]}"
    body = loan(key, subject="/tag", list_columns=["/tag", "/room"], default_department="repair")
    draft = api("POST", API, json={"kind": "template", "key": key, "body": body})
    assert draft.status_code == 201  # a draft may point at a property still to come
    pk = draft.json["id"]
    refused = api("POST", f"{API}{pk}/publish")
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["/settings/list_columns/1"]
    assert api("GET", f"{API}{pk}").json["result"]["status"] == "draft"
    body["settings"]["list_columns"] = ["/tag"]
    assert api("PUT", f"{API}{pk}", json={"body": body}).status_code == 200
    assert api("POST", f"{API}{pk}/publish").json["status"] == "published"


def test_import_with_publish_refuses_a_template_without_department(
    api: Callable[..., Any],
) -> None:
    key = f"loan_{uuid.uuid4().hex[:8]}"
    files = {f"template/{key}.json": loan(key, subject="/tag")}
    refused = api("POST", f"{API}import", json={"publish": True, "files": files})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == [f"template/{key}.json#/settings/default_department"]
    assert all(row["key"] != key for row in api("GET", API).json["result"])
    drafts = api("POST", f"{API}import", json={"publish": False, "files": files})
    assert drafts.status_code == 200 and drafts.json["created"] == [f"template:{key} v1"]


def test_a_key_with_a_trailing_newline_is_422_at_key(api: Callable[..., Any]) -> None:
    key = new_key()
    payload = field(f"{key}\n")
    response = api("POST", API, json=payload)
    assert response.status_code == 422 and list(response.json["errors"]) == ["/key"]
    payload["body"]["key"] = key
    response = api("POST", API, json=payload)
    assert response.status_code == 422 and list(response.json["errors"]) == ["/key"]
    assert all(row["key"].strip() != key for row in api("GET", API).json["result"])


def test_put_refuses_a_department_key_with_a_newline(api: Callable[..., Any]) -> None:
    key = f"loan_{uuid.uuid4().hex[:8]}"
    pk = api("POST", API, json={"kind": "template", "key": key, "body": loan(key)}).json["id"]
    body = loan(key, default_department="repair\n")
    response = api("PUT", f"{API}{pk}", json={"body": body})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["/settings/default_department"]


@pytest.mark.parametrize(
    ("member", "where"),
    [
        ('"title": "a\\u0000"', "/schema/title"),
        ('"pattern": "\\u0000"', "/schema/pattern"),
        ('"title": "\\ud800"', "/schema/title"),
        ('"maximum": 1e400', "/schema/maximum"),
        ('"minimum": -Infinity', "/schema/minimum"),
    ],
)
def test_import_of_text_no_database_stores_is_422_at_its_pointer(
    api: Callable[..., Any], member: str, where: str
) -> None:
    key = new_key()
    text = f'{{"key": "{key}", "title": "T", "schema": {{"type": "number", {member}}}}}'
    response = api("POST", f"{API}import", json={"files": {f"field/{key}.json": text}})
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [f"field/{key}.json#{where}"]
    assert all(row["key"] != key for row in api("GET", API).json["result"])


def test_import_of_a_file_name_with_a_newline_is_422(api: Callable[..., Any]) -> None:
    key = new_key()
    files = {f"field/{key}\n.json": field(f"{key}\n")["body"]}
    response = api("POST", f"{API}import", json={"files": files})
    assert response.status_code == 422
    assert list(response.json["errors"]) == [f"field/{key}\n.json#/key"]


def test_a_number_beyond_float_range_is_422_at_its_pointer(api: Callable[..., Any]) -> None:
    key = new_key()
    body = f'{{"key": "{key}", "title": "T", "schema": {{"maximum": 1e400}}}}'
    raw = f'{{"kind": "field", "key": "{key}", "body": {body}}}'
    response = api("POST", API, data=raw, content_type="application/json")
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["/body/schema/maximum"]
