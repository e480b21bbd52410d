"""KPI conditions in plain words, generated from the parsed expressions.

`condition_words` turns a condition into a phrase ("work completed at at least
30 min before promised at"); `failure_words` says why one record failed it, with
its numbers ("work completed at 12 min before promised at; needs at least 30 min
before"). Both read the parsed tree of the definitions file, so the words cannot
drift from what the engine computes. Columns and values are said as a person
knows them (`column_label`, `value_label`: 打卡工时, 成功, 否 in Chinese; "clocked
hours", "reached", "no" in English), never as the contract's identifiers; what
has no phrase falls back to the expression text with its columns so labelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from . import expr as ex
from .column_words import LIST_SEP, YES_NO, column_label, display, value_label
from .column_words import setting_value as setting_value  # re-exported: callers take it from words
from .column_words import sheet_label as sheet_label  # re-exported: callers take it from words
from .evaluate import Frame
from .functions import COLUMN, FUNCTIONS, words_of

W = {
    "en": {
        "before": "before",
        "after": "after",
        "same": "{c} at the same time as {b}",
        "gap": "{c} {d} {side} {b}",
        "at_least": "at least {d} {side}",
        "more_than": "more than {d} {side}",
        "at_most": "at most {d} {side}",
        "less_than": "less than {d} {side}",
        "within": "within {d} {side}",
        "no_later": "no later than",
        "earlier": "earlier than",
        "no_earlier": "no earlier than",
        "later": "later than",
        "range": "{lo} to {hi} {side}",
        "range_mixed": "between {lo} {lo_side} and {hi} {hi_side}",
        "needs": "needs ",
        "empty": "{c} is empty",
        "filled": "{c} filled in",
        "not_filled": "{c} empty",
        "is": "{c} is {v}",
        "is_not": "{c} is not {v}",
        "one_of": "{c} is one of {v}",
        "not_one_of": "{c} is none of {v}",
        "true": "{c} is yes",
        "not_true": "{c} is not yes",
        "and": " and ",
        "or": " or ",
        "not": "not ({x})",
        "value_was": "{c} is {v}",
        "sep": "; ",
        "list": LIST_SEP["en"],
        ">=": "{c} at least {v}",
        ">": "{c} more than {v}",
        "<=": "{c} at most {v}",
        "<": "{c} less than {v}",
        # an arrival against its booked time: "arrived 5 min late", "arrived 3 min early"
        "arrival_late": "arrived {d} late",
        "arrival_early": "arrived {d} early",
        "arrival_same": "arrived on the minute",
        "arrival_before": "early",
        "arrival_after": "late",
        "arrival_rule": "arrival {core}",
        "arrival_within": "at most {d} {side}, not {other}",
        "arrival_range": "{lo} to {hi} {side}",
        "arrival_range_mixed": "from {lo} {lo_side} to {hi} {hi_side}",
        "arrival_no_later": "not late",
        "arrival_no_earlier": "not early",
    },
    "zh": {
        "before": "之前",
        "after": "之后",
        "same": "{c}与{b}同时",
        "gap": "{c}在{b}{side}{d}",
        "at_least": "{side}至少{d}",
        "more_than": "{side}超过{d}",
        "at_most": "{side}至多{d}",
        "less_than": "{side}不到{d}",
        "within": "{side}{d}以内",
        "no_later": "不晚于",
        "earlier": "早于",
        "no_earlier": "不早于",
        "later": "晚于",
        "range": "{side}{lo}至{hi}",
        "range_mixed": "{lo_side}{lo}至{hi_side}{hi}之间",
        "needs": "要求",
        "empty": "{c}为空",
        "filled": "{c}已填写",
        "not_filled": "{c}为空",
        "is": "{c}为{v}",
        "is_not": "{c}不为{v}",
        "one_of": "{c}为{v}之一",
        "not_one_of": "{c}不为{v}中任一",
        "true": "{c}为是",
        "not_true": "{c}不为是",
        "and": "且",
        "or": "或",
        "not": "非({x})",
        "value_was": "{c}为{v}",
        "sep": "；",
        "list": LIST_SEP["zh"],
        ">=": "{c}不少于{v}",
        ">": "{c}大于{v}",
        "<=": "{c}不超过{v}",
        "<": "{c}小于{v}",
        "arrival_late": "迟到{d}",
        "arrival_early": "提前{d}到店",
        "arrival_same": "准点到店",
        "arrival_before": "提前",
        "arrival_after": "迟到",
        "arrival_rule": "{core}",
        "arrival_within": "{side}{d}以内到店、不{other}",
        "arrival_range": "{side}{lo}至{hi}到店",
        "arrival_range_mixed": "{lo_side}{lo}至{hi_side}{hi}之间到店",
        "arrival_no_later": "不迟到",
        "arrival_no_earlier": "不提前",
    },
}
UNITS = {"s": "s", "min": "min", "h": "h", "d": "d", "cd": "d", "w": "d"}
UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
UNIT_WORDS = {"zh": {"s": "秒", "min": "分钟", "h": "小时", "d": "天"}}
#: (column, base) pairs that say when a customer came against the time booked: their gaps
#: read "arrived 5 min late" / "迟到5分钟" rather than "arrived at 5 min after appointment time"
ARRIVALS = {("arrived_at", "appointment_time")}


def _w(lang: str, key: str, **kw: Any) -> str:
    return W["zh" if lang == "zh" else "en"][key].format(**kw)


def literal_words(node: ex.Node, column: str | None, lang: str, sheet: str | None = None) -> str:
    """A literal of a condition as a value of `column` (`'internal'` -> 内部, `true` -> 是)."""
    if isinstance(node, ex.Literal) and isinstance(node.value, (bool, str)):
        return value_label(node.value, column, lang, sheet)
    return expression_words(node, lang, sheet)


def expression_words(node: ex.Node, lang: str, sheet: str | None = None) -> str:
    """An expression written back with its columns labelled (`labor_hours_sold * 2` ->
    "销售工时 * 2"): the fallback for what has no phrase of its own."""
    if isinstance(node, ex.Column):
        return column_label(node.name, lang, sheet)
    if isinstance(node, ex.Arith):
        left, right = expression_words(node.left, lang, sheet), expression_words(node.right, lang, sheet)
        return f"{left} {node.op} {right}"
    if isinstance(node, ex.Literal) and isinstance(node.value, bool):
        return YES_NO["zh" if lang == "zh" else "en"][0 if node.value else 1]
    if isinstance(node, ex.Literal) and isinstance(node.value, str):
        return node.value
    return ex.to_text(node)


def call_words(
    node: ex.Call,
    key: str,
    lang: str,
    label: Callable[[str], str],
    more: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> str:
    """A function call in its declared words (`functions`): "is", "not" or "why_not", with
    its column arguments labelled and its other arguments written out."""
    function = FUNCTIONS[node.name]
    values = {spec.name: "" for spec in function.args}
    for spec, arg in zip(function.args, node.args, strict=False):
        values[spec.name] = (
            label(ex.to_text(arg)) if spec.kind == COLUMN else expression_words(arg, lang, sheet)
        )
    return words_of(function, lang)[key].format(**values, **(more or {}))


# --------------------------------------------------------------------------- time offsets


@dataclass(frozen=True)
class Offset:
    """`column = base + offset`: a datetime condition rewritten around a gap."""

    column: str
    base: str
    unit: str  # the unit the definition used (min, h, d ...)


def _split(node: ex.Node) -> tuple[str, timedelta, str | None] | None:
    """`B`, `B + 30min`, `B - 24h` -> (B, offset, unit)."""
    if isinstance(node, ex.Column):
        return node.name, timedelta(0), None
    if (
        isinstance(node, ex.Arith)
        and node.op in "+-"
        and isinstance(node.left, ex.Column)
        and isinstance(node.right, ex.Duration)
    ):
        sign = 1 if node.op == "+" else -1
        return node.left.name, sign * node.right.value, _unit_of(node.right.text)
    return None


def _unit_of(text: str) -> str:
    letters = text.lstrip("0123456789.")
    return UNITS.get(letters, "min")


def gap_form(node: ex.Node) -> tuple[str, str, str, list[timedelta], str | None] | None:
    """A datetime comparison as (column, base, op, offsets, unit): `column - base op offset`.

    `a <= b - 30min` -> (a, b, "<=", [-30min]); `a - b >= 24h` -> (a, b, ">=", [24h]);
    `a between b - 24h and b - 12h` -> (a, b, "between", [-24h, -12h]).
    """
    if isinstance(node, ex.Between) and isinstance(node.operand, ex.Column):
        low, high = _split(node.low), _split(node.high)
        if low and high and low[0] == high[0]:
            return node.operand.name, low[0], "between", [low[1], high[1]], low[2] or high[2]
        return None
    if not isinstance(node, ex.Compare) or node.op in ("==", "!="):
        return None
    left, right = node.left, node.right
    if (
        isinstance(left, ex.Arith)
        and left.op == "-"
        and isinstance(left.left, ex.Column)
        and isinstance(left.right, ex.Column)
        and isinstance(right, ex.Duration)
    ):
        return left.left.name, left.right.name, node.op, [right.value], _unit_of(right.text)
    if isinstance(left, ex.Column):
        split = _split(right)
        if split is not None:
            return left.name, split[0], node.op, [split[1]], split[2]
    return None


def format_gap(gap: timedelta, unit: str | None, lang: str = "en") -> str:
    """A time gap in the rule's unit when it is a whole number of it ("24 h"), else exactly
    in parts ("24 h 1 min"): rounding would make a miss by a minute look like a pass."""
    seconds = round(abs(gap.total_seconds()))
    if unit is None:
        unit = "min" if seconds < 7200 else "h" if seconds < 172800 else "d"
    size = UNIT_SECONDS.get(unit, 60)
    if seconds % size == 0:
        return _amount(seconds // size, unit, lang)
    parts = []
    order = ("d", "h", "min", "s")
    for part in order[order.index(unit) if unit in order else 0 :]:
        count, seconds = divmod(seconds, UNIT_SECONDS[part])
        if count:
            parts.append(_amount(count, part, lang))
    return ("" if lang == "zh" else " ").join(parts)


def _amount(count: int, unit: str, lang: str) -> str:
    if lang == "zh":
        return f"{count}{UNIT_WORDS['zh'].get(unit, unit)}"
    return f"{count} {unit}"


def _side(gap: timedelta, lang: str, arrival: bool = False) -> str:
    if arrival:
        return _w(lang, "arrival_before" if gap < timedelta(0) else "arrival_after")
    return _w(lang, "before" if gap < timedelta(0) else "after")


def _core(
    op: str, offsets: list[timedelta], unit: str | None, lang: str, arrival: bool = False
) -> tuple[str, bool]:
    """The requirement `column - base op offset(s)` without the columns, e.g. "at least 30 min
    before"; and whether it reads with the base right after it ("no later than promised_at").
    For an arrival the sides are "early"/"late" (提前/迟到)."""
    zero = timedelta(0)
    prefix = "arrival_" if arrival else ""

    def gap(d: timedelta) -> str:
        return format_gap(d, unit, lang)

    def side(d: timedelta) -> str:
        return _side(d, lang, arrival)

    if op == "between":
        low, high = offsets
        if zero in (low, high):
            far = high if low == zero else low
            other = side(-far if far != zero else far)
            return _w(lang, prefix + "within", d=gap(far), side=side(far), other=other), False
        if (low < zero) == (high < zero):
            near, far = sorted((low, high), key=abs)
            return _w(lang, prefix + "range", lo=gap(near), hi=gap(far), side=side(far)), False
        sides = {"lo_side": side(low), "hi_side": side(high)}
        return _w(lang, prefix + "range_mixed", lo=gap(low), hi=gap(high), **sides), False
    offset = offsets[0]
    if offset == zero:
        if arrival and op in ("<=", ">="):
            return _w(lang, "arrival_no_later" if op == "<=" else "arrival_no_earlier"), False
        return _w(lang, {"<=": "no_later", "<": "earlier", ">=": "no_earlier", ">": "later"}[op]), True
    inclusive = op in ("<=", ">=")
    if (op in (">", ">=")) == (offset > zero):
        key = "at_least" if inclusive else "more_than"
    else:
        key = "at_most" if inclusive else "less_than"
    return _w(lang, key, d=gap(offset), side=side(offset)), False


def _requirement(
    form: tuple[str, str, str, list[timedelta], str | None], lang: str, full: bool, arrival: bool = False
) -> str:
    column, base, op, offsets, unit = form
    core, base_follows = _core(op, offsets, unit, lang, arrival)
    if arrival and not base_follows:
        return _w(lang, "arrival_rule", core=core)
    if not full:
        return f"{core} {base}" if base_follows and lang != "zh" else core + (base if base_follows else "")
    if lang == "zh":
        return f"{column}{core}{base}" if base_follows else f"{column}在{base}{core}"
    return f"{column} {core} {base}"


# --------------------------------------------------------------------------- conditions


def condition_words(node: ex.Node, lang: str = "en", sheet: str | None = None) -> str:
    """A condition in plain words (falls back to the expression text)."""

    def label(name: str) -> str:
        return column_label(name, lang, sheet)

    form = gap_form(node)
    if form is not None:
        column, base, op, offsets, unit = form
        arrival = (column, base) in ARRIVALS
        return _requirement((label(column), label(base), op, offsets, unit), lang, True, arrival)
    if isinstance(node, ex.IsNull) and isinstance(node.operand, ex.Column):
        return _w(lang, "not_filled" if not node.negated else "filled", c=label(node.operand.name))
    if isinstance(node, ex.Column):
        return _w(lang, "true", c=label(node.name))
    if isinstance(node, ex.Call):
        return call_words(node, "is", lang, label, sheet=sheet)
    if isinstance(node, ex.Not):
        if isinstance(node.operand, ex.Call):
            return call_words(node.operand, "not", lang, label, sheet=sheet)
        if isinstance(node.operand, ex.Column):
            return _w(lang, "not_true", c=label(node.operand.name))
        return _w(lang, "not", x=condition_words(node.operand, lang, sheet))
    if isinstance(node, ex.Compare) and node.op in ("==", "!=") and isinstance(node.left, ex.Column):
        key = "is" if node.op == "==" else "is_not"
        value = literal_words(node.right, node.left.name, lang, sheet)
        return _w(lang, key, c=label(node.left.name), v=value)
    if isinstance(node, ex.Compare) and node.op in (">=", ">", "<=", "<"):
        left, right = expression_words(node.left, lang, sheet), expression_words(node.right, lang, sheet)
        return _w(lang, node.op, c=left, v=right)
    if isinstance(node, ex.InList) and isinstance(node.operand, ex.Column):
        column = node.operand.name
        values = _w(lang, "list").join(literal_words(v, column, lang, sheet) for v in node.values)
        if len(node.values) == 1:  # `in ['internal']` reads "is internal"
            return _w(lang, "is_not" if node.negated else "is", c=label(column), v=values)
        return _w(lang, "not_one_of" if node.negated else "one_of", c=label(column), v=values)
    if isinstance(node, ex.BoolOp):
        parts = [condition_words(o, lang, sheet) for o in node.operands]
        return _w(lang, node.op).join(
            f"({p})" if isinstance(o, ex.BoolOp) else p for p, o in zip(parts, node.operands, strict=True)
        )
    return expression_words(node, lang, sheet)


# --------------------------------------------------------------------------- one record


def failure_words(node: ex.Node, frame: Frame, position: int, lang: str = "en") -> str:
    """Why the record at `position` fails `node`, with its own values."""
    needs, sep = _w(lang, "needs"), _w(lang, "sep")
    condition = condition_words(node, lang)
    if (
        isinstance(node, ex.Not)
        and isinstance(node.operand, ex.Call)
        and FUNCTIONS[node.operand.name].why_not
    ):
        return _call_failure(node.operand, frame, position, lang)
    if isinstance(node, ex.IsNull) and isinstance(node.operand, ex.Column):
        column = node.operand.name
        if node.negated:
            return f"{_w(lang, 'empty', c=column_label(column, lang))}{sep}{needs}{condition}"
        shown = _w(lang, "value_was", c=column_label(column, lang), v=_cell(frame, column, position, lang))
        return f"{shown}{sep}{needs}{condition}"
    empty = [c for c in sorted(ex.columns(node)) if c in frame.kinds and _is_null(frame, c, position)]
    if empty:
        cells = _w(lang, "list").join(_w(lang, "empty", c=column_label(c, lang)) for c in empty)
        return f"{cells}{sep}{needs}{condition}"
    form = gap_form(node)
    if form is not None:
        return _gap_failure(form, frame, position, lang)
    values = _w(lang, "list").join(
        _w(lang, "value_was", c=column_label(c, lang), v=_cell(frame, c, position, lang))
        for c in sorted(ex.columns(node))
        if c in frame.kinds
    )
    return f"{values}{sep}{needs}{condition}" if values else f"{needs}{condition}"


def _gap_failure(
    form: tuple[str, str, str, list[timedelta], str | None], frame: Frame, position: int, lang: str
) -> str:
    """ "work_completed_at 12 min before promised_at; needs at least 30 min before"."""
    column, base, op, offsets, unit = form
    delta = _timestamp(frame, column, position) - _timestamp(frame, base, position)
    gap = timedelta(seconds=delta.total_seconds())
    c, b = column_label(column, lang), column_label(base, lang)
    arrival = (column, base) in ARRIVALS
    if arrival:
        key = (
            "arrival_same"
            if gap == timedelta(0)
            else "arrival_early"
            if gap < timedelta(0)
            else "arrival_late"
        )
        actual = _w(lang, key, d=format_gap(gap, unit, lang))
    elif gap == timedelta(0):
        actual = _w(lang, "same", c=c, b=b)
    else:
        actual = _w(lang, "gap", c=c, b=b, d=format_gap(gap, unit, lang), side=_side(gap, lang))
    requirement = _requirement((c, b, op, offsets, unit), lang, False, arrival)
    return f"{actual}{_w(lang, 'sep')}{_w(lang, 'needs')}{requirement}"


def _call_failure(node: ex.Call, frame: Frame, position: int, lang: str) -> str:
    """Why a record fails `not f(...)`, in the words of `f` with the record's values."""

    def label(name: str) -> str:
        return column_label(name, lang)

    why_not = FUNCTIONS[node.name].why_not
    assert why_not is not None
    found = why_not(frame, node.args, position, label)
    if found is None:
        return call_words(node, "is", lang, label)
    return call_words(node, "why_not", lang, label, found)


def _is_null(frame: Frame, column: str, position: int) -> bool:
    return bool(np.asarray(frame.column(column).null)[position])


def _timestamp(frame: Frame, column: str, position: int) -> pd.Timestamp:
    return pd.Timestamp(frame.column(column).data[position])


def _cell(frame: Frame, column: str, position: int, lang: str = "en") -> str:
    return display(frame.data[column].iat[position], column, lang)
