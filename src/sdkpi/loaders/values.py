"""Parse one raw column (CSV text or Excel cell objects) into typed values.

`parse_column` is vectorised: it factorizes the column, parses each distinct raw
value once (fast common forms first, with whole-array pandas calls; regex
rewriting only for the leftovers), then maps the results back with the codes.
Every cell that cannot be read, and every cell accepted with a warning
(placeholders such as ``#N/A``, uncalculated formulas, IDs in scientific
notation), is reported as a `CellProblem` with its 0-based position.

The accepted formats are those of the data contract ("Value formats accepted
everywhere") and of bad-input.md ("Rows and values").

This module is the entry and reads text, codes (enum) and yes/no; numbers are read by
`numbers`, dates and times by `dates`, on the record of distinct values of `cells`. The fast
lane (`fast`) takes every rule it needs from these modules.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sdkpi.contract import ColumnType

from .cells import BOOL, DATE, DATETIME, FLOAT, INT, OTHER, STR, TIME, Severity, Uniques, cell_kind, factorize
from .dates import DateOrder, parse_datetime
from .names import YES_NO_WORDS
from .numbers import parse_number
from .sheet_source import UNCALCULATED

__all__ = ["UNCALCULATED", "CellProblem", "ParsedColumn", "parse_column"]


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
REASON_PLACEHOLDER = "placeholder instead of a value; read as missing"
REASON_UNCALCULATED = "formula never calculated by Excel (no cached value); open and save the file in Excel"
REASON_BOOL = "not a yes/no value (accepted: true/false, 1/0, yes/no, y/n, 是/否, √/×)"
REASON_MIDNIGHT_24 = (
    "24:00 read as 00:00 of the next day (a form some DMS exports write); "
    "{count} cell(s) of this column, the first shown"
)
REASON_CONTROL = "control characters (such as NUL) removed from the text"
REASON_ID_SCI = "looks like an ID that Excel turned into scientific notation; digits are lost"
REASON_ID_BIG_NUMBER = "an ID stored as a number of 16+ digits; Excel keeps only 15, so digits may be lost"

#: An ID that Excel turned into scientific notation (1.23E+15).
ID_SCI = r"[+-]?[0-9]+\.[0-9]+[eE][+-]?[0-9]+"
#: C0 control characters and DEL (not tab, line feed, carriage return): never part of a name
#: or a value, they are removed from text before anything else reads it ("SA01\x00" is SA01),
#: and reported. The fast lane leaves any cell holding one of these bytes to this module.
CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))
_CONTROL = "[" + "".join(f"\\x{ord(c):02x}" for c in CONTROL_CHARACTERS) + "]"


#: The whitespace `_normalise` strips (Python's str.strip(): the characters of str.isspace),
#: spelled for RE2: the fast lane leaves a cell that begins or ends with one to this module.
SPACE_CLASS = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)


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
    kind = cell_kind(value)
    if kind == BOOL:
        return "TRUE" if value else "FALSE"
    if kind == FLOAT:
        number = float(value)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() else f"{number:.15g}"
    if kind == DATETIME:
        return value.isoformat(sep=" ")  # type: ignore[attr-defined]
    if kind in (DATE, TIME):
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


def _prepare(u: Uniques, value_map: Mapping[str, str] | None) -> None:
    """Normalise text, apply the user's value map, find missing values and placeholders."""
    uncalculated = (u.kinds == STR) & (u.text == UNCALCULATED).to_numpy(dtype=bool)
    if uncalculated.any():
        u.text[uncalculated] = ""
    u.stripped = u.text.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
    if u.stripped.any():
        u.text[u.stripped] = u.text[u.stripped].str.replace(_CONTROL, "", regex=True)
    u.text = _normalise(u.text)
    if value_map:
        _apply_value_map(u, value_map, ~uncalculated)
    is_str = u.kinds == STR
    placeholder = is_str & u.text.isin(PLACEHOLDERS).to_numpy(dtype=bool)
    silent = is_str & u.text.isin(SILENT_MISSING).to_numpy(dtype=bool) & ~uncalculated
    u.flag(placeholder, "placeholder", REASON_PLACEHOLDER, bad=False)
    u.flag(uncalculated, "uncalculated_formula", REASON_UNCALCULATED, bad=False)
    u.missing |= silent | placeholder | uncalculated


def _apply_value_map(u: Uniques, value_map: Mapping[str, str], mappable: np.ndarray) -> None:
    """Replace mapped values: exact match on the normalised text first, then case-insensitive."""
    # a YAML mapping file may give {1: retail} or {有: true}: take keys and targets as text
    keys = _normalise(pd.Series([_as_text(k) for k in value_map], dtype="str"))
    exact = dict(zip(keys, (_as_text(v) for v in value_map.values()), strict=True))
    folded = {k.lower(): v for k, v in reversed(exact.items())}
    text = u.text.copy()
    other = u.kinds != STR
    if other.any():  # a number or date cell mapped by its text, e.g. {"1": "retail"}
        text[other] = [_excel_text(v) for v in u.raw[other]]
    mapped = text.map(exact)
    mapped = mapped.where(mapped.notna(), text.str.lower().map(folded))
    hit = mapped.notna().to_numpy(dtype=bool) & mappable
    if hit.any():
        u.text[hit] = _normalise(pd.Series(mapped[hit].to_numpy(dtype=object), dtype="str")).to_numpy()
        u.kinds[hit] = STR


# --------------------------------------------------------------------------- per type


def _parse_text(u: Uniques, *, is_id: bool) -> np.ndarray:
    values = u.text.to_numpy(dtype=object)
    other = u.of_kind(BOOL, INT, FLOAT, DATETIME, DATE, TIME, OTHER)
    values[other] = [_excel_text(v) for v in u.raw[other]]
    if is_id:
        sci = (u.kinds == STR) & u.text.str.fullmatch(ID_SCI).to_numpy(dtype=bool)
        u.flag(sci, "id_lost_digits", REASON_ID_SCI, bad=False)
        numeric = u.of_kind(INT, FLOAT)
        big = np.zeros(len(values), bool)
        big[numeric] = [abs(float(v)) >= 1e15 for v in u.raw[numeric]]
        u.flag(big, "id_lost_digits", REASON_ID_BIG_NUMBER, bad=False)
    values[u.missing] = None
    return values


def _parse_enum(u: Uniques, enum_values: Mapping[str, Sequence[str]]) -> np.ndarray:
    spellings = [(s, canonical) for canonical, alias in enum_values.items() for s in (canonical, *alias)]
    keys = _normalise(pd.Series([s for s, _ in spellings], dtype="str")).str.lower()
    lookup = dict(zip(keys, (canonical for _, canonical in spellings), strict=True))
    text = pd.Series(_parse_text(u, is_id=False), dtype="str")
    values = text.str.lower().map(lookup).to_numpy(dtype=object)
    values[pd.isna(values)] = None
    accepted = ", ".join(f"{c} ({'/'.join(s)})" if s else c for c, s in enum_values.items())
    u.flag(pd.isna(values), "bad_enum", f"not one of the accepted values: {accepted}")
    return values


def _parse_bool(u: Uniques, *, excel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Values and validity per distinct value."""
    values = np.zeros(u.n, bool)
    valid = np.zeros(u.n, bool)
    is_str = u.of_kind(STR)
    words = u.text[is_str].str.lower().map(YES_NO_WORDS).astype("float64").to_numpy()  # 1, 0, NaN
    valid[is_str] = ~np.isnan(words)
    values[is_str] = words == 1.0
    real_bool = u.of_kind(BOOL)
    values[real_bool] = u.raw[real_bool].astype(bool)
    valid |= real_bool
    if excel:
        number = u.of_kind(INT, FLOAT)
        zero_one = np.zeros(u.n, bool)
        zero_one[number] = np.isin(u.raw[number].astype(float), (0.0, 1.0))
        values[zero_one] = u.raw[zero_one].astype(float) == 1.0
        valid |= zero_one
    u.flag(~valid, "bad_bool", REASON_BOOL)
    return values, valid & u.todo


# --------------------------------------------------------------------------- assembly


def _spread(per_unique: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Per-cell array from per-unique values; code -1 (empty cell) takes `fill`."""
    return np.append(per_unique, np.array([fill], dtype=per_unique.dtype))[codes]


def _problems(u: Uniques, codes: np.ndarray) -> list[CellProblem]:
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
    if ctype not in DTYPES:
        raise ValueError(f"unknown column type {ctype!r}; expected one of {', '.join(DTYPES)}")
    if ctype == "enum" and not enum_values:
        raise ValueError("an enum column needs enum_values (canonical value -> accepted spellings)")
    if date_order not in (None, "dmy", "mdy"):
        raise ValueError(f"date_order must be 'dmy' or 'mdy', not {date_order!r}")
    codes, u = factorize(raw)
    _prepare(u, value_map)
    values: pd.api.extensions.ExtensionArray | np.ndarray
    if ctype == "bool":
        flags, valid = _parse_bool(u, excel=excel)
        values = pd.arrays.BooleanArray(_spread(flags, codes, False), ~_spread(valid, codes, False))
    elif ctype == "number":
        values = _spread(parse_number(u, plausible), codes, np.nan)
    elif ctype in ("datetime", "date"):
        stamps = parse_datetime(u, excel=excel, date_order=date_order, date1904=date1904)
        if ctype == "date":
            stamps = stamps.astype("datetime64[D]").astype("datetime64[ns]")
        values = _spread(stamps, codes, np.datetime64("NaT"))
    elif ctype == "enum":
        values = _spread(_parse_enum(u, enum_values or {}), codes, None)
    else:
        values = _spread(_parse_text(u, is_id=is_id), codes, None)
    series = pd.Series(values, index=raw.index, name=raw.name, dtype=DTYPES[ctype], copy=False)
    _flag_stripped(u)
    problems = _problems(u, codes)
    if u.midnight.any():
        positions = np.flatnonzero(_spread(u.midnight, codes, False))
        problems.append(midnight_problem(positions, raw.iloc[positions[0]]))
    return ParsedColumn(series, _spread(u.bad, codes, False), problems)


def _flag_stripped(u: Uniques) -> None:
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


DTYPES: dict[str, str] = {
    "text": "object",
    "enum": "object",
    "number": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
}
