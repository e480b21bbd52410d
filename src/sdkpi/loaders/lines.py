"""Line-level exports: one row per labour or part line, several rows per repair order.

Many DMS reports list a repair order once per labour operation (or part line): the order's
hours and amounts are the sum of its lines, and everything else (dates, advisor, pay type)
is repeated on each line. With the mapping's `lines:` block, `aggregate` makes one row per
key: the listed columns summed, every other contract column taken from the first line that
fills it, a line that says otherwise reported (naming both rows). Without it, a sheet whose
repeated keys carry different amounts is refused for the columns that differ
(`differing_amounts`): keeping the first line would print parts sales per RO at a third of
the true figure, with a status.

Everything is vectorised over key codes (one `factorize`, `bincount` sums); no per-row loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..contract import Sheet
from ..dataset import SheetData
from ..issues import DataIssue
from ..reasons import Reason

#: How many rows an issue lists by number before it says "and N more".
SHOWN_ROWS = 10


def key_codes(data: SheetData, key: str) -> np.ndarray:
    """One int per row, equal where the key (within its store, for a group's export) is;
    -1 where the key is empty."""
    keys = data.frame[key]
    codes, _ = pd.factorize(keys)
    if "store" in data.frame.columns and data.frame["store"].nunique() > 1:
        stores, _ = pd.factorize(data.frame["store"].fillna(""))
        pairs = stores.astype(np.int64) * (int(codes.max(initial=0)) + 2) + codes + 1
        codes = np.where(codes < 0, -1, pd.factorize(pairs)[0])
    return np.asarray(codes, dtype=np.int64)


def where(data: SheetData, position: int, files: Sequence[str] | None, row_files: np.ndarray | None) -> str:
    """A row as the user finds it: "row 12", or "RO_2.csv row 12" when a sheet spans files."""
    row = f"row {int(data.row_numbers[position])}"
    if files is None or row_files is None or len(files) < 2:
        return row
    from pathlib import Path

    return f"{Path(files[int(row_files[position])]).name} {row}"


def file_of(
    data: SheetData, position: int, files: Sequence[str] | None, row_files: np.ndarray | None
) -> str | None:
    if files is None or row_files is None or len(files) < 2:
        return data.file
    return files[int(row_files[position])]


def lines_hint(sheet: Sheet, key: str, columns: Sequence[str]) -> str:
    """The `lines:` block to add to the mapping file, as it would be written."""
    return (
        f"if each row is one line of a {key} (a line-level export), add to sdkpi-mapping.yaml:\n"
        f"sheets:\n  {sheet.name}:\n    lines:\n      key: {key}\n      sum: [{', '.join(columns)}]"
    )


def differing_amounts(
    data: SheetData,
    sheet: Sheet,
    issues: list[DataIssue],
    *,
    files: Sequence[str] | None = None,
    row_files: np.ndarray | None = None,
) -> list[str]:
    """The number columns whose values differ between rows of one key (no `lines:` declared).

    Each such column gets a reason in `data.column_reasons` (its KPIs have no data) and one
    error-level issue says which keys and rows, with the `lines:` block to add. Identical
    repeated rows are left to the duplicate-key warning.
    """
    key = sheet.key
    if key is None or key in data.missing_columns or not len(data.frame):
        return []
    codes = key_codes(data, key)
    present = codes >= 0
    if not present.any():
        return []
    counts = np.bincount(codes[present], minlength=int(codes.max()) + 1)
    repeated = present & (counts[np.where(present, codes, 0)] > 1)
    if not repeated.any():
        return []
    rows = np.flatnonzero(repeated)
    group = codes[rows]
    numbers = [
        c.name
        for c in sheet.columns
        if c.type == "number" and c.name in data.frame.columns and c.name not in data.missing_columns
    ]
    differ: list[str] = []
    first_bad: tuple[int, int] | None = None  # (row of the first line, row that differs)
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    first_of = np.repeat(rows[order][starts], np.diff(np.r_[starts, len(order)]))  # per sorted row
    for name in numbers:
        values = data.frame[name].to_numpy(dtype="float64", na_value=np.nan)
        if name in data.bad:
            values = np.where(data.bad[name], np.inf, values)  # an unreadable cell differs too
        mine = values[rows[order]]
        theirs = values[first_of]
        same = (mine == theirs) | (np.isnan(mine) & np.isnan(theirs))
        if not same.all():
            differ.append(name)
            at = int(np.flatnonzero(~same)[0])
            candidate = (int(first_of[at]), int(rows[order][at]))
            first_bad = candidate if first_bad is None or candidate[1] < first_bad[1] else first_bad
    if not differ:
        return []
    keys_differ = len(np.unique(sorted_group))
    assert first_bad is not None
    first, other = first_bad
    example = data.frame[key].iloc[first]
    reason = (
        f"{keys_differ} {key}s appear on several rows whose {', '.join(differ)} differ "
        f"(e.g. {key} {example}: {where(data, first, files, row_files)} and "
        f"{where(data, other, files, row_files)}). This looks like a line-level export: sdkpi "
        "neither keeps one line nor adds them up without being told, so the KPIs reading "
        f"{', '.join(differ)} have no data (hint: {lines_hint(sheet, key, differ)})"
    )
    issues.append(
        DataIssue(
            "error",
            "lines_not_declared",
            reason,
            sheet.name,
            file_of(data, other, files, row_files),
            int(data.row_numbers[other]),
            key,
            str(example),
        )
    )
    for name in differ:
        data.column_reasons[name] = Reason("lines_differ", key=key)
    return differ


def aggregate(
    data: SheetData,
    sheet: Sheet,
    key: str,
    summed: Sequence[str],
    issues: list[DataIssue],
    *,
    files: Sequence[str] | None = None,
    row_files: np.ndarray | None = None,
) -> tuple[SheetData, np.ndarray | None]:
    """One row per key: `summed` added up, the other columns from the first line that fills
    them (a line that disagrees is a warning naming both rows). A row without a key stays as
    it is. The row kept is the key's first line (its position and row number).
    Returns the sheet and, for a sheet read from several files, each kept row's file index."""
    frame = data.frame
    n = len(frame)
    if key in data.missing_columns or n == 0:
        return data, row_files
    codes = key_codes(data, key)
    # rows without a key: each its own group (reported already as a missing required value)
    lone = codes < 0
    if lone.any():
        base = int(codes.max(initial=-1)) + 1
        codes = codes.copy()
        codes[lone] = base + np.arange(int(lone.sum()))
    groups, first_pos, inverse = np.unique(codes, return_index=True, return_inverse=True)
    # groups in the order of their first line
    rank = np.empty(len(groups), dtype=np.int64)
    rank[np.argsort(first_pos, kind="stable")] = np.arange(len(groups))
    group = rank[inverse]
    keep = np.sort(first_pos)
    lines_per_key = np.bincount(group, minlength=len(keep))
    if (lines_per_key == 1).all():
        issues.append(_summary(sheet, data, n, len(keep), key))
        return data, row_files
    out: dict[str, object] = {}
    bad: dict[str, np.ndarray] = {}
    for name in frame.columns:
        column = frame[name]
        line_bad = data.bad.get(name)
        if name in summed:
            values = column.to_numpy(dtype="float64", na_value=np.nan)
            filled = ~np.isnan(values)
            if line_bad is not None:
                filled &= ~line_bad
            total = np.bincount(group, weights=np.where(filled, values, 0.0), minlength=len(keep))
            count = np.bincount(group, weights=filled.astype(np.float64), minlength=len(keep))
            # decimal amounts added in binary: 100.1 + 20.2 is 120.30000000000001; rounded to
            # 1e-9 the sum is the number the DMS prints for the order (120.3)
            out[name] = pd.Series(np.where(count > 0, np.round(total, 9), np.nan))
            if line_bad is not None and line_bad.any():  # a line that cannot be read: no sum
                bad[name] = np.bincount(group, weights=line_bad.astype(np.float64), minlength=len(keep)) > 0
            continue
        filled = column.notna().to_numpy()
        if line_bad is not None:
            filled &= ~line_bad
        # the first line filling it, per key (else the key's first line)
        source = keep.copy()
        positions = np.flatnonzero(filled)
        if len(positions):
            taken, first = np.unique(group[positions], return_index=True)
            source[taken] = positions[first]
        kept = column.iloc[source].reset_index(drop=True)
        out[name] = kept
        if line_bad is not None and line_bad.any():
            bad[name] = line_bad[source] & ~filled[source]
        if name != key and sheet.column(name) is not None and name != "store" and len(positions):
            _disagreements(data, sheet, key, name, column, filled, group, source, issues, files, row_files)
    new_frame = pd.DataFrame(out)
    new_frame.index = pd.RangeIndex(len(keep))
    issues.append(_summary(sheet, data, n, len(keep), key))
    data.frame = new_frame
    data.row_numbers = data.row_numbers[keep]
    if data.row_files is not None:
        data.row_files = data.row_files[keep]
    data.bad = {c: m for c, m in bad.items() if m.any()}
    return data, (row_files[keep] if row_files is not None else None)


def _disagreements(
    data: SheetData,
    sheet: Sheet,
    key: str,
    name: str,
    column: pd.Series,
    filled: np.ndarray,
    group: np.ndarray,
    source: np.ndarray,
    issues: list[DataIssue],
    files: Sequence[str] | None,
    row_files: np.ndarray | None,
) -> None:
    """A line whose value differs from the value kept for its key: one warning per key."""
    kept_at = source[group]
    mine = column.reset_index(drop=True)
    theirs = column.iloc[kept_at].reset_index(drop=True)
    differs = (mine != theirs).fillna(False).to_numpy(dtype=bool) & filled & filled[kept_at]
    if not differs.any():
        return
    positions = np.flatnonzero(differs)
    _, first = np.unique(group[positions], return_index=True)  # one report per key
    for position in positions[first]:
        kept = int(kept_at[position])
        issues.append(
            DataIssue(
                "warning",
                "lines_disagree",
                f"{key} {data.frame[key].iloc[kept]}: {name} is {_text(mine.iloc[position])} on "
                f"{where(data, int(position), files, row_files)} but {_text(theirs.iloc[position])} on "
                f"{where(data, kept, files, row_files)} (the first line's value is kept)",
                sheet.name,
                file_of(data, int(position), files, row_files),
                int(data.row_numbers[position]),
                name,
                str(mine.iloc[position]),
            )
        )


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return repr(value) if isinstance(value, str) else str(value)


def _summary(sheet: Sheet, data: SheetData, lines: int, keys: int, key: str) -> DataIssue:
    return DataIssue(
        "info",
        "lines_summed",
        f"{lines} lines read as {keys} records, one per {key} (the mapping's `lines:`)",
        sheet.name,
        data.file,
    )
