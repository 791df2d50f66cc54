"""The definitions API answers documents in their own key order (the order of the form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.app.api.test_definitions_api import API, bearer
from tests.app.definitions.test_document_order import (
    FORM_ORDER,
    new_key,
    rendered_order,
    unsorted_template,
)

ORDER = ["zeta", "alpha", "mid"]


@pytest.fixture
def admin_api(app: Flask) -> Callable[..., Any]:
    """`admin_api(method, path, json=...)` → response, as the Admin with a JWT."""
    headers = bearer(app, "admin")
    client = app.test_client()
    return lambda method, path, **kwargs: client.open(
        path, method=method, headers=headers, **kwargs
    )


def properties(response: Any) -> list[str]:
    """The property names of the answered definition's schema, in the order of the answer."""
    assert response.status_code == 200, response.json
    return list(response.json["result"]["body"]["schema"]["properties"])


def test_get_put_get_keeps_the_document_order(app: Flask, admin_api: Callable[..., Any]) -> None:
    key = new_key()
    document = {"kind": "template", "key": key, "body": unsorted_template(key)}
    created = admin_api("POST", API, json=document)
    assert created.status_code == 201, created.json
    read = admin_api("GET", f"{API}{created.json['id']}")
    assert properties(read) == ORDER
    body = read.json["result"]["body"]
    assert list(body) == list(unsorted_template(key))  # the top level too: title before key
    text = read.get_data(as_text=True)
    assert text.index('"zeta"') < text.index('"alpha"') < text.index('"mid"')
    # A client edits what it read and writes it back: the order stays the form's.
    body["schema"]["properties"]["alpha"]["title"] = "Alpha (edited)"
    written = admin_api("PUT", f"{API}{created.json['id']}", json={"body": body})
    assert written.status_code == 200, written.json
    again = admin_api("GET", f"{API}{created.json['id']}")
    assert properties(again) == ORDER
    assert again.json["result"]["body"] == body
    published = admin_api("POST", f"{API}{created.json['id']}/publish")
    assert published.status_code == 200, published.json
    assert rendered_order(app, key) == FORM_ORDER


def test_api_export_and_import_keep_the_document_order(
    app: Flask, admin_api: Callable[..., Any]
) -> None:
    key = new_key()
    name = f"template/{key}.json"
    imported = admin_api("POST", f"{API}import", json={"files": {name: unsorted_template(key)}})
    assert imported.status_code == 200, imported.json
    assert imported.json["created"] == [f"template:{key} v1"]
    exported = admin_api("GET", f"{API}export?drafts=true")
    assert exported.status_code == 200
    body = exported.json["files"][f"template/{key}.draft.json"]
    assert list(body["schema"]["properties"]) == ORDER
    assert body == unsorted_template(key)
    # The exported file imported again is the same document: nothing new.
    again = admin_api("POST", f"{API}import", json={"files": {name: body}})
    assert again.status_code == 200, again.json
    assert again.json["unchanged"] == [f"template:{key}"]
