"""The report's output formats, declared once: name, file suffixes, text or binary, writer.

`sdkpi report --format NAME` offers exactly these names, infers the format from the suffix
of `-o FILE` when --format is not given, refuses a suffix that belongs to another format or
to none, and writes `-o -` to standard output (a binary format only to a pipe or a file,
never to a terminal). A new format is one more `ReportFormat` line here, with a writer
`function(report, path)` that writes the file atomically (`sdkpi.atomic`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..report import ReportData


@dataclass(frozen=True)
class ReportFormat:
    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot; the first is the default file's
    binary: bool  # bytes a terminal cannot show (a workbook), or text (HTML)
    writer: str  # "module:function", called as function(report, path)

    @property
    def suffix(self) -> str:
        return self.suffixes[0]

    def write(self, report: ReportData, path: str | Path) -> None:
        module, function = self.writer.split(":")
        getattr(importlib.import_module(module), function)(report, path)


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("xlsx", (".xlsx",), binary=True, writer="sdkpi.render.xlsx:write_xlsx"),
        ReportFormat("html", (".html", ".htm"), binary=False, writer="sdkpi.render.html:write_html"),
        ReportFormat("pdf", (".pdf",), binary=True, writer="sdkpi.render.pdf:write_pdf"),
    )
}
DEFAULT = "xlsx"


def by_suffix(path: str | Path) -> ReportFormat | None:
    """The format whose suffix `path` has (case-insensitive), or None."""
    suffix = Path(path).suffix.lower()
    return next((f for f in FORMATS.values() if suffix in f.suffixes), None)


def suffixes() -> list[str]:
    return [suffix for f in FORMATS.values() for suffix in f.suffixes]
