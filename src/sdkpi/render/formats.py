"""Every output format sdkpi writes, declared once: its name, the kinds of result it renders
(and the function that renders each), text or binary, and its file suffixes.

Every command offers as `--format` the formats that render its kind of result
(`names(kind)`, read when the command line is built: `cli.common.format_choice`) and writes
through the format (`Format.show`, `Format.write`): no command chooses its output itself.
A new format is one more `Format` line here (or `register(Format(...))`), naming per kind
of result a function, as `"module:function"` (imported only when the format is used) or
the function itself:

- a command's result (`COMMAND_KINDS`: compute's KPIs and --by breakdown, check, explain,
  diff, trend): `function(result, options)` writes it to standard output (`Options`: the
  run's language, currency, hint and list limit);
- `"report"`: `function(report, path)` writes the report file atomically (`sdkpi.atomic`).

`sdkpi report --format NAME` offers the formats that render a report, infers the format
from the suffix of `-o FILE` when --format is not given, refuses a suffix that belongs to
another format or to none, and writes `-o -` to standard output (a binary format only to a
pipe or a file, never to a terminal).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..report import ReportData

#: the kinds of result a command shows on standard output, by the command that makes them
COMMAND_KINDS = ("kpis", "breakdown", "check", "explain", "diff", "trend")
REPORT = "report"  # the monthly report, written to a file (or `-o -`)


@dataclass(frozen=True)
class Options:
    """What a command's renderer is told beside the result."""

    lang: str = "en"
    currency: str = "¥"
    again: str | None = None  # the run's options, shell-quoted, for a hint under compute's table
    limit: int | None = None  # check's table: issues listed per kind (None: every one)


@dataclass(frozen=True)
class Format:
    name: str
    renders: Mapping[str, str | Callable[..., None]]  # kind of result -> its renderer
    suffixes: tuple[str, ...] = ()  # lower case, with the dot; the first is the default file's
    binary: bool = False  # bytes a terminal cannot show (a workbook), or text (HTML, JSON)
    brief: bool = False  # read by a person: a record list shows its first page unless --limit says

    @property
    def suffix(self) -> str:
        return self.suffixes[0]

    def renderer(self, kind: str) -> Callable[..., None]:
        named = self.renders[kind]
        if not isinstance(named, str):
            return named
        module, function = named.split(":")
        renderer: Callable[..., None] = getattr(importlib.import_module(module), function)
        return renderer

    def show(self, kind: str, result: Any, options: Options) -> None:
        """Write a command's result (of `kind`) to standard output."""
        self.renderer(kind)(result, options)

    def write(self, report: ReportData, path: str | Path) -> None:
        """Write the report file at `path`."""
        self.renderer(REPORT)(report, path)


def _on_stdout(function: str) -> dict[str, str]:
    """A renderer per command kind: `function` with the kind put in for `{kind}`."""
    return {kind: f"sdkpi.render.stdout:{function.format(kind=kind)}" for kind in COMMAND_KINDS}


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("table", _on_stdout("{kind}_table"), brief=True),
        Format("json", _on_stdout("as_json")),
        Format("csv", {"explain": "sdkpi.render.stdout:explain_csv"}),  # the record list
        Format("xlsx", {REPORT: "sdkpi.render.xlsx:write_xlsx"}, (".xlsx",), binary=True),
        Format("html", {REPORT: "sdkpi.render.html:write_html"}, (".html", ".htm")),
        Format("pdf", {REPORT: "sdkpi.render.pdf:write_pdf"}, (".pdf",), binary=True),
    )
}
DEFAULT = "xlsx"  # the report's, when neither --format nor the -o suffix says


def names(kind: str) -> list[str]:
    """The formats that render `kind`, in the order they were declared."""
    return [name for name, f in FORMATS.items() if kind in f.renders]


def register(fmt: Format) -> Format:
    """Add a format; every command whose kind it renders offers it from then on."""
    if fmt.name in FORMATS:
        raise ValueError(f"output format {fmt.name!r} is declared already")
    FORMATS[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    FORMATS.pop(name, None)


def by_suffix(path: str | Path, kind: str = REPORT) -> Format | None:
    """The format of `kind` whose suffix `path` has (case-insensitive), or None."""
    suffix = Path(path).suffix.lower()
    return next((f for f in FORMATS.values() if kind in f.renders and suffix in f.suffixes), None)


def suffixes(kind: str = REPORT) -> list[str]:
    return [suffix for f in FORMATS.values() if kind in f.renders for suffix in f.suffixes]
