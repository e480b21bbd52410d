"""The typed lane's sheet: a checked typed table's columns into the frame, row numbers and
issues the general path gives (the same `finish` step: required values, repeated keys,
the columns kept)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import (
    all_true,
    arrow_strings,
    arrow_text,
    categorical,
    frame_of,
    is_category,
    numpy_bool,
)
from ..contract import STORE, Column, Sheet
from ..dataset import SheetData
from ..issues import DataIssue
from ..loaders import readers
from ..loaders.finish import (
    check_required_values,
    drop_duplicate_keys,
    empty_column,
    only_wanted,
)


def typed_sheet(
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
