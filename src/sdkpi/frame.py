"""A sheet as expressions see it: `Frame` (its columns as typed vectors, its key, a subset
of its rows) and `Vec` (a vector of one expression type with its null mask).

Whole-sheet facts that a function needs (which rows another row names) are computed once per
sheet through `Frame.whole_sheet` and `Frame.sheet_index`, whatever function asks.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .expr_tree import BOOL, DATETIME, NUMBER, Node


@dataclass
class Vec:
    """A vector (or scalar) of one expression type with its null mask."""

    kind: str
    data: Any  # np.ndarray or a scalar
    null: Any  # np.ndarray of bool, or a bool


#: evaluates an expression on a frame (`evaluate` passes its own to a function's evaluation)
Evaluator = Callable[[Node, "Frame"], Vec]


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
        self._whole: dict[Hashable, np.ndarray] = {}
        self._indexes: dict[Hashable, Any] = {}
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

    def whole_sheet(self, name: Hashable, compute: Callable[[Frame], np.ndarray]) -> np.ndarray:
        """A per-row fact that looks at other rows (which orders a comeback names): computed
        once on the whole sheet by `compute`; a subset takes its own rows of it."""
        if self.parent is not None:
            return self.parent.whole_sheet(name, compute)[self.rows]
        if name not in self._whole:
            self._whole[name] = compute(self)
        return self._whole[name]

    def sheet_index(self, name: Hashable, build: Callable[[Frame], Any]) -> Any:
        """An index of the whole sheet built once by `build` and shared by its subsets
        (explaining ten thousand records one at a time must not rebuild it each time)."""
        if self.parent is not None:
            return self.parent.sheet_index(name, build)
        if name not in self._indexes:
            self._indexes[name] = build(self)
        return self._indexes[name]

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


def text_objects(series: pd.Series, missing: str | None = None) -> np.ndarray:
    """Python strings, `missing` where empty (the few rows that need them)."""
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy()] = missing
    return values
