"""Find the sheet files and read each into a raw table of cells.

This layer knows nothing of KPIs and converts no values: it finds which file (or
worksheet) holds which sheet (`discover`), decides what a file really is from its
first bytes, decodes CSV text (UTF-8 with or without BOM, GB18030, UTF-16), finds
the header row, and returns the cells below it with the row number the user sees
in the file (`read_sheet` -> `RawSheet`). Header mapping and value parsing belong
to `sheets` and `values`.

Nothing is dropped silently: blank rows, total rows (合计/小计/Total) and ragged
CSV rows are skipped and returned as `DataIssue`s. Files that cannot be read as
asked (wrong format, undecodable bytes, duplicate or blank headers, hostile
workbooks) raise `InputError` with the file, sheet, row, column, value and a hint.

Speed: CSV is parsed with pyarrow (all columns as strings, no inference, no NA
conversion); Python's csv module is used for the header area and as a fallback.
Workbooks are read with python-calamine (openpyxl read-only is the fallback).
Before any workbook is parsed its zip directory and XML prologs are checked:
member count, total and per-member uncompressed size (the real inflated size, not
only the sizes the zip claims), compression ratio, and DOCTYPE/ENTITY
declarations (billion laughs, external entities) are rejected.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml  # noqa: F401  (imported before openpyxl so that openpyxl parses through it)
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from . import paths, workbook_safety
from .locate import (
    HEADER_SCAN_ROWS,
    Markers,
    check_header_columns,
    detect_header,
    title_rows_issue,
)
from .names import normalize_header
from .names import sheet_for_name as _sheet_for_name
from .names import suffix as _suffix
from .sheet_source import Ctx, RawSheet, ReadOptions, SheetSource, col_index
from .workbook_safety import (
    DAMAGED_ZIP,
    ZIP_MAGIC,
    WorkbookInfo,
    Worksheet,
    inflate,
    inspect_workbook,
    is_xml,
)

try:
    from .values import UNCALCULATED
except ImportError:  # pragma: no cover - values.py is written by another layer
    #: What an Excel reader puts in a cell holding a formula with no cached value.
    UNCALCULATED = "\x00uncalculated-formula"

__all__ = [
    "UNCALCULATED",
    "RawSheet",
    "ReadOptions",
    "SheetSource",
    "normalize_header",
    "read_sheet",
]

# --------------------------------------------------------------------------- limits and constants

#: A record sheet is a few dozen columns; 100 000 columns of a 1 MB CSV would take a minute to parse.
MAX_COLUMNS = 1_000
#: Cells (and shared strings) of the worksheet read, counted in its XML before parsing: reading
#: costs ~1 kB of memory per cell, and a 5 MB file within the size and ratio caps can hold 60M.
MAX_CELLS = 20_000_000

#: "calamine" (fast) or "openpyxl" (read-only mode); the other is the fallback.
XLSX_ENGINE = "calamine"

TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
OLD_EXCEL_EXTENSIONS = frozenset({".xls"})

_ZIP_EMPTY_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD_BYTES = 1 << 16
_ARROW_BLOCK_SIZE = 1 << 22
_DELIMITERS = (",", "\t", ";")
_NONSPACE = re.compile(rb"\S")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_EOL = re.compile(rb"\r\n|\r|\n")

# a CSV field may legitimately be long (notes); Python's default limit is 128 KiB
csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))


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
        return _read_xlsx(ctx)
    if kind == "zip" and ext not in TEXT_EXTENSIONS:
        return _read_xlsx(ctx)  # an unknown extension: the first bytes decide
    if kind in ("zip", "ole2", "html", "xml2003"):
        raise_wrong_format(path, source.sheet, kind, ext.lstrip(".") or "csv")
    return _read_csv(ctx)


# --------------------------------------------------------------------------- CSV


@dataclass
class _Text:
    buf: bytes  # UTF-8, BOM removed
    encoding: str  # as reported in RawSheet.encoding
    raw: bytes  # the file's bytes
    verified: bool  # the whole buffer is known to be valid UTF-8


@dataclass
class _Rec:
    line: int  # physical line where the record starts (1-based)
    end_line: int
    end: int  # byte offset in buf just after the record
    cells: list[str]


def _read_csv(ctx: Ctx) -> RawSheet:
    try:
        raw = paths.read_data(ctx.source.path)
    except OSError as err:
        raise ctx.error(f"cannot read the file: {err.strerror or err}") from err
    text = decode(raw, ctx)
    for _attempt in range(2):
        try:
            return _read_text(text, ctx)
        except _NotUtf8:
            if ctx.options.encoding:  # forced UTF-8: no GB18030 fallback
                bom = 3 if raw.startswith(codecs.BOM_UTF8) else 0
                try:
                    raw[bom:].decode("utf-8")
                except UnicodeDecodeError as err:
                    raise _undecodable(raw, ctx, [("UTF-8", err.start + bom)]) from err
            text = decode_8bit(raw, ctx, after_arrow=True)
    raise AssertionError("unreachable")  # pragma: no cover


class _NotUtf8(Exception):
    """The body was not valid UTF-8 although the head was."""


def decode(raw: bytes, ctx: Ctx) -> _Text:
    forced = ctx.options.encoding
    if forced:
        try:
            name = codecs.lookup(forced).name
        except LookupError as err:
            raise ctx.error(
                f"unknown encoding {forced!r}", value=forced, hint="use utf-8, gb18030 or utf-16"
            ) from err
        if name in ("utf-8", "utf-8-sig"):
            if raw.startswith(codecs.BOM_UTF8):
                return _Text(raw[3:], "utf-8-sig", raw, False)
            return _Text(raw, "utf-8", raw, False)
        label = {"gbk": "gb18030", "gb2312": "gb18030", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(
            name, name
        )
        return _transcode(raw, name, label, ctx)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _transcode(raw, "utf-16", "utf-16", ctx)
    if raw.startswith(codecs.BOM_UTF8):
        return decode_8bit(raw, ctx)
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        return _transcode(raw, utf16, "utf-16", ctx)
    return decode_8bit(raw, ctx)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM: every other byte is zero in ASCII-heavy text."""
    if len(head) < 8 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _transcode(raw: bytes, codec: str, label: str, ctx: Ctx) -> _Text:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as err:
        line = raw[: err.start].decode(codec, "replace").count("\n") + 1
        raise _undecodable(raw, ctx, [(codec, err.start)], line=line) from err
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Text(text.encode("utf-8"), label, raw, True)


def decode_8bit(raw: bytes, ctx: Ctx, *, after_arrow: bool = False) -> _Text:
    """Strict UTF-8 (BOM stripped), else GB18030; never a latin-1 fallback."""
    bom = 3 if raw.startswith(codecs.BOM_UTF8) else 0
    body = raw[bom:] if bom else raw
    if not after_arrow:
        head = body[:_HEAD_BYTES]
        if len(body) > _HEAD_BYTES:
            cut = head.rfind(b"\n")
            head = head[: cut + 1] if cut >= 0 else head
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head, final=len(body) <= _HEAD_BYTES)
            return _Text(body, "utf-8-sig" if bom else "utf-8", raw, False)
        except UnicodeDecodeError:
            pass
    try:
        body.decode("utf-8")
        return _Text(body, "utf-8-sig" if bom else "utf-8", raw, True)
    except UnicodeDecodeError as err:
        utf8_error = err.start
    prefix = body[:utf8_error]
    non_ascii = len(prefix) - len(prefix.translate(None, _HIGH_BYTES))
    if bom or non_ascii >= 16:
        # UTF-8 text up to there (a BOM, or Chinese that decoded fine): damaged, not GB18030
        raise _undecodable(raw, ctx, [("UTF-8", utf8_error + bom)], damaged=True)
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError as err:
        raise _undecodable(raw, ctx, [("UTF-8", utf8_error + bom), ("GB18030", err.start + bom)]) from err
    return _Text(text.encode("utf-8"), "gb18030", raw, True)


def _undecodable(
    raw: bytes, ctx: Ctx, failures: list[tuple[str, int]], *, damaged: bool = False, line: int = 0
) -> InputError:
    offset = min(o for _, o in failures)
    line = line or raw.count(b"\n", 0, offset) + 1
    tried = ", ".join(f"{name} fails at byte offset {o}" for name, o in failures)
    if damaged:
        message = (
            f"the file is UTF-8 text but the bytes at byte offset {offset} (line {line}) are not valid "
            "UTF-8: the file looks damaged"
        )
    else:
        message = f"undecodable bytes at byte offset {offset} (line {line}): {tried}"
    return ctx.error(
        message,
        row=line,
        value=raw[offset : offset + 8].hex(" "),
        hint="save the file again as 'CSV UTF-8' from Excel, or set encoding in the mapping file",
    )


def _lines(buf: bytes, start: int, ends: list[int]) -> Iterator[str]:
    """Decoded lines of buf from start, each with its terminator; ends[i] = end offset of line i."""
    pos = start
    n = len(buf)
    while pos < n:
        m = _EOL.search(buf, pos)
        end = m.end() if m else n
        ends.append(end)
        yield buf[pos:end].decode("utf-8")
        pos = end


def head_records(buf: bytes, delimiter: str, want: int, want_line: int = 0) -> tuple[list[_Rec], bool]:
    """The first records of the file (up to `want` non-blank ones and past want_line); at EOF?"""
    ends: list[int] = []
    reader = csv.reader(_lines(buf, 0, ends), delimiter=delimiter, quotechar='"', doublequote=True)
    records: list[_Rec] = []
    nonblank = 0
    prev = 0
    for cells in reader:
        rec = _Rec(prev + 1, reader.line_num, ends[reader.line_num - 1], cells)
        prev = reader.line_num
        records.append(rec)
        if any(c.strip() for c in cells):
            nonblank += 1
        if nonblank >= want and rec.end_line >= want_line:
            return records, rec.end >= len(buf)
    return records, True


def _read_text(text: _Text, ctx: Ctx) -> RawSheet:
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
        raise _NotUtf8 from err
    except csv.Error as err:
        raise ctx.error(f"the file cannot be read as CSV: {err}", hint="check the quotes") from err

    nonblank = [r for r in records if any(c.strip() for c in r.cells)]
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
    widths = [len(r.cells) for r in after if any(c.strip() for c in r.cells)]
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
    body = _Body(text, delimiter, header.end, header.end_line + 1, headers, core, width > len(headers))
    parsed = _parse_body_arrow(body, ctx, width)
    if parsed is None:
        parsed = _parse_body_python(body, ctx)
    _check_last_quote(body, parsed, ctx)
    return _finish_text(body, parsed, ctx, header.line)


def check_column_count(columns: int, ctx: Ctx, row: int | None) -> None:
    """Refuse absurdly wide sheets before parsing them column by column."""
    if columns > MAX_COLUMNS:
        raise ctx.error(
            f"{columns} columns (limit {MAX_COLUMNS}): not a record sheet",
            row=row,
            hint="delete the unused columns, or check the delimiter in the mapping file",
        )


def _count_lines(buf: bytes, start: int) -> int:
    """Physical lines from `start` to the end (\r\n, \r and \n end a line)."""
    lines = buf.count(b"\n", start)
    if buf.find(b"\r", start) >= 0:
        lines += buf.count(b"\r", start) - buf.count(b"\r\n", start)
    if start < len(buf) and not buf.endswith((b"\n", b"\r")):
        lines += 1
    return lines


def _check_last_quote(body: _Body, parsed: _Parsed, ctx: Ctx) -> None:
    """A quoted cell never closed swallows the rest of the file into one cell: an error, not data."""
    buf = body.text.buf
    if buf.find(b'"', body.start) < 0:
        return
    starts = [int(parsed.lines[-1])] if len(parsed.lines) else []
    last = max(starts + parsed.bad_lines[-1:], default=0)
    if not last:
        return
    # walk back from the end of the file to the line where the last record starts
    end = len(buf)
    for terminator in (b"\r\n", b"\n", b"\r"):
        if buf.endswith(terminator, body.start):
            end -= len(terminator)
            break
    pos = end
    for _ in range(body.first_line + _count_lines(buf, body.start) - last):
        nl = buf.rfind(b"\n", body.start, pos)
        cr = buf.rfind(b"\r", body.start, pos)
        brk = max(nl, cr)
        pos = brk - 1 if nl == brk and nl > 0 and buf[nl - 1 : nl] == b"\r" else brk
    tail = buf[max(pos, body.start) : end]
    if tail.startswith((b"\r", b"\n")):
        tail = tail[2:] if tail.startswith(b"\r\n") else tail[1:]
    if b'"' not in tail:
        return
    reader = csv.reader(io.StringIO(tail.decode("utf-8"), newline=""), delimiter=body.delimiter, strict=True)
    try:
        for _ in reader:
            pass
    except csv.Error as err:
        if "unexpected end of data" not in str(err):
            return
        lines = body.first_line + _count_lines(buf, body.start) - last
        raise ctx.error(
            f"a quoted cell starting on line {last} is never closed: the rest of the file "
            f"({lines} line{'s' if lines != 1 else ''}) would be read into one cell",
            row=last,
            value=tail[:80].decode("utf-8", "replace"),
            hint='close the quote (a quote inside a quoted cell is written "")',
        ) from err


def choose_delimiter(
    buf: bytes, ctx: Ctx, want: int, header_line: int, text: _Text
) -> tuple[str, list[_Rec]]:
    forced = ctx.options.delimiter
    if forced:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(forced.lower(), forced)
        return delimiter, head_records(buf, delimiter, want, header_line)[0]
    order = ("\t", ",", ";") if text.encoding == "utf-16" else _DELIMITERS
    best: tuple[tuple[int, int, int], str, list[_Rec]] | None = None
    for rank, delimiter in enumerate(order):
        records, _ = head_records(buf, delimiter, want, header_line)
        rows = [(r.line, r.cells) for r in records if any(c.strip() for c in r.cells)]
        _, matches = detect_header(rows, ctx, strict=False)
        widest = max((len(cells) for _, cells in rows[:HEADER_SCAN_ROWS]), default=0)
        score = (matches, widest, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    assert best is not None
    return best[1], best[2]


@dataclass
class _Body:
    text: _Text
    delimiter: str
    start: int  # byte offset of the first line below the header
    first_line: int  # its line number
    headers: list[str]
    core: int  # cells up to the last non-blank header
    trailing_habit: bool = False  # most rows end in separators beyond the header's width

    @property
    def width(self) -> int:
        return len(self.headers)


@dataclass
class _Parsed:
    table: pa.Table  # n = len(headers) string columns, good records only
    lines: np.ndarray  # int64, line where each table row starts
    ordinals: np.ndarray  # int64, record index (0-based, below the header) of each table row
    bad_ordinals: list[int]  # records dropped as ragged
    bad_lines: list[int]
    records: int  # records below the header


def _fit(cells: list[str], body: _Body) -> list[str] | None:
    """A row fitted to the header's width, or None when it is ragged."""
    n = body.width
    m = len(cells)
    if m == n:
        return cells
    if m < n:
        return cells + [""] * (n - m) if m >= body.core else None
    if all(not c.strip() for c in cells[n:]):
        return cells[:n]  # Excel's trailing separators
    return None


def _note_extra_cells(ctx: Ctx, body: _Body, line: int, cells: list[str]) -> None:
    """Empty cells beyond the header's width on a few rows only: kept, but flagged.

    A DMS that ends every line with a separator is fine; a row that alone has an
    extra (empty) cell may be a row whose values slid one column to the right.
    """
    if len(cells) > body.width and not body.trailing_habit:
        ctx.issue(
            "warning",
            "extra_cells",
            f"{len(cells)} cells where the header has {body.width}; the empty cells at the end were "
            "dropped — check that this row's values sit under the right headers",
            row=line,
            value=body.delimiter.join(cells)[:200],
        )


def _ragged_issue(ctx: Ctx, body: _Body, line: int, found: int, value: str) -> None:
    ctx.issue(
        "error",
        "ragged_row",
        f"expected {body.width} cells (as in the header row), found {found}; row dropped",
        row=line,
        value=value.rstrip("\r\n")[:200],
    )


def _arrow_options(width: int, delimiter: str, threads: bool, handler: Any) -> dict[str, Any]:
    names = [f"c{i}" for i in range(width)]
    return {
        "read_options": pacsv.ReadOptions(
            use_threads=threads,
            block_size=_ARROW_BLOCK_SIZE,
            column_names=names,
            autogenerate_column_names=False,
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: pa.large_string() for name in names},  # what pandas keeps: no cast
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=True,
        ),
    }


def _parse_body_arrow(body: _Body, ctx: Ctx, width: int) -> _Parsed | None:
    """Parse the body with pyarrow; None when pyarrow cannot (the Python parser then does)."""
    buf = body.text.buf
    start = body.start
    if start >= len(buf):
        return _Parsed(_empty_table(body.width), *(np.empty(0, np.int64),) * 2, [], [], 0)
    source = pa.py_buffer(buf).slice(start)
    invalid: list[tuple[int | None, int, str]] = []

    def handler(row: Any) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(source), **_arrow_options(width, body.delimiter, True, handler)
        )
        if invalid:  # a second, single-threaded pass numbers the invalid records
            invalid.clear()
            table = pacsv.read_csv(
                pa.BufferReader(source), **_arrow_options(width, body.delimiter, False, handler)
            )
    except pa.ArrowInvalid as err:
        if "utf8" in str(err).lower().replace("-", "") and not body.text.verified:
            raise _NotUtf8 from err
        return None
    if any(number is None for number, _, _ in invalid):
        return None  # pragma: no cover - single-threaded reads always number the rows

    # record ordinals and the line each record starts on
    total = table.num_rows + len(invalid)
    bad_ord = np.array([number - 1 for number, _, _ in invalid], dtype=np.int64)  # type: ignore[operator]
    good = np.ones(total, dtype=bool)
    good[bad_ord] = False
    good_ord = np.flatnonzero(good)
    extra = np.zeros(total, dtype=np.int64)  # line breaks inside quoted cells
    lone_cr = buf.find(b"\r", start) >= 0 and buf.count(b"\r", start) != buf.count(b"\r\n", start)
    if buf.find(b'"', start) >= 0:
        extra[good_ord] = _line_breaks(table, lone_cr)
        for k, (_, _, row_text) in enumerate(invalid):
            extra[bad_ord[k]] = _count_breaks(row_text)
    if _count_lines(buf, start) != total + int(extra.sum()):
        return None  # something pyarrow and we count differently: let Python's csv number the rows
    starts = body.first_line + np.arange(total, dtype=np.int64) + (np.cumsum(extra) - extra)

    # fit the table to the header's width
    keep = np.ones(table.num_rows, dtype=bool)
    bad_ordinals: list[int] = []
    if width > body.width:
        spill = _nonblank_any(table.columns[body.width :], table.num_rows)
        for pos in np.flatnonzero(spill):
            cells = [table.column(i)[int(pos)].as_py() for i in range(width)]
            _ragged_issue(ctx, body, int(starts[good_ord[pos]]), width, body.delimiter.join(cells))
            bad_ordinals.append(int(good_ord[pos]))
        keep &= ~spill
        table = table.select(list(range(body.width)))
    elif width < body.width:
        pad = pc.fill_null(pa.nulls(table.num_rows, pa.large_string()), "")
        for i in range(width, body.width):
            table = table.append_column(f"c{i}", pad)
    # the invalid records: ragged, or rescued (trailing separators, blank-looking lines)
    rescued: list[list[str]] = []
    rescued_ord: list[int] = []
    for k, (_, _, row_text) in enumerate(invalid):
        cells = next(csv.reader(io.StringIO(row_text, newline=""), delimiter=body.delimiter), [])
        ordinal = int(bad_ord[k])
        if not any(c.strip() for c in cells):
            rescued.append([""] * body.width)
        elif (fitted := _fit(cells, body)) is not None:
            _note_extra_cells(ctx, body, int(starts[ordinal]), cells)
            rescued.append(fitted)
        else:
            _ragged_issue(ctx, body, int(starts[ordinal]), len(cells), body.delimiter.join(cells))
            bad_ordinals.append(ordinal)
            continue
        rescued_ord.append(ordinal)
    if not keep.all():
        table = table.filter(pa.array(keep))
        good_ord = good_ord[keep]
    if rescued:
        extra_table = pa.table(
            {f"c{i}": pa.array([r[i] for r in rescued], pa.large_string()) for i in range(body.width)}
        )
        table = pa.concat_tables([table.rename_columns(extra_table.column_names), extra_table])
        ordinals = np.concatenate([good_ord, np.array(rescued_ord, dtype=np.int64)])
        order = np.argsort(ordinals, kind="stable")
        table = table.take(pa.array(order))
        good_ord = ordinals[order]
    bad_ordinals.sort()
    return _Parsed(
        table, starts[good_ord], good_ord, bad_ordinals, [int(starts[o]) for o in bad_ordinals], total
    )


def _count_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _line_breaks(table: pa.Table, lone_cr: bool) -> np.ndarray:
    total = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if lone_cr:
            counts = pc.count_substring_regex(column, r"\r\n|\r|\n")
        else:
            counts = pc.count_substring(column, "\n")
        total += counts.to_numpy().astype(np.int64, copy=False)
    return total


def _parse_body_python(body: _Body, ctx: Ctx) -> _Parsed:
    """Python's csv module: slower, numbers every record by reader.line_num."""
    try:
        text = body.text.buf[body.start :].decode("utf-8")
    except UnicodeDecodeError as err:  # pragma: no cover - arrow reports invalid UTF-8 first
        raise _NotUtf8 from err
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=body.delimiter, quotechar='"', doublequote=True
    )
    rows: list[list[str]] = []
    lines: list[int] = []
    ordinals: list[int] = []
    bad_ordinals: list[int] = []
    bad_lines: list[int] = []
    prev = 0
    ordinal = -1
    try:
        for ordinal, cells in enumerate(reader):
            line = body.first_line + prev
            prev = reader.line_num
            if not any(c.strip() for c in cells):
                fitted: list[str] | None = [""] * body.width
            else:
                fitted = _fit(cells, body)
            if fitted is None:
                _ragged_issue(ctx, body, line, len(cells), body.delimiter.join(cells))
                bad_ordinals.append(ordinal)
                bad_lines.append(line)
                continue
            _note_extra_cells(ctx, body, line, cells)
            rows.append(fitted)
            lines.append(line)
            ordinals.append(ordinal)
    except csv.Error as err:
        raise ctx.error(
            f"the file cannot be read as CSV: {err}", row=body.first_line + prev, hint="check the quotes"
        ) from err
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(body.width)]
    table = pa.table({f"c{i}": pa.array(list(col), pa.string()) for i, col in enumerate(columns)})
    return _Parsed(
        table,
        np.array(lines, dtype=np.int64),
        np.array(ordinals, dtype=np.int64),
        bad_ordinals,
        bad_lines,
        ordinal + 1,
    )


def _empty_table(width: int) -> pa.Table:
    return pa.table({f"c{i}": pa.array([], pa.string()) for i in range(width)})


def _blank_mask(column: Any) -> np.ndarray:
    empty = pc.equal(pc.binary_length(column), 0)
    if not _may_hold_spaces(column):  # the usual case: skip the per-character scan
        return np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    blank = pc.or_(empty, pc.utf8_is_space(column))
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


# First bytes of whitespace characters: ASCII tab..CR, FS..US, space; lead bytes of U+0085/U+00A0
# (C2), U+1680 (E1), U+2000..U+205F (E2), U+3000 (E3).
_SPACE_LEAD_BYTES = np.array([*range(9, 14), *range(28, 33), 0xC2, 0xE1, 0xE2, 0xE3], dtype=np.uint8)


def _may_hold_spaces(column: Any) -> bool:
    """Could a cell of this string column be whitespace only? (Some cell starts like whitespace.)"""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if chunk.null_count:
            return True
        wide = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
        offsets: np.ndarray = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
        starts = offsets[:-1][offsets[1:] > offsets[:-1]]
        if (
            len(starts)
            and np.isin(np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[starts], _SPACE_LEAD_BYTES).any()
        ):
            return True
    return False


def _nonblank_any(columns: Sequence[Any], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for column in columns:
        out |= ~_blank_mask(column)
    return out


def _finish_text(body: _Body, parsed: _Parsed, ctx: Ctx, header_row: int) -> RawSheet:
    table = parsed.table
    n = table.num_rows
    blank_cells = [_blank_mask(column) for column in table.columns]
    blank = np.logical_and.reduce(blank_cells) if blank_cells else np.ones(n, dtype=bool)

    # trailing blank lines are not rows; rows_in_file counts up to the last non-blank record
    last = max(
        int(parsed.ordinals[~blank].max()) if (~blank).any() else -1,
        max(parsed.bad_ordinals, default=-1),
    )
    rows_in_file = last + 1
    in_file = parsed.ordinals <= last

    # columns: blank headers over data, duplicates
    has_data = [bool((~b & in_file).any()) for b in blank_cells]

    def first_data(i: int) -> tuple[int, str]:
        pos = int(np.flatnonzero(~blank_cells[i])[0])
        return int(parsed.lines[pos]), str(table.column(i)[pos].as_py())

    keep_columns = check_header_columns(body.headers, has_data, first_data, ctx, excel=False)

    for pos in np.flatnonzero(blank & in_file):
        ctx.issue("info", "blank_row", "blank row skipped", row=int(parsed.lines[pos]))
    keep = ~blank

    totals = _total_rows_arrow(table, keep, keep_columns, ctx)
    for index, text in sorted(totals.items()):
        line = int(parsed.lines[index])
        ctx.issue("info", "total_row", f"total row skipped ({text.strip()})", row=line, value=text)
        keep[index] = False

    if not keep.all():
        table = table.filter(pa.array(keep))
    table = table.select(keep_columns)
    # pandas keeps str columns as large_string: casting first is ~10x cheaper than to_pandas' own
    # (a no-op for the Arrow reader's tables, which are read as large_string to begin with)
    table = table.cast(pa.schema([pa.field(name, pa.large_string()) for name in table.column_names]))
    data = table.to_pandas()
    data.columns = pd.RangeIndex(len(keep_columns))
    ctx.issues.sort(key=lambda i: i.row or 0)
    return RawSheet(
        ctx.source,
        "csv",
        body.text.encoding,
        body.delimiter,
        header_row,
        [body.headers[i] for i in keep_columns],
        data,
        parsed.lines[keep].astype(np.int64),
        ctx.issues,
        rows_in_file,
    )


def _total_rows_arrow(
    table: pa.Table, candidates: np.ndarray, columns: list[int], ctx: Ctx
) -> dict[int, str]:
    """Rows whose first non-empty cell, or a cell among the first three columns, is a total marker."""
    markers = Markers.build(ctx.options.total_markers)
    found: dict[int, str] = {}
    if markers.arrow_pattern is None or not columns or not candidates.any():
        return found

    def check(i: int, rows: np.ndarray) -> None:
        column = table.column(i)
        hit = np.asarray(
            pc.match_substring_regex(column, markers.arrow_pattern).to_numpy(zero_copy_only=False), dtype=bool
        )
        for pos in np.flatnonzero(hit & rows):
            text = column[int(pos)].as_py()
            if int(pos) not in found and markers.match(text):
                found[int(pos)] = text

    for i in columns[:3]:
        check(i, candidates)
    # rows whose first three columns are empty: their first non-empty cell
    unresolved = candidates.copy()
    for i in columns[:3]:
        unresolved &= _blank_mask(table.column(i))
    for i in columns[3:]:
        if not unresolved.any():
            break
        nonblank = ~_blank_mask(table.column(i))
        check(i, unresolved & nonblank)
        unresolved &= ~nonblank
    return found


# --------------------------------------------------------------------------- xlsx: reading


def _read_xlsx(ctx: Ctx) -> RawSheet:
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
    matching = [ws for ws in sheets if _sheet_for_name(ws.name) == ctx.sheet]
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
    engines = (
        (_grid_calamine, _grid_openpyxl) if XLSX_ENGINE == "calamine" else (_grid_openpyxl, _grid_calamine)
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


def is_blank_cell(value: Any) -> bool:
    return value is None or (value.__class__ is str and (value == "" or value.isspace()))


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
    for pos, text in sorted(_total_rows_grid(body, body_filled, keep, keep_columns, ctx).items()):
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


def _total_rows_grid(
    body: np.ndarray, filled: np.ndarray, candidates: np.ndarray, columns: list[int], ctx: Ctx
) -> dict[int, str]:
    """Rows whose first non-empty cell, or a text cell among the first three columns, is a total marker."""
    markers = Markers.build(ctx.options.total_markers)
    found: dict[int, str] = {}
    if not markers.markers or not columns:
        return found
    for j in columns[:3]:
        for pos, value in enumerate(body[:, j]):
            if pos not in found and candidates[pos] and markers.cell(value):
                found[pos] = value
    later = columns[3:]
    if later:
        first3_blank = ~filled[:, columns[:3]].any(axis=1) & candidates
        for row in np.flatnonzero(first3_blank):
            row_filled = filled[row, later]
            if row_filled.any():
                value = body[row, later[int(row_filled.argmax())]]
                if markers.cell(value):
                    found[int(row)] = value
    return found
