"""`sdkpi report`: the monthly report as an Excel workbook or one self-contained HTML page."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import EXIT_OUTPUT, OutputError, UsageError
from ..render.formats import DEFAULT, FORMATS, REPORT, Format, by_suffix, names, suffixes
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
from .common import DefsOpt, Lang, MappingOpt, MonthOpt, QuietOpt, fail, format_choice

if TYPE_CHECKING:
    from ..report import ReportData

STDOUT = "-"

MESSAGES = {
    "en": {
        "month": "say which month: --month 2024-05 (or last, or this)",
        "terminal": "the {fmt} report is binary, not for a terminal: write it to a file (-o report{suffix}) "
        "or a pipe (-o - > report{suffix}), or use --format html",
        "conflict": "-o {path} ends in {given}, which is not a {fmt} file: "
        "name it {stem}{suffix}, or leave --format out to write what the suffix says",
        "unknown": "-o {path}: sdkpi writes {known} files; give the file one of these suffixes",
        "locked": "cannot replace {path}: the file is open in another program (Excel?) or read-only. "
        "Close the file and run again; the old file is unchanged",
        "write": "cannot write {path}: {reason}; the old file, if any, is unchanged",
    },
    "zh": {
        "month": "请指定月份：--month 2024-05（或 last 上月、this 本月）",
        "terminal": "{fmt} 报告是二进制文件，不能直接输出到终端：请写入文件（-o report{suffix}）"
        "或管道（-o - > report{suffix}），或改用 --format html",
        "conflict": "-o {path} 的后缀 {given} 与 {fmt} 格式不符：请改名为 {stem}{suffix}，"
        "或去掉 --format，按后缀决定格式",
        "unknown": "-o {path}：sdkpi 只能写 {known} 文件，请使用其中一个后缀",
        "locked": "无法覆盖 {path}：文件正被其他程序（如 Excel）打开，或为只读。"
        "请关闭该文件后重新运行；原文件未被改动",
        "write": "无法写入 {path}：{reason}；原文件（如有）未被改动",
    },
}


def report_command(
    data: DataPathOpt = None,
    month: MonthOpt = None,
    report_format: Annotated[
        format_choice(REPORT) | None,  # type: ignore[valid-type]  # the formats' registry
        typer.Option(
            "--format",
            "-f",
            help=f"{', '.join(names(REPORT))} (default: from the -o suffix, else {DEFAULT}).",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: sdkpi-report-YYYY-MM and the format's suffix); "
            "- for standard output.",
        ),
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
    words = MESSAGES.get(run.lang, MESSAGES["en"])
    if not month:
        fail(UsageError(words["month"]))
    try:  # before the (possibly long) computation
        fmt, path = output_target(report_format, output, month, run.lang)
    except UsageError as err:
        fail(err)
    with running(quiet) as step:
        report = build_report(
            run.data,
            month,
            last=last,
            definitions=run.definitions,
            mapping=run.mapping,
            lang=run.lang,
            store=run.store,
            currency=run.currency,
            progress=step,
            by=by or None,
            identity=run.identity,
            stores=run.stores,
        )
    write_report(report, fmt, path, run.lang)
    if path is not None:
        say_path(path)
    summarize_issues(report.result.data_issues, quiet, run)
    raise typer.Exit(exit_for(report.result.data_issues, bool(report.missed), run.fail_on_miss))


def output_target(
    name: str | None, output: str | None, month: str, lang: str = "en"
) -> tuple[Format, Path | None]:
    """The format and the file to write (None: standard output), or a `UsageError`.

    --format given: the file's suffix must be one of that format's. Not given: the suffix
    says the format (.xlsx, .html ...), and a suffix of no format is refused, so that
    `-o may.pdf` never holds a workbook. `-o -`: standard output, a binary format only when
    it is not a terminal. No -o: sdkpi-report-YYYY-MM with the format's suffix.
    """
    words = MESSAGES.get(lang, MESSAGES["en"])
    given = FORMATS[name] if name else None
    if output is None:
        fmt = given or FORMATS[DEFAULT]
        return fmt, Path(f"sdkpi-report-{month}{fmt.suffix}")
    if output == STDOUT:
        fmt = given or FORMATS[DEFAULT]
        if fmt.binary and sys.stdout.isatty():
            raise UsageError(words["terminal"].format(fmt=fmt.name, suffix=fmt.suffix))
        return fmt, None
    path = Path(output)
    inferred = by_suffix(path)
    if inferred is None:
        known = ", ".join(suffixes(REPORT))
        raise UsageError(words["unknown"].format(path=output, known=known))
    if given is not None and inferred is not given:
        raise UsageError(
            words["conflict"].format(
                path=output, given=path.suffix, fmt=given.name, stem=path.stem, suffix=given.suffix
            )
        )
    return inferred, path


def write_report(report: ReportData, fmt: Format, path: Path | None, lang: str = "en") -> None:
    """Render and write atomically (None: to standard output); a file that cannot be written
    exits 5 saying why (a file open in Excel: close it and run again), the old file intact."""
    from ..atomic import FileInUse
    from ..safety import visible, write_binary_stdout

    words = MESSAGES.get(lang, MESSAGES["en"])
    if path is None:
        write_binary_stdout(rendered(report, fmt))
        return
    try:
        fmt.write(report, path)
    except FileInUse:
        message = words["locked"].format(path=path)
    except OSError as err:
        message = words["write"].format(path=path, reason=err.strerror or err)
    else:
        return
    print(f"sdkpi: error: {visible(message)}", file=sys.stderr)
    raise typer.Exit(EXIT_OUTPUT)


def rendered(report: ReportData, fmt: Format) -> bytes:
    """The report's bytes, written by the format's own writer into a private scratch folder."""
    with tempfile.TemporaryDirectory(prefix="sdkpi-report-") as scratch:
        target = Path(scratch) / f"report{fmt.suffix}"
        fmt.write(report, target)
        return target.read_bytes()


def say_path(path: Path) -> None:
    """The path of the file written, on stdout; the report is written whether or not anyone
    reads this line (stdout closed, or its reader gone)."""
    with contextlib.suppress(OutputError, OSError):
        print(path)
