"""The workflow a ticket follows: the published version when it is created, pinned for life.

A template names its workflow in `settings.workflow`; a new ticket follows that workflow's
published version and records it (`workflow_key`, `workflow_version`), so a version published
later changes new tickets only. A template that names no workflow, and every ticket pinned to
none (tickets from before workflows existed), follows the built-in default workflow
(`default_workflow.json`: the template's default department, its group queue, no SLA).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import TesseraError
from app.extensions import db
from app.models import Definition, DefinitionStatus
from app.tickets.models import Ticket
from app.tickets.templates import TemplateForm
from workflows import Workflow, load_workflow


class WorkflowUnavailable(TesseraError):
    """The template's workflow (or the version a ticket pinned) cannot be found: 409."""

    status = 409


@dataclass(frozen=True)
class Pinned:
    """A workflow version as a ticket pins it (key and version None: the built-in default)."""

    workflow: Workflow
    key: str | None
    version: int | None


@cache
def default_definition() -> dict[str, Any]:
    """The built-in default workflow's definition."""
    text = resources.files("app.tickets").joinpath("default_workflow.json").read_text("utf-8")
    return dict(json.loads(text))


def default_workflow() -> Pinned:
    """The built-in default workflow."""
    return Pinned(load_workflow(default_definition()), None, None)


def loaded(row: Definition) -> Pinned:
    """The loaded workflow of a stored version (cached by checksum)."""
    return Pinned(load_workflow(row.body, row.checksum), row.key, row.version)


def workflow_for(template: TemplateForm) -> Pinned:
    """The workflow a new ticket of `template` follows: its published version now."""
    key = template.settings.get("workflow")
    if not isinstance(key, str) or not key:
        return default_workflow()
    row = db.session.scalar(
        select(Definition).where(
            Definition.kind == "workflow",
            Definition.key == key,
            Definition.status == DefinitionStatus.PUBLISHED.value,
        )
    )
    if row is None:
        raise WorkflowUnavailable(
            _(
                "The template %(template)s follows the workflow %(workflow)s, which has no "
                "published version: tickets cannot be routed.",
                template=template.key,
                workflow=key,
            )
        )
    return loaded(row)


def workflow_of(ticket: Ticket) -> Pinned:
    """The workflow version `ticket` pinned when it was created."""
    if ticket.workflow_key is None or ticket.workflow_version is None:
        return default_workflow()
    place = (str(db.engine.url), ticket.workflow_key, ticket.workflow_version)
    found = _PINNED.get(place)
    if found is not None:
        return found
    row = db.session.scalar(
        select(Definition).where(
            Definition.kind == "workflow",
            Definition.key == ticket.workflow_key,
            Definition.version == ticket.workflow_version,
        )
    )
    if row is None:
        raise WorkflowUnavailable(
            _(
                "The workflow %(workflow)s v%(version)s of this ticket is missing.",
                workflow=ticket.workflow_key,
                version=ticket.workflow_version,
            )
        )
    if len(_PINNED) >= 512:
        _PINNED.clear()
    _PINNED[place] = pinned = loaded(row)
    return pinned


# A published version never changes (an edit is a new version): what a ticket pinned is read
# once per process and database.
_PINNED: dict[tuple[str, str, int], Pinned] = {}


def preload() -> int:
    """Load (and cache) every published and pinned workflow version; how many."""
    from workflows import WorkflowError

    rows = db.session.scalars(select(Definition).where(Definition.kind == "workflow")).all()
    count = 0
    for row in rows:
        try:
            loaded(row)
            count += 1
        except WorkflowError:  # a draft that does not load yet: nothing pins it
            continue
    db.session.rollback()
    return count
