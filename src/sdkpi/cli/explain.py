"""`sdkpi explain KPI_ID`: the KPI in plain words and the records that pulled it down."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SdkpiError
from .batch import (
    ConfigOpt,
    FailOnMissOpt,
    StoreOpt,
    exit_for,
    progress,
    settings,
    summarize_issues,
    write_stdout,
)
from .common import DefsOpt, FromOpt, Lang, MappingOpt, MonthOpt, QuietOpt, ToOpt, fail

TABLE_LIMIT = 50


class ExplainFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def explain_command(
    kpi_id: Annotated[str, typer.Argument(help="The KPI id, e.g. on_time_completion_rate.")],
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Folder of exported sheets.")] = None,
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="table, json, or csv (the record list).")
    ] = ExplainFormat.table,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of the words.")] = None,
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
    from ..config import pick
    from ..explain import explain

    cfg = settings(config)
    language = lang.value if lang else cfg.lang or "en"
    if limit is None:
        limit = TABLE_LIMIT if output is ExplainFormat.table else 0
    try:
        with progress(quiet, "loading") as update:
            result = explain(
                pick(data, cfg.data, Path(".")),
                kpi_id,
                month=month,
                start=start,
                end=end,
                definitions=pick(defs, cfg.defs),
                mapping=pick(mapping, cfg.mapping),
                store=pick(store, cfg.store),
                progress=update,
                lang=language,
                limit=limit or None,
            )
    except SdkpiError as err:
        fail(err)
    _render(result, output, language, cfg.currency or "¥")
    summarize_issues(result.data_issues, quiet)
    missed = result.kpi.status == "missed"
    raise typer.Exit(exit_for(result.data_issues, missed, pick(fail_on_miss, cfg.fail_on_miss, False)))


def _render(result: object, output: ExplainFormat, lang: str, currency: str) -> None:
    from ..explain import Explanation
    from ..render.why import records_csv, render_explanation, to_json

    assert isinstance(result, Explanation)
    if output is ExplainFormat.json:
        write_stdout(to_json(result.to_dict()))
    elif output is ExplainFormat.csv:
        if result.records is not None:
            write_stdout(records_csv(result.records))
    else:
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        render_explanation(result, Console(), lang, currency)
