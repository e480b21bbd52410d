"""`sdkpi explain KPI_ID`: the KPI in plain words and the records that pulled it down."""

from __future__ import annotations

from typing import Annotated

import typer

from ..render.formats import Options
from .batch import (
    ConfigOpt,
    DataPathOpt,
    FailOnMissOpt,
    LangChoiceOpt,
    StoreOpt,
    exit_for,
    resolve,
    running,
    summarize_issues,
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, QuietOpt, ToOpt, format_choice, output_format

TABLE_LIMIT = 50


def explain_command(
    kpi_id: Annotated[str, typer.Argument(help="The KPI id, e.g. on_time_completion_rate.")],
    data: DataPathOpt = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        format_choice("explain"),  # type: ignore[valid-type]  # the formats' registry
        typer.Option("--format", "-f", help="table, json, or csv (the record list)."),
    ] = "table",
    lang: LangChoiceOpt = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", help=f"Records to list (0: all; default {TABLE_LIMIT} in a table)."),
    ] = None,
    fail_on_miss: FailOnMissOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Explain one KPI: its definition in words, its figures, what was left out, and the
    records in the denominator but not in the numerator, each with the condition it failed."""
    from ..explain import explain

    run = resolve(
        config, data=data, defs=defs, mapping=mapping, store=store, lang=lang, fail_on_miss=fail_on_miss
    )
    fmt = output_format(output, "explain")
    if limit is None:
        limit = TABLE_LIMIT if fmt.brief else 0
    with running(quiet) as update:
        result = explain(
            run.data,
            kpi_id,
            month=month,
            start=start,
            end=end,
            definitions=run.definitions,
            mapping=run.mapping,
            store=run.store,
            progress=update,
            lang=run.lang,
            limit=limit or None,
        )
    fmt.show("explain", result, Options(run.lang, run.currency))
    summarize_issues(result.data_issues, quiet, run)
    missed = result.kpi.status == "missed"
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))
