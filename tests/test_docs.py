"""Docs that cannot drift: the KPI table (docs/kpis.md) and the command list match the product.

Refresh the KPI table after editing kpi_definitions.yaml with:
    python tests/test_docs.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sdkpi.cli import app
from sdkpi.definitions import load_definitions
from sdkpi.results import TargetSpec

README = Path(__file__).parent.parent / "README.md"
KPIS_DOC = Path(__file__).parent.parent / "docs" / "kpis.md"
START, END = "<!-- kpi-table:start -->\n", "<!-- kpi-table:end -->"


def kpi_table_markdown() -> str:
    lines = [
        "| # | id | 中文 | stage | definition | target | settings (default) |",
        "|---|---|---|---|---|---|---|",
    ]
    definitions = load_definitions()
    for number, kpi in enumerate(definitions.kpis, 1):
        if kpi.target is None:
            target = "report only"
        elif kpi.target.kind == "reference":
            money = (
                {"USD": "US$", "CNY": "¥"}.get(kpi.target.currency or "", "")
                if kpi.unit == "currency"
                else ""
            )
            target = f"reference {money}{kpi.target.value:g} (not judged)"
        else:
            target = TargetSpec(kpi.target.op, kpi.target.value, kpi.target.kind).text(kpi.unit)
            if kpi.target.kind == "benchmark":
                target = f"benchmark {target}"
        description = definitions.compiled[kpi.id].description  # its settings' defaults filled in
        definition = description["en"] if description else ""
        settings = ", ".join(f"`{s.name}` = {_shown(s.value)}" for s in definitions.compiled[kpi.id].settings)
        lines.append(
            f"| {number} | `{kpi.id}` | {kpi.name.zh} | {kpi.stage} | {definition} | {target} | {settings} |"
        )
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    if value is None:
        return "none (no limit)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


def _readme_table(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0]


def test_kpi_table_is_generated_from_the_shipped_definitions() -> None:
    assert _readme_table(KPIS_DOC.read_text(encoding="utf-8")) == kpi_table_markdown(), (
        "docs/kpis.md KPI table is stale: run `python tests/test_docs.py --write`"
    )


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    assert re.search(rf"sdkpi {command}\b", README.read_text(encoding="utf-8")), command


def test_quick_start_has_exactly_two_shell_blocks() -> None:
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, re.S | re.M)
    assert section is not None
    assert len(re.findall(r"```(?:bash|sh|shell)\n", section.group(1))) == 2


if __name__ == "__main__" and "--write" in sys.argv:
    text = KPIS_DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    KPIS_DOC.write_text(head + START + kpi_table_markdown() + END + rest.split(END, 1)[1], encoding="utf-8")
