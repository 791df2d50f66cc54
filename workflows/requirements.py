"""What a ticket document lacks for a transition's `requires` schema, by pointer.

Pointers are into the ticket document (`/data/resolution`), so the app can show each message
at its field; the sentences are the form compiler's, so a transition's requirement reads like
the form's own errors (a missing property is reported at the property).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from forms.messages import collect
from workflows.conditions import Condition


def errors_by_pointer(condition: Condition, doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every way `doc` fails the condition's schema: {pointer: [message, ...]}."""
    if condition(doc):
        return {}
    found = collect(Draft202012Validator(condition.schema).iter_errors(doc))
    return found or {"": ["The ticket does not meet this transition's requirements."]}
