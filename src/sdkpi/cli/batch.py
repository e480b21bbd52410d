"""What every command needs to run unattended: the config file, a progress bar only
on a terminal, issue summaries on stderr and the documented exit codes."""

from __future__ import annotations

import shlex
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..api import NO_ROWS  # said in full on stderr, per sheet, not only counted
from ..config import Config, StoreIdentity, load_config, pick
from ..errors import EXIT_INPUT, EXIT_MISSED, EXIT_OK, UNDECODABLE, SdkpiError, escape_undecodable
from .common import Lang, fail

if TYPE_CHECKING:
    from ..definitions import Definitions
    from ..issues import DataIssue
    from ..results import Period

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Config file with defaults (default: ./sdkpi.toml if present)."),
]
FailOnMissOpt = Annotated[
    bool | None,
    typer.Option("--fail-on-miss/--no-fail-on-miss", help="Exit 1 when a KPI with a target missed it."),
]
KpiOpt = Annotated[list[str] | None, typer.Option("--kpi", "-k", help="Only this KPI (repeatable).")]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store name; in a dealer group, only this store's rows."),
]
DataPathOpt = Annotated[Path | None, typer.Option("--data", "-d", help="Folder of exported sheets.")]
LangChoiceOpt = Annotated[Lang | None, typer.Option("--lang", help="Language of names and labels.")]


@dataclass(frozen=True)
class Settings:
    """A command's options after the config file filled what the command line left open."""

    data: Path
    defs: Path | None
    mapping: Path | None
    store: str | None
    lang: str
    currency: str
    fail_on_miss: bool
    identity: StoreIdentity | None = None  # the config's [store] table: a report's cover
    stores: dict[str, StoreIdentity] = field(default_factory=dict)  # its [stores.<folder>] tables
    config: Path | None = None  # the --config file given
    kpi_config: Config | None = None  # the config, for its [settings], [targets] and currency

    @cached_property
    def definitions(self) -> Path | Definitions | None:
        """What to compute with: the definitions file (`defs`), adapted to the store when its
        config sets KPI settings, targets or a currency (`definitions.definitions_for`)."""
        cfg = self.kpi_config
        if cfg is None or not cfg.changes_kpis:
            return self.defs  # nothing to adapt (and no need to import the definitions)
        from ..definitions import definitions_for

        return definitions_for(self.defs, cfg, self.store)  # type: ignore[return-value]

    def options(self, *, lang: bool = True) -> list[str]:
        """The options that say where this run read from, for a command printed as a hint:
        copied as printed, the hint reads the same data with the same files."""
        given = [
            ("--data", self.data),
            ("--mapping", self.mapping),
            ("--defs", self.defs),
            ("--store", self.store),
            ("--config", self.config),
        ]
        if lang and self.lang != "en":
            given.append(("--lang", self.lang))
        return [part for option, value in given if value is not None for part in (option, str(value))]


def resolve(
    config: Path | None,
    *,
    data: Path | None = None,
    defs: Path | None = None,
    mapping: Path | None = None,
    store: str | None = None,
    lang: Lang | None = None,
    fail_on_miss: bool | None = None,
) -> Settings:
    """Command line first, then the config file (`sdkpi.toml`), then built-in defaults.

    A bad config file exits 2 naming the file and the key.
    """
    try:
        cfg = load_config(config)
    except SdkpiError as err:
        fail(err)
    return Settings(
        data=pick(data, cfg.data, Path(".")),
        defs=pick(defs, cfg.defs),
        mapping=pick(mapping, cfg.mapping),
        store=pick(store, cfg.store),
        lang=lang.value if lang else cfg.lang or "en",
        currency=cfg.currency or "¥",
        fail_on_miss=pick(fail_on_miss, cfg.fail_on_miss, False),
        config=config,
        identity=cfg.identity,
        stores=cfg.stores,
        kpi_config=cfg,
    )


def hint_command(command: str, run: Settings, period: Period | None = None, *, lang: bool = True) -> str:
    """`sdkpi COMMAND` with the options this run used (and its period), shell-quoted."""
    return f"sdkpi {command} {again(run, period, lang=lang)}"


def again(run: Settings, period: Period | None = None, *, lang: bool = True) -> str:
    """The options of this run (--data, files, language, period), shell-quoted: what a hint
    printed after the run needs so that, copied as printed, it reads the same data."""
    words = run.options(lang=lang) + (period_options(period) if period is not None else [])
    return " ".join(shell_word(word) for word in words)


def shell_word(word: str) -> str:
    """One word for a POSIX shell, as shlex quotes it; a word holding a name's byte that is not
    UTF-8 as bash's $'...' with the byte escaped ($'st\\xe9re'): printable, and it pastes."""
    if not UNDECODABLE.search(word):
        return shlex.quote(word)
    return "$'" + escape_undecodable(word.replace("\\", "\\\\").replace("'", "\\'")) + "'"


def period_options(period: Period) -> list[str]:
    """--month YYYY-MM for a calendar month, else --from/--to (the last day inclusive)."""
    from datetime import timedelta

    if "." not in period.label:
        return ["--month", period.label]
    return ["--from", period.start.isoformat(), "--to", (period.end - timedelta(days=1)).isoformat()]


@contextmanager
def running(quiet: bool, label: str = "loading") -> Iterator[Any]:
    """Run a library call: a progress bar on a terminal, its error as a message and exit code."""
    try:
        with progress(quiet, label) as update:
            yield update
    except SdkpiError as err:
        fail(err)


@contextmanager
def progress(quiet: bool, label: str) -> Iterator[Any]:
    """A transient progress bar on stderr, only when stderr is a terminal (never in cron)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label} {step}".strip(), completed=done, total=total)

        yield update


SUMMARY_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "issues": "sdkpi: data issues: {parts}",
        "error": ("error", "errors"),
        "warning": ("warning", "warnings"),
        "info": ("note", "notes"),
        "see": "; run `{command}` for the list",
    },
    "zh": {
        "issues": "sdkpi: 数据问题：{parts}",
        "error": ("个错误", "个错误"),
        "warning": ("个警告", "个警告"),
        "info": ("条提示", "条提示"),
        "see": "；运行 `{command}` 查看明细",
    },
}


def summarize_issues(
    issues: list[DataIssue], quiet: bool, run: Settings | None = None, *, also: Path | None = None
) -> None:
    """One line on stderr: how many data issues, of which kind, and the command that lists them
    (with this run's --data and files; `also`: a second data folder read, as `diff`'s B); a
    period without rows is said in full, per sheet."""
    if quiet or not issues:
        return
    from ..safety import visible

    lang = run.lang if run is not None and run.lang in SUMMARY_WORDS else "en"
    words = SUMMARY_WORDS[lang]
    from ..render.issues import issue_kind, issue_reason

    for issue in issues:
        if issue.code == NO_ROWS:
            print(visible(no_rows_line(issue, lang)), file=sys.stderr)
        elif issue.code == "folders_read":  # which stores (or months) were read, and which not
            print(visible(f"sdkpi: {issue_reason(issue, lang)}"), file=sys.stderr)
    by_severity = Counter(i.severity for i in issues)
    by_code = Counter(i.code for i in issues if i.severity != "info")
    parts = []
    for severity in ("error", "warning", "info"):
        if n := by_severity[severity]:
            one, many = words[severity]
            parts.append(f"{n} {one if n == 1 else many}" if lang == "en" else f"{n} {one}")
    kinds = [f"{issue_kind(code, lang)} ×{n}" for code, n in by_code.most_common(4)]
    top = ("、" if lang == "zh" else ", ").join(kinds)
    line = words["issues"].format(parts=("，" if lang == "zh" else ", ").join(parts))
    if top:
        line += f"({top})" if lang == "zh" else f" ({top})"
    if all(issue.code == NO_ROWS for issue in issues):  # `check` looks at no period
        print(line, file=sys.stderr)
        return
    commands = [hint_command("check", run)] if run is not None else ["sdkpi check"]  # check has --lang
    if run is not None and also is not None and also != run.data:
        commands.append(hint_command("check", replace(run, data=also)))
    command = "` / `".join(commands)
    print(line + words["see"].format(command=visible(command)), file=sys.stderr)


def no_rows_line(issue: DataIssue, lang: str) -> str:
    """A sheet without rows in the period, and the dates it holds, in the run's language."""
    if lang != "zh":
        return f"sdkpi: {issue.severity}: {issue.reason}"
    from ..words import column_label, sheet_label

    severity = "错误" if issue.severity == "error" else "警告"
    held = f"该表的日期范围为 {issue.value.replace('..', ' 至 ')}" if issue.value else "该表没有可识别的日期"
    sheet = sheet_label(issue.sheet or "", "zh")
    columns = "、".join(column_label(c, "zh", issue.sheet) for c in (issue.column or "").split(", ") if c)
    return f"sdkpi: {severity}：{sheet}在所选期间内没有记录（日期列：{columns}）；{held}"


def exit_for(issues: list[DataIssue], missed: bool, fail_on_miss: bool) -> int:
    """3 when input could not (all) be read, 1 for a miss under --fail-on-miss, else 0."""
    if any(issue.severity == "error" for issue in issues):
        return EXIT_INPUT
    if fail_on_miss and missed:
        return EXIT_MISSED
    return EXIT_OK
