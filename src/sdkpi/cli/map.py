"""`sdkpi map`: draft DATA/sdkpi-mapping.yaml for exports sdkpi has never seen."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_INPUT, EXIT_OK, EXIT_USAGE
from ..render.stdout import write_stdout
from .batch import ConfigOpt, DataPathOpt, LangChoiceOpt, resolve, running

OutOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Where to write the draft (default: DATA/sdkpi-mapping.yaml; - for stdout)."
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing mapping file.")]


def map_command(
    data: DataPathOpt = None,
    output: OutOpt = None,
    force: ForceOpt = False,
    lang: LangChoiceOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Draft the mapping file for unseen exports: which file is which sheet, each column's
    match and why, codes, line-level rows, missing columns. Never overwrites a file (--force).

    Exit 0 drafted · 2 the mapping file exists · 3 no export could be read.
    """
    from ..atomic import write_text_atomic
    from ..mapdraft import draft_mapping, render_yaml, summary
    from ..mapdraft.render import say
    from ..safety import visible

    run = resolve(config, data=data, lang=lang)
    to_stdout = output == "-"
    target = None if to_stdout else Path(output) if output else run.data / "sdkpi-mapping.yaml"
    if target is not None and target.exists() and not force:
        print(f"sdkpi: error: {visible(say('exists', run.lang, str(target)))}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    with running(quiet=True):
        draft = draft_mapping(run.data)
    if draft.sheets:
        text = render_yaml(draft, run.lang, shown_folder=str(run.data))
        if target is None:
            write_stdout(text)
        else:
            write_text_atomic(target, text)
            print(visible(say("wrote", run.lang, str(target))), file=sys.stderr)
    for line in summary(draft, "-" if target is None else str(target), run.lang):
        print(visible(line), file=sys.stderr)
    raise typer.Exit(EXIT_OK if draft.sheets else EXIT_INPUT)
