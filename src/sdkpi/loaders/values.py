"""Parse one raw column (CSV text or Excel cell objects) into typed values.

`parse_column` is vectorised: it factorizes the column, parses each distinct raw
value once (fast common forms first, with whole-array pandas calls; regex
rewriting only for the leftovers), then maps the results back with the codes.
Every cell that cannot be read, and every cell accepted with a warning
(placeholders such as ``#N/A``, uncalculated formulas, IDs in scientific
notation), is reported as a `CellProblem` with its 0-based position.

The accepted formats are those of the data contract ("Value formats accepted
everywhere") and of bad-input.md ("Rows and values").
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sdkpi.contract import ColumnType

__all__ = ["UNCALCULATED", "CellProblem", "ParsedColumn", "parse_column"]

#: What an Excel reader puts in a cell holding a formula with no cached value.
UNCALCULATED = "\x00uncalculated-formula"

Severity = Literal["error", "warning", "info"]
DateOrder = Literal["dmy", "mdy"]


@dataclass(frozen=True)
class CellProblem:
    """One cell that could not be read, or was read with a warning."""

    pos: int
    value: str
    reason: str
    severity: Severity
    code: str


@dataclass
class ParsedColumn:
    """The typed values of one column, which cells were bad, and why."""

    values: pd.Series
    bad: np.ndarray
    problems: list[CellProblem]


# --------------------------------------------------------------------------- vocabulary

SILENT_MISSING = frozenset({"", "-", "--", "—", "——", "NULL"})
PLACEHOLDERS = frozenset(
    {
        "null",
        "Null",
        "NA",
        "N/A",
        "n/a",
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "nan",
        "NaN",
        "None",
    }
)
_BOOL_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "1", "yes", "y", "是", "√", "✓", "✔"), True),
    **dict.fromkeys(("false", "0", "no", "n", "否", "×", "✗", "✘"), False),
}

REASON_PLACEHOLDER = "placeholder instead of a value; read as missing"
REASON_UNCALCULATED = "formula never calculated by Excel (no cached value); open and save the file in Excel"
REASON_BOOL = "not a yes/no value (accepted: true/false, 1/0, yes/no, y/n, 是/否, √/×)"
REASON_NUMBER = "not a number (accepted: 1234.5, -3, 1,234.5, ¥1,234, $12, 1.5E3)"
REASON_DATETIME = (
    "not a date/time (accepted: 2024-05-03 14:20[:59], 2024-05-03T14:20, 2024/5/3 14:20, 2024.5.3, "
    "2024年5月3日 14:20, 03/05/2024 with date_order, Excel date cells)"
)
REASON_CSV_SERIAL = "a number, not a date (Excel serial numbers are read only from .xlsx date cells)"
REASON_IMPOSSIBLE = "not a real calendar date/time"
REASON_OUT_OF_RANGE = "date out of the supported range (years 1677-2262)"
REASON_TIME_ONLY = "a time of day without a date"
REASON_MIDNIGHT_24 = (
    "24:00 read as 00:00 of the next day (a form some DMS exports write); "
    "{count} cell(s) of this column, the first shown"
)
REASON_OUT_OF_RANGE_NUMBER = (
    "outside the plausible range of this column ({low:g} to {high:g}); read as empty, "
    "the row is left out of the KPIs that read this column"
)
REASON_CONTROL = "control characters (such as NUL) removed from the text"
REASON_ID_SCI = "looks like an ID that Excel turned into scientific notation; digits are lost"
REASON_ID_BIG_NUMBER = "an ID stored as a number of 16+ digits; Excel keeps only 15, so digits may be lost"

# kinds of raw unique values
_STR, _BOOL, _INT, _FLOAT, _DATETIME, _DATE, _TIME, _OTHER = range(8)
_KIND_BY_TYPE: dict[type, int] = {
    str: _STR,
    bool: _BOOL,
    int: _INT,
    float: _FLOAT,
    dt.datetime: _DATETIME,
    pd.Timestamp: _DATETIME,
    dt.date: _DATE,
    dt.time: _TIME,
    np.bool_: _BOOL,
    np.float64: _FLOAT,
    np.int64: _INT,
}
# infer_dtype results that cannot mix bools with numbers (True == 1 would merge them in factorize)
_NO_BOOL_MIX = frozenset(
    {
        "string",
        "empty",
        "boolean",
        "floating",
        "integer",
        "datetime",
        "date",
        "time",
        "timedelta",
        "decimal",
        "bytes",
        "datetime64",
    }
)

_PLAIN_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_GROUPED_NUMBER = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
_ID_SCI = r"[+-]?[0-9]+\.[0-9]+[eE][+-]?[0-9]+"

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
#: C0 control characters and DEL (not tab, line feed, carriage return): never part of a name
#: or a value, they are removed from text before anything else reads it ("SA01\x00" is SA01),
#: and reported. The fast lane leaves any cell holding one of these bytes to this module.
CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))
_CONTROL = "[" + "".join(f"\\x{ord(c):02x}" for c in CONTROL_CHARACTERS) + "]"
_NS_MIN = np.datetime64("1677-09-22", "s")
_NS_MAX = np.datetime64("2262-04-10", "s")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
_EXCEL_EPOCH_1904 = np.datetime64("1904-01-01", "s")  # Mac Excel's date system
_EXCEL_MAX_SERIAL = float((_NS_MAX - _EXCEL_EPOCH) / np.timedelta64(1, "D"))


# --------------------------------------------------------------------------- distinct values


@dataclass
class _Uniques:
    """The distinct raw values of a column and what was found about each."""

    source: np.ndarray | pd.Index  # the raw values, as factorize gave them
    kinds: np.ndarray  # int8: _STR, _BOOL, ...
    text: pd.Series  # str: normalised text of _STR values ("" elsewhere)
    missing: np.ndarray
    bad: np.ndarray
    code: np.ndarray  # object: problem code or None
    reason: np.ndarray  # object
    severity: np.ndarray  # object
    stripped: np.ndarray  # bool: control characters were removed from the text
    midnight: np.ndarray  # bool: a date/time written with 24:00, read as the next day's 00:00

    @classmethod
    def build(cls, source: np.ndarray | pd.Index, kinds: np.ndarray, text: pd.Series) -> _Uniques:
        n = len(kinds)
        none = np.full(n, None, dtype=object)
        no = np.zeros(n, bool)
        return cls(source, kinds, text, no, no.copy(), none, none.copy(), none.copy(), no.copy(), no.copy())

    @property
    def n(self) -> int:
        return len(self.kinds)

    @functools.cached_property
    def raw(self) -> np.ndarray:
        """The raw values as Python objects (made only when a non-text value needs them)."""
        return np.asarray(self.source, dtype=object)

    def flag(
        self,
        mask: np.ndarray,
        code: str,
        reason: str | np.ndarray,
        *,
        bad: bool = True,
        severity: Severity = "warning",
    ) -> None:
        """Record a problem on the values in `mask` that have none yet."""
        mask = mask & ~self.missing & pd.isna(self.code)
        if not mask.any():
            return
        self.code[mask] = code
        self.reason[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
        self.severity[mask] = severity
        if bad:
            self.bad |= mask

    @property
    def todo(self) -> np.ndarray:
        """Values still to be parsed: present, not bad."""
        return ~self.missing & ~self.bad

    def of_kind(self, *kinds: int) -> np.ndarray:
        return np.isin(self.kinds, kinds) & self.todo


def _kind(value: object) -> int:
    kind = _KIND_BY_TYPE.get(type(value))
    if kind is not None:
        return kind
    checks: tuple[tuple[type | tuple[type, ...], int], ...] = (
        (str, _STR),
        ((bool, np.bool_), _BOOL),
        (numbers.Integral, _INT),
        (numbers.Real, _FLOAT),
        (dt.datetime, _DATETIME),
        (dt.date, _DATE),
        (dt.time, _TIME),
    )
    return next((k for t, k in checks if isinstance(value, t)), _OTHER)


def _factorize(raw: pd.Series) -> tuple[np.ndarray, _Uniques]:
    """The distinct values of `raw`, and the code of each cell (-1 for None/NaN)."""
    if raw.dtype != object and pd.api.types.is_string_dtype(raw.dtype):  # str, string, ArrowDtype
        codes, uniques = pd.factorize(raw)
        kinds = np.full(len(uniques), _STR, dtype=np.int8)
        return codes, _Uniques.build(uniques, kinds, pd.Series(uniques, dtype="str"))
    if raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) not in _NO_BOOL_MIX:
        codes, objects = _factorize_apart_bools(raw.to_numpy(dtype=object))
    else:
        codes, uniques = pd.factorize(raw)
        objects = np.asarray(uniques, dtype=object)
    kinds = np.fromiter((_kind(v) for v in objects), np.int8, len(objects))
    text = pd.Series(np.where(kinds == _STR, objects, ""), dtype="str")
    return codes, _Uniques.build(objects, kinds, text)


def _factorize_apart_bools(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorize keeping True apart from 1 and False apart from 0 (equal in Python)."""
    is_bool = np.fromiter((type(v) in (bool, np.bool_) for v in values), bool, len(values))
    codes, uniques = pd.factorize(values[~is_bool])
    objects = np.append(np.asarray(uniques, dtype=object), np.array([False, True], dtype=object))
    all_codes = np.empty(len(values), dtype=np.intp)
    all_codes[~is_bool] = codes
    all_codes[is_bool] = len(uniques) + values[is_bool].astype(bool)
    return all_codes, objects


def _normalise(texts: pd.Series) -> pd.Series:
    """NFKC (full-width digits, letters and spaces to ASCII), then strip whitespace."""
    not_ascii = ~texts.str.isascii().to_numpy(dtype=bool)
    if not_ascii.any():
        normal = _nfkc(texts[not_ascii].tolist())
        if normal is not None:
            texts = texts.copy()
            texts[not_ascii] = normal
    return texts.str.strip()


def _nfkc(texts: list[str]) -> list[str] | None:
    """NFKC of many strings in one call (pandas' str.normalize goes value by value); None if unchanged.

    NUL is a starter that NFKC neither produces nor composes with, so normalising the strings
    joined on it and splitting again gives each string's own normal form (the count is checked).
    """
    if any("\x00" in t for t in texts):
        normal = [unicodedata.normalize("NFKC", t) for t in texts]
        return None if normal == texts else normal
    joined = "\x00".join(texts)
    normal_joined = unicodedata.normalize("NFKC", joined)
    if normal_joined == joined:
        return None
    parts = normal_joined.split("\x00")
    return parts if len(parts) == len(texts) else [unicodedata.normalize("NFKC", t) for t in texts]


def _excel_text(value: object) -> str:
    """A non-text cell value as Excel shows it."""
    kind = _kind(value)
    if kind == _BOOL:
        return "TRUE" if value else "FALSE"
    if kind == _FLOAT:
        number = float(value)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() else f"{number:.15g}"
    if kind == _DATETIME:
        return value.isoformat(sep=" ")  # type: ignore[attr-defined]
    if kind in (_DATE, _TIME):
        return value.isoformat()  # type: ignore[attr-defined]
    return str(value)


def _display(value: object) -> str:
    """A cell as a data issue shows it (control characters spelled out: `SA01\\x00`)."""
    if isinstance(value, str) and value == UNCALCULATED:
        return ""
    return (value if isinstance(value, str) else _excel_text(value)).translate(_SPELLED_OUT)


_SPELLED_OUT = {ord(c): f"\\x{ord(c):02x}" for c in CONTROL_CHARACTERS}


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else _excel_text(value)


def _prepare(u: _Uniques, value_map: Mapping[str, str] | None) -> None:
    """Normalise text, apply the user's value map, find missing values and placeholders."""
    uncalculated = (u.kinds == _STR) & (u.text == UNCALCULATED).to_numpy(dtype=bool)
    if uncalculated.any():
        u.text[uncalculated] = ""
    u.stripped = u.text.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
    if u.stripped.any():
        u.text[u.stripped] = u.text[u.stripped].str.replace(_CONTROL, "", regex=True)
    u.text = _normalise(u.text)
    if value_map:
        _apply_value_map(u, value_map, ~uncalculated)
    is_str = u.kinds == _STR
    placeholder = is_str & u.text.isin(PLACEHOLDERS).to_numpy(dtype=bool)
    silent = is_str & u.text.isin(SILENT_MISSING).to_numpy(dtype=bool) & ~uncalculated
    u.flag(placeholder, "placeholder", REASON_PLACEHOLDER, bad=False)
    u.flag(uncalculated, "uncalculated_formula", REASON_UNCALCULATED, bad=False)
    u.missing |= silent | placeholder | uncalculated


def _apply_value_map(u: _Uniques, value_map: Mapping[str, str], mappable: np.ndarray) -> None:
    """Replace mapped values: exact match on the normalised text first, then case-insensitive."""
    # a YAML mapping file may give {1: retail} or {有: true}: take keys and targets as text
    keys = _normalise(pd.Series([_as_text(k) for k in value_map], dtype="str"))
    exact = dict(zip(keys, (_as_text(v) for v in value_map.values()), strict=True))
    folded = {k.lower(): v for k, v in reversed(exact.items())}
    text = u.text.copy()
    other = u.kinds != _STR
    if other.any():  # a number or date cell mapped by its text, e.g. {"1": "retail"}
        text[other] = [_excel_text(v) for v in u.raw[other]]
    mapped = text.map(exact)
    mapped = mapped.where(mapped.notna(), text.str.lower().map(folded))
    hit = mapped.notna().to_numpy(dtype=bool) & mappable
    if hit.any():
        u.text[hit] = _normalise(pd.Series(mapped[hit].to_numpy(dtype=object), dtype="str")).to_numpy()
        u.kinds[hit] = _STR


# --------------------------------------------------------------------------- per type


def _parse_text(u: _Uniques, *, is_id: bool) -> np.ndarray:
    values = u.text.to_numpy(dtype=object)
    other = u.of_kind(_BOOL, _INT, _FLOAT, _DATETIME, _DATE, _TIME, _OTHER)
    values[other] = [_excel_text(v) for v in u.raw[other]]
    if is_id:
        sci = (u.kinds == _STR) & u.text.str.fullmatch(_ID_SCI).to_numpy(dtype=bool)
        u.flag(sci, "id_lost_digits", REASON_ID_SCI, bad=False)
        numeric = u.of_kind(_INT, _FLOAT)
        big = np.zeros(len(values), bool)
        big[numeric] = [abs(float(v)) >= 1e15 for v in u.raw[numeric]]
        u.flag(big, "id_lost_digits", REASON_ID_BIG_NUMBER, bad=False)
    values[u.missing] = None
    return values


def _parse_enum(u: _Uniques, enum_values: Mapping[str, Sequence[str]]) -> np.ndarray:
    spellings = [(s, canonical) for canonical, alias in enum_values.items() for s in (canonical, *alias)]
    keys = _normalise(pd.Series([s for s, _ in spellings], dtype="str")).str.lower()
    lookup = dict(zip(keys, (canonical for _, canonical in spellings), strict=True))
    text = pd.Series(_parse_text(u, is_id=False), dtype="str")
    values = text.str.lower().map(lookup).to_numpy(dtype=object)
    values[pd.isna(values)] = None
    accepted = ", ".join(f"{c} ({'/'.join(s)})" if s else c for c, s in enum_values.items())
    u.flag(pd.isna(values), "bad_enum", f"not one of the accepted values: {accepted}")
    return values


def _parse_bool(u: _Uniques, *, excel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Values and validity per distinct value."""
    values = np.zeros(u.n, bool)
    valid = np.zeros(u.n, bool)
    is_str = u.of_kind(_STR)
    words = u.text[is_str].str.lower().map(_BOOL_WORDS).astype("float64").to_numpy()  # 1, 0, NaN
    valid[is_str] = ~np.isnan(words)
    values[is_str] = words == 1.0
    real_bool = u.of_kind(_BOOL)
    values[real_bool] = u.raw[real_bool].astype(bool)
    valid |= real_bool
    if excel:
        number = u.of_kind(_INT, _FLOAT)
        zero_one = np.zeros(u.n, bool)
        zero_one[number] = np.isin(u.raw[number].astype(float), (0.0, 1.0))
        values[zero_one] = u.raw[zero_one].astype(float) == 1.0
        valid |= zero_one
    u.flag(~valid, "bad_bool", REASON_BOOL)
    return values, valid & u.todo


def _parse_number(u: _Uniques, plausible: tuple[float, float] | None = None) -> np.ndarray:
    values = np.full(u.n, np.nan)
    is_str = u.of_kind(_STR)
    values[is_str] = _numbers_from_text(u.text[is_str])
    number = u.of_kind(_INT, _FLOAT)
    values[number] = u.raw[number].astype(float)
    u.flag(~np.isfinite(values), "bad_number", REASON_NUMBER)
    if plausible is not None:
        low, high = plausible
        with np.errstate(invalid="ignore"):
            outside = (values < low) | (values > high)
        reason = REASON_OUT_OF_RANGE_NUMBER.format(low=low, high=high)
        u.flag(outside, "out_of_range", reason, severity="error")
    values[~u.todo] = np.nan
    return values


def out_of_range(values: np.ndarray, plausible: tuple[float, float] | None) -> bool:
    """Does a value lie outside the plausible range (the fast lanes then leave the column to
    `parse_column`, which reports each such cell)?"""
    if plausible is None:
        return False
    present = values[~np.isnan(values)]
    return bool(len(present)) and bool(present.min() < plausible[0] or present.max() > plausible[1])


def _numbers_from_text(text: pd.Series) -> np.ndarray:
    """Plain numbers first in one call; currency signs and thousands separators for the rest."""
    values = np.full(len(text), np.nan)
    plain = text.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
    values[plain] = text[plain].astype("float64").to_numpy()
    rest = text[~plain]
    if len(rest):
        rest = rest.str.replace("¥", "$", regex=False)  # keeps the regexes ASCII (fast in RE2)
        rest = rest.str.replace(r"^([+-]?) ?\$ ?", r"\1", regex=True)  # -$12, $-12, $ 12
        grouped = rest.str.fullmatch(_GROUPED_NUMBER)
        rest = rest.where(~grouped, rest.str.replace(",", "", regex=False))
        ok = rest.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
        parsed = np.full(len(rest), np.nan)
        parsed[ok] = rest[ok].astype("float64").to_numpy()
        values[~plain] = parsed
    return values


# --------------------------------------------------------------------------- datetimes


def _parse_datetime(
    u: _Uniques, *, excel: bool, date_order: DateOrder | None, date1904: bool = False
) -> np.ndarray:
    values = np.full(u.n, np.datetime64("NaT"), dtype="datetime64[ns]")
    is_str = u.of_kind(_STR)
    if is_str.any():
        _datetimes_from_text(u, np.flatnonzero(is_str), values, date_order)
    _datetimes_from_cells(u, values, excel=excel, date1904=date1904)
    u.flag(u.todo & np.isnat(values), "bad_datetime", REASON_DATETIME)
    values[~u.todo] = np.datetime64("NaT")
    return values


def _datetimes_from_text(u: _Uniques, where: np.ndarray, out: np.ndarray, order: DateOrder | None) -> None:
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
    csv_serial = rewritten.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
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


def _parse_by_shape(u: _Uniques, where: np.ndarray, text: pd.Series, out: np.ndarray, why: str) -> None:
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
    u: _Uniques, where: np.ndarray, text: pd.Series, order: DateOrder | None
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


def _flag_ambiguous(u: _Uniques, where: np.ndarray, *, mixed: bool) -> None:
    why = ": the column has both day-first and month-first dates" if mixed else ""
    hint = "set date_order: dmy or mdy in the mapping file"
    reasons = np.full(u.n, None, dtype=object)
    reasons[where] = [f"day/month order is ambiguous ({u.text.iloc[i]}){why}; {hint}" for i in where]
    u.flag(_mask(u.n, where), "ambiguous_date_order", reasons, severity="error")


def _datetimes_from_cells(u: _Uniques, out: np.ndarray, *, excel: bool, date1904: bool = False) -> None:
    """Excel date cells as they are; numbers as Excel serial days when the file is .xlsx."""
    cells = u.of_kind(_DATETIME, _DATE)
    if cells.any():
        naive = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in u.raw[cells]]
        where = np.flatnonzero(cells)
        _store(u, where, out, pd.to_datetime(pd.Series(naive, dtype=object), errors="coerce"))
    u.flag(u.of_kind(_TIME), "bad_datetime", REASON_TIME_ONLY)
    numbers_ = u.of_kind(_INT, _FLOAT)
    if excel and numbers_.any():
        _store_serials(u, np.flatnonzero(numbers_), out, _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH)
    elif not excel:
        u.flag(numbers_, "bad_datetime", REASON_CSV_SERIAL)


def _store_serials(u: _Uniques, where: np.ndarray, out: np.ndarray, epoch: np.datetime64) -> None:
    """Excel serial days (1900 system: day 0 = 1899-12-30; 1904 system: 1904-01-01), to the second."""
    serial = u.raw[where].astype(float)
    in_range = (serial >= 1) & (serial < _EXCEL_MAX_SERIAL)
    seconds = np.rint(serial[in_range] * 86400).astype(np.int64)
    out[where[in_range]] = (epoch + seconds.astype("timedelta64[s]")).astype("datetime64[ns]")
    time_only = (serial >= 0) & (serial < 1)
    u.flag(_mask(u.n, where[time_only]), "bad_datetime", REASON_TIME_ONLY)
    u.flag(_mask(u.n, where[~in_range & ~time_only]), "bad_datetime", REASON_OUT_OF_RANGE)


def _store(u: _Uniques, where: np.ndarray, out: np.ndarray, parsed: pd.Series) -> None:
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


# --------------------------------------------------------------------------- assembly


def _spread(per_unique: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Per-cell array from per-unique values; code -1 (empty cell) takes `fill`."""
    return np.append(per_unique, np.array([fill], dtype=per_unique.dtype))[codes]


def _problems(u: _Uniques, codes: np.ndarray) -> list[CellProblem]:
    flagged = ~pd.isna(u.code)
    if not flagged.any():
        return []
    positions = np.flatnonzero(np.append(flagged, False)[codes])
    shown = {i: _display(u.source[i]) for i in np.flatnonzero(flagged).tolist()}
    return [
        CellProblem(pos, shown[c], u.reason[c], u.severity[c], u.code[c])
        for pos, c in zip(positions.tolist(), codes[positions].tolist(), strict=True)
    ]


def parse_column(
    raw: pd.Series,
    ctype: ColumnType,
    *,
    enum_values: Mapping[str, Sequence[str]] | None = None,
    date_order: DateOrder | None = None,
    excel: bool = False,
    value_map: Mapping[str, str] | None = None,
    is_id: bool = False,
    date1904: bool = False,
    plausible: tuple[float, float] | None = None,
) -> ParsedColumn:
    """Parse one raw column into values of `ctype`, reporting every bad or warned cell.

    `raw` holds CSV strings ("" for an empty cell) or Excel cell objects. See the
    module docstring and the data contract for the accepted formats. `plausible`: a number
    column's range (`contract.Column.plausible`); a value outside it is an error, read as empty.
    """
    if ctype not in _DTYPES:
        raise ValueError(f"unknown column type {ctype!r}; expected one of {', '.join(_DTYPES)}")
    if ctype == "enum" and not enum_values:
        raise ValueError("an enum column needs enum_values (canonical value -> accepted spellings)")
    if date_order not in (None, "dmy", "mdy"):
        raise ValueError(f"date_order must be 'dmy' or 'mdy', not {date_order!r}")
    codes, u = _factorize(raw)
    _prepare(u, value_map)
    values: pd.api.extensions.ExtensionArray | np.ndarray
    if ctype == "bool":
        flags, valid = _parse_bool(u, excel=excel)
        values = pd.arrays.BooleanArray(_spread(flags, codes, False), ~_spread(valid, codes, False))
    elif ctype == "number":
        values = _spread(_parse_number(u, plausible), codes, np.nan)
    elif ctype in ("datetime", "date"):
        stamps = _parse_datetime(u, excel=excel, date_order=date_order, date1904=date1904)
        if ctype == "date":
            stamps = stamps.astype("datetime64[D]").astype("datetime64[ns]")
        values = _spread(stamps, codes, np.datetime64("NaT"))
    elif ctype == "enum":
        values = _spread(_parse_enum(u, enum_values or {}), codes, None)
    else:
        values = _spread(_parse_text(u, is_id=is_id), codes, None)
    series = pd.Series(values, index=raw.index, name=raw.name, dtype=_DTYPES[ctype], copy=False)
    _flag_stripped(u)
    problems = _problems(u, codes)
    if u.midnight.any():
        positions = np.flatnonzero(_spread(u.midnight, codes, False))
        problems.append(midnight_problem(positions, raw.iloc[positions[0]]))
    return ParsedColumn(series, _spread(u.bad, codes, False), problems)


def _flag_stripped(u: _Uniques) -> None:
    """Text that held control characters: a warning, unless the value has a problem of its own
    (a cell that held nothing else is reported too, though it reads as empty)."""
    mask = u.stripped & pd.isna(u.code)
    u.code[mask] = "control_characters"
    u.reason[mask] = REASON_CONTROL
    u.severity[mask] = "warning"


def midnight_problem(positions: np.ndarray, first: object) -> CellProblem:
    """One note for the column's cells read with `24:00` (`positions`, 0-based), not one per cell:
    the first of them (`first`, its raw value), and how many there are."""
    reason = REASON_MIDNIGHT_24.format(count=len(positions))
    return CellProblem(int(positions[0]), _display(first), reason, "info", "midnight_24")


_DTYPES: dict[str, str] = {
    "text": "object",
    "enum": "object",
    "number": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
}
