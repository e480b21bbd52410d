"""The workbook's cells, formats and page setup: what every sheet of the report is drawn
with (a cell's text never a formula, number formats in the KPI's unit, print setup).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import escape_undecodable
from ..report import KpiReport, ReportData, generated_label
from ..results import KpiResult
from .formatting import format_target, money_sign, starts_like_formula

# status -> (fill, font colour): Excel's own Good / Bad / Neutral palette, blue for report-only
STATUS_COLOURS = {
    "met": ("C6EFCE", "006100"),
    "missed": ("FFC7CE", "9C0006"),
    "no_data": ("EDEDED", "595959"),
    "no_target": ("DDEBF7", "1F4E79"),
    "reference": ("F2F2F2", "404040"),  # shown, never judged: neutral
}
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
STAGE_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(bottom=THIN)
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def font(**style: Any) -> Font:
    """Calibri unless told otherwise: a font without a name renders as a serif in LibreOffice."""
    return Font(name="Calibri", **style)


def safe_text(value: str) -> str:
    """Text as it should appear in a cell: no characters XML forbids (a name's undecodable
    byte as its escape, st\\xe9re)."""
    return ILLEGAL_CHARACTERS_RE.sub("", escape_undecodable(value))


def put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None) -> Cell:
    """Write one cell; strings are always stored as text, never as a formula."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
        if starts_like_formula(value):
            cell.quotePrefix = True  # Excel keeps it text even after editing the cell
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def text_lines(value: str, width: float) -> int:
    """How many lines `value` takes in a column `width` characters wide (CJK counts double)."""
    return max(1, math.ceil(text_width(value) / width))


def value_format(unit: str, currency: str) -> str:
    if unit == "percent":
        return "0.0%"
    if unit == "hours":
        return '0.00" h"'
    if unit == "currency":
        return f'"{money_sign(currency)}"#,##0.00'
    return "#,##0.00"


def part_format(value: float | int, unit: str, currency: str) -> str:
    """Numerators and denominators: counts as integers, sums in the KPI's unit."""
    if isinstance(value, int):
        return "#,##0"
    if unit in ("hours", "currency"):
        return value_format(unit, currency)
    return "#,##0.00"


def change_format(unit: str, currency: str, points: str) -> str:
    """Signed change; percent KPIs change in percentage points."""
    if unit == "percent":
        return f'+0.0" {points}";-0.0" {points}";0.0" {points}"'
    if unit == "hours":
        return '+0.00" h";-0.00" h";0.00" h"'
    if unit == "currency":
        sign = money_sign(currency)
        return f'+"{sign}"#,##0.00;-"{sign}"#,##0.00;"{sign}"0.00'
    return "+#,##0.00;-#,##0.00;0.00"


def change_value(kpi: KpiReport) -> float | None:
    change = kpi.shown_change
    if change is None:
        return None
    return change * 100 if kpi.result.unit == "percent" else change


def target_text(kpi: KpiResult, lang: str) -> str:
    return format_target(kpi, lang).replace(">=", "≥").replace("<=", "≤")


def paint_status(cell: Cell, status: str, bold: bool = True) -> None:
    fill, colour = STATUS_COLOURS[status]
    cell.fill = PatternFill("solid", fgColor=fill)
    cell.font = font(color=colour, bold=bold)


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\), cut at a word."""
    base = short_name(SHEET_NAME_BAD.sub(" ", safe_text(name)).strip("' "), 31) or "KPI"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def short_name(name: str, limit: int) -> str:
    """`name` within `limit` characters: cut after the last whole word, with "…" (Chinese,
    without spaces, is cut between characters)."""
    if len(name) <= limit:
        return name
    cut = name[: limit - 1]
    if " " in cut and name[limit - 1] != " ":
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ·-") + "…"


def text_width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def header_footer(ws: Worksheet, report: ReportData) -> None:
    """Print setup: A4 landscape, fit to one page wide, store/period/time in the page header."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5

    def escape(value: str) -> str:
        return safe_text(value).replace("&", "&&")[:80]

    words = report.words
    ws.oddHeader.left.text = escape(" · ".join(p for p in (report.store, report.store_line) if p))
    ws.oddHeader.center.text = escape(f"{words['title']} · {report.result.period.label}")
    ws.oddHeader.right.text = escape(f"{words['generated']} {generated_label(report.result)}")
    ws.oddFooter.left.text = escape(ws.title)
    ws.oddFooter.right.text = "&P / &N"


def title_block(ws: Worksheet, report: ReportData, title: str, width: int) -> int:
    """Title, store/period/generation line; returns the next free row."""
    words = report.words
    result = report.result
    put(ws, 1, 1, title).font = font(bold=True, size=15, color="1F3864")
    line = (
        f"{words['store']}: {report.store}   ·   {words['period']}: {period_text(report)}   ·   "
        f"{words['generated']}: {generated_label(result)}"
    )
    if report.store_line:
        line += f"   ·   {report.store_line}"
    put(ws, 2, 1, line).font = font(color="595959")
    for row in (1, 2):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return 4


def period_text(report: ReportData) -> str:
    period = report.result.period
    from datetime import date

    last = date.fromordinal(period.end.toordinal() - 1)
    return f"{period.label} ({period.start.isoformat()} – {last.isoformat()})"


def header_row(ws: Worksheet, row: int, labels: Iterable[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = put(ws, row, column, label)
        cell.font = font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 30


def set_widths(ws: Worksheet, widths: Iterable[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
