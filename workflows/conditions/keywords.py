"""Keyword by keyword: the expression each JSON Schema keyword compiles to.

Each handler mirrors the jsonschema 4.26 keyword (``jsonschema/_keywords.py``) operation by
operation, e.g. ``minimum`` is ``not x < m`` (so NaN passes, as there) rather than
``x >= m``. Handlers of one instance type (``GROUPS``) assume the value has that type: the
compiler adds the type guard once per group, or none when ``type`` already settles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workflows.conditions.runtime import equal
from workflows.conditions.source import FALSE, TRUE, Compiling, Function, conj, disj

Compiler = Compiling  # handlers see the compiler only through what they call on it
Handler = Callable[[Compiler, Function, dict[str, Any], str, "str | None"], str]
GUARDS = {
    "object": "isinstance({x}, dict)",
    "array": "isinstance({x}, list)",
    "string": "isinstance({x}, str)",
    "number": "(isinstance({x}, _NUM) and {x} is not True and {x} is not False)",
}
TYPES = {
    **GUARDS,
    "null": "{x} is None",
    "boolean": "({x} is True or {x} is False)",
    "integer": "((isinstance({x}, int) and {x} is not True and {x} is not False)"
    " or (isinstance({x}, float) and {x}.is_integer()))",
}
GROUP_OF_TYPE = {"object": "object", "array": "array", "string": "string"}
GROUP_OF_TYPE |= {"number": "number", "integer": "number"}


def known_type(types: Any) -> str | None:
    if isinstance(types, str):
        return types
    if isinstance(types, list) and len(types) == 1:
        return str(types[0])
    return None


# ---------------------------------------------------------------------------------------------
# keywords for any type


def type_check(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    """``type``: one test per listed type, folded where the place is known."""
    types = [s["type"]] if isinstance(s["type"], str) else s["type"]
    if x in fn.objects or x in fn.values:
        return TRUE if ("object" if x in fn.objects else "string") in types else FALSE
    if known == "object":  # the view is read anyway when the schema looks inside
        return f"{fn.view(x, 'o')} is not _E"
    return disj([TYPES[t].format(x=x) for t in types])


def _const_expr(c: Compiler, value: Any, x: str, known: str | None) -> str:
    if value is None or value is True or value is False:
        return f"{x} is {value}"
    kind = type(value)
    if kind is str:
        return f"{x} == {value!r}"
    if kind is int or kind is float:
        if (value == 0 or value == 1) and known not in ("number", "integer"):
            # 1 == True in Python, not in JSON
            return f"({x} == {c.ns.literal(value)} and {x} is not True and {x} is not False)"
        return f"{x} == {c.ns.literal(value)}"
    return f"_eq({x}, {c.ns.bind(value)})"


def _const(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    if x in fn.values:
        return TRUE if equal(s["const"], fn.values[x]) else FALSE
    return _const_expr(c, s["const"], x, known)


def _enum(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    if x in fn.values:
        return TRUE if any(equal(m, fn.values[x]) for m in s["enum"]) else FALSE
    strings = [m for m in s["enum"] if type(m) is str]
    numbers = [m for m in s["enum"] if type(m) in (int, float)]
    others = [m for m in s["enum"] if type(m) not in (str, int, float, bool) and m is not None]
    singles = [m for m in (None, True, False) if any(e is m for e in s["enum"])]
    parts = [f"{x} is {m}" for m in singles]
    if len(strings) == 1:
        parts.insert(0, f"{x} == {strings[0]!r}")
    elif strings:
        members = c.ns.bind(frozenset(strings))
        test = f"{x} in {members}"
        parts.insert(0, test if known == "string" else f"(isinstance({x}, str) and {test})")
    if len(numbers) <= 2:
        parts += [_const_expr(c, m, x, known) for m in numbers]
    else:
        guard = "" if known in ("number", "integer") else GUARDS["number"].format(x=x) + " and "
        parts.append(f"({guard}{x} in {c.ns.bind(frozenset(numbers))})")
    if others:
        parts.append(f"_in_enum({x}, {c.ns.bind(tuple(others))})")
    return disj(parts)


def _properties(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    entries = sorted(s["properties"].items(), key=lambda kv: not _discriminates(kv[1]))
    present = _present(fn, s, x, known)
    parts = []
    for key, sub in entries:
        if sub is not True:
            place = fn.child(x, key)
            expr = c.node(fn, sub, place)
            sure = key in present or place in fn.objects or place in fn.values
            parts.append(expr if sure else disj([f"{place} is _M", expr]))
    return conj(parts)


def _discriminates(schema: Any) -> bool:
    # tests that usually fail first go first: evaluation order never changes the answer
    return isinstance(schema, dict) and ("const" in schema or "enum" in schema)


def _present(fn: Function, s: dict[str, Any], x: str, known: str | None) -> set[str]:
    """Required keys whose ``properties`` test already fails when the key is absent.

    In an object, ``(v is _M or E) and k in x`` is just ``E`` when ``E`` is False for ``_M``:
    true of a subschema led by ``type``, ``const`` or ``enum`` (``_M`` is of no JSON type
    and equal to nothing). The required test of such a key is then left out as well.
    """
    if known != "object":
        return set()
    properties = s.get("properties", {})
    return {
        key
        for key in s.get("required", ())
        if isinstance(properties.get(key), dict)
        and any(k in properties[key] for k in ("type", "const", "enum"))
    }


def _prefix_items(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    parts = []
    for index, sub in enumerate(s["prefixItems"]):
        if sub is not True:
            place = fn.item(x, index)
            parts.append(disj([f"{place} is _M", c.node(fn, sub, place)]))
    return conj(parts)


def _all_of(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    return conj([c.node(fn, sub, x) for sub in s["allOf"]])


def _any_of(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    return disj([c.node(fn, sub, x) for sub in s["anyOf"]])


def _one_of(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    branches = [c.node(fn, sub, x) for sub in s["oneOf"]]
    if len(branches) == 1:
        return branches[0]
    return "((" + ") + (".join(branches) + ") == 1)"


def _not(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    inner = c.node(fn, s["not"], x)
    return FALSE if inner == TRUE else TRUE if inner == FALSE else f"not {inner}"


def _if(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    then = c.node(fn, s["then"], x) if "then" in s else TRUE
    other = c.node(fn, s["else"], x) if "else" in s else TRUE
    if then == other == TRUE:
        return TRUE
    return f"({then} if {c.node(fn, s['if'], x)} else {other})"


def _ref(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    return c.reference(fn, s["$ref"], x)


ANY_HANDLERS: dict[str, Handler] = {
    "type": type_check,
    "const": _const,
    "enum": _enum,
    "properties": _properties,
    "prefixItems": _prefix_items,
}
COMBINATORS: dict[str, Handler] = {
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "$ref": _ref,
}


def handlers_for(schema: dict[str, Any]) -> list[Handler]:
    return [h for k, h in ANY_HANDLERS.items() if k in schema]


def combinators_for(schema: dict[str, Any]) -> list[Handler]:
    return [h for k, h in COMBINATORS.items() if k in schema]


# ---------------------------------------------------------------------------------------------
# keywords for one type (the generator adds the type guard once per group)


def _bound(op: str) -> Handler:
    keyword = {"<": "minimum", ">": "maximum", "<=": "exclusiveMinimum", ">=": "exclusiveMaximum"}
    name = keyword[op]
    return lambda c, fn, s, x, known: f"not {x} {op} {c.ns.literal(s[name])}"


def _multiple_of(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    divisor = s["multipleOf"]
    if isinstance(divisor, float):
        return f"_mulf({x}, {c.ns.literal(divisor)})"
    return f"not {x} % {c.ns.literal(divisor)}"


def _length(op: str, keyword: str) -> Handler:
    return lambda c, fn, s, x, known: f"not len({x}) {op} {c.ns.literal(s[keyword])}"


def _pattern(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    return f"{c.ns.bind(re.compile(s['pattern']).search)}({x}) is not None"


def _unique(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    return f"_uniq({x})" if s["uniqueItems"] else TRUE


def _items(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    prefix = len(s.get("prefixItems", []))
    check = c.predicate(s["items"])
    if check == TRUE:
        return TRUE
    if check == FALSE:
        return f"not len({x}) > {prefix}"
    return f"_all_from({x}, {check}, {prefix})" if prefix else f"all(map({check}, {x}))"


def _contains(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    low, high = s.get("minContains", 1), s.get("maxContains")
    if not 0 < low and high is None:
        return TRUE
    sub = s["contains"]
    simple = low == 1 and high is None
    if simple and isinstance(sub, dict) and type(sub.get("const")) is str and _only_const(sub):
        return f"{sub['const']!r} in {x}"  # list.__contains__ is == on str, as equal()
    check = c.predicate(sub)
    if check in (TRUE, FALSE):
        count = f"len({x})" if check == TRUE else "0"
    elif simple:
        return f"any(map({check}, {x}))"
    else:
        limit = "None" if high is None else c.ns.literal(high)
        return f"_count({x}, {check}, {c.ns.literal(low)}, {limit})"
    top = "" if high is None else f" and not {count} > {c.ns.literal(high)}"
    return f"(not {count} < {c.ns.literal(low)}{top})"


def _only_const(schema: dict[str, Any]) -> bool:
    return not any(k in schema for k in ALL_KEYWORDS if k != "const")


def _required(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    skip = _present(fn, s, x, known) if "properties" in s else set()
    names = [n for n in s["required"] if n not in skip and not _known_child(fn, x, n)]
    if len(names) > 4:
        return f"{x}.keys() >= {c.ns.bind(frozenset(names))}"
    return conj([f"{c.ns.literal(name)} in {x}" for name in names])


def _known_child(fn: Function, x: str, key: str) -> bool:
    place = fn.existing_child(x, key)
    return place is not None and (place in fn.objects or place in fn.values)


def _property_count(op: str, keyword: str) -> Handler:
    return lambda c, fn, s, x, known: f"not len({x}) {op} {c.ns.literal(s[keyword])}"


def _dependent_required(
    c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None
) -> str:
    return conj(
        [
            disj(
                [
                    f"{c.ns.literal(key)} not in {x}",
                    conj([f"{c.ns.literal(n)} in {x}" for n in names]),
                ]
            )
            for key, names in s["dependentRequired"].items()
        ]
    )


def _dependent_schemas(
    c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None
) -> str:
    return conj(
        [
            disj([f"{c.ns.literal(key)} not in {x}", c.node(fn, sub, x)])
            for key, sub in s["dependentSchemas"].items()
        ]
    )


def _property_names(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    check = c.predicate(s["propertyNames"])
    if check in (TRUE, FALSE):
        return TRUE if check == TRUE else f"not {x}"
    return f"all(map({check}, {x}))"


def _pattern_properties(
    c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None
) -> str:
    parts = []
    for pattern, sub in s["patternProperties"].items():
        check = c.predicate(sub)
        if check == TRUE:
            continue
        search = c.ns.bind(re.compile(pattern).search)
        if check == FALSE:
            parts.append(f"_nokey({x}, {search})")
        else:
            parts.append(f"_pvals({x}, {search}, {check})")
    return conj(parts)


def _additional(c: Compiler, fn: Function, s: dict[str, Any], x: str, known: str | None) -> str:
    check = c.predicate(s["additionalProperties"])
    if check == TRUE:
        return TRUE
    named = c.ns.bind(frozenset(s.get("properties", {})))
    joined = "|".join(s.get("patternProperties", {}))  # one alternation, as jsonschema does
    if not joined and check == FALSE:
        return f"{x}.keys() <= {named}"
    search = c.ns.bind(re.compile(joined).search) if joined else "None"
    if check == FALSE:
        return f"_noextra({x}, {named}, {search})"
    return f"_extras({x}, {named}, {search}, {check})"


GROUP_HANDLERS: dict[str, Handler] = {
    "minimum": _bound("<"),
    "maximum": _bound(">"),
    "exclusiveMinimum": _bound("<="),
    "exclusiveMaximum": _bound(">="),
    "multipleOf": _multiple_of,
    "minLength": _length("<", "minLength"),
    "maxLength": _length(">", "maxLength"),
    "pattern": _pattern,
    "required": _required,
    "minProperties": _property_count("<", "minProperties"),
    "maxProperties": _property_count(">", "maxProperties"),
    "dependentRequired": _dependent_required,
    "propertyNames": _property_names,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional,
    "dependentSchemas": _dependent_schemas,
    "minItems": _length("<", "minItems"),
    "maxItems": _length(">", "maxItems"),
    "uniqueItems": _unique,
    "items": _items,
    "contains": _contains,
}
GROUPS: dict[str, tuple[str, ...]] = {
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "string": ("minLength", "maxLength", "pattern"),
    "object": (
        "required",
        "minProperties",
        "maxProperties",
        "dependentRequired",
        "propertyNames",
        "patternProperties",
        "additionalProperties",
        "dependentSchemas",
    ),
    "array": ("minItems", "maxItems", "uniqueItems", "items", "contains"),
}
# every keyword jsonschema 2020-12 acts on that is compiled (``format`` only annotates here;
# minContains / maxContains / then / else are read by contains / if)
ALL_KEYWORDS = frozenset(ANY_HANDLERS) | frozenset(COMBINATORS) | frozenset(GROUP_HANDLERS)
