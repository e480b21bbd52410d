"""What the data rows of a drafted sheet say: the rows below the header (total rows left
out, repeated header rows marked), the date order when dates are written 03/05/2024,
rows to skip (repeated headers, rows without a key) and keys on several rows (`lines`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..loaders import locate
from ..loaders.dates import YEAR_LAST
from ..loaders.names import normalize_header
from ..loaders.values import PLACEHOLDERS, SILENT_MISSING, parse_column
from .grid import Grid
from .model import Note, SheetDraft, SkipRule, SourceColumn, Why

_YEAR_LAST_FORM = re.compile(YEAR_LAST)  # 03/05/2024 [14:20]: the value parser's form


@dataclass
class Rows:
    """The data rows of a sheet's files below their header, total rows left out.

    raw: the cells as read (CSV text, workbook values), one column per header position;
    text: the same as stripped text ("" for empty); page: rows repeating the header.
    """

    files: np.ndarray  # file name per row
    lines: np.ndarray  # row number per row, as the user sees it
    raw: pd.DataFrame
    text: pd.DataFrame
    page: np.ndarray

    def column(self, position: int) -> pd.Series:
        """A column's raw values that hold a value (not empty, not a word the value parser
        reads as missing such as NULL or #N/A), page headers left out."""
        text = self.text[position]
        keep = ~self.page & ~text.isin(SILENT_MISSING | PLACEHOLDERS).to_numpy()
        return self.raw[position][keep].reset_index(drop=True)

    def where(self, index: int) -> tuple[str, int]:
        return str(self.files[index]), int(self.lines[index])


def _per_distinct(values: pd.Series, convert: Any) -> np.ndarray:
    """`convert` applied once per distinct value, spread back to every row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([convert(u) for u in uniques], dtype=object)[codes]


def data_rows(found: list[tuple[Grid, int, Why, int]], norm_headers: list[str], width: int) -> Rows:
    """Rows below the header, total rows left out (the readers skip them: 合计, Total)."""
    markers = locate.Markers.build(locate.TOTAL_MARKERS)
    files, lines, raws = [], [], []
    for grid, index, _, _ in found:
        below = grid.rows[index + 1 :]
        raw = pd.DataFrame([cells for _, cells in below], dtype=object)
        raws.append(raw.reindex(columns=range(width)))
        files += [grid.name] * len(below)
        lines += [line for line, _ in below]
    raw = pd.concat(raws, ignore_index=True) if raws else pd.DataFrame(columns=range(width), dtype=object)
    cell_text = found[0][0].text
    text = pd.DataFrame(
        {i: _per_distinct(raw[i], lambda v: "" if v is None or v is np.nan else cell_text(v)) for i in raw},
        dtype=object,
    )
    first = text.replace("", np.nan).bfill(axis=1).iloc[:, 0].fillna("") if width else pd.Series(dtype=object)
    total = np.zeros(len(raw), dtype=bool)
    for values in [*(text[i] for i in range(min(3, width))), first]:
        total |= _per_distinct(values, markers.match).astype(bool)
    named = [i for i, h in enumerate(norm_headers) if h]
    same = np.zeros(len(raw), dtype=int)
    for i in named:
        same += (_per_distinct(text[i], normalize_header) == norm_headers[i]).astype(int)
    keep = ~total
    return Rows(
        np.array(files, dtype=object)[keep],
        np.array(lines, dtype=np.int64)[keep],
        raw[keep].reset_index(drop=True),
        text[keep].reset_index(drop=True),
        (2 * same > len(named))[keep],
    )


def _year_last(values: pd.Series) -> list[tuple[int, int, str]]:
    """(first number, second number, text) of each date written with the year last."""
    out = []
    for value in values:
        if isinstance(value, str) and _YEAR_LAST_FORM.fullmatch(text := value.strip()):
            first, second = re.findall(r"[0-9]+", text)[:2]
            out.append((int(first), int(second), text))
    return out


def find_date_order(draft: SheetDraft, rows: Rows) -> None:
    """date_order when the dates are written 03/05/2024: the order the values prove, else TODO."""
    found: list[tuple[int, int, str]] = []
    for column in draft.columns:
        if column.target and column.kind in ("date", "datetime"):
            found += _year_last(pd.Series(pd.unique(rows.column(column.position).to_numpy(dtype=object))))
    if not found:
        return
    day_first = next((v for a, b, v in found if a > 12 and b <= 12), None)
    month_first = next((v for a, b, v in found if b > 12 and a <= 12), None)
    if day_first and not month_first:
        draft.date_order, draft.why_date_order = "dmy", Why("dmy", (day_first,))
    elif month_first and not day_first:
        draft.date_order, draft.why_date_order = "mdy", Why("mdy", (month_first,))
    else:
        example = found[0][2]
        draft.date_order, draft.why_date_order = "TODO", Why("date_order_todo", (example,))


def _quoted(text: str) -> str | None:
    if "'" not in text and "\\" not in text:
        return f"'{text}'"
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return None


def find_skip_rows(draft: SheetDraft, rows: Rows, headers: list[str]) -> None:
    """Repeated header rows and rows without a key: conditions on the raw text."""
    key = _key_column(draft)
    if key is None:
        return
    name, column = key
    pages = np.flatnonzero(rows.page)
    if len(pages):
        literal = _quoted(headers[column.position])
        if literal is not None:
            file, line = rows.where(int(pages[0]))
            reason = Why("page_headers", (file, str(line)))
            draft.skip_rows.append(SkipRule(f"{name} == {literal}", len(pages), reason))
    blank = np.flatnonzero(~rows.page & (rows.text[column.position] == "").to_numpy())
    if len(blank):
        file, line = rows.where(int(blank[0]))
        first = next((t for t in rows.text.iloc[int(blank[0])] if t), "")
        reason = Why("blank_key", (file, str(line), first[:40]))
        draft.skip_rows.append(SkipRule(f"{name} is null", len(blank), reason))


def _key_column(draft: SheetDraft) -> tuple[str, SourceColumn] | None:
    wanted = draft.sheet.key or next((c.name for c in draft.sheet.columns if c.required), None)
    for column in draft.columns:
        if column.target is not None and column.target == wanted:
            return column.target, column
    return None


def find_lines(draft: SheetDraft, rows: Rows, notes: list[Note]) -> None:
    """Keys on several rows whose amounts differ: a line-level export (`lines`)."""
    key = draft.sheet.key
    found = _key_column(draft)
    if key is None or found is None or found[0] != key:
        return
    _, key_column = found
    key_text = rows.text[key_column.position]
    keep = np.flatnonzero(~rows.page & (key_text != "").to_numpy())
    keys = key_text.iloc[keep].reset_index(drop=True)
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    numbers = [c for c in draft.columns if c.target and _contract_type(draft, c.target) == "number"]
    differing: list[str] = []
    example: tuple[str, int, int] | None = None
    key_codes, key_values = pd.factorize(keys)
    for column in numbers:
        name = str(column.target)
        raw = rows.raw[column.position].iloc[keep].reset_index(drop=True)
        spread = _distinct_per_key(key_codes, parse_column(raw, "number").values)
        if (spread > 1).any():
            differing.append(name)
            if example is None:
                first = int(np.flatnonzero(spread > 1)[0])
                where = np.flatnonzero(key_codes == first)[:2]
                example = (str(key_values[first]), int(keep[where[0]]), int(keep[where[1]]))
    count = int(keys[repeated].nunique())
    if not differing or example is None:
        notes.append(Note(Why("identical_duplicates", (str(count), key)), sheet=draft.sheet.name))
        return
    draft.lines = (key, [str(c.target) for c in numbers])
    (f1, l1), (f2, l2) = rows.where(example[1]), rows.where(example[2])
    draft.why_lines = Why("lines", (str(count), key, example[0], f1, f"{l1}, {l2}" if f1 == f2 else str(l1)))
    for column in draft.columns:
        if not column.target or column.target in differing or column in numbers:
            continue
        spread = _distinct_per_key(key_codes, rows.text[column.position].iloc[keep])
        if (spread > 1).any():
            reason = Why("lines_disagree", (column.header, str(int((spread > 1).sum())), key))
            notes.append(Note(reason, sheet=draft.sheet.name))


def _distinct_per_key(key_codes: np.ndarray, values: pd.Series) -> np.ndarray:
    """How many distinct values (a missing one counts as one) each key has."""
    value_codes, _ = pd.factorize(values, use_na_sentinel=False)
    width = int(value_codes.max(initial=0)) + 1
    pairs = np.unique(key_codes.astype(np.int64) * width + value_codes)
    return np.bincount(pairs // width, minlength=int(key_codes.max(initial=-1)) + 1)


def _contract_type(draft: SheetDraft, name: str) -> str | None:
    column = draft.sheet.column(name)
    return column.type if column else None
