"""`sdkpi compute --by COLUMN`: every KPI per group, plus the total."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from ..errors import SdkpiError
from .batch import exit_for, progress, summarize_issues, write_stdout
from .common import Lang, OutputFormat, fail


def breakdown_run(
    data: Path,
    by: str,
    month: str | None,
    start: str | None,
    end: str | None,
    defs: Path | None,
    mapping: Path | None,
    kpis: list[str] | None,
    store: str | None,
    output: OutputFormat,
    lang: Lang,
    cfg: Any,
    quiet: bool,
    fail_on_miss: bool = False,
) -> NoReturn:
    """Compute the breakdown, print it (table or JSON) and exit with the documented code."""
    from ..breakdown import breakdown

    try:
        with progress(quiet, "loading") as update:
            result = breakdown(
                data,
                by,
                month=month,
                start=start,
                end=end,
                definitions=defs,
                mapping=mapping,
                kpis=kpis or None,
                store=store,
                progress=update,
            )
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.why import to_json

        write_stdout(to_json(result.to_dict()))
    else:
        from ..render.why import render_breakdown
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        console = Console(width=None if sys.stdout.isatty() else 120)
        render_breakdown(result, console, lang.value, cfg.currency or "¥")
    summarize_issues(result.data_issues, quiet)
    missed = any(k.total is not None and k.total.status == "missed" for k in result.kpis)
    raise typer.Exit(exit_for(result.data_issues, missed, fail_on_miss))
