"""The measures a KPI aggregates its records with (count, sum, count_distinct): each declared once.

A KPI's figure is a ratio of two measures, numerator over denominator. A measure is one entry
of `MEASURES`: its name (the key in the definitions file: `count: rows`, `sum: COLUMN`,
`count_distinct: COLUMN`), what it reads, how it reduces the rows that count (vectorised:
over a period for the engine, and per group for breakdowns, prepared once for a sheet), what
it gives over no rows, and its words in both languages (`explain`). The engine, breakdowns,
drill-down and `explain` all take a measure from here; a new measure is one entry (and its
tests).

Totals and groups are ratios of summed parts, never averages of ratios; a zero denominator
is "no data" (never 0/0, see `engine`), so a measure over no rows gives its `zero`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .dataset import SheetData
from .evaluate import evaluate_mask
from .expr import Node
from .frame import Frame

#: over the rows that count (a mask of a period's rows), the figure and the rows that make it up
Reduce = Callable[[str | None, Node | None, np.ndarray, Frame], tuple[float | int, np.ndarray]]
#: one group's figure from its rows that count (positions in the sheet, in file order)
Part = Callable[[np.ndarray], float | int]
#: a measure's group-wise figure, prepared once for a sheet (the column it reads made ready)
PreparePart = Callable[[str | None, SheetData], Part]


@dataclass(frozen=True)
class Measure:
    """One way to aggregate records. `reads`: what the key in the definitions file names
    (`rows` for `count: rows`, a `column`, a `number` column); `zero`: the figure over no rows
    (its type is the figure's: an int for a count, a float for a sum); `words`: "{what}" is the
    records, "{column}" the column it reads, per language ("en", "zh"); `where_all_words`:
    the words when it takes `where_all` (groups whose every record passes), None when it does
    not; `additive`: group parts add up to the total (distinct counts need not); `sums`: a
    record carries its own amount (a sum: the drill-down lists records below the target, and a
    sum over a count is an average); `sql`: room for an SQL rendering later (not used yet)."""

    name: str
    reads: Literal["rows", "column", "number"]
    zero: int | float
    reduce: Reduce
    part: PreparePart
    words: dict[str, str]
    where_all_words: dict[str, str] | None = None
    additive: bool = True
    sums: bool = False
    sql: str | None = None

    def say(self, lang: str, *, what: str, column: str = "", cond: str | None = None) -> str:
        """The measure in words: `cond` is the `where_all` condition, when there is one."""
        key = "zh" if lang == "zh" else "en"
        if cond is not None and self.where_all_words is not None:
            return self.where_all_words[key].format(column=column, cond=cond)
        return self.words[key].format(column=column, what=what)


def scoped(store_codes: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """`store_scoped` with the stores already coded."""
    if store_codes is None or len(values) == 0:
        return np.asarray(values)
    value_codes, _ = pd.factorize(pd.Series(values))
    return store_codes.astype(np.int64) * (int(value_codes.max()) + 2) + value_codes


def store_scoped(data: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Ids to count distinct: in a dealer group the same advisor code or issue number in
    two stores is two different things, so the id is paired with the store."""
    if "store" not in data.columns or data["store"].nunique() <= 1:
        return np.asarray(values)
    return scoped(pd.factorize(data["store"])[0], values)


def sequential_sum(values: np.ndarray) -> float:
    """Sum in file order, left to right, skipping empty cells.

    numpy's pairwise sum rounds differently from adding row after row as a
    spreadsheet or a plain loop does; a cumulative sum reproduces the latter, so
    figures match the ones a manager checks by hand to the last digit.
    """
    present = values[~np.isnan(values)]
    with np.errstate(over="ignore"):  # an overflow to inf is reported as out of range
        return float(np.cumsum(present)[-1]) if len(present) else 0.0


# --------------------------------------------------------------------------- count: rows


def _count(
    column: str | None, where_all: Node | None, rows: np.ndarray, frame: Frame
) -> tuple[int, np.ndarray]:
    return int(rows.sum()), rows


def _count_part(column: str | None, sheet: SheetData) -> Part:
    return len


# --------------------------------------------------------------------------- sum: COLUMN


def _sum(
    column: str | None, where_all: Node | None, rows: np.ndarray, frame: Frame
) -> tuple[float, np.ndarray]:
    assert column is not None
    return sequential_sum(frame.column(column).data[rows]), rows


def _sum_part(column: str | None, sheet: SheetData) -> Part:
    assert column is not None
    values = sheet.frame[column].to_numpy(dtype="float64", na_value=np.nan)
    return lambda positions: sequential_sum(values[positions])


# --------------------------------------------------------------------------- count_distinct: COLUMN


def _count_distinct(
    column: str | None, where_all: Node | None, rows: np.ndarray, frame: Frame
) -> tuple[int, np.ndarray]:
    assert column is not None
    vec = frame.column(column)
    keyed = rows & ~np.asarray(vec.null, dtype=bool)
    ids = scoped(frame.store_codes(), vec.data)
    keys = pd.Series(ids[keyed])
    if where_all is not None:
        passes = pd.Series(evaluate_mask(where_all, frame)[keyed], index=keys.index)
        group_ok = passes.groupby(keys.to_numpy()).all()
        good_keys = group_ok.index[group_ok.to_numpy()]
        keyed = keyed & pd.Series(ids).isin(good_keys).to_numpy()
        return len(good_keys), keyed
    return int(keys.nunique()), keyed


def _count_distinct_part(column: str | None, sheet: SheetData) -> Part:
    assert column is not None
    values = sheet.frame[column]
    ids = store_scoped(sheet.frame, values.to_numpy(dtype=object))
    present = values.notna().to_numpy()
    return lambda positions: int(pd.Series(ids[positions[present[positions]]]).nunique())


MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        Measure(
            "count",
            "rows",
            0,
            _count,
            _count_part,
            {"en": "the number of {what}", "zh": "{what}条数"},
        ),
        Measure(
            "sum",
            "number",
            0.0,
            _sum,
            _sum_part,
            {"en": "the sum of {column} over {what}", "zh": "{what}的{column}之和"},
            sums=True,
        ),
        Measure(
            "count_distinct",
            "column",
            0,
            _count_distinct,
            _count_distinct_part,
            {"en": "the number of distinct {column} values among {what}", "zh": "{what}中不同{column}的个数"},
            where_all_words={
                "en": "the number of distinct {column} values whose every record has {cond}",
                "zh": "所有记录都符合“{cond}”的不同{column}的个数",
            },
            additive=False,
        ),
    )
}
