"""Definition files in the console: a zip of every definition; imports are all or nothing."""

from __future__ import annotations

import io as bytes_io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.security.sqla.models import User
from flask_migrate import upgrade
from sqlalchemy import select

from app.definitions import io, store
from app.extensions import db
from app.models import Department, Membership
from app.security import security_manager
from app.views.definition_files import uploaded_files, zip_of
from tests.conftest import build_app, dispose_engine, login

FILES = "/definitions/files"

Client = Callable[[str], FlaskClient]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def field_body(key: str, **schema: Any) -> dict[str, Any]:
    return {"key": key, "title": f"Field {key}", "schema": {"type": "string", **schema}}


def zipped(files: dict[str, Any]) -> bytes:
    """A zip of `files` ({name: body or text}), as an admin would build one."""
    texts = {n: b if isinstance(b, str) else json.dumps(b) for n, b in files.items()}
    return zip_of(texts)


def upload(client: FlaskClient, name: str, data: bytes, publish: bool = False) -> tuple[int, str]:
    form: dict[str, Any] = {"file": (bytes_io.BytesIO(data), name)}
    if publish:
        form["publish"] = "1"
    response = client.post(f"{FILES}/import", data=form, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def members(archive: bytes) -> dict[str, str]:
    with zipfile.ZipFile(bytes_io.BytesIO(archive)) as opened:
        return {info.filename: opened.read(info).decode("utf-8") for info in opened.infolist()}


def statuses(app: Flask, kind: str, key: str) -> list[str]:
    with app.app_context():
        found = [row.status for row in store.versions(kind, key)]
        db.session.remove()
    return found


def test_the_page_offers_download_and_upload(client_as: Client) -> None:
    html = client_as("admin").get(f"{FILES}/").get_data(as_text=True)
    assert f'action="{FILES}/export"' in html and 'name="drafts"' in html
    assert f'action="{FILES}/import"' in html and 'enctype="multipart/form-data"' in html
    listing = client_as("admin").get("/definitions/fields/").get_data(as_text=True)
    assert f'href="{FILES}/"' in listing


def test_export_is_a_zip_of_the_files_the_command_line_writes(
    app: Flask, client_as: Client
) -> None:
    admin = client_as("admin")
    draft = unique("draft")
    with app.app_context():
        store.save_draft("field", draft, field_body(draft), None)
        expected = io.export_files()
        with_drafts = io.export_files(include_drafts=True)
        db.session.remove()
    response = admin.get(f"{FILES}/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".zip" in response.headers["Content-Disposition"]
    assert members(response.data) == expected
    assert "template/refund.json" in expected
    assert f"field/{draft}.draft.json" not in expected

    drafts = admin.get(f"{FILES}/export?drafts=1")
    assert members(drafts.data) == with_drafts
    assert f"field/{draft}.draft.json" in with_drafts


def test_a_json_file_imports_as_a_draft_then_publishes(app: Flask, client_as: Client) -> None:
    admin = client_as("admin")
    key = unique("lone")
    body = json.dumps(field_body(key)).encode()
    status, html = upload(admin, f"{key}.json", body)
    assert status == 200, html
    assert f"field:{key} v1" in html and 'id="import-done"' in html
    assert statuses(app, "field", key) == ["draft"]

    status, html = upload(admin, f"{key}.json", body, publish=True)
    assert status == 200, html
    assert statuses(app, "field", key) == ["published"]
    again, html = upload(admin, f"{key}.json", body, publish=True)
    assert again == 200 and "1 were there already" in html


def test_a_zip_with_one_bad_file_reports_file_and_pointer_and_imports_nothing(
    app: Flask, client_as: Client
) -> None:
    good, bad, broken = unique("good"), unique("bad"), unique("broken")
    archive = zipped(
        {
            f"field/{good}.json": field_body(good),
            f"field/{bad}.json": field_body(bad, pattern="(a+)+$"),
            f"field/{broken}.json": "{not json",
            "README.txt": "not a definition",
        }
    )
    status, html = upload(client_as("admin"), "defs.zip", archive, publish=True)
    assert status == 422
    assert "Nothing was imported: 2 file(s) have errors." in html
    assert f'data-file="field/{bad}.json" data-pointer="/schema/pattern"' in html
    assert f'data-file="field/{broken}.json"' in html and "Not valid JSON" in html
    assert f"field/{good}.json" not in html
    for key in (good, bad, broken):
        assert statuses(app, "field", key) == []


def test_publishing_a_changed_workflow_is_refused_and_imports_nothing(
    app: Flask, client_as: Client
) -> None:
    with app.app_context():
        row = store.published("workflow", "refund")
        assert row is not None
        workflow = json.loads(store.canonical_json(row.body))
        before = len(store.versions("workflow", "refund"))
        db.session.remove()
    workflow["title"] = "Refund (changed by an import)"
    key = unique("beside")
    archive = zipped({"workflow/refund.json": workflow, f"field/{key}.json": field_body(key)})
    status, html = upload(client_as("admin"), "defs.zip", archive, publish=True)
    assert status == 409
    assert "Nothing was imported." in html and "submit it for approval" in html
    assert statuses(app, "field", key) == []
    with app.app_context():
        assert len(store.versions("workflow", "refund")) == before
        db.session.remove()


def corrupted_zip() -> bytes:
    """A zip whose directory is intact but whose one member's compressed bytes are not."""
    archive = bytearray(zip_of({"field/x.json": json.dumps(field_body("x", title="t" * 500))}))
    start = 30 + len("field/x.json")  # past the member's local header
    archive[start + 5 : start + 25] = b"\xff" * 20
    return bytes(archive)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.zip", corrupted_zip(), "The archive cannot be read"),
        ("defs.zip", b"{}", "This is not a zip archive."),
        ("empty.zip", zip_of({"notes/readme.txt": "hello"}), "The archive holds no .json file."),
        ("defs.json", b"\xff\xfe not text", "Not valid JSON"),
    ],
)
def test_unreadable_uploads_are_reported_at_their_name(
    client_as: Client, name: str, data: bytes, message: str
) -> None:
    status, html = upload(client_as("admin"), name, data)
    assert status == 422
    assert f'data-file="{name}"' in html and message in html


def test_an_upload_without_a_file_is_a_field_error(client_as: Client) -> None:
    response = client_as("admin").post(f"{FILES}/import", data={"publish": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="import-file-error"' in html and "Choose a .json file" in html
    assert 'id="import-publish" aria-describedby="import-publish-help" checked' in html


def test_a_zip_that_unpacks_too_large_is_refused() -> None:
    archive = zip_of({"field/big.json": " " * 2000})
    with pytest.raises(io.ImportFailed) as failed:
        uploaded_files("big.zip", archive, limit=1000)
    assert list(failed.value.by_file) == ["big.zip"]
    assert "2,000 bytes" in failed.value.by_file["big.zip"][""][0]
    assert uploaded_files("c:\\exports\\one.json", b"{}") == {"one.json": b"{}"}


@pytest.mark.parametrize("role", ["agent", "head"])
def test_agents_and_heads_are_refused(client_as: Client, role: str) -> None:
    user = client_as(role)
    assert user.get(f"{FILES}/").status_code == 403
    assert user.get(f"{FILES}/export").status_code == 403
    status, _ = upload(user, "x.json", b"{}")
    assert status == 403


# -- the round trip: a console's export imported by another console into a fresh database ------


@pytest.fixture
def demo_source(tmp_path: Path) -> Iterator[Flask]:
    """A database of its own with the demo loaded (the shared one holds other tests' rows)."""
    folder = tmp_path / "source"
    folder.mkdir()
    source = build_app("sqlite:///" + str(folder / "source.db"), folder)
    yield source
    with source.app_context():
        dispose_engine()


def fresh_database(folder: Path, make_app: Callable[..., Flask], source: Flask) -> Flask:
    """A migrated database without definitions: the source's departments, one member holding
    every skill, an admin, and the source's workflows loaded by an operator from the shell."""
    url = "sqlite:///" + str(folder / "fresh.db")
    with make_app(url, folder, FAB_UPDATE_PERMS=False).app_context():
        upgrade()
    fresh = make_app(url, folder, FAB_UPDATE_PERMS=True)
    with source.app_context():
        departments = [(d.key, d.name) for d in db.session.scalars(select(Department))]
        skills = sorted(store.held_skills())
        workflows = {k: v for k, v in io.export_files().items() if k.startswith("workflow/")}
        db.session.remove()
    with fresh.app_context():
        fresh.extensions["appbuilder"].add_permissions(update_perms=True)
        sm = security_manager()
        sm.add_user("admin", "Fresh", "Admin", "admin@fresh.test", sm.find_role("Admin"), "admin")
        rows = [Department(key=key, name=name) for key, name in departments]
        member = User(first_name="M", last_name="M", username="member", email="m@fresh.test")
        db.session.add_all([*rows, member])
        db.session.flush()
        db.session.add(Membership(user_id=member.id, department_id=rows[0].id, skills=skills))
        db.session.commit()
        # Workflows are published by a head's approval or from the shell, never by an upload.
        io.import_texts(workflows, publish=True, actor_id=None)
        db.session.remove()
    return fresh


def test_an_exported_zip_imports_into_a_fresh_database(
    demo_source: Flask, tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    exported = login(demo_source.test_client(), "admin").get(f"{FILES}/export").data
    files = members(exported)
    assert {name.split("/")[0] for name in files} == {"field", "workflow", "template"}
    folder = tmp_path / "fresh"
    folder.mkdir()
    fresh = fresh_database(folder, make_app, demo_source)
    admin = login(fresh.test_client(), "admin")

    status, html = upload(admin, "tessera-definitions.zip", exported, publish=True)
    assert status == 200, html
    workflows = sum(1 for name in files if name.startswith("workflow/"))
    assert f"{len(files) - workflows} definition(s); {workflows} were there already" in html
    assert members(admin.get(f"{FILES}/export").data) == files
