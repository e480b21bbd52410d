"""`sdkpi compute`: the month's KPIs as a table or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_INPUT, EXIT_MISSED, EXIT_OK, SdkpiError
from ..issues import DataIssue
from .common import (
    DataOpt,
    DefsOpt,
    FromOpt,
    Lang,
    LangOpt,
    MappingOpt,
    MonthOpt,
    OutputFormat,
    QuietOpt,
    ToOpt,
    fail,
)


def compute_command(
    data: DataOpt = Path("."),
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
    lang: LangOpt = Lang.en,
    fail_on_miss: Annotated[
        bool, typer.Option("--fail-on-miss", help="Exit 1 when a KPI with a target missed it.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Compute the KPIs of one month (or --from/--to period) from the exported sheets."""
    from ..api import compute

    try:
        result = compute(data, month=month, start=start, end=end, definitions=defs, mapping=mapping)
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.json_out import to_json

        sys.stdout.write(to_json(result) + "\n")
    else:
        from rich.console import Console

        from ..render.table import render_table

        render_table(result, Console(), lang.value)
    if not quiet:
        print_issue_summary(result.data_issues)
    raise typer.Exit(exit_code(result, fail_on_miss))


def exit_code(result: object, fail_on_miss: bool) -> int:
    from ..results import ComputeResult

    assert isinstance(result, ComputeResult)
    if any(issue.severity == "error" for issue in result.data_issues):
        return EXIT_INPUT
    if fail_on_miss and any(k.status == "missed" for k in result.kpis):
        return EXIT_MISSED
    return EXIT_OK


def print_issue_summary(issues: list[DataIssue]) -> None:
    """One line on stderr: how many data issues, of which kind, and how to see them."""
    if not issues:
        return
    from collections import Counter

    by_severity = Counter(i.severity for i in issues)
    by_code = Counter(i.code for i in issues if i.severity != "info")
    parts = [
        f"{by_severity[s]} {s}{'s' if by_severity[s] != 1 else ''}"
        for s in ("error", "warning", "info")
        if by_severity[s]
    ]
    top = ", ".join(f"{code} ×{n}" for code, n in by_code.most_common(4))
    line = f"sdkpi: data issues: {', '.join(parts)}"
    if top:
        line += f" ({top})"
    line += "; run `sdkpi check` for the list"
    print(line, file=sys.stderr)
