"""Typed sheets as the loaders hand them to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .issues import DataIssue


@dataclass
class SheetData:
    """One record sheet, with canonical column names and typed values.

    frame: canonical columns (datetime64, float64, boolean, object text) plus any
    extra columns of the file as text. bad: for each column, the rows whose cell
    could not be read as the column's type (their value in `frame` is missing);
    such a row is left out of the KPIs that read that column.
    """

    name: str
    frame: pd.DataFrame
    row_numbers: np.ndarray
    bad: dict[str, np.ndarray] = field(default_factory=dict)
    missing_columns: set[str] = field(default_factory=set)
    file: str | None = None
    worksheet: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    rows_in_file: int = 0
    header_map: dict[str, str] = field(default_factory=dict)  # file header -> canonical name
    # column -> why its values cannot be trusted or are not exported (the mapping's `absent`,
    # amounts that differ between a key's rows): a KPI reading it has no data, the engine
    # saying "<columns>: <reason>"
    column_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def rows_usable(self) -> int:
        if not self.bad:
            return len(self.frame)
        any_bad = np.zeros(len(self.frame), dtype=bool)
        for mask in self.bad.values():
            any_bad |= mask
        return int((~any_bad).sum())

    def bad_mask(self, columns: set[str] | frozenset[str]) -> np.ndarray:
        mask = np.zeros(len(self.frame), dtype=bool)
        for column in columns:
            if column in self.bad:
                mask |= self.bad[column]
        return mask


@dataclass
class Dataset:
    """Everything read from one data folder (one store, or a dealer group)."""

    source: str
    sheets: dict[str, SheetData] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # sheet -> why it is not there
    issues: list[DataIssue] = field(default_factory=list)
