"""How a typed column is held in memory (the data model, beside `dataset`).

A sheet's frame holds canonical columns as pandas Series; for millions of rows how each is
held matters: text as Arrow strings or a Categorical of few distinct values, yes/no as a
pandas BooleanArray, frames put together without copying their columns. The readers (both
lanes), the sheet cache and the evaluation of expressions use these same helpers; nothing
here knows a file, a parse rule or a KPI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: How a computation's frames hold text: Arrow strings (pandas' "str"), no Python object per cell.
#: Frames read for display (explain, report) keep object columns of Python strings.
ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def arrow_text(arrow: Any) -> pd.Series:
    """An Arrow string column as a pandas "str" Series, in one piece.

    One piece, not the reader's hundreds of blocks: a sheet whose columns are all in one
    piece is cached as one record batch, and read back in place (memory-mapped) with no
    column copied; blocks in one column would split every column of the entry.
    """
    if isinstance(arrow, pa.ChunkedArray) and arrow.num_chunks > 1:
        arrow = arrow.combine_chunks()
    return pd.Series(arrow, dtype=ARROW_TEXT, copy=False)


#: Text columns of few distinct values (people, stores, enum codes), held by a computation as a
#: pandas Categorical: a small integer per row instead of the text (a store name in every row
#: of a 2M-row sheet is ~45 MB as text, 2 MB as codes).
CATEGORY_COLUMNS = frozenset({"store", "advisor", "technician", "salesperson", "department"})


def is_id_column(name: str, ctype: str) -> bool:
    """A text column of identifiers (where 1.2E+5 is an Excel accident, not a number)."""
    return ctype == "text" and (
        name.endswith("_id") or name in ("ro_number", "vin", "comeback_of", "part_number")
    )


def is_category(name: str, ctype: str) -> bool:
    return ctype == "enum" or name in CATEGORY_COLUMNS


def categorical(arrow: Any) -> pd.Series:
    """An Arrow string column as a Categorical with its distinct values sorted (so that any
    reader of the same values, Arrow or Python strings, builds the same categories)."""
    if not isinstance(arrow, pa.ChunkedArray):
        arrow = pa.chunked_array([arrow], arrow.type)
    # one hashing pass per chunk, one dictionary for all (no copy of the text itself)
    encoded = arrow if pa.types.is_dictionary(arrow.type) else pc.dictionary_encode(arrow)
    encoded = encoded.unify_dictionaries()
    dictionary = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.large_string())
    order = np.asarray(pc.sort_indices(dictionary).to_numpy(zero_copy_only=False), dtype=np.int64)
    # codes in the dtype pandas keeps them in (int8 for up to 127 values): no cast, no copy
    code_type: type[np.integer] = (
        np.int8 if len(order) < 2**7 else np.int16 if len(order) < 2**15 else np.int32
    )
    rank = np.empty(len(order) + 1, dtype=code_type)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # an empty cell (a null index, filled with -1 below) stays empty
    codes = np.empty(len(arrow), dtype=code_type)
    position = 0
    for chunk in encoded.chunks:  # each block's indices mapped straight into place
        indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        codes[position : position + len(indices)] = rank[indices]
        position += len(indices)
    categories = pd.Index(dictionary.take(pa.array(order)).to_pylist(), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), copy=False)


def category_objects(series: pd.Series) -> np.ndarray:
    """A Categorical column as Python strings, None where empty (no per-row string made)."""
    cat = series.array
    values = np.append(np.asarray(cat.categories, dtype=object), np.array([None], dtype=object))
    return values[np.asarray(cat.codes, dtype=np.int64)]  # code -1 picks the None at the end


def frame_of(columns: Mapping[str, pd.Series], n: int) -> pd.DataFrame:
    """A frame of these same-length columns, without copying them into 2-D blocks.

    `pd.DataFrame(dict)` consolidates columns of one dtype into a block (a copy of every
    column: ~0.3 s and hundreds of MB for a million rows); concat keeps them apart.
    """
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    series = [column.reset_index(drop=True) for column in columns.values()]
    frame = pd.concat(series, axis=1, keys=list(columns))
    frame.index = pd.RangeIndex(n)
    return frame


def all_true(mask: Any) -> bool:
    return bool(pc.all(mask).as_py() is not False)


def any_true(mask: Any) -> bool:
    return bool(pc.any(mask).as_py())


def arrow_strings(arrow: Any) -> np.ndarray:
    """An Arrow string column as Python strings (None where null).

    Repeated values share one object, as factorizing does: a column of a few
    advisors' names costs a few strings, not a million.
    """
    sample = arrow.slice(0, 10_000)
    if len(sample) and pc.count_distinct(sample).as_py() > 0.5 * len(sample):
        values = arrow.to_numpy(zero_copy_only=False)  # mostly unique IDs: one string each
        return values if values.flags.writeable else values.copy()
    encoded = pc.dictionary_encode(arrow)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    uniques = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    uniques = np.append(uniques, np.array([None], dtype=object))
    codes = encoded.indices.fill_null(len(uniques) - 1).to_numpy(zero_copy_only=False)
    return uniques[codes]


def string_offsets(chunk: Any) -> np.ndarray:
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(chunk.buffers()[1], dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]


def numpy_bool(mask: Any) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
