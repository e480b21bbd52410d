"""What a reader reads and returns: the sheet source (which file, which worksheet), the read
options, the raw sheet of cells, and the context a read carries (its issues, its errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contract import SHEETS
from ..errors import InputError
from ..issues import DataIssue

#: What a workbook reader puts in a cell holding a formula with no cached value (the parse
#: step reports it: `values`).
UNCALCULATED = "\x00uncalculated-formula"

# --------------------------------------------------------------------------- API types


@dataclass(frozen=True)
class SheetSource:
    sheet: str  # canonical sheet name, e.g. "work_orders"
    path: Path
    worksheet: str | None = None  # for a workbook holding several sheets


#: What the first text of a total row starts with (合计, Total): the default of
#: `ReadOptions.total_markers`, matched by `locate.Markers`.
TOTAL_MARKERS: tuple[str, ...] = ("合计", "小计", "总计", "total", "subtotal", "grand total")


@dataclass
class ReadOptions:
    header_row: int | None = None  # 1-based row as the user sees it; None = detect
    encoding: str | None = None  # force a CSV encoding
    delimiter: str | None = None
    total_markers: tuple[str, ...] = TOTAL_MARKERS
    arrow: bool = True  # parse a CSV body with pyarrow; False: Python's csv module (the reference)
    xlsx_engine: str | None = None  # "calamine" or "openpyxl" first; None: workbook.XLSX_ENGINE


@dataclass
class RawSheet:
    """The cells of one sheet below its header row, with the row numbers the user sees.

    data: columns 0..n-1 aligned with `headers`. CSV cells are str ("" when empty,
    dtype str or object); xlsx cells are Python values (str, int, float, bool,
    datetime, date, time, timedelta, None for an empty cell; the text of an Excel
    error cell such as "#N/A"; `UNCALCULATED` for a formula with no cached value).
    Numbers from xlsx are floats when read with calamine (12345.0 for an ID typed as a
    number). header_row is 0 and headers empty for an empty file.
    """

    source: SheetSource
    file_format: str  # "csv" or "xlsx"
    encoding: str | None  # csv: "utf-8", "utf-8-sig", "gb18030", "utf-16"; xlsx: None
    delimiter: str | None
    header_row: int  # 1-based, as the user sees it
    headers: list[str]
    data: pd.DataFrame
    row_numbers: np.ndarray  # int64, one per data row
    issues: list[DataIssue] = field(default_factory=list)
    rows_in_file: int = 0  # data rows below the header, before skipping
    date1904: bool = False  # xlsx in the 1904 date system: serial numbers count from 1904-01-01


# --------------------------------------------------------------------------- names


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def accepted_names() -> str:
    return "; ".join(f"{s.name} ({', '.join(s.file_names)})" for s in SHEETS.values())


@dataclass
class Ctx:
    source: SheetSource
    options: ReadOptions
    expected: set[str]
    issues: list[DataIssue] = field(default_factory=list)

    @property
    def file(self) -> str:
        return str(self.source.path)

    @property
    def sheet(self) -> str:
        return self.source.sheet

    def error(self, message: str, **kw: Any) -> InputError:
        return InputError(message, file=self.file, sheet=self.sheet, **kw)

    def issue(self, severity: Any, code: str, reason: str, row: int | None = None, **kw: Any) -> None:
        self.issues.append(DataIssue(severity, code, reason, self.sheet, self.file, row, **kw))

    def empty(self, file_format: str, encoding: str | None, delimiter: str | None) -> RawSheet:
        return RawSheet(
            self.source,
            file_format,
            encoding,
            delimiter,
            0,
            [],
            pd.DataFrame(),
            np.empty(0, dtype=np.int64),
            self.issues,
            0,
        )
