"""Shared wording and number formats for every renderer."""

from __future__ import annotations

from ..results import KpiResult

STATUS_LABELS = {
    "en": {"met": "met", "missed": "MISSED", "no_target": "report only", "reference": "reference", "no_data": "no data"},
    "zh": {"met": "达标", "missed": "未达标", "no_target": "仅报告", "reference": "参考值", "no_data": "无数据"},
}
STATUS_SYMBOLS = {"met": "✓", "missed": "✗", "no_target": "·", "reference": "·", "no_data": "–"}
STATUS_STYLES = {"met": "green", "missed": "bold red", "no_target": "cyan", "reference": "cyan", "no_data": "dim"}


def status_text(status: str, lang: str) -> str:
    """A status as every renderer shows it: symbol and word ("✗ MISSED", "✓ 达标")."""
    return f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[lang][status]}"


HEADINGS = {
    "en": {
        "stage": "Stage",
        "kpi": "KPI",
        "value": "Value",
        "target": "Target",
        "status": "Status",
        "numerator": "Numerator",
        "denominator": "Denominator",
        "period": "Period",
        "source": "Data",
        "issues": "data issues",
        "benchmark": "benchmark",
        "provisional": "provisional until",
    },
    "zh": {
        "stage": "环节",
        "kpi": "指标",
        "value": "数值",
        "target": "目标",
        "status": "状态",
        "numerator": "分子",
        "denominator": "分母",
        "period": "期间",
        "source": "数据",
        "issues": "条数据问题",
        "benchmark": "基准",
        "provisional": "暂定,至",
    },
}


def text(mapping: dict[str, str] | None, lang: str) -> str:
    if not mapping:
        return ""
    return mapping.get(lang) or mapping.get("en") or ""


def format_number(value: float | int | None, unit: str, currency: str = "¥") -> str:
    """A KPI value or a numerator/denominator, as a manager reads it."""
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:,.2f} h"
    if unit == "currency":
        return f"{currency}{value:,.2f}"
    return f"{value:,.2f}"


def format_part(value: float | int, unit: str, currency: str = "¥") -> str:
    """A numerator or denominator: counts as integers, sums with two decimals."""
    if isinstance(value, int):
        return f"{value:,}"
    if unit == "currency":
        return f"{currency}{value:,.2f}"
    return f"{value:,.2f}"


def format_target(kpi: KpiResult, lang: str) -> str:
    if kpi.target is None:
        return "–"
    if kpi.unit == "percent":
        shown = f"{kpi.target.op} {kpi.target.value * 100:g}%"
    else:
        shown = f"{kpi.target.op} {kpi.target.value:g}"
    if kpi.target.kind == "benchmark":
        shown = f"{HEADINGS[lang]['benchmark']} {shown}"
    return shown
