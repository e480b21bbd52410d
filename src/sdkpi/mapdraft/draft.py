"""Draft the mapping file for exports sdkpi has never seen (what `sdkpi map` writes).

For each file of the data folder it decides, and says why:

- which sheet the file holds: its name (as the readers name sheets, `names`), else
  the most columns its header shares with a sheet of the contract;
- the header row: the first of the top rows that reads like headers (the readers'
  own rule, `locate.detect_header`, with every name the draft knows);
- for each source column, its canonical column: a header alias of the contract
  (`contract`, `names.expected_headers`), an English DMS header (`ENGLISH_HEADERS`
  below: words only the drafter uses, the mapping it writes names them), or a header
  that contains an alias (工时数量 holds 工时数); kept only when the values fit the
  column's type as `values.parse_column` reads them (dates, numbers, yes/no, codes);
- the date order when 03/05/2024 needs one, dates and times in two columns
  (`combine`), the codes of enum columns with a guess or a TODO (`values`), repeated
  header rows and rows without a key (`skip_rows`), keys on several rows with
  differing amounts (`lines`), required columns it did not find (`absent`).

Whatever it cannot decide is a `TODO` in the file and a `Note` for stderr. The draft
is data (`Draft`); `render` writes it as YAML.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contract import SHEETS, Column, Sheet
from ..errors import InputError
from ..loaders import locate, readers, sheet_source, workbook
from ..loaders.dates import REASON_TIME_ONLY, TIME_PART, YEAR_LAST
from ..loaders.discover import period_of, sheet_for_file
from ..loaders.names import expected_headers, normalize_header, stem, suffix
from ..loaders.values import PLACEHOLDERS, SILENT_MISSING, parse_column
from .grid import MAX_ROWS, Grid, read_grids

#: English headers of US, UK and Indian DMS reports (a job card is a repair order), per
#: canonical column: hints for the drafter
#: only. The loader never reads them; a drafted mapping names each one it used.
#: Compared after `_words`: lower case, '#' and 'No.' read as 'number', 'labour' as 'labor'.
ENGLISH_HEADERS: dict[str, tuple[str, ...]] = {
    "ro_number": (
        "ro",
        "ro number",
        "repair order",
        "repair order number",
        "order number",
        "job card",
        "job card number",
        "jc number",
    ),
    "opened_at": (
        "ro date",
        "open date",
        "opened",
        "opened date",
        "date in",
        "ro open date",
        "open time",
        "job card date",
        "jc date",
        "jc open date",
    ),
    "closed_at": ("close date", "closed", "closed date", "ro close date", "close time"),
    "invoiced_at": ("invoice date", "invoiced", "invoice time"),
    "promised_at": ("promised", "promise date", "promise time", "promised date", "promised time"),
    "work_completed_at": ("completed", "complete date", "completion time", "work completed"),
    "delivered_at": ("delivered", "delivery date", "delivery time", "picked up"),
    "advisor": (
        "advisor",
        "service advisor",
        "sa",
        "writer",
        "service writer",
        "advisor name",
        "sa name",
        "service advisor name",
    ),
    "technician": (
        "tech",
        "technician",
        "tech number",
        "tech name",
        "technician name",
        "tech id",
        "mechanic",
        "mechanic name",
    ),
    "customer_type": ("pay type", "paytype", "payment type", "labor type", "customer pay type"),
    "customer_id": ("customer number", "cust number", "customer", "customer id", "cust id", "customer code"),
    "vin": ("vin", "vin number", "vehicle id", "chassis number", "chassis"),
    "appointment_id": ("appt number", "appointment number", "appt id", "appointment"),
    "labor_hours_sold": (
        "labor hours",
        "sold hours",
        "flag hours",
        "hours sold",
        "labor hrs",
        "hours",
        "billed hours",
    ),
    "labor_amount": ("labor sale", "labor sales", "labor amount", "labor", "labor total", "labor charges"),
    "parts_amount": (
        "parts sale",
        "parts sales",
        "parts amount",
        "parts",
        "parts total",
        "parts charges",
        "spares amount",
        "spare parts amount",
    ),
    "comeback_of": ("comeback of", "original ro", "orig ro", "comeback ro"),
    "plate": ("plate", "license plate", "license", "tag"),
    "booked_at": ("booked", "booking date", "created", "created date", "date booked"),
    "appointment_time": ("appt date", "appointment date", "appt time", "appointment time"),
    "reminded_at": ("reminded", "reminder", "reminder call", "confirmation call", "confirmed"),
    "arrived_at": ("arrived", "arrival", "arrival time", "check in", "checked in"),
    "part_number": ("part number", "part", "part no"),
    "requested_at": ("requested", "request date", "request time"),
    "quantity": ("qty",),
    "filled_immediately": ("filled", "filled from stock", "in stock", "fill"),
    "available_hours": ("available hours", "attendance hours", "shift hours"),
    "clocked_hours": ("clocked hours", "actual hours", "clock hours"),
    "sold_hours": ("sold hours", "flagged hours"),
    "callback_id": ("callback number", "call number"),
    "due_at": ("due date", "due", "callback due"),
    "called_at": ("called", "call date", "call time"),
    "result": ("result", "outcome", "call result"),
    "satisfied": ("satisfied", "csi satisfied"),
}

#: a column with at most this many distinct values is read as codes
MAX_CODES = 20
_YEAR_LAST_FORM = re.compile(YEAR_LAST)  # 03/05/2024 [14:20]: the value parser's form
_TIME_OF_DAY = re.compile(TIME_PART)  # the time part of a datetime the value parser reads
_DATA_EXTENSIONS = readers.TEXT_EXTENSIONS | readers.WORKBOOK_EXTENSIONS | readers.OLD_EXCEL_EXTENSIONS


# --------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class Why:
    """A reason, said in either language by `render` (key into its word table)."""

    key: str
    args: tuple[str, ...] = ()


@dataclass
class SourceColumn:
    header: str
    position: int
    kind: str  # empty, date, datetime, time, number, bool, codes, text
    samples: list[str]
    target: str | None = None
    why: Why | None = None
    also: list[str] = field(default_factory=list)  # other targets it could feed
    todo_for: str | None = None  # a required column not found that this one may be (a TODO)


@dataclass
class CodeGuess:
    code: str
    count: int
    target: str | None  # None: TODO
    why: Why


@dataclass
class SkipRule:
    rule: str
    count: int
    why: Why


@dataclass
class SheetDraft:
    sheet: Sheet
    grids: list[Grid]
    file: str | list[str]
    header_row: int | None
    why_sheet: Why
    columns: list[SourceColumn]
    date_order: str | None = None  # "dmy", "mdy" or "TODO"
    why_date_order: Why | None = None
    combine: dict[str, tuple[str, str]] = field(default_factory=dict)
    values: dict[str, list[CodeGuess]] = field(default_factory=dict)
    skip_rows: list[SkipRule] = field(default_factory=list)
    lines: tuple[str, list[str]] | None = None
    why_lines: Why | None = None
    absent: list[str] = field(default_factory=list)

    @property
    def todos(self) -> int:
        codes = sum(1 for guesses in self.values.values() for g in guesses if g.target is None)
        columns = sum(1 for c in self.columns if c.todo_for)
        return codes + columns + (self.date_order == "TODO")


@dataclass
class Note:
    """What the draft could not decide (printed on stderr)."""

    why: Why
    file: str | None = None
    sheet: str | None = None  # the sheet whose column names the reason uses
    undecided: bool = True  # False: only said (what the draft was made from)


@dataclass
class Draft:
    folder: Path
    sheets: list[SheetDraft]
    notes: list[Note]
    unused_files: list[tuple[str, Why]]

    @property
    def todos(self) -> int:
        return sum(s.todos for s in self.sheets)


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
    known = _all_names()
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


# --------------------------------------------------------------------------- names


def _words(text: str) -> str:
    """A header as English words: 'RO#' -> 'ro number', 'Labour_Hrs.' -> 'labor hrs'."""
    text = normalize_header(text).replace("#", " number ").replace("labour", "labor")
    text = re.sub(r"\bno\.?(?=\s|$)|\bnbr\b|\bnum\b", " number ", text)
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


def _all_names() -> set[str]:
    names: set[str] = set()
    for sheet in SHEETS.values():
        names |= set(expected_headers(sheet))
    for phrases in ENGLISH_HEADERS.values():
        names |= set(phrases)
    return names


def _matches(sheet: Sheet, header: str) -> list[tuple[int, str, Why]]:
    """(strength, canonical column, why) for each column `header` may stand for, best first."""
    found: list[tuple[int, str, Why]] = []
    norm = normalize_header(header)
    if not norm:
        return found
    aliases = expected_headers(sheet)
    if norm in aliases:
        column = aliases[norm]
        own = sheet.column(column)
        assert own is not None
        own_name = norm in (normalize_header(own.name), normalize_header(own.zh))
        found.append((3, column, Why("own_name") if own_name else Why("alias", (header, column))))
        return found
    words = _words(header)
    for candidate in sheet.columns:
        phrases = {candidate.name.replace("_", " "), *ENGLISH_HEADERS.get(candidate.name, ())}
        if words and words in phrases:
            found.append((3, candidate.name, Why("english", (header,))))
    if found:
        return found
    for alias, column_name in aliases.items():
        if len(alias) >= 2 and not alias.isascii() and alias in norm:
            found.append((2, column_name, Why("contains", (alias, column_name))))
    found.sort(key=lambda f: -len(f[2].args[0]))  # the longest alias contained first
    seen: set[str] = set()
    return [f for f in found if not (f[1] in seen or seen.add(f[1]))]  # type: ignore[func-returns-value]


def _which_sheet(path: Path, grid: Grid, headers: list[str]) -> tuple[str | None, Why, int]:
    """The sheet a file holds: its name, else the sheet its headers match best."""
    scores = {
        name: len({m[0][1] for h in headers if (m := _matches(sheet, h)) and m[0][0] >= 2})
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
    (which the loader reads only when the mapping names the file, as the draft does)."""
    text = normalize_header(label)
    best: tuple[int, str] | None = None
    for sheet in SHEETS.values():
        for name in (sheet.name, sheet.zh, *sheet.file_names):
            norm = normalize_header(name)
            if len(norm) >= 2 and text.startswith(norm) and (best is None or len(norm) > best[0]):
                best = (len(norm), sheet.name)
    return best[1] if best else None


def _header_index(grid: Grid, known: set[str]) -> int:
    rows = [
        (line, [grid.text(c) for c in cells]) for line, cells in grid.rows[: 2 * locate.HEADER_SCAN_ROWS]
    ]
    words = [(line, [_words(c) if c.isascii() else c for c in cells]) for line, cells in rows]
    ctx = sheet_source.Ctx(sheet_source.SheetSource("", grid.path), sheet_source.ReadOptions(), known)
    return locate.detect_header(words, ctx, strict=False)[0]


# --------------------------------------------------------------------------- one sheet


@dataclass
class _Rows:
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
    rows = _data_rows(same, norm_headers, len(headers))
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
    columns = [_profile(h, i, rows.column(i), excel=excel) for i, h in enumerate(headers) if h]
    draft.columns = columns
    _choose_targets(sheet, columns, notes)
    _date_order(draft, rows)
    _combine(draft, notes)
    _values(draft, rows)
    _skip_rows(draft, rows, headers)
    _lines(draft, rows, notes)
    mapped = {c.target for c in columns if c.target} | set(draft.combine)
    missing = [c for c in sheet.columns if c.required and c.name not in mapped]
    _ask_for_missing(missing, columns)
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


def _per_distinct(values: pd.Series, convert: Any) -> np.ndarray:
    """`convert` applied once per distinct value, spread back to every row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([convert(u) for u in uniques], dtype=object)[codes]


def _data_rows(found: list[tuple[Grid, int, Why, int]], norm_headers: list[str], width: int) -> _Rows:
    """Rows below the header, total rows left out (the readers skip them: 合计, Total)."""
    markers = locate.Markers.build(sheet_source.ReadOptions().total_markers)
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
    return _Rows(
        np.array(files, dtype=object)[keep],
        np.array(lines, dtype=np.int64)[keep],
        raw[keep].reset_index(drop=True),
        text[keep].reset_index(drop=True),
        (2 * same > len(named))[keep],
    )


def _profile(header: str, position: int, series: pd.Series, *, excel: bool) -> SourceColumn:
    # series: the cells that hold a value (`_Rows.column`)
    """What a column's values look like: dates, times, numbers, yes/no, codes or text.

    Each distinct value is read once, a few hundred first: a column of names is known
    not to be dates without parsing all of it.
    """
    values = series
    column = SourceColumn(header, position, "empty", [])
    if values.empty:
        return column
    distinct = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=object)
    column.samples = list(dict.fromkeys(workbook.cell_text(v).strip() for v in distinct[:10]))[:3]
    parts = (distinct[:_SAMPLE], distinct) if len(distinct) > _SAMPLE else (distinct,)
    for kind in ("date", "number", "bool"):
        found: str | None = None
        for part in parts:
            found = (
                _date_kind(part, excel)
                if kind == "date"
                else kind
                if _parses(part, kind, excel=excel)
                else None
            )
            if found is None:
                break
        if found is not None:
            column.kind = found
            return column
    column.kind = "codes" if len(distinct) <= MAX_CODES and len(distinct) < len(values) else "text"
    return column


#: distinct values read first, before all of them
_SAMPLE = 300


def _parses(values: pd.Series, ctype: Any, *, excel: bool, **kw: Any) -> bool:
    parsed = parse_column(values.reset_index(drop=True), ctype, excel=excel, **kw)
    return not parsed.bad.any()


def _date_kind(values: pd.Series, excel: bool) -> str | None:
    """ "datetime", "date" or "time" when every value reads so (in some date order), else None."""
    values = values.reset_index(drop=True)
    if excel and values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).any():
        return None  # a number cell: a date cell comes from the workbook as a date
    texts = values[values.map(lambda v: isinstance(v, str))]
    if len(texts) == len(values) and all(_TIME_OF_DAY.fullmatch(" " + t.strip()) for t in texts):
        return "time"
    for order in (None, "dmy", "mdy"):
        parsed = parse_column(values, "datetime", excel=excel, date_order=order)
        if not parsed.bad.any():
            stamps = parsed.values.dropna()
            has_time = bool((stamps != stamps.dt.normalize()).any())
            return "datetime" if has_time else "date"
        if parsed.problems and all(p.reason == REASON_TIME_ONLY for p in parsed.problems):
            return "time"
        if not any(p.code == "ambiguous_date_order" for p in parsed.problems):
            return None  # not a question of the order: not dates
    return None


_FITS = {
    "datetime": {"datetime", "date"},
    "date": {"datetime", "date"},
    "number": {"number"},
    "bool": {"bool", "codes"},
    "enum": {"codes", "bool", "number"},
    # an ID or a name: never a yes/no flag (an 'Appt?' Y/N column is no appointment_id) or dates
    "text": {"text", "codes", "number"},
}


def _choose_targets(sheet: Sheet, columns: list[SourceColumn], notes: list[Note]) -> None:
    """Each source column's canonical column: the strongest name match whose type fits."""
    candidates = []
    for column in columns:
        for strength, target, why in _matches(sheet, column.header):
            contract_column = sheet.column(target)
            assert contract_column is not None
            fits = column.kind in _FITS[contract_column.type] or column.kind == "empty"
            if contract_column.type in ("datetime", "date") and column.kind == "time":
                fits = True  # half of a date + time pair (`combine`)
            if fits:
                candidates.append((strength, -column.position, column, target, why))
            else:
                reason = Why("type_mismatch", (column.header, target, column.kind, ", ".join(column.samples)))
                notes.append(Note(reason, sheet=sheet.name))
    taken: dict[str, SourceColumn] = {}
    for _, _, column, target, why in sorted(candidates, key=lambda c: (-c[0], -c[1])):
        if column.target is not None or target in taken:
            if column.target is None and target in taken and taken[target].kind != "time":
                column.also.append(target)
            continue
        column.target, column.why = target, why
        taken[target] = column
    for column in columns:
        if column.target is None and column.also and column.kind != "time":  # a time: `combine`'s
            reason = Why("also_matches", (column.header, column.also[0], taken[column.also[0]].header))
            notes.append(Note(reason, sheet=sheet.name))


#: the values an unnamed column must hold to be asked about for a missing required column
_ASK_FITS = {"datetime": ("datetime", "date"), "date": ("date",), "enum": ("codes",), "bool": ("bool",)}


def _ask_for_missing(missing: list[Column], columns: list[SourceColumn]) -> None:
    """A required column not found, and one unmapped column whose values fit it: a TODO.

    Only when the pair is the one of its type (接待时间, the only unmapped dates, for a
    missing opened_at); else the required column is proposed as `absent`.
    """
    free = [c for c in columns if c.target is None and not c.also and c.kind != "empty"]
    for column in missing:
        fits = [c for c in free if c.kind in _ASK_FITS.get(column.type, ())]
        rivals = [m for m in missing if m.type == column.type]
        if len(fits) == 1 and len(rivals) == 1:
            fits[0].todo_for = column.name


def _year_last(values: pd.Series) -> list[tuple[int, int, str]]:
    """(first number, second number, text) of each date written with the year last."""
    out = []
    for value in values:
        if isinstance(value, str) and _YEAR_LAST_FORM.fullmatch(text := value.strip()):
            first, second = re.findall(r"[0-9]+", text)[:2]
            out.append((int(first), int(second), text))
    return out


def _date_order(draft: SheetDraft, rows: _Rows) -> None:
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


def _combine(draft: SheetDraft, notes: list[Note]) -> None:
    """A time-of-day column next to a date column of the same canonical column: `combine`."""
    for time_column in [c for c in draft.columns if c.kind == "time"]:
        target = time_column.target or next(iter(time_column.also), None)
        date_column = _date_partner(draft.columns, time_column, target)
        if date_column is None or date_column.target is None:
            if time_column.target:
                notes.append(
                    Note(Why("time_alone", (time_column.header, time_column.target)), sheet=draft.sheet.name)
                )
                time_column.target = None
            continue
        target = date_column.target
        draft.combine[target] = (date_column.header, time_column.header)
        date_column.why = Why("combine_date", (date_column.header, time_column.header, target))
        time_column.target, time_column.why = None, None
        date_column.target = None
        date_column.also = [target]
        time_column.also = [target]


def _date_partner(
    columns: list[SourceColumn], time_column: SourceColumn, target: str | None
) -> SourceColumn | None:
    dates = [c for c in columns if c.kind == "date" and c.target]
    if target:
        for column in dates:
            if column.target == target:
                return column
    stem_words = set(_words(time_column.header).split()) - {"time", "hour", "hours"}
    for column in dates:
        words = set(_words(column.header).split()) - {"date", "day"}
        if stem_words and words == stem_words:
            return column
    return next((c for c in dates if c.position == time_column.position - 1), None)


def _values(draft: SheetDraft, rows: _Rows) -> None:
    """Codes of enum (and yes/no) columns the contract does not spell: a guess or a TODO."""
    for column in draft.columns:
        target = draft.sheet.column(column.target) if column.target else None
        if target is None or target.type not in ("enum", "bool"):
            continue
        texts = rows.text[column.position][~rows.page]
        counts = texts[~texts.isin(SILENT_MISSING | PLACEHOLDERS)].value_counts()
        guesses = []
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            one = pd.Series([code], dtype=object)
            if target.type == "enum" and _parses(one, "enum", excel=False, enum_values=target.values):
                continue
            if target.type == "bool" and _parses(one, "bool", excel=False):
                continue
            guesses.append(_guess(target, str(code), int(count)))
        if guesses:
            draft.values[target.name] = guesses


def _guess(column: Column, code: str, count: int) -> CodeGuess:
    """A code's canonical value when it abbreviates only one value (W, WTY -> warranty), or
    only one value's spelling starts with it, else TODO."""
    folded = normalize_header(code)
    if column.type == "bool":
        return CodeGuess(code, count, None, Why("code_todo_bool", (code,)))
    hits = [
        value
        for value, spellings in column.values.items()
        if _abbreviates(folded, value)
        or any(
            normalize_header(s).startswith(folded) or folded.startswith(normalize_header(s))
            for s in spellings
        )
    ]
    if len(hits) == 1:
        return CodeGuess(code, count, hits[0], Why("code_guess", (code, hits[0])))
    return CodeGuess(code, count, None, Why("code_todo", (code, column.name)))


def _abbreviates(code: str, value: str) -> bool:
    """'w', 'wty' and 'warr' abbreviate warranty: its first letter, then letters of it in order."""
    if not code.isascii() or not code.isalpha() or code[0] != value[0]:
        return False
    rest = iter(value[1:])
    return all(letter in rest for letter in code[1:])


def _quoted(text: str) -> str | None:
    if "'" not in text and "\\" not in text:
        return f"'{text}'"
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return None


def _skip_rows(draft: SheetDraft, rows: _Rows, headers: list[str]) -> None:
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


def _lines(draft: SheetDraft, rows: _Rows, notes: list[Note]) -> None:
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
