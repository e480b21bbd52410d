"""Options shared by several commands, declared once."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, cast

import typer

from ..errors import SdkpiError, UsageError

if TYPE_CHECKING:
    from ..render.formats import Format


class Lang(str, Enum):
    en = "en"
    zh = "zh"


def format_choice(kind: str) -> Any:
    """--format's choices for a command that shows `kind` of result: the formats that render
    it (`render.formats`, where every format is declared). A command calls this in its
    `--format` annotation, which typer evaluates (the modules use `from __future__ import
    annotations`) each time it builds the command line: a format registered before then is
    offered, and used, without a change to any command."""
    from ..render.formats import names

    return cast(Any, Literal)[tuple(names(kind))]


def output_format(name: str, kind: str) -> Format:
    """The format --format names, for a result of `kind`; one that cannot show it exits 2."""
    from ..render.formats import FORMATS, names

    fmt = FORMATS[name]
    if kind not in fmt.renders:
        fail(UsageError(f"--format {name} cannot show this output: use {' or '.join(names(kind))}"))
    return fmt


DataOpt = Annotated[
    Path,
    typer.Option("--data", "-d", help="Folder of exported sheets (or one workbook).", show_default=True),
]


def _month_word(value: str | None) -> str | None:
    """`--month last` / `this` as YYYY-MM by the machine's local date (for scheduled runs);
    the rule is the library's (`api.month_named`), the check of the rest `parse_period`'s."""
    if value is None:
        return None
    from ..api import month_named

    return month_named(value)


MonthOpt = Annotated[
    str | None,
    typer.Option(
        "--month",
        "-m",
        help="Reporting month: YYYY-MM, last (the previous calendar month) or this (the current one).",
        callback=_month_word,
    ),
]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day of a custom period, YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day of a custom period (inclusive).")]
DefsOpt = Annotated[
    Path | None, typer.Option("--defs", help="KPI definitions file (default: the shipped one).")
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="Header/value mapping file (default: DATA/sdkpi-mapping.yaml if present)."
    ),
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of names and labels.")]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Read and parse every file again; don't use or fill the parsed-sheet cache "
        "(also SDKPI_NO_CACHE=1).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No diagnostics on stderr.")]


def fail(error: SdkpiError) -> NoReturn:
    """Print a library error on stderr and exit with its documented code."""
    from ..safety import visible  # a file name or value from the data never drives the terminal

    print(f"sdkpi: error: {visible(str(error))}", file=sys.stderr)
    raise typer.Exit(error.exit_code)
