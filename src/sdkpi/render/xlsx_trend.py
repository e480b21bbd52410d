"""The workbook's Trend sheet: a row per KPI and month, and a native line chart per KPI
with its target as a second series.
"""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText
from openpyxl.chart.text import Text as ChartText
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import cm_to_EMU, pixels_to_EMU
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..report import KpiReport, ReportData
from .formatting import text
from .xlsx_style import (
    STAGE_FILL,
    STATUS_COLOURS,
    font,
    header_footer,
    header_row,
    put,
    safe_text,
    set_widths,
    target_text,
    title_block,
    value_format,
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
