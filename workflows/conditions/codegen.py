"""Generate Python source for condition schemas: one boolean expression per schema.

Subschemas that apply to the same value become one expression over one place (see
``source``); subschemas applied to a varying value (array items, additional properties,
property names) become functions of their own; local ``$ref`` targets are inlined.
"""

from __future__ import annotations

from typing import Any

from workflows.conditions.keywords import (
    GROUP_HANDLERS,
    GROUP_OF_TYPE,
    GROUPS,
    GUARDS,
    combinators_for,
    handlers_for,
    known_type,
    type_check,
)
from workflows.conditions.meta import local_target
from workflows.conditions.source import FALSE, TRUE, Fallback, Function, Namespace, conj, disj

MAX_NODES = 20_000  # $ref inlining can multiply a schema: past this, leave it to jsonschema
MAX_DEPTH = 30  # deeper nesting would pass the parser's limit of 200 nested parentheses


class Compiler:
    """Turns the subschemas of one condition (``root``) into expressions."""

    def __init__(self, ns: Namespace, root: Any) -> None:
        self.ns = ns
        self.root = root
        self.functions: list[Function] = []
        self._refs: list[str] = []
        self._predicates: dict[int, str] = {}
        self._nodes = 0
        self._depth = 0

    def node(self, fn: Function, schema: Any, x: str) -> str:
        """The expression that is True iff the value in place ``x`` is valid."""
        if schema is True or schema is False:
            return TRUE if schema else FALSE
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise Fallback("condition too large once its references are inlined")
        if self._depth >= MAX_DEPTH:
            raise Fallback(f"subschemas nested more than {MAX_DEPTH} deep")
        self._depth += 1
        try:
            return self._node(fn, schema, x)
        finally:
            self._depth -= 1

    def _node(self, fn: Function, schema: dict[str, Any], x: str) -> str:
        known = known_type(schema.get("type"))
        if x in fn.objects or x in fn.values:
            if "type" in schema and type_check(self, fn, schema, x, known) == FALSE:
                return FALSE
            known = "object" if x in fn.objects else "string"
        parts = [handler(self, fn, schema, x, known) for handler in handlers_for(schema)]
        for group in ("number", "string", "object", "array"):
            keywords = [k for k in GROUPS[group] if k in schema]
            if not keywords or (known is not None and GROUP_OF_TYPE.get(known) != group):
                continue  # none, or vacuous: the type is another
            inner = conj([GROUP_HANDLERS[k](self, fn, schema, x, known) for k in keywords])
            if known is None and inner != TRUE:
                view = fn.object_view(x) if group == "object" else None
                guard = f"{view} is _E" if view else "not " + GUARDS[group].format(x=x)
                inner = disj([guard, inner])
            parts.append(inner)
        parts += [handler(self, fn, schema, x, known) for handler in combinators_for(schema)]
        return conj(parts)

    def predicate(self, schema: Any) -> str:
        """A function name for ``schema`` applied to varying values, or ``True``/``False``."""
        if schema is True or schema is False:
            return TRUE if schema else FALSE
        if id(schema) not in self._predicates:
            fn = Function(self.ns.name("_s"))
            expr = self.node(fn, schema, "v0")
            if expr in (TRUE, FALSE):
                self._predicates[id(schema)] = expr
            else:
                fn.lines.append(f"    return {expr}")
                self.functions.append(fn)
                self._predicates[id(schema)] = fn.name
        return self._predicates[id(schema)]

    def reference(self, fn: Function, ref: str, x: str) -> str:
        """Inline the target of a local ``$ref`` (recursion: fall back)."""
        target = local_target(self.root, ref)
        if target is None:  # refused earlier; kept for safety
            raise Fallback(f"unresolvable $ref {ref!r}")
        if target[1] in self._refs:
            raise Fallback(f"recursive $ref {ref!r}")
        self._refs.append(target[1])
        try:
            return self.node(fn, target[0], x)
        finally:
            self._refs.pop()

    def sources(self) -> str:
        """The definitions of the subschema functions made so far."""
        return "".join(fn.source() for fn in self.functions)


def check_expansion(schema: Any) -> None:
    """Raise Fallback where generating ``schema`` would: a recursive ``$ref``, too many or
    too deeply nested subschemas once references are inlined (an over-approximation: it
    visits every subschema, applicable or not)."""
    count = [0]

    def visit(node: Any, depth: int, refs: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        count[0] += 1
        if count[0] > MAX_NODES or depth >= MAX_DEPTH:
            raise Fallback("condition too large or too deep once its references are inlined")
        for key, value in node.items():
            if key in _ONE_SUBSCHEMA:
                visit(value, depth + 1, refs)
            elif key in _SUBSCHEMA_MAPS:
                for sub in value.values():
                    visit(sub, depth + 1, refs)
            elif key in _SUBSCHEMA_LISTS:
                for sub in value:
                    visit(sub, depth + 1, refs)
            elif key == "$ref" and (target := local_target(schema, value)) is not None:
                if target[1] in refs:
                    raise Fallback(f"recursive $ref {value!r}")
                visit(target[0], depth + 1, (*refs, target[1]))

    visit(schema, 0, ())


_ONE_SUBSCHEMA = frozenset(
    {"items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not"}
)
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_SUBSCHEMA_LISTS = frozenset({"prefixItems", "allOf", "anyOf", "oneOf"})
