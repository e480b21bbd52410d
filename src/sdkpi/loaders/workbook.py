"""The read step, workbooks (.xlsx, .xlsm): choose the worksheet, scan the parts the reader
will parse (real inflated sizes, cell counts, formulas and error cells), read the grid with
python-calamine (openpyxl read-only is the fallback), and locate the records in it.

The zip directory and XML prologs are checked before any of this (`workbook_safety`).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml  # noqa: F401  (imported before openpyxl so that openpyxl parses through it)
import numpy as np
import pandas as pd

from ..errors import InputError
from . import paths, workbook_safety
from .locate import (
    HEADER_SCAN_ROWS,
    check_column_count,
    check_header_columns,
    detect_header,
    is_blank_cell,
    title_rows_issue,
    total_rows_grid,
)
from .names import normalize_header, sheet_for_name
from .sheet_source import UNCALCULATED, Ctx, RawSheet, col_index
from .workbook_safety import DAMAGED_ZIP, WorkbookInfo, Worksheet, inflate, inspect_workbook, is_xml

#: Cells (and shared strings) of the worksheet read, counted in its XML before parsing: reading
#: costs ~1 kB of memory per cell, and a 5 MB file within the size and ratio caps can hold 60M.
MAX_CELLS = 20_000_000

#: "calamine" (fast) or "openpyxl" (read-only mode); the other is the fallback.
#: `ReadOptions.xlsx_engine` chooses another for one read.
XLSX_ENGINE = "calamine"


def read_xlsx(ctx: Ctx) -> RawSheet:
    try:
        return _read_xlsx_checked(ctx)
    except DAMAGED_ZIP as err:
        raise ctx.error(
            f"damaged workbook: {err}", hint="open it in Excel and save it again as .xlsx"
        ) from err


def _read_xlsx_checked(ctx: Ctx) -> RawSheet:
    path = ctx.source.path
    info = inspect_workbook(path, ctx.sheet)
    worksheet = _choose_worksheet(info, ctx)
    scan = scan_members(path, info, worksheet, ctx)
    grid = read_grid(path, worksheet.name, ctx)
    if scan.formulas or scan.errors:
        patch_grid(grid, path, worksheet, scan)
    raw = _finish_grid(grid, ctx)
    raw.date1904 = info.date1904
    return raw


def _choose_worksheet(info: WorkbookInfo, ctx: Ctx) -> Worksheet:
    sheets = info.sheets
    found = ", ".join(repr(s.name) for s in sheets) or "(none)"
    wanted = ctx.source.worksheet
    if wanted is not None:
        for ws in sheets:
            if ws.name == wanted:
                return ws
        for ws in sheets:
            if normalize_header(ws.name) == normalize_header(wanted):
                return ws
        raise ctx.error(
            f"the workbook has no worksheet {wanted!r}",
            value=wanted,
            hint=f"worksheets found: {found}",
        )
    matching = [ws for ws in sheets if sheet_for_name(ws.name) == ctx.sheet]
    if len(matching) > 1:
        raise ctx.error(
            f"two worksheets for sheet {ctx.sheet!r}: {matching[0].name!r} and {matching[1].name!r}",
            hint="keep one, or name the worksheet in the mapping file",
        )
    if matching:
        return matching[0]
    if not sheets:
        raise ctx.error("the workbook has no worksheet", hint="export the sheet again")
    if len(sheets) == 1:
        return sheets[0]
    chosen = next((ws for ws in sheets if ws.visible), sheets[0])
    ctx.issue(
        "info",
        "worksheet_chosen",
        f"no worksheet is named like the sheet; read the first one, {chosen.name!r} (found: {found})",
        value=chosen.name,
    )
    return chosen


@dataclass
class _Scan:
    prefix: bytes = b""
    formulas: bool = False
    errors: bool = False


def scan_members(path: Path, info: WorkbookInfo, worksheet: Worksheet, ctx: Ctx) -> _Scan:
    """Inflate the parts the reader will parse, counting real sizes; look for formulas and error cells."""
    scan = _Scan()
    # the package and workbook parts (workbook, rels, sharedStrings, styles) and the worksheet;
    # other worksheets, charts and pivot caches are never parsed (their sizes and prologs were checked)
    base = posixpath.dirname(worksheet.member or "xl/worksheets/x.xml").rsplit("/", 1)[0]
    read_dirs = {"", "_rels", base, f"{base}/_rels"}
    budget = workbook_safety.MAX_UNCOMPRESSED_BYTES
    with zipfile.ZipFile(path) as zf, paths.open_data(path) as fh:
        for member in zf.infolist():
            name = member.filename
            if not is_xml(name) or (name != worksheet.member and posixpath.dirname(name) not in read_dirs):
                continue
            target = member.filename == worksheet.member
            strings = name.lower().endswith("sharedstrings.xml")
            tail = b""
            produced = 0
            items = 0
            formula_end = b"</f>"
            prefix = b""
            for chunk in inflate(fh, member, path, ctx.sheet, budget):
                if (target or strings) and not produced:
                    root = re.search(rb"<([A-Za-z_][\w.-]*:)?(?:worksheet|sst)\b", chunk)
                    prefix = (root.group(1) or b"") if root else b""
                if target or strings:
                    items += _count_items(chunk, prefix, b"c" if target else b"si")
                    if items > MAX_CELLS:
                        raise ctx.error(
                            f"{name} holds more than {MAX_CELLS} {'cells' if target else 'shared strings'}: "
                            "too large to read safely",
                            hint="export fewer months or fewer columns per file, or export CSV",
                        )
                if target:
                    if not produced:
                        found = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", chunk)
                        scan.prefix = (found.group(1) or b"") if found else b""
                        formula_end = b"</" + scan.prefix + b"f>"
                    # every formula group has one <f>...</f> (shared-formula followers are <f .../>)
                    seam = tail + chunk[:32]
                    if not scan.formulas and (formula_end in chunk or formula_end in seam):
                        scan.formulas = True
                    if not scan.errors and (b't="e"' in chunk or b't="e"' in seam):  # Excel's quoting
                        scan.errors = True
                    tail = chunk[-32:]
                produced += len(chunk)
            budget -= produced
    return scan


def _count_items(chunk: bytes, prefix: bytes, tag: bytes) -> int:
    """Start tags <c ...> / <c> (or <si>) in a chunk of XML; one split across chunks may be missed."""
    start = b"<" + prefix + tag
    return chunk.count(start + b" ") + chunk.count(start + b">")


def read_grid(path: Path, worksheet: str, ctx: Ctx) -> list[list[Any]]:
    """The worksheet from A1 as rows of Python values ("" or None for an empty cell)."""
    engine_name = ctx.options.xlsx_engine or XLSX_ENGINE
    engines = (
        (_grid_calamine, _grid_openpyxl) if engine_name == "calamine" else (_grid_openpyxl, _grid_calamine)
    )
    errors = []
    for engine in engines:
        try:
            return engine(path, worksheet)
        except InputError:
            raise
        except Exception as err:
            errors.append(f"{engine.__name__.removeprefix('_grid_')}: {err}")
    raise ctx.error(
        "the workbook cannot be read (" + "; ".join(errors) + ")",
        value=worksheet,
        hint="open it in Excel and save it again as .xlsx",
    )


def _grid_calamine(path: Path, worksheet: str) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        rows: list[list[Any]] = workbook.get_sheet_by_name(worksheet).to_python(skip_empty_area=False)
    finally:
        workbook.close()
    return rows


def _grid_openpyxl(path: Path, worksheet: str) -> list[list[Any]]:
    import openpyxl  # here, not at the top: a run reading CSV only never needs it (~40 ms)

    # openpyxl parses workbook XML through defusedxml whenever it is installed (imported above)
    if getattr(openpyxl, "DEFUSEDXML", False) is not True:  # pragma: no cover - a dependency
        raise RuntimeError("openpyxl is not using defusedxml; refusing to parse a workbook")
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = workbook[worksheet]
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    return rows


def patch_grid(grid: list[list[Any]], path: Path, worksheet: Worksheet, scan: _Scan) -> None:
    """Mark formulas with no cached value (UNCALCULATED) and restore Excel error cells ("#N/A")."""
    assert worksheet.member is not None
    with zipfile.ZipFile(path) as zf, paths.open_data(path) as fh:
        member = zf.getinfo(worksheet.member)
        xml = b"".join(inflate(fh, member, path, None, workbook_safety.MAX_UNCOMPRESSED_BYTES))
    p = re.escape(scan.prefix)
    marks: dict[tuple[int, int], str] = {}
    if scan.errors:
        cell = re.compile(rb"<" + p + rb"c\s([^>/]*?\bt=[\"']e[\"'][^>/]*)>(.*?)</" + p + rb"c>", re.DOTALL)
        value = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>([^<]*)</" + p + rb"v>")
        for m in cell.finditer(xml):
            ref = _cell_ref(m.group(1))
            v = value.search(m.group(2))
            if ref is not None and v is not None:
                marks[ref] = _xml_unescape(v.group(1).decode("utf-8", "replace"))
    if scan.formulas:
        formula = re.compile(
            rb"<"
            + p
            + rb"f\b[^>]*?(?:/>|>[^<]*</"
            + p
            + rb"f>)\s*(<"
            + p
            + rb"v\s*/>|<"
            + p
            + rb"v>\s*</"
            + p
            + rb"v>)?\s*</"
            + p
            + rb"c>"
        )
        start_tag = b"<" + scan.prefix + b"c"
        for m in formula.finditer(xml):
            pos = xml.rfind(start_tag, 0, m.start())
            while pos >= 0 and xml[pos + len(start_tag) : pos + len(start_tag) + 1] not in b" \t\r\n>":
                pos = xml.rfind(start_tag, 0, pos)
            if pos < 0:
                continue
            attrs = xml[pos + len(start_tag) : xml.find(b">", pos)]
            kind = re.search(rb"\bt=[\"']([^\"']*)[\"']", attrs)
            if m.group(1) is not None and kind is not None and kind.group(1) in (b"str", b"inlineStr"):
                continue  # a formula whose cached result is the empty string
            ref = _cell_ref(attrs)
            if ref is not None:
                marks.setdefault(ref, UNCALCULATED)
    if not marks:
        return
    width = max(max(c for _, c in marks) + 1, len(grid[0]) if grid else 0)
    height = max(max(r for r, _ in marks) + 1, len(grid))
    for row in grid:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    while len(grid) < height:
        grid.append([""] * width)
    for (r, c), mark in marks.items():
        if grid[r][c] in ("", None):
            grid[r][c] = mark


_REF = re.compile(rb"\br=[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")


def _cell_ref(attrs: bytes) -> tuple[int, int] | None:
    m = _REF.search(attrs)
    if m is None:
        return None  # a cell without its reference (rare writers): left as read
    return int(m.group(2)) - 1, col_index(m.group(1).decode())


def _xml_unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def cell_text(value: Any) -> str:
    """A header cell as text."""
    if value is None or (isinstance(value, str) and value == UNCALCULATED):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _grid_array(grid: list[list[Any]]) -> np.ndarray:
    """The grid as a 2-D object array (rows padded to one width)."""
    width = max((len(row) for row in grid), default=0)
    for row in grid:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    arr = np.empty((len(grid), width), dtype=object)
    if grid and width:
        arr[:, :] = grid
    return arr


def _finish_grid(grid: list[list[Any]], ctx: Ctx) -> RawSheet:
    arr = _grid_array(grid)
    height, width = arr.shape
    if not height or not width:
        return ctx.empty("xlsx", None, None)
    arr[arr == ""] = None
    blank_cell = arr == None  # noqa: E711  (element-wise)
    filled = ~blank_cell
    blank = ~filled.any(axis=1)
    # whitespace-only text (calamine already gives "" for ASCII spaces): rows whose first cell is such
    first = arr[np.arange(height), filled.argmax(axis=1)]
    for i in np.flatnonzero(~blank):
        value = first[i]
        if value.__class__ is str and value.isspace() and all(is_blank_cell(v) for v in grid[i]):
            blank[i] = True
    if blank.all():
        return ctx.empty("xlsx", None, None)
    check_column_count(int(np.flatnonzero(filled.any(axis=0))[-1]) + 1, ctx, row=None)

    header_row = ctx.options.header_row
    if header_row is not None:
        if header_row > height:
            raise ctx.error(
                f"header_row {header_row} is below the last row ({height}) of the worksheet",
                row=header_row,
                hint="header_row is the row number as Excel shows it",
            )
        h = header_row - 1
    else:
        candidates = [
            (i + 1, [cell_text(v) for v in arr[i]])
            for i in range(min(height, 4 * HEADER_SCAN_ROWS))
            if not blank[i]
        ]
        index, _ = detect_header(candidates, ctx)
        h = candidates[index][0] - 1
    if h > 0:
        title_rows_issue(ctx, h + 1)
    headers = [cell_text(v) for v in arr[h]]

    # data rows: below the header, up to the last non-blank row
    nonblank_below = np.flatnonzero(~blank[h + 1 :])
    end = h + 1 + (int(nonblank_below[-1]) + 1 if len(nonblank_below) else 0)
    body = arr[h + 1 : end]
    body_blank = blank[h + 1 : end]
    body_filled = filled[h + 1 : end]
    rows = len(body)

    def first_data(i: int) -> tuple[int, str]:
        pos = int(np.flatnonzero(body_filled[:, i])[0])
        return h + 2 + pos, cell_text(body[pos, i])

    has_data = list(body_filled.any(axis=0)) if rows else [False] * width
    keep_columns = check_header_columns(headers, has_data, first_data, ctx, excel=True)

    keep = ~body_blank
    for blank_pos in np.flatnonzero(body_blank):
        ctx.issue("info", "blank_row", "blank row skipped", row=h + 2 + int(blank_pos))
    for pos, text in sorted(total_rows_grid(body, body_filled, keep, keep_columns, ctx).items()):
        ctx.issue("info", "total_row", f"total row skipped ({text.strip()})", row=h + 2 + pos, value=text)
        keep[pos] = False

    data = pd.DataFrame(body[keep][:, keep_columns], dtype=object)
    data.columns = pd.RangeIndex(len(keep_columns))
    ctx.issues.sort(key=lambda i: i.row or 0)
    return RawSheet(
        ctx.source,
        "xlsx",
        None,
        None,
        h + 1,
        [headers[i] for i in keep_columns],
        data,
        (np.flatnonzero(keep) + h + 2).astype(np.int64),
        ctx.issues,
        rows,
    )
