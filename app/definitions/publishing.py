"""What a template must have before it is published: everything a new ticket needs.

A draft may be incomplete; publishing refuses, each at its pointer:

- `settings.default_department` missing, or naming no department (new tickets go there);
- `settings.workflow` naming a workflow without a published version (new tickets follow it;
  a template naming none follows the built-in default workflow);
- `settings.subject` or a `settings.list_columns` entry pointing at no property.

`required_errors` lives here too, since it shares what a property "can have" with the settings
checks, but it runs on every save (`kinds.check_template`, `kinds.check_field`): a `required`
name that no property of its object can have is refused even in a draft, whose preview would
otherwise show a field for it that the schema never describes.

"Can have" is decided conservatively, so only certain mistakes are refused: a name counts when
`properties` of any schema applying to the same value declare it (the object's own, its
allOf/anyOf/oneOf/if/then/else/not/dependentSchemas subschemas and the object those sit in),
when a `patternProperties` regex matches it, when `additionalProperties` or
`unevaluatedProperties` is anything but `false`, and anywhere a `$ref` could bring properties in.
A `required` under `if` or `not` only tests whether a property is there, so it is never refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from flask_babel import gettext as _

from app.definitions.checked import Checked, Errors, PublishLookups
from app.definitions.schema_checks import field_ref
from app.models import DefinitionStatus
from app.pointers import pointer, tokens

# Subschemas that apply to the same value as their parent; draft-07's `dependencies` holds
# dependentSchemas (its list values, dependentRequired, are no schemas and are skipped), and
# its `items` may be a list (a tuple: 2020-12's prefixItems) followed by `additionalItems`.
IN_PLACE = (
    "allOf", "anyOf", "oneOf", "if", "then", "else", "not", "dependentSchemas", "dependencies"
)
CONDITIONS = frozenset({"if", "not"})  # a `required` in there demands nothing
_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAPS = frozenset({"dependentSchemas", "dependencies", "properties", "patternProperties"})
_OPEN = ("additionalProperties", "unevaluatedProperties")


class _At(NamedTuple):
    """One schema applying to a value, where it is in the resolved schema, and whether its
    `required` demands (False under a condition, and for schemas consulted for names only)."""

    node: dict[str, Any]
    path: list[Any]
    demands: bool


Location = list[_At]
"""Every schema applying to one value of the ticket data (an object, an array item, ...)."""


def _subschemas(node: dict[str, Any], keywords: Iterable[str]) -> Iterator[tuple[Any, list[Any]]]:
    for keyword in keywords:
        value = node.get(keyword)
        if keyword in _LISTS or isinstance(value, list):
            found: Iterable[tuple[Any, Any]] = enumerate(value) if isinstance(value, list) else ()
        elif keyword in _MAPS:
            found = value.items() if isinstance(value, dict) else ()
        else:
            found = ((None, value),)
        for name, sub in found:
            if isinstance(sub, dict):
                yield sub, [keyword] if name is None else [keyword, name]


def _closure(starts: Iterable[_At]) -> Location:
    """The schemas at `starts` and every subschema applying in place to the same value."""
    location: Location = []

    def visit(at: _At) -> None:
        location.append(at)
        for sub, rel in _subschemas(at.node, IN_PLACE):
            visit(_At(sub, [*at.path, *rel], at.demands and rel[0] not in CONDITIONS))

    for at in starts:
        visit(at)
    return location


def _declared(node: dict[str, Any]) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _matches(regex: str, name: str) -> bool:
    try:
        return re.search(regex, name) is not None
    except re.error:
        return True  # cannot tell: assume it may


def _referenced(location: Location) -> bool:
    """Whether a `$ref` applies here: what it points at may declare anything, here and below."""
    return any("$ref" in at.node or "$dynamicRef" in at.node for at in location)


def _may_have(location: Location, name: str) -> bool:
    """Whether the object here could have a property `name` that its schema describes."""
    for at in location:
        if name in _declared(at.node):
            return True
        if any(at.node.get(keyword, False) is not False for keyword in _OPEN):
            return True
        patterns = at.node.get("patternProperties")
        if isinstance(patterns, dict) and any(_matches(p, name) for p in patterns):
            return True
    return False


def _property(location: Location, name: str) -> Location:
    """The schemas applying to the value of the property `name` of the object here."""
    starts: list[_At] = []
    for at in location:
        sub = _declared(at.node).get(name)
        if isinstance(sub, dict):
            starts.append(_At(sub, [*at.path, "properties", name], at.demands))
        patterns = at.node.get("patternProperties")
        for regex, sub in patterns.items() if isinstance(patterns, dict) else ():
            if isinstance(sub, dict) and _matches(regex, name):
                starts.append(_At(sub, [*at.path, "patternProperties", regex], False))
        for keyword in _OPEN:
            sub = at.node.get(keyword)
            if isinstance(sub, dict):
                starts.append(_At(sub, [*at.path, keyword], False))
    return _closure(starts)


def _items(location: Location) -> Location:
    """The schemas applying to the items of the array here (any item: conservative)."""
    starts: list[_At] = []
    for at in location:
        for sub, rel in _subschemas(at.node, ("items", "prefixItems", "additionalItems")):
            starts.append(_At(sub, [*at.path, *rel], at.demands))
        for sub, rel in _subschemas(at.node, ("contains", "unevaluatedItems")):
            starts.append(_At(sub, [*at.path, *rel], False))
    return _closure(starts)


def _not_an_object(location: Location) -> bool:
    for at in location:
        kind = at.node.get("type")
        if isinstance(kind, str) and kind != "object":
            return True
        if isinstance(kind, list) and "object" not in kind:
            return True
    return False


def _undeclared(location: Location) -> Iterator[tuple[_At, int, str]]:
    """(schema, index, name) of every `required` name no property here can have."""
    if _referenced(location):
        return
    if not _not_an_object(location):
        for at in location:
            names = at.node.get("required")
            if not at.demands or not isinstance(names, list):
                continue
            for index, name in enumerate(names):
                if isinstance(name, str) and not _may_have(location, name):
                    yield at, index, name
    names = dict.fromkeys(name for at in location for name in _declared(at.node))
    for name in names:
        yield from _undeclared(_property(location, name))
    items = _items(location)
    if items:
        yield from _undeclared(items)


def _written_at(body_schema: Any, path: list[Any]) -> tuple[list[Any], str | None, Any]:
    """Where a path of the resolved schema is written in the body's schema.

    (the path, None, the node) when the body has it; (the path of the `field:` reference, the
    field's key, the reference node) when it comes from a library field.
    """
    node = body_schema
    for depth, part in enumerate(path):
        key = field_ref(node)
        if key is not None:
            return path[:depth], key, node
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return path[:depth], None, node
    return path, field_ref(node), node


def required_errors(body_schema: Any, resolved: dict[str, Any]) -> Errors:
    """`required` names no property of their object can have, at their pointer in the body."""
    errors: Errors = {}
    for at, index, name in _undeclared(_closure([_At(resolved, [], True)])):
        path, key, node = _written_at(body_schema, at.path)
        if key is None or (path == at.path and "required" in node):
            where = "/schema" + pointer([*at.path, "required", index])
            message = _(
                "Requires %(name)s, which this object never declares as a property.",
                name=repr(name),
            )
        else:
            where = "/schema" + pointer([*path, "$ref"])
            message = _(
                "The library field %(field)s requires %(name)s, which it never declares as a "
                "property.",
                field=repr(key), name=repr(name),
            )
        errors.setdefault(where, []).append(message)
    return errors


def _reaches(location: Location, where: str) -> bool:
    """Whether a JSON pointer ("/contact/email") or top-level name can name a property."""
    for token in tokens(where) if where.startswith("/") else [where]:
        if _referenced(location):
            return True
        if not _may_have(location, token):
            items = _items(location) if token.isdigit() else []
            if not items:
                return False
            location = items
            continue
        location = _property(location, token)
        if not location:  # declared as `true`, or only by additionalProperties: true
            return True
    return True


SettingsCheck = Callable[[dict[str, Any], Location, PublishLookups], Errors]


def _default_department(
    settings: dict[str, Any], form: Location, lookups: PublishLookups
) -> Errors:
    key = settings.get("default_department")
    if not isinstance(key, str) or not key:
        message = _("Name the department new tickets of this template go to (its key).")
    elif not lookups.department(key):
        message = _("There is no department %(key)s.", key=repr(key))
    else:
        return {}
    return {"/settings/default_department": [message]}


def _subject(settings: dict[str, Any], form: Location, lookups: PublishLookups) -> Errors:
    where = settings.get("subject")
    if not isinstance(where, str) or not where or _reaches(form, where):
        return {}
    return {"/settings/subject": [_("%(where)s names no property of the form.", where=repr(where))]}


def _list_columns(settings: dict[str, Any], form: Location, lookups: PublishLookups) -> Errors:
    columns = settings.get("list_columns")
    return {
        f"/settings/list_columns/{index}": [
            _("%(where)s names no property of the form.", where=repr(column))
        ]
        for index, column in enumerate(columns if isinstance(columns, list) else [])
        if isinstance(column, str) and column and not _reaches(form, column)
    }


def _workflow(settings: dict[str, Any], form: Location, lookups: PublishLookups) -> Errors:
    key = settings.get("workflow")
    if not isinstance(key, str) or not key:
        return {}  # no workflow named: tickets follow the built-in default
    status = lookups.workflow(key)
    if status == DefinitionStatus.PUBLISHED.value:
        return {}
    if status is None:
        message = _("There is no workflow %(key)s.", key=repr(key))
    else:
        message = _(
            "The workflow %(key)s has no published version (its newest is %(status)s): "
            "publish it first.",
            key=repr(key), status=status,
        )
    return {"/settings/workflow": [message]}


# One check per setting a published template depends on.
SETTINGS_CHECKS: dict[str, SettingsCheck] = {
    "default_department": _default_department,
    "workflow": _workflow,
    "subject": _subject,
    "list_columns": _list_columns,
}


def template_publish_errors(checked: Checked, lookups: PublishLookups) -> Errors:
    """Everything a checked template still lacks to take tickets, at its pointers."""
    settings = checked.body.get("settings")
    settings = settings if isinstance(settings, dict) else {}
    form = _closure([_At(checked.schema, [], True)])
    errors: Errors = {}
    for check in SETTINGS_CHECKS.values():
        errors.update(check(settings, form, lookups))
    return errors
