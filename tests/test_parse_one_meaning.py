"""One meaning of each value type: the fast lane's Arrow parse (`loaders.fast`) and the
reference parse (`loaders.values`, with `numbers` and `dates`) agree on tricky cells.

The fast lane may decline a column (None: the reference reads it); when it answers, its
values are the reference's and the reference found nothing to report. Its rules are the
reference modules' own constants (`PLAIN_NUMBER`, `ID_SCI`, `SPACE_CLASS`, `YEAR_MIN`...):
these tests fail if either side changes a rule the other does not follow.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkpi.loaders import dates, fast, names, numbers, values


def _raw(cells: list[str]) -> pd.Series:
    return pd.Series(cells, dtype="str")  # what the CSV reader hands over


def _agree(cells: list[str], ctype: str, **kw: object) -> values.ParsedColumn | None:
    """The fast answer (or None), after checking it against the reference."""
    raw = _raw(cells)
    quick = fast.parse_column(raw, ctype, **kw)  # type: ignore[arg-type]
    slow = values.parse_column(raw, ctype, **kw)  # type: ignore[arg-type]
    if quick is not None:
        assert not slow.bad.any(), f"fast read {cells!r} the reference finds bad"
        assert [p for p in slow.problems if p.code != "midnight_24"] == []
        pd.testing.assert_series_equal(quick.values, slow.values)
        assert quick.bad.tolist() == slow.bad.tolist()
        assert quick.problems == slow.problems
    return quick


NUMBERS_TAKEN = ["1e3", "+.5", "1.", "-0", ".5e-3", "1E+308", "0.1", "-12.50", "007", "1.5E3", "+2"]
NUMBERS_DECLINED = [
    "1e400",
    "1,234.5",
    "¥12",
    "$12",
    " 12",
    "12 ",
    "12\u3000",
    "１２",
    "1e",
    ".",
    "+",
    "e3",
    "NaN",
]


@pytest.mark.parametrize("cell", NUMBERS_TAKEN)
def test_plain_numbers_are_read_alike(cell: str) -> None:
    assert _agree([cell, "", "2"], "number") is not None


@pytest.mark.parametrize("cell", NUMBERS_DECLINED)
def test_other_number_spellings_are_left_to_the_reference(cell: str) -> None:
    assert _agree([cell, "2"], "number") is None


def test_a_number_outside_the_plausible_range_is_left_to_the_reference() -> None:
    assert _agree(["250", "1"], "number", plausible=(-200.0, 200.0)) is None
    assert _agree(["200", "-200"], "number", plausible=(-200.0, 200.0)) is not None


IDS_SCI = ["1.23E+15", "1.5e3", "+1.0E5", "-2.5e-3"]


@pytest.mark.parametrize("cell", IDS_SCI)
def test_an_id_in_scientific_notation_is_left_to_the_reference(cell: str) -> None:
    assert _agree([cell, "RO1"], "text", is_id=True) is None
    assert [p.code for p in values.parse_column(_raw([cell]), "text", is_id=True).problems] == [
        "id_lost_digits"
    ]
    assert _agree([cell, "RO1"], "text") is not None  # not an ID column: plain text


@pytest.mark.parametrize("cell", ["1e5", "12E3", "1.5", "RO1.5E3", "1.5E3x"])
def test_id_shapes_that_are_not_scientific_notation_are_read_alike(cell: str) -> None:
    assert _agree([cell, "RO1"], "text", is_id=True) is not None


def test_the_fast_years_are_the_whole_years_of_the_reference_range() -> None:
    assert (dates.YEAR_MIN, dates.YEAR_MAX) == (1678, 2261)
    for year in (dates.YEAR_MIN, dates.YEAR_MAX):
        for cell in (f"{year}-01-01", f"{year}-12-31 23:59", f"{year}-06-15 12:00:00"):
            assert _agree([cell], "datetime") is not None, cell


@pytest.mark.parametrize(
    "cell",
    [
        "1677-12-31",  # inside datetime64[ns], outside the fast years: the reference reads it
        "2262-01-01",
        "1677-09-21",  # outside datetime64[ns]: the reference reports it
        "2262-04-11 00:00",
        "0001-01-01",
        "9999-12-31",
        "2023-02-29",  # not a leap year
        "2024-04-31 10:00",
        "2024-13-01",
        "2024-05-09 24:01",
        "2024-05-09 23:60",
        "2024-05-09 23:59:60",
        "2024-5-9",
        "2024-05-09T10:00",
        "2024/05/09",
        "2024-05-09 10:00:00.5",
        " 2024-05-09",
    ],
)
def test_dates_at_and_past_the_limits_are_read_alike_or_left_to_the_reference(cell: str) -> None:
    _agree([cell, "2024-05-09"], "datetime")
    _agree([cell, "2024-05-09"], "date")


@pytest.mark.parametrize("cell", ["2024-05-09 24:00", "2024-12-31 24:00:00", "2024-02-28 24:00"])
def test_midnight_written_24_00_is_the_next_day_both_ways(cell: str) -> None:
    width = len(cell)
    quick = _agree([cell, "", "2024-05-09 10:00" + (":00" if width == 19 else "")], "datetime")
    assert quick is not None and [p.code for p in quick.problems] == ["midnight_24"]


def _python_spaces() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def test_the_space_class_is_what_the_reference_strips() -> None:
    every = pa.array([chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF])
    matched = np.asarray(pc.match_substring_regex(every, f"^{values.SPACE_CLASS}$"), dtype=bool)
    found = [text for text, hit in zip(every.to_pylist(), matched.tolist(), strict=True) if hit]
    assert found == _python_spaces()
    assert all(not (" a" + space).strip().endswith(space) for space in found)  # str.strip() removes each


@pytest.mark.parametrize("space", _python_spaces())
def test_text_with_a_space_at_either_edge_is_left_to_the_reference(space: str) -> None:
    for cell in (f"SA01{space}", f"{space}SA01", f"张三{space}"):
        assert _agree([cell, "SA02"], "text") is None, repr(cell)
    _agree([f"SA{space}01", "SA02"], "text")  # inside: either lane, the same text


def test_the_fast_yes_and_no_spellings_are_the_references() -> None:
    for spellings, meaning in ((names.TRUE_SPELLINGS, True), (names.FALSE_SPELLINGS, False)):
        quick = _agree([*spellings, ""], "bool")
        assert quick is not None
        assert quick.values.tolist()[:-1] == [meaning] * len(spellings)


@pytest.mark.parametrize("cell", sorted(values.PLACEHOLDERS | values.SILENT_MISSING - {""}))
def test_placeholders_and_missing_markers_are_left_to_the_reference(cell: str) -> None:
    for ctype in ("text", "number", "bool", "datetime"):
        assert _agree([cell, ""], ctype) is None, (cell, ctype)


@pytest.mark.parametrize("cell", ["SA01\x00", "\x07", "a\x7fb"])
def test_control_characters_are_left_to_the_reference(cell: str) -> None:
    assert _agree([cell, "SA02"], "text") is None


def test_the_fast_number_and_id_patterns_are_the_references_anchored() -> None:
    samples = [*NUMBERS_TAKEN, *NUMBERS_DECLINED, *IDS_SCI, "1e5", "1.5", "RO1"]
    column = pa.array(samples)
    for pattern, fast_hits in (
        (numbers.PLAIN_NUMBER, pc.match_substring_regex(column, f"^{numbers.PLAIN_NUMBER}$")),
        (values.ID_SCI, pc.match_substring_regex(column, f"^{values.ID_SCI}$")),
    ):
        reference = pd.Series(samples, dtype="str").str.fullmatch(pattern).tolist()
        assert fast_hits.to_pylist() == reference


_SIGN = st.sampled_from(["", "+", "-"])
_DIGITS = st.text("0123456789", max_size=4)
_EXPONENT = st.one_of(st.just(""), st.tuples(st.sampled_from("eE"), _SIGN, _DIGITS).map("".join))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_SIGN, _DIGITS, st.sampled_from(["", "."]), _DIGITS, _EXPONENT), min_size=1, max_size=4
    )
)
def test_random_number_spellings_are_read_alike(parts: list[tuple[str, ...]]) -> None:
    _agree(["".join(p) for p in parts], "number")
    _agree(["".join(p) for p in parts], "text", is_id=True)


_TWO = st.integers(0, 99).map(lambda n: f"{n:02d}")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1676, 1677, 1678, 1970, 2000, 2023, 2024, 2100, 2261, 2262, 2263]),
            st.integers(0, 13),
            st.integers(0, 32),
            _TWO,
            _TWO,
            _TWO,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([10, 16, 19]),
)
def test_random_dates_are_read_alike(stamps: list[tuple[int, int, int, str, str, str]], width: int) -> None:
    cells = [f"{y:04d}-{m:02d}-{d:02d} {hh}:{mm}:{ss}"[:width] for y, m, d, hh, mm, ss in stamps]
    _agree(cells, "datetime")
    _agree(cells, "date")
