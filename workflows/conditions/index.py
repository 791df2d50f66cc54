"""First-match routers: ordered conditions generated into one function.

When at least ``MIN_INDEXED`` compiled rules *require* one field to equal one of a few
strings (``required`` + ``properties`` down to the field, then ``const`` / ``enum``, also
through ``allOf``, ``anyOf`` and ``$ref``), the router reads that field first: for a string
value it runs the rules listed for that value (one generated function per value, returning
the first match or ``BIG``), then only the unlisted rules that come before that match; when
the field is absent from objects all the way down, only the unlisted rules. Anything else (a
value that is not a string, a container that is not an object) tests every rule in order,
one condition after the other. Every path answers what testing each rule in order answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Protocol

from workflows.conditions.codegen import Compiler
from workflows.conditions.meta import local_target
from workflows.conditions.runtime import first_index
from workflows.conditions.source import Fallback, Function, Namespace


class Condition(Protocol):
    """What routing reads of a compiled condition (`workflows.conditions.Condition`)."""

    schema: Any
    compiled: bool

    @property
    def check(self) -> Callable[[Any], bool]:
        """The bare predicate."""
        ...

    def __call__(self, doc: Any) -> bool:
        """Whether the document satisfies the condition."""
        ...

# Below about a dozen pinned rules the jump costs about what it saves (routing bench, 10
# rules: 1.07x hand-written with it, 1.14x without).
MIN_INDEXED = 12
MAX_DEPTH = 3  # how deep a discriminating field may sit (data.category is 2)
BIG = 1 << 60  # "no indexed rule matched": above every rule index
Path = tuple[str, ...]
Router = Callable[[Any], "int | None"]


class _Module:
    """The source of one router module being generated."""

    def __init__(self) -> None:
        self.ns = Namespace()
        self.parts: list[str] = []

    def rule(self, fn: Function, condition: Condition) -> str:
        """The expression of one rule inside ``fn`` (a call when it is not compiled)."""
        if condition.compiled:
            compiler = Compiler(self.ns, condition.schema)
            try:
                expr = compiler.node(fn, condition.schema, "v0")
            except Fallback:
                pass
            else:
                self.parts.append(compiler.sources())
                return expr
        return f"{self.ns.bind(condition.check)}(v0)"

    def in_order(self, fn: Function, conditions: Sequence[Condition], rules: Sequence[int]) -> None:
        """``if <rule i>: return i`` for each rule, in order."""
        for i in rules:
            fn.emit(f"if {self.rule(fn, conditions[i])}: return {i}")


def build_router(conditions: Sequence[Condition], min_indexed: int = MIN_INDEXED) -> Router:
    """Generate the first-match function of ``conditions``; jump when enough rules pin a
    field (``min_indexed``)."""
    module = _Module()
    main = Function("_first")
    chosen = choose_index(conditions, min_indexed)
    if chosen is None:
        module.in_order(main, conditions, range(len(conditions)))
        main.emit("return None")
    else:
        _indexed(module, main, conditions, *chosen)
    router: Router = module.ns.run("".join(module.parts) + main.source())["_first"]
    return router


def _indexed(
    module: _Module,
    main: Function,
    conditions: Sequence[Condition],
    path: Path,
    values: dict[int, frozenset[str]],
) -> None:
    containers, place = _walk(main, path)
    views = sorted(main.view(c, "o") for c in containers)
    probe = Function("_")
    _walk(probe, path)
    arguments = ", ".join(["v0", *probe.reads_as_parameters()])  # main's names: walked first
    table: dict[str, str] = {}
    order = sorted(values)
    for value in sorted(set().union(*values.values())):
        fn = Function(module.ns.name("_k"))
        fn.objects, leaf = _walk(fn, path)
        fn.reads_as_parameters()
        fn.values[leaf] = value
        module.in_order(fn, conditions, [i for i in order if value in values[i]])
        fn.emit(f"return {BIG}")
        module.parts.append(fn.source())
        table[value] = fn.name
    lookup, none = module.ns.name("_t"), module.ns.name("_k")
    entries = ", ".join(f"{value!r}: {name}" for value, name in table.items())
    module.parts.append(f"{lookup} = {{{entries}}}\ndef {none}({arguments}):\n    return {BIG}\n")
    in_order = module.ns.bind(partial(first_index, tuple(conditions)))
    main.emit(f"if isinstance({place}, str):")
    main.emit(f"    j = {lookup}.get({place}, {none})({arguments})")
    # the field is absent from real objects: the rules that require it all fail
    main.emit(f"elif {place} is _M and {' and '.join(f'{o} is not _E' for o in views)}:")
    main.emit(f"    j = {BIG}")
    main.emit("else:")
    main.emit(f"    return {in_order}(v0)")
    main.objects = containers  # both ways on: objects down to the field
    for i in range(len(conditions)):
        if i not in values:
            main.emit(f"if {i} < j and {module.rule(main, conditions[i])}: return {i}")
    main.emit(f"return None if j == {BIG} else j")


def _walk(fn: Function, path: Path) -> tuple[set[str], str]:
    """Read the places down ``path`` in ``fn``: the containers' places and the field's."""
    containers, place = set(), "v0"
    for key in path:
        containers.add(place)
        place = fn.child(place, key)
    return containers, place


def choose_index(
    conditions: Sequence[Condition], min_indexed: int = MIN_INDEXED
) -> tuple[Path, dict[int, frozenset[str]]] | None:
    """The field most rules pin to strings (at least ``min_indexed``), with each such rule's
    allowed values."""
    found: dict[Path, dict[int, frozenset[str]]] = {}
    for i, condition in enumerate(conditions):
        if condition.compiled:
            for path, values in pins(condition.schema, condition.schema, 0).items():
                if path:
                    found.setdefault(path, {})[i] = values
    if not found:
        return None
    path = min(found, key=lambda p: (-len(found[p]), len(p), p))
    return (path, found[path]) if len(found[path]) >= min_indexed else None


def _conjuncts(schema: Any, root: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """The schema and what must hold with it for the same value (allOf, $ref), flattened."""
    if not isinstance(schema, dict) or depth > 16:
        return
    yield schema
    for sub in schema.get("allOf", ()):
        yield from _conjuncts(sub, root, depth + 1)
    ref = schema.get("$ref")
    target = local_target(root, ref) if isinstance(ref, str) else None
    if target is not None:
        yield from _conjuncts(target[0], root, depth + 1)


def pins(schema: Any, root: Any, depth: int) -> dict[Path, frozenset[str]]:
    """For each path of required-all-the-way fields, the strings the field must be one of.

    Read: if the containers down the path are objects and the field is a string, the schema
    can only hold when the string is in the set. ``()`` is the value itself.
    """
    found: dict[Path, frozenset[str]] = {}

    def pin(path: Path, values: frozenset[str]) -> None:
        found[path] = found[path] & values if path in found else values

    parts = list(_conjuncts(schema, root))
    for part in parts:
        members = [part["const"]] if "const" in part else []
        members += part.get("enum", []) if isinstance(part.get("enum"), list) else []
        if any(isinstance(m, str) and type(m) is not str for m in members):
            continue  # a str subclass may compare its own way: leave the rule unpinned
        if "const" in part:
            pin((), frozenset([part["const"]]) if type(part["const"]) is str else frozenset())
        if "enum" in part:
            pin((), frozenset(m for m in part["enum"] if type(m) is str))
    required = {key for part in parts for key in part.get("required", ())}
    for part in parts:
        for key, sub in part.get("properties", {}).items():
            if key in required and depth < MAX_DEPTH:
                for path, values in pins(sub, root, depth + 1).items():
                    pin((key, *path), values)
        branches = [pins(sub, root, depth) for sub in part.get("anyOf", ())]
        for path in set.intersection(*(set(b) for b in branches)) if branches else ():
            pin(path, frozenset().union(*(b[path] for b in branches)))
    return found
