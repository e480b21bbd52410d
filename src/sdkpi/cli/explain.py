"""`sdkpi explain KPI_ID`: the KPI in plain words and the records that pulled it down."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

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
    terminal,
    write_json,
    write_stdout,
)
from .common import DefsOpt, FromOpt, MappingOpt, MonthOpt, QuietOpt, ToOpt

TABLE_LIMIT = 50


class ExplainFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


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
        ExplainFormat, typer.Option("--format", "-f", help="table, json, or csv (the record list).")
    ] = ExplainFormat.table,
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
    if limit is None:
        limit = TABLE_LIMIT if output is ExplainFormat.table else 0
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
    _render(result, output, run.lang, run.currency)
    summarize_issues(result.data_issues, quiet, run)
    missed = result.kpi.status == "missed"
    raise typer.Exit(exit_for(result.data_issues, missed, run.fail_on_miss))


def _render(result: object, output: ExplainFormat, lang: str, currency: str) -> None:
    from ..explain import Explanation
    from ..render.why import explanation_csv, render_explanation

    assert isinstance(result, Explanation)
    if output is ExplainFormat.json:
        write_json(result.to_dict())
    elif output is ExplainFormat.csv:
        table = explanation_csv(result)
        if table:
            write_stdout(table)
    else:
        render_explanation(result, terminal(), lang, currency)
