"""Draft the mapping file for exports sdkpi has never seen (what `sdkpi map` writes).

For each file of the data folder it decides, and says why:

- which sheet the file holds: its name (as the readers name sheets, `names`), else
  the most columns its header shares with a sheet of the contract;
- the header row: the first of the top rows that reads like headers (the readers'
  own rule, `locate.detect_header`, with every name the draft knows);
- for each source column, its canonical column: a header alias of the contract
  (`contract`, `names.expected_headers`), an English DMS header (`columns.ENGLISH_HEADERS`:
  words only the drafter uses, the mapping it writes names them), or a header
  that contains an alias (工时数量 holds 工时数); kept only when the values fit the
  column's type as `values.parse_column` reads them (dates, numbers, yes/no, codes);
- the date order when 03/05/2024 needs one, dates and times in two columns
  (`combine`), the codes of enum columns with a guess or a TODO (`values`), repeated
  header rows and rows without a key (`skip_rows`), keys on several rows with
  differing amounts (`lines`), required columns it did not find (`absent`).

Whatever it cannot decide is a `TODO` in the file and a `Note` for stderr. The draft
is data (`model.Draft`); `render` writes it as YAML. This module is the entry (files,
sheets, header rows); `columns` matches and profiles the columns, `codes` guesses codes,
`rows` reads what the data rows say (date order, rows to skip, line-level keys).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..contract import SHEETS, Sheet
from ..errors import InputError
from ..loaders import locate, readers, sheet_source
from ..loaders.discover import period_of, sheet_for_file
from ..loaders.names import SHEET_NAMES, normalize_header, stem, suffix
from .codes import guess_codes
from .columns import all_names, ask_for_missing, choose_targets, combine, english_words, matches, profile
from .grid import MAX_ROWS, Grid, read_grids
from .model import Draft, Note, SheetDraft, SourceColumn, Why
from .rows import data_rows, find_date_order, find_lines, find_skip_rows

__all__ = ["Draft", "Note", "SheetDraft", "SourceColumn", "Why", "draft_mapping"]

_DATA_EXTENSIONS = readers.TEXT_EXTENSIONS | readers.WORKBOOK_EXTENSIONS | readers.OLD_EXCEL_EXTENSIONS


def draft_mapping(folder: Path) -> Draft:
    """Look at every export in `folder` and draft its mapping (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "not a folder" if folder.exists() else "the data path does not exist",
            file=str(folder),
            hint="give the folder holding the DMS exports",
        )
    notes: list[Note] = []
    unused: list[tuple[str, Why]] = []
    known = all_names()
    by_sheet: dict[str, list[tuple[Grid, int, Why, int]]] = defaultdict(list)
    data_files = _data_files(folder)
    subfolders = sorted(e for e in folder.iterdir() if e.is_dir() and not e.name.startswith("."))
    months = [e for e in subfolders if period_of(e.name)]
    if not data_files and months:
        # one store kept as a folder per month: the mapping next to them reads each of them
        data_files = [path for month in months for path in _data_files(month)]
        notes.append(Note(Why("months", (", ".join(m.name for m in months),)), undecided=False))
    elif not data_files and subfolders:
        notes.append(Note(Why("subfolders_only", (str(subfolders[0]),))))
    for path in data_files:
        name = path.relative_to(folder).as_posix()
        try:
            grids = read_grids(path, known)
        except InputError as err:
            unused.append((name, Why("unreadable", (err.message,))))
            continue
        for grid in grids:
            grid.name = name
            shown = name if grid.worksheet is None else f"{name} [{grid.worksheet}]"
            if not grid.rows:
                unused.append((shown, Why("no_rows")))
                continue
            header_index = _header_index(grid, known)
            headers = [grid.text(c) for c in grid.rows[header_index][1]]
            sheet, why, score = _which_sheet(path, grid, headers)
            if sheet is None:
                unused.append((shown, why))
                continue
            by_sheet[sheet].append((grid, header_index, why, score))
    drafts = []
    for name in SHEETS:
        found = by_sheet.get(name)
        if found:
            drafts.append(_draft_sheet(SHEETS[name], found, folder, notes, unused))
    return Draft(folder, drafts, notes, unused)


def _data_files(folder: Path) -> list[Path]:
    return [
        e
        for e in sorted(folder.iterdir())
        if e.is_file() and not e.name.startswith((".", "~$")) and suffix(e) in _DATA_EXTENSIONS
    ]


def _which_sheet(path: Path, grid: Grid, headers: list[str]) -> tuple[str | None, Why, int]:
    """The sheet a file holds: its name, else the sheet its headers match best."""
    scores = {
        name: len({m[0][1] for h in headers if (m := matches(sheet, h)) and m[0][0] >= 2})
        for name, sheet in SHEETS.items()
    }
    for label in ([grid.worksheet] if grid.worksheet else []) + [stem(path)]:
        named = sheet_for_file(label)  # the loader's own rule: 维修工单_2024年5月
        if named is not None:
            return named, Why("sheet_by_name", (label, named)), scores[named]
        named = _sheet_by_prefix(label)  # the drafter's looser one (the mapping names the file)
        if named is not None and scores[named] >= 1:
            return named, Why("sheet_by_prefix", (label, named)), scores[named]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, score), (second, runner) = ranked[0], ranked[1]
    if score < 2:
        return None, Why("no_sheet", (", ".join(h for h in headers if h)[:120],)), 0
    if runner == score:
        return None, Why("two_sheets", (best, second, str(score))), 0
    return best, Why("sheet_by_headers", (str(score), best)), score


def _sheet_by_prefix(label: str) -> str | None:
    """A file whose name starts with a sheet's: '维修工单明细表_2024年5月' may be work_orders
    (which the loader reads only when the mapping names the file, as the draft does).

    Looser than the loader's `discover.sheet_for_file` (which wants a date or a separator
    after the name), on the loader's table of sheet names (`names.SHEET_NAMES`)."""
    text = normalize_header(label)
    found = [
        (len(name), sheet) for name, sheet in SHEET_NAMES.items() if len(name) >= 2 and text.startswith(name)
    ]
    return max(found, key=lambda f: f[0])[1] if found else None


def _header_index(grid: Grid, known: set[str]) -> int:
    rows = [(line, [grid.text(c) for c in cells]) for line, cells in grid.rows[: 2 * locate.HEADER_SCAN_ROWS]]
    words = [(line, [english_words(c) if c.isascii() else c for c in cells]) for line, cells in rows]
    ctx = sheet_source.Ctx(sheet_source.SheetSource("", grid.path), sheet_source.ReadOptions(), known)
    return locate.detect_header(words, ctx, strict=False)[0]


def _draft_sheet(
    sheet: Sheet,
    found: list[tuple[Grid, int, Why, int]],
    folder: Path,
    notes: list[Note],
    unused: list[tuple[str, Why]],
) -> SheetDraft:
    grid0, index0, why_sheet, _ = max(found, key=lambda f: f[3])
    headers = [grid0.text(c) for c in grid0.rows[index0][1]]
    norm_headers = [normalize_header(h) for h in headers]
    same = [f for f in found if [normalize_header(grid0.text(c)) for c in f[0].rows[f[1]][1]] == norm_headers]
    for grid, _, _, _ in found:
        if all(grid is not g for g, _, _, _ in same):
            unused.append((grid.name, Why("other_export", (sheet.name, grid0.name))))
    same.sort(key=lambda f: (f[0].name, f[0].worksheet or ""))
    grids = [f[0] for f in same]
    lines = {f[0].rows[f[1]][0] for f in same}
    header_row = lines.pop() if len(lines) == 1 else None
    if header_row is None:
        notes.append(Note(Why("header_rows_differ", (sheet.name,))))
    rows = data_rows(same, norm_headers, len(headers))
    for grid in grids:
        if grid.truncated:
            notes.append(Note(Why("truncated", (str(MAX_ROWS),)), grid.name))
    draft = SheetDraft(
        sheet,
        grids,
        _file_spec(grids, folder),
        header_row if header_row != 1 else None,
        why_sheet,
        [],
    )
    excel = grids[0].file_format == "xlsx"
    columns = [profile(h, i, rows.column(i), excel=excel) for i, h in enumerate(headers) if h]
    draft.columns = columns
    choose_targets(sheet, columns, notes)
    find_date_order(draft, rows)
    combine(draft, notes)
    guess_codes(draft, rows)
    find_skip_rows(draft, rows, headers)
    find_lines(draft, rows, notes)
    mapped = {c.target for c in columns if c.target} | set(draft.combine)
    missing = [c for c in sheet.columns if c.required and c.name not in mapped]
    ask_for_missing(missing, columns)
    asked = {c.todo_for for c in columns}
    draft.absent = [c.name for c in missing if c.name not in asked]
    return draft


def _file_spec(grids: list[Grid], folder: Path) -> str | list[str]:
    """The files of one export as the mapping names them: a name, a glob, or a list.

    Names are relative to the folder the mapping is read in (each month folder, when the
    exports are kept a folder per month): a glob only when it matches exactly these files.
    """
    names = sorted({g.path.name for g in grids})
    if len(names) == 1:
        return names[0]
    prefix = _common(names)
    tail = _common([n[::-1] for n in names])[::-1]
    if prefix and tail and len(prefix) + len(tail) < min(len(n) for n in names):
        pattern = f"{prefix}*{tail}"
        folders = {g.path.parent for g in grids}
        if all(
            sorted(p.name for p in where.glob(pattern) if p.is_file())
            == sorted({g.path.name for g in grids if g.path.parent == where})
            for where in folders
        ):
            return pattern
    return names


def _common(names: list[str]) -> str:
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
