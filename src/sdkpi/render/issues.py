"""`sdkpi check` output: how each sheet was read, and every data issue.

Built as data first (`issue_groups`), then drawn: a sheets table (file, format,
encoding, header row, rows read/usable, missing columns), the header mapping
used, the KPIs left without data, and the data issues grouped by code with the
first rows of each (all of them with `limit=None`). Every cell that comes from a
file is a `rich.text.Text`, never markup, so a cell reading `[red]` stays text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..issues import DataIssue
from ..results import CheckResult, SheetInfo
from .json_out import dumps

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "dim"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class IssueGroup:
    """The issues of one code and severity, in file order."""

    code: str
    severity: str
    issues: list[DataIssue]

    @property
    def sheets(self) -> list[str]:
        return sorted({i.sheet or "" for i in self.issues} - {""})


def issue_groups(issues: list[DataIssue]) -> list[IssueGroup]:
    """Issues grouped by (severity, code): errors first, then the largest groups."""
    groups: dict[tuple[str, str], list[DataIssue]] = {}
    for issue in issues:
        groups.setdefault((issue.severity, issue.code), []).append(issue)
    ordered = sorted(groups.items(), key=lambda item: (_SEVERITY_ORDER[item[0][0]], -len(item[1])))
    return [IssueGroup(code, severity, found) for (severity, code), found in ordered]


def check_to_json(result: CheckResult) -> str:
    """The complete check as JSON: every issue, never grouped or cut."""
    return dumps(result.to_dict())


def render_check(result: CheckResult, console: Console, limit: int | None = 5) -> None:
    """Draw the check; `limit` rows per issue code (None: all of them)."""
    head = Text(f"sdkpi check · {result.source}", style="bold")
    head.append(f" · mapping: {result.mapping or 'none'}", style="dim")
    console.print(head)
    console.print(sheets_table(result.sheets, result.source))
    mapping = header_mapping_table(result.sheets)
    if mapping.row_count:
        console.print(mapping)
    if result.kpis_without_data:
        console.print(_blocked_table(result))
    if result.data_issues:
        groups = issue_groups(result.data_issues)
        console.print(summary_table(groups))
        console.print(details_table(groups, limit))
        shown = sum(min(len(g.issues), limit) for g in groups) if limit is not None else None
        if shown is not None and shown < len(result.data_issues):
            rest = len(result.data_issues) - shown
            console.print(
                Text(
                    f"{rest} more issue{'s' if rest != 1 else ''} not listed: "
                    "--all lists every one, --format json gives the complete list",
                    style="dim",
                )
            )
    console.print(verdict(result))


def verdict(result: CheckResult) -> Text:
    counts = result.counts()
    words = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning", "info"))
    if result.ok:
        return Text(f"OK: no errors ({words})", style="green")
    return Text(f"NOT OK: {words}; results would be incomplete (exit 3)", style="bold red")


def sheets_table(sheets: list[SheetInfo], source: str = "") -> Table:
    table = Table(title="Sheets", title_justify="left", header_style="bold")
    for name, justify in (
        ("sheet", "left"),
        ("file", "left"),
        ("format", "left"),
        ("header row", "right"),
        ("rows read", "right"),
        ("rows usable", "right"),
        ("missing columns", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for info in sheets:
        if info.status != "ok":
            style = "dim" if info.status == "missing" else "red"
            table.add_row(info.sheet, Text(info.reason or info.status, style=style), "", "", "", "", "")
            continue
        file = Text(_relative(info.file or "", source))
        if info.worksheet:
            file.append(f" [{info.worksheet}]", style="cyan")
        kind = info.file_format or ""
        if info.encoding:
            kind += f", {info.encoding}"
        usable = Text(str(info.rows_usable), style="yellow" if info.rows_usable < info.rows_read else "")
        table.add_row(
            info.sheet,
            file,
            kind,
            str(info.header_row or ""),
            str(info.rows_read),
            usable,
            Text(", ".join(info.missing_columns), style="dim"),
        )
    return table


def header_mapping_table(sheets: list[SheetInfo]) -> Table:
    """The file headers read under another name (a canonical header maps to itself: not listed)."""
    table = Table(title="Header mapping (file header → column)", title_justify="left", header_style="bold")
    table.add_column("sheet")
    table.add_column("headers read under another name", overflow="fold")
    for info in sheets:
        pairs = [(h, c) for h, c in info.header_map.items() if h.strip().lower() != c]
        if pairs:
            table.add_row(info.sheet, Text(" · ".join(f"{h} → {c}" for h, c in pairs)))
    return table


def _blocked_table(result: CheckResult) -> Table:
    table = Table(title="KPIs that will have no data", title_justify="left", header_style="bold")
    table.add_column("KPI")
    table.add_column("why", overflow="fold")
    for item in result.kpis_without_data:
        table.add_row(item["kpi"], Text(item["reason"], style="dim"))
    return table


def summary_table(groups: list[IssueGroup]) -> Table:
    table = Table(title="Data issues by kind", title_justify="left", header_style="bold")
    table.add_column("severity")
    table.add_column("code")
    table.add_column("count", justify="right")
    table.add_column("sheets", overflow="fold")
    for group in groups:
        style = SEVERITY_STYLES[group.severity]
        table.add_row(
            Text(group.severity, style=style), group.code, str(len(group.issues)), ", ".join(group.sheets)
        )
    return table


def details_table(groups: list[IssueGroup], limit: int | None) -> Table:
    title = "Data issues" if limit is None else f"Data issues (first {limit} of each kind)"
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in ("severity", "sheet", "row", "column", "value", "reason"):
        table.add_column(name, justify="right" if name == "row" else "left", overflow="fold")
    for group in groups:
        shown = group.issues if limit is None else group.issues[:limit]
        for issue in shown:
            table.add_row(
                Text(issue.severity, style=SEVERITY_STYLES[issue.severity]),
                Text(issue.sheet or ""),
                "" if issue.row is None else str(issue.row),
                Text(issue.column or ""),
                Text(_short(issue.value)),
                Text(issue.reason),
            )
        hidden = len(group.issues) - len(shown)
        if hidden:
            table.add_row("", "", "", "", "", Text(f"… {hidden} more {group.code}", style="dim"))
        table.add_section()
    return table


def _relative(file: str, source: str) -> str:
    """A file inside the data folder by its path there (the folder is in the heading)."""
    try:
        return str(Path(file).relative_to(source)) if source else file
    except ValueError:
        return file


def _short(value: str | None, width: int = 40) -> str:
    if value is None:
        return ""
    value = value.replace("\n", "⏎")
    return value if len(value) <= width else value[: width - 1] + "…"
