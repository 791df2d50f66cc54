"""The definition store: versions, immutability, one published version, pins, audit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.definitions import store
from app.definitions.errors import DefinitionConflict, DefinitionInvalid
from app.extensions import db
from app.models import AuditLog, Definition


@pytest.fixture
def ctx(app_ctx: Flask) -> Iterator[None]:
    yield
    db.session.rollback()


def key(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def field_body(k: str, max_length: int = 40) -> dict[str, Any]:
    return {
        "key": k,
        "title": "Order number",
        "schema": {"type": "string", "maxLength": max_length},
    }


def template_body(k: str, field_key: str) -> dict[str, Any]:
    return {
        "key": k,
        "title": "Refund",
        "schema": {"type": "object", "properties": {"order": {"$ref": f"field:{field_key}"}}},
        "settings": {"default_department": "repair"},
    }


def audit_actions(row: Definition) -> list[str]:
    rows = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.object_id == row.id, AuditLog.object_type == "definition:field")
        .order_by(AuditLog.id)
    )
    return [r.action for r in rows]


def test_draft_edit_publish_and_next_version(ctx: None) -> None:
    k = key("order")
    v1 = store.save_draft("field", k, field_body(k), actor_id=None)
    assert (v1.version, v1.status) == (1, "draft")
    store.update_draft(v1.id, field_body(k, 30), actor_id=None)
    assert v1.body["schema"]["maxLength"] == 30
    store.publish(v1.id, actor_id=None)
    assert v1.status == "published" and v1.published_at is not None
    v2 = store.save_draft("field", k, field_body(k, 50), actor_id=None)
    assert (v2.version, v2.status, v1.status) == (2, "draft", "published")
    store.publish(v2.id, actor_id=None)
    assert (v1.status, v2.status) == ("retired", "published")
    assert audit_actions(v1) == ["create", "edit", "publish", "retire"]
    edit = db.session.scalar(
        select(AuditLog).where(AuditLog.object_id == v1.id, AuditLog.action == "edit")
    )
    assert '-    "maxLength": 40' in edit.diff and '+    "maxLength": 30' in edit.diff


def test_published_version_is_immutable(ctx: None) -> None:
    k = key("imm")
    row = store.publish(store.save_draft("field", k, field_body(k), None).id, None)
    with pytest.raises(DefinitionConflict, match="cannot change"):
        store.update_draft(row.id, field_body(k, 10), None)
    row.body = field_body(k, 10)
    with pytest.raises(store.ImmutableDefinitionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Definition, row.id).body["schema"]["maxLength"] == 40


def test_database_allows_one_published_version_per_key(ctx: None) -> None:
    k = key("uniq")
    published = store.publish(store.save_draft("field", k, field_body(k), None).id, None)
    db.session.add(
        Definition(
            kind="field",
            key=k,
            version=2,
            status="published",
            title="x",
            body=published.body,
            checksum="0" * 64,
            pins={},
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_invalid_body_saves_nothing(ctx: None) -> None:
    k = key("bad")
    with pytest.raises(DefinitionInvalid):
        store.save_draft("field", k, {"key": k, "title": "x", "schema": {"type": "strin"}}, None)
    db.session.rollback()
    assert store.versions("field", k) == []


def test_template_pins_field_version(ctx: None) -> None:
    fk, tk = key("f"), key("t")
    store.publish(store.save_draft("field", fk, field_body(fk), None).id, None)
    with_draft_field = template_body(tk, fk)
    template = store.publish(store.save_draft("template", tk, with_draft_field, None).id, None)
    assert template.pins == {fk: 1}
    store.publish(store.save_draft("field", fk, field_body(fk, 99), None).id, None)
    db.session.refresh(template)
    assert template.pins == {fk: 1}
    assert [(t.key, pinned) for t, pinned in store.usages(fk)] == [(tk, 1)]


def test_template_cannot_use_unpublished_field(ctx: None) -> None:
    fk, tk = key("f"), key("t")
    store.save_draft("field", fk, field_body(fk), None)
    with pytest.raises(DefinitionInvalid) as caught:
        store.save_draft("template", tk, template_body(tk, fk), None)
    assert "no published version" in caught.value.errors["/schema/properties/order/$ref"][0]


def test_retire_and_conflicts(ctx: None) -> None:
    k = key("ret")
    row = store.save_draft("field", k, field_body(k), None)
    with pytest.raises(DefinitionConflict):
        store.retire(row.id, None)
    store.publish(row.id, None)
    store.retire(row.id, None)
    assert store.published("field", k) is None
    with pytest.raises(DefinitionConflict):
        store.publish(row.id, None)


def test_publish_refuses_a_template_that_cannot_take_tickets(ctx: None) -> None:
    k = key("t")
    body = {
        "key": k,
        "title": "Loan",
        "schema": {"type": "object", "properties": {"tag": {"type": "string"}}},
        "settings": {"subject": "/tag", "default_department": "nowhere"},
    }
    draft = store.save_draft("template", k, body, None)  # drafts may stay incomplete
    with pytest.raises(DefinitionInvalid) as caught:
        store.publish(draft.id, None)
    assert caught.value.errors == {
        "/settings/default_department": ["There is no department 'nowhere'."]
    }
    db.session.rollback()
    assert [r.status for r in store.versions("template", k)] == ["draft"]
    store.update_draft(draft.id, {**body, "settings": {"default_department": "repair"}}, None)
    assert store.publish(draft.id, None).status == "published"
