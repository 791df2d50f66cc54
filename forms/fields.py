"""Runtime WTForms fields: read posted data (or a JSON value) back into JSON.

Every field is built from a compile-time node (``forms.nodes``/``forms.composites``), has
an HTML ``name`` (see ``forms.names``) and the JSON ``pointer`` of the value it holds. After
processing, ``field.value`` is the JSON value (or ``ABSENT``) and ``field.blank`` tells
whether the person left every input of the field empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from wtforms.fields.core import Field, Flags, Label
from wtforms.utils import unset_value

from forms import names, zones
from forms.codec import read_upload
from forms.i18n import _
from forms.nodes import (
    ABSENT,
    JSON,
    JSON_STATE,
    NULL_STATE,
    PRESENT_STATE,
    ChoiceNode,
    Condition,
    FileNode,
    Node,
    NumberNode,
    TextNode,
    encode_node,
)

Hints = dict[str, str]
FormData = Any


class JsonField(Field):
    """Base of the generated fields: a node, a name, a pointer, a JSON value."""

    node: Node
    value: JSON = ABSENT
    blank = True

    def __init__(
        self,
        node: Node,
        name: str,
        pointer: str | None = None,
        _form: Any = None,
        _prefix: str = "",
        _translations: Any = None,
        _meta: Any = None,
        **_: Any,
    ) -> None:
        # Lean on purpose: Field.__init__ does work (validators, label gettext) we never need.
        if _translations is not None:
            self._translations = _translations
        self.meta = _meta if _meta is not None else _form.meta
        self._form = _form
        self.node = node
        if name == names.ROOT_NAME:
            name = ""
        self.name = self.short_name = _prefix + name
        self.pointer = name if pointer is None else pointer
        self.id = names.html_id(names.input_name(self.name))
        self.label = Label(self.id, node.label_text())
        self.description = node.description or ""
        self.default = None
        self.render_kw = None  # type: ignore[assignment]
        self.filters = ()
        self.flags = Flags()
        if node.required:
            self.flags.required = True
        self.type = type(self).__name__
        self._datalist = None
        self.errors = []
        self.process_errors = []

    @property
    def zone(self) -> ZoneInfo:
        """The time zone of the person filling the form in (``Form(timezone=...)``)."""
        found = getattr(self._form, "_tf_zone", None)
        return found if isinstance(found, ZoneInfo) else zones.zone_of(None)

    def holds(self, condition: Condition) -> bool:
        """Whether ``condition`` holds for the object this field is a member of, as the form
        stands now (its loaded or posted values)."""
        suffix = self.node.ptr_suffix
        instance = getattr(self._form, "to_instance", None)
        if not suffix or instance is None:
            return False
        parent = resolve(instance(), self.pointer[: len(self.pointer) - len(suffix)])
        return isinstance(parent, dict) and bool(condition.test(parent))

    @property
    def data(self) -> JSON:
        """The JSON value (None when absent), for code that expects WTForms' ``data``."""
        return None if self.value is ABSENT else self.value

    @data.setter
    def data(self, value: JSON) -> None:
        self.value = value

    def __call__(self, **kwargs: Any) -> Markup:
        """Render the inputs (``forms.widgets`` owns the HTML)."""
        from forms.widgets import render_inputs

        return render_inputs(self, **kwargs)

    def process(
        self, formdata: FormData, data: Any = unset_value, extra_filters: Any = None
    ) -> None:
        """Read the field from formdata, else from ``data`` (a JSON value) or the default."""
        self.process_errors = []
        if formdata is not None:
            hints: Hints = getattr(self._form, "_tf_hints", {})
            self.read(formdata, hints)
        else:
            self.load(ABSENT if data is unset_value else data)

    def read(self, formdata: FormData, hints: Hints) -> None:
        """Decode posted data (JSON hint first, then the field's own decoder).

        Read-only and disabled fields ignore what is posted: see ``keep_fixed``.
        """
        if self.node.readonly or self.node.disabled:
            self.keep_fixed()
            return
        if hints and hints.get(self.name) == JSON_STATE:
            key = names.input_name(self.name)
            text = formdata.get(key, "")
            try:
                value = json.loads(text)
            except ValueError:
                value = ABSENT
            shows_value = value is ABSENT or len(formdata.getlist(key)) > 1
            if shows_value and zones.local_kind(self.node) is not None:
                # date-time/time inputs show the value, not JSON text: read what they post
                self.decode(formdata, hints)
                return
            if value is ABSENT:
                self.blank = False
                self.fail("Not valid JSON.")
                return
            if not self.node.accepts(value):  # what encode writes; else read the inputs
                self.blank = False
                problem = text_problem(value)
                if problem is not None:
                    self.fail(problem)
                    return
                self.value = value
                return
        self.decode(formdata, hints)

    def keep_fixed(self) -> None:
        """A read-only/disabled field's value: stored (``data=``), else default/const, else absent.

        Like Django's disabled fields, the posted value is never looked at.
        """
        original = getattr(self._form, "_tf_original", ABSENT)
        value = resolve(original, self.pointer) if original is not ABSENT else ABSENT
        if value is ABSENT and self.node.default is ABSENT:
            value = self.node.schema.get("const", ABSENT)
        self.load(value)

    def decode(self, formdata: FormData, hints: Hints) -> None:
        """Decode this field's inputs."""
        raise NotImplementedError

    def load(self, value: JSON) -> None:
        """Take a JSON value (the instance being edited); ABSENT means use the default."""
        if value is ABSENT:
            value = self.node.default
        self.value = value
        self.blank = value is ABSENT

    def blank_value(self, hints: Hints) -> JSON:
        """The value of a blank field: from its hint, else the node's blank state."""
        state = hints.get(self.name) if hints else None
        if state is None:
            state = self.node.blank_state()
        if state == PRESENT_STATE:
            return self.node.present_empty()
        if state == NULL_STATE:
            return None
        return ABSENT

    def fail(self, message: str) -> None:
        """Record a problem reading the input (shown on the field, makes the form invalid)."""
        self.process_errors = [*self.process_errors, message]
        self.value = ABSENT
        bad: list[JsonField] | None = getattr(self._form, "_tf_bad", None)
        if bad is not None:
            bad.append(self)

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """Reading errors only; the schema itself is checked by jsonschema on the instance."""
        self.errors = list(self.process_errors)
        return not self.errors

    def children(self) -> list[JsonField]:
        """Sub-fields, in render order."""
        return []

    def walk(self) -> Iterator[JsonField]:
        """This field and every field below it."""
        yield self
        for child in self.children():
            yield from child.walk()


def resolve(document: JSON, pointer: str) -> JSON:
    """Return the value at ``pointer`` in ``document`` or ABSENT."""
    current = document
    for token in pointer.split("/")[1:]:
        key = names.unescape_token(token)
        if isinstance(current, dict) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return ABSENT
    return current


# -- scalars ---------------------------------------------------------------------------


class ScalarField(JsonField):
    """One input (or one group of same-named inputs): text, number, choice, checkbox..."""

    raw: list[Any] = []

    def decode(self, formdata: FormData, hints: Hints) -> None:
        key = names.input_name(self.name)
        raw = formdata.getlist(key) if key in formdata else []
        self.raw = raw
        if not raw or (len(raw) == 1 and raw[0] == ""):
            self.blank = True
            self.value = self.blank_value(hints)
            return
        self.blank = False
        try:
            value = DECODERS[self.node.kind](self.node, raw)
        except ValueError as exc:
            self.fail(str(exc.args[0]))
            return
        if value is ABSENT:
            self.blank = True
            value = self.blank_value(hints)
        elif isinstance(value, str):
            value = self.from_local(value)
        problem = text_problem(value)
        if problem is not None:
            self.fail(problem)
            return
        self.value = value

    def from_local(self, text: str) -> str:
        """A date-time or time typed in the person's zone as the value to store.

        A value shown unchanged keeps its stored text (its offset, its precision): editing
        another field never rewrites it.
        """
        kind = zones.local_kind(self.node)
        if kind is None:
            return text
        original = getattr(self._form, "_tf_original", ABSENT)
        stored = resolve(original, self.pointer) if original is not ABSENT else ABSENT
        typed = zones.from_local(kind, text, self.zone)
        if isinstance(stored, str):
            shown = zones.to_local(kind, stored, self.zone)
            if typed == zones.from_local(kind, shown, self.zone):
                return stored
        return typed

    def load(self, value: JSON) -> None:
        super().load(value)
        self.raw = []
        if self.value is not ABSENT:
            scratch: list[tuple[str, Any]] = []
            encode_node(self.node, self.value, self.name, scratch)
            key = names.input_name(self.name)
            self.raw = [v for k, v in scratch if k == key]


def text_problem(value: JSON) -> str | None:
    """Why a posted value cannot be stored: NUL characters or lone surrogates; None if fine.

    JSON allows both in strings, but PostgreSQL refuses them in `jsonb` and `text`: a post
    holding one is a reading error at its field, so it never reaches a database.
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Must not contain NUL characters."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Must not contain unpaired surrogates."
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _text(node: Node, raw: list[Any]) -> JSON:
    assert isinstance(node, TextNode)
    if node.widget in zones.DATE_PARTS and len(raw) > 1:
        return _date_parts(node, raw)
    value = raw[0]
    if not isinstance(value, str):
        raise ValueError("Not a valid text value.")
    return value


def _date_parts(node: TextNode, raw: list[Any]) -> JSON:
    """The date (or local date and time) the selects of an alt-date widget post."""
    parts = [p.strip() if isinstance(p, str) else "" for p in raw]
    if not any(parts):
        return ABSENT
    count = zones.DATE_PARTS[str(node.widget)]
    if len(parts) != count or not all(p.isdigit() for p in parts):
        if len(parts) == count and all(p == "" or p.isdigit() for p in parts):
            raise ValueError(_("Choose every part of the date."))
        raise ValueError(_("Not a valid date."))
    numbers = [int(p) for p in zones.in_part_order(node, parts)] + [0, 0, 0]
    try:
        day = date(numbers[0], numbers[1], numbers[2])
        clock = time(numbers[3], numbers[4], numbers[5])
    except ValueError:
        raise ValueError(_("Not a valid date.")) from None
    if count == 3:
        return day.isoformat()
    return f"{day.isoformat()}T{clock.isoformat()}"


def _number(node: Node, raw: list[Any]) -> JSON:
    text = raw[0].strip() if isinstance(raw[0], str) else ""
    assert isinstance(node, NumberNode)
    try:
        if text.lstrip("+-").isdigit():
            return int(text)
        number = float(text)
    except ValueError:
        raise ValueError(
            "Not a valid whole number." if node.integer else "Not a valid number."
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("Not a valid number.")
    if node.integer and not number.is_integer():
        raise ValueError("Not a valid whole number.")
    return number


def _boolean(node: Node, raw: list[Any]) -> JSON:
    return raw[0] not in ("", "false", "0", "off")


def _choice(node: Node, raw: list[Any]) -> JSON:
    assert isinstance(node, ChoiceNode)
    try:
        return node.by_token[raw[0]]
    except (KeyError, TypeError):
        raise ValueError("Not a valid choice.") from None


def _multi(node: Node, raw: list[Any]) -> JSON:
    assert isinstance(node, ChoiceNode)
    try:
        return [node.by_token[token] for token in raw if token != ""]
    except (KeyError, TypeError):
        raise ValueError("Not a valid choice.") from None


def _any(node: Node, raw: list[Any]) -> JSON:
    text = raw[0]
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


def _file(node: Node, raw: list[Any]) -> JSON:
    assert isinstance(node, FileNode)
    uploads = [i for i in raw if not isinstance(i, str) and bool(getattr(i, "filename", None))]
    if uploads:
        return read_upload(uploads[0], node.max_size)
    kept = [item for item in raw if isinstance(item, str) and item]
    if kept:
        return kept[0]
    return ABSENT


DECODERS: dict[str, Callable[[Node, list[Any]], JSON]] = {
    "text": _text,
    "number": _number,
    "boolean": _boolean,
    "choice": _choice,
    "multi": _multi,
    "any": _any,
    "file": _file,
}
