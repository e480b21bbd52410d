"""The cells of an export as they are, row by row, for drafting its mapping.

Drafting looks at a file before anyone knows which row is the header or what the
columns mean, so it reads every row as cells, with the line (CSV) or row (Excel)
number the user sees. Decoding (UTF-8, GB18030, UTF-16), the delimiter choice, the
workbook safety checks and how files are opened are the readers' own (`readers`,
`csv_text`, `workbook`, `locate`, `paths`): nothing here decides them a second time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..loaders import csv_text, locate, names, paths, readers, sheet_source, workbook, workbook_safety
from ..loaders.names import normalize_header

#: rows read per file: enough to see every code, duplicate and page header of a month
MAX_ROWS = 200_000
_SCAN = 2 * locate.HEADER_SCAN_ROWS


@dataclass
class Grid:
    """One file (or worksheet): its non-blank rows as (row number, cells)."""

    path: Path
    worksheet: str | None
    file_format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    truncated: bool = False  # more than MAX_ROWS rows: the draft saw the first ones
    date1904: bool = False
    name: str = ""  # the file as the draft shows it: relative to the data folder

    def text(self, value: Any) -> str:
        """A cell as the user reads it ("" for empty)."""
        return workbook.cell_text(value).strip()


def read_grids(path: Path, expected: Collection[str]) -> list[Grid]:
    """Every sheet-like table of a file: a CSV is one, a workbook one per worksheet.

    expected: normalised header names that help choose the delimiter.
    Raises `InputError` when the file cannot be read as the readers would read it.
    """
    ext = names.suffix(path)
    if ext in readers.OLD_EXCEL_EXTENSIONS:
        readers.raise_wrong_format(path, None, readers.sniff(path), "xls")
    kind = readers.sniff(path)
    if kind == "empty":
        raise InputError("the file is empty", file=str(path), hint="export the sheet again")
    if kind == "zip":
        return _workbook(path, expected)
    if kind in ("ole2", "html", "xml2003"):
        readers.raise_wrong_format(path, None, kind, ext.lstrip(".") or "csv")
    return [_csv(path, expected)]


def _ctx(path: Path, expected: Collection[str], worksheet: str | None = None) -> Any:
    source = sheet_source.SheetSource("", path, worksheet)
    return sheet_source.Ctx(
        source, sheet_source.ReadOptions(), {normalize_header(e) for e in expected} - {""}
    )


def _csv(path: Path, expected: Collection[str]) -> Grid:
    ctx = _ctx(path, expected)
    try:
        raw = paths.read_data(path)
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror or err}", file=str(path)) from err
    text = csv_text.decode(raw, ctx)
    if not text.verified:
        try:
            text.buf.decode("utf-8")
        except UnicodeDecodeError:
            text = csv_text.decode_8bit(raw, ctx, after_arrow=True)
    delimiter, _ = csv_text.choose_delimiter(text.buf, ctx, _SCAN, 0, text)
    head, _ = csv_text.head_records(text.buf, delimiter, _SCAN)
    width = max((len(r.cells) for r in head), default=0)
    locate.check_column_count(width, ctx, row=None)  # not a record sheet: refused as the readers do
    want = min(MAX_ROWS, workbook.MAX_CELLS // max(width, 1))
    records, at_end = csv_text.head_records(text.buf, delimiter, want)
    rows: list[tuple[int, list[Any]]] = [
        (r.line, r.cells) for r in records if not locate.is_blank_record(r.cells)
    ]
    return Grid(path, None, "csv", text.encoding, delimiter, rows, truncated=not at_end)


def _workbook(path: Path, expected: Collection[str]) -> list[Grid]:
    try:
        info = workbook_safety.inspect_workbook(path, None)
        grids = []
        for worksheet in info.sheets:
            ctx = _ctx(path, expected, worksheet.name)
            scan = workbook.scan_members(path, info, worksheet, ctx)
            cells = workbook.read_grid(path, worksheet.name, ctx)
            if scan.formulas or scan.errors:
                workbook.patch_grid(cells, path, worksheet, scan)
            rows = [
                (number, list(row))
                for number, row in enumerate(cells[:MAX_ROWS], 1)
                if any(not locate.is_blank_cell(v) for v in row)
            ]
            grids.append(
                Grid(
                    path,
                    worksheet.name,
                    "xlsx",
                    None,
                    None,
                    rows,
                    truncated=len(cells) > MAX_ROWS,
                    date1904=info.date1904,
                )
            )
        return grids
    except workbook_safety.DAMAGED_ZIP as err:
        raise InputError(
            f"damaged workbook: {err}", file=str(path), hint="open it in Excel and save it again as .xlsx"
        ) from err
