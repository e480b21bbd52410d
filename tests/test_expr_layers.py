"""Where the expression language sits (ARCHITECTURE.md, issue #14): the words of conditions are
above the expressions, and nothing below them reads them; the base layer's `suggest` and
`column_words` read nothing of the expression language."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sdkpi"


def _imported(path: Path) -> set[str]:
    """The last part of every sdkpi module `path` imports (`from ..words import x` -> words)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module:
                found.add(node.module.split(".")[-1])
            found.update(alias.name for alias in node.names)
    return found


def test_nothing_below_the_expressions_reads_the_words_of_conditions() -> None:
    lower = [
        PACKAGE / "contract.py",
        PACKAGE / "column_words.py",
        *sorted((PACKAGE / "loaders").glob("*.py")),
    ]
    assert [p.name for p in lower if "words" in _imported(p)] == []


def test_the_base_helpers_read_nothing_of_the_expression_language() -> None:
    expression = {"expr", "expr_tree", "evaluate", "functions", "named_by", "frame", "words", "definitions"}
    for name in ("suggest", "column_words", "expr_tree"):
        assert _imported(PACKAGE / f"{name}.py") & expression == set(), name


def test_no_loader_takes_did_you_mean_from_the_evaluator() -> None:
    for path in sorted((PACKAGE / "loaders").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "evaluate import did_you_mean" not in text, path.name


def test_the_expression_modules_stay_under_500_lines() -> None:
    for name in ("expr", "expr_tree", "evaluate", "frame", "functions", "named_by", "words", "column_words"):
        lines = (PACKAGE / f"{name}.py").read_text(encoding="utf-8").count("\n")
        assert lines < 500, f"{name}.py has {lines} lines"
    for name in ("definitions", "compiled", "kpi_model", "parameters", "suggest"):
        lines = (PACKAGE / f"{name}.py").read_text(encoding="utf-8").count("\n")
        assert lines < 500, f"{name}.py has {lines} lines"
