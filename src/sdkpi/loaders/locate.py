"""Locate the records in a sheet's rows: the header row (title rows above it, two header
rows, columns without a header, too many columns), the blank rows and the total rows below
(合计, Total). Shared by the CSV and workbook readers, the typed lane (`typed_csv`) and the
mapping drafter.

`detect_header` is the one rule for which row is the header; `header_matches` counts the
expected names a row holds, `is_blank_record` / `is_blank_cell` / `blank_mask` say what a
blank row or cell is, `Markers` what a total row starts with (`TOTAL_MARKERS` by default)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .names import normalize_header
from .sheet_source import TOTAL_MARKERS, Ctx, col_letter

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_COLUMNS",
    "TOTAL_MARKERS",
    "Markers",
    "blank_mask",
    "char_variants",
    "check_column_count",
    "check_header_columns",
    "detect_header",
    "header_matches",
    "is_blank_cell",
    "is_blank_record",
    "nonblank_any",
    "title_rows_issue",
    "total_rows_arrow",
    "total_rows_grid",
]

#: Rows looked at when detecting the header row.
HEADER_SCAN_ROWS = 30
#: A record sheet is a few dozen columns; 100 000 columns of a 1 MB CSV would take a minute to parse.
MAX_COLUMNS = 1_000


# --------------------------------------------------------------------------- header detection


def header_matches(cells: Sequence[str], expected: set[str]) -> int:
    """How many of the expected (normalised) header names a row holds: the score `detect_header`
    picks the header row by (at least 2, the most among the first rows)."""
    return len({n for c in cells if (n := normalize_header(c)) and n in expected})


def _nonempty(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def detect_header(rows: list[tuple[int, list[str]]], ctx: Ctx, *, strict: bool = True) -> tuple[int, int]:
    """(index into rows, matches) of the header among the first non-blank rows.

    rows: (row number, cell texts) of non-blank rows, top of the sheet first.
    """
    scan = rows[:HEADER_SCAN_ROWS]
    counts = [header_matches(cells, ctx.expected) for _, cells in scan] if ctx.expected else []
    best = max(counts, default=0)
    if best >= 2:
        index = counts.index(best)
        if strict:
            _check_two_header_rows(rows, counts, index, ctx)
        return index, best
    for index, (_, cells) in enumerate(scan):
        if _nonempty(cells) >= 2:  # a one-cell report title is not a header
            return index, 0
    return 0, 0


def _check_two_header_rows(
    rows: list[tuple[int, list[str]]], counts: list[int], index: int, ctx: Ctx
) -> None:
    """A header split over two rows (merged group cells): say how to set header_row."""
    row, cells = rows[index]
    best = counts[index]
    half_unmatched = 2 * best < _nonempty(cells)
    for other in (index - 1, index + 1):
        if not 0 <= other < len(rows) or rows[other][0] != row + (other - index):
            continue  # not the adjacent row
        matches = counts[other] if other < len(counts) else header_matches(rows[other][1], ctx.expected)
        if matches >= 2 or (matches >= 1 and half_unmatched and other == index + 1):
            first, second = sorted((row, rows[other][0]))
            raise ctx.error(
                f"the header seems to span two rows ({first} and {second}), e.g. merged group cells "
                "above the column names",
                row=row,
                value=" | ".join(c for c in cells if c.strip())[:200],
                hint="set header_row for this sheet in the mapping file (the row holding the column "
                "names), or unmerge the header cells so that one row holds every column name",
            )


def title_rows_issue(ctx: Ctx, header_row: int) -> None:
    above = "row 1" if header_row == 2 else f"rows 1-{header_row - 1}"
    ctx.issue(
        "info",
        "title_rows",
        f"{above} above the header row {header_row} skipped (title or blank)",
        row=header_row,
    )


def check_header_columns(
    headers: list[str], has_data: Sequence[bool], first_data: Any, ctx: Ctx, *, excel: bool
) -> list[int]:
    """Positions of the columns to keep; errors for blank headers over data and duplicates."""

    def where(i: int) -> str:
        return f"column {col_letter(i)}" if excel else f"column {i + 1} ({col_letter(i)} in Excel)"

    def label(i: int) -> str:
        return col_letter(i) if excel else str(i + 1)

    found = ", ".join(repr(h) for h in headers if h.strip())
    keep: list[int] = []
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        norm = normalize_header(header)
        if not norm:
            if has_data[i]:
                row, value = first_data(i)
                raise ctx.error(
                    f"{where(i)} holds data but has no header",
                    row=row,
                    column=label(i),
                    value=value,
                    hint=f"give the column a header (or delete it); headers found: {found}",
                )
            continue  # an empty column with no header: dropped
        if norm in seen:
            j = seen[norm]
            if ctx.expected and norm not in ctx.expected:
                # a header no column is read from (two `Gross` columns): the first is kept as an
                # extra column, this one left out, and said
                ctx.issue(
                    "info",
                    "duplicate_header",
                    f"header {header!r} in {where(j)} and {where(i)}: not a column sdkpi reads; "
                    f"{where(i)} is left out",
                    column=label(i),
                    value=header,
                )
                continue
            raise ctx.error(
                f"duplicate header {header!r} in {where(j)} and {where(i)}",
                column=label(i),
                value=header,
                hint=f"rename one of them; headers found: {found}",
            )
        seen[norm] = i
        keep.append(i)
    return keep


def check_column_count(columns: int, ctx: Ctx, row: int | None) -> None:
    """Refuse absurdly wide sheets before parsing them column by column."""
    if columns > MAX_COLUMNS:
        raise ctx.error(
            f"{columns} columns (limit {MAX_COLUMNS}): not a record sheet",
            row=row,
            hint="delete the unused columns, or check the delimiter in the mapping file",
        )


# --------------------------------------------------------------------------- blank rows


def is_blank_record(cells: Sequence[str]) -> bool:
    """A CSV record whose cells are all empty or whitespace: a blank row."""
    return not any(c.strip() for c in cells)


def is_blank_cell(value: Any) -> bool:
    return value is None or (value.__class__ is str and (value == "" or value.isspace()))


def blank_mask(column: Any) -> np.ndarray:
    """`is_blank_cell` for a column of Arrow strings: empty or whitespace only, per cell."""
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


def nonblank_any(columns: Sequence[Any], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for column in columns:
        out |= ~blank_mask(column)
    return out


# --------------------------------------------------------------------------- total rows


@dataclass(frozen=True)
class Markers:
    markers: tuple[str, ...]
    first_chars: frozenset[str]  # first characters of the normalised markers
    quick: frozenset[str]  # raw first characters a matching cell can start with
    arrow_pattern: str | None  # RE2 prefilter for pyarrow

    @classmethod
    def build(cls, markers: Sequence[str]) -> Markers:
        norm = tuple(dict.fromkeys(m for m in (normalize_header(x) for x in markers) if m))
        firsts: set[str] = set()
        quick: set[str] = set(" \t\r\n\u3000\xa0\ufeff")
        alternatives = []
        for marker in norm:
            firsts.add(marker[0])
            quick |= char_variants(marker[0])
            alternatives.append("".join(_re2_char(ch) for ch in marker[:8]))
        pattern = None
        if alternatives:
            pattern = r"^[\s\x{3000}\x{a0}\x{feff}]*(?:" + "|".join(alternatives) + ")"
        return cls(norm, frozenset(firsts), frozenset(quick), pattern)

    def cell(self, value: Any) -> bool:
        """match() for any cell value, with a cheap first-character test."""
        return value.__class__ is str and value[:1] in self.quick and self.match(value)

    def match(self, text: str) -> bool:
        """Does a cell's text start with a total marker (合计:, Total, 小计 张三, ...)?"""
        stripped = text.lstrip()
        if not stripped:
            return False
        first = unicodedata.normalize("NFKC", stripped[0]).lower()[:1]
        if first not in self.first_chars:
            return False
        norm = normalize_header(stripped[:64])
        for marker in self.markers:
            if norm.startswith(marker):
                rest = norm[len(marker) :]
                if marker[-1].isascii() and marker[-1].isalnum():
                    # a Latin word needs a boundary: "total:", "totals" but not "totally"
                    rest = rest[1:] if rest.startswith("s") else rest
                    if rest[:1].isascii() and rest[:1].isalnum():
                        continue
                return True
        return False


def char_variants(ch: str) -> set[str]:
    """A character, its upper case and their full-width forms."""
    variants = {ch, ch.upper()}
    return variants | {chr(ord(v) + 0xFEE0) for v in variants if "!" <= v <= "~"}


def _re2_char(ch: str) -> str:
    if ch == " ":
        return r"[\s\x{3000}\x{a0}]+"
    return "[" + "".join(re.escape(v) if v.isascii() else v for v in sorted(char_variants(ch))) + "]"


def total_rows_arrow(table: pa.Table, candidates: np.ndarray, columns: list[int], ctx: Ctx) -> dict[int, str]:
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
        unresolved &= blank_mask(table.column(i))
    for i in columns[3:]:
        if not unresolved.any():
            break
        nonblank = ~blank_mask(table.column(i))
        check(i, unresolved & nonblank)
        unresolved &= ~nonblank
    return found


def total_rows_grid(
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
