"""`sdkpi compute`: the month's KPIs as a table or JSON (with --by, per group)."""

from __future__ import annotations

from typing import Annotated

import typer

from .batch import (
    ConfigOpt,
    DataPathOpt,
    FailOnMissOpt,
    KpiOpt,
    LangChoiceOpt,
    Settings,
    StoreOpt,
    again,
    exit_for,
    resolve,
    running,
    summarize_issues,
    terminal,
    write_json,
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, NoCacheOpt, OutputFormat, QuietOpt, ToOpt

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Per value of this column (advisor, technician, store ...).")
]


def compute_command(
    data: DataPathOpt = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    output: FormatOpt = OutputFormat.table,
    lang: LangChoiceOpt = None,
    fail_on_miss: FailOnMissOpt = None,
    quiet: QuietOpt = False,
    by: ByOpt = None,
    kpi: KpiOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Compute the KPIs of one month (or --from/--to period) from the exported sheets."""
    run = resolve(
        config, data=data, defs=defs, mapping=mapping, store=store, lang=lang, fail_on_miss=fail_on_miss
    )
    if by:
        _breakdown(run, by, (month, start, end), kpi, output, quiet)
    from ..api import compute

    with running(quiet):
        result = compute(
            run.data,
            month=month,
            start=start,
            end=end,
            definitions=run.definitions,
            mapping=run.mapping,
            kpis=kpi or None,
            store=run.store,
            cache=not no_cache,
        )
    if output is OutputFormat.json:
        write_json(result.to_dict())
    else:
        from ..render.table import render_table

        render_table(result, terminal(), run.lang, run.currency, again(run, result.period))
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))


def _breakdown(
    run: Settings,
    by: str,
    period: tuple[str | None, str | None, str | None],
    kpis: list[str] | None,
    output: OutputFormat,
    quiet: bool,
) -> None:
    """`--by COLUMN`: every KPI per group plus the total, then exit."""
    from ..breakdown import breakdown
    from ..render.why import render_breakdown

    with running(quiet) as update:
        result = breakdown(
            run.data,
            by,
            month=period[0],
            start=period[1],
            end=period[2],
            definitions=run.definitions,
            mapping=run.mapping,
            kpis=kpis or None,
            store=run.store,
            progress=update,
        )
    if output is OutputFormat.json:
        write_json(result.to_dict())
    else:
        render_breakdown(result, terminal(), run.lang, run.currency)
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.total is not None and k.total.status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))
