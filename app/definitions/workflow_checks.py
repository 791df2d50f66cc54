"""The checks of a workflow definition: the engine's on every save, the database's at publish.

The engine (`workflows.load_workflow`) checks everything inside the document and reports it at
JSON pointers, which pass through unchanged. What the document names outside itself is asked
of the database only when publishing, as a template's `default_department` is: a draft may
name a department, a skill or a template that is still being set up, but a published workflow
routes real tickets, so every department key must exist, every skill must be held by at
least one member of some department, and every template key must have a version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from app.definitions.checked import Checked, Errors, LookupField, PublishLookups
from app.definitions.errors import DefinitionInvalid
from workflows import DefinitionError, load_workflow, references


def check_workflow(body: dict[str, Any], lookup_field: LookupField) -> Checked:
    """A workflow: states, transitions, routing, SLA and automations, as the engine loads them."""
    try:
        load_workflow(body)
    except DefinitionError as exc:
        raise DefinitionInvalid(exc.errors) from exc
    return Checked("workflow", body["key"], body["title"], body, {}, {})


def _no_department(name: str) -> str:
    return str(_("There is no department called %(name)s.", name=name))


def _no_skill(name: str) -> str:
    return str(_("No member of any department holds the skill %(name)s.", name=name))


def _no_template(name: str) -> str:
    return str(_("There is no template called %(name)s.", name=name))


Lookup = Callable[[PublishLookups], Callable[[str], bool]]

# What `workflows.references` finds (its attribute) → the lookup that must answer yes, and the
# message when it does not.
NAMED: dict[str, tuple[Lookup, Callable[[str], str]]] = {
    "departments": (lambda lookups: lookups.department, _no_department),
    "skills": (lambda lookups: lookups.skill, _no_skill),
    "templates": (lambda lookups: lookups.template, _no_template),
}


def workflow_publish_errors(checked: Checked, lookups: PublishLookups) -> Errors:
    """Every department, skill and template the workflow names that does not exist."""
    found = references(checked.body)
    errors: Errors = {}
    for attribute, (lookup, message) in NAMED.items():
        exists = lookup(lookups)
        names: dict[str, str] = getattr(found, attribute)
        for where, name in names.items():
            if not exists(name):
                errors.setdefault(where, []).append(message(name))
    return errors
