"""Columns, sheets, values and settings as a person knows them: `column_label` (打卡工时 in
Chinese, "clocked hours" in English), `sheet_label`, `value_label` (成功, 否 / "reached", "no"),
`display` (a cell as a person reads it) and `setting_value` (a KPI setting's value: 30分钟,
"90 calendar days"), never the contract's identifiers.

The low part of `words` (which says conditions in these words): it reads only the data
contract, so the renderers and the report's data use it without the expression language.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .contract import SHEETS, Column

#: English words for the few parts of a column name that are not read as plain words
EN_PARTS = {"ro": "RO", "id": "ID", "vin": "VIN", "dcrc": "DCRC"}
#: English names of the time columns, which their ids ("opened_at") do not read as
EN_LABELS = {
    "opened_at": "opening time",
    "closed_at": "closing time",
    "promised_at": "promised time",
    "work_completed_at": "completion time",
    "invoiced_at": "invoice time",
    "delivered_at": "delivery time",
    "booked_at": "booking time",
    "reminded_at": "reminder time",
    "arrived_at": "arrival time",
    "due_at": "due date",
    "called_at": "call time",
    "raised_at": "time raised",
    "resolved_at": "resolution time",
    "requested_at": "request time",
    "first_service_contact_at": "first service contact",
    "reviewed_at": "review date",
    "comeback_of": "comeback of RO",
}
YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}
#: between the items of a list said in words ("internal, insurance"; 内部、保险)
LIST_SEP = {"en": ", ", "zh": "、"}


def _contract_column(name: str, sheet: str | None) -> Column | None:
    """The contract's column `name`: the sheet's own first, else any sheet's of that name."""
    sheets = ([SHEETS[sheet]] if sheet in SHEETS else []) + list(SHEETS.values())
    for candidate in sheets:
        column = candidate.column(name)
        if column is not None:
            return column
    return None


def column_label(name: str, lang: str, sheet: str | None = None) -> str:
    """A column as the user knows it: its Chinese header in Chinese, its name in words in
    English ("clocked hours", "RO number"); a column the contract does not know keeps its name."""
    column = _contract_column(name, sheet)
    if column is None:
        return name
    if lang == "zh":
        return column.zh
    if name in EN_LABELS:
        return EN_LABELS[name]
    return " ".join(EN_PARTS.get(part, part) for part in name.split("_") if part)


#: English names of the sheets whose ids do not say what one row is
EN_SHEETS = {"technician_time": "technician-days"}


def sheet_label(name: str, lang: str) -> str:
    """A sheet as the user knows it: 回访记录 in Chinese, "callbacks" in English."""
    if name not in SHEETS:
        return name
    if lang == "zh":
        return SHEETS[name].zh
    return EN_SHEETS.get(name, name.replace("_", " "))


def value_label(value: Any, column: str | None, lang: str, sheet: str | None = None) -> str:
    """A value of a column in words: yes/no (是/否) for flags; an enum's canonical value as the
    export spells it in Chinese (reached -> 成功, internal -> 内部), in English as words."""
    if isinstance(value, (bool, np.bool_)):
        return YES_NO["zh" if lang == "zh" else "en"][0 if value else 1]
    if isinstance(value, str) and column is not None:
        known = _contract_column(column, sheet)
        if known is not None and value in known.values:
            spellings = known.values[value]
            if lang == "zh" and spellings:
                return spellings[0]
            return value.replace("_", " ")
    return display(value)


def display(value: Any, column: str | None = None, lang: str | None = None, sheet: str | None = None) -> str:
    """A cell as a person reads it: empty for missing, minutes for datetimes; with `lang`,
    flags and enum values in that language's words (`value_label`)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if lang is not None and (isinstance(value, (bool, np.bool_, str))):
        return value_label(value, column, lang, sheet)
    if isinstance(value, pd.Timestamp):
        with_time = value.hour or value.minute or value.second
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_SETTING_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(min|s|h|cd|d|w)$")
SETTING_UNITS = {
    "en": {"s": "s", "min": "min", "h": "h", "d": "days", "cd": "calendar days", "w": "weeks"},
    "zh": {"s": "秒", "min": "分钟", "h": "小时", "d": "天", "cd": "个自然日", "w": "周"},
}
NO_LIMIT = {"en": "no limit", "zh": "不限"}
#: a text setting's choices in words (the id is what sdkpi.toml takes, shown beside them)
CHOICE_WORDS = {
    "en": {"ro": "per work order", "visit": "per visit"},
    "zh": {"ro": "按工单计", "visit": "按来店次数计"},
}
#: the column whose values a list setting holds (payers left out of a KPI)
LIST_SETTING_COLUMN = "customer_type"


def setting_value(value: Any, unit: str, lang: str) -> str:
    """A named setting's value as a manager reads it: "30分钟", "90个自然日", "内部、保险", "不限"."""
    lang = "zh" if lang == "zh" else "en"
    units = SETTING_UNITS[lang]
    if value is None:
        return NO_LIMIT[lang]
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if isinstance(value, (list, tuple)):
        if not value:
            return "无" if lang == "zh" else "none"
        return LIST_SEP[lang].join(value_label(v, LIST_SETTING_COLUMN, lang) for v in value)
    if isinstance(value, str):
        duration = _SETTING_DURATION.match(value.strip())
        if duration is None:
            said = CHOICE_WORDS[lang].get(value)
            return f"{said} ({value})" if said and lang == "en" else f"{said}({value})" if said else value
        number, letters = duration.groups()
        return f"{number}{units[letters]}" if lang == "zh" else f"{number} {units[letters]}"
    if isinstance(value, (int, float)):
        shown = f"{value:g}"
        if unit in units:
            return f"{shown}{units[unit]}" if lang == "zh" else f"{shown} {units[unit]}"
        return shown
    return str(value)
