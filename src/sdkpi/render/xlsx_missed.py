"""A workbook sheet per missed KPI: who the misses come from, the possible causes and every
record behind the miss.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..report import KpiReport, ReportData, WhoMissed
from .formatting import format_part, status_text, text
from .xlsx_style import (
    GRID,
    STATUS_COLOURS,
    font,
    header_footer,
    header_row,
    paint_status,
    put,
    set_widths,
    target_text,
    text_width,
    title_block,
    value_format,
)

# --------------------------------------------------------------------------- missed KPIs


def missed_sheet(ws: Worksheet, kpi: KpiReport, report: ReportData) -> None:
    """Who the misses come from, the possible causes, then every record behind the miss
    (the page prints the first ones: the rest is a list to filter, not to print)."""
    words, lang, result = report.words, report.lang, kpi.result
    records = kpi.records
    columns = records.columns if records else []
    width = max(len(columns) + 2 + (1 if records and records.several_files else 0), len(WHO_WIDTHS))
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
    widths = [*file_widths(kpi), 9, *record_widths(kpi, report), 60]
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


def file_widths(kpi: KpiReport) -> list[float]:
    """The file column's width, for records of a sheet read from several files (else none)."""
    if kpi.records is None or not kpi.records.several_files:
        return []
    return [min(40.0, max(8.0, *(text_width(r.file or "") + 2.5 for r in kpi.records.rows[:200])))]


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
    several = records.several_files  # a sheet read from several files: each record names its file
    if records.file:
        names = (
            "; ".join(Path(f).name for f in records.file.split("; ")) if several else Path(records.file).name
        )
        place = f"{words['file']}: {names}"
        put(ws, row + 1, 1, place).font = font(color="7F7F7F", size=9)
    printed = min(kept, report.page_records)
    if printed < kept:
        put(ws, row + 1, 4, words["printed_first"].format(n=printed, total=kept)).font = font(
            italic=True, color="7F7F7F", size=9
        )
    row += 2
    labels = [report.column_label(records.sheet, c) for c in records.columns]
    first = 2 if several else 1  # the row number's column
    last_column = get_column_letter(len(records.columns) + first + 1)
    header_row(ws, row, [*([words["file"]] if several else []), words["row"], *labels, words["why"]])
    ws.auto_filter.ref = f"A{row}:{last_column}{row + kept}"
    ws.print_title_rows = f"{row}:{row}"
    ws.print_area = f"A1:{last_column}{row + printed}"
    for record in records.rows:
        row += 1
        if several:
            put(ws, row, 1, record.file or "")
        put(ws, row, first, record.row).alignment = Alignment(horizontal="center")
        for column, name in enumerate(records.columns, start=first + 1):
            put(ws, row, column, record.values.get(name, ""))
        put(ws, row, len(records.columns) + first + 1, record.why).font = font(color="9C0006")
    return row + 1
