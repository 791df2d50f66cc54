"""What the HTML reads from runtime fields and forms, as structural types.

``forms.widgets`` renders from these shapes only and chooses a renderer by ``node.kind``,
so it never imports the field classes (``forms.fields``, ``forms.rows``) that call it.
Which shape a field has follows from its node's kind: ``object`` → ``ObjectView``,
``array`` → ``ArrayView``, ``map`` → ``MapView``, ``alt`` → ``AltView``, any other kind
→ ``ScalarView``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from markupsafe import Markup

from forms.nodes import JSON, Condition, Node


class Label(Protocol):
    """A field's label; groups retitle some (the name and value of an extra property)."""

    text: str


class FieldView(Protocol):
    """Any field: its node, posted name, HTML id, label and errors."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def node(self) -> Node: ...
    @property
    def label(self) -> Label: ...
    @property
    def errors(self) -> Sequence[str]: ...
    def load(self, value: JSON) -> None:
        """Take a JSON value (ABSENT: the default)."""

    def walk(self) -> Iterator[FieldView]:
        """This field and every field below it, in render order."""

    def holds(self, condition: Condition) -> bool:
        """Whether ``condition`` holds for the object the field is a member of, now."""


class ScalarView(FieldView, Protocol):
    """One input or one group of same-named inputs."""

    @property
    def raw(self) -> Sequence[Any]: ...
    @property
    def value(self) -> JSON: ...
    @property
    def zone(self) -> ZoneInfo: ...


class ObjectView(FieldView, Protocol):
    """A fieldset of member fields."""

    @property
    def members(self) -> Sequence[FieldView]: ...


class ArrayView(FieldView, Protocol):
    """Repeatable rows."""

    @property
    def rows(self) -> Sequence[FieldView]: ...
    def row(self, position: int, key: str) -> FieldView:
        """A new row field."""

    def spare(self, position: int, key: str) -> FieldView:
        """The blank row for browsers without JavaScript."""


class MapView(FieldView, Protocol):
    """Rows of (name, value) fields for extra properties."""

    @property
    def rows(self) -> Sequence[tuple[ScalarView, FieldView]]: ...
    def row(self, key: str, prop: str) -> tuple[ScalarView, FieldView]:
        """A new (name, value) row."""


class AltView(FieldView, Protocol):
    """A selector and one field per alternative."""

    @property
    def branches(self) -> Sequence[FieldView]: ...
    @property
    def selected(self) -> int: ...


class FormView(Protocol):
    """A compiled form, as its body renders it."""

    @property
    def meta(self) -> Any: ...
    @property
    def form_errors(self) -> Sequence[str]: ...
    @property
    def _tf_root(self) -> Node: ...
    @property
    def _tf_fields(self) -> Sequence[FieldView]: ...
    @property
    def _tf_hints(self) -> Mapping[str, str]: ...
    @property
    def _tf_original(self) -> JSON: ...
    def hidden_tag(self) -> Markup:
        """The CSRF token input."""

    def to_instance(self) -> JSON:
        """The JSON instance the form holds."""
