"""Tickets API, file fields: data URLs in, references stored, files downloadable and scoped."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask

from app.tickets.filefields import format_ref, parse_ref
from tests.app.api.test_tickets_api import API, Api, api, publish, tag, ticket_count  # noqa: F401
from tests.app.test_ticket_attachments import stored_files, unique


def data_url(content: bytes, kind: str, name: str) -> str:
    return f"data:{kind};name={name};base64,{base64.b64encode(content).decode()}"


@pytest.fixture
def template(app: Flask) -> str:
    """A published template with a photo and a list of documents, routed to After-sales Repair."""
    key = f"files_{tag()}"
    publish(
        app,
        key,
        {
            "key": key,
            "title": f"Files {key}",
            "schema": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string", "minLength": 3},
                    "photo": {"type": "string", "format": "data-url", "maxLength": 100000},
                    "documents": {
                        "type": "array",
                        "items": {"type": "string", "format": "data-url"},
                    },
                },
                "required": ["summary"],
            },
            "uiSchema": {"photo": {"ui:options": {"accept": "image/*"}}},
            "settings": {"subject": "/summary", "default_department": "repair"},
        },
    )
    return key


def test_a_data_url_is_stored_as_an_attachment_and_downloads_scoped_to_the_ticket(
    app: Flask,
    api: Api,  # noqa: F811
    template: str,
) -> None:
    png = b"\x89PNG\r\n" + unique("photo")
    created = api(
        "POST",
        API,
        json={
            "template": template,
            "data": {
                "summary": "Cracked case",
                "photo": data_url(png, "image/png", "case%20photo.png"),
            },
        },
    )
    assert created.status_code == 201, created.json
    ticket = created.json
    ref = parse_ref(ticket["data"]["photo"])
    assert ref is not None and ref.name == "case photo.png"
    assert ticket["lock_version"] == 1
    detail = api("GET", f"{API}{ticket['id']}", user="head2").json["result"]
    assert detail["data"]["photo"] == ticket["data"]["photo"]
    [listed] = detail["attachments"]
    assert (listed["id"], listed["filename"], listed["content_type"], listed["size"]) == (
        ref.attachment_id,
        "case photo.png",
        "image/png",
        len(png),
    )
    assert listed["comment_id"] is None
    assert listed["url"] == f"{API}{ticket['id']}/attachments/{ref.attachment_id}"
    download = api("GET", listed["url"], user="head2", buffered=True)
    assert download.status_code == 200 and download.data == png
    assert download.mimetype == "image/png"
    # Another department's agent sees neither the ticket nor its file.
    assert api("GET", listed["url"], user="agent3").status_code == 404
    assert api("GET", f"{API}{ticket['id']}", user="agent3").status_code == 404


def test_a_refused_file_is_422_at_its_pointer_and_nothing_is_saved(
    app: Flask,
    api: Api,  # noqa: F811
    template: str,
) -> None:
    before, count = stored_files(app), ticket_count(app)
    response = api(
        "POST",
        API,
        json={
            "template": template,
            "data": {
                "summary": "Cracked case",
                "photo": data_url(unique(), "text/plain", "notes.txt"),
                "documents": [data_url(unique(), "text/plain", "fine.txt"), "data:;base64,%%%"],
            },
        },
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "/data/photo": ["Files of type text/plain are not accepted here."],
        "/data/documents/1": ["The file's data is not valid base64."],
    }
    assert ticket_count(app) == count
    assert stored_files(app) == before


def test_patch_keeps_a_reference_adds_new_files_and_refuses_foreign_ones(
    app: Flask,
    api: Api,  # noqa: F811
    template: str,
) -> None:
    first = api(
        "POST",
        API,
        json={
            "template": template,
            "data": {
                "summary": "Cracked case",
                "photo": data_url(unique(), "image/png", "a.png"),
            },
        },
    ).json
    other = api(
        "POST",
        API,
        json={
            "template": template,
            "data": {
                "summary": "Other case",
                "photo": data_url(unique(), "image/png", "b.png"),
            },
        },
    ).json
    pk, photo = first["id"], first["data"]["photo"]
    kept = api("PATCH", f"{API}{pk}", json={"lock_version": 1, "data": {"summary": "Cracked"}})
    assert kept.status_code == 200, kept.json
    assert kept.json["data"]["photo"] == photo
    foreign = api(
        "PATCH",
        f"{API}{pk}",
        json={
            "lock_version": kept.json["lock_version"],
            "data": {"photo": other["data"]["photo"]},
        },
    )
    assert foreign.status_code == 422
    foreign_id = parse_ref(other["data"]["photo"]).attachment_id  # type: ignore[union-attr]
    assert foreign.json["errors"] == {
        "/data/photo": [f"This ticket has no attachment {foreign_id}."]
    }
    log = unique("log")
    added = api(
        "PATCH",
        f"{API}{pk}",
        json={
            "lock_version": kept.json["lock_version"],
            "data": {"documents": [photo, data_url(log, "text/plain", "boot.log")]},
        },
    )
    assert added.status_code == 200, added.json
    documents: list[Any] = added.json["data"]["documents"]
    assert documents[0] == photo
    new = parse_ref(documents[1])
    assert new is not None and documents[1] == format_ref(new.attachment_id, "boot.log")
    detail = api("GET", f"{API}{pk}").json["result"]
    assert [a["filename"] for a in detail["attachments"]] == ["a.png", "boot.log"]
    history = [(e["pointer"], e["new"]) for e in detail["history"] if e["pointer"]]
    assert ("/data/documents", documents) in history
