"""Dealer groups: several stores read as one dataset with a `store` column.

Two layouts are accepted. All stores in one export: the sheets carry a `store`
column and load like any single store. One folder per store (`DATA/<store>/`):
a data folder that holds no sheet files itself but subfolders that do. Each
store folder is loaded on its own, its rows get the folder name as `store`
(unless they carry one), and the sheets are stacked. The result is the same
dataset as one export holding all stores, so every KPI, breakdown and
drill-down works unchanged and group totals come from summed parts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import SHEETS, Sheet
from ..dataset import Dataset, SheetData
from ..errors import UsageError
from ..issues import DataIssue
from ..reasons import Reason
from ..suggest import did_you_mean

Progress = Callable[[str, int, int], None]  # (store, done, total)


def store_folders(folder: Path) -> list[Path]:
    """The store subfolders of a dealer-group folder; [] when `folder` is one store (it holds
    sheets itself, or month folders: see `discover.layout`)."""
    from .discover import layout

    found = layout(folder)
    return found.parts if found.kind == "group" else []


def load_group(
    folder: Path, stores: list[Path], load_store: Callable[[Path], Dataset], progress: Progress | None = None
) -> Dataset:
    """Load each store folder with `load_store` and stack them into one dataset."""
    parts: list[tuple[str, Dataset]] = []
    for done, store_folder in enumerate(stores):
        if progress is not None:
            progress(store_folder.name, done, len(stores))
        dataset = load_store(store_folder)
        fill_store(dataset, store_folder.name)
        parts.append((store_folder.name, dataset))
    if progress is not None:
        progress("", len(stores), len(stores))
    return merge_datasets(str(folder), parts)


def fill_store(dataset: Dataset, store: str) -> None:
    """Rows without a store of their own belong to the folder's store."""
    for sheet in dataset.sheets.values():
        column = sheet.frame["store"] if "store" in sheet.frame.columns else None
        if column is None:
            sheet.frame["store"] = store
        else:
            sheet.frame["store"] = column.astype(object).where(column.notna(), store)
        sheet.missing_columns.discard("store")


def merge_datasets(source: str, parts: list[tuple[str, Dataset]], *, months: bool = False) -> Dataset:
    """Stack per-store (or, `months`, one store's per-month) datasets; a sheet or column one
    part lacks is reported, not fatal."""
    merged = Dataset(source=source)
    for _store, dataset in parts:
        merged.issues.extend(dataset.issues)
    for name in SHEETS:
        present = [(store, d.sheets[name]) for store, d in parts if name in d.sheets]
        if not present:
            reasons = [d.missing.get(name, Reason("sheet_missing")) for _, d in parts]
            merged.missing[name] = next((r for r in reasons if r != "sheet missing"), Reason("sheet_missing"))
            continue
        for store, dataset in parts:
            if name not in dataset.sheets:
                merged.issues.append(_absent_sheet_issue(name, store, dataset.missing.get(name), months))
        merged.sheets[name] = merge_sheets(name, present, merged.issues, months=months)
    return merged


def merge_periods(source: str, parts: list[tuple[str, Dataset]]) -> Dataset:
    """One store's month folders (oldest first) as one dataset. A key exported in two months'
    folders (an order opened in April and closed in May is in both exports) counts once: the
    later export's row, the earlier one reported (info, with its file and row)."""
    merged = merge_datasets(source, parts, months=True)
    for name, sheet in merged.sheets.items():
        _keep_latest(sheet, SHEETS[name], [(label, d.sheets.get(name)) for label, d in parts], merged.issues)
    return merged


def _keep_latest(
    data: SheetData, sheet: Sheet, parts: list[tuple[str, SheetData | None]], issues: list[DataIssue]
) -> None:
    from .lines import key_codes

    key = sheet.key
    if key is None or key in data.missing_columns or not len(data.frame):
        return
    present = [(label, part) for label, part in parts if part is not None]
    sizes = [len(part.frame) for _, part in present]
    part_of = np.repeat(np.arange(len(present)), sizes)
    codes = key_codes(data, key)
    earlier = pd.Series(codes).duplicated(keep="last").to_numpy() & (codes >= 0)
    if not earlier.any():
        return
    last_at = dict(zip(codes[~earlier], np.flatnonzero(~earlier), strict=False))
    for position in np.flatnonzero(earlier):
        later = last_at[codes[position]]
        label, part = present[part_of[position]]
        later_label, later_part = present[part_of[later]]
        issues.append(
            DataIssue(
                "info",
                "key_in_two_months",
                f"{key} {data.frame[key].iloc[position]} is also in the {later_label} export "
                f"({later_part.file}, row {int(data.row_numbers[later])}): the later export counts, "
                f"this row of {label} is skipped",
                sheet.name,
                part.file,
                int(data.row_numbers[position]),
                key,
                str(data.frame[key].iloc[position]),
            )
        )
    keep = ~earlier
    data.frame = data.frame[keep].reset_index(drop=True)
    data.row_numbers = data.row_numbers[keep]
    if data.row_files is not None:
        data.row_files = data.row_files[keep]
    data.bad = {c: m[keep] for c, m in data.bad.items()}


def merge_sheets(
    name: str, parts: list[tuple[str, SheetData]], issues: list[DataIssue], *, months: bool = False
) -> SheetData:
    """One sheet of several stores (or months). A column some stores lack makes their rows
    unusable for the KPIs that read it (as a bad value would), instead of silently counting
    them as empty."""
    missing_everywhere = set.intersection(*(sheet.missing_columns for _, sheet in parts))
    frame = pd.concat([sheet.frame for _, sheet in parts], ignore_index=True)
    sizes = [len(sheet.frame) for _, sheet in parts]
    bad: dict[str, np.ndarray] = {}
    columns = set().union(*(sheet.bad for _, sheet in parts))
    columns |= set().union(*(sheet.missing_columns for _, sheet in parts)) - missing_everywhere
    for column in sorted(columns):
        pieces = []
        for (store, sheet), size in zip(parts, sizes, strict=True):
            if column in sheet.missing_columns:
                pieces.append(np.ones(size, dtype=bool))
                issues.append(_absent_column_issue(name, store, column, sheet.file, months))
            else:
                pieces.append(sheet.bad.get(column, np.zeros(size, dtype=bool)))
        bad[column] = np.concatenate(pieces) if pieces else np.zeros(0, dtype=bool)
    first = parts[0][1]
    files, row_files = _row_files([sheet for _, sheet in parts])
    return SheetData(
        name=name,
        frame=frame,
        row_numbers=np.concatenate([sheet.row_numbers for _, sheet in parts]),
        bad=bad,
        missing_columns=missing_everywhere,
        file=_files_label([sheet.file for _, sheet in parts]),
        worksheet=first.worksheet,
        file_format=_same([sheet.file_format for _, sheet in parts]),
        encoding=_same([sheet.encoding for _, sheet in parts]),
        header_row=first.header_row,
        rows_in_file=sum(sheet.rows_in_file for _, sheet in parts),
        header_map=dict(first.header_map),
        column_reasons=_reasons([sheet for _, sheet in parts], missing_everywhere),
        files=files,
        row_files=row_files,
    )


def _row_files(sheets: list[SheetData]) -> tuple[list[str], np.ndarray | None]:
    """Each row's file, when a part was read from several files (else none is kept)."""
    if not any(sheet.row_files is not None for sheet in sheets):
        return [], None
    files: list[str] = []
    pieces = []
    for sheet in sheets:
        if sheet.row_files is not None and sheet.files:
            pieces.append(sheet.row_files + len(files))
            files += sheet.files
        else:
            pieces.append(np.full(len(sheet.frame), len(files), dtype=np.int64))
            files.append(str(sheet.file))
    return files, np.concatenate(pieces)


def _reasons(sheets: list[SheetData], missing_everywhere: set[str]) -> dict[str, str]:
    """A column in doubt in one part is in doubt in the whole (amounts that differ); one a part
    does not export only when no part does (else its rows are left out, as said above)."""
    reasons: dict[str, str] = {}
    for sheet in sheets:
        for column, reason in sheet.column_reasons.items():
            if column not in sheet.missing_columns or column in missing_everywhere:
                reasons.setdefault(column, reason)
    return reasons


def select_store(dataset: Dataset, store: str) -> Dataset:
    """Only the rows of one store. Data without any store column is left as it is
    (the name then only labels the result)."""
    known: set[str] = set()
    for sheet in dataset.sheets.values():
        known |= set(sheet.frame["store"].dropna().astype(str)) if "store" in sheet.frame.columns else set()
    if not known:
        return dataset
    if store not in known:
        raise UsageError(
            f"no store {store!r} in the data{did_you_mean(store, known)}",
            hint=f"stores: {', '.join(sorted(known))}",
        )
    picked = Dataset(dataset.source, {}, dict(dataset.missing), list(dataset.issues))
    for name, sheet in dataset.sheets.items():
        keep = (sheet.frame["store"] == store).to_numpy()
        sheet_copy = SheetData(**{**sheet.__dict__})
        sheet_copy.frame = sheet.frame[keep].reset_index(drop=True)
        sheet_copy.row_numbers = sheet.row_numbers[keep]
        if sheet.row_files is not None:
            sheet_copy.row_files = sheet.row_files[keep]
        sheet_copy.bad = {column: mask[keep] for column, mask in sheet.bad.items()}
        picked.sheets[name] = sheet_copy
    return picked


def _files_label(files: list[str | None]) -> str | None:
    present = [f for f in files if f]
    if not present:
        return None
    names = {Path(f).name for f in present}
    if len(names) == 1:
        return str(Path(present[0]).parent.parent / "*" / names.pop())
    return "; ".join(present)


def _same(values: list[str | None]) -> str | None:
    distinct = {v for v in values if v}
    return distinct.pop() if len(distinct) == 1 else ("mixed" if distinct else None)


def _absent_sheet_issue(sheet: str, store: str, reason: str | None, months: bool = False) -> DataIssue:
    if months:
        return DataIssue(
            "warning",
            "month_sheet_missing",
            f"month folder {store!r} has no {sheet} sheet ({reason or 'sheet missing'}); "
            "the KPIs on this sheet count the other months' exports only",
            sheet,
            None,
            None,
            None,
            store,
        )
    return DataIssue(
        "warning",
        "store_sheet_missing",
        f"store {store!r} has no {sheet} sheet ({reason or 'sheet missing'}); "
        "the group's KPIs on this sheet count the other stores only",
        sheet,
        None,
        None,
        None,
        store,
    )


def _absent_column_issue(
    sheet: str, store: str, column: str, file: str | None, months: bool = False
) -> DataIssue:
    what = f"month folder {store!r}" if months else f"store {store!r}"
    return DataIssue(
        "warning",
        "month_column_missing" if months else "store_column_missing",
        f"{what} has no {column} column; its rows are left out of the KPIs that read it",
        sheet,
        file,
        None,
        column,
        store,
    )
