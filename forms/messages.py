"""jsonschema errors → JSON pointers and sentences a person would write.

A field's uiSchema may say what to write instead (``ui:errorMessages``): an object keyed by
the JSON Schema keyword that failed (``{"pattern": "Enter the 4-digit store number"}``), or
one string for every keyword of that field. Those messages are shown as written; the
defaults below go through gettext.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from forms.composites import node_at
from forms.i18n import _, ngettext
from forms.names import join, pointer_of
from forms.nodes import Node, dumps

Errors = dict[str, list[str]]

# Keywords whose uiSchema message is also taken from another keyword's entry.
_FALLBACK_KEYWORDS = {"dependentRequired": "required"}


def _type_names() -> dict[str, str]:
    return {
        "string": _("text"),
        "integer": _("a whole number"),
        "number": _("a number"),
        "boolean": _("true or false"),
        "object": _("a group of fields"),
        "array": _("a list"),
        "null": _("empty"),
    }


def _formats() -> dict[str, str]:
    email, url = _("Not a valid email address."), _("Not a valid URL.")
    return {
        "email": email,
        "idn-email": email,
        "uri": url,
        "iri": url,
        "uri-reference": url,
        "date": _("Not a valid date (YYYY-MM-DD)."),
        "date-time": _("Not a valid date and time."),
        "time": _("Not a valid time (hh:mm:ss with a time zone)."),
        "ipv4": _("Not a valid IPv4 address."),
        "ipv6": _("Not a valid IPv6 address."),
        "hostname": _("Not a valid host name."),
        "uuid": _("Not a valid UUID."),
        "regex": _("Not a valid regular expression."),
        "color": _("Not a valid colour."),
        "duration": _("Not a valid duration."),
    }


def show(value: Any) -> str:
    """A value as people read it: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else dumps(value)


def _count(value: Any) -> int:
    """The number ngettext chooses the plural form by (2, "many", when it is no integer)."""
    integral = isinstance(value, int | float) and not isinstance(value, bool)
    return int(value) if integral and float(value).is_integer() else 2


def _type(e: ValidationError) -> str:
    wanted = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
    names = _type_names()
    words = [names.get(str(t), str(t)) for t in wanted]
    return _("Must be %(types)s.", types=_(" or ").join(words))


def _format(e: ValidationError) -> str:
    fmt = str(e.validator_value)
    return _formats().get(fmt) or _("Not a valid %(format)s.", format=fmt)


def _enum(e: ValidationError) -> str:
    options = e.validator_value if isinstance(e.validator_value, list) else []
    return _("Must be one of: %(options)s.", options=", ".join(show(v) for v in options))


def _counted(singular: str, plural: str) -> Callable[[ValidationError], str]:
    """A message about a number of things (characters, items...), in its plural form."""

    def render(e: ValidationError) -> str:
        n = e.validator_value
        return ngettext(singular, plural, _count(n), count=show(n))

    return render


def _bound(text: str) -> Callable[[ValidationError], str]:
    """A message that names the keyword's value."""
    return lambda e: _(text, value=show(e.validator_value))


def _fixed(text: str) -> Callable[[ValidationError], str]:
    """A message that is the same whatever the keyword's value."""
    return lambda e: _(text)


MESSAGES: dict[str, Callable[[ValidationError], str]] = {
    "type": _type,
    "format": _format,
    "enum": _enum,
    "const": _bound("Must be %(value)s."),
    "minLength": _counted(
        "Must be at least %(count)s character.", "Must be at least %(count)s characters."
    ),
    "maxLength": _counted(
        "Must be at most %(count)s character.", "Must be at most %(count)s characters."
    ),
    "pattern": _bound("Must match the pattern %(value)s."),
    "minimum": _bound("Must be at least %(value)s."),
    "maximum": _bound("Must be at most %(value)s."),
    "exclusiveMinimum": _bound("Must be greater than %(value)s."),
    "exclusiveMaximum": _bound("Must be less than %(value)s."),
    "multipleOf": _bound("Must be a multiple of %(value)s."),
    "minItems": _counted(
        "Must have at least %(count)s item.", "Must have at least %(count)s items."
    ),
    "maxItems": _counted("Must have at most %(count)s item.", "Must have at most %(count)s items."),
    "uniqueItems": _fixed("Items must not repeat."),
    "contains": _fixed("Must contain at least one matching item."),
    "minContains": _counted(
        "Must contain at least %(count)s match.", "Must contain at least %(count)s matches."
    ),
    "maxContains": _counted(
        "Must contain at most %(count)s match.", "Must contain at most %(count)s matches."
    ),
    "minProperties": _counted(
        "Must have at least %(count)s field.", "Must have at least %(count)s fields."
    ),
    "maxProperties": _counted(
        "Must have at most %(count)s field.", "Must have at most %(count)s fields."
    ),
    "additionalProperties": _fixed("Contains fields that are not allowed."),
    "unevaluatedProperties": _fixed("Contains fields that are not allowed."),
    "unevaluatedItems": _fixed("Contains items that are not allowed."),
    "items": _fixed("Contains items that are not allowed."),
    "propertyNames": _fixed("Contains a field name that is not allowed."),
    "not": _fixed("This value is not allowed."),
    "false": _fixed("This value is not allowed."),
    "oneOf": _fixed("Must match exactly one of the options."),
    "anyOf": _fixed("Must match one of the options."),
    "contentEncoding": _fixed("Not correctly encoded."),
    "contentMediaType": _fixed("Not an accepted file type."),
}


def _keyword(error: ValidationError) -> str:
    return str(error.validator) if error.validator is not None else "false"


def message(error: ValidationError, node: Node | None = None) -> str:
    """A sentence for one error (never a Python repr), told by the field's ``node`` if given.

    A ``pattern`` is only quoted as a regex when the field has nothing better to say: with a
    ``ui:help``, ``ui:placeholder`` or ``ui:title`` the message says the format is wrong and
    points at that hint instead.
    """
    keyword = _keyword(error)
    if keyword == "pattern" and node is not None:
        hinted = _format_hint(node)
        if hinted is not None:
            return hinted
    render = MESSAGES.get(keyword)
    return render(error) if render is not None else _("This value is not valid.")


def _format_hint(node: Node) -> str | None:
    """The "not in the expected format" message with the field's help or example, or None."""
    if node.help:
        return _("Not in the expected format. %(help)s", help=node.help)
    if node.placeholder:
        return _("Not in the expected format, for example %(example)s.", example=node.placeholder)
    if "title" in node.options:
        return _("Not in the expected format.")
    return None


def custom_message(node: Node | None, keyword: str) -> str | None:
    """The field's own message for a failed ``keyword`` (``ui:errorMessages``), or None."""
    if node is None:
        return None
    given = node.options.get("errorMessages")
    if isinstance(given, str) and given:
        return given
    if not isinstance(given, dict):
        return None
    for key in (keyword, _FALLBACK_KEYWORDS.get(keyword)):
        text = given.get(key) if key is not None else None
        if isinstance(text, str) and text:
            return text
    return None


def collect(errors: Iterable[ValidationError], root: Node | None = None) -> Errors:
    """Map jsonschema errors to {pointer: [messages]} (required errors on the missing field).

    With the form's ``root`` node, each message is the one its field's uiSchema gives for
    the failed keyword (``ui:errorMessages``), else the default told by the field's hints.
    """
    out: Errors = {}
    for error in errors:
        for pointer, keyword, told in _place(error):
            node = node_at(root, pointer) if root is not None else None
            text = custom_message(node, keyword)
            if text is None:
                text = told if isinstance(told, str) else message(told, node)
            bucket = out.setdefault(pointer, [])
            if text not in bucket:
                bucket.append(text)
    return out


def out_of_range(instance: Any, where: str = "") -> Errors:
    """{pointer: [message]} of integers too large for a float: no bound can be compared.

    jsonschema compares numbers with float bounds (`maximum`, `multipleOf`), which raises
    OverflowError for an integer beyond ±1.8e308 instead of reporting an error.
    """
    if isinstance(instance, bool):
        return {}
    if isinstance(instance, int):
        try:
            float(instance)
        except OverflowError:
            return {where: [_("This number is too large.")]}
        return {}
    found: Errors = {}
    if isinstance(instance, dict):
        for name, value in instance.items():
            found.update(out_of_range(value, join(where, str(name))))
    elif isinstance(instance, list):
        for index, value in enumerate(instance):
            found.update(out_of_range(value, join(where, index)))
    return found


def _place(error: ValidationError) -> list[tuple[str, str, ValidationError | str]]:
    """(pointer, keyword, the error or its message) of each field an error is about."""
    where = pointer_of(error.absolute_path)
    keyword = _keyword(error)
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        return [
            (join(where, name), keyword, _("This field is required."))
            for name in error.validator_value
            if isinstance(name, str) and name not in instance
        ]
    if keyword == "dependentRequired" and isinstance(instance, dict):
        placed: list[tuple[str, str, ValidationError | str]] = []
        for trigger, needed in error.validator_value.items():
            if trigger in instance:
                for name in needed:
                    if name not in instance:
                        text = _(
                            "This field is required when %(field)s is filled in.", field=trigger
                        )
                        placed.append((join(where, name), keyword, text))
        return placed
    if keyword in ("oneOf", "anyOf") and error.context:
        matched = _matched_more_than_one(error)
        if not matched:
            best = best_match(error.context)
            if best is not None:
                return _place(best)
    return [(where, keyword, error)]


def _matched_more_than_one(error: ValidationError) -> bool:
    return error.validator == "oneOf" and "is valid under each of" in error.message
