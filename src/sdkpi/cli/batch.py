"""What every command needs to run unattended: the config file, a progress bar only
on a terminal, issue summaries on stderr and the documented exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config, load_config
from ..errors import EXIT_INPUT, EXIT_MISSED, EXIT_OK, SdkpiError
from .common import fail

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


def settings(config: Path | None) -> Config:
    """The config file's defaults, or exit 2 naming the file and the key."""
    try:
        return load_config(config)
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


def summarize_issues(issues: list[Any], quiet: bool) -> None:
    if not quiet:
        from .compute import print_issue_summary

        print_issue_summary(issues)


def exit_for(issues: list[Any], missed: bool, fail_on_miss: bool) -> int:
    """3 when input could not (all) be read, 1 for a miss under --fail-on-miss, else 0."""
    if any(issue.severity == "error" for issue in issues):
        return EXIT_INPUT
    if fail_on_miss and missed:
        return EXIT_MISSED
    return EXIT_OK


def write_stdout(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
