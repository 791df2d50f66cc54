"""What the react-jsonschema-form playground accepts, read the way the definition checks read it.

The playground validates with ajv in draft-07 unless a document declares otherwise, fills
absent values from their `default` before it validates, and shows an example that does not
fit as errors on the form instead of refusing it. So:

- A schema is checked in the dialect it declares (`$schema`); a schema without `$schema`
  that uses draft-07's own spellings (`items` as an array, `additionalItems`,
  `dependencies`) is checked as draft-07, any other as 2020-12. The form compiler decides
  the same way (`forms.schema.is_draft7`, `forms.schema.upgrade`): `dialect` asks it.
- An example (`formData`) is checked with its absent values filled from their defaults
  (`form_data`), by the compiled form's own validator (the one ticket submissions meet);
  what it breaks is a warning (`example_warnings`), kept beside the checked definition.
- A template whose schema's root is not an object is refused with what to write instead
  (`root_errors`): a ticket's data is an object.

`form_data` walks the compiled form (its nodes: `$ref`s resolved, `allOf` merged, draft-07
upgraded), so defaults are read where the form reads them (`Node.default`).
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Resource
from referencing.jsonschema import DRAFT202012

from app.definitions.checked import Errors
from forms import ABSENT, TesseraForm, instance_errors
from forms.composites import AltNode, ArrayNode, MapNode, ObjectNode
from forms.fields import JsonField
from forms.nodes import JSON, Node
from forms.schema import is_draft7, upgrade

DIALECT_NAMES: dict[type[Validator], str] = {
    Draft4Validator: "draft-04",
    Draft6Validator: "draft-06",
    Draft7Validator: "draft-07",
    Draft201909Validator: "2019-09",
    Draft202012Validator: "2020-12",
}

OLDER = (Draft4Validator, Draft6Validator, Draft7Validator)  # the drafts `upgrade` rewrites
EXAMPLE = "/formData"


def dialect(schema: Any) -> type[Validator]:
    """The validator class of the dialect `schema` is written in (see the module's rule)."""
    if isinstance(schema, dict) and "$schema" in schema:
        declared = schema["$schema"]
        fallback = Draft7Validator if is_draft7(schema) else Draft202012Validator
        if not isinstance(declared, str):
            return fallback  # its meta-schema then says what `$schema` must be
        found: type[Validator] = validator_for(schema, default=fallback)
        return found
    return Draft7Validator if upgrade(schema) is not schema else Draft202012Validator


def dialect_name(cls: type[Validator]) -> str:
    """How messages name a dialect ("draft-07", "2020-12")."""
    return DIALECT_NAMES.get(cls, str(cls.ID_OF(cls.META_SCHEMA)))


def reference_resource(schema: Any) -> Resource[Any]:
    """The resource `$ref`s of `schema` resolve in, as the form compiler resolves them: an
    older draft's spellings upgraded (`forms.schema.upgrade`) and read as 2020-12.

    (Read as draft-07, `referencing` would take the lists of `dependencies` and a tuple's
    `items` for schemas.) References are the same strings either way.
    """
    if dialect(schema) in OLDER:
        return DRAFT202012.create_resource(upgrade(schema))
    return Resource.from_contents(schema, default_specification=DRAFT202012)


def root_errors(schema: Any) -> Errors:
    """A template schema whose root declares another type than object, refused with the fix."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind is None or kind == "object":
        return {}
    message = _(
        "The root of a template's schema must describe an object: a ticket's data is an "
        'object, and this schema has "type": %(type)s. Put it under one property instead, '
        '{"type": "object", "properties": {"value": <this schema>}}, and move its uiSchema '
        'and formData under "value" too.',
        type=json.dumps(kind, ensure_ascii=False),
    )
    return {"/schema/type": [message]}


def fields_of(form_class: type[TesseraForm]) -> list[Node]:
    """The nodes of a compiled form's top-level fields (the root object's members)."""
    form = form_class(formdata=None, meta={"csrf": False})
    return [field.node for field in form if isinstance(field, JsonField)]


def form_data(form_class: type[TesseraForm], example: JSON, rows: bool = False) -> JSON:
    """`example` with what RJSF's formData adds: defaults wherever it has no value.

    As RJSF fills it: an absent property takes its `default`; an absent object is filled
    when that gives it any value or it is required; values the example has are kept as
    written, inside arrays and extra properties too. With `rows`, an array short of its
    `minItems` gets blank rows up to it (`forms.ABSENT`, shown blank, where RJSF's hold
    `undefined`): what the playground shows, not what it validates.
    """
    members = fields_of(form_class)
    filled = _members(members, example if isinstance(example, dict) else {}, rows)
    return filled if isinstance(example, dict) or example is None else example


def _members(members: list[Node], value: dict[str, Any], rows: bool) -> dict[str, Any]:
    out = dict(value)
    for member in members:
        if member.key is not None:
            if member.condition is not None and not member.condition.test(out):
                continue
            filled = _filled(member, out.get(member.key, ABSENT), rows)
            if filled is not ABSENT:
                out[member.key] = filled
        elif isinstance(member, AltNode) and member.merge:
            branch = member.branches[member.choose(out)] if member.branches else None
            if isinstance(branch, ObjectNode):
                out = _members(branch.members, out, rows)
        elif isinstance(member, MapNode):
            for key, item in list(out.items()):
                if key not in value or not member.matches(key):
                    continue
                out[key] = _filled(member.value, item, rows)
    return out


def _filled(node: Node, value: JSON, rows: bool) -> JSON:
    """One value as RJSF fills it (ABSENT when it stays absent)."""
    if value is ABSENT:
        value = node.default
    if isinstance(node, AltNode) and not node.merge and node.branches:
        return _filled(node.branches[node.choose(value)], value, rows)
    if isinstance(node, ObjectNode):
        if value is ABSENT:
            filled = _members(node.members, {}, rows)
            return filled if filled or node.required else ABSENT
        return _members(node.members, value, rows) if isinstance(value, dict) else value
    if isinstance(node, ArrayNode):
        if value is ABSENT and not (rows and node.min_items):
            return ABSENT
        if value is not ABSENT and not isinstance(value, list):
            return value
        items: list[JSON] = list(value) if isinstance(value, list) else []
        if rows:
            items += [ABSENT] * (node.min_items - len(items))
        return [_filled(node.item_node(i), item, rows) for i, item in enumerate(items)]
    return value


def example_warnings(form_class: type[TesseraForm], example: JSON) -> Errors:
    """Where an example, its defaults filled in, does not fit the form: {pointer: messages}.

    Warnings, not errors: the playground shows such an example with its errors (samples that
    demonstrate error messages, `{}` against a `oneOf`), and so does the preview.
    """
    if example is None:
        return {}
    return instance_errors(form_class, form_data(form_class, example), base=EXAMPLE)
