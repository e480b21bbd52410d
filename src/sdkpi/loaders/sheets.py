"""From raw sheets to typed frames: header mapping, value parsing, data issues.

`load_dataset` is the loaders' front door: it finds the sheet files in a folder,
reads each (`readers`), maps the file's headers onto the contract's canonical
columns, parses every value (`values`) and returns a `Dataset` of typed frames
plus every data issue, with the row number as the user sees it in the file.
"""

from __future__ import annotations

import difflib
import glob
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..columns import frame_of, is_id_column
from ..contract import SHEETS, Column, Sheet
from ..dataset import Dataset, SheetData
from ..errors import InputError
from ..issues import DataIssue
from ..reasons import Reason
from . import discover, fast, lines, paths, readers, rows, values
from .finish import check_required_values, drop_duplicate_keys, empty_column, issue_column, only_wanted
from .header_map import map_headers
from .lane import Lane
from .names import expected_headers
from .options import SheetOptions

__all__ = ["SheetOptions", "expected_headers", "load_dataset", "load_sheet", "load_sheets", "sheet_from_raw"]


def load_dataset(
    data: str | Path,
    *,
    options: Mapping[str, SheetOptions] | None = None,
    sheets: Iterable[str] | None = None,
    lane: Lane | None = None,
    columns: Mapping[str, Collection[str]] | None = None,
    on_sheet: Callable[[SheetData], None] | None = None,
    root: Path | None = None,
) -> Dataset:
    """Read every sheet found under `data` (a folder or one workbook).

    Only regular files inside the data folder are read (`root`: a dealer group's folder for
    one of its stores; default: `data`'s real path, see `paths`): a sheet whose file (a
    link, or a file the mapping names) leads outside, or is a FIFO, folder or device, or
    cannot be opened, is an error-level data issue of that sheet; the others are read.

    With a `lane` (`sdkpi.speed.lane()`; see `loaders.lane`), a sheet is first asked of it
    (a sheet cached by an earlier run from an unchanged file, a clean CSV read straight into
    typed columns) and what the reference path reads is handed to it to keep; without
    one, every sheet is read by the reference path. With `columns`
    (sheet -> the columns a computation reads), a clean text column outside that set is
    left out of the frame instead of being turned into millions of Python strings; a
    text column with anything to report is parsed (and reported) as always. `on_sheet` is
    called with each sheet as soon as it is loaded, on its loading thread.
    """
    options = options or {}
    dataset = Dataset(source=str(data))
    named = [name for name, o in options.items() if o.file or (o.worksheet and Path(data).is_file())]
    root = Path(os.path.realpath(root)) if root is not None else paths.data_root(Path(data))
    sources = discover.discover(Path(data), named=named, root=root)
    jobs: dict[str, tuple[readers.SheetSource, SheetOptions]] = {}
    stacked: dict[str, list[readers.SheetSource]] = {}  # a sheet the mapping reads from several files
    for name in sheets if sheets is not None else SHEETS:
        sheet_options = options.get(name, SheetOptions())
        source = sources.get(name)
        if sheet_options.file or sheet_options.worksheet:
            try:
                many = _mapped_files(Path(data), name, sheet_options)
            except InputError as err:
                dataset.missing[name] = Reason("unreadable", message=err.message)
                dataset.issues.append(_issue_from_error(err, name, err.file or str(data)))
                continue
            if many is not None:
                stacked[name] = many
            source = many[0] if many else _mapped_source(Path(data), name, sheet_options, source)
        if source is None:
            dataset.missing[name] = Reason("sheet_missing")
            continue
        jobs[name] = (source, sheet_options)

    sizes = {name: _file_size(source.path) for name, (source, _) in jobs.items()}
    sizes.update({name: sum(_file_size(s.path) for s in many) for name, many in stacked.items()})
    total = sum(sizes.values())
    if lane is not None:  # freed memory kept a moment for reuse (fewer page faults), as room allows
        lane.begin(total)

    def one(name: str) -> tuple[SheetData, list[DataIssue]] | InputError:
        source, sheet_options = jobs[name]
        try:
            paths.check_data_file(source.path, root, name)  # before anything opens it
            wanted = columns.get(name) if columns is not None else None
            if name in stacked:  # several files: each checked, read, then stacked (not cached)
                for part in stacked[name]:
                    paths.check_data_file(part.path, root, name)
                loaded = load_sheets(stacked[name], sheet_options, wanted)
                if on_sheet is not None:
                    on_sheet(loaded[0])
                return loaded
            if lane is None:
                loaded = load_sheet(source, sheet_options, wanted)
            else:
                cached, ticket = lane.recall(source, sheet_options, wanted)
                loaded = cached or load_sheet(
                    source, sheet_options, wanted, blocks=lane.blocks(total, sizes[name]), lane=lane
                )
                if cached is None and not loaded[0].column_reasons:
                    lane.keep(ticket, *loaded)  # (a sheet with columns in doubt is read again each time)
        except InputError as err:
            return err
        except OSError as err:  # no permission, a file gone or a disk error while reading it
            return InputError(
                f"cannot read the file: {err.strerror or err}", file=str(source.path), sheet=name
            )
        if on_sheet is not None:  # outside: its errors are not the sheet's
            on_sheet(loaded[0])
        return loaded

    # Two sheets at a time: pyarrow parses and types in C++ without the GIL, so one sheet's
    # Python-side checks run while the other is being read (~25% faster; for big data, read
    # block by block, two sheets in flight cost little memory). Results in sheet order.
    with ThreadPoolExecutor(max_workers=min(2, max(1, len(jobs)))) as pool:
        order = sorted(jobs, key=lambda name: sizes[name], reverse=True)  # the biggest first
        outcomes = dict(zip(order, pool.map(one, order), strict=True))
    for name, (source, _) in jobs.items():
        outcome = outcomes[name]
        if isinstance(outcome, InputError):
            dataset.missing[name] = Reason("unreadable", message=outcome.message)
            dataset.issues.append(_issue_from_error(outcome, name, str(source.path)))
            continue
        dataset.sheets[name], issues = outcome
        dataset.issues.extend(issues)
    return dataset


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mapped_files(data: Path, name: str, opts: SheetOptions) -> list[readers.SheetSource] | None:
    """The files of a sheet the mapping names with a glob or a list (None: one plain name)."""
    if len(opts.files) < 2 and not any(glob.has_magic(f) for f in opts.files):
        return None
    folder = data if data.is_dir() else data.parent
    return [readers.SheetSource(name, path, opts.worksheet) for path in rows.files(folder, opts.files, name)]


def _mapped_source(
    data: Path, name: str, opts: SheetOptions, found: readers.SheetSource | None
) -> readers.SheetSource | None:
    """The file and worksheet the mapping file names (a file relative to the data folder)."""
    if opts.file:
        folder = data if data.is_dir() else data.parent
        return readers.SheetSource(name, folder / opts.file, opts.worksheet)
    if data.is_file():  # one workbook: the worksheet the mapping names
        return readers.SheetSource(name, data, opts.worksheet)
    return readers.SheetSource(name, found.path, opts.worksheet) if found else None


def _issue_from_error(err: InputError, sheet: str, file: str) -> DataIssue:
    reason = err.message if not err.hint else f"{err.message} (hint: {err.hint})"
    value = None if err.value is None else str(err.value)
    return DataIssue("error", "unreadable", reason, sheet, err.file or file, err.row, err.column, value)


def load_sheet(
    source: readers.SheetSource,
    opts: SheetOptions,
    wanted: Collection[str] | None = None,
    *,
    blocks: bool = False,
    whole: bool = True,
    lane: Lane | None = None,
) -> tuple[SheetData, list[DataIssue]]:
    """One sheet file read, mapped, parsed and checked.

    lane: asked first (`Lane.read`; `blocks`: block by block), unless the mapping reshapes
    the sheet; None: the reference path only.
    whole=False (one of several files of a sheet, `load_sheets`): every column is kept and
    repeated keys are left for the stacked sheet to settle.
    """
    sheet = SHEETS[source.sheet]
    read_options = readers.ReadOptions(
        header_row=opts.header_row, encoding=opts.encoding, delimiter=opts.delimiter
    )
    if opts.total_markers is not None:
        read_options.total_markers = opts.total_markers
    known = expected_headers(sheet)
    mapped_names = opts.mapped_names
    if lane is not None and whole and not opts.reshapes:
        typed = lane.read(source, opts, wanted, blocks=blocks)
        if typed is not None:
            _mark_absent(typed[0], sheet, opts, typed[1])
            return typed
    combined = {readers.normalize_header(h) for headers in opts.combine.values() for h in headers}
    raw = readers.read_sheet(source, read_options, expected_headers=set(known) | set(mapped_names) | combined)
    file = str(source.path)
    if raw.file_format == "xlsx" and not raw.headers and readers.sniff(source.path) == "empty":
        raise InputError(
            "the workbook is empty (0 bytes): the export did not finish or the file was cut",
            file=file,
            sheet=sheet.name,
            hint="export the sheet again",
        )
    return sheet_from_raw(raw, opts, wanted, whole=whole)


def sheet_from_raw(
    raw: readers.RawSheet,
    opts: SheetOptions,
    wanted: Collection[str] | None = None,
    *,
    whole: bool = True,
) -> tuple[SheetData, list[DataIssue]]:
    """The pipeline from a read sheet on (`RawSheet`: derive, map headers, skip rows, parse,
    finish, keys): where a source that is not a file (`frames`) enters with its own reader.

    whole=False: as `load_sheet`'s.
    """
    source = raw.source
    sheet = SHEETS[source.sheet]
    known = expected_headers(sheet)
    mapped_names = opts.mapped_names
    file = str(source.path)
    issues = list(raw.issues)
    fixed = rows.derive(raw, sheet, opts, issues)
    header_map = map_headers(raw.headers, known, mapped_names, sheet, file, fixed)
    missing = [c for c in sheet.columns if c.name not in header_map.values()]
    if not raw.headers:  # an empty file holds no records: its KPIs have no data, nothing is missing
        issues.append(
            DataIssue("info", "empty_file", "the file is empty (no header, no rows)", sheet.name, file)
        )
        missing = []
    required_missing = [c.name for c in missing if c.required and c.name not in opts.absent]
    if required_missing:
        issues.append(_missing_columns_issue(sheet, file, required_missing, raw.headers))
    rows.skip(raw, header_map, sheet, opts.skip_rows, issues)
    reads = wanted if whole and not opts.lines_key else None  # line-level: every line in full
    parsed = _parse_columns(raw, sheet, header_map, opts, issues, reads)
    data = SheetData(
        name=sheet.name,
        frame=parsed.frame,
        row_numbers=raw.row_numbers,
        bad=parsed.bad,
        missing_columns={c.name for c in missing},
        file=file,
        worksheet=source.worksheet,
        file_format=raw.file_format,
        encoding=raw.encoding,
        header_row=raw.header_row,
        rows_in_file=raw.rows_in_file,
        header_map={raw.headers[i]: name for i, name in header_map.items()},
    )
    if raw.headers:
        _mark_absent(data, sheet, opts, issues)
    if not whole:
        return data, issues
    if not opts.lines_key:
        issues += check_required_values(data, sheet, parsed.unread_empty)
    data = _settle_keys(data, sheet, opts, issues)
    return only_wanted(data, sheet, wanted), issues


def load_sheets(
    sources: list[readers.SheetSource], opts: SheetOptions, wanted: Collection[str] | None = None
) -> tuple[SheetData, list[DataIssue]]:
    """A sheet the mapping reads from several files: each read as `load_sheet` reads one, the
    rows stacked in file-name order, then the keys settled over all of them (a repair order
    whose lines sit in two files is one order; a key repeated across files is reported with
    the file and row of each)."""
    sheet = SHEETS[sources[0].sheet]
    issues: list[DataIssue] = []
    parts = []
    for source in sources:
        data, part_issues = load_sheet(source, opts, None, whole=False)
        parts.append(data)
        issues += part_issues
    data, row_files = rows.stack(sheet, parts, issues)
    files = [str(source.path) for source in sources]
    if not opts.lines_key:
        issues += check_required_values(data, sheet)
    data = _settle_keys(data, sheet, opts, issues, files=files, row_files=row_files)
    return only_wanted(data, sheet, wanted), issues


def _settle_keys(
    data: SheetData,
    sheet: Sheet,
    opts: SheetOptions,
    issues: list[DataIssue],
    *,
    files: list[str] | None = None,
    row_files: np.ndarray | None = None,
) -> SheetData:
    """A line-level export summed per key (the mapping's `lines:`), else repeated keys dropped."""
    if opts.lines_key:
        data, _ = lines.aggregate(
            data, sheet, opts.lines_key, opts.lines_sum, issues, files=files, row_files=row_files
        )
        issues += check_required_values(data, sheet)
        if opts.lines_key == sheet.key:
            return data
    return drop_duplicate_keys(data, sheet, issues, files=files, row_files=row_files)


def _mark_absent(data: SheetData, sheet: Sheet, opts: SheetOptions, issues: list[DataIssue]) -> None:
    """The mapping's `absent:` columns this file lacks: the KPIs reading them have no data,
    "not in this export", and that is no error (one info note). One the file has after all
    is read, and said."""
    found = [name for name in opts.absent if name not in data.missing_columns]
    if found:
        issues.append(
            DataIssue(
                "info",
                "absent_but_found",
                f"the mapping's absent: lists {', '.join(found)}, but this file has it: read",
                sheet.name,
                data.file,
                None,
                ", ".join(found),
            )
        )
    absent = [name for name in opts.absent if name in data.missing_columns]
    if not absent:
        return
    for name in absent:
        data.column_reasons[name] = Reason("not_exported")
    issues.append(
        DataIssue(
            "info",
            "absent_column",
            f"not in this export (the mapping's absent:): {', '.join(absent)}; "
            "the KPIs reading them have no data",
            sheet.name,
            data.file,
            None,
            ", ".join(absent),
        )
    )


def _missing_columns_issue(sheet: Sheet, file: str, missing: list[str], headers: list[str]) -> DataIssue:
    hints = []
    for name in missing:
        column = sheet.column(name)
        assert column is not None
        close = difflib.get_close_matches(column.zh, headers, n=1, cutoff=0.5) or difflib.get_close_matches(
            name, headers, n=1, cutoff=0.6
        )
        label = f"{name} ({column.zh})"
        hints.append(f"{label}, close to {close[0]!r}" if close else label)
    reason = (
        f"required column(s) missing: {'; '.join(hints)}. Found: {', '.join(map(repr, headers))}. "
        "Rename the header or map it in sdkpi-mapping.yaml; KPIs that need these columns have no data"
    )
    return DataIssue("error", "missing_column", reason, sheet.name, file, None, ", ".join(missing))


@dataclass
class _Parsed:
    frame: pd.DataFrame
    bad: dict[str, np.ndarray]
    unread_empty: dict[str, np.ndarray] = field(default_factory=dict)  # required columns left unread


def _parse_columns(
    raw: readers.RawSheet,
    sheet: Sheet,
    header_map: dict[int, str],
    opts: SheetOptions,
    issues: list[DataIssue],
    wanted: Collection[str] | None = None,
) -> _Parsed:
    columns: dict[str, Any] = {}
    skipped: set[str] = set()
    unread_empty: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    excel = raw.file_format == "xlsx"
    file = str(raw.source.path)
    n = len(raw.data)
    # Take the raw columns out of the sheet: each is freed once parsed, not when all are
    # (for a million-row sheet, the raw text and the typed columns never all coexist).
    raw_columns = {position: raw.data[position] for position in range(len(raw.headers))}
    raw.data = raw.data.iloc[:, :0]
    for position, header in enumerate(raw.headers):
        series = raw_columns.pop(position)
        canonical = header_map.get(position)
        column = sheet.column(canonical) if canonical else None
        if column is None:
            name = canonical or header.strip()
            if name in columns or name in sheet.column_names:
                continue  # an extra column shadowing a canonical name: keep the canonical one
            if wanted is not None and name not in wanted and name != "store" and fast.is_clean_text(series):
                skipped.add(name)
                continue
            text = fast.parse_column(series, "text", excel=excel)
            columns[name] = (text or values.parse_column(series, "text", excel=excel)).values
            continue
        if (
            wanted is not None
            and _unread(column, sheet, wanted)
            and fast.is_clean_text(series, is_id=is_id_column(column.name, column.type))
        ):
            skipped.add(column.name)  # not read by the computation, and nothing to report
            if column.required:  # but its empty cells are: keep where they are
                unread_empty[column.name] = fast.empty_cells(series)
            continue
        parsed = fast.parse_column(
            series,
            column.type,
            enum_values=column.values or None,
            excel=excel,
            value_map=opts.values.get(column.name),
            is_id=is_id_column(column.name, column.type),
            plausible=column.plausible,
        ) or values.parse_column(
            series,
            column.type,
            enum_values=column.values or None,
            date_order=opts.date_order,  # type: ignore[arg-type]
            excel=excel,
            value_map=opts.values.get(column.name),
            is_id=is_id_column(column.name, column.type),
            date1904=raw.date1904,
            plausible=column.plausible,
        )
        columns[column.name] = parsed.values.reset_index(drop=True)
        if parsed.bad.any():
            bad[column.name] = np.asarray(parsed.bad, dtype=bool)
        label = issue_column(header, column.name)
        for problem in parsed.problems:
            issues.append(
                DataIssue(
                    problem.severity,
                    problem.code,
                    problem.reason,
                    sheet.name,
                    file,
                    int(raw.row_numbers[problem.pos]),
                    label,
                    problem.value,
                )
            )
    for column in sheet.columns:
        if column.name not in columns and column.name not in skipped:
            columns[column.name] = empty_column(column, n)
    frame = frame_of(columns, n)
    frame.index = pd.RangeIndex(n)
    return _Parsed(frame, bad, unread_empty)


def _unread(column: Column, sheet: Sheet, wanted: Collection[str]) -> bool:
    """A text column the computation does not read (keys and `store` are always read)."""
    return column.type == "text" and column.name not in wanted and column.name not in (sheet.key, "store")
