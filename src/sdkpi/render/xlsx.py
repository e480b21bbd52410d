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
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import _writer as cell_writer
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText
from openpyxl.chart.text import Text as ChartText
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import cm_to_EMU, pixels_to_EMU
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import write_atomic
from ..report import KpiReport, ReportData, WhoMissed, generated_label
from ..results import KpiResult
from .formatting import (
    format_part,
    format_target,
    money_sign,
    reason_text,
    starts_like_formula,
    status_text,
    text,
)

if TYPE_CHECKING:
    from ..breakdown import GroupRow

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

SUMMARY_COLUMNS = ("kpi", "value", "target", "status", "numerator", "denominator", "previous", "change")
SUMMARY_WIDTHS = (38, 13, 16, 15, 14, 14, 13, 14, 60)
SUMMARY_ROW_HEIGHT = 24  # points: two lines of the 8 pt note


def font(**style: Any) -> Font:
    """Calibri unless told otherwise: a font without a name renders as a serif in LibreOffice."""
    return Font(name="Calibri", **style)


def safe_text(value: str) -> str:
    """Text as it should appear in a cell: no characters XML forbids."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


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


# --------------------------------------------------------------------------- summary


def summary_sheet(ws: Worksheet, report: ReportData) -> None:
    words = report.words
    lang = report.lang
    ws.title = sheet_title(words["summary"], set())
    width = len(SUMMARY_WIDTHS)
    row = title_block(ws, report, f"{words['title']} · {report.store} · {report.result.period.label}", width)
    counts = report.result.summary()
    put(ws, 3, 1, words["counts"].format(**counts)).font = font(bold=True)
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=width)
    labels = [words[c] for c in SUMMARY_COLUMNS]
    labels[6] = f"{words['previous']}\n{report.previous_period.label}"
    header_row(ws, row, [*labels, words["about"]])
    ws.freeze_panes = ws.cell(row=row + 1, column=2)
    ws.print_title_rows = f"{row}:{row}"
    for stage in report.stages:
        row += 1
        cell = put(ws, row, 1, text(stage.name, lang))
        cell.font = font(bold=True, color="1F3864")
        for column in range(1, width + 1):
            ws.cell(row=row, column=column).fill = STAGE_FILL
        for kpi in stage.kpis:
            row += 1
            summary_row(ws, row, kpi, report)
    last = row
    notes = [k.result for k in report.kpis if k.result.provisional_until]
    if notes:
        date_text = max(k.provisional_until for k in notes if k.provisional_until).isoformat()
        put(ws, row + 2, 1, words["provisional"].format(date=date_text)).font = font(italic=True)
        last = row + 2
    set_widths(ws, SUMMARY_WIDTHS)
    header_footer(ws, report)
    ws.page_setup.fitToHeight = 1  # the summary is one page
    ws.print_area = f"A1:{get_column_letter(width)}{last}"


def summary_row(ws: Worksheet, row: int, kpi: KpiReport, report: ReportData) -> None:
    result = kpi.result
    lang, currency = report.lang, report.currency
    name = text(result.name, lang) + (" *" if result.provisional_until else "")
    put(ws, row, 1, name).alignment = Alignment(indent=1)
    value = put(ws, row, 2, result.value, value_format(result.unit, currency))
    if result.status == "missed":
        value.font = font(bold=True, color=STATUS_COLOURS["missed"][1])
    put(ws, row, 3, target_text(result, lang)).alignment = Alignment(horizontal="right")
    status = put(ws, row, 4, status_text(result.status, lang))
    paint_status(status, result.status)
    status.alignment = Alignment(horizontal="center")
    if result.status != "no_data":
        put(ws, row, 5, result.numerator, part_format(result.numerator, result.unit, currency))
        put(ws, row, 6, result.denominator, part_format(result.denominator, "number", currency))
    put(ws, row, 7, kpi.previous, value_format(result.unit, currency))
    put(ws, row, 8, change_value(kpi), change_format(result.unit, currency, report.words["pp"]))
    no_data = result.status == "no_data"
    note = reason_text(result.reason, lang, result.sheet) if no_data else text(result.description, lang)
    note = " · ".join([note or "", *report.settings_used(result, changed_only=True)]).strip(" ·")
    note_cell = put(ws, row, 9, note)
    note_cell.font = font(color="7F7F7F", size=8)
    # every KPI row as high as two lines of the note: even rows, and rows do not grow by
    # themselves in every client (a longer note is cut in print, whole in the cell)
    ws.row_dimensions[row].height = SUMMARY_ROW_HEIGHT
    for column in range(1, 10):
        cell = ws.cell(row=row, column=column)
        cell.border = GRID
        cell.alignment = Alignment(
            horizontal=cell.alignment.horizontal,
            indent=1 if column in (1, 9) else cell.alignment.indent,
            vertical="center",
            wrap_text=column == 9,
        )


# --------------------------------------------------------------------------- breakdown (--by)

BY_WIDTHS = (6, 34, 13, 16, 15, 14, 14)
TOTAL_BORDER = Border(top=Side(style="thin", color="1F3864"), bottom=Side(style="thin", color="1F3864"))


def breakdown_sheet(ws: Worksheet, report: ReportData) -> None:
    """Each KPI whose sheet has the --by column: a row per group, best first, then the total."""
    words = report.words
    width = len(BY_WIDTHS)
    title = (
        f"{words['by_title'].format(column=report.by_label)} · {report.store} · {report.result.period.label}"
    )
    row = title_block(ws, report, title, width)
    note = put(ws, 3, 1, words["by_note"].format(column=report.by_label))
    note.font = font(italic=True, color="595959", size=9)
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=width)
    ws.row_dimensions[3].height = 12 * text_lines(str(note.value), sum(BY_WIDTHS) * 1.2) + 3
    labels = [words["rank"], f"{words['kpi']} / {report.by_label}", *(words[c] for c in SUMMARY_COLUMNS[1:6])]
    header_row(ws, row, labels)
    ws.freeze_panes = ws.cell(row=row + 1, column=3)
    ws.print_title_rows = f"{row}:{row}"
    for kpi in report.broken_down:
        row = breakdown_block(ws, row + 1, kpi, report)
    left_out = report.not_broken_down
    if left_out:
        row += 2
        heading = words["not_broken_down"].format(column=report.by_label)
        put(ws, row, 1, heading).font = font(bold=True, color="1F3864")
        for kpi in left_out:
            row += 1
            put(ws, row, 2, text(kpi.result.name, report.lang)).alignment = Alignment(indent=1)
            put(ws, row, 3, report.breakdown_reason(kpi)).font = font(color="7F7F7F", size=9)
    set_widths(ws, BY_WIDTHS)
    header_footer(ws, report)


def breakdown_block(ws: Worksheet, row: int, kpi: KpiReport, report: ReportData) -> int:
    """The KPI's band row (name, target), its groups and the total; returns the last row used."""
    split = kpi.breakdown
    assert split is not None and split.total is not None
    result, words = kpi.result, report.words
    put(ws, row, 1, text(result.name, report.lang)).font = font(bold=True, color="1F3864")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    put(ws, row, 4, target_text(result, report.lang)).alignment = Alignment(horizontal="right")
    for column in range(1, len(BY_WIDTHS) + 1):
        ws.cell(row=row, column=column).fill = STAGE_FILL
    for rank, group in enumerate(split.groups, start=1):
        row += 1
        put(ws, row, 1, rank).alignment = Alignment(horizontal="center", vertical="center")
        name = put(ws, row, 2, group.group if group.group is not None else words["empty_group"])
        name.alignment = Alignment(indent=1, vertical="center")
        if group.group is None:
            name.font = font(italic=True, color="7F7F7F")
        group_figures(ws, row, group, result, report)
    row += 1
    total_word = words["group_total" if report.by == "store" else "total"]
    group_figures(ws, row, split.total, result, report)
    total = put(ws, row, 2, total_word)
    total.font = font(bold=True)
    total.alignment = Alignment(indent=1, vertical="center")
    paint_status(ws.cell(row=row, column=5), split.total.status)
    for column in (6, 7):
        ws.cell(row=row, column=column).font = font(bold=True)
    if split.total.status != "missed":
        ws.cell(row=row, column=3).font = font(bold=True)
    for column in range(1, 8):
        ws.cell(row=row, column=column).border = TOTAL_BORDER
    if split.distinct:
        row += 1
        put(ws, row, 2, words["distinct"]).font = font(italic=True, color="7F7F7F", size=9)
    return row


def group_figures(ws: Worksheet, row: int, group: GroupRow, result: KpiResult, report: ReportData) -> None:
    """Value, status, numerator and denominator of one group (or the total), as on the Summary."""
    currency = report.currency
    value = put(ws, row, 3, group.value, value_format(result.unit, currency))
    if group.status == "missed":
        value.font = font(bold=True, color=STATUS_COLOURS["missed"][1])
    status = put(ws, row, 5, status_text(group.status, report.lang))
    paint_status(status, group.status, bold=False)
    status.alignment = Alignment(horizontal="center")
    put(ws, row, 6, group.numerator, part_format(group.numerator, result.unit, currency))
    put(ws, row, 7, group.denominator, part_format(group.denominator, "number", currency))
    for column in range(1, 8):
        cell = ws.cell(row=row, column=column)
        cell.border = GRID
        cell.alignment = Alignment(
            horizontal=cell.alignment.horizontal, indent=cell.alignment.indent, vertical="center"
        )


# --------------------------------------------------------------------------- trend

CHART_WIDTH_CM = 11.5
CHART_HEIGHT_CM = 6.0
CHART_GAP_CM = 0.4
CHART_ROWS = 13  # rows of 15 pt a chart takes, with a small gap
CHARTS_PER_ROW = 3
CHART_ROWS_PER_PAGE = 3  # on A4 landscape at the fit-to-width scale
TREND_HEADER_ROW = 4  # the months, as the charts' categories


def trend_sheet(ws: Worksheet, report: ReportData) -> None:
    """A table of KPIs by month (with a target row under each KPI that has one) and a chart per KPI."""
    words = report.words
    months = report.months
    width = len(months) + 1
    row = title_block(ws, report, f"{words['trend']} · {report.store}", max(width, 6))
    assert row == TREND_HEADER_ROW
    header_row(ws, row, [words["kpi"], *months])
    ws.freeze_panes = ws.cell(row=row + 1, column=2)
    ws.print_title_rows = f"{row}:{row}"
    series_rows: list[tuple[KpiReport, int, int | None]] = []
    for stage in report.stages:
        row += 1
        put(ws, row, 1, text(stage.name, report.lang)).font = font(bold=True, color="1F3864")
        for column in range(1, width + 1):
            ws.cell(row=row, column=column).fill = STAGE_FILL
        for kpi in stage.kpis:
            row += 1
            value_row, target_row = row, None
            trend_rows(ws, row, kpi, report)
            if kpi.result.target is not None:
                row += 1
                target_row = row
                target_line(ws, row, kpi, report)
            series_rows.append((kpi, value_row, target_row))
    set_widths(ws, [38, *[11] * len(months)])
    first_chart_row = row + 3
    charted = [item for item in series_rows if any(p.value is not None for p in item[0].trend)]
    for index, (kpi, value_row, target_row) in enumerate(charted):
        chart = kpi_chart(ws, kpi, value_row, target_row, len(months), report)
        anchor_row = first_chart_row + (index // CHARTS_PER_ROW) * CHART_ROWS
        chart.anchor = chart_anchor(ws, anchor_row, index % CHARTS_PER_ROW)
        ws.add_chart(chart)
        if index % (CHARTS_PER_ROW * CHART_ROWS_PER_PAGE) == 0:
            ws.row_breaks.append(Break(id=anchor_row - 2))  # a printed page starts with a row of charts
    header_footer(ws, report)


def trend_rows(ws: Worksheet, row: int, kpi: KpiReport, report: ReportData) -> None:
    result = kpi.result
    put(ws, row, 1, text(result.name, report.lang)).alignment = Alignment(indent=1)
    number_format = value_format(result.unit, report.currency)
    for column, point in enumerate(kpi.trend, start=2):
        cell = put(ws, row, column, point.value, number_format)
        if point.status in ("met", "missed"):
            cell.font = font(color=STATUS_COLOURS[point.status][1], bold=point.status == "missed")


def target_line(ws: Worksheet, row: int, kpi: KpiReport, report: ReportData) -> None:
    """The target repeated per month: the reference line of the chart."""
    result = kpi.result
    assert result.target is not None
    label = f"{report.words['target']} {target_text(result, report.lang)}"
    put(ws, row, 1, label).font = font(italic=True, color="7F7F7F", size=9)
    ws.cell(row=row, column=1).alignment = Alignment(indent=2)
    number_format = value_format(result.unit, report.currency)
    for column in range(2, len(kpi.trend) + 2):
        cell = put(ws, row, column, result.target.value, number_format)
        cell.font = font(italic=True, color="7F7F7F", size=9)


def kpi_chart(
    ws: Worksheet, kpi: KpiReport, value_row: int, target_row: int | None, months: int, report: ReportData
) -> LineChart:
    """The KPI's monthly values, with its target as a dashed red second series."""
    chart = LineChart()
    chart.title = chart_title(text(kpi.result.name, report.lang))
    chart.style = 2
    chart.height, chart.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    chart.legend.position = "b"
    chart.y_axis.number_format = value_format(kpi.result.unit, report.currency)
    chart.y_axis.scaling.min = 0
    values = [p.value for p in kpi.trend if p.value is not None]
    if kpi.result.unit == "percent" and max(values, default=0) <= 1:
        chart.y_axis.scaling.max = 1
        chart.y_axis.majorUnit = 0.2
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.display_blanks = "gap"
    labels = [report.words["value"], f"{report.words['target']} {target_text(kpi.result, report.lang)}"]
    for row, label in zip([value_row, target_row], labels, strict=True):
        if row is None:
            continue
        chart.add_data(Reference(ws, min_col=2, max_col=months + 1, min_row=row, max_row=row), from_rows=True)
        chart.series[-1].tx = SeriesLabel(v=safe_text(label))
    chart.set_categories(
        Reference(ws, min_col=2, max_col=months + 1, min_row=TREND_HEADER_ROW, max_row=TREND_HEADER_ROW)
    )
    value_series = chart.series[0]
    value_series.graphicalProperties.line = LineProperties(solidFill="1F3864", w=28575)
    value_series.marker.symbol = "circle"
    value_series.marker.size = 6
    value_series.smooth = False
    if target_row is not None:
        target_series = chart.series[1]
        target_series.graphicalProperties.line = LineProperties(solidFill="C00000", prstDash="dash", w=19050)
        target_series.marker.symbol = "none"
        target_series.smooth = False
    return chart


def chart_title(name: str) -> Title:
    """A chart title in 11 pt bold (the default 18 pt crowds a small chart)."""
    style = CharacterProperties(sz=1100, b=True)
    paragraph = Paragraph(
        pPr=ParagraphProperties(defRPr=style), r=[RegularTextRun(rPr=style, t=safe_text(name))]
    )
    return Title(tx=ChartText(rich=RichText(p=[paragraph])), overlay=False)


def chart_anchor(ws: Worksheet, row: int, slot: int) -> OneCellAnchor:
    """Where the `slot`-th chart of a grid row goes, measured from the real column widths."""
    x = slot * (CHART_WIDTH_CM + CHART_GAP_CM) / 2.54 * 96  # pixels from the left edge
    column = 1
    while x >= column_px(ws, column):
        x -= column_px(ws, column)
        column += 1
    marker = AnchorMarker(col=column - 1, colOff=pixels_to_EMU(int(x)), row=row - 1, rowOff=0)
    size = XDRPositiveSize2D(cm_to_EMU(CHART_WIDTH_CM), cm_to_EMU(CHART_HEIGHT_CM))
    return OneCellAnchor(_from=marker, ext=size)


def column_px(ws: Worksheet, column: int) -> float:
    width = ws.column_dimensions[get_column_letter(column)].width or 8.43
    return float(width) * 7 + 5


# --------------------------------------------------------------------------- missed KPIs


def missed_sheet(ws: Worksheet, kpi: KpiReport, report: ReportData) -> None:
    """Who the misses come from, the possible causes, then every record behind the miss
    (the page prints the first ones: the rest is a list to filter, not to print)."""
    words, lang, result = report.words, report.lang, kpi.result
    records = kpi.records
    columns = records.columns if records else []
    width = max(len(columns) + 2, len(WHO_WIDTHS))
    heading = f"{text(result.name, lang)} · {status_text(result.status, lang)}"
    row = title_block(ws, report, heading, width)
    ws.cell(row=1, column=1).font = font(bold=True, size=15, color=STATUS_COLOURS["missed"][1])
    put(ws, 3, 1, figures_line(kpi, report)).font = font(bold=True)
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=width)
    if result.description:
        put(ws, row, 1, text(result.description, lang)).font = font(italic=True, color="595959")
        row += 2
    settings = report.settings_used(result)
    if settings:
        put(ws, row, 1, words["settings"]).font = font(bold=True, color="1F3864")
        for setting in settings:
            row += 1
            put(ws, row, 1, f"•  {setting}")
        row += 2
    if kpi.who:
        put(ws, row, 1, words["who"]).font = font(bold=True, color="1F3864")
        for who in kpi.who:
            row = who_table(ws, row + 1, who, kpi, report)  # the row after the table, left blank
        row += 1
    if result.obstacles:
        put(ws, row, 1, words["obstacles"]).font = font(bold=True, color="1F3864")
        for obstacle in result.obstacles:
            row += 1
            put(ws, row, 1, f"•  {text(obstacle, lang)}")
        row += 2
    row = records_table(ws, row, kpi, report)
    widths = [9, *record_widths(kpi, report), 60]
    set_widths(ws, [max(w, WHO_WIDTHS[i]) if i < len(WHO_WIDTHS) else w for i, w in enumerate(widths)])
    header_footer(ws, report)


WHO_WIDTHS = (14, 14, 14, 14, 22, 14)


def who_table(ws: Worksheet, row: int, who: WhoMissed, kpi: KpiReport, report: ReportData) -> int:
    """One row per person, most misses first: misses, share, own value, own parts, status."""
    result, words = kpi.result, report.words
    currency = report.currency
    listed = kpi.records is None or kpi.records.selection == "not_in_numerator"
    labels = [
        report.column_label(result.sheet, who.column),
        words["misses" if listed else "misses_below"],
        words["share"],
        words["own_value"],
        words["own_parts"],
        words["status"],
    ]
    header_row(ws, row, labels)
    for person in who.people:
        row += 1
        name = put(ws, row, 1, person.name if person.name is not None else words["empty_group"])
        if person.name is None:
            name.font = font(italic=True, color="7F7F7F")
        put(ws, row, 2, person.misses, "#,##0")
        put(ws, row, 3, person.share, "0%")
        value = put(ws, row, 4, person.own.value, value_format(result.unit, currency))
        if person.own.status == "missed":
            value.font = font(bold=True, color=STATUS_COLOURS["missed"][1])
        parts = (
            f"{format_part(person.own.numerator, part_unit(result.unit), currency)} / "
            f"{format_part(person.own.denominator, 'number', currency)}"
        )
        put(ws, row, 5, parts).alignment = Alignment(horizontal="right")
        status = put(ws, row, 6, status_text(person.own.status, report.lang))
        paint_status(status, person.own.status, bold=False)
        status.alignment = Alignment(horizontal="center")
        for column in range(1, 7):
            ws.cell(row=row, column=column).border = GRID
    return row + 1


def part_unit(unit: str) -> str:
    return unit if unit in ("hours", "currency") else "number"


def record_widths(kpi: KpiReport, report: ReportData) -> list[float]:
    """Each record column as wide as its header or its longest value (of the first 200), within reason."""
    if kpi.records is None:
        return []
    rows = kpi.records.rows[:200]
    widths = []
    for column in kpi.records.columns:
        header = report.column_label(kpi.records.sheet, column)
        longest = max([text_width(header), *(text_width(r.values.get(column, "")) for r in rows)])
        widths.append(min(40.0, max(8.0, longest + 2.5)))
    return widths


def text_width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def figures_line(kpi: KpiReport, report: ReportData) -> str:
    from .formatting import format_number

    result = kpi.result
    words = report.words
    unit = result.unit
    value = format_number(result.value, unit, report.currency)
    numerator = format_part(result.numerator, unit if unit != "percent" else "number", report.currency)
    denominator = format_part(result.denominator, "number", report.currency)
    return (
        f"{words['value']} {value}   ·   {words['target']} {target_text(result, report.lang)}   ·   "
        f"{words['numerator']} {numerator} / {words['denominator']} {denominator}"
    )


def records_table(ws: Worksheet, row: int, kpi: KpiReport, report: ReportData) -> int:
    words = report.words
    records = kpi.records
    if records is None or records.total == 0:
        put(ws, row, 1, words["no_records"]).font = font(italic=True)
        return row + 1
    kept = len(records.rows)
    shown = words["all_of"] if kept >= records.total else words["first_of_capped"]
    note = shown.format(total=records.total, shown=kept, kept=kept).split(";")[0]
    put(ws, row, 1, f"{words['records']}: {note}").font = font(bold=True, color="1F3864")
    if records.file:
        place = f"{words['file']}: {Path(records.file).name}"
        put(ws, row + 1, 1, place).font = font(color="7F7F7F", size=9)
    printed = min(kept, report.page_records)
    if printed < kept:
        put(ws, row + 1, 4, words["printed_first"].format(n=printed, total=kept)).font = font(
            italic=True, color="7F7F7F", size=9
        )
    row += 2
    labels = [report.column_label(records.sheet, c) for c in records.columns]
    last_column = get_column_letter(len(records.columns) + 2)
    header_row(ws, row, [words["row"], *labels, words["why"]])
    ws.auto_filter.ref = f"A{row}:{last_column}{row + kept}"
    ws.print_title_rows = f"{row}:{row}"
    ws.print_area = f"A1:{last_column}{row + printed}"
    for record in records.rows:
        row += 1
        put(ws, row, 1, record.row).alignment = Alignment(horizontal="center")
        for column, name in enumerate(records.columns, start=2):
            put(ws, row, column, record.values.get(name, ""))
        put(ws, row, len(records.columns) + 2, record.why).font = font(color="9C0006")
    return row + 1


# --------------------------------------------------------------------------- data issues

ISSUE_COLUMNS = ("severity", "code", "sheet", "file", "row", "column", "value", "reason")
ISSUE_WIDTHS = (10, 20, 16, 32, 8, 28, 20, 70)
SEVERITY_STATUS = {"error": "missed", "warning": "no_data", "info": "no_target"}


KIND_COLUMNS = ("severity", "code", "sheet", "column", "kind_count", "reason", "examples")
KIND_WIDTHS = (10, 20, 16, 22, 9, 60, 44)
PRINTED_ISSUES = 40  # rows of the full list a printout holds; the workbook keeps them all


def issue_counts(report: ReportData) -> str:
    issues = report.result.data_issues
    summary = report.result.summary()
    infos = sum(1 for i in issues if i.severity == "info")
    return report.words["issue_counts"].format(
        errors=summary["data_errors"], warnings=summary["data_warnings"], info=infos
    )


def kinds_sheet(ws: Worksheet, report: ReportData) -> None:
    """The data issues by kind (code x sheet x column): how many, the reason, the first rows."""
    words = report.words
    row = title_block(ws, report, f"{words['kinds']} · {report.store}", len(KIND_COLUMNS))
    put(ws, 3, 1, issue_counts(report)).font = font(bold=True)
    set_widths(ws, KIND_WIDTHS)
    header_footer(ws, report)
    kinds = report.issue_kinds
    if not kinds:
        put(ws, row, 1, words["no_issues"]).font = font(italic=True)
        return
    note = put(ws, row, 1, words["kinds_note"].format(n=3, sheet=report.issue_sheet_title))
    note.font = font(italic=True, color="7F7F7F", size=9)
    row += 1
    header_row(ws, row, [words[c] for c in KIND_COLUMNS])
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    ws.print_title_rows = f"{row}:{row}"
    from .issues import issue_kind, reason_of_kind, severity_text

    for kind in kinds:
        row += 1
        examples = "\n".join(report.issue_example(issue) for issue in kind.examples)
        cells = [
            severity_text(kind.severity, report.lang),
            issue_kind(kind.code, report.lang),
            report.sheet_label(kind.sheet),
            report.issue_column(kind),
            kind.count,
            reason_of_kind(kind.code, kind.reason, report.lang),
            examples,
        ]
        for column, value in enumerate(cells, start=1):
            cell = put(ws, row, column, value, "#,##0" if column == 5 else None)
            cell.alignment = Alignment(vertical="top", wrap_text=column in (6, 7))
            cell.border = GRID
        paint_status(ws.cell(row=row, column=1), SEVERITY_STATUS.get(kind.severity, "no_data"), bold=False)
        lines = max(len(kind.examples), text_lines(kind.reason, KIND_WIDTHS[5]))
        ws.row_dimensions[row].height = 15 * max(1, lines) + 2


def issues_sheet(ws: Worksheet, report: ReportData) -> None:
    """Every data issue, one a row (a list to filter: a printout holds the first ones)."""
    words = report.words
    issues = report.result.data_issues
    row = title_block(ws, report, f"{report.issue_sheet_title} · {report.store}", len(ISSUE_COLUMNS))
    put(ws, 3, 1, issue_counts(report)).font = font(bold=True)
    set_widths(ws, ISSUE_WIDTHS)
    header_footer(ws, report)
    if not issues:
        put(ws, row, 1, words["no_issues"]).font = font(italic=True)
        return
    header_row(ws, row, [words[c] for c in ISSUE_COLUMNS])
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    ws.print_title_rows = f"{row}:{row}"
    last_column = get_column_letter(len(ISSUE_COLUMNS))
    ws.auto_filter.ref = f"A{row}:{last_column}{row + len(issues)}"
    if len(issues) > PRINTED_ISSUES:
        ws.print_area = f"A1:{last_column}{row + PRINTED_ISSUES}"
        note = words["printed_first"].format(n=PRINTED_ISSUES, total=len(issues))
        put(ws, 3, 4, note).font = font(italic=True, color="7F7F7F", size=9)
    from .issues import columns_text, issue_kind, reason_of_kind, severity_text

    for issue in issues:
        row += 1
        file = Path(issue.file).name if issue.file else None
        severity = severity_text(issue.severity, report.lang)
        kind = issue_kind(issue.code, report.lang)
        shown_column = columns_text(issue.column, report.lang, issue.sheet)
        values = [severity, kind, report.sheet_label(issue.sheet), file, issue.row, shown_column]
        reason = reason_of_kind(issue.code, issue.reason, report.lang)
        for column, value in enumerate([*values, issue.value, reason], start=1):
            put(ws, row, column, "" if value is None else value)
        paint_status(ws.cell(row=row, column=1), SEVERITY_STATUS.get(issue.severity, "no_data"), bold=False)
        ws.cell(row=row, column=5).alignment = Alignment(horizontal="center")
        ws.cell(row=row, column=8).alignment = Alignment(wrap_text=True, vertical="top")


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
