"""Which file is which sheet, and what the folders of a data folder are.

File names: a file named after a sheet (`work_orders.csv`, `维修工单.xlsx`) is that sheet, and
so is one whose name starts with a sheet's name followed by a date or a suffix after a
separator (`维修工单_2024年5月.csv`, `维修工单2024-05.csv`, `work_orders-2024-05.csv`,
`work_orders (1).csv`); `维修工单明细.csv` is not (another word follows). Two candidates for
one sheet are an error naming both (`discover`).

Folders (`layout`): a folder holding sheet files is one store. A folder without sheet files
of its own is read from its sub-folders:

- sub-folders named like a month (`2024-05`, `202405`, `2024年5月`, `2024-05-xxx`) are
  periods of ONE store, read together (`group.merge_periods`: a key exported in two
  months' folders counts once, the later export's row);
- other sub-folders holding sheet files or a mapping file of their own (or month
  sub-folders that do) are the stores of a dealer group;
- a sub-folder with no sheet files (a downloads folder's clutter) is not read, and said;
  so are the sheet-holding sub-folders of a folder that holds sheet files itself.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..contract import SHEETS
from ..errors import InputError
from . import paths
from .names import MAPPING_FILE_NAME, SHEET_NAMES, normalize_header, sheet_for_name, stem, suffix
from .readers import OLD_EXCEL_EXTENSIONS, TEXT_EXTENSIONS, WORKBOOK_EXTENSIONS, raise_wrong_format, sniff
from .sheet_source import SheetSource, accepted_names
from .workbook_safety import DAMAGED_ZIP, inspect_workbook

#: what may follow a sheet's name in a file name: a separator, or a date's first digit
_AFTER_NAME = re.compile(r"[\s_\-.(\[—–~+#@,，、]|\d")
#: sheet names longest first: "客户问题记录及解决报告" before "客户问题记录"
_BY_LENGTH = sorted(SHEET_NAMES.items(), key=lambda item: len(item[0]), reverse=True)

_MONTH = re.compile(
    r"^(?P<y>(?:19|20)\d\d)\s*(?:[-_./]\s*(?P<m1>1[0-2]|0?[1-9])|(?P<m2>0[1-9]|1[0-2]))"
    r"(?:\d\d)?(?:$|[-_.\s(（\[].*$)"
)
_MONTH_ZH = re.compile(r"^(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>1[0-2]|0?[1-9])\s*月")


def sheet_for_file(stem: str) -> str | None:
    """The sheet a file's name (without extension) stands for: its whole name, or a sheet's
    name followed by a date or a suffix."""
    exact = sheet_for_name(stem)
    if exact is not None:
        return exact
    name = normalize_header(stem)
    for sheet_name, sheet in _BY_LENGTH:
        if name.startswith(sheet_name) and _AFTER_NAME.match(name, len(sheet_name)):
            return sheet
    return None


def period_of(name: str) -> tuple[int, int] | None:
    """(year, month) of a folder named like a month, else None."""
    text = normalize_header(name)
    match = _MONTH_ZH.match(text)
    if match:
        return int(match["y"]), int(match["m"])
    match = _MONTH.match(text)
    if match:
        return int(match["y"]), int(match["m1"] or match["m2"])
    return None


@dataclass
class Layout:
    """What `folder` is: one store, one store's month folders, or a dealer group's stores."""

    kind: Literal["store", "months", "group"]
    parts: list[Path] = field(default_factory=list)  # month folders (oldest first) or store folders
    ignored: list[Path] = field(default_factory=list)  # sub-folders not read
    own_sheets: bool = False  # a store whose folder holds sheet files itself


def holds_sheets(folder: Path) -> bool:
    """Does this folder hold sheet files of its own (two candidates for one sheet count)?"""
    try:
        return bool(discover(folder))
    except InputError:
        return True  # sheet files, in conflict: reading them says so


def layout(folder: Path, named: Sequence[str] = ()) -> Layout:
    """named: the file names and globs of the mapping file the sub-folders would be read with
    (`RO_DETAIL_*.csv`): a sub-folder holding such a file holds sheet files."""
    if not folder.is_dir():
        return Layout("store")
    subs = _subfolders(folder)
    if holds_sheets(folder):  # its own sheet files; sub-folders that hold some are said, not read
        return Layout("store", [], [p for p in subs if _readable(p, named)], own_sheets=True)
    months = sorted((p for p in subs if period_of(p.name) and _readable(p, named)), key=_month_order)
    stores = [p for p in subs if not period_of(p.name) and (_readable(p, named) or has_months(p, named))]
    if stores:
        return Layout("group", stores, [p for p in subs if p not in stores])
    if months:
        return Layout("months", months, [p for p in subs if p not in months])
    return Layout("store", [], subs)


def month_folders(folder: Path, named: Sequence[str] = ()) -> list[Path]:
    """A store folder's month sub-folders holding sheet files, oldest first ([] when the
    folder holds sheet files itself). named: as for `layout`."""
    if holds_sheets(folder):
        return []
    months = (p for p in _subfolders(folder) if period_of(p.name) and _readable(p, named))
    return sorted(months, key=_month_order)


def _readable(folder: Path, named: Sequence[str] = ()) -> bool:
    """A sub-folder sdkpi reads: it holds sheet files, a mapping file of its own, or a file
    the mapping it would be read with names (`RO_DETAIL_*.csv`: not a sheet by its name)."""
    if holds_sheets(folder) or (folder / MAPPING_FILE_NAME).is_file():
        return True
    return any(path.is_file() for pattern in named for path in folder.glob(pattern))


def has_months(folder: Path, named: Sequence[str] = ()) -> bool:
    return bool(month_folders(folder, named))


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if not p.name.startswith((".", "_")) and p.is_dir()]


def _month_order(path: Path) -> tuple[int, int, str]:
    period = period_of(path.name)
    assert period is not None
    return (*period, path.name)


# --------------------------------------------------------------------------- a data folder's sheet files


def discover(data: Path, named: Collection[str] = (), root: Path | None = None) -> dict[str, SheetSource]:
    """Which file (or worksheet) holds each sheet under `data` (a folder or one workbook).

    named: sheets whose file the mapping file names; files that look like them are
    not collected here (so two candidate files for such a sheet are no conflict).

    A folder: one file per sheet, named `<sheet>.csv|.xlsx|.tsv|.txt` or by a Chinese
    sheet name (matched after NFKC, case-insensitive), or starting with one followed by a
    date or a suffix (`discover.sheet_for_file`); dotfiles, `~$` Excel lock files
    and other files are ignored. A folder with no per-sheet file but a workbook: the
    workbook's worksheets named like sheets. A sheet with no file is absent.

    A folder, FIFO, device or dangling link named like a sheet file is that sheet's source
    all the same: reading it says what it is (never skipped silently). A workbook looked
    into here must lie inside the data folder (`root`, default: the real path of `data`;
    see `paths`): one that leads outside is refused before it is opened.
    """
    data = Path(data)
    if not data.exists():
        raise InputError(
            "the data path does not exist",
            file=str(data),
            hint="give the folder holding the DMS exports, or one workbook",
        )
    if not data.is_dir():
        return _discover_file(data, named)
    root = root if root is not None else paths.data_root(data)
    found: dict[str, SheetSource] = {}
    workbooks: list[Path] = []
    old_excel: list[Path] = []
    for entry in sorted(data.iterdir()):
        if entry.name.startswith((".", "~$")):
            continue
        ext = suffix(entry)
        sheet = sheet_for_file(stem(entry))
        if not entry.is_file():
            known = ext in TEXT_EXTENSIONS or ext in WORKBOOK_EXTENSIONS or ext in OLD_EXCEL_EXTENSIONS
            if known and sheet is not None and sheet not in named:
                _add_source(found, SheetSource(sheet, entry, None))  # not a regular file: read_sheet says so
            continue
        if ext in OLD_EXCEL_EXTENSIONS:
            if sheet is not None and sheet not in named:
                # read_sheet refuses it with what to do: only this sheet fails, the rest is computed
                _add_source(found, SheetSource(sheet, entry, None))
            elif sheet is None:
                old_excel.append(entry)
        elif ext in TEXT_EXTENSIONS or ext in WORKBOOK_EXTENSIONS:
            if sheet is not None:
                if sheet not in named:
                    _add_source(found, SheetSource(sheet, entry, None))
            elif ext in WORKBOOK_EXTENSIONS:
                workbooks.append(entry)
    if found:
        return _in_contract_order(found)
    if len(workbooks) == 1:
        paths.check_data_file(workbooks[0], root)
        for source in _worksheet_sources(workbooks[0]):
            _add_source(found, source)
    elif workbooks:
        for workbook in workbooks:
            try:
                paths.check_data_file(workbook, root)
                sources = _worksheet_sources(workbook)
            except InputError:
                continue  # one of several unrelated workbooks that cannot be opened: ignored
            for source in sources:
                _add_source(found, source)
    elif len(old_excel) == 1:
        raise_wrong_format(old_excel[0], None, sniff(old_excel[0]), "xls")
    return _in_contract_order(found)


def _discover_file(path: Path, named: Collection[str] = ()) -> dict[str, SheetSource]:
    paths.check_data_file(path, None)  # the user's own choice, but a regular file
    ext = suffix(path)
    stem_sheet = sheet_for_file(stem(path))
    kind = sniff(path)
    if ext in OLD_EXCEL_EXTENSIONS:
        raise_wrong_format(path, stem_sheet, kind, "xls")
    if kind == "zip" or ext in WORKBOOK_EXTENSIONS:
        if kind != "zip":
            raise_wrong_format(path, stem_sheet, kind, "xlsx")
        found: dict[str, SheetSource] = {}
        for source in _worksheet_sources(path):
            _add_source(found, source)
        if found:
            return _in_contract_order(found)
        if stem_sheet is not None:
            return {stem_sheet: SheetSource(stem_sheet, path, None)}
        if named:
            return {}  # the mapping file names the worksheets
        names = inspect_workbook(path, None).sheet_names
        raise InputError(
            "no worksheet of this workbook is named like a sheet",
            file=str(path),
            hint=f"worksheets found: {', '.join(names) or '(none)'}; accepted names: {accepted_names()}",
        )
    if stem_sheet is None:
        raise InputError(
            "cannot tell which sheet this file holds from its name",
            file=str(path),
            hint="name it after the sheet, e.g. work_orders.csv or 维修工单.csv; accepted: "
            + accepted_names(),
        )
    return {stem_sheet: SheetSource(stem_sheet, path, None)}


def _worksheet_sources(path: Path) -> list[SheetSource]:
    try:
        info = inspect_workbook(path, None)
    except DAMAGED_ZIP as err:
        raise InputError(
            f"damaged workbook: {err}", file=str(path), hint="open it in Excel and save it again as .xlsx"
        ) from err
    return [
        SheetSource(sheet, path, ws.name)
        for ws in info.sheets
        if (sheet := sheet_for_name(ws.name)) is not None
    ]


def _describe(source: SheetSource) -> str:
    return str(source.path) if source.worksheet is None else f"{source.path} [worksheet {source.worksheet!r}]"


def _add_source(found: dict[str, SheetSource], source: SheetSource) -> None:
    other = found.get(source.sheet)
    if other is not None:
        raise InputError(
            f"two files for sheet {source.sheet!r}: {_describe(other)} and {_describe(source)}",
            file=str(source.path),
            sheet=source.sheet,
            hint="keep one of them (move the other out of the folder), or name the file in the mapping file",
        )
    found[source.sheet] = source


def _in_contract_order(found: dict[str, SheetSource]) -> dict[str, SheetSource]:
    return {name: found[name] for name in SHEETS if name in found}
