"""What the definition checks are given and what they give back.

The checks are pure: what they need from the database comes in as lookups (`LookupField` on
every save, `PublishLookups` when publishing), and their answer is a `Checked` definition (with
the warnings of what it keeps, such as an example that does not fit) or `DefinitionInvalid`
with every problem at its JSON pointer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.definitions.errors import DefinitionInvalid

Errors = dict[str, list[str]]
"""{JSON pointer into the submitted body: [message, ...]}."""


@dataclass(frozen=True)
class FieldVersion:
    """What the store knows of a library field: its published version, if any."""

    key: str
    version: int | None  # None: the field exists only as drafts/retired versions
    body: dict[str, Any] | None


LookupField = Callable[[str], FieldVersion | None]


@dataclass(frozen=True)
class PublishLookups:
    """What the publish checks ask the database; the store passes them in."""

    department: Callable[[str], bool]
    """Does a department with this key exist?"""
    skill: Callable[[str], bool]
    """Does at least one membership hold this skill?"""
    template: Callable[[str], bool]
    """Is there a template (any version, any status) with this key?"""
    workflow: Callable[[str], str | None]
    """published when the workflow has a published version, else its newest one's status;
    None when there is no workflow with this key."""


@dataclass
class Checked:
    """A definition that passed every check, with its resolved form."""

    kind: str
    key: str
    title: str
    body: dict[str, Any]
    schema: dict[str, Any]  # field refs inlined
    ui_schema: dict[str, Any]
    pins: dict[str, int] = field(default_factory=dict)
    warnings: Errors = field(default_factory=dict)
    """What is kept but worth saying: where the example (`formData`) does not fit the form."""


def raise_if(errors: Errors) -> None:
    """Raise DefinitionInvalid with `errors`, if there are any."""
    if errors:
        raise DefinitionInvalid(errors)
