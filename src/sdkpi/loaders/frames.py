"""A source that is not a file: pandas DataFrames handed to the library, one per sheet.

Each frame enters the reading pipeline at "map" (`sheets.sheet_from_raw`) through its own
small reader (`raw_sheet`): its column labels are the headers, as a DMS export's (so the
aliases, Chinese headers and the mapping file's `columns:` apply), and its cells are read as
the workbook reader's typed cells are (text, numbers, bools, `Timestamp`s; NaN, NaT, None
and "" are empty cells), by the same parse rules. A row's number is the one a user sees
when the frame is written out with its header: 1-based position + 1. No file is read, so
the read and locate steps' work on a file (encodings, title rows, blank and total rows) is
not done: a frame is taken as its records. A new kind of source (a database table) is one
more module like this.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import SHEETS
from ..dataset import Dataset
from ..errors import UsageError
from ..reasons import Reason
from ..suggest import did_you_mean
from .locate import check_header_columns
from .names import expected_headers, normalize_header
from .options import SheetOptions
from .sheet_source import Ctx, RawSheet, ReadOptions, SheetSource
from .sheets import sheet_from_raw
from .workbook import cell_text

__all__ = ["FRAME_FORMAT", "load_frames", "raw_sheet"]

#: The file format a sheet read from a frame shows (`SheetData.file_format`).
FRAME_FORMAT = "frame"


def load_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    options: Mapping[str, SheetOptions] | None = None,
    source: str = "frames",
) -> Dataset:
    """A `Dataset` from DataFrames (sheet name -> frame), as `load_dataset` reads a folder.

    A contract sheet with no frame is missing ("sheet missing"); a name that is no sheet is a
    `UsageError` naming the known ones. `options`: the mapping file's per-sheet options.
    A frame whose headers cannot be read (a duplicate header, data under a blank one) raises
    the `InputError` a workbook with those headers would.
    """
    unknown = [name for name in frames if name not in SHEETS]
    if unknown:
        raise UsageError(
            f"unknown sheet {unknown[0]!r}{did_you_mean(unknown[0], set(SHEETS))}; "
            f"the sheets are: {', '.join(SHEETS)}"
        )
    options = options or {}
    dataset = Dataset(source=source)
    for name in SHEETS:
        frame = frames.get(name)
        if frame is None:
            dataset.missing[name] = Reason("sheet_missing")
            continue
        sheet_options = options.get(name, SheetOptions())
        data, issues = sheet_from_raw(raw_sheet(name, frame, sheet_options), sheet_options)
        data.file_format = FRAME_FORMAT
        dataset.sheets[name] = data
        dataset.issues.extend(issues)
    return dataset


def raw_sheet(name: str, frame: pd.DataFrame, opts: SheetOptions | None = None) -> RawSheet:
    """One frame as the raw cells of sheet `name`: object columns of Python values, an empty
    cell None (as the workbook reader gives them), row numbers 2, 3, ..."""
    opts = opts or SheetOptions()
    source = SheetSource(name, Path(f"<frame {name}>"))
    known = expected_headers(SHEETS[name])
    mapped = {normalize_header(h) for h in opts.columns}
    combined = {normalize_header(h) for headers in opts.combine.values() for h in headers}
    ctx = Ctx(source, ReadOptions(), set(known) | mapped | combined)
    headers = [cell_text(label) for label in frame.columns]
    cells = [_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    has_data = [bool(np.any(column != None)) for column in cells]  # noqa: E711  (element-wise)

    def first_data(i: int) -> tuple[int, str]:
        pos = int(np.flatnonzero(cells[i] != None)[0])  # noqa: E711
        return pos + 2, cell_text(cells[i][pos])

    keep = check_header_columns(headers, has_data, first_data, ctx, excel=True)
    n = len(frame)
    data = pd.DataFrame(dict(enumerate(cells[i] for i in keep)), index=pd.RangeIndex(n), dtype=object)
    data.columns = pd.RangeIndex(len(keep))
    return RawSheet(
        source,
        "xlsx",  # typed cells: read as a workbook's (`values.parse_column(excel=True)`)
        None,
        None,
        1,
        [headers[i] for i in keep],
        data,
        np.arange(2, n + 2, dtype=np.int64),
        ctx.issues,
        n,
    )


def _cells(column: pd.Series) -> np.ndarray:
    """A frame column as a workbook reader's cells: Python values, None when empty."""
    values = column.to_numpy(dtype=object, copy=True)
    empty = pd.isna(values)
    empty |= values == ""
    values[empty] = None
    return values
