"""jsonschema errors → JSON pointers and sentences a person would write."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from forms.names import join, pointer_of
from forms.nodes import dumps

Errors = dict[str, list[str]]

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a group of fields",
    "array": "a list",
    "null": "empty",
}
_FORMATS = {
    "email": "Not a valid email address.",
    "idn-email": "Not a valid email address.",
    "uri": "Not a valid URL.",
    "iri": "Not a valid URL.",
    "uri-reference": "Not a valid URL.",
    "date": "Not a valid date (YYYY-MM-DD).",
    "date-time": "Not a valid date and time.",
    "time": "Not a valid time (hh:mm:ss with a time zone).",
    "ipv4": "Not a valid IPv4 address.",
    "ipv6": "Not a valid IPv6 address.",
    "hostname": "Not a valid host name.",
    "uuid": "Not a valid UUID.",
    "regex": "Not a valid regular expression.",
    "color": "Not a valid colour.",
    "duration": "Not a valid duration.",
}


def show(value: Any) -> str:
    """A value as people read it: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else dumps(value)


def _plural(n: Any, word: str) -> str:
    return f"{show(n)} {word}" + ("" if n == 1 else "s")


def _type(e: ValidationError) -> str:
    wanted = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
    words = [_TYPE_NAMES.get(str(t), str(t)) for t in wanted]
    return f"Must be {' or '.join(words)}."


def _format(e: ValidationError) -> str:
    fmt = str(e.validator_value)
    return _FORMATS.get(fmt, f"Not a valid {fmt}.")


def _enum(e: ValidationError) -> str:
    options = e.validator_value if isinstance(e.validator_value, list) else []
    return "Must be one of: " + ", ".join(show(v) for v in options) + "."


MESSAGES: dict[str, Callable[[ValidationError], str]] = {
    "type": _type,
    "format": _format,
    "enum": _enum,
    "const": lambda e: f"Must be {show(e.validator_value)}.",
    "minLength": lambda e: f"Must be at least {_plural(e.validator_value, 'character')}.",
    "maxLength": lambda e: f"Must be at most {_plural(e.validator_value, 'character')}.",
    "pattern": lambda e: f"Must match the pattern {e.validator_value}.",
    "minimum": lambda e: f"Must be at least {show(e.validator_value)}.",
    "maximum": lambda e: f"Must be at most {show(e.validator_value)}.",
    "exclusiveMinimum": lambda e: f"Must be greater than {show(e.validator_value)}.",
    "exclusiveMaximum": lambda e: f"Must be less than {show(e.validator_value)}.",
    "multipleOf": lambda e: f"Must be a multiple of {show(e.validator_value)}.",
    "minItems": lambda e: f"Must have at least {_plural(e.validator_value, 'item')}.",
    "maxItems": lambda e: f"Must have at most {_plural(e.validator_value, 'item')}.",
    "uniqueItems": lambda e: "Items must not repeat.",
    "contains": lambda e: "Must contain at least one matching item.",
    "minContains": lambda e: f"Must contain at least {_plural(e.validator_value, 'match')}.",
    "maxContains": lambda e: f"Must contain at most {_plural(e.validator_value, 'match')}.",
    "minProperties": lambda e: f"Must have at least {_plural(e.validator_value, 'field')}.",
    "maxProperties": lambda e: f"Must have at most {_plural(e.validator_value, 'field')}.",
    "additionalProperties": lambda e: "Contains fields that are not allowed.",
    "unevaluatedProperties": lambda e: "Contains fields that are not allowed.",
    "unevaluatedItems": lambda e: "Contains items that are not allowed.",
    "items": lambda e: "Contains items that are not allowed.",
    "propertyNames": lambda e: "Contains a field name that is not allowed.",
    "not": lambda e: "This value is not allowed.",
    "false": lambda e: "This value is not allowed.",
    "oneOf": lambda e: "Must match exactly one of the options.",
    "anyOf": lambda e: "Must match one of the options.",
    "contentEncoding": lambda e: "Not correctly encoded.",
    "contentMediaType": lambda e: "Not an accepted file type.",
}


def message(error: ValidationError) -> str:
    """A sentence for one error (never a Python repr)."""
    keyword = str(error.validator) if error.validator is not None else "false"
    render = MESSAGES.get(keyword)
    return render(error) if render is not None else "This value is not valid."


def collect(errors: Iterable[ValidationError]) -> Errors:
    """Map jsonschema errors to {pointer: [messages]} (required errors on the missing field)."""
    out: Errors = {}
    for error in errors:
        for pointer, text in _place(error):
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
            return {where: ["This number is too large."]}
        return {}
    found: Errors = {}
    if isinstance(instance, dict):
        for name, value in instance.items():
            found.update(out_of_range(value, join(where, str(name))))
    elif isinstance(instance, list):
        for index, value in enumerate(instance):
            found.update(out_of_range(value, join(where, index)))
    return found


def _place(error: ValidationError) -> list[tuple[str, str]]:
    where = pointer_of(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        return [
            (join(where, name), "This field is required.")
            for name in error.validator_value
            if isinstance(name, str) and name not in instance
        ]
    if keyword == "dependentRequired" and isinstance(instance, dict):
        placed = []
        for trigger, needed in error.validator_value.items():
            if trigger in instance:
                for name in needed:
                    if name not in instance:
                        text = f"This field is required when {trigger} is filled in."
                        placed.append((join(where, name), text))
        return placed
    if keyword == "additionalProperties" and isinstance(instance, dict) and error.message:
        return [(where, message(error))]
    if keyword in ("oneOf", "anyOf") and error.context:
        matched = _matched_more_than_one(error)
        if not matched:
            best = best_match(error.context)
            if best is not None:
                return _place(best)
    return [(where, message(error))]


def _matched_more_than_one(error: ValidationError) -> bool:
    return error.validator == "oneOf" and "is valid under each of" in error.message
