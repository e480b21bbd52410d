"""How `api.load_data` reads a data folder: one store's folder, a store's month folders, a
dealer group's store folders, each with the mapping file that applies to it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .loaders.names import MAPPING_FILE_NAME

if TYPE_CHECKING:
    from .dataset import Dataset, SheetData
    from .loaders.discover import Layout
    from .loaders.lane import Lane


def load_one(
    folder: Path,
    mapping: str | Path | None,
    group: Path | None = None,
    *,
    lane: Lane | None = None,
    columns: Mapping[str, Collection[str]] | None = None,
    on_sheet: Callable[[SheetData], None] | None = None,
) -> Dataset:
    """One store: its own mapping file, else the given one, else the group folder's."""
    from .loaders.sheets import load_dataset

    mapping_path = mapping_file(folder, mapping, group)
    options = None
    if mapping_path is not None:
        from .loaders.mapping import load_mapping

        options = load_mapping(mapping_path)
    return load_dataset(folder, options=options, lane=lane, columns=columns, on_sheet=on_sheet, root=group)


def load_store(
    folder: Path,
    mapping: str | Path | None,
    group: Path,
    *,
    lane: Lane | None,
    columns: Mapping[str, Collection[str]] | None,
) -> Dataset:
    """One store folder of a dealer group: its sheets, or its month folders."""
    from .loaders.discover import month_folders

    months = month_folders(folder, named_files(mapping_file(folder, mapping, group)))
    if months:
        return load_months(folder, months, mapping, group, lane=lane, columns=columns)
    return load_one(folder, mapping, group, lane=lane, columns=columns)


def load_months(
    folder: Path,
    months: list[Path],
    mapping: str | Path | None,
    group: Path | None,
    *,
    lane: Lane | None,
    columns: Mapping[str, Collection[str]] | None,
) -> Dataset:
    """One store kept as a folder per month (`exports/2024-04/`, `exports/2024-05/`): read
    together, a key in two months' exports once (the later). A month folder is read with its
    own mapping file, else the given one, else the store folder's (else the group's)."""
    from .contract import SHEETS
    from .loaders.group import merge_periods

    fallback = mapping_file(folder, mapping, group)
    if columns is not None:  # each sheet's key too: a key in two months' exports is settled on it
        columns = {name: {*wanted, *(k for k in [SHEETS[name].key] if k)} for name, wanted in columns.items()}
    parts = [(month.name, load_one(month, fallback, folder, lane=lane, columns=columns)) for month in months]
    return merge_periods(str(folder), parts)


def named_files(mapping: Path | None) -> list[str]:
    """The file names and globs a mapping file gives (what makes a sub-folder hold sheets)."""
    if mapping is None:
        return []
    from .loaders.mapping import load_mapping

    return [name for options in load_mapping(mapping).values() for name in options.files]


def say_layout(dataset: Dataset, folder: Path, found: Layout) -> None:
    """What a folder without sheet files of its own was read as: which stores or months, and
    which sub-folders were not read (an info note, shown by check and on stderr)."""
    from .issues import DataIssue

    if found.kind == "store" and not found.ignored:
        return
    names = ", ".join(p.name for p in found.parts)
    unread = ", ".join(p.name + "/" for p in found.ignored)
    if found.own_sheets:
        said = f"this folder's own sheet files are read; sub-folders with sheet files not read: {unread}"
        dataset.issues.insert(0, DataIssue("info", "folders_read", said, None, str(folder)))
        return
    said = {
        "group": f"read as a dealer group of {len(found.parts)} store folders: {names}",
        "months": f"read as one store's month folders: {names} (a key in two months counts once, the later)",
        "store": "no sheet files in this folder",
    }[found.kind]
    if found.ignored:
        said += "; not read (no sheet files): " + unread
    dataset.issues.insert(0, DataIssue("info", "folders_read", said, None, str(folder)))


def mapping_file(folder: Path, mapping: str | Path | None, group: Path | None = None) -> Path | None:
    """The mapping file a store folder is read with: its own, else the given one, else the group's."""
    mapping_path = Path(mapping) if mapping else None
    if folder.is_dir() and (folder / MAPPING_FILE_NAME).is_file() and (mapping_path is None or group):
        return folder / MAPPING_FILE_NAME
    if mapping_path is None and group is not None and (group / MAPPING_FILE_NAME).is_file():
        return group / MAPPING_FILE_NAME
    return mapping_path
