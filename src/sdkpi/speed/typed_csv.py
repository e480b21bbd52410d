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
import functools
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..columns import (
    all_true,
    any_true,
    arrow_strings,
    arrow_text,
    categorical,
    frame_of,
    is_category,
    is_id_column,
    numpy_bool,
    string_offsets,
)
from ..contract import SHEETS, STORE, Column, Sheet
from ..dataset import SheetData
from ..issues import DataIssue
from ..loaders import dates, fast, locate, numbers, readers, values
from ..loaders.finish import (
    check_required_values,
    drop_duplicate_keys,
    empty_column,
    issue_column,
    only_wanted,
)
from ..loaders.names import suffix
from . import typed_read

# Inside datetime64[ns] and inside the general path's accepted years (dates.YEAR_MIN/YEAR_MAX).
_FIRST_NS = int(np.datetime64(f"{dates.YEAR_MIN}-01-01", "ns").astype(np.int64))
_END_NS = int(np.datetime64(f"{dates.YEAR_MAX + 1}-01-01", "ns").astype(np.int64))
_FIRST_DAY = int(np.datetime64(f"{dates.YEAR_MIN}-01-01", "D").astype(np.int64))
_END_DAY = int(np.datetime64(f"{dates.YEAR_MAX + 1}-01-01", "D").astype(np.int64))


def eligible(source: readers.SheetSource, opts: Any) -> bool:
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
    opts: Any,
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
    # the table goes, its columns stay in a list that `_sheet` empties as it converts them
    arrays, rows = table.columns, table.num_rows
    del table
    loaded = _sheet(source, sheet, cells, columns, arrays, rows, encoding, wanted)
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
    opts: Any,
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
    opts: Any,
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
    opts: Any,
    quoted: bool,
    sheet: Sheet,
    wanted: Collection[str] | None,
) -> pa.Table | None:
    """The table once every cell is checked; None when the general path must read the file.

    For a computation (`wanted`), few-valued text it keeps (stores, people, enum codes) is
    encoded here, as `_sheet` would, and checked on its distinct values, not cell by cell.
    """
    codes = [] if wanted is None else [p for p, c in enumerate(columns) if _kept_as_codes(c, sheet, wanted)]
    markers = _markers(opts)
    if not _clean(table, columns, markers, quoted, only=set(range(len(columns))) - set(codes)):
        return None
    for position in codes:
        encoded = pc.dictionary_encode(table.column(position)).unify_dictionaries()
        if not _codes_clean(position, encoded, columns[position], markers, quoted):
            return None
        table = table.set_column(position, table.field(position).name, encoded)
    return table


def _read_in_blocks(
    path: Path,
    columns: list[Column | str],
    quoted: bool,
    opts: Any,
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
    markers = _markers(opts)
    rows = 0
    try:
        if streamed is None:
            batches: Iterable[Any] = pacsv.open_csv(path, **typed_read.csv_options(columns, quoted))
        elif streamed.refused:
            return None
        else:  # the blocks read ahead while sdkpi was starting, then the rest from the same reader
            batches = _handed_over(streamed)
        for batch in batches:
            block = pa.Table.from_batches([batch])
            if not _clean(block, columns, markers, quoted, only=blockwise):
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
            if not _codes_clean(position, arrow, columns[position], markers, quoted):
                return None
        elif not _column_clean(position, arrow, columns[position], markers, quoted):
            return None
    return pa.table(arrays, names=[f"c{i}" for i in range(len(columns))])


def _handed_over(streamed: typed_read.Streamed) -> Iterator[Any]:
    """The blocks read ahead, each let go of once taken, then the rest of the file."""
    streamed.batches.reverse()
    while streamed.batches:
        yield streamed.batches.pop()
    if streamed.reader is not None:
        yield from streamed.reader


def _codes_clean(position: int, encoded: Any, column: Column | str, markers: Any, quoted: bool) -> bool:
    """`_column_clean` for a column of codes (dictionaries unified): its distinct values stand
    for every cell."""
    values = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.large_string())
    return _column_clean(position, pa.chunked_array([values]), column, markers, quoted)


def _kept_as_codes(column: Column | str, sheet: Sheet, wanted: Collection[str]) -> bool:
    """Does `_keep` keep this column as codes (few-valued text a computation reads)?"""
    name = column if isinstance(column, str) else column.name
    kind = "text" if isinstance(column, str) else column.type
    return _kept_whole(column, sheet, wanted) and name != sheet.key and is_category(name, kind)


def _kept_whole(column: Column | str, sheet: Sheet, wanted: Collection[str]) -> bool:
    """Does `_keep` keep this column's values (or codes), not at most where it is empty?"""
    name = column if isinstance(column, str) else column.name
    # numbers too on a sheet with a key: repeated keys are settled on them (see `_sheet`)
    number = isinstance(column, Column) and column.type == "number" and sheet.key is not None
    return name in wanted or name in ("store", sheet.key) or number


def _keep(arrow: Any, column: Column | str, sheet: Sheet, wanted: Collection[str]) -> Any:
    """What `_sheet` will need of one block of one column."""
    if _kept_whole(column, sheet, wanted):
        if _kept_as_codes(column, sheet, wanted):
            return pc.dictionary_encode(arrow)  # 4 bytes a row instead of the text
        return arrow
    if isinstance(column, Column) and column.required:  # only where it is empty matters
        return pc.if_else(pc.is_null(arrow), pa.scalar(None, pa.bool_()), pa.scalar(True))
    return None


def _clean(
    table: pa.Table,
    columns: list[Column | str],
    markers: Any,
    quoted: bool,
    only: Collection[int] | None = None,
) -> bool:
    """Is every cell one the general path reads the same way, with nothing to report?

    markers: the total-row markers (`_markers`, built once per file, not per block).
    only: the positions of the columns to check cell by cell (all by default); the checks
    across a row (blank rows, total rows) are always made.
    """
    if table.num_rows == 0:
        return False
    nulls = [col.null_count for col in table.columns]
    if all(nulls) and any_true(_all_null(table.columns)):
        return False  # blank rows are counted and reported by the general path
    if all(nulls[:3]) and any_true(_all_null(table.columns[:3])):
        return False  # the general path looks for a total marker in such a row's first cell
    return all(
        _column_clean(position, table.column(position), column, markers, quoted)
        for position, column in enumerate(columns)
        if only is None or position in only
    )


def _markers(opts: Any) -> Any:
    """The total-row markers the general path looks for, as the mapping file sets them."""
    return locate.Markers.build(opts.total_markers if opts.total_markers is not None else _DEFAULT_MARKERS)


def _column_clean(position: int, arrow: Any, column: Column | str, markers: Any, quoted: bool) -> bool:
    """Is every cell of one column (any number of blocks; for text, or its distinct values)
    one the general path reads the same way, with nothing to report?"""
    kind = "text" if isinstance(column, str) else column.type
    if kind in ("datetime", "date"):
        low, high = pc.min_max(arrow).values()
        first, end = (_FIRST_DAY, _END_DAY) if kind == "date" else (_FIRST_NS, _END_NS)
        return not (low.is_valid and (low.value < first or high.value >= end))
    if kind == "number":
        if arrow.null_count == len(arrow):
            return True
        plausible = column.plausible if isinstance(column, Column) else None
        if plausible is not None:  # the reference rule, on the column's least and greatest
            extremes = np.array([v.as_py() for v in pc.min_max(arrow).values()], dtype=np.float64)
            if numbers.out_of_range(extremes, plausible):
                return False
        return all_true(pc.is_finite(arrow))
    if kind in ("text", "enum"):
        # empty cells (nulls) pass every check below as they are: no copy without them
        if arrow.null_count == len(arrow):
            return True
        if quoted and (
            any_true(pc.match_substring(arrow, "\n")) or any_true(pc.match_substring(arrow, "\r"))
        ):
            return False  # a multi-line cell: the general path numbers the rows
        if kind == "enum":
            allowed = pa.array([*column.values, None], pa.string())  # type: ignore[union-attr]
            if not all_true(pc.is_in(arrow, value_set=allowed)):
                return False
        elif not fast.clean_text(
            arrow, is_id=isinstance(column, Column) and is_id_column(column.name, column.type)
        ):
            return False
        return not (position < 3 and _may_be_total(arrow, markers))
    return True  # bool: pyarrow accepted only the spellings the fast path takes


def _all_null(columns: list[Any]) -> Any:
    blank = pc.is_null(columns[0])
    for column in columns[1:]:
        blank = pc.and_(blank, pc.is_null(column))
    return blank


def _may_be_total(present: Any, markers: Any) -> bool:
    """Could a cell start with a total marker (合计, Total ...)? Called on clean cells only.

    The marker pattern is a regular expression over a million cells; most columns are
    cleared by their cells' first two bytes (an ID like RO00001 cannot start "合计").
    """
    if markers.arrow_pattern is None:
        return False
    prefixes = _marker_prefixes(markers.markers)
    if prefixes is not None:
        candidates = []
        for chunk in present.chunks:
            offsets = string_offsets(chunk)
            starts = offsets[:-1][np.diff(offsets) >= 2]  # a marker has two characters or more
            data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if len(starts) else np.zeros(2, np.uint8)
            two = data[starts].astype(np.uint16) << 8 | data[starts + 1]
            hit = prefixes[two] | (data[starts] == 0xEF)  # 0xEF: U+FEFF, full-width forms
            candidates.append(bool(hit.any()))
        if not any(candidates):
            return False
    return any_true(pc.match_substring_regex(present, markers.arrow_pattern))


@functools.cache
def _marker_prefixes(markers: tuple[str, ...]) -> np.ndarray | None:
    """Which first two UTF-8 bytes (as one uint16) a cell starting with a marker can have, as
    a table of 65536 (None: a marker too short to tell)."""
    table = np.zeros(1 << 16, dtype=bool)
    for marker in markers:
        if len(marker) < 2 or marker[1] == " ":
            return None  # a one-letter marker, or a space that may be any space: no prefilter
        for first in locate.char_variants(marker[0]):
            for second in locate.char_variants(marker[1]):
                head = (first + second).encode()
                table[head[0] << 8 | head[1]] = True
    return table


_DEFAULT_MARKERS = readers.ReadOptions().total_markers
_REFUSED = typed_read.refused()


def _sheet(
    source: readers.SheetSource,
    sheet: Sheet,
    cells: list[str],
    columns: list[Column | str],
    arrays: list[Any],
    n: int,
    encoding: str,
    wanted: Collection[str] | None,
) -> tuple[SheetData, list[DataIssue]] | None:

    unique = _keys_unique(arrays, columns, sheet)
    if not unique and any(
        isinstance(c, Column) and c.type == "number" and pa.types.is_null(a.type)
        for a, c in zip(arrays, columns, strict=True)
    ):
        return None  # a number left unread (block by block): the general path settles the keys

    def keep(name: str) -> bool:
        return wanted is None or name in wanted or name == "store"

    frame_columns: dict[str, pd.Series] = {}
    skipped: set[str] = set()
    unread_empty: dict[str, np.ndarray] = {}
    for position, column in enumerate(columns):
        arrow, arrays[position] = arrays[position], None
        name = column if isinstance(column, str) else column.name
        if isinstance(column, Column) and column.required:
            unread_empty[name] = _null_mask(arrow)
        # repeated keys: the key, and every number (do a key's rows differ in amounts?), are
        # needed to settle them as the general path does (`finish.drop_duplicate_keys`)
        number = isinstance(column, Column) and column.type == "number"
        settle = not unique and (name == sheet.key or number)
        if not keep(name) and not settle:
            skipped.add(name)  # unread by the computation, and clean: never built
        elif isinstance(column, str) or column is STORE or column.type in ("text", "enum"):
            if wanted is None or not unique:  # (duplicates dropped first, then `only_wanted` codes)
                frame_columns[name] = pd.Series(arrow_strings(_plain(arrow)), dtype=object, copy=False)
            elif is_category(name, "text" if isinstance(column, str) else column.type):
                frame_columns[name] = categorical(arrow)  # a computation's frame: codes
            else:
                frame_columns[name] = arrow_text(arrow)  # a computation's frame: Arrow text
        else:
            frame_columns[name] = _series(arrow, column)
        del arrow
    for column in sheet.columns:
        if column.name not in frame_columns and column.name not in skipped and keep(column.name):
            frame_columns[column.name] = empty_column(column, n)
    frame = frame_of(frame_columns, n)
    mapped = {c.name for c in columns if isinstance(c, Column)}
    data = SheetData(
        name=sheet.name,
        frame=frame,
        row_numbers=np.arange(2, n + 2, dtype=np.int64),
        bad={},
        missing_columns={c.name for c in sheet.columns if c.name not in mapped},
        file=str(source.path),
        worksheet=None,
        file_format="csv",
        encoding=encoding,
        header_row=1,
        rows_in_file=n,
        header_map={
            cell: column.name
            for cell, column in zip(cells, columns, strict=True)
            if isinstance(column, Column)
        },
    )
    issues = check_required_values(data, sheet, unread_empty)
    if not unique:
        data = drop_duplicate_keys(data, sheet, issues)
    return only_wanted(data, sheet, wanted), issues


def _in_pool(arrow: Any, dtype: np.dtype, missing: Any) -> np.ndarray:
    """A column of 8-byte values (timestamps, doubles) as one numpy array, `missing` where empty.

    The array lives in Arrow's memory pool, on pages the reader has just freed, not on fresh
    ones that numpy would have the kernel fault in and zero (a million rows is 2,000 pages
    per column); it is kept alive by the numpy array that views it.
    """
    out = np.frombuffer(pa.allocate_buffer(len(arrow) * dtype.itemsize), dtype=dtype)
    position = 0
    for chunk in arrow.chunks:
        size = len(chunk)
        if size:
            values = np.frombuffer(chunk.buffers()[1], dtype=dtype)[chunk.offset : chunk.offset + size]
            out[position : position + size] = values
            if chunk.null_count:
                out[position : position + size][numpy_bool(chunk.is_null())] = missing
        position += size
    return out


def _plain(arrow: Any) -> Any:
    """Text kept as codes block by block, back to plain strings."""
    return pc.cast(arrow, pa.large_string()) if pa.types.is_dictionary(arrow.type) else arrow


def _null_mask(arrow: Any) -> np.ndarray:
    if not arrow.null_count:
        return np.zeros(len(arrow), dtype=bool)
    return numpy_bool(pc.is_null(arrow))


def _keys_unique(arrays: list[Any], columns: list[Column | str], sheet: Sheet) -> bool:
    """No key repeats within a store: nothing for `drop_duplicate_keys` to drop.

    DMS exports list orders by number, store after store: keys that rise strictly within
    each store's run of rows (one run per store) cannot repeat, and checking that is a
    comparison of neighbours. Otherwise the keys are hashed once.
    """
    if sheet.key is None:
        return True
    named = {c.name: a for a, c in zip(arrays, columns, strict=True) if isinstance(c, Column)}
    key = named.get(sheet.key)
    if key is None:
        return True  # no key column: nothing to check
    if _rising_per_store(key, named.get("store")):
        return True
    present = key.drop_null() if key.null_count else key
    return len(pc.unique(present)) == len(present)  # unique in the file: unique in each store


def _rising_per_store(key: Any, store: Any) -> bool:
    n = len(key)
    if n < 2 or key.null_count or (store is not None and store.null_count):
        return n < 2 and not key.null_count
    # neighbours compared across the reader's blocks as they are (combining them is a copy)
    rising = pc.greater(key.slice(1), key.slice(0, n - 1))
    if store is None:
        return all_true(rising)
    if pa.types.is_dictionary(store.type):  # kept as codes block by block: compare the codes
        unified = store.unify_dictionaries()
        store = pa.chunked_array([c.indices for c in unified.chunks], pa.int32())
    same = pc.equal(store.slice(1), store.slice(0, n - 1))
    if not all_true(pc.or_(pc.invert(same), rising)):
        return False
    runs = 1 + n - 1 - int(pc.sum(same).as_py() or 0)
    return runs == len(pc.unique(store))  # each store in one run


def _series(arrow: Any, column: Column) -> pd.Series:
    # copy=False throughout: pandas 3 copies a numpy array handed to Series() unless told not to
    if column.type == "datetime":
        return pd.Series(_in_pool(arrow, np.dtype("datetime64[ns]"), np.datetime64("NaT")), copy=False)
    if column.type == "date":
        days = pc.cast(arrow, pa.timestamp("ns"))
        return pd.Series(_in_pool(days, np.dtype("datetime64[ns]"), np.datetime64("NaT")), copy=False)
    if column.type == "number":
        return pd.Series(_in_pool(arrow, np.dtype(np.float64), np.nan), copy=False)
    if column.type == "bool":
        values = numpy_bool(pc.fill_null(arrow, False))
        return pd.Series(pd.arrays.BooleanArray(values, numpy_bool(pc.is_null(arrow))), copy=False)
    return pd.Series(arrow_strings(arrow), dtype=object, copy=False)
