"""Compile-time nodes for structure: objects, arrays, extra-property rows, alternatives."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from forms import names
from forms.i18n import _
from forms.nodes import (
    ABSENT,
    JSON,
    PRESENT_STATE,
    AnyNode,
    Node,
    Pairs,
    encode_node,
)


class ObjectNode(Node):
    """An object: its properties, alternatives (oneOf/anyOf) and extra-property rows."""

    kind = "object"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str) -> None:
        super().__init__(schema, ui, path)
        self.props: dict[str, Node] = {}
        self.members: list[Node] = []  # render order: properties, then alternatives, maps
        self.alts: list[AltNode] = []
        self.maps: list[MapNode] = []
        self.root = False

    def blank_state(self) -> str:
        """The root is always an object; otherwise a blank fieldset is null when nullable."""
        if self.root or (self.required and not self.nullable):
            return PRESENT_STATE
        return super().blank_state()

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, dict)

    def claims(self, value: dict[str, Any]) -> set[str]:
        """Keys of ``value`` that the properties and chosen alternatives take."""
        taken = {k for k in value if k in self.props}
        for alt in self.alts:
            branch = alt.branches[alt.choose(value)]
            if isinstance(branch, ObjectNode):
                taken |= branch.claims(value)
        return taken

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        before = len(out)
        base = value
        conditional = [n for n in self.props.values() if n.condition is not None]
        if conditional:
            base = {
                k: v
                for k, v in value.items()
                if k not in self.props
                or self.props[k].condition is None
                or not blank_value(self.props[k], v)
            }
        for key, node in self.props.items():
            expected = None
            if node.condition is not None and not node.condition.test(base):
                expected = "-"
            encode_node(node, value.get(key, ABSENT), name + node.name_suffix, out, expected)
        for alt in self.alts:
            alt.encode(value, name + alt.name_suffix, out)
        for extra_map, mine in zip(self.maps, self.extras(value), strict=True):
            if mine:
                extra_map.encode(mine, name + extra_map.name_suffix, out)
        return only_hints(out, before)

    def extras(self, value: dict[str, Any]) -> list[dict[str, Any]]:
        """Split the keys no property or alternative takes among the extra-property maps."""
        taken = self.claims(value)
        parts: list[dict[str, Any]] = [{} for _ in self.maps]
        for key, item in value.items():
            if key in taken:
                continue
            for i, extra_map in enumerate(self.maps):
                if extra_map.matches(key):
                    parts[i][key] = item
                    break
        return parts


def only_hints(out: Pairs, start: int) -> bool:
    """Tell whether ``out[start:]`` holds nothing but hints and selectors (a blank post)."""
    for key, value in out[start:]:
        if value != "" and key != names.HINT_KEY and not key.endswith(names.SELECTOR):
            return False
    return True


def blank_value(node: Node, value: JSON) -> bool:
    """Tell whether ``value`` posts as a blank input for ``node``."""
    if value is ABSENT:
        return True
    scratch: Pairs = []
    encode_node(node, value, "", scratch)
    return only_hints(scratch, 0)


class ArrayNode(Node):
    """An array shown as repeatable rows (and fixed leading rows for prefixItems)."""

    kind = "array"

    def __init__(self, schema: dict[str, Any], ui: dict[str, Any], path: str) -> None:
        super().__init__(schema, ui, path)
        self.prefix: list[Node] = []
        self.items: Node | None = None
        self.min_items = int(schema.get("minItems", 0) or 0)
        max_items = schema.get("maxItems")
        self.max_items: int | None = int(max_items) if isinstance(max_items, int) else None
        self.addable = self.options.get("addable", True) is not False
        self.removable = self.options.get("removable", True) is not False
        self.orderable = self.options.get("orderable", True) is not False

    def blank_state(self) -> str:
        if self.nullable:
            return "0"
        return PRESENT_STATE if self.required else "-"

    def present_empty(self) -> JSON:
        return []

    def accepts(self, value: JSON) -> bool:
        return isinstance(value, list)

    def item_node(self, position: int) -> Node:
        """The node for the row at ``position``."""
        if position < len(self.prefix):
            return self.prefix[position]
        return self.items if self.items is not None else self.overflow

    @property
    def overflow(self) -> Node:
        """Rows beyond what the schema allows still carry their JSON (validation rejects)."""
        node = getattr(self, "_overflow", None)
        if node is None:
            node = AnyNode({}, {}, self.path + "/items")
            node.required = True
            self._overflow = node
        return node

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        rows = name + names.ROWS
        for i, item in enumerate(value):
            out.append((rows, str(i)))
            encode_node(self.item_node(i), item, f"{name}/{i}", out)
        return not value


class MapNode(Node):
    """Rows of (name, value) for additionalProperties / patternProperties."""

    kind = "map"

    def __init__(
        self,
        schema: dict[str, Any],
        ui: dict[str, Any],
        path: str,
        index: int,
        value: Node,
        pattern: str | None,
        visible: bool,
    ) -> None:
        super().__init__(schema, ui, path)
        self.index = index
        self.value = value
        self.pattern = pattern
        self.regex = re.compile(pattern) if pattern is not None else None
        self.visible = visible
        self.name_suffix = f"/~m{index}"

    def matches(self, key: str) -> bool:
        """Tell whether this map takes the extra property ``key``."""
        return self.regex is None or self.regex.search(key) is not None

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        base = name[: -len(self.name_suffix)]
        for j, (key, item) in enumerate(value.items()):
            out.append((name, str(j)))
            out.append((f"{base}/~k{self.index}.{j}", key))
            if key == "":
                out.append((names.HINT_KEY, f"+{base}/~k{self.index}.{j}"))
            encode_node(self.value, item, f"{base}/~v{self.index}.{j}", out)
        return not value


class AltNode(Node):
    """oneOf/anyOf alternatives: a selector and the chosen alternative's inputs.

    ``titles`` holds each alternative's own label, None where RJSF numbers it instead
    ("Option 2", or "<title> option 2" when the schema around the alternatives has a
    ``title``: ``option_title``). ``owner`` is the object whose properties the alternatives
    extend (object alternatives), which names the selector for assistive technology.
    """

    kind = "alt"

    def __init__(
        self,
        schema: dict[str, Any],
        ui: dict[str, Any],
        path: str,
        branches: list[Node],
        titles: list[str | None],
        tests: list[Callable[[JSON], bool]],
        merge: bool,
        index: int,
    ) -> None:
        super().__init__(schema, ui, path)
        self.branches = branches
        self.titles = titles
        self.tests = tests
        self.merge = merge
        self.index = index
        self.option_title: str | None = self.title
        self.owner: ObjectNode | None = None
        self.name_suffix = f"/~a{index}" if merge else ""
        for i, branch in enumerate(branches):
            branch.name_suffix = f"/~b{i}"

    @property
    def labels(self) -> list[str]:
        """The selector's option labels, in the current locale."""
        return [self.option_label(i) for i in range(len(self.titles))]

    def option_label(self, index: int) -> str:
        """The label of one alternative: its title, else its number (RJSF's wording)."""
        title = self.titles[index]
        if title is not None:
            return title
        if self.option_title:
            return _("%(title)s option %(num)d", title=self.option_title, num=index + 1)
        return _("Option %(num)d", num=index + 1)

    def selector_name(self) -> str:
        """What the selector is called for assistive technology (it shows no label)."""
        owner = self.owner.label_text() if self.owner is not None else ""
        return self.title or self.label_text() or self.option_title or owner or _("Options")

    def choose(self, value: JSON) -> int:
        """Index of the alternative that ``value`` belongs to."""
        if value is ABSENT:
            return 0
        valid = [i for i, test in enumerate(self.tests) if test(value)]
        if not valid:
            valid = [i for i, branch in enumerate(self.branches) if branch.accepts(value)]
        if not valid:
            return 0
        if isinstance(value, dict) and len(valid) > 1:
            # several alternatives accept the object: take the one that names most of its keys
            return max(valid, key=lambda i: (self._overlap(i, value), -i))
        return valid[0]

    def _overlap(self, index: int, value: dict[str, Any]) -> int:
        branch = self.branches[index]
        if not isinstance(branch, ObjectNode):
            return 0
        return sum(1 for key in value if key in branch.props)

    def blank_state(self) -> str:
        return self.branches[0].blank_state() if self.branches else "-"

    def accepts(self, value: JSON) -> bool:
        return any(b.accepts(value) for b in self.branches)

    def encode(self, value: JSON, name: str, out: Pairs) -> bool:
        chosen = self.choose(value)
        branch = self.branches[chosen]
        out.append((name + names.SELECTOR, str(chosen)))
        before = len(out)
        if self.merge:
            assert isinstance(branch, ObjectNode)
            sub = {k: v for k, v in value.items() if k in branch.claims(value)}
            branch.encode(sub, name + branch.name_suffix, out)
        else:
            encode_node(branch, value, name + branch.name_suffix, out)
        return only_hints(out, before)


def node_at(root: Node, pointer: str) -> Node | None:
    """The node that describes the value at a JSON pointer of an instance, or None.

    Without the instance no alternative can be chosen: the first one that describes the
    rest of the pointer answers.
    """
    tokens = [names.unescape_token(token) for token in pointer.split("/")[1:]]
    return _descend(root, tokens)


def _descend(node: Node, tokens: list[str]) -> Node | None:
    if isinstance(node, AltNode) and not node.merge and tokens:
        for branch in node.branches:
            found = _descend(branch, tokens)
            if found is not None:
                return found
        return None
    if not tokens:
        return node
    child = _child(node, tokens[0])
    return _descend(child, tokens[1:]) if child is not None else None


def _child(node: Node, key: str) -> Node | None:
    """The node of one member of an object (property, alternative's property, extra) or row."""
    if isinstance(node, ArrayNode):
        return node.item_node(int(key)) if key.isdigit() else None
    if not isinstance(node, ObjectNode):
        return None
    if key in node.props:
        return node.props[key]
    for alt in node.alts:
        for branch in alt.branches:
            found = _child(branch, key) if isinstance(branch, ObjectNode) else None
            if found is not None:
                return found
    for extra in node.maps:
        if extra.matches(key):
            return extra.value
    return None
