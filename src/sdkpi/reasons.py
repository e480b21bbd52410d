"""Why a KPI (or a sheet) has no figure: each reason made once, as a code and its parameters,
and said in both languages from one table (`REASON_WORDS`).

A `Reason` is the English text itself (a `str`: JSON, comparisons and messages keep the words
they always had) that also carries its code and parameters, so the reader's language comes from
the code, never from matching the English. Chinese templates may use `{sheet_of}` (the sheet the
KPI reads) and name columns and sheets by their Chinese labels (see `render.formatting.reason_text`).
"""

from __future__ import annotations

from typing import Any

# code -> {"en": template, "zh": template}. Parameters named `sheet` are sheet names and
# `columns` comma-separated column names (both said by their labels in Chinese); `why` is a
# nested reason, said in the reader's language.
REASON_WORDS: dict[str, dict[str, str]] = {
    "sheet_missing": {"en": "sheet missing", "zh": "缺少{sheet_of}这张表"},
    "unreadable": {"en": "unreadable: {message}", "zh": "{sheet_of}的文件无法读取(原因见数据问题列表)"},
    "columns_missing": {
        "en": "column {columns} not in the {sheet} sheet",
        "zh": "{sheet}中没有“{columns}”列",
    },
    "check_columns_missing": {"en": "{sheet}: column {columns} missing", "zh": "{sheet}中没有“{columns}”列"},
    "sheet_reason": {"en": "{sheet}: {why}", "zh": "{why}"},
    "no_records": {"en": "no records in period", "zh": "本期没有记录"},
    "no_usable_records": {
        "en": "no usable records in period ({rows} row(s) with an unreadable value or date; see sdkpi check)",
        "zh": "本期没有可用的记录({rows} 行的值或日期无法识别，请运行 sdkpi check 查看)",
    },
    "out_of_range": {
        "en": "figures out of range (numerator {numerator}, denominator {denominator}); "
        "check the data for absurd values",
        "zh": "数值超出可计算的范围，请检查数据中的异常值",
    },
    "no_data": {"en": "no data", "zh": "无数据"},
    "breakdown_column_missing": {
        "en": "the {sheet} sheet has no {columns} column",
        "zh": "{sheet}中没有“{columns}”列",
    },
    "roster_no_advisor": {
        "en": "no advisor on the staff roster in {period}",
        "zh": "人员名单上{period}没有服务专员",
    },
    "roster_no_technician": {
        "en": "no technician on the staff roster in {period}",
        "zh": "人员名单上{period}没有技师",
    },
    "not_exported": {"en": "not in this export", "zh": "本导出不含“{columns}”"},
    "lines_differ": {
        "en": "{key} repeated with different amounts (a line-level export? declare `lines:`)",
        "zh": "同一单号多行“{columns}”不同，需在映射文件设置 lines:",
    },
    # columns in doubt: "<columns>: <why>", `why` a column reason above (said with the columns)
    "columns_unsure": {"en": "{columns}: {why}", "zh": "{why}"},
    # several reasons at once, each said in turn
    "several": {"en": "{parts}", "zh": "{parts}"},
}

SEPARATOR = {"en": "; ", "zh": "；"}


class Reason(str):
    """A no-data reason: its English words, with `code` and `params` (str or nested Reason;
    "several" holds a list of reasons in `parts`)."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Reason:
        words = REASON_WORDS[code]["en"]
        shown = dict(params)
        if code == "several":
            shown["parts"] = SEPARATOR["en"].join(params["parts"])
        self = super().__new__(cls, words.format(**shown))
        self.code = code
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, self.params))

    def to_dict(self) -> dict[str, Any]:
        """Code and parameters, JSON-ready (the result cache keeps a reason so)."""
        return {"code": self.code, "params": {k: _dump(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Reason:
        return cls(stored["code"], **{k: _load(v) for k, v in stored["params"].items()})


def _rebuild(code: str, params: dict[str, Any]) -> Reason:
    return Reason(code, **params)


def _dump(value: Any) -> Any:
    if isinstance(value, Reason):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        return Reason.from_dict(value)
    if isinstance(value, list):
        return [_load(v) for v in value]
    return value


def reason_dict(reason: str | None) -> dict[str, Any] | None:
    """A reason's code and parameters, or None for no reason or one without a code."""
    return reason.to_dict() if isinstance(reason, Reason) else None


def reason_code(reason: str | None) -> str | None:
    return reason.code if isinstance(reason, Reason) else None
