"""What the generated predicates call, each deciding exactly as jsonschema 4.26 does.

The generated code inlines the cheap checks; what needs a loop or jsonschema's own quirks
(its equality, its uniqueness test, its float ``multipleOf``) lives here. Every function
mirrors the jsonschema keyword implementation it is named after, quirks included, because a
condition must answer what ``Draft202012Validator(schema).is_valid`` answers.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Collection, Mapping, Sequence
from fractions import Fraction
from typing import Any

Check = Callable[[Any], bool]
Search = Callable[[str], Any]


class _Missing:
    """The value of a place that is not there (absent key, index past the end, no container)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
EMPTY_OBJECT: dict[str, Any] = {}  # read-only by convention: the view of a non-object
EMPTY_ARRAY: list[Any] = []  # the same for a non-array
# int and float first: isinstance tries them before the (slower) abstract class
NUMBER_TYPES: tuple[type, ...] = (int, float, numbers.Number)
_TRUE = object()
_FALSE = object()


def unbool(value: Any) -> Any:
    """jsonschema's trick to keep True / False apart from 1 / 0."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema's ``_utils.equal``: 1 == 1.0, True != 1, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(map(equal, one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key]) for key, value in one.items()
        )
    return bool(unbool(one) == unbool(two))


def in_enum(value: Any, members: Sequence[Any]) -> bool:
    """``enum`` over members that need the full equality (arrays, objects)."""
    return any(equal(member, value) for member in members)


def uniq(items: Sequence[Any]) -> bool:
    """jsonschema's ``_utils.uniq``: sort and compare neighbours, else compare all pairs.

    The sorted path can miss duplicates that sorting does not bring together (``[[0], [False],
    [0]]`` counts as unique); jsonschema answers so, hence this copy and not a plain set.
    """
    try:
        ordered = sorted(unbool(item) for item in items)
        for left, right in zip(ordered, itertools.islice(ordered, 1, None), strict=False):
            if equal(left, right):
                return False
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for item in items:
            item = unbool(item)
            if any(equal(other, item) for other in seen):
                return False
            seen.append(item)
    return True


def multiple_of_float(value: Any, divisor: float) -> bool:
    """``multipleOf`` with a float divisor, with jsonschema's overflow fallback to fractions."""
    quotient = value / divisor
    try:
        failed = int(quotient) != quotient
    except OverflowError:
        failed = (Fraction(value) / Fraction(divisor)).denominator != 1
    return not failed


def count_within(items: Sequence[Any], check: Check, low: Any, high: Any) -> bool:
    """``contains`` with ``minContains`` / ``maxContains`` (``high`` None: no maximum)."""
    matches = sum(1 for item in items if check(item))
    return not matches < low and (high is None or not matches > high)


def all_from(items: Sequence[Any], check: Check, start: int) -> bool:
    """``items`` after ``prefixItems``: every item from ``start`` on passes."""
    return all(map(check, itertools.islice(items, start, None)))


def pattern_values(obj: Mapping[str, Any], search: Search, check: Check) -> bool:
    """One ``patternProperties`` entry: every value whose key matches passes."""
    return all(check(value) for key, value in obj.items() if search(key) is not None)


def no_key_matches(obj: Mapping[str, Any], search: Search) -> bool:
    """A ``patternProperties`` entry whose schema is ``false``: no key may match."""
    return not any(search(key) is not None for key in obj)


def extras(obj: Mapping[str, Any], named: Collection[str], search: Search | None) -> list[str]:
    """jsonschema's ``find_additional_properties``: keys neither named nor matched.

    ``search`` is the one alternation of all ``patternProperties`` patterns, as jsonschema
    builds it (``"|".join(...)``), or None when that string is empty.
    """
    return [
        key
        for key in obj
        if key not in named and (search is None or search(key) is None)
    ]


def no_extras(obj: Mapping[str, Any], named: Collection[str], search: Search | None) -> bool:
    """``additionalProperties: false``."""
    return not extras(obj, named, search)


def extras_pass(
    obj: Mapping[str, Any], named: Collection[str], search: Search | None, check: Check
) -> bool:
    """``additionalProperties`` with a schema: every additional value passes."""
    return all(check(obj[key]) for key in extras(obj, named, search))


def first_index(checks: Sequence[Check], doc: Any) -> int | None:
    """The index of the first check ``doc`` passes, else None."""
    for index, check in enumerate(checks):
        if check(doc):
            return index
    return None


RUNTIME: dict[str, Any] = {
    "_M": MISSING,
    "_E": EMPTY_OBJECT,
    "_EL": EMPTY_ARRAY,
    "_NUM": NUMBER_TYPES,
    "_eq": equal,
    "_in_enum": in_enum,
    "_uniq": uniq,
    "_mulf": multiple_of_float,
    "_count": count_within,
    "_all_from": all_from,
    "_pvals": pattern_values,
    "_nokey": no_key_matches,
    "_noextra": no_extras,
    "_extras": extras_pass,
    "isinstance": isinstance,
    "len": len,
    "dict": dict,
    "list": list,
    "str": str,
    "float": float,
    "int": int,
    "all": all,
    "any": any,
    "map": map,
}
