"""What a command shows on standard output, per format and kind of result: the functions
`render.formats` names (`function(result, options)`), and the console and writers they share.

Each renderer is imported only when its format is used (a table never loads the JSON
writer, JSON never builds a console)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from .formats import Options


def terminal(piped_width: int = 120) -> Console:
    """The console for tables: data text is never markup nor escapes; piped output is not cut."""
    from ..safety import TerminalConsole

    return TerminalConsole(width=None if sys.stdout.isatty() else piped_width)


def write_stdout(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def write_json(payload: dict[str, Any]) -> None:
    """A command's JSON on stdout; on a stdout in a code page (cp1252, GBK) every character
    beyond ASCII is a JSON escape, so the reader gets back the same strings."""
    from ..safety import writes_unicode
    from .json_out import dumps

    write_stdout(dumps(payload, ascii_only=not writes_unicode(sys.stdout)))


# --------------------------------------------------------------------------- json


def as_json(result: Any, options: Options) -> None:
    """Every command's JSON: the result's `to_dict()`, whole (every issue, never grouped or cut)."""
    write_json(result.to_dict())


# --------------------------------------------------------------------------- table


def kpis_table(result: Any, options: Options) -> None:
    from .table import render_table

    render_table(result, terminal(), options.lang, options.currency, options.again)


def breakdown_table(result: Any, options: Options) -> None:
    from .why import render_breakdown

    render_breakdown(result, terminal(), options.lang, options.currency)


def check_table(result: Any, options: Options) -> None:
    from .issues import render_check

    render_check(result, terminal(piped_width=160), limit=options.limit, lang=options.lang)


def explain_table(result: Any, options: Options) -> None:
    from .why import render_explanation

    render_explanation(result, terminal(), options.lang, options.currency)


def diff_table(result: Any, options: Options) -> None:
    from .why import render_diff

    render_diff(result, terminal(), options.lang, options.currency)


def trend_table(result: Any, options: Options) -> None:
    from .why import render_trend

    render_trend(result, terminal(), options.lang, options.currency)


# --------------------------------------------------------------------------- csv


def explain_csv(result: Any, options: Options) -> None:
    """The explained KPI's record list as CSV (nothing when it has no records)."""
    from .why import explanation_csv

    table = explanation_csv(result)
    if table:
        write_stdout(table)
