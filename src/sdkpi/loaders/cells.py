"""A raw column's distinct values, and what was found about each (the parse step's base).

`values.parse_column` factorizes a column and parses each distinct value once; the parsers of
each type (`values` for text, enum and yes/no, `numbers`, `dates`) share the record of the
distinct values kept here: their kind (text, number, date cell...), their normalised text,
which are missing or bad, and the problem found on each.
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Severity = Literal["error", "warning", "info"]

# kinds of raw unique values
STR, BOOL, INT, FLOAT, DATETIME, DATE, TIME, OTHER = range(8)
_KIND_BY_TYPE: dict[type, int] = {
    str: STR,
    bool: BOOL,
    int: INT,
    float: FLOAT,
    dt.datetime: DATETIME,
    pd.Timestamp: DATETIME,
    dt.date: DATE,
    dt.time: TIME,
    np.bool_: BOOL,
    np.float64: FLOAT,
    np.int64: INT,
}
# infer_dtype results that cannot mix bools with numbers (True == 1 would merge them in factorize)
_NO_BOOL_MIX = frozenset(
    {
        "string",
        "empty",
        "boolean",
        "floating",
        "integer",
        "datetime",
        "date",
        "time",
        "timedelta",
        "decimal",
        "bytes",
        "datetime64",
    }
)


@dataclass
class Uniques:
    """The distinct raw values of a column and what was found about each."""

    source: np.ndarray | pd.Index  # the raw values, as factorize gave them
    kinds: np.ndarray  # int8: STR, BOOL, ...
    text: pd.Series  # str: normalised text of STR values ("" elsewhere)
    missing: np.ndarray
    bad: np.ndarray
    code: np.ndarray  # object: problem code or None
    reason: np.ndarray  # object
    severity: np.ndarray  # object
    stripped: np.ndarray  # bool: control characters were removed from the text
    midnight: np.ndarray  # bool: a date/time written with 24:00, read as the next day's 00:00

    @classmethod
    def build(cls, source: np.ndarray | pd.Index, kinds: np.ndarray, text: pd.Series) -> Uniques:
        n = len(kinds)
        none = np.full(n, None, dtype=object)
        no = np.zeros(n, bool)
        return cls(source, kinds, text, no, no.copy(), none, none.copy(), none.copy(), no.copy(), no.copy())

    @property
    def n(self) -> int:
        return len(self.kinds)

    @functools.cached_property
    def raw(self) -> np.ndarray:
        """The raw values as Python objects (made only when a non-text value needs them)."""
        return np.asarray(self.source, dtype=object)

    def flag(
        self,
        mask: np.ndarray,
        code: str,
        reason: str | np.ndarray,
        *,
        bad: bool = True,
        severity: Severity = "warning",
    ) -> None:
        """Record a problem on the values in `mask` that have none yet."""
        mask = mask & ~self.missing & pd.isna(self.code)
        if not mask.any():
            return
        self.code[mask] = code
        self.reason[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
        self.severity[mask] = severity
        if bad:
            self.bad |= mask

    @property
    def todo(self) -> np.ndarray:
        """Values still to be parsed: present, not bad."""
        return ~self.missing & ~self.bad

    def of_kind(self, *kinds: int) -> np.ndarray:
        return np.isin(self.kinds, kinds) & self.todo


def cell_kind(value: object) -> int:
    kind = _KIND_BY_TYPE.get(type(value))
    if kind is not None:
        return kind
    checks: tuple[tuple[type | tuple[type, ...], int], ...] = (
        (str, STR),
        ((bool, np.bool_), BOOL),
        (numbers.Integral, INT),
        (numbers.Real, FLOAT),
        (dt.datetime, DATETIME),
        (dt.date, DATE),
        (dt.time, TIME),
    )
    return next((k for t, k in checks if isinstance(value, t)), OTHER)


def factorize(raw: pd.Series) -> tuple[np.ndarray, Uniques]:
    """The distinct values of `raw`, and the code of each cell (-1 for None/NaN)."""
    if raw.dtype != object and pd.api.types.is_string_dtype(raw.dtype):  # str, string, ArrowDtype
        codes, uniques = pd.factorize(raw)
        kinds = np.full(len(uniques), STR, dtype=np.int8)
        return codes, Uniques.build(uniques, kinds, pd.Series(uniques, dtype="str"))
    if raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) not in _NO_BOOL_MIX:
        codes, objects = _factorize_apart_bools(raw.to_numpy(dtype=object))
    else:
        codes, uniques = pd.factorize(raw)
        objects = np.asarray(uniques, dtype=object)
    kinds = np.fromiter((cell_kind(v) for v in objects), np.int8, len(objects))
    text = pd.Series(np.where(kinds == STR, objects, ""), dtype="str")
    return codes, Uniques.build(objects, kinds, text)


def _factorize_apart_bools(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorize keeping True apart from 1 and False apart from 0 (equal in Python)."""
    is_bool = np.fromiter((type(v) in (bool, np.bool_) for v in values), bool, len(values))
    codes, uniques = pd.factorize(values[~is_bool])
    objects = np.append(np.asarray(uniques, dtype=object), np.array([False, True], dtype=object))
    all_codes = np.empty(len(values), dtype=np.intp)
    all_codes[~is_bool] = codes
    all_codes[is_bool] = len(uniques) + values[is_bool].astype(bool)
    return all_codes, objects
