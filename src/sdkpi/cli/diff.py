"""`sdkpi diff`: one month from two data folders or two definition files, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import SdkpiError, UsageError
from .batch import ConfigOpt, KpiOpt, StoreOpt, exit_for, progress, settings, summarize_issues, write_stdout
from .common import DefsOpt, FromOpt, Lang, MappingOpt, MonthOpt, OutputFormat, QuietOpt, ToOpt, fail

TABLE_LIMIT = 20


def diff_command(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Data folder A.")] = None,
    data_b: Annotated[Path | None, typer.Option("--data-b", help="Data folder B (default: A).")] = None,
    defs: DefsOpt = None,
    defs_b: Annotated[
        Path | None, typer.Option("--defs-b", help="Definitions file B (default: A's).")
    ] = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    kpi: KpiOpt = None,
    mapping: MappingOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of names and labels.")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", help=f"Changed records per KPI (0: all; default {TABLE_LIMIT} in a table)."
        ),
    ] = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Which KPIs moved between A and B, by how much, and which records changed their role."""
    from ..compare import diff
    from ..config import pick

    cfg = settings(config)
    language = lang.value if lang else cfg.lang or "en"
    if limit is None:
        limit = TABLE_LIMIT if output is OutputFormat.table else 0
    try:
        if data_b is None and defs_b is None:
            raise UsageError("nothing to compare: give --data-b B, --defs-b FILE, or both")
        with progress(quiet, "loading") as update:
            result = diff(
                pick(data, cfg.data, Path(".")),
                data_b=data_b,
                definitions=pick(defs, cfg.defs),
                definitions_b=defs_b,
                month=month,
                start=start,
                end=end,
                mapping=pick(mapping, cfg.mapping),
                kpis=kpi or None,
                store=pick(store, cfg.store),
                progress=update,
                limit=limit or None,
            )
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.why import to_json

        write_stdout(to_json(result.to_dict()))
    else:
        from ..render.why import render_diff
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        render_diff(result, Console(), language, cfg.currency or "¥")
    summarize_issues(result.data_issues, quiet)
    raise typer.Exit(exit_for(result.data_issues, False, False))
