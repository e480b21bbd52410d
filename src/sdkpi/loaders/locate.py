"""Locate the records in a sheet's rows: the header row (title rows above it, two header
rows, columns without a header) and the total rows below (合计, Total). Shared by the CSV and
workbook readers, the typed lane (`typed_csv`) and the mapping drafter."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .names import normalize_header
from .sheet_source import Ctx, col_letter

#: Rows looked at when detecting the header row.
HEADER_SCAN_ROWS = 30


# --------------------------------------------------------------------------- header detection


def _match_count(cells: Sequence[str], expected: set[str]) -> int:
    return len({n for c in cells if (n := normalize_header(c)) and n in expected})


def _nonempty(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def detect_header(rows: list[tuple[int, list[str]]], ctx: Ctx, *, strict: bool = True) -> tuple[int, int]:
    """(index into rows, matches) of the header among the first non-blank rows.

    rows: (row number, cell texts) of non-blank rows, top of the sheet first.
    """
    scan = rows[:HEADER_SCAN_ROWS]
    counts = [_match_count(cells, ctx.expected) for _, cells in scan] if ctx.expected else []
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
        matches = counts[other] if other < len(counts) else _match_count(rows[other][1], ctx.expected)
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
