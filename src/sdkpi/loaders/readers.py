"""The read step's door: read one sheet file into a raw table of cells (`read_sheet` -> `RawSheet`).

This step knows nothing of KPIs and converts no values. It decides what a file really is
from its first bytes (`sniff`; a file named .xlsx that is HTML is refused with what to do),
then reads CSV text (`csv_text`: decoding, delimiter, the first records; `csv_body`: the
records below the header) or a workbook (`workbook`), and locates the records among the rows
(`locate`: header row, title rows, blank and total rows). It returns the cells below the
header with the row number the user sees in the file. Which file holds which sheet is found
before (`discover`); header mapping and value parsing come after (`sheets`, `values`).

Nothing is dropped silently: blank rows, total rows (合计/小计/Total) and ragged
CSV rows are skipped and returned as `DataIssue`s. Files that cannot be read as
asked (wrong format, undecodable bytes, duplicate or blank headers, hostile
workbooks) raise `InputError` with the file, sheet, row, column, value and a hint.

Speed: CSV is parsed with pyarrow (all columns as strings, no inference, no NA
conversion); Python's csv module is used for the header area and as the reference parser
(`ReadOptions.arrow=False`, and whenever pyarrow declines). Workbooks are read with
python-calamine (openpyxl read-only is the fallback). Before any workbook is parsed its zip
directory and XML prologs are checked (`workbook_safety`): member count, total and per-member
uncompressed size (the real inflated size, not only the sizes the zip claims), compression
ratio, and DOCTYPE/ENTITY declarations (billion laughs, external entities) are rejected.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Collection
from pathlib import Path

from ..errors import InputError
from . import paths
from .csv_body import Body, check_last_quote, finish_text, parse_body
from .csv_text import NotUtf8, Text, choose_delimiter, decode, decode_8bit, undecodable
from .locate import HEADER_SCAN_ROWS, check_column_count, detect_header, is_blank_record, title_rows_issue
from .names import normalize_header
from .names import suffix as _suffix
from .sheet_source import Ctx, RawSheet, ReadOptions, SheetSource
from .workbook import UNCALCULATED, read_xlsx
from .workbook_safety import ZIP_MAGIC

__all__ = [
    "UNCALCULATED",
    "RawSheet",
    "ReadOptions",
    "SheetSource",
    "normalize_header",
    "read_sheet",
]

TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
OLD_EXCEL_EXTENSIONS = frozenset({".xls"})

_ZIP_EMPTY_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NONSPACE = re.compile(rb"\S")


# --------------------------------------------------------------------------- file kinds


def sniff(path: Path) -> str:
    """What a file really is, from its first bytes: empty, zip, ole2, html, xml2003, text."""
    try:
        with paths.open_data(path) as fh:
            head = fh.read(4096)
    except OSError as err:
        raise InputError(f"cannot open the file: {err.strerror or err}", file=str(path)) from err
    return _sniff_bytes(head)


def _sniff_bytes(head: bytes) -> str:
    if not head.strip():
        return "empty"
    if head.startswith((ZIP_MAGIC, _ZIP_EMPTY_MAGIC)):
        return "zip"
    if head.startswith(_OLE2_MAGIC):
        return "ole2"
    text = head
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if text.startswith(bom):
            text = text[len(bom) :]
            if bom != codecs.BOM_UTF8:
                text = text.decode(
                    "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be", "ignore"
                ).encode()
            break
    lower = text.lstrip().lower()
    if lower.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<meta")) or (
        lower.startswith(b"<") and (b"<html" in lower or b"<table" in lower)
    ):
        return "html"
    if lower.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return "xml2003"
    return "text"


_WHAT_IT_IS = {
    "zip": "an Excel workbook (.xlsx, a zip file)",
    "ole2": "an old binary Excel .xls workbook (or a password-protected workbook)",
    "html": "an HTML page (many DMS 'export to Excel' buttons write HTML)",
    "xml2003": "an Excel 2003 XML spreadsheet",
    "text": "a text (CSV) file",
    "empty": "an empty file",
}
_WHAT_TO_DO = {
    "zip": "rename it to .xlsx",
    "ole2": "old .xls format: open it in Excel and save as .xlsx (without a password)",
    "html": "open it in Excel and save as .xlsx (or export CSV from the DMS)",
    "xml2003": "open it in Excel and save as .xlsx",
    "text": "rename it to .csv",
    "empty": "export the sheet again",
}


def raise_wrong_format(path: Path, sheet: str | None, kind: str, named: str) -> None:
    if named == "xls" and kind == "ole2":
        message = "old .xls format; save as .xlsx"
    else:
        message = f"this file is named .{named} but is {_WHAT_IT_IS[kind]}"
    raise InputError(message, file=str(path), sheet=sheet, hint=_WHAT_TO_DO[kind])


# --------------------------------------------------------------------------- read_sheet


def read_sheet(
    source: SheetSource,
    options: ReadOptions | None = None,
    expected_headers: Collection[str] = (),
) -> RawSheet:
    """Read one sheet into raw cells with user-visible row numbers (see `RawSheet`).

    expected_headers: normalised canonical names and aliases of the sheet's columns,
    used to find the header row among the first rows.
    """
    options = options or ReadOptions()
    if options.header_row is not None and options.header_row < 1:
        raise InputError(
            f"header_row must be 1 or more, not {options.header_row}",
            file=str(source.path),
            sheet=source.sheet,
            hint="header_row is the row number as Excel shows it",
        )
    expected = {normalize_header(h) for h in expected_headers} - {""}
    path = source.path
    paths.check_data_file(path, None, source.sheet)  # a regular file (where: `sheets.load_dataset`)
    ext = _suffix(path)
    kind = sniff(path)
    ctx = Ctx(source, options, expected)
    if ext in OLD_EXCEL_EXTENSIONS:
        raise_wrong_format(path, source.sheet, kind, "xls")
    if ext in WORKBOOK_EXTENSIONS:
        if kind == "empty":
            return ctx.empty("xlsx", None, None)
        if kind != "zip":
            raise_wrong_format(path, source.sheet, kind, ext.lstrip("."))
        return read_xlsx(ctx)
    if kind == "zip" and ext not in TEXT_EXTENSIONS:
        return read_xlsx(ctx)  # an unknown extension: the first bytes decide
    if kind in ("zip", "ole2", "html", "xml2003"):
        raise_wrong_format(path, source.sheet, kind, ext.lstrip(".") or "csv")
    return _read_csv(ctx)


# --------------------------------------------------------------------------- CSV


def _read_csv(ctx: Ctx) -> RawSheet:
    try:
        raw = paths.read_data(ctx.source.path)
    except OSError as err:
        raise ctx.error(f"cannot read the file: {err.strerror or err}") from err
    text = decode(raw, ctx)
    for _attempt in range(2):
        try:
            return _read_text(text, ctx)
        except NotUtf8:
            if ctx.options.encoding:  # forced UTF-8: no GB18030 fallback
                bom = 3 if raw.startswith(codecs.BOM_UTF8) else 0
                try:
                    raw[bom:].decode("utf-8")
                except UnicodeDecodeError as err:
                    raise undecodable(raw, ctx, [("UTF-8", err.start + bom)]) from err
            text = decode_8bit(raw, ctx, after_arrow=True)
    raise AssertionError("unreachable")  # pragma: no cover


def _read_text(text: Text, ctx: Ctx) -> RawSheet:
    buf = text.buf
    if _NONSPACE.search(buf) is None:
        return ctx.empty("csv", text.encoding, ctx.options.delimiter)
    header_line = ctx.options.header_row or 0
    want = 2 * HEADER_SCAN_ROWS
    try:
        delimiter, records = choose_delimiter(buf, ctx, want, header_line, text)
    except UnicodeDecodeError as err:
        if text.verified:  # pragma: no cover - a verified buffer always decodes
            raise
        raise NotUtf8 from err
    except csv.Error as err:
        raise ctx.error(f"the file cannot be read as CSV: {err}", hint="check the quotes") from err

    nonblank = [r for r in records if not is_blank_record(r.cells)]
    if not nonblank:
        return ctx.empty("csv", text.encoding, delimiter)
    if header_line:
        header = next((r for r in records if r.line == header_line), None)
        if header is None:
            last = records[-1].end_line
            raise ctx.error(
                f"header_row {header_line} is not the start of a row"
                + (f" (the file has {last} lines)" if header_line > last else ""),
                row=header_line,
                hint="header_row is the line number of the header as a text editor shows it",
            )
    else:
        index, _ = detect_header([(r.line, r.cells) for r in nonblank], ctx)
        header = nonblank[index]
    headers = list(header.cells)
    if header.line > 1:
        title_rows_issue(ctx, header.line)
    after = [r for r in records if r.line > header.line]
    widths = [len(r.cells) for r in after if not is_blank_record(r.cells)]
    # the width pyarrow parses with: the usual width of the first rows (the header's on a tie)
    width = (
        max(set(widths), key=lambda w: (widths.count(w), w == len(headers), w)) if widths else len(headers)
    )
    core = max((i + 1 for i, h in enumerate(headers) if normalize_header(h)), default=0)
    check_column_count(max(width, core), ctx, row=header.line)
    if width < core and 2 * sum(w < core for w in widths) <= len(widths):
        width = len(headers)
    if width < core:
        raise ctx.error(
            f"most rows have {width} cells but the header row {header.line} has {core}",
            row=header.line,
            value=delimiter.join(headers)[:200],
            hint="check header_row and delimiter in the mapping file",
        )
    body = Body(text, delimiter, header.end, header.end_line + 1, headers, core, width > len(headers))
    parsed = parse_body(body, ctx, width)
    check_last_quote(body, parsed, ctx)
    return finish_text(body, parsed, ctx, header.line)
