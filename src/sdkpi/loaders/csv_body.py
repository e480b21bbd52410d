"""The read step, CSV body: the records below the header row as string cells, each with the
line it starts on; ragged rows (more or fewer cells than the header) are dropped and said.

Two parsers give the same result: `parse_body_python` (Python's csv module) is the reference,
`parse_body_arrow` (pyarrow, multi-threaded, all columns as strings, no inference, no NA
conversion) its speed-up. `parse_body` uses Arrow unless `ReadOptions.arrow` is False, and the
Python parser whenever Arrow declines. The rules both follow are written once: the CSV dialect
(`csv_text.csv_reader`, `QUOTE`), what ends a line (`csv_text.LINE_BREAK`), what a blank row
is (`locate.is_blank_record`, `locate.blank_mask`) and how a row is fitted to the header (`_fit`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .csv_text import LINE_BREAK, QUOTE, NotUtf8, Text, csv_reader
from .locate import blank_mask, check_header_columns, is_blank_record, nonblank_any, total_rows_arrow
from .sheet_source import Ctx, RawSheet

_ARROW_BLOCK_SIZE = 1 << 22


@dataclass
class Body:
    text: Text
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
class Parsed:
    table: pa.Table  # n = len(headers) string columns, good records only
    lines: np.ndarray  # int64, line where each table row starts
    ordinals: np.ndarray  # int64, record index (0-based, below the header) of each table row
    bad_ordinals: list[int]  # records dropped as ragged
    bad_lines: list[int]
    records: int  # records below the header


def parse_body(body: Body, ctx: Ctx, width: int) -> Parsed:
    """The body's records: Arrow's parse (unless `ctx.options.arrow` is False), else Python's."""
    parsed = parse_body_arrow(body, ctx, width) if ctx.options.arrow else None
    if parsed is None:
        parsed = parse_body_python(body, ctx)
    return parsed


def _fit(cells: list[str], body: Body) -> list[str] | None:
    """A row fitted to the header's width, or None when it is ragged."""
    n = body.width
    m = len(cells)
    if m == n:
        return cells
    if m < n:
        return cells + [""] * (n - m) if m >= body.core else None
    if is_blank_record(cells[n:]):
        return cells[:n]  # Excel's trailing separators
    return None


def _note_extra_cells(ctx: Ctx, body: Body, line: int, cells: list[str]) -> None:
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


def _ragged_issue(ctx: Ctx, body: Body, line: int, found: int, value: str) -> None:
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
            quote_char=QUOTE,
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


def parse_body_arrow(body: Body, ctx: Ctx, width: int) -> Parsed | None:
    """Parse the body with pyarrow, the speed-up of `parse_body_python`; None when pyarrow
    cannot (the Python parser then does)."""
    buf = body.text.buf
    start = body.start
    if start >= len(buf):
        return Parsed(_empty_table(body.width), *(np.empty(0, np.int64),) * 2, [], [], 0)
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
            raise NotUtf8 from err
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
        spill = nonblank_any(table.columns[body.width :], table.num_rows)
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
        cells = next(csv_reader(io.StringIO(row_text, newline=""), body.delimiter), [])
        ordinal = int(bad_ord[k])
        if is_blank_record(cells):
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
    return Parsed(
        table, starts[good_ord], good_ord, bad_ordinals, [int(starts[o]) for o in bad_ordinals], total
    )


def _count_breaks(text: str) -> int:
    """Line breaks (`LINE_BREAK`: \r\n, \r, \n) in a text, counted without a regex."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _line_breaks(table: pa.Table, lone_cr: bool) -> np.ndarray:
    total = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring_regex(column, LINE_BREAK) if lone_cr else pc.count_substring(column, "\n")
        total += counts.to_numpy().astype(np.int64, copy=False)
    return total


def parse_body_python(body: Body, ctx: Ctx) -> Parsed:
    """The reference parser, Python's csv module: slower, numbers every record by reader.line_num.

    Used when Arrow declines (a file it cannot parse, or lines it counts differently) and when
    `ReadOptions.arrow` is False (the tests hold the two parsers to the same result so)."""
    try:
        text = body.text.buf[body.start :].decode("utf-8")
    except UnicodeDecodeError as err:  # pragma: no cover - arrow reports invalid UTF-8 first
        raise NotUtf8 from err
    reader = csv_reader(io.StringIO(text, newline=""), body.delimiter)
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
            blank = is_blank_record(cells)
            fitted = [""] * body.width if blank else _fit(cells, body)
            if fitted is None:
                _ragged_issue(ctx, body, line, len(cells), body.delimiter.join(cells))
                bad_ordinals.append(ordinal)
                bad_lines.append(line)
                continue
            if not blank:  # a blank row is skipped as blank, as the Arrow parser does
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
    return Parsed(
        table,
        np.array(lines, dtype=np.int64),
        np.array(ordinals, dtype=np.int64),
        bad_ordinals,
        bad_lines,
        ordinal + 1,
    )


def _empty_table(width: int) -> pa.Table:
    return pa.table({f"c{i}": pa.array([], pa.string()) for i in range(width)})


def _count_lines(buf: bytes, start: int) -> int:
    """Physical lines from `start` to the end (`LINE_BREAK`: \r\n, \r and \n end a line)."""
    lines = buf.count(b"\n", start)
    if buf.find(b"\r", start) >= 0:
        lines += buf.count(b"\r", start) - buf.count(b"\r\n", start)
    if start < len(buf) and not buf.endswith((b"\n", b"\r")):
        lines += 1
    return lines


def check_last_quote(body: Body, parsed: Parsed, ctx: Ctx) -> None:
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
    reader = csv_reader(io.StringIO(tail.decode("utf-8"), newline=""), body.delimiter, strict=True)
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


def finish_text(body: Body, parsed: Parsed, ctx: Ctx, header_row: int) -> RawSheet:
    table = parsed.table
    n = table.num_rows
    blank_cells = [blank_mask(column) for column in table.columns]
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

    totals = total_rows_arrow(table, keep, keep_columns, ctx)
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
