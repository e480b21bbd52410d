"""`sdkpi trend`: each KPI over the last N months (or weeks), with a sparkline."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SdkpiError
from .batch import (
    ConfigOpt,
    FailOnMissOpt,
    KpiOpt,
    StoreOpt,
    exit_for,
    progress,
    settings,
    summarize_issues,
    write_stdout,
)
from .common import DefsOpt, FromOpt, Lang, MappingOpt, MonthOpt, OutputFormat, QuietOpt, ToOpt, fail


class Every(str, Enum):
    month = "month"
    week = "week"


def trend_command(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Folder of exported sheets.")] = None,
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
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of names and labels.")] = None,
    fail_on_miss: FailOnMissOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """A series per KPI with the change on the previous period and a sparkline.
    --fail-on-miss looks at the latest period."""
    from ..config import pick
    from ..trends import trend

    cfg = settings(config)
    language = lang.value if lang else cfg.lang or "en"
    try:
        with progress(quiet, "loading") as update:
            result = trend(
                pick(data, cfg.data, Path(".")),
                last=last,
                month=month,
                start=start,
                end=end,
                every=every.value,
                definitions=pick(defs, cfg.defs),
                mapping=pick(mapping, cfg.mapping),
                kpis=kpi or None,
                store=pick(store, cfg.store),
                progress=update,
            )
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.why import to_json

        write_stdout(to_json(result.to_dict()))
    else:
        from ..render.why import render_trend
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        render_trend(result, Console(), language, cfg.currency or "¥")
    summarize_issues(result.data_issues, quiet)
    missed = any(k.points and k.points[-1].status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, pick(fail_on_miss, cfg.fail_on_miss, False)))
