"""The typed lane: a clean UTF-8 CSV read straight into typed columns by pyarrow.

Most DMS exports that reach a big run are machine-written: UTF-8, one header
line, a comma between cells, ISO dates, `true`/`false`, plain numbers. For such
a file, pyarrow's CSV reader can parse and type every column in C++, on every
core, without the text ever becoming Python or Arrow strings first; that is the
whole difference between sdkpi and an analytical database on a million rows.

It is strictly an optimisation, like `fast`: `load` returns the sheet only when
the result is provably what the general path (`readers` + `values`) gives for
the same file: same frame, same row numbers, same issues. Anything it is not
certain about (another encoding or delimiter, a title row, a blank or ragged
row, a total row, a multi-line cell, a placeholder, a Chinese date, a stray
space, a value pyarrow refuses) makes it return None and the general path reads
the file. Reading a file twice then costs a fraction of a second; reading it
wrongly would cost the user's trust. `tests/test_typed_csv.py` holds it to that.
"""

from __future__ import annotations

import codecs
import dataclasses
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..columns import (
    is_category,
)
from ..contract import SHEETS, Column, Sheet
from ..dataset import SheetData
from ..issues import DataIssue
from ..loaders import fast, readers, values
from ..loaders.finish import (
    issue_column,
)
from ..loaders.names import suffix
from ..loaders.options import SheetOptions
from . import typed_read
from .typed_checks import clean, codes_clean, column_clean, total_markers
from .typed_frame import typed_sheet


def eligible(source: readers.SheetSource, opts: SheetOptions) -> bool:
    """Worth trying: a CSV file with nothing in the mapping that changes how it is read."""
    path = source.path
    if source.worksheet or suffix(path) != ".csv":
        return False
    if opts.header_row or opts.values or opts.date_order:
        return False
    if opts.delimiter not in (None, ","):
        return False
    if opts.encoding and codecs.lookup(opts.encoding).name not in ("utf-8", "utf-8-sig"):
        return False
    try:
        return path.is_file()
    except OSError:
        return False


def load(
    source: readers.SheetSource,
    opts: SheetOptions,
    header_names: dict[str, str],
    mapped_names: dict[str, str],
    wanted: Collection[str] | None,
    *,
    blocks: bool = False,
) -> tuple[SheetData, list[DataIssue]] | None:
    """The sheet read by the typed lane, or None when the general path must read it.

    blocks: for a computation (`wanted` given), read the file block by block keeping only
    what it reads (`_read_in_blocks`): ~20% slower, and the whole file never sits in memory
    as Arrow (for big data, that would be the peak of the run).
    """
    sheet = SHEETS[source.sheet]
    header = typed_read.header(source.path)
    if header is None:
        return None
    cells, encoding = header
    columns = typed_read.columns(cells, header_names, mapped_names, sheet)
    if columns is None:
        return None
    by_blocks = blocks and wanted is not None
    early = typed_read.take(source.path, columns)
    outcome = early.result() if early is not None else None  # read while sdkpi was starting
    streamed = outcome[1] if outcome is not None and isinstance(outcome[1], typed_read.Streamed) else None
    midnight: dict[int, tuple[np.ndarray, str]] = {}
    if outcome is not None and by_blocks == (streamed is not None):
        quoted, table = outcome
        if by_blocks:
            table = _read_in_blocks(source.path, columns, quoted, opts, sheet, wanted or (), streamed)
        elif table is not None:
            table = _checked(table, columns, opts, quoted, sheet, wanted)
        elif typed_read.holds(source.path, _MIDNIGHT):  # refused, maybe for a 24:00 only
            table, midnight = _read_at_midnight(source.path, columns, quoted, opts, sheet, wanted)
    else:
        if streamed is not None and streamed.reader is not None:
            streamed.reader.close()
        quoted = typed_read.has_quote(source.path)
        if by_blocks:
            table = _read_in_blocks(source.path, columns, quoted, opts, sheet, wanted or ())
        else:
            table, midnight = _read(source.path, columns, quoted, opts, sheet, wanted)
    if table is None:
        return None
    # the table goes, its columns stay in a list that `typed_sheet` empties as it converts them
    arrays, rows = table.columns, table.num_rows
    del table
    loaded = typed_sheet(source, sheet, cells, columns, arrays, rows, encoding, wanted)
    if loaded is None or not midnight:
        return loaded
    # said first, as the general path says each column's problems before its other checks
    notes = [
        _midnight_issue(source, sheet, cells[p], columns[p], found) for p, found in sorted(midnight.items())
    ]
    return loaded[0], notes + loaded[1]


def _read(
    path: Path,
    columns: list[Column | str],
    quoted: bool,
    opts: SheetOptions,
    sheet: Sheet,
    wanted: Collection[str] | None = None,
) -> tuple[pa.Table | None, dict[int, tuple[np.ndarray, str]]]:
    """The whole file as one typed table, checked (None when it is not the lane's), and
    where a datetime column wrote `24:00` (see `_read_at_midnight`)."""
    try:
        table = typed_read.read(path, columns, quoted)
    except _REFUSED as err:
        if _MIDNIGHT.decode() in str(err):  # pyarrow names the first value it refused
            return _read_at_midnight(path, columns, quoted, opts, sheet, wanted)
        return None, {}  # a ragged row, a blank line, a value pyarrow will not type: not ours
    return _checked(table, columns, opts, quoted, sheet, wanted), {}


_MIDNIGHT = b" 24:00"


def _read_at_midnight(
    path: Path,
    columns: list[Column | str],
    quoted: bool,
    opts: SheetOptions,
    sheet: Sheet,
    wanted: Collection[str] | None,
) -> tuple[pa.Table | None, dict[int, tuple[np.ndarray, str]]]:
    """A file pyarrow refused for a `24:00` (which it does not read as a time): its datetime
    columns read as text, then by `fast`'s rule, the reference rule (`values.MIDNIGHT_24`:
    the next day's 00:00). Returns the checked table and, per column position, where a cell
    was written with 24:00; (None, {}) when anything else in the file is not the lane's."""
    stamped = [p for p, c in enumerate(columns) if isinstance(c, Column) and c.type == "datetime"]
    as_text: list[Column | str] = [
        dataclasses.replace(c, type="text") if isinstance(c, Column) and p in stamped else c
        for p, c in enumerate(columns)
    ]
    try:
        table = typed_read.read(path, as_text, quoted)
    except _REFUSED:
        return None, {}
    midnight: dict[int, tuple[np.ndarray, str]] = {}
    for position in stamped:
        text = table.column(position)
        parsed = fast.datetimes(text, date_only=False)
        if parsed is None:
            return None, {}  # not one canonical width, or another impossible time
        stamps, found = parsed
        if found.any():
            midnight[position] = (found, text[int(np.flatnonzero(found)[0])].as_py())
        arrow = pa.array(stamps, type=pa.timestamp("ns"), from_pandas=True)  # NaT: empty
        table = table.set_column(position, table.field(position).name, arrow)
    return _checked(table, columns, opts, quoted, sheet, wanted), midnight


def _midnight_issue(
    source: readers.SheetSource,
    sheet: Sheet,
    header: str,
    column: Column | str,
    found: tuple[np.ndarray, str],
) -> DataIssue:
    """The general path's note on a column's 24:00 cells (`values.midnight_problem`)."""

    assert isinstance(column, Column)
    positions = np.flatnonzero(found[0])
    text = found[1]
    first = int(positions[0])
    problem = values.midnight_problem(positions, text)
    return DataIssue(
        problem.severity,
        problem.code,
        problem.reason,
        sheet.name,
        str(source.path),
        first + 2,
        issue_column(header, column.name),
        problem.value,
    )


def _checked(
    table: pa.Table,
    columns: list[Column | str],
    opts: SheetOptions,
    quoted: bool,
    sheet: Sheet,
    wanted: Collection[str] | None,
) -> pa.Table | None:
    """The table once every cell is checked; None when the general path must read the file.

    For a computation (`wanted`), few-valued text it keeps (stores, people, enum codes) is
    encoded here, as `typed_sheet` would, and checked on its distinct values, not cell by cell.
    """
    codes = [] if wanted is None else [p for p, c in enumerate(columns) if _kept_as_codes(c, sheet, wanted)]
    markers = total_markers(opts)
    if not clean(table, columns, markers, quoted, only=set(range(len(columns))) - set(codes)):
        return None
    for position in codes:
        encoded = pc.dictionary_encode(table.column(position)).unify_dictionaries()
        if not codes_clean(position, encoded, columns[position], markers, quoted):
            return None
        table = table.set_column(position, table.field(position).name, encoded)
    return table


def _read_in_blocks(
    path: Path,
    columns: list[Column | str],
    quoted: bool,
    opts: SheetOptions,
    sheet: Sheet,
    wanted: Collection[str],
    streamed: typed_read.Streamed | None = None,
) -> pa.Table | None:
    """`_read` for a big file and a computation: block by block, every column is checked and
    only what the computation keeps is kept (a column it does not read leaves at most where
    its cells are empty, when they are required; few-valued text is kept as codes), so the
    peak memory is the frame being built plus one block, not the whole file as Arrow.
    `streamed`: the blocks the early start read ahead, and its reader to go on with."""
    kept: list[list[Any]] = [[] for _ in columns]
    # a column kept whole (its values, or its codes) is checked once at the end, all its
    # blocks at once (codes: on its distinct values); the others block by block
    whole = {p for p, column in enumerate(columns) if _kept_whole(column, sheet, wanted)}
    blockwise = set(range(len(columns))) - whole
    markers = total_markers(opts)
    rows = 0
    try:
        if streamed is None:
            batches: Iterable[Any] = pacsv.open_csv(
                typed_read.arrow_source(path), **typed_read.csv_options(columns, quoted)
            )
        elif streamed.refused:
            return None
        else:  # the blocks read ahead while sdkpi was starting, then the rest from the same reader
            batches = _handed_over(streamed)
        for batch in batches:
            block = pa.Table.from_batches([batch])
            if not clean(block, columns, markers, quoted, only=blockwise):
                return None
            rows += block.num_rows
            for position, column in enumerate(columns):
                kept[position].append(_keep(block.column(position), column, sheet, wanted))
            del block, batch
    except _REFUSED:
        return None
    if rows == 0:
        return None
    arrays = [
        pa.nulls(rows) if pieces[0] is None else pa.chunked_array([c for p in pieces for c in p.chunks])
        for pieces in kept
    ]
    for position in sorted(whole):
        arrow = arrays[position]
        if pa.types.is_dictionary(arrow.type):
            arrays[position] = arrow = arrow.unify_dictionaries()
            if not codes_clean(position, arrow, columns[position], markers, quoted):
                return None
        elif not column_clean(position, arrow, columns[position], markers, quoted):
            return None
    return pa.table(arrays, names=[f"c{i}" for i in range(len(columns))])


def _handed_over(streamed: typed_read.Streamed) -> Iterator[Any]:
    """The blocks read ahead, each let go of once taken, then the rest of the file."""
    streamed.batches.reverse()
    while streamed.batches:
        yield streamed.batches.pop()
    if streamed.reader is not None:
        yield from streamed.reader


def _kept_as_codes(column: Column | str, sheet: Sheet, wanted: Collection[str]) -> bool:
    """Does `_keep` keep this column as codes (few-valued text a computation reads)?"""
    name = column if isinstance(column, str) else column.name
    kind = "text" if isinstance(column, str) else column.type
    return _kept_whole(column, sheet, wanted) and name != sheet.key and is_category(name, kind)


def _kept_whole(column: Column | str, sheet: Sheet, wanted: Collection[str]) -> bool:
    """Does `_keep` keep this column's values (or codes), not at most where it is empty?"""
    name = column if isinstance(column, str) else column.name
    # numbers too on a sheet with a key: repeated keys are settled on them (see `typed_sheet`)
    number = isinstance(column, Column) and column.type == "number" and sheet.key is not None
    return name in wanted or name in ("store", sheet.key) or number


def _keep(arrow: Any, column: Column | str, sheet: Sheet, wanted: Collection[str]) -> Any:
    """What `typed_sheet` will need of one block of one column."""
    if _kept_whole(column, sheet, wanted):
        if _kept_as_codes(column, sheet, wanted):
            return pc.dictionary_encode(arrow)  # 4 bytes a row instead of the text
        return arrow
    if isinstance(column, Column) and column.required:  # only where it is empty matters
        return pc.if_else(pc.is_null(arrow), pa.scalar(None, pa.bool_()), pa.scalar(True))
    return None


_REFUSED = typed_read.refused()
