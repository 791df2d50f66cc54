"""The pieces generated source is made of: folded boolean expressions, a namespace of bound
constants, and functions whose places (the values expressions test) are read once.

The instance a (sub)schema applies to is a local variable, a *place*. Places reached through
constant keys (``properties``) or indexes (``prefixItems``) are read once, by a statement
before the expression that needs them, and shared by every expression of the function: in a
routing table every rule that looks at ``data.category`` reads the same local. A place that
is not there holds ``_M``; the view ``o<n>`` of a place is the place itself when it is an
object and the empty ``_E`` otherwise, so reading children never fails.

Schema values reach the source only as ``repr`` of str / int / float (finite) after an exact
type check; everything else is bound as a constant ``_c<n>`` in the module's namespace, whose
only builtins are the few the generated code uses.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from workflows.conditions.runtime import RUNTIME

TRUE, FALSE = "True", "False"


class Fallback(Exception):
    """The schema cannot be compiled (recursive reference, too large): use jsonschema."""


def conj(parts: list[str]) -> str:
    """``and`` of expressions, folding the constants."""
    parts = [p for p in parts if p != TRUE]
    if FALSE in parts:
        return FALSE
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def disj(parts: list[str]) -> str:
    """``or`` of expressions, folding the constants."""
    parts = [p for p in parts if p != FALSE]
    if TRUE in parts:
        return TRUE
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


class Namespace:
    """The generated module's globals: the runtime functions and the bound constants."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"__builtins__": {}, **RUNTIME}
        self.count = 0

    def name(self, prefix: str) -> str:
        """A fresh global name."""
        self.count += 1
        return f"{prefix}{self.count}"

    def bind(self, value: Any) -> str:
        """Bind ``value`` as a constant; return its name."""
        name = self.name("_c")
        self.values[name] = value
        return name

    def literal(self, value: Any) -> str:
        """Source for a schema value: ``repr`` for plain scalars, else a bound constant."""
        kind = type(value)
        if kind is str or (kind is int and abs(value) < 2**63):
            return repr(value)
        if kind is float and math.isfinite(value):
            return repr(value)
        return self.bind(value)

    def run(self, source: str) -> dict[str, Any]:
        """Compile and execute the module source in this namespace."""
        try:
            code = compile(source, "<condition>", "exec")
        except (SyntaxError, RecursionError, MemoryError) as exc:  # e.g. nesting too deep
            raise Fallback(f"generated code does not compile: {exc}") from exc
        exec(code, self.values)
        return self.values


class Function:
    """One generated function: its places and the statements that read them."""

    def __init__(self, name: str, indent: str = "    ") -> None:
        self.name = name
        self.lines: list[str] = []
        self.indent = indent
        self._places: dict[tuple[str, object], str] = {}
        self._count = 0
        self.params = ["v0"]
        # facts the code before the expressions established (the router's dispatch):
        self.objects: set[str] = set()  # places known to hold objects
        self.values: dict[str, str] = {}  # places known to hold these strings

    def _new(self, prefix: str, value: str) -> str:
        self._count += 1
        var = f"{prefix}{self._count}"
        self.lines.append(f"{self.indent}{var} = {value}")
        return var

    def view(self, x: str, kind: str) -> str:
        """``o``: ``x`` if it is an object else ``_E``; ``a``: the same for arrays."""
        key = (x, kind)
        if key not in self._places:
            guard, empty = ("dict", "_E") if kind == "o" else ("list", "_EL")
            self._places[key] = self._new(kind, f"{x} if isinstance({x}, {guard}) else {empty}")
        return self._places[key]

    def object_view(self, x: str) -> str | None:
        """The object view of ``x`` if one was already read."""
        return self._places.get((x, "o"))

    def child(self, x: str, key: str) -> str:
        """The place ``x[key]`` (``_M`` when absent or ``x`` is no object)."""
        if type(key) is not str:  # repr below is only for plain strings
            raise Fallback(f"a property name of type {type(key).__name__}, not str")
        place = (x, "." + key)
        if place not in self._places:
            o = self.view(x, "o")
            self._places[place] = self._new("v", f"{o}.get({key!r}, _M)")
        return self._places[place]

    def existing_child(self, x: str, key: str) -> str | None:
        """The place ``x[key]`` if it was read already."""
        return self._places.get((x, "." + key))

    def item(self, x: str, index: int) -> str:
        """The place ``x[index]`` (``_M`` when too short or ``x`` is no array)."""
        place = (x, index)
        if place not in self._places:
            a = self.view(x, "a")
            self._places[place] = self._new("v", f"{a}[{index}] if len({a}) > {index} else _M")
        return self._places[place]

    def emit(self, line: str) -> None:
        """Append a statement at the current indentation."""
        self.lines.append(self.indent + line)

    def reads_as_parameters(self) -> list[str]:
        """Turn the statements so far (place reads) into parameters the caller passes."""
        names = [line.split("=", 1)[0].strip() for line in self.lines]
        self.params += names
        self.lines.clear()
        return names

    def source(self) -> str:
        """The function's definition."""
        return f"def {self.name}({', '.join(self.params)}):\n" + "\n".join(self.lines) + "\n"


class Compiling(Protocol):
    """What keyword handlers ask of the compiler (`codegen.Compiler`) that calls them."""

    ns: Namespace

    def node(self, fn: Function, schema: Any, x: str) -> str:
        """The expression for `schema` applied to the value expression `x`."""
        ...

    def predicate(self, schema: Any) -> str:
        """The name of a function testing a value against `schema`."""
        ...

    def reference(self, fn: Function, ref: str, x: str) -> str:
        """The expression for a local `$ref`."""
        ...
