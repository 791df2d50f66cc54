"""Definitions keep their document order on the way out; the checksum ignores it.

The order of `properties` is the order of the form (and the `"*"` remainder of `ui:order`
follows it), so exports, API bodies and diffs write a document in its own key order.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from app.definitions import io, store
from app.extensions import db
from app.models import AuditLog, Definition
from tests.conftest import login

# The root `ui:order` puts `mid` first; the remainder (`*`) follows the document: zeta, alpha.
FORM_ORDER = ["mid", "zeta", "alpha"]
SORTED_FORM_ORDER = ["mid", "alpha", "zeta"]


def unsorted_template(key: str, title: str = "Order check") -> dict[str, Any]:
    """A template whose keys are deliberately out of alphabetical order at every level."""
    return {
        "title": title,
        "key": key,
        "schema": {
            "type": "object",
            "title": title,
            "properties": {
                "zeta": {"type": "string", "title": "Zeta"},
                "alpha": {"type": "string", "title": "Alpha"},
                "mid": {"type": "integer", "title": "Mid"},
            },
            "required": ["zeta"],
        },
        "uiSchema": {"zeta": {"ui:placeholder": "z"}, "ui:order": ["mid", "*"]},
        "settings": {"subject": "/zeta", "workflow": "repair", "default_department": "repair"},
    }


def sorted_copy(value: Any) -> Any:
    """The same document with every object's keys sorted (what exports used to write)."""
    return json.loads(json.dumps(value, sort_keys=True))


def new_key() -> str:
    return f"order_{uuid.uuid4().hex[:8]}"


def form_order(html: str) -> list[str]:
    """The top-level fields of a rendered form, in page order (each named once)."""
    names = re.findall(r'name="/([a-z]+)"', html)
    return list(dict.fromkeys(names))


def changed_lines(diff: str) -> list[str]:
    """The removed and added lines of a unified diff, each sign then its stripped text."""
    return [line[0] + line[1:].strip() for line in diff.splitlines()[2:] if line[0] in "+-"]


def rendered_order(app: Flask, key: str) -> list[str]:
    """The fields of the agents' create page of a published template, in page order."""
    page = login(app.test_client(), "agent5").get(f"/tickets/new/{key}")
    assert page.status_code == 200, page.text
    return form_order(page.text)


def test_export_import_export_keeps_document_order_byte_for_byte(
    app: Flask, tmp_path: Path
) -> None:
    key = new_key()
    body = unsorted_template(key)
    name = f"template/{key}.json"
    with app.app_context():
        first = store.publish(store.save_draft("template", key, body, None).id, None)
        exported = io.export_files()[name]
        assert exported == json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        assert exported.index('"zeta"') < exported.index('"alpha"') < exported.index('"mid"')
        # A sorted copy of the same document (an export of the past) is published over it...
        resorted = store.save_draft("template", key, sorted_copy(body), None)
        assert resorted.checksum == first.checksum
        store.publish(resorted.id, None)
    assert rendered_order(app, key) == SORTED_FORM_ORDER
    # ...and importing the file exported first brings the document order back.
    folder = tmp_path / "first"
    (folder / "template").mkdir(parents=True)
    (folder / name).write_text(exported, encoding="utf-8")
    with app.app_context():
        report = io.import_texts(io.read_path(folder), publish=True, actor_id=None)
        assert report.created == [f"template:{key} v3"], report
        again = io.export_files()[name]
        # The same file again is unchanged: the same document, order included.
        unchanged = io.import_texts(io.read_path(folder), publish=True, actor_id=None)
        assert unchanged.unchanged == [f"template:{key}"]
    assert again.encode("utf-8") == exported.encode("utf-8")
    assert rendered_order(app, key) == FORM_ORDER


def test_the_console_zip_export_keeps_document_order(app: Flask) -> None:
    import zipfile
    from io import BytesIO

    key = new_key()
    with app.app_context():
        store.save_draft("template", key, unsorted_template(key), None)
    response = login(app.test_client(), "admin").get("/definitions/files/export?drafts=1")
    assert response.status_code == 200
    with zipfile.ZipFile(BytesIO(response.data)) as archive:
        member = archive.read(f"template/{key}{io.DRAFT_SUFFIX}").decode("utf-8")
    assert list(json.loads(member)["schema"]["properties"]) == ["zeta", "alpha", "mid"]
    assert member == store.document_json(unsorted_template(key))


def test_the_checksum_is_over_the_sorted_canonical_form() -> None:
    body = unsorted_template("order_check")
    canonical = json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert store.canonical_json(body) == canonical
    assert store.checksum(body) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert store.checksum(sorted_copy(body)) == store.checksum(body)
    assert store.document_json(sorted_copy(body)) != store.document_json(body)


def test_a_diff_reads_in_document_order_and_shows_a_reordering(app_ctx: Flask) -> None:
    key = new_key()
    body = unsorted_template(key)
    v1 = store.save_draft("template", key, body, None)
    store.publish(v1.id, None)
    body["schema"]["properties"]["alpha"]["title"] = "Alpha!"
    v2 = store.save_draft("template", key, body, None)
    assert changed_lines(store.diff(v1, v2)) == ['-"title": "Alpha"', '+"title": "Alpha!"']
    # The diff's context is the document as written: zeta comes before alpha.
    whole = store.diff(None, v2)
    assert whole.index('"zeta"') < whole.index('"alpha"') < whole.index('"mid"')
    moved = store.update_draft(v2.id, sorted_copy(body), None)
    assert moved.checksum == v2.checksum  # the same content, but the fields moved
    edit = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.object_id == moved.id, AuditLog.action == "edit")
        .order_by(AuditLog.id.desc())
    ).first()
    assert edit is not None and edit.diff
    changed = changed_lines(edit.diff)
    assert '-"zeta": {' in changed and '+"zeta": {' in changed
    # Every line removed is added elsewhere (its trailing comma aside): only the order changed.
    assert sorted(line[1:].rstrip(",") for line in changed if line[0] == "-") == sorted(
        line[1:].rstrip(",") for line in changed if line[0] == "+"
    )


@pytest.mark.backend("postgresql")
def test_postgresql_stores_the_body_as_json_in_its_order(app_ctx: Flask) -> None:
    key = new_key()
    row = store.save_draft("template", key, unsorted_template(key), None)
    kind = db.session.execute(
        text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = :table AND column_name = 'body'"
        ),
        {"table": Definition.__tablename__},
    ).scalar_one()
    assert kind == "json"  # `jsonb` would store the keys in its own order
    stored = db.session.execute(
        text(f"SELECT body::text FROM {Definition.__tablename__} WHERE id = :id"), {"id": row.id}
    ).scalar_one()
    assert stored.index('"zeta"') < stored.index('"alpha"') < stored.index('"mid"')
    db.session.expire_all()
    assert list(store.get(row.id).body["schema"]["properties"]) == ["zeta", "alpha", "mid"]
