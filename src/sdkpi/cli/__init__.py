"""The command line: a thin shell over the library.

Each command parses its options, calls one library function, hands the result to
a renderer and turns a library error into a message and an exit code:
0 computed · 1 a KPI missed its target (only with --fail-on-miss) ·
2 usage, config or definitions error · 3 input data could not (all) be read ·
4 a bug · 5 the output could not be written · 141 the reader of a pipe went away
(docs/exit-codes.md).
"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from .check import check_command
from .compute import compute_command
from .diff import diff_command
from .explain import explain_command
from .map import map_command
from .report import report_command
from .trend import trend_command

app = typer.Typer(
    name="sdkpi",
    help="After-sales KPIs for car dealerships, from the DMS's monthly exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"sdkpi {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """After-sales KPIs for car dealerships, from the DMS's monthly exports."""


app.command("compute")(compute_command)
app.command("explain")(explain_command)
app.command("trend")(trend_command)
app.command("diff")(diff_command)
app.command("report")(report_command)
app.command("check")(check_command)
app.command("map")(map_command)


def main() -> None:
    from ..speed import tune_process

    tune_process()  # the cycle collector's pace and numpy's BLAS threads, for a command
    from ..safety import exit_cleanly_on_sigterm, exit_now, prepare_streams, run_cli

    exit_cleanly_on_sigterm()  # `kill PID` unwinds: atomic writes remove their temp file
    prepare_streams()  # closed stdout/stderr, a full disk, a GBK console: documented exits
    try:
        run_cli(app)  # a crash exits 4, never 1 ("missed")
    except SystemExit as stop:
        exit_now(stop.code)
    exit_now(0)
