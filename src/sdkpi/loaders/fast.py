"""A fast path for clean CSV columns, in Arrow compute and numpy, for millions of rows.

`values.parse_column` handles every spelling the data contract accepts, one
distinct value at a time. Most columns of a DMS export are already in the
canonical form (`2024-05-03 14:20`, `true`, `1234.50`, plain IDs); for those,
this module parses the whole column at once without building Python objects.

It is strictly an optimisation: `parse_column` returns a result only when every
cell is empty or in a form whose meaning is certain, and the result is exactly
what `values.parse_column` gives for it (no bad cells, no problems). Anything
else (a placeholder, a Chinese date, a thousands separator, an impossible date,
a stray space) returns None, and the caller uses `values.parse_column`.

It holds no rule of its own: the number and ID patterns, the spaces, placeholders and
control characters, the years and the 24:00 rule are those of `values`, `numbers` and
`dates` (and the yes/no spellings of `names`); `tests/test_parse_one_meaning.py` holds the
two parses to the same answers on tricky cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import all_true, any_true, arrow_strings, numpy_bool, string_offsets
from .dates import YEAR_MAX, YEAR_MIN
from .names import FALSE_SPELLINGS, TRUE_SPELLINGS
from .numbers import PLAIN_NUMBER, out_of_range
from .values import (
    CONTROL_CHARACTERS,
    DTYPES,
    ID_SCI,
    PLACEHOLDERS,
    SILENT_MISSING,
    SPACE_CLASS,
    ParsedColumn,
    midnight_problem,
)

# Every rule below is the reference one of `values`, `numbers` and `dates`, anchored for RE2.
_EDGE_SPACE = f"^{SPACE_CLASS}|{SPACE_CLASS}$"
_PLAIN_NUMBER = f"^{PLAIN_NUMBER}$"
_ID_SCI = f"^{ID_SCI}$"
_NOT_VALUES = pa.array(sorted((SILENT_MISSING | PLACEHOLDERS) - {""}))
# byte -> can a placeholder or missing marker start with it (a table: one lookup per cell)
_NOT_VALUE_FIRST_BYTES = np.zeros(256, dtype=bool)
_NOT_VALUE_FIRST_BYTES[[text.encode()[0] for text in _NOT_VALUES.to_pylist()]] = True
# byte -> is it one of the control characters the slow path removes (and reports)
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[ord(c) for c in CONTROL_CHARACTERS]] = True


def parse_column(
    raw: pd.Series,
    ctype: str,
    *,
    enum_values: Mapping[str, Sequence[str]] | None = None,
    excel: bool = False,
    value_map: Mapping[str, str] | None = None,
    is_id: bool = False,
    plausible: tuple[float, float] | None = None,
) -> ParsedColumn | None:
    """The parsed column when every cell is empty or canonical; None otherwise (and when a
    number lies outside `plausible`, which `values.parse_column` reports)."""
    if excel or value_map or not isinstance(raw.dtype, pd.StringDtype):
        return None
    arrow = raw.array.__arrow_array__()
    if arrow.null_count:
        return None
    empty = pc.equal(pc.binary_length(arrow), 0)
    problems = []
    if ctype in ("datetime", "date"):
        stamps = datetimes(arrow, date_only=ctype == "date")
        values: Any = None if stamps is None else stamps[0]
        if stamps is not None and stamps[1].any():  # 24:00, read as values.py reads it, said once
            positions = np.flatnonzero(stamps[1])
            problems.append(midnight_problem(positions, raw.iloc[positions[0]]))
    elif ctype == "number":
        values = _numbers(arrow, empty)
        if values is not None and out_of_range(values, plausible):
            return None
    elif ctype == "bool":
        values = _bools(arrow, empty)
    elif ctype == "enum":
        values = _texts(arrow, empty, allowed=list(enum_values or {}))
    else:
        values = _texts(arrow, empty, is_id=is_id)
    if values is None:
        return None
    dtype = DTYPES.get(ctype, "object")
    series = pd.Series(values, index=raw.index, name=raw.name, dtype=dtype, copy=False)
    return ParsedColumn(series, np.zeros(len(raw), dtype=bool), problems)


def _bools(arrow: Any, empty: Any) -> pd.arrays.BooleanArray | None:
    true = pc.is_in(arrow, value_set=pa.array(TRUE_SPELLINGS))
    false = pc.is_in(arrow, value_set=pa.array(FALSE_SPELLINGS))
    if not all_true(pc.or_(pc.or_(true, false), empty)):
        return None
    return pd.arrays.BooleanArray(numpy_bool(true), numpy_bool(empty))


def _numbers(arrow: Any, empty: Any) -> np.ndarray | None:
    present = pc.invert(empty)
    if not all_true(pc.or_(pc.match_substring_regex(arrow, _PLAIN_NUMBER), empty)):
        return None
    try:
        numbers = pc.cast(pc.if_else(present, arrow, pa.scalar(None, pa.string())), pa.float64())
    except pa.ArrowInvalid:  # out of range for a double, e.g. 1e400: the slow path reports it
        return None
    values = numbers.to_numpy(zero_copy_only=False)
    values = np.where(numpy_bool(empty), np.nan, values).astype(np.float64)
    if not np.isfinite(values[~numpy_bool(empty)]).all():
        return None
    return values


def is_clean_text(raw: pd.Series, *, is_id: bool = False) -> bool:
    """Would `parse_column(raw, "text")` take the fast path (nothing to report, nothing to change)?

    Lets a caller that does not need a text column's values skip building them.
    """
    if not isinstance(raw.dtype, pd.StringDtype):
        return False
    arrow = raw.array.__arrow_array__()
    return not arrow.null_count and clean_text(arrow, is_id=is_id)


def empty_cells(raw: pd.Series) -> np.ndarray:
    """Where a CSV text column's cells are empty (what `parse_column` would make None)."""
    return numpy_bool(pc.equal(pc.binary_length(raw.array.__arrow_array__()), 0))


def clean_text(arrow: Any, *, is_id: bool) -> bool:
    if _has_control(arrow):
        return False  # the slow path removes control characters and reports them
    first, last = _edge_bytes(arrow)
    if all_true(pc.string_is_ascii(arrow)) or _ascii_and_cjk(arrow):
        if _is_ascii_space(first).any() or _is_ascii_space(last).any():
            return False
    elif not all_true(pc.equal(pc.utf8_normalize(arrow, "NFKC"), arrow)) or any_true(
        pc.match_substring_regex(arrow, _EDGE_SPACE)
    ):
        return False
    # the placeholders and missing markers all start with one of these bytes: test only if one does
    if _NOT_VALUE_FIRST_BYTES[first].any() and any_true(pc.is_in(arrow, value_set=_NOT_VALUES)):
        return False
    # an ID in scientific notation starts with a digit or a sign
    could_be_number = ((first >= ord("0")) & (first <= ord("9"))) | (first == ord("+")) | (first == ord("-"))
    return not (is_id and could_be_number.any() and any_true(pc.match_substring_regex(arrow, _ID_SCI)))


def _has_control(arrow: Any) -> bool:
    """Does a cell hold a control character `values` removes (NUL ...)? Bytes below 0x20 are
    rare in text (a tab, a line break): the exact test runs only on a chunk that has some."""
    for chunk in arrow.chunks:
        offsets = string_offsets(chunk)
        if len(offsets) < 2 or offsets[-1] == offsets[0]:
            continue
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        if (np.count_nonzero(data < 0x20) or np.count_nonzero(data == 0x7F)) and _CONTROL_BYTES[data].any():
            return True
    return False


def _ascii_and_cjk(arrow: Any) -> bool:
    """Is every character ASCII or a CJK ideograph of U+4000..U+9FFF (UTF-8 lead byte E4..E9)?

    Such text (names, plates, Chinese notes) is unchanged by NFKC and holds no Unicode space,
    so it needs only the ASCII checks: a pass over its bytes instead of normalising it.
    """
    for chunk in arrow.chunks:
        offsets = string_offsets(chunk)
        if len(offsets) < 2 or offsets[-1] == offsets[0]:
            continue
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        if np.count_nonzero((data >= 0xC0) & ((data <= 0xE3) | (data >= 0xEA))):
            return False  # another lead byte: another script, a full-width form, a Unicode space
    return True


def _edge_bytes(arrow: Any) -> tuple[np.ndarray, np.ndarray]:
    """The first and last byte of every non-empty cell (a null is empty)."""
    firsts, lasts = [], []
    for chunk in arrow.chunks:
        offsets = string_offsets(chunk)
        starts, ends = offsets[:-1], offsets[1:]
        present = ends > starts
        if chunk.null_count:
            present &= numpy_bool(chunk.is_valid())
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if present.any() else np.zeros(0, np.uint8)
        firsts.append(data[starts[present]])
        lasts.append(data[ends[present] - 1])
    empty = np.zeros(0, np.uint8)
    return (np.concatenate(firsts) if firsts else empty), (np.concatenate(lasts) if lasts else empty)


def _is_ascii_space(edge: np.ndarray) -> np.ndarray:
    """Tab..CR, FS..US and space: the ASCII characters str.strip() removes."""
    return ((edge >= 9) & (edge <= 13)) | ((edge >= 28) & (edge <= 32))


def _texts(
    arrow: Any, empty: Any, *, is_id: bool = False, allowed: list[str] | None = None
) -> np.ndarray | None:
    if allowed is not None:
        if not all_true(pc.or_(pc.is_in(arrow, value_set=pa.array(allowed, pa.string())), empty)):
            return None
    elif not clean_text(arrow, is_id=is_id):
        return None
    values = arrow_strings(arrow)
    if any_true(empty):
        values[numpy_bool(empty)] = None
    return values


# --------------------------------------------------------------------------- datetimes


def datetimes(arrow: Any, *, date_only: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """'YYYY-MM-DD', 'YYYY-MM-DD HH:MM' or 'YYYY-MM-DD HH:MM:SS' (one width per column); and
    where a time was 24:00 (read as the next day's 00:00, `dates.MIDNIGHT_24`)."""
    out = np.full(len(arrow), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    midnight = np.zeros(len(arrow), dtype=bool)
    position = 0
    chunks = [arrow.combine_chunks()] if arrow.num_chunks > 1 else arrow.chunks  # fewer, larger steps
    for chunk in chunks:
        stamps = _chunk_datetimes(chunk, midnight[position : position + len(chunk)])
        if stamps is None:
            return None
        out[position : position + len(chunk)] = stamps
        position += len(chunk)
    if date_only:
        out = out.astype("datetime64[D]").astype("datetime64[ns]")
    return out, midnight


def _chunk_datetimes(chunk: Any, midnight: np.ndarray) -> np.ndarray | None:
    """The chunk's datetimes; its cells written with 24:00 are marked in `midnight`."""
    n = len(chunk)
    out = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    if n == 0:
        return out
    buffers = chunk.buffers()
    offsets = string_offsets(chunk)
    lengths = np.diff(offsets)
    present = lengths > 0
    widths = np.unique(lengths[present])
    if len(widths) == 0:
        return out
    if len(widths) != 1 or int(widths[0]) not in (10, 16, 19):
        return None
    width = int(widths[0])
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    cells = data.reshape(-1, width)  # the present cells, back to back, in order
    stamped = _stamps(cells, width)
    if stamped is None:
        return None
    out[present], midnight[present] = stamped
    return out


_SHAPES = {10: "dddd-dd-dd", 16: "dddd-dd-dd dd:dd", 19: "dddd-dd-dd dd:dd:dd"}


def _stamps(cells: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    shape = _SHAPES[width]
    separators = [i for i, ch in enumerate(shape) if ch != "d"]
    expected = np.frombuffer(shape.encode(), dtype=np.uint8)[separators]
    if not (cells[:, separators] == expected).all():
        return None
    digit_at = [i for i, ch in enumerate(shape) if ch == "d"]
    if ((cells[:, digit_at] - np.uint8(48)) > 9).any():  # wraps below '0': one test for both sides
        return None

    def number(first: int, count: int) -> np.ndarray:
        value = np.zeros(len(cells), dtype=np.int64)
        for k in digit_at[first : first + count]:
            value = value * 10 + (cells[:, k].astype(np.int64) - 48)
        return value

    year, month, day = number(0, 4), number(4, 2), number(6, 2)
    zero = np.zeros(len(cells), dtype=np.int64)
    hour = number(8, 2) if width >= 16 else zero
    minute = number(10, 2) if width >= 16 else zero
    second = number(12, 2) if width == 19 else zero
    if (year.min() < YEAR_MIN) or (year.max() > YEAR_MAX) or month.min() < 1 or month.max() > 12:
        return None
    index = (year - YEAR_MIN) * 12 + month - 1  # into per-month tables: no calendar arithmetic per cell
    if day.min() < 1 or (day > _MONTH_LENGTH[index]).any():
        return None
    # 24:00 (and 24:00:00) is the end of the day: the next day's 00:00, which the sum below
    # gives as it stands (dates.MIDNIGHT_24); any other time past 23:59:59 is the slow path's
    midnight = (hour == 24) & (minute == 0) & (second == 0)
    if not (midnight | (hour <= 23)).all():
        return None
    if minute.max() > 59 or second.max() > 59:
        return None
    seconds = (_MONTH_START[index] + day - 1) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds * 1_000_000_000).view("datetime64[ns]"), midnight


def _month_tables() -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of the first of each month from YEAR_MIN to YEAR_MAX, and its length."""
    months = np.arange(np.datetime64(f"{YEAR_MIN}-01", "M"), np.datetime64(f"{YEAR_MAX + 1}-02", "M")).astype(
        "datetime64[D]"
    )
    starts = months.astype(np.int64)
    return starts[:-1], np.diff(starts)


_MONTH_START, _MONTH_LENGTH = _month_tables()
