"""The pipeline's last step, shared by both lanes (the general path in `sheets`, the typed
CSV lane in `typed_csv`): required values left empty, duplicate keys, the columns kept for a
computation, and how a data issue names a column."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa

from ..columns import ARROW_TEXT, categorical, is_category
from ..contract import Column, Sheet
from ..dataset import SheetData
from ..issues import DataIssue
from . import lines
from .names import normalize_header


def only_wanted(data: SheetData, sheet: Sheet, wanted: Collection[str] | None) -> SheetData:
    """With `wanted` (what a computation reads), only those columns and `store` stay in the frame.

    Every column was read, parsed and checked, its issues reported and its bad cells kept in
    `bad`; a computation that never looks at a column does not keep it in memory (for a
    million rows, a column of ID strings is ~70 MB).
    """
    if wanted is None:
        return data
    if len(data.row_numbers) and data.row_numbers.max() < 2**31:
        data.row_numbers = data.row_numbers.astype(np.int32)  # half the memory of int64
    unread = [c for c in data.frame.columns if c not in wanted and c != "store"]
    if unread:
        data.frame = data.frame.drop(columns=unread)
    # and its text as the typed lane holds it: codes for few distinct values, else Arrow strings
    texts = [c for c in data.frame.columns if data.frame[c].dtype == object]
    if texts:
        frame = data.frame.copy(deep=False)
        for name in texts:
            column = sheet.column(name)
            if is_category(name, column.type if column is not None else "text"):
                values = data.frame[name].to_numpy(dtype=object)
                frame[name] = categorical(pa.array(values, pa.large_string()))
            else:
                frame[name] = data.frame[name].astype(ARROW_TEXT)
        data.frame = frame
    return data


def issue_column(header: str, name: str) -> str:
    """How a data issue names a column: the file's header, with the canonical name after it
    when they differ (`开单时间 (opened_at)`)."""
    if normalize_header(header) == name or header.endswith(f"({name})"):
        return header
    return f"{header} ({name})"


def empty_column(column: Column, n: int) -> pd.Series:
    if column.type in ("datetime", "date"):
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if column.type == "number":
        return pd.Series(np.full(n, np.nan))
    if column.type == "bool":
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean"))
    return pd.Series([None] * n, dtype=object)


def check_required_values(
    data: SheetData, sheet: Sheet, unread_empty: dict[str, np.ndarray] | None = None
) -> list[DataIssue]:
    """A required cell left empty: reported (a row with no period date belongs to no period)."""
    issues = []
    unread_empty = unread_empty or {}
    for column in sheet.columns:
        if not column.required or column.name in data.missing_columns:
            continue
        if column.name in unread_empty:
            empty = unread_empty[column.name]
        else:
            empty = data.frame[column.name].isna().to_numpy()
        if column.name in data.bad:
            empty = empty & ~data.bad[column.name]  # bad cells were reported already
        for position in np.flatnonzero(empty):
            issues.append(
                DataIssue(
                    "warning",
                    "missing_required",
                    f"required value is empty ({column.zh})",
                    sheet.name,
                    data.file_at(int(position)),
                    int(data.row_numbers[position]),
                    column.name,
                    "",
                )
            )
    return issues


def drop_duplicate_keys(
    data: SheetData,
    sheet: Sheet,
    issues: list[DataIssue],
    *,
    files: list[str] | None = None,
    row_files: np.ndarray | None = None,
) -> SheetData:
    """Keep the first row of a duplicated unique key; report and skip the others.

    Repeated keys whose amounts or hours differ are not duplicates but the lines of a
    line-level export: an error, and the columns that differ have no data
    (`lines.differing_amounts`). files/row_files: a sheet stacked from several files.
    """
    key = sheet.key
    if key is None or key in data.missing_columns:
        return data
    keys = data.frame[key]
    ids = keys
    if "store" in data.frame.columns and data.frame["store"].nunique() > 1:
        # a dealer group's export: a key is unique within its store, stores may repeat it
        ids = pd.Series(_pair_codes(data.frame["store"], keys))
    duplicated = (ids.duplicated(keep="first") & keys.notna()).to_numpy()
    if not duplicated.any():
        return data
    lines.differing_amounts(data, sheet, issues, files=files, row_files=row_files)
    first_row = dict(zip(ids[~duplicated].to_numpy(), np.flatnonzero(~duplicated), strict=False))
    for position in np.flatnonzero(duplicated):
        value = keys.iloc[position]
        first = lines.where(data, first_row[ids.iloc[position]], files, row_files)
        issues.append(
            DataIssue(
                "warning",
                "duplicate_key",
                f"duplicate {key} (first at {first}); this row is skipped, the first one counts",
                sheet.name,
                lines.file_of(data, int(position), files, row_files),
                int(data.row_numbers[position]),
                key,
                str(value),
            )
        )
    keep = ~duplicated
    data.frame = data.frame[keep].reset_index(drop=True)
    data.row_numbers = data.row_numbers[keep]
    if data.row_files is not None:
        data.row_files = data.row_files[keep]
    data.bad = {c: m[keep] for c, m in data.bad.items()}
    return data


def _pair_codes(first: pd.Series, second: pd.Series) -> np.ndarray:
    """One int64 per row, equal exactly where both (first, second) values are equal."""
    first_codes, _ = pd.factorize(first.fillna(""))
    second_codes, uniques = pd.factorize(second)  # a missing value is -1
    return first_codes.astype(np.int64) * (len(uniques) + 1) + second_codes + 1
