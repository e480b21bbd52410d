"""Typed sheets as the loaders hand them to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
    # a sheet the mapping reads from several files (`file:` a glob or a list): the files, and
    # each row's index in `files` (kept in step with `row_numbers` wherever rows are dropped);
    # empty and None for a sheet read from one file
    files: list[str] = field(default_factory=list)
    row_files: np.ndarray | None = None

    def file_at(self, position: int) -> str | None:
        """The file a row was read from: its own file when the sheet spans several."""
        if self.row_files is None or not self.files:
            return self.file
        return self.files[int(self.row_files[position])]

    def file_name_at(self, position: int) -> str | None:
        """The name of a row's file as the user sees it, for a sheet read from several files
        (None for one file: its row number alone says where the row is)."""
        if self.row_files is None or len(self.files) < 2:
            return None
        return Path(self.files[int(self.row_files[position])]).name

    def place(self, position: int) -> str:
        """A row as the user finds it: "row 12", or "RO_2.csv row 12" when the sheet spans files."""
        name = self.file_name_at(position)
        row = f"row {int(self.row_numbers[position])}"
        return f"{name} {row}" if name else row

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
