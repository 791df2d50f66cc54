"""Workflow conditions: JSON Schemas (2020-12) compiled into plain Python predicates.

A condition is a JSON Schema evaluated against a *ticket document* (the shape is described
in ``docs/workflows.md``: ``data`` with the template's custom fields, ``template``,
``priority``, ``channel``, ``state``, ``department``, ``requester``, ``created_at``, ``hour``,
``weekday``, ``in_business_hours``). Documents are JSON values as ``json.loads`` builds them.

``compile_condition(schema)(doc)`` answers exactly what ``Draft202012Validator(schema)
.is_valid(doc)`` answers (``format`` only annotates). Schemas using a keyword that is not
compiled (``unevaluatedProperties``, ``unevaluatedItems``, ``$dynamicRef``, a recursive
``$ref``, an embedded ``$id`` or another draft's ``$schema`` in a subschema) keep that answer
by falling back to a pre-built validator (``compiled`` is False). ``first_match`` turns an
ordered rule list into one function that reads each document field once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from jsonschema import Draft202012Validator

from workflows.conditions.codegen import Compiler, check_expansion
from workflows.conditions.explain import Miss, first_miss
from workflows.conditions.index import build_router
from workflows.conditions.meta import inspect, meta_errors, quick_valid
from workflows.conditions.source import Fallback, Function, Namespace
from workflows.errors import raise_if

__all__ = ["Condition", "Miss", "compile_condition", "first_match"]

Predicate = Callable[[Any], bool]


class Condition:
    """A compiled condition: call it with a document; ``explain`` says why it misses.

    Whether it compiles is decided when it is made; its function is generated on the first
    call (a routing table generates its rules into one function of its own and may never
    call them one by one).
    """

    __slots__ = ("schema", "pointer", "compiled", "reason", "check", "_build", "_validator")

    def __init__(
        self,
        schema: Any,
        pointer: str,
        build: Callable[[], Predicate] | None,
        reason: str | None,
    ) -> None:
        self.schema = schema
        self.pointer = pointer
        self.compiled = build is not None
        self.reason = reason  # why it fell back to jsonschema; None when compiled
        self._build = build
        self._validator: Draft202012Validator | None = None
        # the bare predicate, replaced by the compiled function on the first call
        self.check: Predicate = self._first_call if build else self._fallback().is_valid

    def __call__(self, doc: Any) -> bool:
        """True iff ``doc`` satisfies the schema."""
        return self.check(doc)

    def _first_call(self, doc: Any) -> bool:
        try:
            self.check = self._build() if self._build else self._fallback().is_valid
        except Fallback as exc:  # not expected: the generator guards nesting and size
            self.compiled, self.reason = False, str(exc)
            self.check = self._fallback().is_valid
        return self.check(doc)

    def _fallback(self) -> Draft202012Validator:
        if self._validator is None:
            self._validator = Draft202012Validator(self.schema)
        return self._validator

    def explain(self, doc: Any) -> Miss | None:
        """None when ``doc`` matches, else the most relevant failing keyword (jsonschema's)."""
        return first_miss(self._fallback(), doc, self.pointer)

    def __repr__(self) -> str:
        how = "compiled" if self.compiled else f"jsonschema ({self.reason})"
        return f"<Condition {self.pointer or '/'} {how}>"


def compile_condition(schema: Any, pointer: str = "") -> Condition:
    """Check ``schema`` and compile it; a bad schema raises DefinitionError at ``pointer``.

    Refused besides what the 2020-12 meta-schema refuses: a ``pattern`` (or the alternation
    of ``patternProperties`` that ``additionalProperties`` uses) that Python's ``re`` does not
    compile, and any ``$ref`` that is not a reference into the condition's own ``$defs``.
    The schema is kept by reference: do not change it afterwards.
    """
    if not quick_valid(schema):
        raise_if(meta_errors(schema, pointer))
    refused, reason = inspect(schema, pointer)
    raise_if(refused)
    if reason is None:
        try:
            check_expansion(schema)
        except Fallback as exc:
            reason = str(exc)
        else:
            return Condition(schema, pointer, partial(_generate, schema), None)
    return Condition(schema, pointer, None, reason)


def _generate(schema: Any) -> Predicate:
    ns = Namespace()
    compiler = Compiler(ns, schema)
    fn = Function("_condition")
    expr = compiler.node(fn, schema, "v0")
    fn.emit(f"return {expr}")
    check: Predicate = ns.run(compiler.sources() + fn.source())["_condition"]
    return check


def first_match(conditions: Sequence[Condition]) -> Callable[[Any], int | None]:
    """One function: the index of the first condition ``doc`` satisfies, else None.

    Rules are tested in order with shared field reads; when many rules require one field to
    equal given strings (e.g. ``data.category``), the function jumps straight to the rules
    for the document's value, keeping the first-match order.
    """
    return build_router(list(conditions))
