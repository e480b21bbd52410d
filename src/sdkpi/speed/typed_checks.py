"""The typed lane's checks: is every cell of a typed table one the general path reads the
same way, with nothing to report? (`typed_csv` declines a file when not.) Every rule is
the reference one: the years `loaders.dates` accepts, the plausible ranges of
`loaders.numbers`, the total markers of `loaders.locate`, the clean text of `loaders.fast`.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import (
    all_true,
    any_true,
    is_id_column,
    string_offsets,
)
from ..contract import Column
from ..loaders import dates, fast, locate, numbers, readers
from ..loaders.options import SheetOptions

# Inside datetime64[ns] and inside the general path's accepted years (dates.YEAR_MIN/YEAR_MAX).
_FIRST_NS = int(np.datetime64(f"{dates.YEAR_MIN}-01-01", "ns").astype(np.int64))
_END_NS = int(np.datetime64(f"{dates.YEAR_MAX + 1}-01-01", "ns").astype(np.int64))
_FIRST_DAY = int(np.datetime64(f"{dates.YEAR_MIN}-01-01", "D").astype(np.int64))
_END_DAY = int(np.datetime64(f"{dates.YEAR_MAX + 1}-01-01", "D").astype(np.int64))


def codes_clean(position: int, encoded: Any, column: Column | str, markers: Any, quoted: bool) -> bool:
    """`column_clean` for a column of codes (dictionaries unified): its distinct values stand
    for every cell."""
    values = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.large_string())
    return column_clean(position, pa.chunked_array([values]), column, markers, quoted)


def clean(
    table: pa.Table,
    columns: list[Column | str],
    markers: Any,
    quoted: bool,
    only: Collection[int] | None = None,
) -> bool:
    """Is every cell one the general path reads the same way, with nothing to report?

    markers: the total-row markers (`total_markers`, built once per file, not per block).
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
        column_clean(position, table.column(position), column, markers, quoted)
        for position, column in enumerate(columns)
        if only is None or position in only
    )


def total_markers(opts: SheetOptions) -> Any:
    """The total-row markers the general path looks for, as the mapping file sets them."""
    return locate.Markers.build(opts.total_markers if opts.total_markers is not None else _DEFAULT_MARKERS)


def column_clean(position: int, arrow: Any, column: Column | str, markers: Any, quoted: bool) -> bool:
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
