"""Definitions as code: export → import → export is an identity; import is all-or-nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask_appbuilder.security.sqla.models import User
from flask_migrate import upgrade
from sqlalchemy import func, select

from app.definitions import io, store
from app.extensions import db
from app.models import Definition, Department, Membership

DEMO = Path(__file__).resolve().parents[3] / "app" / "demo" / "definitions"


def write(folder: Path, relative: str, body: object) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")


def count(kind: str | None = None) -> int:
    query = select(func.count()).select_from(Definition)
    if kind:
        query = query.where(Definition.kind == kind)
    return db.session.scalar(query) or 0


@pytest.fixture
def empty_app(tmp_path: Path, make_app: Callable[..., Flask]) -> Flask:
    """A freshly migrated, empty SQLite database."""
    app = make_app("sqlite:///" + str(tmp_path / "empty.db"), tmp_path, FAB_UPDATE_PERMS=False)
    with app.app_context():
        upgrade()
    return app


def test_export_import_export_is_byte_identical(
    app: Flask, empty_app: Flask, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    with app.app_context():
        io.export_dir(first)
        departments = [(d.key, d.name) for d in db.session.scalars(select(Department))]
        skills = sorted(store.held_skills())
    # The demo library only: definitions other tests published may name departments those
    # tests renamed since, which no import could satisfy.
    demo = {p.relative_to(DEMO) for p in DEMO.rglob("*.json")}
    for other in [p for p in first.rglob("*.json") if p.relative_to(first) not in demo]:
        other.unlink()
    files = sorted(p.relative_to(first) for p in first.rglob("*.json"))
    assert len(files) >= 14, files  # the demo library: fields, workflows and templates
    with empty_app.app_context():
        # Departments and skills are no definitions: what the templates and workflows name
        # exists already (one member holds every skill).
        rows = [Department(key=key, name=name) for key, name in departments]
        member = User(first_name="M", last_name="M", username="member", email="m@example.com")
        db.session.add_all([*rows, member])
        db.session.flush()
        db.session.add(Membership(user_id=member.id, department_id=rows[0].id, skills=skills))
        db.session.commit()
        io.import_texts(io.read_path(first), publish=True, actor_id=None)
        io.export_dir(second)
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.json"))
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_import_is_all_or_nothing(app_ctx: Flask, tmp_path: Path) -> None:
    good, bad = f"good_{uuid.uuid4().hex[:6]}", f"bad_{uuid.uuid4().hex[:6]}"
    write(
        tmp_path, f"field/{good}.json", {"key": good, "title": "Good", "schema": {"type": "string"}}
    )
    write(
        tmp_path,
        f"field/{bad}.json",
        {"key": bad, "title": "Bad", "schema": {"type": "string", "pattern": "(a+)+$"}},
    )
    write(tmp_path, "template/broken.json", '{"key": "broken", ')
    before = count()
    with pytest.raises(io.ImportFailed) as caught:
        io.import_texts(io.read_path(tmp_path), publish=True, actor_id=None)
    assert set(caught.value.by_file) == {f"field/{bad}.json", "template/broken.json"}
    assert "/schema/pattern" in caught.value.by_file[f"field/{bad}.json"]
    assert count() == before


def test_import_publishes_fields_before_templates_that_use_them(
    app_ctx: Flask, tmp_path: Path
) -> None:
    fk, tk = f"f_{uuid.uuid4().hex[:6]}", f"t_{uuid.uuid4().hex[:6]}"
    write(
        tmp_path,
        f"template/{tk}.json",
        {
            "key": tk,
            "title": "T",
            "schema": {"type": "object", "properties": {"x": {"$ref": f"field:{fk}"}}},
            "settings": {"default_department": "repair"},
        },
    )
    write(tmp_path, f"field/{fk}.json", {"key": fk, "title": "F", "schema": {"type": "integer"}})
    report = io.import_texts(io.read_path(tmp_path), publish=True, actor_id=None)
    assert report.created == [f"field:{fk} v1", f"template:{tk} v1"]
    assert store.published("template", tk).pins == {fk: 1}
    again = io.import_texts(io.read_path(tmp_path), publish=True, actor_id=None)
    assert again.created == [] and len(again.unchanged) == 2


def test_cli_import_reports_every_error_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    write(tmp_path, "field/a.json", {"key": "a", "title": "A", "schema": {"type": "nope"}})
    write(tmp_path, "field/b.json", {"key": "b", "title": ""})
    with app.app_context():
        before = count()
    result = app.test_cli_runner().invoke(args=["tessera", "defs", "import", str(tmp_path)])
    assert result.exit_code != 0
    assert "field/a.json#/schema/type" in result.output
    assert "field/b.json#" in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert count() == before


def test_cli_export_writes_one_file_per_definition(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["tessera", "defs", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    demo = sorted(p.relative_to(DEMO).as_posix() for p in DEMO.rglob("*.json"))
    exported = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert set(demo) <= set(exported)
    text = (tmp_path / demo[0]).read_text(encoding="utf-8")
    # The demo file's own key order, as the importer read it (not sorted).
    source = json.loads((DEMO / demo[0]).read_text(encoding="utf-8"))
    assert text == json.dumps(source, indent=2, ensure_ascii=False) + "\n"


def test_cli_import_refuses_what_no_database_stores_at_its_pointer(
    app: Flask, tmp_path: Path
) -> None:
    # JSON escapes: the files themselves are plain ASCII, as an editor would save them.
    body = '{"key": "%s", "title": "T", "schema": {"type": "number", %s}}'
    write(tmp_path, "field/nul.json", body % ("nul", '"title": "A\\u0000"'))
    write(tmp_path, "field/half.json", body % ("half", '"title": "\\ud800"'))
    write(tmp_path, "field/huge.json", body % ("huge", '"maximum": 1e400'))
    (tmp_path / "field" / "latin1.json").write_bytes(b'{"key": "latin1", "title": "caf\xe9"}')
    with app.app_context():
        before = count()
    result = app.test_cli_runner().invoke(args=["tessera", "defs", "import", str(tmp_path)])
    assert result.exit_code != 0
    for where in ("field/nul.json#/schema/title", "field/half.json#/schema/title",
                  "field/huge.json#/schema/maximum", "field/latin1.json#/"):
        assert where in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert count() == before


def test_import_refuses_a_file_name_with_a_newline(app_ctx: Flask, tmp_path: Path) -> None:
    key = f"nl_{uuid.uuid4().hex[:6]}"
    files = {f"field/{key}\n.json": json.dumps({"key": key, "title": "N", "schema": {}})}
    with pytest.raises(io.ImportFailed) as caught:
        io.import_texts(files, publish=False, actor_id=None)
    assert list(caught.value.by_file[f"field/{key}\n.json"]) == ["/key"]
    files = {f"field/{key}\n.json": json.dumps({"key": f"{key}\n", "title": "N", "schema": {}})}
    with pytest.raises(io.ImportFailed):
        io.import_texts(files, publish=False, actor_id=None)
    assert store.versions("field", f"{key}\n") == []


def test_import_refuses_a_required_name_no_property_declares(
    app_ctx: Flask, tmp_path: Path
) -> None:
    key = f"ghost_{uuid.uuid4().hex[:6]}"
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]}
    write(tmp_path, f"template/{key}.json", {"key": key, "title": "G", "schema": schema})
    before = count()
    for publish in (False, True):  # as drafts too
        with pytest.raises(io.ImportFailed) as caught:
            io.import_texts(io.read_path(tmp_path), publish=publish, actor_id=None)
        errors = caught.value.by_file[f"template/{key}.json"]
        assert errors["/schema/required/1"] == [
            "Requires 'b', which this object never declares as a property."
        ]
    assert count() == before
