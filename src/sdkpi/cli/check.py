"""`sdkpi check`: read the exports as `compute` would and say what was read and what was not."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import EXIT_INPUT, EXIT_OK
from ..render.formats import Options
from .batch import ConfigOpt, DataPathOpt, LangChoiceOpt, StoreOpt, resolve, running
from .common import DefsOpt, MappingOpt, NoCacheOpt, format_choice, output_format


def check_command(
    data: DataPathOpt = None,
    mapping: MappingOpt = None,
    defs: DefsOpt = None,
    output: Annotated[
        format_choice("check"),  # type: ignore[valid-type]  # the formats' registry
        typer.Option("--format", "-f", help="table or json (json: every issue)."),
    ] = "table",
    show_all: Annotated[
        bool, typer.Option("--all", help="List every issue (default: the first --limit of each kind).")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Issues listed per kind.")] = 5,
    store: StoreOpt = None,
    lang: LangChoiceOpt = None,
    config: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Validate the exports without computing: sheets, header mapping, every data issue.

    Exit 0 when nothing is an error, 3 when a file, column or row could not be read.
    """
    from ..api import check

    run = resolve(config, data=data, defs=defs, mapping=mapping, store=store, lang=lang)
    fmt = output_format(output, "check")
    with running(quiet=True):
        result = check(
            run.data, mapping=run.mapping, definitions=run.definitions, store=run.store, cache=not no_cache
        )
    fmt.show("check", result, Options(run.lang, limit=None if show_all else limit))  # json: every issue
    raise typer.Exit(EXIT_OK if result.ok else EXIT_INPUT)
