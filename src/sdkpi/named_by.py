"""named_by(): how the one function of the KPI language that looks at other rows is computed.

`named_by(column)` is true for a row whose key (e.g. ``ro_number``) another row of the same
sheet names in `column` (a comeback order naming the order whose repair failed);
`named_by(column, time, window)` only counts a row whose `time` is at most `window` after this
row's. Its declaration (arguments, type rule, words) is in `functions`; here are its
evaluation on a whole sheet (vectorised; in Arrow and integer codes for a computation's frames),
the index of who names whom that its failure words read, and those words' values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import ExpressionError
from .expr_tree import BOOL, Node, to_text
from .frame import Evaluator, Frame, Vec, text_objects


def evaluate(frame: Frame, args: tuple[Node, ...], value: Evaluator) -> Vec:
    """named_by(column[, time, window]) on `frame`: computed once on the whole sheet."""
    column = to_text(args[0])
    if len(args) == 1:
        return Vec(
            BOOL, frame.whole_sheet(("named_by", column), lambda whole: named_rows(whole, column)), False
        )
    time, window = to_text(args[1]), args[2]

    def compute(whole: Frame) -> np.ndarray:
        return named_rows(whole, column) & named_within(whole, column, time, window, value)

    return Vec(BOOL, frame.whole_sheet(("named_by", column, time, to_text(window)), compute), False)


def referrers(frame: Frame, column: str) -> dict[tuple[Any, Any], list[Any]]:
    """(store, key) -> the keys of the rows naming that key in `column`, in row order.

    Built once per sheet: explaining ten thousand comebacks one record at a time would
    otherwise compare whole columns ten thousand times.
    """

    def build(whole: Frame) -> dict[tuple[Any, Any], list[Any]]:
        assert whole.key is not None
        keys, refs = whole.data[whole.key], whole.data[column]
        rows = np.flatnonzero(_naming_others(keys, refs))
        stores = (
            text_objects(whole.data["store"].iloc[rows], "")
            if "store" in whole.data.columns
            else np.full(len(rows), "", dtype=object)
        )
        index: dict[tuple[Any, Any], list[Any]] = {}
        for store, ref, key in zip(
            stores, text_objects(refs.iloc[rows]), text_objects(keys.iloc[rows]), strict=True
        ):
            index.setdefault((store, ref), []).append(key)
        return index

    index: dict[tuple[Any, Any], list[Any]] = frame.sheet_index(("referrers", column), build)
    return index


def why_not(
    frame: Frame, args: tuple[Node, ...], position: int, label: Callable[[str], str]
) -> dict[str, str] | None:
    """The values of the words of a record that fails `not named_by(...)`: which rows name it
    (the first three); None when the sheet has no key."""
    key_column = frame.key
    if key_column is None:
        return None
    key: Any = frame.data[key_column].iat[position]
    store: Any = frame.data["store"].iat[position] if "store" in frame.data.columns else ""
    store = "" if pd.isna(store) else store
    who = ", ".join(str(k) for k in referrers(frame, to_text(args[0])).get((store, key), [])[:3]) or "?"
    return {"key": label(key_column), "who": who}


def named_rows(frame: Frame, column: str) -> np.ndarray:
    """Rows whose key is named in `column` by another row of the sheet."""
    if frame.key is None:
        raise ExpressionError("named_by() needs a sheet with a key column")
    keys = frame.data[frame.key]
    refs = frame.data[column]
    if isinstance(keys.dtype, pd.StringDtype) and isinstance(refs.dtype, pd.StringDtype):
        return named_rows_arrow(frame, keys, refs)
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


def named_rows_arrow(frame: Frame, keys: pd.Series, refs: pd.Series) -> np.ndarray:
    """`named_rows` for keys and references held as Arrow strings (a computation's frames):
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


def named_within(frame: Frame, column: str, time: str, window: Node, value: Evaluator) -> np.ndarray:
    """Rows named in `column` by another row whose `time` is on or after this row's and at
    most the window later (a comeback within the comeback window). Only with a window."""
    assert frame.key is not None
    data = frame.data
    window_value = value(window, frame).data
    keys, refs = data[frame.key], data[column]
    naming = np.flatnonzero(_naming_others(keys, refs))
    times = data[time].to_numpy(dtype="datetime64[ns]")
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
    close = (gap >= np.timedelta64(0, "ns")) & (gap <= window_value)  # NaT compares false
    found = np.zeros(len(data), dtype=bool)
    found[pairs["row"].to_numpy()[close]] = True
    return found


def _naming_others(keys: pd.Series, refs: pd.Series) -> np.ndarray:
    """The rows that name a key in `refs` other than their own."""
    return (refs.notna() & (refs != keys)).to_numpy(dtype=bool)


def _named_keys(keys: pd.Series, names: pd.Series) -> np.ndarray:
    """Where `keys` is one of `names` (Python strings; Arrow strings go `named_rows_arrow`'s way)."""
    return np.asarray(keys.isin(pd.unique(text_objects(names))).to_numpy(), dtype=bool)
