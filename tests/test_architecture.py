"""The house rules of issue #14 that hold already, checked on the source (ARCHITECTURE.md).

- no module imports another module's private name (`from .x import _name`, `x._name`);
- no import cycle beyond the two still known (they may only disappear);
- the reading pipeline's new step modules stay under 500 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sdkpi"

#: cycles ARCHITECTURE.md says are left; a new one fails, a fixed one must be removed here
KNOWN_CYCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> tuple[set[str], list[str]]:
    """The sdkpi modules `module` imports, and the private names it takes from them."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    targets: set[str] = set()
    aliases: dict[str, str] = {}
    private: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _target(module, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    targets.add(full)
                    aliases[alias.asname or alias.name] = full
                elif base in MODULES:
                    targets.add(base)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"from {base} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    targets.add(alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    targets.discard(module)
    targets.discard("sdkpi")
    return targets, private


def test_no_module_imports_another_modules_private_name() -> None:
    reaches = {m: _imports(m)[1] for m in MODULES}
    assert {m: r for m, r in reaches.items() if r} == {}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_beyond_the_known_ones() -> None:
    graph = {m: _imports(m)[0] for m in MODULES}
    cycles = _cycles(graph)
    assert [c for c in cycles if c not in KNOWN_CYCLES] == []
    assert [c for c in KNOWN_CYCLES if c not in cycles] == [], "a known cycle is gone: remove it here"


def test_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]


def test_the_new_pipeline_step_modules_stay_small() -> None:
    steps = ("finish", "locate", "sheet_source", "workbook_safety", "discover", "names")
    parse = ("values", "cells", "numbers", "dates", "fast")
    for name in steps + parse:
        lines = (PACKAGE / "loaders" / f"{name}.py").read_text(encoding="utf-8").count("\n")
        assert lines <= 500, f"loaders/{name}.py has {lines} lines"
