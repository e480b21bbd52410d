"""Column matching for the draft: which canonical column each source column stands for.

A header alias of the contract (`names.expected_headers`), an English DMS header
(`ENGLISH_HEADERS`: words only the drafter uses, the mapping it writes names them), or a
header that contains an alias (工时数量 holds 工时数); kept only when the values fit the
column's type as `values.parse_column` reads them (`profile`: dates, times, numbers, yes/no,
codes, text). A time-of-day column beside its date column becomes `combine`.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..contract import SHEETS, Column, Sheet
from ..loaders import workbook
from ..loaders.dates import REASON_TIME_ONLY, TIME_PART
from ..loaders.names import expected_headers, normalize_header
from ..loaders.values import parse_column
from .model import Note, SheetDraft, SourceColumn, Why

#: English headers of US, UK and Indian DMS reports (a job card is a repair order), per
#: canonical column: hints for the drafter
#: only. The loader never reads them; a drafted mapping names each one it used.
#: Compared after `english_words`: lower case, '#' and 'No.' read as 'number', 'labour' as 'labor'.
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
_TIME_OF_DAY = re.compile(TIME_PART)  # the time part of a datetime the value parser reads


def english_words(text: str) -> str:
    """A header as English words: 'RO#' -> 'ro number', 'Labour_Hrs.' -> 'labor hrs'."""
    text = normalize_header(text).replace("#", " number ").replace("labour", "labor")
    text = re.sub(r"\bno\.?(?=\s|$)|\bnbr\b|\bnum\b", " number ", text)
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


def all_names() -> set[str]:
    names: set[str] = set()
    for sheet in SHEETS.values():
        names |= set(expected_headers(sheet))
    for phrases in ENGLISH_HEADERS.values():
        names |= set(phrases)
    return names


def matches(sheet: Sheet, header: str) -> list[tuple[int, str, Why]]:
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
    words = english_words(header)
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


def profile(header: str, position: int, series: pd.Series, *, excel: bool) -> SourceColumn:
    # series: the cells that hold a value (`Rows.column`)
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
                if parses(part, kind, excel=excel)
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


def parses(values: pd.Series, ctype: Any, *, excel: bool, **kw: Any) -> bool:
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


def choose_targets(sheet: Sheet, columns: list[SourceColumn], notes: list[Note]) -> None:
    """Each source column's canonical column: the strongest name match whose type fits."""
    candidates = []
    for column in columns:
        for strength, target, why in matches(sheet, column.header):
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


def ask_for_missing(missing: list[Column], columns: list[SourceColumn]) -> None:
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


def combine(draft: SheetDraft, notes: list[Note]) -> None:
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
    stem_words = set(english_words(time_column.header).split()) - {"time", "hour", "hours"}
    for column in dates:
        words = set(english_words(column.header).split()) - {"date", "day"}
        if stem_words and words == stem_words:
            return column
    return next((c for c in dates if c.position == time_column.position - 1), None)
