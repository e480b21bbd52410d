"""The mapping's row and column shaping of one raw sheet, before any value is parsed.

- `derive`: a header feeding several canonical columns (`columns: {"Close Dat": [closed_at,
  invoiced_at]}`) and a column made of several headers (`combine: {opened_at: ["RO Date",
  "RO Time"]}`) become extra raw columns, each mapped to its canonical column; the cells are
  the file's text, so each is parsed and reported as any other column.
- `skip`: the `skip_rows` conditions (the KPI condition language, `sdkpi.expr`, on the
  canonical names over the raw cell text) drop report furniture: repeated page headers,
  sub-rows, rows with an empty key. Each rule's count is an info issue.
- `files`: the files a sheet is read from (names, globs, a list), in name order.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contract import Sheet
from ..errors import InputError
from ..issues import DataIssue
from . import readers
from .names import normalize_header
from .options import SheetOptions

#: A date cell carrying a midnight time ("2024-05-03 00:00:00") when the time is in its own
#: column: the midnight is dropped before the time is appended.
_MIDNIGHT = re.compile(r"[ T]0?0:00(?::00(?:\.0+)?)?$")


def files(folder: Path, patterns: Sequence[str], sheet: str) -> list[Path]:
    """Every file the mapping names for a sheet, each pattern's matches in name order
    (a file matched twice is read once). A pattern matching nothing is an error."""
    found: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(
                Path(p) for p in glob.glob(glob.escape(str(folder)) + "/" + pattern) if not Path(p).is_dir()
            )
            if not matches:
                raise InputError(
                    f"no file matches {pattern!r}",
                    file=str(folder / pattern),
                    sheet=sheet,
                    hint="check the file: pattern in sdkpi-mapping.yaml (a name, a glob such as "
                    "RO_*.csv, or a list)",
                )
        else:
            matches = [folder / pattern]
        found += [m for m in matches if m not in found]
    return found


def derive(
    raw: readers.RawSheet, sheet: Sheet, opts: SheetOptions, issues: list[DataIssue]
) -> dict[int, str | None]:
    """Add the derived raw columns; position -> canonical column for each of them, and None
    for a header used by `combine` (read only through the combination)."""
    fixed: dict[int, str | None] = {}
    if not (opts.also or opts.combine):
        return fixed
    positions: dict[str, int] = {}
    for position, header in enumerate(raw.headers):
        positions.setdefault(normalize_header(header), position)
    file = str(raw.source.path)
    for header, targets in opts.also.items():
        at = positions.get(normalize_header(header))
        if at is None:
            continue  # the first target is reported missing as any mapped column would be
        for target in targets:
            fixed[_append(raw, f"{raw.headers[at]} ({target})", raw.data[at])] = target
    for target, headers in opts.combine.items():
        found = [positions.get(normalize_header(h)) for h in headers]
        lost = [h for h, p in zip(headers, found, strict=True) if p is None]
        if lost:
            issues.append(
                DataIssue(
                    "error",
                    "missing_column",
                    f"combine: {target} is made of {' + '.join(headers)}, but "
                    f"{', '.join(map(repr, lost))} is not a header of this file",
                    sheet.name,
                    file,
                    None,
                    target,
                )
            )
            continue
        sources = [p for p in found if p is not None]
        parts = [_cell_text(raw.data[p]) for p in sources]
        for p in sources:
            fixed[p] = None  # read through the combination only
        label = " + ".join(raw.headers[p] for p in sources)
        fixed[_append(raw, label, pd.Series(_join(parts), dtype=object))] = target
    return fixed


def _append(raw: readers.RawSheet, header: str, cells: pd.Series) -> int:
    position = len(raw.headers)
    raw.headers.append(header)
    raw.data[position] = cells.reset_index(drop=True).to_numpy()
    return position


def _cell_text(cells: pd.Series) -> np.ndarray:
    """A raw column as stripped text ("" when empty); Excel date and time cells as ISO text."""
    if cells.dtype == object and not all(isinstance(v, str) for v in cells.head(1000)):
        return np.array([_one_text(v) for v in cells], dtype=object)
    return cells.astype(object).fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _one_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Cells joined with a space; the first (the date) loses a midnight when a time follows."""
    first = pd.Series(parts[0], dtype=object)
    rest = [pd.Series(p, dtype=object) for p in parts[1:]]
    later = rest[0].str.len() > 0
    for other in rest[1:]:
        later |= other.str.len() > 0
    first = first.where(~later, first.str.replace(_MIDNIGHT, "", regex=True))
    joined = first
    for other in rest:
        joined = (joined + " " + other).str.strip()
    return joined.to_numpy(dtype=object)


def skip(
    raw: readers.RawSheet,
    header_map: dict[int, str],
    sheet: Sheet,
    rules: Sequence[str],
    issues: list[DataIssue],
) -> None:
    """Drop the rows a `skip_rows` rule matches (first matching rule counts it), in place."""
    if not rules or not len(raw.data):
        return
    from ..evaluate import Frame, evaluate_mask
    from ..expr import columns, parse

    nodes = [parse(rule) for rule in rules]
    names = set().union(*(columns(node) for node in nodes))
    position_of = {canonical: position for position, canonical in header_map.items()}
    n = len(raw.data)
    cells = {}
    for name in names:
        position = position_of.get(name)
        text = _cell_text(raw.data[position]) if position is not None else np.full(n, "", dtype=object)
        cells[name] = pd.Series(text, dtype=object).where(text != "", None)
    frame = Frame(pd.DataFrame(cells, index=pd.RangeIndex(n)), {name: "text" for name in names})
    dropped = np.zeros(n, dtype=bool)
    file = str(raw.source.path)
    for rule, node in zip(rules, nodes, strict=True):
        hit = evaluate_mask(node, frame) & ~dropped
        dropped |= hit
        rows = raw.row_numbers[hit]
        shown = ", ".join(str(int(r)) for r in rows[:10])
        shown += f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        issues.append(
            DataIssue(
                "info",
                "skip_rows",
                f"skip_rows {rule!r}: {len(rows)} rows skipped" + (f" (rows {shown})" if len(rows) else ""),
                sheet.name,
                file,
                int(rows[0]) if len(rows) else None,
            )
        )
    if dropped.any():
        keep = ~dropped
        raw.data = raw.data[keep].reset_index(drop=True)
        raw.row_numbers = raw.row_numbers[keep]


def stack(sheet: Sheet, parts: list[Any], issues: list[DataIssue]) -> tuple[Any, np.ndarray]:
    """The files of one sheet as one sheet, and each row's file (its index in `parts`).

    A contract column one file lacks (and another has) makes that file's rows unusable for
    the KPIs that read it, as a bad cell would, and is said once per file.
    """
    from ..dataset import SheetData

    missing_everywhere = set.intersection(*(part.missing_columns for part in parts))
    sizes = [len(part.frame) for part in parts]
    bad: dict[str, np.ndarray] = {}
    columns = set().union(*(part.bad for part in parts))
    columns |= set().union(*(part.missing_columns for part in parts)) - missing_everywhere
    for column in sorted(columns):
        pieces = []
        for part, size in zip(parts, sizes, strict=True):
            if column in part.missing_columns:
                pieces.append(np.ones(size, dtype=bool))
                issues.append(
                    DataIssue(
                        "warning",
                        "file_column_missing",
                        f"this file has no {column} column (the sheet's other files have it); "
                        "its rows are left out of the KPIs that read it",
                        sheet.name,
                        part.file,
                        None,
                        column,
                    )
                )
            else:
                pieces.append(part.bad.get(column, np.zeros(size, dtype=bool)))
        bad[column] = np.concatenate(pieces)
    reasons: dict[str, str] = {}
    header_map: dict[str, str] = {}
    for part in parts:
        reasons.update(part.column_reasons)
        header_map.update(part.header_map)
    first = parts[0]
    data = SheetData(
        name=sheet.name,
        frame=pd.concat([part.frame for part in parts], ignore_index=True),
        row_numbers=np.concatenate([part.row_numbers for part in parts]),
        bad=bad,
        missing_columns=missing_everywhere,
        file="; ".join(str(part.file) for part in parts),
        worksheet=first.worksheet,
        file_format=first.file_format,
        encoding=first.encoding,
        header_row=first.header_row,
        rows_in_file=sum(part.rows_in_file for part in parts),
        header_map=header_map,
        column_reasons={c: r for c, r in reasons.items() if c in missing_everywhere},
    )
    row_files = np.repeat(np.arange(len(parts)), sizes)
    data.files = [str(part.file) for part in parts]
    data.row_files = row_files
    return data, row_files
