"""The house rules of ARCHITECTURE.md, checked on the source.

- no module imports another module's private name (`from .x import _name`, `x._name`);
- no import cycle, and no import that runs back up the layers (every module has a layer);
- no module over 500 lines;
- every thread pool has an owner that shuts it down.
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


def test_no_import_cycle() -> None:
    graph = {m: _imports(m)[0] for m in MODULES}
    cycles = _cycles(graph)
    assert [c for c in cycles if c not in KNOWN_CYCLES] == []
    assert [c for c in KNOWN_CYCLES if c not in cycles] == [], "a known cycle is gone: remove it here"


def test_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]


#: the layers of ARCHITECTURE.md, bottom to top: a module imports only from its own layer or below
LAYERS = [
    (
        "base",
        [
            "errors",
            "issues",
            "contract",
            "atomic",
            "yaml_lines",
            "safety",
            "config",
            "store_settings",
            "suggest",
            "labels",
            "reasons",
            "column_words",
            "loaders.paths",
        ],
    ),
    ("data model", ["dataset", "columns", "results"]),
    ("expression language", ["expr", "expr_tree", "frame", "functions", "named_by", "evaluate", "measures"]),
    ("loaders", ["loaders"]),
    ("definitions", ["definitions", "parameters", "kpi_model", "compiled", "words"]),
    ("engine", ["engine", "evaluation", "roster"]),
    ("speed lane", ["speed"]),
    (
        "api and analysis",
        [
            "api",
            "data_folders",
            "breakdown",
            "drilldown",
            "explain",
            "report",
            "report_words",
            "trends",
            "compare",
            "mapdraft",
        ],
    ),
    ("render", ["render"]),
    ("cli", ["cli", "__main__"]),
]


def layer_of(module: str) -> int | None:
    """The layer of an sdkpi module (the longest matching name or package prefix wins)."""
    name = module.removeprefix("sdkpi.")
    best: tuple[int, int] | None = None
    for rank, (_, names) in enumerate(LAYERS):
        for prefix in names:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if m != "sdkpi" and layer_of(m) is None] == []


def test_no_import_runs_back_up_the_layers() -> None:
    upward = []
    for module in MODULES:
        if module == "sdkpi":  # the package's front door re-exports the library's API
            continue
        own = layer_of(module)
        for target in _imports(module)[0]:
            theirs = layer_of(target)
            if own is not None and theirs is not None and theirs > own:
                upward.append(f"{module} ({LAYERS[own][0]}) -> {target} ({LAYERS[theirs][0]})")
    assert upward == []


def test_layer_check_sees_an_import_running_up() -> None:
    assert layer_of("sdkpi.loaders.sheets") < layer_of("sdkpi.speed.fast_lane")  # type: ignore[operator]
    assert layer_of("sdkpi.render.xlsx_sheets") > layer_of("sdkpi.report")  # type: ignore[operator]


def test_no_module_over_500_lines() -> None:
    big = {}
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 500:
            big[module] = lines
    assert big == {}


def test_every_thread_pool_has_an_owner() -> None:
    """A ThreadPoolExecutor is made in a `with` block (closed when it ends) or by speed.pools.Pool,
    which shuts its pool down at close() and at exit."""
    loose = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_with = {
            id(item.context_expr)
            for node in ast.walk(tree)
            if isinstance(node, ast.With)
            for item in node.items
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "ThreadPoolExecutor"
                and id(node) not in in_with
                and module != "sdkpi.speed.pools"
            ):
                loose.append(f"{module}:{node.lineno}")
    assert loose == []
