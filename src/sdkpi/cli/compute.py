"""`sdkpi compute`: the month's KPIs as a table or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_INPUT, EXIT_MISSED, EXIT_OK, SdkpiError
from ..issues import DataIssue
from .batch import ConfigOpt, FailOnMissOpt, KpiOpt, StoreOpt, progress, settings
from .common import (
    DefsOpt,
    FromOpt,
    Lang,
    MappingOpt,
    MonthOpt,
    NoCacheOpt,
    OutputFormat,
    QuietOpt,
    ToOpt,
    fail,
)


def compute_command(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Folder of exported sheets.")] = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of names and labels.")] = None,
    fail_on_miss: FailOnMissOpt = None,
    quiet: QuietOpt = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Per value of this column (advisor, technician, store ...).")
    ] = None,
    kpi: KpiOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Compute the KPIs of one month (or --from/--to period) from the exported sheets."""
    from ..api import compute
    from ..config import pick

    cfg = settings(config)
    data, defs, mapping = pick(data, cfg.data, Path(".")), pick(defs, cfg.defs), pick(mapping, cfg.mapping)
    lang, store = pick(lang, Lang(cfg.lang) if cfg.lang else None, Lang.en), pick(store, cfg.store)
    fail_on_miss = pick(fail_on_miss, cfg.fail_on_miss, False)
    if by:
        from .breakdown import breakdown_run

        options = (data, by, month, start, end, defs, mapping, kpi, store, output, lang, cfg, quiet)
        breakdown_run(*options, fail_on_miss=fail_on_miss)
    try:
        with progress(quiet, "loading"):
            result = compute(
                data,
                month=month,
                start=start,
                end=end,
                definitions=defs,
                mapping=mapping,
                kpis=kpi or None,
                store=store,
                cache=not no_cache,
            )
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.json_out import to_json

        sys.stdout.write(to_json(result) + "\n")
    else:
        from ..render.table import render_table
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        console = Console(width=None if sys.stdout.isatty() else 120)
        render_table(result, console, lang.value, cfg.currency or "¥")
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
