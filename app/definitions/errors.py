"""Errors of the definition store: what is wrong with a document, and what may not happen."""

from __future__ import annotations

from app.errors import TesseraError


class DefinitionStoreError(TesseraError):
    """Base class of the definition store's errors."""


class DefinitionInvalid(DefinitionStoreError):
    """The document is wrong; `errors` maps JSON pointers (into the body) to messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {pointer: list(messages) for pointer, messages in errors.items()}
        first = next(iter(self.errors.items()), ("", ["invalid definition"]))
        super().__init__(f"{first[0] or '/'}: {first[1][0]}")


class DefinitionNotFound(DefinitionStoreError):
    """No definition (or version) with that id or key."""

    status = 404


class DefinitionConflict(DefinitionStoreError):
    """The change is not allowed in the definition's status (e.g. editing a published one)."""

    status = 409
