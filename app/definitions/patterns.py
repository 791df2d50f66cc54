"""Regex checks for `pattern` and `patternProperties`: valid, and no catastrophic backtracking.

Python's `re` backtracks. A repeated group whose body can be split in many ways — a variable
repeat inside an unbounded (or large bounded) repeat, as in `(a+)+$`, `(\\w*)*` or
`(\\d{1,3})+x`, or identical alternatives as in `(a|a)*` — can take exponential (or high
polynomial) time on a crafted input. Such patterns are
refused when a definition is saved, so no request ever runs one.

A nested repeat is accepted when the outer body also has a mandatory character that the inner
repeat cannot match (`^[a-z]+(-[a-z]+)*$`: every round starts with `-`), because then each
round's boundaries are fixed and the match is linear.
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as P
import string
from typing import Any

# Characters stand-ins: enough to tell character classes apart.
_ALPHABET = frozenset(string.printable) | {"é", "中", "\u00a0"}
_CATEGORIES = {
    C.CATEGORY_DIGIT: frozenset(string.digits),
    C.CATEGORY_WORD: frozenset(string.ascii_letters + string.digits + "_é中"),
    C.CATEGORY_SPACE: frozenset(" \t\n\r\x0b\x0c\u00a0"),
}
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT}


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` may not be used, or None when it is fine."""
    try:
        parsed = P.parse(pattern)
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"is not a valid regular expression: {exc}"
    if _dangerous(parsed, in_unbounded=False):
        return (
            "may take exponential time: a repeated group can match the same text in many "
            "ways (nested quantifiers or identical alternatives); make each repetition "
            "start with a separator, or drop the inner quantifier"
        )
    return None


def _dangerous(items: Any, in_unbounded: bool) -> bool:
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            unbounded = high == C.MAXREPEAT
            # Bounded outer repeats blow up too, polynomially: (.*a){12} is O(n**12).
            if (unbounded or high > 2) and (_ambiguous_body(body) or _duplicate_branches(body)):
                return True
            if _dangerous(body, in_unbounded or unbounded):
                return True
        elif op == C.SUBPATTERN:
            if _dangerous(arg[-1], in_unbounded):
                return True
        elif op == C.BRANCH and any(_dangerous(b, in_unbounded) for b in arg[1]):
            return True
    return False


def _ambiguous_body(body: Any) -> bool:
    """The body of an unbounded repeat holds a variable repeat with no separator around it."""
    inner = _variable_repeats(body)
    if not inner:
        return False
    inner_chars = frozenset().union(*(_chars(sub) for sub in inner))
    return not any(chars.isdisjoint(inner_chars) for chars in _mandatory_chars(body))


def _variable_repeats(items: Any) -> list[Any]:
    found: list[Any] = []
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            if high != low:
                found.append(body)
            found.extend(_variable_repeats(body))
        elif op == C.SUBPATTERN:
            found.extend(_variable_repeats(arg[-1]))
        elif op == C.BRANCH:
            for branch in arg[1]:
                found.extend(_variable_repeats(branch))
    return found


def _mandatory_chars(items: Any) -> list[frozenset[str]]:
    """Character sets of single characters every round must match (not inside a repeat)."""
    sets: list[frozenset[str]] = []
    for op, arg in items:
        if op in (C.LITERAL, C.IN, C.NOT_LITERAL, C.ANY):
            sets.append(_chars([(op, arg)]))
        elif op == C.SUBPATTERN:
            sets.extend(_mandatory_chars(arg[-1]))
        elif op in _REPEATS and arg[0] >= 1:
            sets.extend(_mandatory_chars(arg[2]) if arg[0] == arg[1] else [])
    return sets


def _chars(items: Any) -> frozenset[str]:
    """Over-approximation of the characters `items` can consume."""
    chars: set[str] = set()
    for op, arg in items:
        if op == C.LITERAL:
            chars.add(chr(arg))
        elif op in (C.NOT_LITERAL, C.ANY):
            chars |= _ALPHABET
        elif op == C.IN:
            chars |= _class_chars(arg)
        elif op in _REPEATS:
            chars |= _chars(arg[2])
        elif op == C.SUBPATTERN:
            chars |= _chars(arg[-1])
        elif op == C.BRANCH:
            for branch in arg[1]:
                chars |= _chars(branch)
        elif op in (C.GROUPREF, C.GROUPREF_EXISTS):
            chars |= _ALPHABET
    return frozenset(chars)


def _class_chars(members: Any) -> frozenset[str]:
    chars: set[str] = set()
    negate = False
    for op, arg in members:
        if op == C.NEGATE:
            negate = True
        elif op == C.LITERAL:
            chars.add(chr(arg))
        elif op == C.RANGE:
            low, high = arg
            chars |= {c for c in _ALPHABET if low <= ord(c) <= high}
            chars |= {chr(low), chr(high)}
        elif op == C.CATEGORY:
            chars |= _CATEGORIES.get(arg, _ALPHABET)
    return frozenset(_ALPHABET - chars) if negate else frozenset(chars)


def _duplicate_branches(body: Any) -> bool:
    for op, arg in body:
        if op == C.SUBPATTERN:
            return _duplicate_branches(arg[-1])
        if op == C.BRANCH:
            branches = [repr(list(branch)) for branch in arg[1]]
            return len(branches) != len(set(branches))
    return False
