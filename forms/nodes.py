"""Compile-time description of a form: one node per schema location.

Nodes are immutable after compilation and shared by every form instance of a class. A node
knows its schema text, UI hints, how a blank input reads (its *blank state*) and how to
write a JSON value as posted pairs (``encode``); the runtime fields in ``forms.fields``
read posted data back.

Blank states (what an input left empty means, unless an ``~e`` hint says otherwise):
``"-"`` absent, ``"0"`` null, ``"+"`` present-but-empty ("", false, [], or an object of
blank members).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, Final

from forms import names, zones

JSON = Any
Pairs = list[tuple[str, Any]]


class _Absent:
    """Marker for a property that is not in the instance."""

    _instance: ClassVar[_Absent | None] = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

ABSENT_STATE = "-"
NULL_STATE = "0"
PRESENT_STATE = "+"
JSON_STATE = "j"  # the posted text is JSON (a value of the wrong type, kept as is)


def dumps(value: JSON) -> str:
    """Canonical compact JSON text of a value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_of(value: JSON) -> str:
    """Return the blank state a value corresponds to."""
    if value is ABSENT:
        return ABSENT_STATE
    if value is None:
        return NULL_STATE
    return PRESENT_STATE


def is_number(value: JSON) -> bool:
    """Tell whether a value is a JSON number (bools are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class Condition:
    """When a conditional field applies: a test on the enclosing object's value."""

    def __init__(self, test: Callable[[dict[str, Any]], bool], describe: dict[str, Any]) -> None:
        self.test = test
        self.describe = describe  # JSON for the browser script (data-tf-when)


class Node:
    """Base of every node: schema text, UI hints and the blank rules."""

    kind: ClassVar[str] = "node"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str) -> None:
        self.schema = schema
        self.ui = ui
        self.path = path
        options: dict[str, Any] = {
            k[3:]: v for k, v in ui.items() if k.startswith("ui:") and k != "ui:options"
        }
        raw_options = ui.get("ui:options")
        if isinstance(raw_options, dict):
            options.update(raw_options)
        self.options = options
        title = options.get("title", schema.get("title"))
        self.title: str | None = str(title) if title is not None else None
        desc = options.get("description", schema.get("description"))
        self.description: str | None = str(desc) if desc is not None else None
        self.help: str | None = str(options["help"]) if "help" in options else None
        self.placeholder: str | None = (
            str(options["placeholder"]) if "placeholder" in options else None
        )
        self.widget: str | None = None  # resolved by the converter
        self.input_type: str = "text"
        self.required = False
        self.nullable = False
        self.null_is_option = False
        self.readonly = bool(schema.get("readOnly")) or bool(options.get("readonly"))
        self.disabled = bool(options.get("disabled"))
        self.autofocus = bool(options.get("autofocus"))
        self.show_label = options.get("label", True) is not False
        self.classnames = str(options.get("classNames", "")) if "classNames" in options else ""
        self.default: JSON = schema.get("default", ABSENT)
        self.key: str | None = None
        self.name_suffix = ""
        self.ptr_suffix = ""
        self.condition: Condition | None = None
        # if/then/else, dependentSchemas or dependentRequired require the value when this holds
        self.required_if: Condition | None = None

    def label_text(self) -> str:
        """Return the label shown to people (title, else the property name)."""
        if self.title is not None:
            return self.title
        return self.key if self.key is not None else ""

    def blank_state(self) -> str:
        """What a blank input means for this node when nothing says otherwise."""
        if self.nullable:
            return NULL_STATE
        return ABSENT_STATE

    def present_empty(self) -> JSON:
        """The value a blank input takes in the present state."""
        return ABSENT

    def accepts(self, value: JSON) -> bool:
        """Tell whether the inputs of this node can carry ``value``."""
        return True

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        """Append the pairs a browser posts for ``value``; return True when blank."""
        raise NotImplementedError


def encode_node(
    node: Node, value: JSON, name: str, out: Pairs, expected: str | None = None
) -> None:
    """Encode ``value`` with ``node`` and add an ``~e`` hint when a blank would misread."""
    if value is ABSENT or (value is None and node.nullable and not node.null_is_option):
        blank = True
    elif not node.accepts(value):
        out.append((names.input_name(name), dumps(value)))
        out.append((names.HINT_KEY, JSON_STATE + name))
        return
    else:
        blank = node.encode(value, name, out)
    if blank:
        state = state_of(value)
        if state != (expected or node.blank_state()):
            out.append((names.HINT_KEY, state + name))


class StringNode(Node):
    """A value posted as one string: blank means null, "" or absent as the schema says."""

    def blank_state(self) -> str:
        if self.nullable:
            return NULL_STATE
        return PRESENT_STATE if self.required else ABSENT_STATE

    def present_empty(self) -> JSON:
        return ""

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, str)

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        out.append((names.input_name(name), value))
        return bool(value == "")


class TextNode(StringNode):
    """A string: text, textarea, password, email, url, date, time, color, hidden inputs."""

    kind = "text"

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, str) and not zones.is_local(self.input_type, value)


class NumberNode(Node):
    """A number or an integer (text input of type number)."""

    kind = "number"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str) -> None:
        super().__init__(schema, ui, path)
        self.integer = False

    def accepts(self, value: JSON) -> bool:
        if isinstance(value, float) and self.integer:
            return value.is_integer()  # 3.0 is an integer to JSON Schema; posted as "3.0"
        if self.integer:
            return isinstance(value, int) and not isinstance(value, bool)
        return is_number(value) and bool(value == value) and abs(value) != float("inf")

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        out.append((names.input_name(name), repr(value)))
        return False


class BooleanNode(Node):
    """A boolean shown as one checkbox: unchecked means false."""

    kind = "boolean"

    def blank_state(self) -> str:
        return PRESENT_STATE

    def present_empty(self) -> JSON:
        return False

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, bool)

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        if value:
            out.append((names.input_name(name), "true"))
        return not value


class ChoiceNode(Node):
    """One value out of a list (enum, const, oneOf of consts): select, radio or hidden."""

    kind = "choice"

    def __init__(
        self,
        schema: dict[str, Any],
        ui: dict[str, Any],
        path: str,
        values: list[JSON],
        labels: list[str],
    ) -> None:
        super().__init__(schema, ui, path)
        self.values = values
        self.labels = labels
        plain = all(isinstance(v, str) for v in values) and "" not in values
        self.tokens = [v if plain else dumps(v) for v in values]
        self.by_token = dict(zip(self.tokens, values, strict=True))
        self.null_is_option = any(v is None for v in values)

    def token_for(self, value: JSON) -> str | None:
        """Return the option token of ``value`` (JSON equality: 1 == 1.0, true != 1)."""
        for token, option in zip(self.tokens, self.values, strict=True):
            if same(option, value):
                return token
        return None

    def accepts(self, value: JSON) -> bool:
        return self.token_for(value) is not None

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        out.append((names.input_name(name), self.token_for(value)))
        return False


def list_blank_state(node: Node) -> str:
    """The blank state of a list-valued node (multi-choices, files): null when nullable,
    an empty list when required, else absent."""
    if node.nullable:
        return NULL_STATE
    return PRESENT_STATE if node.required else ABSENT_STATE


class MultiChoiceNode(ChoiceNode):
    """An array of unique enum values: multi-select or a checkbox group."""

    kind = "multi"

    def blank_state(self) -> str:
        return list_blank_state(self)

    def present_empty(self) -> JSON:
        return []

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, list) and all(self.token_for(v) is not None for v in value)

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        key = names.input_name(name)
        out.extend((key, self.token_for(v)) for v in value)
        return not value


class AnyNode(Node):
    """Any JSON value in a textarea (schemas without a renderable type, recursion limit)."""

    kind = "any"

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        plain = isinstance(value, str) and value != "" and not _looks_json(value)
        text = value if plain else dumps(value)
        out.append((names.input_name(name), text))
        return False


DEFAULT_MAX_FILE = 10 * 1024 * 1024


class FileNode(StringNode):
    """A file kept as a data URL (format data-url / contentMediaType)."""

    kind = "file"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str) -> None:
        super().__init__(schema, ui, path)
        accept = self.options.get("accept")
        media = schema.get("contentMediaType")
        self.accept: str | None = str(accept) if accept else (str(media) if media else None)
        default = DEFAULT_MAX_FILE
        max_length = schema.get("maxLength")
        if isinstance(max_length, int | float) and not isinstance(max_length, bool):
            default = int(max_length) * 3 // 4  # the data URL is base64: 4 chars per 3 bytes
        limit = self.options.get("maxSize", self.options.get("max_size", default))
        self.max_size = int(limit) if is_number(limit) else default


class FilesNode(Node):
    """An array of files (its items a file field): one file input taking several, as RJSF's
    files widget. The value is the list of the files' data URLs (or stored references).

    ``item`` is the items' FileNode, whose limits each file is checked by; the array's own
    ``ui:options`` ``accept`` / ``maxSize`` (where RJSF reads them) take precedence.
    """

    kind = "files"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str, item: FileNode):
        super().__init__(schema, ui, path)
        self.item = item
        self.widget = "files"
        if self.options.get("accept"):
            item.accept = str(self.options["accept"])
        limit: Any = self.options.get("maxSize", self.options.get("max_size"))
        if is_number(limit):
            item.max_size = int(limit)

    def blank_state(self) -> str:
        return list_blank_state(self)

    def present_empty(self) -> JSON:
        return []

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value)

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        key = names.input_name(name)
        out.extend((key, item) for item in value)
        return not value


def _looks_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def same(a: JSON, b: JSON) -> bool:
    """JSON equality: 1 == 1.0 but true != 1, recursively."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if is_number(a) and is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)
