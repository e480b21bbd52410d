"""`sdkpi trend`: each KPI over the last N months (or weeks), with a sparkline."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..render.formats import Options
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
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, QuietOpt, ToOpt, format_choice, output_format


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
        format_choice("trend"),  # type: ignore[valid-type]  # the formats' registry
        typer.Option("--format", "-f", help="table or json."),
    ] = "table",
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
    fmt = output_format(output, "trend")
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
    fmt.show("trend", result, Options(run.lang, run.currency))
    summarize_issues(result.data_issues, quiet, run)
    missed = any(k.points and k.points[-1].status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))
