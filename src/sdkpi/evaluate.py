"""Type-check and evaluate parsed expressions over a sheet, vectorised with numpy.

Null semantics are two-valued, as the catalog asks: a comparison that involves an
empty cell is false, a bare flag column is true only where the cell is true, and
``not`` flips the result. So an empty ``work_completed_at`` fails
``work_completed_at <= promised_at - 30min`` and the row stays in the denominator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import expr as ex
from .errors import ExpressionError
from .expr_tree import BOOL, DATETIME, DURATION, NULL, NUMBER, TEXT
from .frame import Frame, Vec
from .frame import text_objects as text_objects  # re-exported: drilldown takes it from here
from .functions import FUNCTIONS
from .suggest import did_you_mean

_CONTRACT_TO_KIND = {
    "bool": BOOL,
    "number": NUMBER,
    "text": TEXT,
    "enum": TEXT,
    "datetime": DATETIME,
    "date": DATETIME,
}


def kind_of(contract_type: str) -> str:
    return _CONTRACT_TO_KIND[contract_type]


# --------------------------------------------------------------------------- static typing


def infer(node: ex.Node, column_kinds: Mapping[str, str]) -> str:
    """The type of an expression, or `ExpressionError` when it cannot be evaluated."""
    if isinstance(node, ex.Literal):
        value = node.value
        if value is None:
            return NULL
        if isinstance(value, bool):
            return BOOL
        return NUMBER if isinstance(value, float) else TEXT
    if isinstance(node, ex.Duration):
        return DURATION
    if isinstance(node, ex.Column):
        return _column_kind(node.name, column_kinds)
    if isinstance(node, ex.Call):
        return FUNCTIONS[node.name].type_rule(node.args, lambda arg: infer(arg, column_kinds))
    if isinstance(node, ex.Arith):
        return _arith_kind(node.op, infer(node.left, column_kinds), infer(node.right, column_kinds))
    if isinstance(node, ex.Negate):
        kind = infer(node.operand, column_kinds)
        if kind not in (NUMBER, DURATION):
            raise ExpressionError(f"cannot negate a {kind} value")
        return kind
    if isinstance(node, ex.Compare):
        _check_comparable(node.op, infer(node.left, column_kinds), infer(node.right, column_kinds))
        return BOOL
    if isinstance(node, ex.Between):
        kind = infer(node.operand, column_kinds)
        _check_comparable("<=", infer(node.low, column_kinds), kind)
        _check_comparable("<=", kind, infer(node.high, column_kinds))
        return BOOL
    if isinstance(node, ex.IsNull):
        infer(node.operand, column_kinds)
        return BOOL
    if isinstance(node, ex.InList):
        kind = infer(node.operand, column_kinds)
        for literal in node.values:
            _check_comparable("==", kind, infer(literal, column_kinds))
        return BOOL
    if isinstance(node, (ex.BoolOp, ex.Not)):
        operands = node.operands if isinstance(node, ex.BoolOp) else (node.operand,)
        for operand in operands:
            kind = infer(operand, column_kinds)
            if kind != BOOL:
                raise ExpressionError(
                    f"'{ex.to_text(operand)}' is a {kind} value, not a condition; compare it with something"
                )
        return BOOL
    raise ExpressionError(f"unsupported expression {node!r}")  # pragma: no cover


def _column_kind(name: str, column_kinds: Mapping[str, str]) -> str:
    if name not in column_kinds:
        raise ExpressionError(f"unknown column {name!r}{did_you_mean(name, set(column_kinds))}", column=name)
    return column_kinds[name]


def _arith_kind(op: str, left: str, right: str) -> str:
    table = {
        ("+", DATETIME, DURATION): DATETIME,
        ("-", DATETIME, DURATION): DATETIME,
        ("+", DURATION, DATETIME): DATETIME,
        ("-", DATETIME, DATETIME): DURATION,
        ("+", DURATION, DURATION): DURATION,
        ("-", DURATION, DURATION): DURATION,
        ("*", DURATION, NUMBER): DURATION,
        ("*", NUMBER, DURATION): DURATION,
        ("/", DURATION, NUMBER): DURATION,
    }
    if (op, left, right) in table:
        return table[(op, left, right)]
    if left == right == NUMBER:
        return NUMBER
    raise ExpressionError(f"cannot compute {left} {op} {right}")


def _check_comparable(op: str, left: str, right: str) -> None:
    if NULL in (left, right):
        raise ExpressionError("compare with null using 'is null' or 'is not null'")
    if left != right:
        raise ExpressionError(f"cannot compare a {left} value with a {right} value")
    if left == BOOL and op not in ("==", "!="):
        raise ExpressionError(f"true/false values can only be compared with == or !=, not {op}")


# --------------------------------------------------------------------------- evaluation


def evaluate_mask(node: ex.Node, frame: Frame) -> np.ndarray:
    """Evaluate a condition: a bool array, false wherever a needed cell is empty."""
    vec = _eval(node, frame)
    n = frame.n
    data = np.broadcast_to(np.asarray(vec.data, dtype=bool), (n,))
    null = np.broadcast_to(np.asarray(vec.null, dtype=bool), (n,))
    return data & ~null


def _eval(node: ex.Node, frame: Frame) -> Vec:
    if isinstance(node, ex.Literal):
        kind = infer(node, {})
        return Vec(kind, node.value, node.value is None)
    if isinstance(node, ex.Duration):
        return Vec(DURATION, np.timedelta64(pd.Timedelta(node.value).value, "ns"), False)
    if isinstance(node, ex.Column):
        return frame.column(node.name)
    if isinstance(node, ex.Call):
        return FUNCTIONS[node.name].evaluate(frame, node.args, _eval)
    if isinstance(node, ex.Arith):
        return _eval_arith(node, frame)
    if isinstance(node, ex.Negate):
        inner = _eval(node.operand, frame)
        return Vec(inner.kind, -inner.data, inner.null)
    if isinstance(node, ex.Compare):
        return _compare(node.op, _eval(node.left, frame), _eval(node.right, frame))
    if isinstance(node, ex.Between):
        value = _eval(node.operand, frame)
        low = _compare(">=", value, _eval(node.low, frame))
        high = _compare("<=", value, _eval(node.high, frame))
        return Vec(BOOL, _truth(low) & _truth(high), False)
    if isinstance(node, ex.IsNull):
        null = np.asarray(_eval(node.operand, frame).null, dtype=bool)
        return Vec(BOOL, ~null if node.negated else null, False)
    if isinstance(node, ex.InList):
        return _in_list(node, frame)
    if isinstance(node, ex.Not):
        return Vec(BOOL, ~_truth(_eval(node.operand, frame)), False)
    if isinstance(node, ex.BoolOp):
        truths = [_truth(_eval(operand, frame)) for operand in node.operands]
        result = truths[0]
        for truth in truths[1:]:
            result = (result & truth) if node.op == "and" else (result | truth)
        return Vec(BOOL, result, False)
    raise ExpressionError(f"unsupported expression {node!r}")  # pragma: no cover


def _truth(vec: Vec) -> np.ndarray:
    return np.asarray(vec.data, dtype=bool) & ~np.asarray(vec.null, dtype=bool)


def _eval_arith(node: ex.Arith, frame: Frame) -> Vec:
    left, right = _eval(node.left, frame), _eval(node.right, frame)
    kind = _arith_kind(node.op, left.kind, right.kind)
    null = np.logical_or(left.null, right.null)
    if isinstance(node.right, ex.Duration) and node.right.calendar and left.kind == DATETIME:
        # calendar days: `b + 90cd` ends with day 90 of b's date, `b - 2cd` starts day -2
        day = np.asarray(left.data).astype("datetime64[D]").astype("datetime64[ns]")
        days = np.timedelta64(node.right.value.days, "D").astype("timedelta64[ns]")
        if node.op == "+":
            return Vec(kind, day + days + np.timedelta64(1, "D") - np.timedelta64(1, "ns"), null)
        return Vec(kind, day - days, null)
    with np.errstate(all="ignore"):
        if node.op == "+":
            data = left.data + right.data
        elif node.op == "-":
            data = left.data - right.data
        elif node.op == "*":
            data = left.data * right.data
        else:
            data = left.data / right.data
    return Vec(kind, data, null)


def _compare(op: str, left: Vec, right: Vec) -> Vec:
    null = np.logical_or(left.null, right.null)
    a, b = left.data, right.data
    if left.kind == TEXT:
        # object arrays hold None in empty cells; compare only where both are present
        a = np.where(np.asarray(left.null), "", a) if isinstance(a, np.ndarray) else a
        b = np.where(np.asarray(right.null), "", b) if isinstance(b, np.ndarray) else b
    with np.errstate(invalid="ignore"):
        if op == "==":
            data = a == b
        elif op == "!=":
            data = a != b
        elif op == "<":
            data = a < b
        elif op == "<=":
            data = a <= b
        elif op == ">":
            data = a > b
        else:
            data = a >= b
    return Vec(BOOL, np.asarray(data, dtype=bool), null)


def _in_list(node: ex.InList, frame: Frame) -> Vec:
    value = _eval(node.operand, frame)
    wanted = [literal.value for literal in node.values]
    data = pd.Series(np.atleast_1d(value.data)).isin(wanted).to_numpy()
    if not isinstance(value.data, np.ndarray):
        data = data[0]
    if node.negated:
        data = ~data
    return Vec(BOOL, data, value.null)
