"""No code path in sdkpi can run text from a user's file.

The whole source tree is parsed with `ast` (not grepped, so comments and
docstrings that *mention* eval do not count) and every call is checked against a
list of ways to execute or deserialize untrusted input. A self-test proves the
scanner finds each of them in a bad snippet.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from conftest import REPO

SRC = REPO / "src" / "sdkpi"

BANNED_NAMES = {"eval", "exec", "compile", "__import__", "execfile"}
BANNED_METHODS = {"query", "eval"}  # DataFrame.query / DataFrame.eval / pd.eval run expression strings
BANNED_MODULE_CALLS = {
    ("pickle", "load"), ("pickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
    ("shelve", "open"), ("dill", "load"), ("dill", "loads"), ("pd", "read_pickle"),
    ("pandas", "read_pickle"), ("os", "system"), ("os", "popen"), ("yaml", "unsafe_load"),
    ("yaml", "full_load"), ("yaml", "load_all"),
}  # fmt: skip
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _yaml_loader_is_safe(call: ast.Call, module: str | None) -> bool:
    """`yaml.load(..., Loader=X)` is fine only if X is (a subclass of) SafeLoader."""
    loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
    if loader is None and len(call.args) > 1:
        loader = call.args[1]
    if loader is None:
        return False
    name = _dotted(loader).split(".")[-1]
    if name in SAFE_YAML_LOADERS:
        return True
    if module is None:
        return False
    cls = getattr(importlib.import_module(module), name, None)
    # safe = built on the safe constructor (SafeLoader, or libyaml's CSafeLoader), never the full one
    unsafe = (yaml.constructor.FullConstructor, yaml.constructor.UnsafeConstructor)
    return (
        isinstance(cls, type)
        and issubclass(cls, yaml.constructor.SafeConstructor)
        and not issubclass(cls, unsafe)
    )


def scan(source: str, module: str | None = None) -> list[str]:
    """Every dangerous call in `source`, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = _dotted(func)
        parts = name.split(".")
        what = None
        if isinstance(func, ast.Name) and func.id in BANNED_NAMES:
            what = f"{func.id}()"
        elif isinstance(func, ast.Attribute) and func.attr in BANNED_METHODS:
            what = f".{func.attr}() (pandas runs expression strings)"
        elif len(parts) >= 2 and (parts[-2], parts[-1]) in BANNED_MODULE_CALLS:
            what = f"{name}()"
        elif name == "yaml.load" and not _yaml_loader_is_safe(node, module):
            what = "yaml.load() without a SafeLoader"
        elif parts[0] == "subprocess" or name in ("os.execv", "os.execvp", "os.spawnv"):
            shell = any(k.arg == "shell" for k in node.keywords)
            what = f"{name}(shell=...)" if shell else f"{name}() (no subprocesses in sdkpi)"
        if what:
            found.append(f"{node.lineno}: {what}")
    return found


def _modules() -> list[tuple[str, Path]]:
    return [
        (".".join(("sdkpi", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__"), path)
        for path in sorted(SRC.rglob("*.py"))
    ]


def test_the_source_tree_is_there() -> None:
    names = {name for name, _ in _modules()}
    assert {"sdkpi.expr", "sdkpi.definitions", "sdkpi.evaluate", "sdkpi.engine"} <= names


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_no_module_can_execute_user_text(module: str, path: Path) -> None:
    found = scan(path.read_text(encoding="utf-8"), module)
    assert not found, f"{path.relative_to(REPO)}: " + "; ".join(found)


BAD = """
import pickle, subprocess, yaml, os
eval(text)
exec(text)
compile(text, "f", "exec")
__import__(text)
frame.query(text)
pd.eval(text)
frame.eval(text)
pickle.loads(blob)
pd.read_pickle(path)
subprocess.run(cmd, shell=True)
os.system(cmd)
yaml.load(text)
yaml.load(text, Loader=yaml.Loader)
yaml.unsafe_load(text)
"""


def test_the_scanner_finds_every_banned_call() -> None:
    found = scan(BAD)
    assert len(found) == BAD.strip().count("\n")  # every line but the import
    assert any("shell=" in f for f in found)


def test_the_scanner_accepts_safe_yaml_and_mentions_in_text() -> None:
    good = 'yaml.safe_load(t)\nyaml.load(t, Loader=yaml.SafeLoader)\n"never eval(x)"\n# exec(y)\n'
    assert scan(good) == []
    assert scan("yaml.load(t, Loader=_Loader)", "sdkpi.yaml_lines") == []
