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

from ..contract import SHEETS
from ..dataset import Dataset, SheetData
from ..errors import InputError, UsageError
from ..evaluate import did_you_mean
from ..issues import DataIssue

Progress = Callable[[str, int, int], None]  # (store, done, total)


def store_folders(folder: Path) -> list[Path]:
    """The store subfolders of a dealer-group folder; [] when `folder` holds sheets itself."""
    from . import readers

    if not folder.is_dir():
        return []
    try:
        if readers.discover(folder):
            return []
    except InputError:
        return []  # sheet files of its own, in conflict: reading them says so (or the mapping file decides)
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))]
    return [p for p in subfolders if readers.discover(p)]


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


def merge_datasets(source: str, parts: list[tuple[str, Dataset]]) -> Dataset:
    """Stack per-store datasets; a sheet or column one store lacks is reported, not fatal."""
    merged = Dataset(source=source)
    for _store, dataset in parts:
        merged.issues.extend(dataset.issues)
    for name in SHEETS:
        present = [(store, d.sheets[name]) for store, d in parts if name in d.sheets]
        if not present:
            reasons = [d.missing.get(name, "sheet missing") for _, d in parts]
            merged.missing[name] = next((r for r in reasons if r != "sheet missing"), "sheet missing")
            continue
        for store, dataset in parts:
            if name not in dataset.sheets:
                merged.issues.append(_absent_sheet_issue(name, store, dataset.missing.get(name)))
        merged.sheets[name] = merge_sheets(name, present, merged.issues)
    return merged


def merge_sheets(name: str, parts: list[tuple[str, SheetData]], issues: list[DataIssue]) -> SheetData:
    """One sheet of several stores. A column some stores lack makes their rows unusable for
    the KPIs that read it (as a bad value would), instead of silently counting them as empty."""
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
                issues.append(_absent_column_issue(name, store, column, sheet.file))
            else:
                pieces.append(sheet.bad.get(column, np.zeros(size, dtype=bool)))
        bad[column] = np.concatenate(pieces) if pieces else np.zeros(0, dtype=bool)
    first = parts[0][1]
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
    )


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


def _absent_sheet_issue(sheet: str, store: str, reason: str | None) -> DataIssue:
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


def _absent_column_issue(sheet: str, store: str, column: str, file: str | None) -> DataIssue:
    return DataIssue(
        "warning",
        "store_column_missing",
        f"store {store!r} has no {column} column; its rows are left out of the KPIs that read it",
        sheet,
        file,
        None,
        column,
        store,
    )
