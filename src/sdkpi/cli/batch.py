"""What every command needs to run unattended: the config file, a progress bar only
on a terminal, issue summaries on stderr and the documented exit codes."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..config import load_config, pick
from ..errors import EXIT_INPUT, EXIT_MISSED, EXIT_OK, SdkpiError
from .common import Lang, fail

if TYPE_CHECKING:
    from rich.console import Console

    from ..issues import DataIssue

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
    )


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


def terminal(piped_width: int = 120) -> Console:
    """The console for tables: data text is never markup nor escapes; piped output is not cut."""
    from ..safety import TerminalConsole

    return TerminalConsole(width=None if sys.stdout.isatty() else piped_width)


def summarize_issues(issues: list[DataIssue], quiet: bool) -> None:
    """One line on stderr: how many data issues, of which kind, and how to see them."""
    if quiet or not issues:
        return
    by_severity = Counter(i.severity for i in issues)
    by_code = Counter(i.code for i in issues if i.severity != "info")
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s in ("error", "warning", "info") if (n := by_severity[s])]
    top = ", ".join(f"{code} ×{n}" for code, n in by_code.most_common(4))
    line = f"sdkpi: data issues: {', '.join(parts)}"
    if top:
        line += f" ({top})"
    print(line + "; run `sdkpi check` for the list", file=sys.stderr)


def exit_for(issues: list[DataIssue], missed: bool, fail_on_miss: bool) -> int:
    """3 when input could not (all) be read, 1 for a miss under --fail-on-miss, else 0."""
    if any(issue.severity == "error" for issue in issues):
        return EXIT_INPUT
    if fail_on_miss and missed:
        return EXIT_MISSED
    return EXIT_OK


def write_stdout(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
