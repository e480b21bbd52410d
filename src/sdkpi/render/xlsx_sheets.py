"""The workbook's Summary, By <column> (--by) and data-issue sheets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..report import KpiReport, ReportData
from ..results import KpiResult
from .formatting import reason_text, status_text, text
from .xlsx_style import (
    GRID,
    STAGE_FILL,
    STATUS_COLOURS,
    change_format,
    change_value,
    font,
    header_footer,
    header_row,
    paint_status,
    part_format,
    put,
    set_widths,
    sheet_title,
    target_text,
    text_lines,
    title_block,
    value_format,
)

if TYPE_CHECKING:
    from ..results import GroupRow

SUMMARY_COLUMNS = ("kpi", "value", "target", "status", "numerator", "denominator", "previous", "change")
SUMMARY_WIDTHS = (38, 13, 16, 15, 14, 14, 13, 14, 60)
SUMMARY_ROW_HEIGHT = 24  # points: two lines of the 8 pt note


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
    from .issue_kinds import issue_column, issue_example
    from .issues import issue_kind, reason_of_kind, severity_text

    for kind in kinds:
        row += 1
        examples = "\n".join(issue_example(report, issue) for issue in kind.examples)
        cells = [
            severity_text(kind.severity, report.lang),
            issue_kind(kind.code, report.lang),
            report.sheet_label(kind.sheet),
            issue_column(report, kind),
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
