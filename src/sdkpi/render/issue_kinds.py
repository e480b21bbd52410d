"""A kind of data issue as a report shows it (workbook and HTML alike): its column and its
examples in the report's language, worded as `sdkpi check` words them (`render.issues`).
They were `ReportData` methods; the report's data no longer reaches up to the renderers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .issues import columns_text, issue_file, reason_of_kind

if TYPE_CHECKING:
    from ..issues import DataIssue
    from ..report import IssueKind, ReportData


def issue_column(report: ReportData, kind: IssueKind) -> str:
    """The column of a kind of data issue as `sdkpi check` says it ("开单时间" for a file's
    header read as opened_at, in a Chinese report)."""
    return columns_text(kind.column, report.lang, kind.sheet)


def issue_example(report: ReportData, issue: DataIssue) -> str:
    """One example of a kind of data issue: its row and value ("Row 12: “abc”"), else its reason."""
    where = f"{report.words['row']} {issue.row}" if issue.row is not None else ""
    several = {info.sheet for info in report.result.sheets if len(info.files) > 1}
    if where and issue_file(issue, several):  # a sheet read from several files: which one
        where = f"{issue_file(issue, several)} · {where}"
    shown = str(issue.value or "")
    value = f"“{shown[:40]}{'…' if len(shown) > 40 else ''}”" if shown else ""
    return ": ".join(part for part in (where, value) if part) or reason_of_kind(
        issue.code, issue.reason, report.lang
    )
