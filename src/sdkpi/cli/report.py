"""`sdkpi report`: the monthly report as an Excel workbook or one self-contained HTML page."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import EXIT_USAGE, UsageError
from .batch import (
    ConfigOpt,
    DataPathOpt,
    FailOnMissOpt,
    StoreOpt,
    exit_for,
    resolve,
    running,
    summarize_issues,
)
from .common import DefsOpt, Lang, MappingOpt, MonthOpt, QuietOpt, fail

if TYPE_CHECKING:
    from ..report import ReportData


class ReportFormat(str, Enum):
    xlsx = "xlsx"
    html = "html"


def report_command(
    data: DataPathOpt = None,
    month: MonthOpt = None,
    report_format: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="xlsx or html (default: from the -o suffix, else xlsx)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: sdkpi-report-YYYY-MM.xlsx|html)."),
    ] = None,
    last: Annotated[
        int, typer.Option("--last", min=1, max=120, help="Months of trend, ending with --month.")
    ] = 12,
    defs: DefsOpt = None,
    mapping: MappingOpt = None,
    store: StoreOpt = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of the report: en or zh.")] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Add a breakdown per value of this column (advisor, technician, store ...)."
        ),
    ] = None,
    fail_on_miss: FailOnMissOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the month's report: KPIs by stage, trends, the records behind each miss, data issues
    (and with --by, each KPI per advisor, store ...). Prints the path of the file written."""
    from ..report import build_report

    run = resolve(
        config, data=data, defs=defs, mapping=mapping, store=store, lang=lang, fail_on_miss=fail_on_miss
    )
    if not month:
        fail(UsageError("say which month: --month 2024-05"))
    fmt, path = output_target(report_format, output, month, quiet)
    with running(quiet) as step:
        report = build_report(
            run.data,
            month,
            last=last,
            definitions=run.defs,
            mapping=run.mapping,
            lang=run.lang,
            store=run.store,
            currency=run.currency,
            progress=step,
            by=by or None,
        )
    write_report(report, fmt, path)
    print(path)
    summarize_issues(report.result.data_issues, quiet)
    raise typer.Exit(exit_for(report.result.data_issues, bool(report.missed), run.fail_on_miss))


def output_target(
    report_format: ReportFormat | None, output: Path | None, month: str, quiet: bool
) -> tuple[ReportFormat, Path]:
    """The format (given, or from the file's suffix) and the file to write."""
    suffix = output.suffix.lower().lstrip(".") if output else ""
    fmt = report_format or (ReportFormat(suffix) if suffix in ("xlsx", "html") else ReportFormat.xlsx)
    path = output or Path(f"sdkpi-report-{month}.{fmt.value}")
    if output and suffix != fmt.value and not quiet:
        print(f"sdkpi: warning: writing {fmt.value} to {output} (suffix .{suffix or '-'})", file=sys.stderr)
    return fmt, path


def write_report(report: ReportData, fmt: ReportFormat, path: Path) -> None:
    """Render and write atomically; a write failure is a usage error (exit 2), the old file intact."""
    try:
        if fmt is ReportFormat.xlsx:
            from ..render.xlsx import write_xlsx

            write_xlsx(report, path)
        else:
            from ..render.html import write_html

            write_html(report, path)
    except OSError as err:
        from ..safety import visible

        print(f"sdkpi: error: {visible(f'cannot write {path}: {err.strerror or err}')}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None
