"""The monthly report's words, in English and Chinese: headings, notes and counts that
every report renderer (workbook, HTML, PDF) draws from `ReportData.words`."""

from __future__ import annotations

from .labels import HEADINGS

_TABLE_HEADINGS = ("period", "kpi", "value", "target", "status", "numerator", "denominator")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Service KPI report",
        "store": "Store",
        "generated": "Generated",
        "definitions": "Definitions",
        "summary": "Summary",
        "trend": "Trend",
        "issues": "Data issues",
        "previous": "Previous",
        "change": "Change",
        "month": "Month",
        "missed_kpis": "Missed KPIs: the records behind them",
        "obstacles": "Possible causes (from the catalog)",
        "records": "Records that pulled it down",
        "showing": "showing {shown} of {total}",
        "no_records": "No single record to list: the shortfall comes from the totals.",
        "row": "Row",
        "why": "Why",
        "file": "File",
        "severity": "Severity",
        "code": "Code",
        "sheet": "Sheet",
        "column": "Column",
        "reason": "Reason",
        "no_issues": "No data issues found.",
        "provisional": "* provisional: later records can still change it (until {date})",
        "pp": "pts",
        "counts": (
            "{met} met · {missed} missed · {no_target} report only · {reference} reference · "
            "{no_data} no data"
        ),
        "issue_counts": "{errors} errors · {warnings} warnings · {info} notes",
        "all_met": "No KPI missed its target this month.",
        "back": "back to summary",
        "show_all": "Show all {count} records",
        "show_fewer": "Show fewer",
        "footer": "Made with sdkpi {version}",
        "by_title": "Breakdown by {column}",
        "by_sheet": "By {column}",
        "by_note": (
            "One row per {column}, best first: each value is the row's own numerator ÷ its own denominator; "
            "the total is the Summary figure (summed numerators ÷ summed denominators)."
        ),
        "total": "Total",
        "group_total": "Group total",
        "empty_group": "(empty)",
        "rank": "#",
        "not_broken_down": "Not broken down by {column}",
        "distinct": "Distinct counts: the rows need not add up to the total.",
        "no_column": "the {sheet} sheet has no {column} column",
        "about": "What it measures",
        "settings": "Settings used",
        "setting": "{meaning}: {value}",
        "set_in": " (set in {file})",
        "printed_first": "Printed: the first {n}; all {total} here (filter with the header's arrows)",
        "who": "Who the misses come from",
        "misses": "Misses",
        "misses_below": "Records below target",
        "share": "Share of misses",
        "own_value": "Own value",
        "own_parts": "Own numerator / denominator",
        "first_of": "first {shown} of {total}; all in the workbook",
        "first_of_capped": "first {shown} of {total}; the first {kept} in the workbook",
        "all_of": "all {total}",
        "below_target": "{total} records fall short of the target on their own: all in the workbook",
        "kinds": "Data issues by kind",
        "kind_count": "Count",
        "examples": "Examples",
        "kinds_note": (
            "Each kind once, with its first {n} rows; the full list: sdkpi check, "
            'or the workbook\'s sheet "{sheet}".'
        ),
        "issue_list": "Issue list",
    },
    "zh": {
        "title": "售后服务 KPI 月报",
        "store": "门店",
        "generated": "生成时间",
        "definitions": "指标定义",
        "summary": "汇总",
        "trend": "趋势",
        "issues": "数据问题",
        "previous": "上月",
        "change": "变化",
        "month": "月份",
        "missed_kpis": "未达标指标及相关记录",
        "obstacles": "可能的原因(摘自指标手册)",
        "records": "拉低指标的记录",
        "showing": "显示 {shown} 条,共 {total} 条",
        "no_records": "没有可列出的单条记录:差距来自合计。",
        "row": "行号",
        "why": "原因",
        "file": "文件",
        "severity": "级别",
        "code": "代码",
        "sheet": "表",
        "column": "列",
        "reason": "说明",
        "no_issues": "未发现数据问题。",
        "provisional": "* 暂定:之后的记录仍可能改变该值(至 {date})",
        "pp": "百分点",
        "counts": (
            "{met} 达标 · {missed} 未达标 · {no_target} 不设目标 · {reference} 参考值 · {no_data} 无数据"
        ),
        "issue_counts": "{errors} 个错误 · {warnings} 个警告 · {info} 条提示",
        "all_met": "本月没有未达标的指标。",
        "back": "返回汇总",
        "show_all": "显示全部 {count} 条记录",
        "show_fewer": "收起",
        "footer": "由 sdkpi {version} 生成",
        "by_title": "按{column}分解",
        "by_sheet": "按{column}",
        "by_note": (
            "每个{column}一行,由好到差:各行数值 = 该行分子 ÷ 该行分母;合计即汇总表数值(分子之和 ÷ 分母之和)。"
        ),
        "total": "合计",
        "group_total": "集团合计",
        "empty_group": "(空)",
        "rank": "#",
        "not_broken_down": "未按{column}分解的指标",
        "distinct": "去重计数:各行之和不必等于合计。",
        "no_column": "「{sheet}」没有{column}列",
        "about": "指标说明",
        "settings": "所用设置",
        "setting": "{meaning}：{value}",
        "set_in": "(在 {file} 中设定)",
        "printed_first": "打印时只打印前 {n} 条;全部 {total} 条都在本页(可用表头箭头筛选)",
        "who": "未达标记录出自谁",
        "misses": "未达标数",
        "misses_below": "低于目标的记录数",
        "share": "占未达标比例",
        "own_value": "本人指标值",
        "own_parts": "本人分子 / 分母",
        "first_of": "前 {shown} 条,共 {total} 条;全部记录见 Excel 报表",
        "first_of_capped": "前 {shown} 条,共 {total} 条;Excel 报表列出前 {kept} 条",
        "all_of": "共 {total} 条",
        "below_target": "共 {total} 条记录本身低于目标:全部记录见 Excel 报表",
        "kinds": "数据问题分类汇总",
        "kind_count": "条数",
        "examples": "示例",
        "kinds_note": (
            "每类问题只列一次,附前 {n} 条所在行;完整清单请运行 sdkpi check,或查看 Excel 报表的「{sheet}」页。"
        ),
        "issue_list": "数据问题明细",
    },
}
# The headings the terminal table uses too (labels.HEADINGS): spelled once, there.
for _lang, _words in WORDS.items():
    _words.update({key: HEADINGS[_lang][key] for key in _TABLE_HEADINGS}, data=HEADINGS[_lang]["source"])
