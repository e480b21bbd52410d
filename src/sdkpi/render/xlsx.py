"""The monthly report as an Excel workbook (openpyxl), drawn from `ReportData` only.

Sheets: Summary (KPIs by stage, status colours, change vs the previous month),
with --by a "By <column>" sheet (each KPI per group, best first, and the total),
Trend (a row per KPI and month, native line charts with the target as a second
series), one sheet per missed KPI (its obstacles and the records behind it) and
Data issues. Numbers are written as numbers with number formats, so a value cell
equals the JSON `value`; every string goes through `safe_text`, so text from the
data is never a formula.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import _writer as cell_writer

from ..atomic import write_atomic
from ..report import ReportData
from .formatting import text
from .xlsx_missed import missed_sheet
from .xlsx_sheets import breakdown_sheet, issues_sheet, kinds_sheet, summary_sheet
from .xlsx_style import safe_text, sheet_title
from .xlsx_trend import trend_sheet

# --------------------------------------------------------------------------- workbook


def build_workbook(report: ReportData) -> Workbook:
    workbook = Workbook()
    summary_sheet(workbook.active, report)
    taken = {workbook.active.title.lower()}
    if report.by:
        by_title = sheet_title(report.words["by_sheet"].format(column=report.by_label), taken)
        breakdown_sheet(workbook.create_sheet(by_title), report)
    trend_sheet(workbook.create_sheet(sheet_title(report.words["trend"], taken)), report)
    for number, kpi in enumerate(report.missed, start=1):
        name = f"✗ {number} {text(kpi.result.name, report.lang)}"
        missed_sheet(workbook.create_sheet(sheet_title(name, taken)), kpi, report)
    kinds_sheet(workbook.create_sheet(sheet_title(report.words["kinds"], taken)), report)
    issues_sheet(workbook.create_sheet(sheet_title(report.issue_sheet_title, taken)), report)
    workbook.properties.title = safe_text(f"{report.words['title']} {report.result.period.label}")
    workbook.properties.creator = "sdkpi"
    return workbook


def write_xlsx(report: ReportData, path: str | Path) -> None:
    """Write the workbook atomically: the old file stays whole if anything fails."""
    workbook = build_workbook(report)

    def save(handle: IO[bytes]) -> None:
        with full_precision_numbers():
            workbook.save(handle)

    write_atomic(path, save)


@contextlib.contextmanager
def full_precision_numbers() -> Iterator[None]:
    """Write floats with all 17 digits (openpyxl writes 16), so a cell equals the JSON value.

    openpyxl's cell writer formats numbers with "%.16g", which changes the last
    digit of values such as 0.37209302325581395; repr() round-trips exactly.
    """
    original = cell_writer.safe_string

    def exact(value: Any) -> str:
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        return str(original(value))

    cell_writer.safe_string = exact
    try:
        yield
    finally:
        cell_writer.safe_string = original
