"""The per-field indexes follow the published templates (PostgreSQL).

Which fields a template wants indexed is `app.definitions.filterable.indexed_fields`. Building
an index on a large ticket table takes seconds to minutes, so it never happens in a request:

- publishing a template (console, API or `defs import --publish`) leaves a `fields.reconcile`
  outbox message once the publishing transaction has committed; the outbox enqueues it as an
  RQ job (its sweep does, when Redis was down);
- every `tessera worker` start leaves one too;
- `flask tessera indexes` runs it in the foreground.

Each field index comes with a partial index of the template's tickets *without* a value of
the field's kind, in creation order (`missing_index_ddl`): a list sorted by the field reads
them last, and without it finding none (or few) of them would walk the whole template.

`reconcile` is idempotent (`CREATE INDEX CONCURRENTLY IF NOT EXISTS`; an index left invalid by
an interrupted build is rebuilt), so running it twice, or in two workers at once, is harmless.
It never drops an index: `unused` lists the field indexes no published template wants, for an
administrator to drop (`flask tessera indexes --drop-unused`), among them those of an earlier
shape once their field's new one is built (`app.tickets.fields.FIELD_INDEX_PREFIXES`).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from app.definitions.filterable import indexed_fields
from app.extensions import db
from app.models import Definition, DefinitionStatus
from app.tickets.fields import (
    FIELD_INDEX_PREFIXES,
    FieldKind,
    check_field_name,
    drop_indexes,
    ensure_field_index,
    field_index_names,
)
from app.tickets.fieldsort import missing_predicate
from app.tickets.query import forget_day_indexes

log = logging.getLogger(__name__)

TOPIC = "fields.reconcile"  # the outbox topic (app.jobs.handlers); it runs on the low queue
QUEUE = "low"


@dataclass
class Reconciled:
    """What one `reconcile` did: indexes built, already present, and unused ones."""

    built: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"built": self.built, "present": self.present, "unused": self.unused}


# The partial indexes of the tickets without a value, by the predicate's reading: numbers,
# booleans (NULL or not a JSON boolean), and the text reading of enums, dates and text.
MISSING_PREFIXES: dict[FieldKind, str] = {
    FieldKind.NUMBER: "ix_ticket_fnm_",
    FieldKind.BOOLEAN: "ix_ticket_fbm_",
    FieldKind.ENUM: "ix_ticket_fvm_",
    FieldKind.DATE: "ix_ticket_fvm_",
    FieldKind.TEXT: "ix_ticket_fvm_",
}
INDEX_PREFIXES = (*FIELD_INDEX_PREFIXES, *sorted(set(MISSING_PREFIXES.values())))


def missing_index_name(name: str, kind: FieldKind | str) -> str:
    """The partial index of a field's tickets without a value (lower case, ≤ 63 characters)."""
    index = MISSING_PREFIXES[FieldKind(kind)] + check_field_name(name)
    if len(index) > 63:
        index = f"{index[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return index.lower()


def missing_index_ddl(name: str, kind: FieldKind | str) -> str:
    """`(template, created_at DESC, id DESC) WHERE <no value>`: empty when every ticket has
    one, so a sorted list knows at once that none come last."""
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {missing_index_name(name, kind)} ON ticket "
        f"(template, created_at DESC, id DESC) WHERE {missing_predicate(name, kind)}"
    )


def ensure_missing_index(bind: Engine | Connection, name: str, kind: FieldKind | str) -> str:
    """Build (once; again when left invalid) a field's index of the tickets without a value.

    PostgreSQL only; `bind` as for `ensure_field_index` (no transaction open on it).
    """
    index = missing_index_name(name, kind)
    with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        valid = auto.execute(
            text(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = :name"
            ),
            {"name": index},
        ).scalar()
        if valid is False:
            auto.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {index}"))
        auto.execute(text(missing_index_ddl(name, kind)))
    return index


def ensure_sort_indexes(bind: Engine | Connection, name: str, kind: FieldKind | str) -> None:
    """A field's index (`ensure_field_index`) and its index of the tickets without a value."""
    ensure_field_index(bind, name, kind)
    if bind.dialect.name == "postgresql":
        ensure_missing_index(bind, name, kind)


def wanted() -> dict[str, tuple[str, str]]:
    """{index name: (field, kind)} over every published template."""
    from app.tickets.templates import template_version

    rows = db.session.execute(
        select(Definition.key, Definition.version).where(
            Definition.kind == "template",
            Definition.status == DefinitionStatus.PUBLISHED.value,
        )
    ).all()
    found: dict[str, tuple[str, str]] = {}
    for key, version in rows:
        tf = template_version(key, version)
        for name, kind in indexed_fields(tf.settings, tf.schema):
            # PostgreSQL folds the unquoted names of the DDL to lower case
            found[field_index_names(name, kind)[0].lower()] = (name, kind)
            found[missing_index_name(name, kind)] = (name, kind)
    return found


def existing() -> dict[str, bool]:
    """{field index name: valid} of the field indexes (and those of missing values) on ticket."""
    rows = db.session.execute(
        text(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relname = 'ticket'"
        )
    ).all()
    return {name: bool(valid) for name, valid in rows if name.startswith(INDEX_PREFIXES)}


def reconcile(drop_unused: bool = False) -> Reconciled:
    """Build the missing field indexes of the published templates; ANALYZE after building."""
    result = Reconciled()
    if db.engine.dialect.name != "postgresql":
        return result
    want = wanted()
    have = existing()
    db.session.rollback()  # CONCURRENTLY runs outside any transaction: hold none meanwhile
    for index, (name, kind) in sorted(want.items()):
        if have.get(index):
            result.present.append(index)
            continue
        if index.startswith(tuple(MISSING_PREFIXES.values())):
            ensure_missing_index(db.engine, name, kind)
        else:
            ensure_field_index(db.engine, name, FieldKind(kind))
        result.built.append(index)
        log.info("built field index %s (%s, %s)", index, name, kind)
    result.unused = sorted(set(have) - set(want))
    if drop_unused:
        drop_indexes(db.engine, result.unused)
        for index in result.unused:
            log.info("dropped unused field index %s", index)
    if result.built:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE ticket"))
    if result.built or drop_unused:
        forget_day_indexes()  # this process's pages see the change at once, others within a TTL
    return result


def schedule(app: Flask | None = None) -> bool:
    """Leave a `fields.reconcile` message in the outbox (PostgreSQL only; committed here).

    The outbox enqueues it once committed, or its sweep does when Redis was down.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return False
    from app.outbox import add

    with app.app_context():
        add(db.session, TOPIC)
        db.session.commit()
    return True


def on_published(sender: Any, kind: str, **_: Any) -> None:
    """`definition_published` receiver: a new template version may want new indexes."""
    if kind == "template" and isinstance(sender, Flask):
        schedule(sender)


def init_app(app: Flask) -> None:
    """Connect the receiver (weakly referenced signals: keep a module-level function)."""
    from app.definitions.store import definition_published

    definition_published.connect(on_published)
