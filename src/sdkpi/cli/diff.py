"""`sdkpi diff`: one month from two data folders or two definition files, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..render.formats import Options
from .batch import (
    ConfigOpt,
    KpiOpt,
    LangChoiceOpt,
    StoreOpt,
    exit_for,
    resolve,
    running,
    summarize_issues,
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, QuietOpt, ToOpt, format_choice, output_format

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
        format_choice("diff"),  # type: ignore[valid-type]  # the formats' registry
        typer.Option("--format", "-f", help="table or json."),
    ] = "table",
    lang: LangChoiceOpt = None,
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

    run = resolve(config, data=data, defs=defs, mapping=mapping, store=store, lang=lang)
    fmt = output_format(output, "diff")
    if limit is None:
        limit = TABLE_LIMIT if fmt.brief else 0
    with running(quiet) as update:
        if data_b is None and defs_b is None:
            raise UsageError("nothing to compare: give --data-b B, --defs-b FILE, or both")
        result = diff(
            run.data,
            data_b=data_b,
            definitions=run.defs,
            definitions_b=defs_b,
            month=month,
            start=start,
            end=end,
            mapping=run.mapping,
            kpis=kpi or None,
            store=run.store,
            progress=update,
            limit=limit or None,
            config=run.kpi_config,  # the store's settings and targets, on both sides as compute
        )
    fmt.show("diff", result, Options(run.lang, run.currency))
    summarize_issues(result.data_issues, quiet, run, also=data_b)
    raise typer.Exit(exit_for(result.data_issues, False, False))
