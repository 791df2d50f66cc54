"""Runtime fields for structure: objects, array rows, extra-property rows, alternatives, and
the multiple file input of an array of files."""

from __future__ import annotations

from typing import Any

from forms import names
from forms.codec import read_upload
from forms.composites import AltNode, ArrayNode, MapNode, ObjectNode
from forms.fields import FormData, Hints, JsonField, ScalarField
from forms.i18n import _
from forms.nodes import (
    ABSENT,
    JSON,
    NULL_STATE,
    PRESENT_STATE,
    FilesNode,
    Node,
    TextNode,
    same,
)


def make_field(node: Node, name: str, pointer: str, form: Any) -> JsonField:
    """Build the runtime field for ``node``."""
    cls = FIELD_CLASSES.get(node.kind, ScalarField)
    return cls(node, name, pointer, _form=form, _meta=form.meta)


def member_fields(node: ObjectNode, name: str, pointer: str, form: Any) -> list[JsonField]:
    """Fields for the members of an object whose inputs are named from ``name``."""
    out: list[JsonField] = []
    for member in node.members:
        out.append(make_field(member, name + member.name_suffix, pointer + member.ptr_suffix, form))
    return out


def assemble(node: ObjectNode, members: list[JsonField], hints: Hints) -> dict[str, Any]:
    """Build an object's value from its member fields (conditional blanks dropped)."""
    out: dict[str, Any] = {}
    pending: list[JsonField] = []
    for field in members:
        member = field.node
        if member.key is not None:
            if field.blank and member.condition is not None and field.name not in hints:
                pending.append(field)
            elif field.value is not ABSENT:
                out[member.key] = field.value
        elif isinstance(field.value, dict):
            out.update(field.value)
    for field in pending:
        condition = field.node.condition
        assert condition is not None and field.node.key is not None
        if field.value is not ABSENT and condition.test(out):
            out[field.node.key] = field.value
    return out


class ObjectField(JsonField):
    """A nested object: a fieldset of member fields."""

    node: ObjectNode

    def __init__(self, node: ObjectNode, name: str, pointer: str | None = None, **kw: Any):
        super().__init__(node, name, pointer, **kw)
        self.members = member_fields(node, self.name, self.pointer, self._form)

    def children(self) -> list[JsonField]:
        return self.members

    def decode(self, formdata: FormData, hints: Hints) -> None:
        blank = True
        for field in self.members:
            field.read(formdata, hints)
            blank = blank and field.blank
        self.blank = blank
        if blank:
            state = hints.get(self.name) if hints else None
            state = state or self.node.blank_state()
            if state != PRESENT_STATE:
                self.value = None if state == NULL_STATE else ABSENT
                return
        self.value = assemble(self.node, self.members, hints)

    def load(self, value: JSON) -> None:
        super().load(value)
        load_members(self.node, self.members, self.value)


def load_members(node: ObjectNode, members: list[JsonField], value: JSON) -> None:
    """Give each member field its part of an object value."""
    source = value if isinstance(value, dict) else {}
    extras = iter(node.extras(source)) if node.maps else iter(())
    for field in members:
        member = field.node
        if member.key is not None:
            field.load(source.get(member.key, ABSENT))
        elif isinstance(member, MapNode):
            field.load(next(extras, {}))
        else:
            field.load(source)


class ArrayField(JsonField):
    """Repeatable rows; each row is a field named ``<name>/<row key>``."""

    node: ArrayNode

    def __init__(self, node: ArrayNode, name: str, pointer: str | None = None, **kw: Any):
        super().__init__(node, name, pointer, **kw)
        self.rows: list[JsonField] = []

    def children(self) -> list[JsonField]:
        return self.rows

    def row(self, position: int, key: str) -> JsonField:
        """Build the field of one row."""
        node = self.node.item_node(position)
        field = make_field(node, f"{self.name}/{key}", f"{self.pointer}/{position}", self._form)
        if node.title is None:  # RJSF's ArrayField: "<array title>-<n>"
            field.label.text = f"{self.label.text or 'Item'}-{position + 1}"
        return field

    def decode(self, formdata: FormData, hints: Hints) -> None:
        posted = [(k, False) for k in formdata.getlist(self.name + names.ROWS)]
        posted += [(k, True) for k in formdata.getlist(self.name + names.SPARE)]
        rows: list[tuple[JsonField, str]] = []
        seen: set[str] = set()
        for key, spare in posted:
            if not isinstance(key, str) or not key.isdigit() or key in seen:
                continue
            seen.add(key)
            field = self.row(len(rows), key)
            field.read(formdata, hints)
            if spare and as_rendered(field, self.spare(len(rows), key)):
                continue  # the no-JavaScript spare row, left as it was: no item
            rows.append((field, key))
        if self._untouched(rows):
            rows = []  # an optional array's minItems rows, left as rendered: no array
        self.rows = []
        values = []
        for field, _key in rows:
            if field.value is ABSENT and not field.process_errors:
                field.fail("This field is required.")
            self.rows.append(field)
            values.append(None if field.value is ABSENT else field.value)
        self.blank = not self.rows
        self.value = self.blank_value(hints) if self.blank else values

    def _untouched(self, rows: list[tuple[JsonField, str]]) -> bool:
        """Whether posted rows are the blank rows an optional array starts with (``minItems``
        of them, as RJSF starts it) and were left as rendered."""
        node = self.node
        if node.required or not rows or len(rows) > node.min_items:
            return False
        return all(as_rendered(f, self.spare(i, k)) for i, (f, k) in enumerate(rows))

    def spare(self, position: int, key: str) -> JsonField:
        """The blank row rendered after the rows for browsers without JavaScript."""
        field = self.row(position, key)
        field.load(ABSENT)
        return field

    def load(self, value: JSON) -> None:
        super().load(value)
        self.rows = []
        if isinstance(self.value, list):
            for position, item in enumerate(self.value):
                field = self.row(position, str(position))
                field.load(item)
                self.rows.append(field)


def as_rendered(row: JsonField, shown: JsonField) -> bool:
    """Tell whether a posted row is as ``shown`` rendered it: blank, or only its defaults.

    Inputs that post a value nobody typed (a const, a read-only or disabled field, an
    alternative left at its first choice) do not count as filled in.
    """
    before = {f.name: f for f in shown.walk()}
    for field in row.walk():
        old = before.get(field.name)
        if isinstance(field, AltField):
            if field.selected != (old.selected if isinstance(old, AltField) else 0):
                return False
        elif isinstance(field, ScalarField) and not _unchanged(field, old):
            return False
    return True


def _unchanged(field: ScalarField, old: JsonField | None) -> bool:
    node = field.node
    if field.blank or node.widget == "const" or node.readonly or node.disabled:
        return True
    return old is not None and old.value is not ABSENT and same(field.value, old.value)


class MapField(JsonField):
    """Rows of (name, value) pairs for extra properties; its value merges into the object."""

    node: MapNode

    def __init__(self, node: MapNode, name: str, pointer: str | None = None, **kw: Any):
        super().__init__(node, name, pointer, **kw)
        self.base = self.name[: -len(node.name_suffix)]
        self.label.text = ""  # RJSF names no group for extra properties
        self.rows: list[tuple[ScalarField, JsonField]] = []

    def children(self) -> list[JsonField]:
        return [f for pair in self.rows for f in pair]

    def row(self, key: str, prop: str) -> tuple[ScalarField, JsonField]:
        """Build the key field and the value field of one row."""
        index = self.node.index
        key_node = _KEY_NODE
        key_field = ScalarField(
            key_node,
            f"{self.base}/~k{index}.{key}",
            self.pointer,
            _form=self._form,
            _meta=self._form.meta,
        )
        value_field = make_field(
            self.node.value,
            f"{self.base}/~v{index}.{key}",
            names.join(self.pointer, prop),
            self._form,
        )
        return key_field, value_field

    def decode(self, formdata: FormData, hints: Hints) -> None:
        self.rows = []
        out: dict[str, Any] = {}
        for key in dict.fromkeys(formdata.getlist(self.name)):
            prop = formdata.get(f"{self.base}/~k{self.node.index}.{key}", "")
            key_field, value_field = self.row(key, prop if isinstance(prop, str) else "")
            key_field.read(formdata, hints)
            value_field.read(formdata, hints)
            self.rows.append((key_field, value_field))
            if key_field.blank and value_field.blank and key_field.name not in hints:
                continue
            if key_field.process_errors:  # a name that cannot be read names no member
                continue
            if value_field.blank and value_field.name not in hints:
                # a named member left blank is there, empty (RJSF keeps "" under its key)
                value_field.read(formdata, {**hints, value_field.name: PRESENT_STATE})
            member = key_field.value if isinstance(key_field.value, str) else ""
            if member in out:
                key_field.fail(_("This name is used twice."))
            if value_field.value is not ABSENT:
                out[member] = value_field.value
        self.blank = not out
        self.value = out

    def load(self, value: JSON) -> None:
        self.rows = []
        self.value = value if isinstance(value, dict) else {}
        self.blank = not self.value
        for j, (prop, item) in enumerate(self.value.items()):
            key_field, value_field = self.row(str(j), prop)
            key_field.load(prop)
            value_field.load(item)
            self.rows.append((key_field, value_field))


_KEY_NODE = TextNode({"type": "string"}, {}, "#/propertyNames")  # blank: the name ""


class AltField(JsonField):
    """A oneOf/anyOf selector and one field per alternative."""

    node: AltNode

    def __init__(self, node: AltNode, name: str, pointer: str | None = None, **kw: Any):
        super().__init__(node, name, pointer, **kw)
        self.branches = [
            make_field(b, self.name + b.name_suffix, self.pointer, self._form)
            for b in node.branches
        ]
        for branch, label in zip(self.branches, node.labels, strict=True):
            branch.label.text = label
        self.selected = 0

    def children(self) -> list[JsonField]:
        return self.branches

    def decode(self, formdata: FormData, hints: Hints) -> None:
        raw = formdata.get(self.name + names.SELECTOR, "0")
        self.selected = int(raw) if isinstance(raw, str) and raw.isdigit() else 0
        if self.selected >= len(self.branches):
            self.selected = 0
        branch = self.branches[self.selected]
        branch.read(formdata, hints)
        self.blank = branch.blank
        self.value = branch.value
        if branch.process_errors:
            self.value = ABSENT
        elif self.blank and self.name in hints:
            self.value = branch.blank_value({branch.name: hints[self.name]})

    def load(self, value: JSON) -> None:
        super().load(value)
        self.selected = self.node.choose(self.value) if self.value is not ABSENT else 0
        for i, branch in enumerate(self.branches):
            if i == self.selected:
                branch.load(self.value)
            else:
                branch.load(ABSENT)


class FilesField(ScalarField):
    """A multiple file input: the files kept (posted back as their values), then new uploads.

    Its value is the list of the files' strings: those the form rendered (references or data
    URLs, in their order, less any the person removed) followed by the chosen files, each
    read into a data URL within the items' size limit.
    """

    node: FilesNode

    def decode(self, formdata: FormData, hints: Hints) -> None:
        key = names.input_name(self.name)
        posted = formdata.getlist(key) if key in formdata else []
        values = [item for item in posted if isinstance(item, str) and item]
        for upload in posted:
            if isinstance(upload, str) or not getattr(upload, "filename", None):
                continue  # kept values above; an empty upload is no file chosen
            try:
                values.append(read_upload(upload, self.node.item.max_size))
            except ValueError as exc:
                self.raw = values
                self.blank = False
                self.fail(str(exc.args[0]))
                return
        self.raw = values
        self.blank = not values
        self.value = values if values else self.blank_value(hints)

    def refuse(self, value: str, message: str) -> None:
        """Fail with ``message`` and stop offering ``value`` (a file refused) as kept."""
        self.raw = [item for item in self.raw if item != value]
        self.fail(message)


FIELD_CLASSES: dict[str, type[JsonField]] = {
    "object": ObjectField,
    "array": ArrayField,
    "map": MapField,
    "alt": AltField,
    "files": FilesField,
}
