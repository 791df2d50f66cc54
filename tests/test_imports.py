"""The import graph: arrows point from `app/` down to `forms/` and `workflows/`, never back,
and no module or package imports itself round a circle.

Imports are read from the source (every `import`, also those inside functions: a lazy import
is still an arrow), so the test needs nothing imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "forms", "workflows")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _modules()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(name: str) -> Iterator[str]:
    """The project modules an imported name stands for (a module, or a name in a module)."""
    while name:
        if name in MODULES:
            yield name
            return
        name = name.rpartition(".")[0]


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_targets(alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                found.update(_targets(f"{base}.{alias.name}") or _targets(base))
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` (as a closed path), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def _within(prefix: str) -> dict[str, set[str]]:
    def inside(name: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return {m: {t for t in ts if inside(t)} for m, ts in GRAPH.items() if inside(m)}


def _between(groups: dict[str, str]) -> dict[str, set[str]]:
    """The graph of the named groups (module prefix → group), one node per group."""

    def group(name: str) -> str | None:
        for prefix, label in groups.items():
            if name == prefix or name.startswith(prefix + "."):
                return label
        return None

    graph: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        source = group(module)
        if source is None:
            continue
        for target in targets:
            label = group(target)
            if label is not None and label != source:
                graph.setdefault(source, set()).add(label)
    return graph


def test_the_graph_is_read() -> None:
    assert "forms.compiler" in MODULES
    assert "app.tickets.models" in GRAPH["app.tickets.service"]


@pytest.mark.parametrize("core", ["forms", "workflows"])
def test_pure_cores_never_import_the_app(core: str) -> None:
    leaks = {
        module: sorted(t for t in targets if t == "app" or t.startswith("app."))
        for module, targets in GRAPH.items()
        if module == core or module.startswith(core + ".")
    }
    assert {module: found for module, found in leaks.items() if found} == {}


@pytest.mark.parametrize("package", ["forms", "workflows"])
def test_no_module_cycle_inside_the_pure_cores(package: str) -> None:
    assert _cycle(_within(package)) is None


def test_models_do_not_import_each_other_round() -> None:
    pair = {"app.models": "app.models", "app.tickets.models": "app.tickets.models"}
    assert _cycle(_between(pair)) is None


def test_definitions_and_tickets_packages_have_no_cycle() -> None:
    groups = {"app.definitions": "definitions", "app.tickets": "tickets"}
    assert _cycle(_between(groups)) is None
