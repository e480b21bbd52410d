"""Numbers: the one meaning of a number cell (plain, signed, grouped, with a currency sign)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import FLOAT, INT, STR, Uniques

REASON_NUMBER = "not a number (accepted: 1234.5, -3, 1,234.5, ¥1,234, $12, 1.5E3)"
REASON_OUT_OF_RANGE_NUMBER = (
    "outside the plausible range of this column ({low:g} to {high:g}); read as empty, "
    "the row is left out of the KPIs that read this column"
)

#: A plain number as text (the fast lane reads only these; `numbers_from_text` reads the rest).
PLAIN_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_GROUPED_NUMBER = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"


def parse_number(u: Uniques, plausible: tuple[float, float] | None = None) -> np.ndarray:
    values = np.full(u.n, np.nan)
    is_str = u.of_kind(STR)
    values[is_str] = _numbers_from_text(u.text[is_str])
    number = u.of_kind(INT, FLOAT)
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
    plain = text.str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool)
    values[plain] = text[plain].astype("float64").to_numpy()
    rest = text[~plain]
    if len(rest):
        rest = rest.str.replace("¥", "$", regex=False)  # keeps the regexes ASCII (fast in RE2)
        rest = rest.str.replace(r"^([+-]?) ?\$ ?", r"\1", regex=True)  # -$12, $-12, $ 12
        grouped = rest.str.fullmatch(_GROUPED_NUMBER)
        rest = rest.where(~grouped, rest.str.replace(",", "", regex=False))
        ok = rest.str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool)
        parsed = np.full(len(rest), np.nan)
        parsed[ok] = rest[ok].astype("float64").to_numpy()
        values[~plain] = parsed
    return values
