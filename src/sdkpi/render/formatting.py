"""Shared wording and number formats for every renderer."""

from __future__ import annotations

import re

from ..labels import HEADINGS as HEADINGS  # re-exported: every renderer's words
from ..labels import text as text
from ..reasons import REASON_WORDS, SEPARATOR, Reason
from ..results import KpiResult

#: What makes a spreadsheet read a cell as a formula: its first character, once any leading
#: space or control character (which Excel, LibreOffice or a CSV import may drop) is skipped.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LEADING_INVISIBLE = re.compile(r"^[\s\x00-\x1f\x7f\u200b\ufeff]+")


def starts_like_formula(cell: str) -> bool:
    """Would a spreadsheet run this text as a formula (`=4+4`, `\x00=4+4`, ` @SUM(A1)`)?"""
    return cell.startswith(FORMULA_START) or _LEADING_INVISIBLE.sub("", cell).startswith(FORMULA_START)


STATUS_LABELS = {
    "en": {
        "met": "met",
        "missed": "MISSED",
        "no_target": "report only",
        "reference": "reference",
        "no_data": "no data",
    },
    "zh": {
        "met": "达标",
        "missed": "未达标",
        "no_target": "不设目标",
        "reference": "参考值",
        "no_data": "无数据",
    },
}
STATUS_SYMBOLS = {"met": "✓", "missed": "✗", "no_target": "·", "reference": "·", "no_data": "–"}
STATUS_STYLES = {  # rich styles: a reference value is shown, never judged, so never red
    "met": "green",
    "missed": "bold red",
    "no_target": "cyan",
    "reference": "cyan",
    "no_data": "dim",
}


def status_text(status: str, lang: str) -> str:
    """A status as every renderer shows it: symbol and word ("✗ MISSED", "✓ 达标")."""
    return f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[lang][status]}"


def format_number(value: float | int | None, unit: str, currency: str = "¥") -> str:
    """A KPI value or a numerator/denominator, as a manager reads it."""
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:,.2f} h"
    if unit == "currency":
        return f"{money_sign(currency)}{value:,.2f}"
    return f"{value:,.2f}"


#: the sign a money amount is written with, for a store's currency given as its code
MONEY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "HKD": "HK$"}


def money_sign(currency: str) -> str:
    """'CNY' -> '¥', 'USD' -> '$'; a sign (¥, $) as given; another code as 'THB '."""
    sign = MONEY_SIGNS.get(currency.strip().upper())
    if sign is not None:
        return sign
    return f"{currency} " if currency.isascii() and currency.isalpha() else currency


def format_part(value: float | int, unit: str, currency: str = "¥") -> str:
    """A numerator or denominator: counts as integers, sums with two decimals."""
    if isinstance(value, int):
        return f"{value:,}"
    if unit == "currency":
        return f"{money_sign(currency)}{value:,.2f}"
    return f"{value:,.2f}"


#: a money target's currency (ISO code) as a Chinese reader names it; others keep the code
CURRENCY_WORDS_ZH = {"CNY": "元", "USD": "美元", "EUR": "欧元", "HKD": "港元", "JPY": "日元", "GBP": "英镑"}


def format_target(kpi: KpiResult, lang: str) -> str:
    """The target as the table shows it: "> 85%", "≥ 2.5"; a value that is not judged (a
    reference value, a benchmark in another currency) in brackets as the guide writes it,
    "(2.5)", "(USD 100)", never with a sign that reads like a target."""
    target = kpi.target
    if target is None:
        return "–"
    number = f"{target.value * 100:g}%" if kpi.unit == "percent" else f"{target.value:g}"
    if target.currency:
        name = CURRENCY_WORDS_ZH.get(target.currency) if lang == "zh" else None
        number = f"{number}{name}" if name else f"{target.currency} {number}"
    if target.not_judged is not None:
        return f"({number})"
    shown = f"{target.op} {number}"
    if target.kind == "benchmark":
        shown = f"{HEADINGS[lang]['benchmark']} {shown}"
    return shown


def reason_text(reason: str | None, lang: str, sheet: str | None = None) -> str:
    """A no-data reason in the reader's language, from its code (`reasons.REASON_WORDS`):
    sheets and columns by their Chinese names. A reason without a code is shown as said."""
    if not reason or lang != "zh":
        return reason or ""
    if not isinstance(reason, Reason):
        return reason
    return _said(reason, lang, sheet)


def _said(reason: Reason, lang: str, sheet: str | None, columns: str | None = None) -> str:
    from ..words import column_label, sheet_label

    params = reason.params
    if reason.code == "several":
        return SEPARATOR[lang].join(_said(part, lang, sheet) for part in params["parts"])
    parts = {k: v for k, v in params.items() if not isinstance(v, Reason)}
    named = params.get("sheet") or sheet
    listed = params.get("columns") or columns
    if "why" in params:
        inner_sheet = params["sheet"] if reason.code == "sheet_reason" else sheet
        parts["why"] = _said(params["why"], lang, inner_sheet, listed)
    if listed:
        said = [column_label(c.strip(), lang, named) for c in listed.split(",")]
        parts["columns"] = "、".join(said)
    if named:
        parts["sheet"] = sheet_label(named, lang)
    parts["sheet_of"] = sheet_label(sheet, lang) if sheet else ""
    return REASON_WORDS[reason.code][lang].format(**parts)
