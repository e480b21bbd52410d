"""A KPI's evaluation: its result with the row masks it was computed from, and how a
result's value is finished from its two measures (`engine` evaluates; the roster and the
analysis layer read the masks). Not `evaluate.py`, which evaluates expressions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .dataset import SheetData
from .frame import Frame
from .reasons import Reason
from .results import KpiResult


@dataclass
class KpiEvaluation:
    """A KPI's result together with the row masks it was computed from."""

    result: KpiResult
    sheet: SheetData | None = None
    in_period: np.ndarray | None = None
    unusable: np.ndarray | None = None
    excluded: list[np.ndarray] = field(default_factory=list)
    denominator: np.ndarray | None = None
    numerator: np.ndarray | None = None
    frame: Frame | None = None  # the sheet's typed columns, as the masks were evaluated on
    undated: np.ndarray | None = None  # rows whose period date cannot be read (in `unusable`)

    @property
    def failing(self) -> np.ndarray | None:
        """Rows in the denominator but not in the numerator."""
        if self.denominator is None or self.numerator is None:
            return None
        return self.denominator & ~self.numerator


def finish_result(result: KpiResult, has_target: bool) -> None:
    """Value and status from the summed numerator and denominator: a zero denominator is
    "no data" (never 0/0), and so are figures out of range."""
    if _out_of_range(result):
        return
    if not result.denominator:
        result.value = None
        result.status = "no_data"
        if result.rows_unusable:
            result.reason = result.reason or Reason("no_usable_records", rows=str(result.rows_unusable))
        result.reason = result.reason or Reason("no_records")
        return
    result.value = result.numerator / result.denominator
    if not has_target or result.target is None:
        result.status = "no_target"
    else:
        result.status = result.target.status(result.value)


def _out_of_range(result: KpiResult) -> bool:
    """Sums of 1e308 cells or 1 / 1e-320 give no number to report: "no data", saying why,
    with the figures kept finite so that JSON output stays valid (no Infinity/NaN)."""
    num, den = result.numerator, result.denominator
    finite = math.isfinite(num) and math.isfinite(den)
    if finite and (not den or math.isfinite(num / den)):
        return False
    result.reason = Reason("out_of_range", numerator=f"{num:g}", denominator=f"{den:g}")
    result.value, result.status = None, "no_data"
    result.numerator = num if math.isfinite(num) else 0.0
    result.denominator = den if math.isfinite(den) else 0.0
    return True
