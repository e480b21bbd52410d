"""Options shared by several commands, declared once."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ..errors import SdkpiError


class Lang(str, Enum):
    en = "en"
    zh = "zh"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


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
