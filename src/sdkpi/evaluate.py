"""Type-check and evaluate parsed expressions over a sheet, vectorised with numpy.

Null semantics are two-valued, as the catalog asks: a comparison that involves an
empty cell is false, a bare flag column is true only where the cell is true, and
``not`` flips the result. So an empty ``work_completed_at`` fails
``work_completed_at <= promised_at - 30min`` and the row stays in the denominator.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import expr as ex
from .errors import ExpressionError

# Expression types. Contract types map onto these: enum/text -> text, date -> datetime.
BOOL, NUMBER, TEXT, DATETIME, DURATION, NULL = "bool", "number", "text", "datetime", "duration", "null"
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


def did_you_mean(name: str, choices: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


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
        if _column_kind(node.column, column_kinds) != TEXT:
            raise ExpressionError(f"named_by() needs a text column, {node.column!r} is not")
        if node.within is not None:
            if _column_kind(node.within[0], column_kinds) != DATETIME:
                raise ExpressionError(f"named_by(): {node.within[0]!r} is not a date or time column")
            if infer(node.within[1], column_kinds) != DURATION:
                raise ExpressionError("named_by(): the window must be a duration like 30d")
        return BOOL
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


@dataclass
class Vec:
    """A vector (or scalar) of one expression type with its null mask."""

    kind: str
    data: Any  # np.ndarray or a scalar
    null: Any  # np.ndarray of bool, or a bool


@dataclass
class Frame:
    """What evaluation needs of a sheet: its columns, kinds and key.

    `subset(rows)` gives the same sheet restricted to some rows (a period's, say):
    conditions are then evaluated on those rows only, and whole-sheet facts
    (which orders a comeback names, how many stores there are) still come from
    the whole sheet.
    """

    data: pd.DataFrame
    kinds: Mapping[str, str]
    key: str | None = None
    rows: np.ndarray | None = None  # positions into `data`, ascending; None: every row
    parent: Frame | None = None

    def __post_init__(self) -> None:
        self._cache: dict[str, Vec] = {}
        self._named: dict[str, np.ndarray] = {}
        self._referrers: dict[str, dict[tuple[Any, Any], list[Any]]] = {}
        self._stores: tuple[np.ndarray | None] | None = None

    @property
    def n(self) -> int:
        return len(self.data) if self.rows is None else len(self.rows)

    def column(self, name: str) -> Vec:
        if name not in self._cache:
            if self.parent is None:
                self._cache[name] = _column_vec(self.data[name], self.kinds[name])
            else:
                assert self.rows is not None
                whole = self.parent._cache.get(name)
                if whole is not None and not isinstance(whole, _ArrowTextVec):
                    self._cache[name] = Vec(whole.kind, whole.data[self.rows], whole.null[self.rows])
                else:  # only these rows are converted: no whole-sheet copy of the column
                    self._cache[name] = _column_vec(self.data[name].take(self.rows), self.kinds[name])
        return self._cache[name]

    def subset(self, rows: np.ndarray) -> Frame:
        return Frame(self.data, self.kinds, self.key, rows=rows, parent=self)

    def named_by(self, column: str, within: tuple[str, ex.Node] | None = None) -> np.ndarray:
        """Rows whose key another row of the whole sheet names in `column` (with `within`:
        a row whose time column is at most the window after this row's)."""
        if self.parent is not None:
            return self.parent.named_by(column, within)[self.rows]
        if within is not None:
            name = f"{column}\0{within[0]}\0{ex.to_text(within[1])}"
            if name not in self._named:
                self._named[name] = _named_by(self, column) & _named_within(self, column, within)
            return self._named[name]
        if column not in self._named:
            self._named[column] = _named_by(self, column)
        return self._named[column]

    def referrers(self, column: str) -> dict[tuple[Any, Any], list[Any]]:
        """(store, key) -> the keys of the rows naming that key in `column`, in row order.

        Built once per sheet: explaining ten thousand comebacks one record at a time would
        otherwise compare whole columns ten thousand times.
        """
        if self.parent is not None:
            return self.parent.referrers(column)
        if column not in self._referrers:
            assert self.key is not None
            keys, refs = self.data[self.key], self.data[column]
            rows = np.flatnonzero(_naming_others(keys, refs))
            stores = (
                text_objects(self.data["store"].iloc[rows], "")
                if "store" in self.data.columns
                else np.full(len(rows), "", dtype=object)
            )
            index: dict[tuple[Any, Any], list[Any]] = {}
            for store, ref, key in zip(
                stores, text_objects(refs.iloc[rows]), text_objects(keys.iloc[rows]), strict=True
            ):
                index.setdefault((store, ref), []).append(key)
            self._referrers[column] = index
        return self._referrers[column]

    def store_codes(self) -> np.ndarray | None:
        """Each row's store as an integer code, or None when the sheet holds one store."""
        if self.parent is not None:
            codes = self.parent.store_codes()
            return None if codes is None else codes[self.rows]
        if self._stores is None:
            stores = self.data["store"] if "store" in self.data.columns else None
            if stores is None or stores.nunique() <= 1:
                self._stores = (None,)
            elif isinstance(stores.dtype, pd.CategoricalDtype):
                self._stores = (np.asarray(stores.array.codes),)  # small ints, -1 where empty
            else:
                self._stores = (pd.factorize(stores)[0],)
        return self._stores[0]


class _ArrowTextVec(Vec):
    """A text column held as Arrow strings: its Python strings are made only when a condition
    compares its values, and only for the rows evaluated (`is null` needs the mask alone)."""

    def __init__(self, kind: str, arrow: Any, null: np.ndarray) -> None:
        self.kind = kind
        self.null = null
        self._arrow = arrow
        self._data: np.ndarray | None = None

    @property
    def data(self) -> np.ndarray:
        if self._data is None:
            from .columns import arrow_strings

            self._data = arrow_strings(self._arrow)
        return self._data

    def take(self, rows: np.ndarray) -> _ArrowTextVec:
        return _ArrowTextVec(self.kind, self._arrow.take(rows), self.null[rows])


def _column_vec(series: pd.Series, kind: str) -> Vec:
    null = series.isna().to_numpy()
    if kind not in (BOOL, NUMBER, DATETIME) and isinstance(series.dtype, pd.StringDtype):
        return _ArrowTextVec(kind, series.array.__arrow_array__(), null)
    if isinstance(series.dtype, pd.CategoricalDtype):
        from .columns import category_objects

        return Vec(kind, category_objects(series), null)
    if kind == BOOL:
        data = series.to_numpy(dtype=bool, na_value=False)
    elif kind == NUMBER:
        data = series.to_numpy(dtype="float64", na_value=np.nan)
    elif kind == DATETIME:
        data = series.to_numpy(dtype="datetime64[ns]")
    else:
        data = series.to_numpy(dtype=object)
    return Vec(kind, data, null)


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
        return Vec(BOOL, frame.named_by(node.column, node.within), False)
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


def _named_by(frame: Frame, column: str) -> np.ndarray:
    """Rows whose key is named in `column` by another row of the sheet."""
    if frame.key is None:
        raise ExpressionError("named_by() needs a sheet with a key column")
    keys = frame.data[frame.key]
    refs = frame.data[column]
    if isinstance(keys.dtype, pd.StringDtype) and isinstance(refs.dtype, pd.StringDtype):
        return _named_by_arrow(frame, keys, refs)
    by_other = _naming_others(keys, refs)
    found = _named_keys(keys, refs[by_other]) & keys.notna().to_numpy()
    if "store" in frame.data.columns and frame.data["store"].nunique() > 1:
        # a dealer group: an order names an order of its own store (RO numbers repeat across stores);
        # only the few rows whose key is named at all need the (store, key) check
        rows = np.flatnonzero(found)
        store = frame.data["store"]
        pairs = pd.MultiIndex.from_arrays([text_objects(store[by_other], ""), text_objects(refs[by_other])])
        candidates = pd.MultiIndex.from_arrays(
            [text_objects(store.iloc[rows], ""), text_objects(keys.iloc[rows])]
        )
        found[rows] = np.asarray(candidates.isin(pairs), dtype=bool)
    return found


def _named_by_arrow(frame: Frame, keys: pd.Series, refs: pd.Series) -> np.ndarray:
    """`_named_by` for keys and references held as Arrow strings (a computation's frames):
    in Arrow and integer codes, no Python string made."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = keys.array.__arrow_array__()
    ref = refs.array.__arrow_array__()
    # a row names another: its reference is there and is not its own key (an empty key differs)
    by_other = pc.and_(pc.is_valid(ref), pc.fill_null(pc.not_equal(ref, key), True))
    names = pc.filter(ref, by_other)
    value_set = pc.unique(names)
    found = np.asarray(pc.is_in(key, value_set=value_set).to_numpy(zero_copy_only=False), dtype=bool)
    stores = frame.store_codes()
    if stores is not None:
        # a dealer group: an order names an order of its own store (RO numbers repeat across
        # stores); (store, key) pairs as integers: store code and position in `value_set`
        rows = np.flatnonzero(found)
        codes = stores.astype(np.int64) + 1  # 0: no store
        size = len(value_set)
        naming = codes[np.asarray(by_other.to_numpy(zero_copy_only=False), dtype=bool)]
        pairs = naming * size + np.asarray(
            pc.index_in(names, value_set=value_set).to_numpy(zero_copy_only=False)
        )
        named = pc.index_in(pc.take(key, pa.array(rows, pa.int64())), value_set=value_set)
        candidates = codes[rows] * size + np.asarray(named.to_numpy(zero_copy_only=False))
        found[rows] = np.isin(candidates, pairs)
    return found


def _named_within(frame: Frame, column: str, within: tuple[str, ex.Node]) -> np.ndarray:
    """Rows named in `column` by another row whose `within[0]` time is on or after this row's
    and at most the window later (a comeback within the comeback window). Only with a window."""
    assert frame.key is not None
    data = frame.data
    window = _eval(within[1], frame).data
    keys, refs = data[frame.key], data[column]
    naming = np.flatnonzero(_naming_others(keys, refs))
    times = data[within[0]].to_numpy(dtype="datetime64[ns]")
    stores = frame.store_codes()
    store = np.zeros(len(data), dtype=np.int64) if stores is None else stores.astype(np.int64)
    by = pd.DataFrame(
        {
            "key": refs.iloc[naming].astype("string").to_numpy(dtype=object),
            "store": store[naming],
            "at": times[naming],
        }
    )
    named = pd.DataFrame(
        {
            "key": keys.astype("string").to_numpy(dtype=object),
            "store": store,
            "since": times,
            "row": np.arange(len(data)),
        }
    )
    pairs = by.merge(named[keys.notna().to_numpy()], on=["key", "store"])
    gap = pairs["at"].to_numpy() - pairs["since"].to_numpy()
    close = (gap >= np.timedelta64(0, "ns")) & (gap <= window)  # NaT compares false
    found = np.zeros(len(data), dtype=bool)
    found[pairs["row"].to_numpy()[close]] = True
    return found


def _naming_others(keys: pd.Series, refs: pd.Series) -> np.ndarray:
    """The rows that name a key in `refs` other than their own."""
    return (refs.notna() & (refs != keys)).to_numpy(dtype=bool)


def _named_keys(keys: pd.Series, names: pd.Series) -> np.ndarray:
    """Where `keys` is one of `names` (Python strings; Arrow strings go `_named_by_arrow`'s way)."""
    return np.asarray(keys.isin(pd.unique(text_objects(names))).to_numpy(), dtype=bool)


def text_objects(series: pd.Series, missing: str | None = None) -> np.ndarray:
    """Python strings, `missing` where empty (the few rows that need them)."""
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy()] = missing
    return values
