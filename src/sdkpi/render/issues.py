"""`sdkpi check` output: how each sheet was read, and every data issue.

Built as data first (`issue_groups`), then drawn: a sheets table (file, format,
encoding, header row, rows read/usable, missing columns), the header mapping
used, the KPIs left without data, and the data issues grouped by code with the
first rows of each (all of them with `limit=None`). Every cell that comes from a
file is a `rich.text.Text`, never markup, so a cell reading `[red]` stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..contract import SHEETS
from ..issues import DataIssue
from ..results import CheckResult, SheetInfo
from ..words import column_label, sheet_label
from .formatting import reason_text
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


WORDS = {
    "en": {
        "head": "sdkpi check · {source}",
        "mapping": " · mapping: {mapping}",
        "none": "none",
        "more": "{n} more {issues} not listed: --all lists every one, --format json gives the complete list",
        "ok": "OK: no errors ({counts})",
        "not_ok": "NOT OK: {counts}; results would be incomplete (exit 3)",
        "count": "{n} {severity}",
        "sheets": "Sheets",
        "sheet": "sheet",
        "file": "file",
        "format": "format",
        "header_row": "header row",
        "rows_read": "rows read",
        "rows_usable": "rows usable",
        "missing_columns": "missing columns",
        "not_found": "sheet missing",
        "optional_absent": "optional, not given",
        "header_mapping": "Header mapping (file header → column)",
        "headers_renamed": "headers read under another name",
        "blocked": "KPIs that will have no data",
        "kpi": "KPI",
        "why": "why",
        "by_kind": "Data issues by kind",
        "severity": "severity",
        "code": "code",
        "issues": "count",
        "sheets_col": "sheets",
        "details": "Data issues",
        "details_first": "Data issues (first {limit} of each kind)",
        "row": "row",
        "column": "column",
        "value": "value",
        "reason": "reason",
        "hidden": "… {n} more {code}",
        "sep": ", ",
    },
    "zh": {
        "head": "sdkpi 数据检查 · {source}",
        "mapping": " · 映射文件：{mapping}",
        "none": "无",
        "more": "另有 {n} 条问题未列出：--all 列出全部，--format json 输出完整清单",
        "ok": "通过：没有错误({counts})",
        "not_ok": "未通过：{counts}；计算结果将不完整(退出码 3)",
        "count": "{n} 条{severity}",
        "sheets": "数据表",
        "sheet": "数据表",
        "file": "文件",
        "format": "格式",
        "header_row": "表头行",
        "rows_read": "读取行数",
        "rows_usable": "可用行数",
        "missing_columns": "缺少的列",
        "not_found": "未找到",
        "optional_absent": "可选，未提供",
        "header_mapping": "表头对应(文件表头 → 标准列名)",
        "headers_renamed": "按别名识别的表头",
        "blocked": "将没有数据的指标",
        "kpi": "指标",
        "why": "原因",
        "by_kind": "数据问题分类",
        "severity": "严重程度",
        "code": "问题类型",
        "issues": "条数",
        "sheets_col": "数据表",
        "details": "数据问题",
        "details_first": "数据问题(每类前 {limit} 条)",
        "row": "行号",
        "column": "列",
        "value": "值",
        "reason": "原因",
        "hidden": "… 另有 {n} 条{code}",
        "sep": "，",
    },
}
SEVERITY_WORDS = {
    "en": {"error": "error", "warning": "warning", "info": "info"},
    "zh": {"error": "错误", "warning": "警告", "info": "提示"},
}
#: What each kind of data issue means, in Chinese; the English reason of each issue (with
#: its details) stays in the JSON. A kind not listed here shows its English reason.
ISSUE_WORDS_ZH = {
    "absent_column": "本导出不含此列(映射文件中已注明 absent)，相关指标无数据",
    "absent_but_found": "映射文件注明 absent 的列在文件中存在，已照常读取",
    "ambiguous_date_order": "日期的月、日顺序无法确定",
    "bad_bool": "是/否值无法识别",
    "bad_datetime": "日期时间无法识别",
    "bad_enum": "取值不在可选范围内",
    "bad_number": "数字无法识别",
    "control_characters": "文本中的控制字符(如 NUL)已删除",
    "blank_row": "空行，已跳过",
    "duplicate_header": "表头重复",
    "duplicate_key": "单号重复",
    "empty_file": "文件为空",
    "extra_cells": "行内单元格多于表头",
    "file_column_missing": "同一张表的其中一个文件缺少此列，该文件的行不计入用到此列的指标",
    "folders_read": "读取的文件夹",
    "id_lost_digits": "编号丢了位数(被表格软件当成数字)",
    "key_in_two_months": "同一单号出现在两个月份的导出中，只按较晚的一次计算",
    "lines_disagree": "明细行与工单汇总不一致",
    "lines_not_declared": "明细行未说明如何汇总",
    "lines_summed": "明细行已按工单汇总",
    "midnight_24": "24:00 按次日 0:00 计算(部分 DMS 导出这样写)",
    "missing_column": "缺少必需的列",
    "missing_required": "必填项为空",
    "month_column_missing": "该月份文件夹的表缺少此列，这些行不计入用到此列的指标",
    "month_sheet_missing": "该月份文件夹缺少此表",
    "no_rows_in_period": "所选期间内没有记录(见该表的日期范围)",
    "not_on_roster": "工单上的人员不在本期人员名单上：工单照常计入，此人不计入人数",
    "out_of_range": "数值超出合理范围",
    "placeholder": "占位值(如 #N/A)，按空值处理",
    "ragged_row": "列数与表头不符",
    "skip_rows": "按设置跳过的行",
    "store_column_missing": "缺少门店列",
    "store_sheet_missing": "该门店缺少此表",
    "title_rows": "表头上方的标题行，已跳过",
    "total_row": "合计行，已跳过",
    "uncalculated_formula": "公式没有计算结果",
    "unreadable": "无法读取",
    "worksheet_chosen": "已选定工作表",
}


def _column(name: str, lang: str, sheet: str | None = None) -> str:
    """A column by its Chinese name in Chinese; in English by the name a mapping file uses."""
    return column_label(name, lang, sheet) if lang == "zh" else name


def _sheet(name: str, lang: str) -> str:
    return sheet_label(name, lang) if lang == "zh" else name


#: Reasons whose details matter (which stores were read), in Chinese with those details.
_ISSUE_REASONS_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (
            r"^read as a dealer group of (?P<n>\d+) store folders: (?P<names>.*?)(?P<rest>; not read .*)?$",
            "按集团读取，共 {n} 个门店文件夹：{names}{rest}",
        ),
        (
            r"^read as one store's month folders: (?P<names>.*?) "
            r"\(a key in two months counts once, the later\)(?P<rest>; not read .*)?$",
            "按同一门店的各月文件夹读取：{names}(同一单号出现在两个月份时只计一次，以较晚的为准){rest}",
        ),
        (r"^no sheet files in this folder(?P<rest>; not read .*)?$", "此文件夹中没有数据表文件{rest}"),
        (
            r"^this folder's own sheet files are read; sub-folders with sheet files not read: (?P<names>.*)$",
            "已读取本文件夹中的数据表文件；子文件夹中的数据表未读取：{names}",
        ),
        # files refused before they are read (loaders.paths)
        (
            r"^not read: this file leads outside the data folder",
            "未读取：该文件(符号链接)指向数据文件夹以外的位置；请把文件本身复制到数据文件夹中",
        ),
        (
            r"^not read: this is (a FIFO|a socket|a device)",
            "未读取：这不是普通文件(而是管道、套接字或设备)；请重新导出该表",
        ),
        (r"^this is a folder, not a sheet file", "这是一个文件夹，不是数据表文件；请移走或改名"),
        (r"^a link to nothing", "该链接指向的文件不存在"),
        # values that cannot be true, and 24:00 (loaders.values)
        (
            r"^outside the plausible range of this column \((?P<low>\S+) to (?P<high>\S+)\)",
            "数值超出本列的合理范围({low} 至 {high})，按空值处理，该行不计入用到此列的指标",
        ),
        (
            r"^24:00 read as 00:00 of the next day .*; (?P<n>\d+) cell\(s\) of this column",
            "24:00 按次日 0:00 计算(部分 DMS 导出这样写)；本列共 {n} 个单元格，此处显示第一个",
        ),
        (r"^cannot (?:read|open) the file: (?P<why>[^(]*)", "无法读取该文件(请检查文件权限)：{why}"),
    )
)
_NOT_READ = re.compile(r"^; not read \(no sheet files\): (?P<names>.*)$")


def _issue_reason_zh(reason: str) -> str | None:
    for pattern, words in _ISSUE_REASONS_ZH:
        found = pattern.match(reason)
        if found:
            parts = {k: v or "" for k, v in found.groupdict().items()}
            rest = _NOT_READ.match(parts.get("rest", ""))
            parts["rest"] = f"；未读取(没有数据表文件)：{rest.group('names')}" if rest else ""
            return words.format(**parts)
    return None


def _words(lang: str) -> dict[str, str]:
    return WORDS["zh" if lang == "zh" else "en"]


def severity_text(severity: str, lang: str) -> str:
    return SEVERITY_WORDS["zh" if lang == "zh" else "en"].get(severity, severity)


def issue_kind(code: str, lang: str) -> str:
    """An issue code as the reader knows it: the code in English, its meaning in Chinese."""
    return ISSUE_WORDS_ZH.get(code, code) if lang == "zh" else code


def issue_reason(issue: DataIssue, lang: str) -> str:
    return reason_of_kind(issue.code, issue.reason, lang)


def reason_of_kind(code: str, reason: str, lang: str) -> str:
    """A data issue's reason in the reader's language (every renderer says it so): in Chinese
    its details where we know their form, else what its kind means, else the reason itself."""
    if lang != "zh":
        return reason
    detailed = _issue_reason_zh(reason)
    if detailed is not None:
        return detailed
    return ISSUE_WORDS_ZH.get(code, reason)


_HEADER_AND_NAME = re.compile(r"^(.+) \((\w+)\)$")


def columns_text(columns: str | None, lang: str, sheet: str | None) -> str:
    """A column (or a comma-separated list) as the reader knows it; "车架号 (vin)", a file's
    header with the column it was read as, is the header alone in Chinese."""
    if not columns:
        return ""
    shown = []
    for column in (c.strip() for c in columns.split(",")):
        header = _HEADER_AND_NAME.match(column)
        if header and lang == "zh":
            shown.append(header.group(1))
        else:
            shown.append(_column(column, lang, sheet))
    return _words(lang)["sep"].join(shown)


def render_check(result: CheckResult, console: Console, limit: int | None = 5, lang: str = "en") -> None:
    """Draw the check; `limit` rows per issue code (None: all of them)."""
    w = _words(lang)
    head = Text(w["head"].format(source=result.source), style="bold")
    head.append(w["mapping"].format(mapping=result.mapping or w["none"]), style="dim")
    console.print(head)
    console.print(sheets_table(result.sheets, result.source, lang))
    mapping = header_mapping_table(result.sheets, lang)
    if mapping.row_count:
        console.print(mapping)
    if result.kpis_without_data:
        console.print(_blocked_table(result, lang))
    if result.data_issues:
        groups = issue_groups(result.data_issues)
        console.print(summary_table(groups, lang))
        several = {info.sheet for info in result.sheets if len(info.files) > 1}
        console.print(details_table(groups, limit, lang, several))
        shown = sum(min(len(g.issues), limit) for g in groups) if limit is not None else None
        if shown is not None and shown < len(result.data_issues):
            rest = len(result.data_issues) - shown
            issues = _plural("issue", rest, lang)
            console.print(Text(w["more"].format(n=rest, issues=issues), style="dim"))
    console.print(verdict(result, lang))


def verdict(result: CheckResult, lang: str = "en") -> Text:
    w, counts = _words(lang), result.counts()
    words = w["sep"].join(
        w["count"].format(n=counts[s], severity=_plural(severity_text(s, lang), counts[s], lang))
        for s in ("error", "warning", "info")
    )
    if result.ok:
        return Text(w["ok"].format(counts=words), style="green")
    return Text(w["not_ok"].format(counts=words), style="bold red")


def _plural(word: str, n: int, lang: str) -> str:
    return word + ("s" if n != 1 and lang != "zh" else "")


def sheets_table(sheets: list[SheetInfo], source: str = "", lang: str = "en") -> Table:
    w = _words(lang)
    table = Table(title=w["sheets"], title_justify="left", header_style="bold")
    for name, justify in (
        ("sheet", "left"),
        ("file", "left"),
        ("format", "left"),
        ("header_row", "right"),
        ("rows_read", "right"),
        ("rows_usable", "right"),
        ("missing_columns", "left"),
    ):
        table.add_column(w[name], justify=justify, overflow="fold")  # type: ignore[arg-type]
    for info in sheets:
        sheet = _sheet(info.sheet, lang)
        if info.status != "ok":
            style = "dim" if info.status == "missing" else "red"
            reason = reason_text(info.reason or info.status, lang, info.sheet)
            if lang == "zh" and info.reason == "sheet missing":
                reason = w["not_found"]
            if info.status == "missing" and info.sheet in SHEETS and SHEETS[info.sheet].optional:
                reason = w["optional_absent"]
            table.add_row(sheet, Text(reason, style=style), "", "", "", "", "")
            continue
        file = Text(_relative(info.file or "", source))
        if info.worksheet:
            file.append(f" [{info.worksheet}]", style="cyan")
        kind = info.file_format or ""
        if info.encoding:
            kind += f", {info.encoding}"
        usable = Text(str(info.rows_usable), style="yellow" if info.rows_usable < info.rows_read else "")
        missing = w["sep"].join(_column(c, lang, info.sheet) for c in info.missing_columns)
        table.add_row(
            sheet,
            file,
            kind,
            str(info.header_row or ""),
            str(info.rows_read),
            usable,
            Text(missing, style="dim"),
        )
    return table


def header_mapping_table(sheets: list[SheetInfo], lang: str = "en") -> Table:
    """The file headers read under another name (a canonical header maps to itself: not listed)."""
    w = _words(lang)
    table = Table(title=w["header_mapping"], title_justify="left", header_style="bold")
    table.add_column(w["sheet"])
    table.add_column(w["headers_renamed"], overflow="fold")
    for info in sheets:
        pairs = [(h, c) for h, c in info.header_map.items() if h.strip().lower() != c]
        if lang == "zh":  # a header that is the column's own Chinese name is no renaming either
            pairs = [(h, c) for h, c in pairs if h.strip() != _column(c, lang, info.sheet)]
        if pairs:
            shown = " · ".join(f"{h} → {_column(c, lang, info.sheet)}" for h, c in pairs)
            table.add_row(_sheet(info.sheet, lang), Text(shown))
    return table


def _blocked_table(result: CheckResult, lang: str = "en") -> Table:
    w = _words(lang)
    table = Table(title=w["blocked"], title_justify="left", header_style="bold")
    table.add_column(w["kpi"])
    table.add_column(w["why"], overflow="fold")
    for item in result.kpis_without_data:
        table.add_row(item["kpi"], Text(reason_text(item["reason"], lang, item.get("sheet")), style="dim"))
    return table


def summary_table(groups: list[IssueGroup], lang: str = "en") -> Table:
    w = _words(lang)
    table = Table(title=w["by_kind"], title_justify="left", header_style="bold")
    table.add_column(w["severity"])
    table.add_column(w["code"])
    table.add_column(w["issues"], justify="right")
    table.add_column(w["sheets_col"], overflow="fold")
    for group in groups:
        style = SEVERITY_STYLES[group.severity]
        table.add_row(
            Text(severity_text(group.severity, lang), style=style),
            issue_kind(group.code, lang),
            str(len(group.issues)),
            _words(lang)["sep"].join(_sheet(s, lang) for s in group.sheets),
        )
    return table


def details_table(
    groups: list[IssueGroup], limit: int | None, lang: str = "en", several: set[str] | None = None
) -> Table:
    """The issues, the first `limit` of each kind. several: the sheets read from several files,
    whose issues name their file (a row number alone would not say which file it is in)."""
    w = _words(lang)
    title = w["details"] if limit is None else w["details_first"].format(limit=limit)
    table = Table(title=title, title_justify="left", header_style="bold")
    names: tuple[str, ...] = ("severity", "sheet", "file", "row", "column", "value", "reason")
    if not several:
        names = tuple(n for n in names if n != "file")
    for name in names:
        table.add_column(w[name], justify="right" if name == "row" else "left", overflow="fold")
    for group in groups:
        shown = group.issues if limit is None else group.issues[:limit]
        for issue in shown:
            file = [Text(issue_file(issue, several))] if several else []
            table.add_row(
                Text(severity_text(issue.severity, lang), style=SEVERITY_STYLES[issue.severity]),
                Text(_sheet(issue.sheet, lang) if issue.sheet else ""),
                *file,
                "" if issue.row is None else str(issue.row),
                Text(columns_text(issue.column, lang, issue.sheet)),
                Text(_short(issue.value)),
                Text(issue_reason(issue, lang)),
            )
        hidden = len(group.issues) - len(shown)
        if hidden:
            more = w["hidden"].format(n=hidden, code=issue_kind(group.code, lang))
            table.add_row(*[""] * (len(names) - 1), Text(more, style="dim"))
        table.add_section()
    return table


def issue_file(issue: DataIssue, several: set[str] | None) -> str:
    """The name of the one file an issue is in, for a sheet read from several files ("" for an
    issue of the whole sheet, or of a sheet read from one file)."""
    if not several or issue.sheet not in several or not issue.file or "; " in issue.file:
        return ""
    return Path(issue.file).name


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
