"""Errors raised by the form compiler."""

from __future__ import annotations


class FormsError(Exception):
    """Base class of every error the forms package raises."""


class FormCompileError(FormsError):
    """The schema (the definition) has a shape that cannot be rendered as a form at all."""

    def __init__(self, schema_path: str = "", message: str = "cannot compile schema") -> None:
        self.schema_path = schema_path
        self.message = message
        where = schema_path or "#"
        super().__init__(f"{message} (at {where})")


class SchemaRefError(FormCompileError):
    """A `$ref` could not be resolved, or references nest beyond the depth limit."""
