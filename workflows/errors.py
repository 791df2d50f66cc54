"""Errors raised by the workflow engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class WorkflowError(Exception):
    """Base class of every error the workflows package raises."""


class DefinitionError(WorkflowError):
    """The workflow definition is wrong; `errors` maps JSON pointers (into it) to messages.

    Every problem found in one pass is reported together, the way a form reports every field.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {p: list(m) for p, m in errors.items() if m}
        first = next(iter(self.errors.items()), ("", ["invalid workflow"]))
        super().__init__(f"{first[0] or '/'}: {first[1][0]}")


def raise_if(errors: Mapping[str, Sequence[str]]) -> None:
    """Raise DefinitionError when any pointer has messages."""
    if any(errors.values()):
        raise DefinitionError(errors)
