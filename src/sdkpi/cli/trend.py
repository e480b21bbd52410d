"""`sdkpi trend`: each KPI over the last N months (or weeks), with a sparkline."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from .batch import (
    ConfigOpt,
    DataPathOpt,
    FailOnMissOpt,
    KpiOpt,
    LangChoiceOpt,
    StoreOpt,
    exit_for,
    resolve,
    running,
    summarize_issues,
    terminal,
    write_json,
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, OutputFormat, QuietOpt, ToOpt


class Every(str, Enum):
    month = "month"
    week = "week"


def trend_command(
    data: DataPathOpt = None,
    last: Annotated[
        int | None, typer.Option("--last", help="Number of periods, ending with the one holding --month.")
    ] = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    every: Annotated[Every, typer.Option("--every", help="month or week (Monday to Sunday).")] = Every.month,
    kpi: KpiOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
    lang: LangChoiceOpt = None,
    fail_on_miss: FailOnMissOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """A series per KPI with the change on the previous period and a sparkline.
    --fail-on-miss looks at the latest period."""
    from ..trends import trend

    run = resolve(
        config, data=data, defs=defs, mapping=mapping, store=store, lang=lang, fail_on_miss=fail_on_miss
    )
    with running(quiet) as update:
        result = trend(
            run.data,
            last=last,
            month=month,
            start=start,
            end=end,
            every=every.value,
            definitions=run.definitions,
            mapping=run.mapping,
            kpis=kpi or None,
            store=run.store,
            progress=update,
        )
    if output is OutputFormat.json:
        write_json(result.to_dict())
    else:
        from ..render.why import render_trend

        render_trend(result, terminal(), run.lang, run.currency)
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.points and k.points[-1].status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))
