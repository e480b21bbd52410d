"""`sdkpi check`: read the exports as `compute` would and say what was read and what was not."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_INPUT, EXIT_OK, SdkpiError
from .batch import ConfigOpt, StoreOpt, settings
from .common import DefsOpt, MappingOpt, NoCacheOpt, OutputFormat, fail


def check_command(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Folder of exported sheets.")] = None,
    mapping: MappingOpt = None,
    defs: DefsOpt = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json (json: every issue).")
    ] = OutputFormat.table,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every issue (default: the first --limit of each kind).")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Issues listed per kind.")] = 5,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Validate the exports without computing: sheets, header mapping, every data issue.

    Exit 0 when nothing is an error, 3 when a file, column or row could not be read.
    """
    from ..api import check
    from ..config import pick

    cfg = settings(config)
    data, defs, mapping = pick(data, cfg.data, Path(".")), pick(defs, cfg.defs), pick(mapping, cfg.mapping)
    try:
        result = check(
            data, mapping=mapping, definitions=defs, store=pick(store, cfg.store), cache=not no_cache
        )
    except SdkpiError as err:
        fail(err)
    if output is OutputFormat.json:
        from ..render.issues import check_to_json

        sys.stdout.write(check_to_json(result) + "\n")
    else:
        from ..render.issues import render_check
        from ..safety import TerminalConsole as Console  # data text: no markup, no escapes

        console = Console(width=None if sys.stdout.isatty() else 160)
        render_check(result, console, limit=None if show_all else limit)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_INPUT)
