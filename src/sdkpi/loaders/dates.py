"""Dates and times: the one meaning of a date/time cell (text in its many forms, Excel cells)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .cells import DATE, DATETIME, FLOAT, INT, STR, TIME, Uniques
from .numbers import PLAIN_NUMBER

DateOrder = Literal["dmy", "mdy"]

REASON_DATETIME = (
    "not a date/time (accepted: 2024-05-03 14:20[:59], 2024-05-03T14:20, 2024/5/3 14:20, 2024.5.3, "
    "2024年5月3日 14:20, 03/05/2024 with date_order, Excel date cells)"
)
REASON_CSV_SERIAL = "a number, not a date (Excel serial numbers are read only from .xlsx date cells)"
REASON_IMPOSSIBLE = "not a real calendar date/time"
REASON_OUT_OF_RANGE = "date out of the supported range (years 1677-2262)"
REASON_TIME_ONLY = "a time of day without a date"

_ISO_FAST = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
_YMD = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_CANONICAL_SHAPES: tuple[tuple[str, str], ...] = (
    (_YMD + r" [0-9]{1,2}:[0-9]{2}", "%Y-%m-%d %H:%M"),
    (_YMD + r" [0-9]{1,2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M:%S"),
    (_YMD, "%Y-%m-%d"),
    (_YMD + r" [0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,9}", "%Y-%m-%d %H:%M:%S.%f"),
    (_YMD + r" [0-9]{2}", "%Y-%m-%d %H"),  # ISO 8601 reduced precision: hours only
)
TIME_PART = r"(?: [0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
YEAR_LAST = r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}" + TIME_PART
# Rewrites towards "YYYY-M-D[ H:MM[:SS[.f]]]" for the leftovers. Patterns spell digits [0-9]
# and avoid \s: pandas runs \s always, and \d on non-ASCII text, through Python's re one value
# at a time instead of pyarrow's RE2.
_YMD_SEPARATORS = r"^([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})"
_ISO_T = r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})T"
_UTC_OFFSET = r"(:[0-9]{2}(?:\.[0-9]+)?) ?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_CHINESE_DATE_MARKS = (
    ("年", "-"),
    ("月", "-"),
    ("日", " "),
    ("时", ":"),
    ("点", ":"),
    ("分", ":"),
    ("秒", ""),
)
#: The end of a day written as 24:00 (ISO 8601 allows it; some DMS exports write it), once a
#: value is rewritten towards ISO: read as 00:00 of the next day. The fast lane reads the
#: same cells with this rule (`fast._stamps`), and says so with `midnight_problem`.
MIDNIGHT_24 = r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}) 24:00(?::00(?:\.0{1,9})?)?"
#: What datetime64[ns] holds, to the day: a date outside is out of the supported range.
_NS_MIN = np.datetime64("1677-09-22", "s")
_NS_MAX = np.datetime64("2262-04-10", "s")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
_EXCEL_EPOCH_1904 = np.datetime64("1904-01-01", "s")  # Mac Excel's date system
_EXCEL_MAX_SERIAL = float((_NS_MAX - _EXCEL_EPOCH) / np.timedelta64(1, "D"))
#: The whole years inside it (1678-2261): the fast lane reads dates of these years only.
YEAR_MIN = int(str(_NS_MIN.astype("datetime64[Y]"))) + 1
YEAR_MAX = int(str(_NS_MAX.astype("datetime64[Y]"))) - 1


def parse_datetime(
    u: Uniques, *, excel: bool, date_order: DateOrder | None, date1904: bool = False
) -> np.ndarray:
    values = np.full(u.n, np.datetime64("NaT"), dtype="datetime64[ns]")
    is_str = u.of_kind(STR)
    if is_str.any():
        _datetimes_from_text(u, np.flatnonzero(is_str), values, date_order)
    _datetimes_from_cells(u, values, excel=excel, date1904=date1904)
    u.flag(u.todo & np.isnat(values), "bad_datetime", REASON_DATETIME)
    values[~u.todo] = np.datetime64("NaT")
    return values


def _datetimes_from_text(u: Uniques, where: np.ndarray, out: np.ndarray, order: DateOrder | None) -> None:
    """ISO first in one call; rewrite the leftovers to ISO and parse them by shape."""
    text = u.text if len(where) == u.n else u.text.iloc[where].reset_index(drop=True)
    fast = text.str.fullmatch(_ISO_FAST).to_numpy(dtype=bool)
    if fast.any():
        _store(u, where[fast], out, pd.to_datetime(text[fast], format="ISO8601", errors="coerce"))
    left = where[(~fast | np.isnat(out[where])) & u.todo[where]]
    if len(left) == 0:
        return
    rewritten = _rewrite_towards_iso(u.text.iloc[left].reset_index(drop=True))
    year_last = rewritten.str.fullmatch(YEAR_LAST).to_numpy(dtype=bool)
    if year_last.any():
        iso, why = _year_last_to_iso(u, left[year_last], rewritten[year_last], order)
        _parse_by_shape(u, left[year_last], iso, out, why)
    _parse_by_shape(u, left[~year_last], rewritten[~year_last], out, REASON_IMPOSSIBLE)
    csv_serial = rewritten.str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool)
    u.flag(_mask(u.n, left[csv_serial]), "bad_datetime", REASON_CSV_SERIAL)


def _rewrite_towards_iso(text: pd.Series) -> pd.Series:
    """Chinese marks, slashes/dots, the T and a UTC offset rewritten; each only where present."""
    text = text.copy()
    chinese = _contains_any(text, ("年",))
    if chinese.any():
        marked = text[chinese].str.replace(" ", "", regex=False)
        for mark, replacement in _CHINESE_DATE_MARKS:
            marked = marked.str.replace(mark, replacement, regex=False)
        text[chinese] = marked.str.replace(r":$", "", regex=True)
    text = _replace_where(text, _contains_any(text, ("  ", "\t")), r"[ \t]+", " ")
    text = _replace_where(text, _contains_any(text, ("/", ".")), _YMD_SEPARATORS, r"\1-\2-\3")
    text = _replace_where(text, _contains_any(text, ("T",)), _ISO_T, r"\1 ")
    offset = _contains_any(text, ("Z", "+")) | (text.str.count("-").to_numpy() > 2)
    text = _replace_where(text, offset, _UTC_OFFSET, r"\1")
    return text.str.strip()


def _contains_any(text: pd.Series, literals: tuple[str, ...]) -> np.ndarray:
    found = np.zeros(len(text), bool)
    for literal in literals:
        found |= text.str.contains(literal, regex=False).to_numpy(dtype=bool)
    return found


def _replace_where(text: pd.Series, where: np.ndarray, pattern: str, replacement: str) -> pd.Series:
    if where.all():
        return text.str.replace(pattern, replacement, regex=True)
    if where.any():
        text = text.copy()
        text[where] = text[where].str.replace(pattern, replacement, regex=True)
    return text


def _parse_by_shape(u: Uniques, where: np.ndarray, text: pd.Series, out: np.ndarray, why: str) -> None:
    """Parse text already rewritten to `YYYY-M-D[ H:MM[:SS[.f]]]`; flag shaped but impossible dates.

    `YYYY-M-D 24:00` is the next day's 00:00 (`MIDNIGHT_24`), marked in `u.midnight`.
    """
    midnight = text.str.fullmatch(MIDNIGHT_24).to_numpy(dtype=bool)
    if midnight.any():
        text = text.copy()
        text[midnight] = text[midnight].str.replace("^" + MIDNIGHT_24 + "$", r"\1 00:00", regex=True)
    shaped = np.zeros(len(where), bool)
    for pattern, fmt in _CANONICAL_SHAPES:
        match = text.str.fullmatch(pattern).to_numpy(dtype=bool) & ~shaped
        if match.any():
            _store(u, where[match], out, pd.to_datetime(text[match], format=fmt, errors="coerce"))
            shaped |= match
        if shaped.all():
            break
    failed = shaped & np.isnat(out[where])
    u.flag(_mask(u.n, where[failed]), "bad_datetime", why)
    if midnight.any():
        next_day = where[midnight & ~failed]
        out[next_day] += np.timedelta64(1, "D")
        u.midnight[next_day] = True


def _year_last_to_iso(
    u: Uniques, where: np.ndarray, text: pd.Series, order: DateOrder | None
) -> tuple[pd.Series, str]:
    """Rewrite `D/M/YYYY` or `M/D/YYYY` to ISO, inferring the order from the column if not given.

    Returns the rewritten text and the reason to give for dates impossible in that order.
    """
    how = f"date_order: {order}" if order else "the order the other dates in this column use"
    first = text.str.replace(r"^([0-9]+)[^0-9].*$", r"\1", regex=True).astype(int).to_numpy()
    second = text.str.replace(r"^[0-9]+[^0-9]([0-9]+)[^0-9].*$", r"\1", regex=True).astype(int).to_numpy()
    if order is None:
        day_first = (first > 12) & (second <= 12)
        month_first = (second > 12) & (first <= 12)
        if day_first.any() != month_first.any():
            order = "dmy" if day_first.any() else "mdy"
        else:
            _flag_ambiguous(u, where[(first <= 12) | (second <= 12)], mixed=bool(day_first.any()))
            return text, REASON_IMPOSSIBLE
    swap, read_as = (r"\3-\2-\1", "day/month/year") if order == "dmy" else (r"\3-\1-\2", "month/day/year")
    iso = text.str.replace(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})", swap, regex=True)
    return iso, f"not a real calendar date when read as {read_as} ({how})"


def _flag_ambiguous(u: Uniques, where: np.ndarray, *, mixed: bool) -> None:
    why = ": the column has both day-first and month-first dates" if mixed else ""
    hint = "set date_order: dmy or mdy in the mapping file"
    reasons = np.full(u.n, None, dtype=object)
    reasons[where] = [f"day/month order is ambiguous ({u.text.iloc[i]}){why}; {hint}" for i in where]
    u.flag(_mask(u.n, where), "ambiguous_date_order", reasons, severity="error")


def _datetimes_from_cells(u: Uniques, out: np.ndarray, *, excel: bool, date1904: bool = False) -> None:
    """Excel date cells as they are; numbers as Excel serial days when the file is .xlsx."""
    cells = u.of_kind(DATETIME, DATE)
    if cells.any():
        naive = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in u.raw[cells]]
        where = np.flatnonzero(cells)
        _store(u, where, out, pd.to_datetime(pd.Series(naive, dtype=object), errors="coerce"))
    u.flag(u.of_kind(TIME), "bad_datetime", REASON_TIME_ONLY)
    numbers_ = u.of_kind(INT, FLOAT)
    if excel and numbers_.any():
        _store_serials(u, np.flatnonzero(numbers_), out, _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH)
    elif not excel:
        u.flag(numbers_, "bad_datetime", REASON_CSV_SERIAL)


def _store_serials(u: Uniques, where: np.ndarray, out: np.ndarray, epoch: np.datetime64) -> None:
    """Excel serial days (1900 system: day 0 = 1899-12-30; 1904 system: 1904-01-01), to the second."""
    serial = u.raw[where].astype(float)
    in_range = (serial >= 1) & (serial < _EXCEL_MAX_SERIAL)
    seconds = np.rint(serial[in_range] * 86400).astype(np.int64)
    out[where[in_range]] = (epoch + seconds.astype("timedelta64[s]")).astype("datetime64[ns]")
    time_only = (serial >= 0) & (serial < 1)
    u.flag(_mask(u.n, where[time_only]), "bad_datetime", REASON_TIME_ONLY)
    u.flag(_mask(u.n, where[~in_range & ~time_only]), "bad_datetime", REASON_OUT_OF_RANGE)


def _store(u: Uniques, where: np.ndarray, out: np.ndarray, parsed: pd.Series) -> None:
    """Put parsed datetimes into `out` (ns), flagging those outside the datetime64[ns] range."""
    values = parsed.to_numpy(copy=True)
    seconds = values.astype("datetime64[s]")
    outside = (seconds < _NS_MIN) | (seconds > _NS_MAX)
    values[outside] = np.datetime64("NaT")
    out[where] = values.astype("datetime64[ns]")
    u.flag(_mask(u.n, where[outside]), "bad_datetime", REASON_OUT_OF_RANGE)


def _mask(n: int, where: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, bool)
    mask[where] = True
    return mask
