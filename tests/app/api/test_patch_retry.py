"""A stale PATCH retried with the current lock_version keeps what others saved meanwhile.

A merge patch carries only the client's own changes, so a client that meets 409, reads the
current lock_version and sends its patch again changes only what it meant to change.
"""

from __future__ import annotations

from flask import Flask

from tests.app.api.test_tickets_api import API, Api, api, create, events, template  # noqa: F401


def test_a_retried_patch_keeps_the_other_clients_change(
    app: Flask, api: Api, template: str  # noqa: F811
) -> None:
    ticket = create(api, template, code="AB-1")
    pk, read = ticket["id"], ticket["lock_version"]

    # Client B changes the priority.
    theirs = api("PATCH", f"{API}{pk}", user="head2", json={"lock_version": read,
                                                             "priority": "urgent"})
    assert theirs.status_code == 200, theirs.json

    # Client A read the same version and changes the data: 409, nothing written.
    patch = {"data": {"code": "CD-2", "qty": 5}}
    stale = api("PATCH", f"{API}{pk}", json={"lock_version": read, **patch})
    assert stale.status_code == 409
    current = stale.json["current_lock_version"]
    assert current == theirs.json["lock_version"]
    assert api("GET", f"{API}{pk}").json["result"]["data"]["code"] == "AB-1"

    # A retries its own change at the current version: B's priority survives.
    retried = api("PATCH", f"{API}{pk}", json={"lock_version": current, **patch})
    assert retried.status_code == 200, retried.json
    result = api("GET", f"{API}{pk}").json["result"]
    assert result["priority"] == "urgent"
    assert result["data"]["code"] == "CD-2" and result["data"]["qty"] == 5
    assert result["data"]["summary"] == ticket["data"]["summary"]
    changed = [(pointer, new) for kind, pointer, _old, new in events(app, pk)[1:]]
    assert changed == [("/priority", "urgent"), ("/data/code", "CD-2"), ("/data/qty", 5)]
