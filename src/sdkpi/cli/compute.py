"""`sdkpi compute`: the month's KPIs as a table or JSON (with --by, per group)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..render.formats import Options
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
)
from .common import (
    DefsOpt,
    FromOpt,
    MappingOpt,
    MonthOpt,
    NoCacheOpt,
    QuietOpt,
    ToOpt,
    format_choice,
    output_format,
)

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
    output: Annotated[
        format_choice("kpis"),  # type: ignore[valid-type]  # the formats' registry
        typer.Option("--format", "-f", help="table or json."),
    ] = "table",
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
    fmt = output_format(output, "kpis")
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
    options = Options(run.lang, run.currency, again(run, result.period))
    fmt.show("kpis", result, options)
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))


def _breakdown(
    run: Settings,
    by: str,
    period: tuple[str | None, str | None, str | None],
    kpis: list[str] | None,
    output: str,
    quiet: bool,
) -> None:
    """`--by COLUMN`: every KPI per group plus the total, then exit."""
    from ..breakdown import breakdown

    fmt = output_format(output, "breakdown")
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
    fmt.show("breakdown", result, Options(run.lang, run.currency))
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.total is not None and k.total.status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))
