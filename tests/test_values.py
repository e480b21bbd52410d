"""Tests for sdkpi.loaders.values.parse_column: one raw column into typed values + cell problems."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sdkpi.loaders.values import UNCALCULATED, CellProblem, ParsedColumn, parse_column

RETAIL = {"retail": ("自费", "零售", "客户付费"), "warranty": ("保修", "索赔"), "internal": ("内部",)}
TS = pd.Timestamp


def csv(*values: str) -> pd.Series:
    """A column as the CSV reader gives it: pandas' default str dtype."""
    return pd.Series(list(values), dtype="str")


def cells(*values: object) -> pd.Series:
    """A column as an Excel reader gives it: Python objects."""
    return pd.Series(list(values), dtype=object)


def parse(raw: pd.Series, ctype: str, **kw: object) -> ParsedColumn:
    if ctype == "enum":
        kw.setdefault("enum_values", RETAIL)
    return parse_column(raw, ctype, **kw)  # type: ignore[arg-type]


def codes(result: ParsedColumn) -> list[tuple[int, str]]:
    return [(p.pos, p.code) for p in result.problems]


def one_value(raw: object, ctype: str, **kw: object) -> object:
    """Parse a single cell that must be accepted without any problem; return its value."""
    series = cells(raw) if not isinstance(raw, str) else csv(raw)
    result = parse(series, ctype, **kw)
    assert result.problems == [], result.problems
    assert not result.bad.any()
    return result.values.tolist()[0]


ALL_TYPES = ["text", "number", "bool", "datetime", "date", "enum"]
DTYPES = {
    "text": "object",
    "enum": "object",
    "number": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
}


# --------------------------------------------------------------------------- result shape


@pytest.mark.parametrize("ctype", ALL_TYPES)
def test_dtype_index_and_name_are_kept(ctype: str) -> None:
    raw = pd.Series(["", "", ""], index=[7, 3, 99], name="col", dtype="str")
    result = parse(raw, ctype)
    assert str(result.values.dtype) == DTYPES[ctype]
    assert list(result.values.index) == [7, 3, 99]
    assert result.values.name == "col"
    assert result.bad.dtype == np.bool_ and result.bad.shape == (3,)


@pytest.mark.parametrize("ctype", ALL_TYPES)
@pytest.mark.parametrize("raw", [pd.Series([], dtype="str"), pd.Series([], dtype=object)])
def test_empty_column(ctype: str, raw: pd.Series) -> None:
    result = parse(raw, ctype)
    assert len(result.values) == 0 and str(result.values.dtype) == DTYPES[ctype]
    assert result.problems == [] and len(result.bad) == 0


def test_missing_markers_per_dtype() -> None:
    assert parse(csv("", "x"), "text").values.iloc[0] is None
    assert np.isnan(parse(csv("", "1"), "number").values.iloc[0])
    assert parse(csv("", "yes"), "bool").values.iloc[0] is pd.NA
    assert parse(csv("", "2024-05-03"), "datetime").values.iloc[0] is pd.NaT


def test_positions_are_0_based_not_index_labels() -> None:
    raw = pd.Series(["1", "x", "2", "x"], index=["a", "b", "c", "d"], dtype="str")
    result = parse(raw, "number")
    assert codes(result) == [(1, "bad_number"), (3, "bad_number")]
    assert result.bad.tolist() == [False, True, False, True]
    assert result.values.loc["c"] == 2.0


def test_every_cell_of_a_repeated_bad_value_is_reported() -> None:
    raw = csv(*(["yes", "perhaps"] * 500))
    result = parse(raw, "bool")
    assert len(result.problems) == 500
    assert [p.pos for p in result.problems] == list(range(1, 1000, 2))
    assert int(result.bad.sum()) == 500


def test_cell_problem_fields() -> None:
    (problem,) = parse(csv("yes", " perhaps "), "bool").problems
    assert problem == CellProblem(
        pos=1,
        value=" perhaps ",
        reason="not a yes/no value (accepted: true/false, 1/0, yes/no, y/n, 是/否, √/×)",
        severity="warning",
        code="bad_bool",
    )


# --------------------------------------------------------------------------- missing values


SILENT = ["", "   ", "\u3000", "\u00a0", "-", "--", "—", " - ", "NULL", "ＮＵＬＬ", "－"]
PLACEHOLDERS = [
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
]


@pytest.mark.parametrize("ctype", ALL_TYPES)
@pytest.mark.parametrize("marker", SILENT)
def test_silent_missing(ctype: str, marker: str) -> None:
    result = parse(csv(marker), ctype)
    assert result.problems == []
    assert not result.bad.any()
    assert pd.isna(result.values.iloc[0])


@pytest.mark.parametrize("ctype", ALL_TYPES)
@pytest.mark.parametrize("marker", PLACEHOLDERS)
def test_placeholder_is_missing_with_a_warning(ctype: str, marker: str) -> None:
    result = parse(csv("", f" {marker} "), ctype)
    assert pd.isna(result.values.iloc[1])
    assert not result.bad.any()
    (problem,) = result.problems
    assert (problem.pos, problem.code, problem.severity, problem.value) == (
        1,
        "placeholder",
        "warning",
        f" {marker} ",
    )


def test_none_and_nan_objects_are_missing() -> None:
    result = parse(cells(None, float("nan"), pd.NaT, 3), "number")
    assert result.values.isna().tolist() == [True, True, True, False]
    assert result.problems == []


@pytest.mark.parametrize("ctype", ALL_TYPES)
def test_uncalculated_formula(ctype: str) -> None:
    result = parse(cells("x", UNCALCULATED), ctype)
    assert pd.isna(result.values.iloc[1])
    assert not result.bad[1]
    problem = next(p for p in result.problems if p.pos == 1)
    assert problem.code == "uncalculated_formula" and problem.severity == "warning"
    assert problem.reason == (
        "formula never calculated by Excel (no cached value); open and save the file in Excel"
    )


def test_uncalculated_marker_value() -> None:
    assert UNCALCULATED == "\x00uncalculated-formula"


# --------------------------------------------------------------------------- bool


TRUE = ["true", "TRUE", "True", "1", "yes", "YES", "Yes", "y", "Y", "是", "√", "✓", " true ", "１", "Ｙ"]
FALSE = ["false", "FALSE", "False", "0", "no", "NO", "No", "n", "N", "否", "×", "✗", "\u3000no\u3000", "０"]


@pytest.mark.parametrize("spelling", TRUE)
def test_bool_true_spellings(spelling: str) -> None:
    assert one_value(spelling, "bool") is True


@pytest.mark.parametrize("spelling", FALSE)
def test_bool_false_spellings(spelling: str) -> None:
    assert one_value(spelling, "bool") is False


@pytest.mark.parametrize("spelling", ["t", "f", "on", "off", "2", "1.0", "yess", "对", "ok", "-1"])
def test_bool_bad_spellings(spelling: str) -> None:
    result = parse(csv(spelling), "bool")
    assert codes(result) == [(0, "bad_bool")]
    assert result.bad.tolist() == [True]
    assert result.values.iloc[0] is pd.NA


def test_mixed_bool_column_is_not_silently_false() -> None:
    result = parse(csv("yes", "no", "maybe", "Y", "", "nope"), "bool")
    assert result.values.tolist() == [True, False, pd.NA, True, pd.NA, pd.NA]
    assert codes(result) == [(2, "bad_bool"), (5, "bad_bool")]
    assert result.bad.tolist() == [False, False, True, False, False, True]


def test_bool_from_excel_cells() -> None:
    raw = cells(True, False, 1, 0, 1.0, 0.0, "是", 2, 0.5)
    result = parse(raw, "bool", excel=True)
    assert result.values.tolist()[:7] == [True, False, True, False, True, False, True]
    assert codes(result) == [(7, "bad_bool"), (8, "bad_bool")]
    assert [p.value for p in result.problems] == ["2", "0.5"]


def test_python_bool_is_kept_apart_from_1_and_0() -> None:
    # True == 1 in Python; a naive factorize would merge them
    result = parse(cells(True, 1, 0, False), "bool", excel=False)
    assert result.values.tolist() == [True, pd.NA, pd.NA, False]
    assert codes(result) == [(1, "bad_bool"), (2, "bad_bool")]


def test_bool_numbers_only_accepted_from_excel() -> None:
    assert codes(parse(cells(1.0), "bool", excel=False)) == [(0, "bad_bool")]


# --------------------------------------------------------------------------- number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", 1234.5),
        ("-3", -3.0),
        ("+3", 3.0),
        ("0", 0.0),
        (".5", 0.5),
        ("7.", 7.0),
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("¥1,234", 1234.0),
        ("￥1,234.00", 1234.0),
        ("$12", 12.0),
        ("$ 12", 12.0),
        ("-¥5", -5.0),
        ("¥-5", -5.0),
        ("１２３", 123.0),
        ("１，２３４．５", 1234.5),
        ("  42  ", 42.0),
        ("\u300042\u3000", 42.0),
        ("1.5E3", 1500.0),
        ("2e-3", 0.002),
        ("007", 7.0),
    ],
)
def test_number_spellings(text: str, expected: float) -> None:
    assert one_value(text, "number") == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1,5",
        "12,34",
        "1,23,456",
        "1.2.3",
        "inf",
        "-inf",
        "1e999",
        "12%",
        "¥",
        "1 234",
        "12元",
        "0x10",
        "(12)",
        "1_000",
        "--5",
    ],
)
def test_number_bad(text: str) -> None:
    result = parse(csv("1", text), "number")
    assert codes(result) == [(1, "bad_number")]
    assert result.bad.tolist() == [False, True]
    assert np.isnan(result.values.iloc[1])
    assert result.problems[0].reason.startswith("not a number")


def test_number_from_excel_cells() -> None:
    result = parse(cells(12, 12.5, -3, "1,000", True, dt.datetime(2024, 1, 1)), "number", excel=True)
    assert result.values.tolist()[:4] == [12.0, 12.5, -3.0, 1000.0]
    assert codes(result) == [(4, "bad_number"), (5, "bad_number")]
    assert [p.value for p in result.problems] == ["TRUE", "2024-01-01 00:00:00"]


# --------------------------------------------------------------------------- datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-03", "2024-05-03 00:00"),
        ("2024-05-03 14:20", "2024-05-03 14:20"),
        ("2024-05-03 14:20:59", "2024-05-03 14:20:59"),
        ("2024-05-03T14:20", "2024-05-03 14:20"),
        ("2024-05-03T14:20:59", "2024-05-03 14:20:59"),
        ("2024-05-03T14:20:59.123456", "2024-05-03 14:20:59.123456"),
        ("2024-05-03 14:20:59.5", "2024-05-03 14:20:59.5"),
        ("2024-05-03T14:20:00+08:00", "2024-05-03 14:20"),
        ("2024-05-03T14:20:00-0500", "2024-05-03 14:20"),
        ("2024-05-03T14:20:00Z", "2024-05-03 14:20"),
        ("2024-05-03T14:20Z", "2024-05-03 14:20"),
        ("2024-05-03 14:20:00.250+08:00", "2024-05-03 14:20:00.25"),
        ("2024-5-3 9:05", "2024-05-03 09:05"),
        ("2024/5/3", "2024-05-03 00:00"),
        ("2024/05/03", "2024-05-03 00:00"),
        ("2024/5/3 14:20", "2024-05-03 14:20"),
        ("2024/5/3 14:20:59", "2024-05-03 14:20:59"),
        ("2024.5.3", "2024-05-03 00:00"),
        ("2024.05.03 08:00", "2024-05-03 08:00"),
        ("2024年5月3日", "2024-05-03 00:00"),
        ("2024年05月03日", "2024-05-03 00:00"),
        ("2024年5月3日 14:20", "2024-05-03 14:20"),
        ("2024年5月3日14时20分", "2024-05-03 14:20"),
        ("2024年5月3日 14时20分30秒", "2024-05-03 14:20:30"),
        ("2024年5月3日 14点20分", "2024-05-03 14:20"),
        ("２０２４－０５－０３　１４：２０", "2024-05-03 14:20"),
        ("  2024-05-03 14:20\u00a0", "2024-05-03 14:20"),
        ("2024/5/3  14:20", "2024-05-03 14:20"),
    ],
)
def test_datetime_spellings(text: str, expected: str) -> None:
    assert one_value(text, "datetime") == TS(expected)


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-05-03 25:00",
        "2024-05-03 14:61",
        "2024/2/30",
        "2024年2月30日",
    ],
)
def test_impossible_dates_are_bad(text: str) -> None:
    result = parse(csv("2024-05-03", text), "datetime")
    assert codes(result) == [(1, "bad_datetime")]
    assert result.bad.tolist() == [False, True]
    assert result.values.iloc[1] is pd.NaT
    assert result.problems[0].reason == "not a real calendar date/time"


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2024-05",
        "2024",
        "20240503",
        "May 3, 2024",
        "2024-05-03 14h",
        "2024-05-03 25",
        "14:20",
        "2024/05-03x",
        "2024-05-03Z",
        "2024年5月",
        "2024-05-03 14:20 PM",
    ],
)
def test_datetime_bad(text: str) -> None:
    result = parse(csv(text), "datetime")
    assert codes(result) == [(0, "bad_datetime")]
    assert result.bad.tolist() == [True]


@pytest.mark.parametrize("text", ["2024-05-03 14", "2024-05-03T14"])
def test_datetime_iso_hours_only_is_the_full_hour(text: str) -> None:
    """ISO 8601's reduced precision (what pyarrow's ISO parser reads too)."""
    result = parse(csv(text), "datetime")
    assert codes(result) == []
    assert result.values.iloc[0] == pd.Timestamp("2024-05-03 14:00")


def test_datetime_bad_reason_lists_forms() -> None:
    (problem,) = parse(csv("yesterday"), "datetime").problems
    assert problem.reason.startswith("not a date/time (accepted: 2024-05-03 14:20")
    assert "2024/5/3 14:20" in problem.reason and "2024年5月3日" in problem.reason


def test_numeric_string_in_csv_date_column_is_bad() -> None:
    result = parse(csv("45413", "45413.5"), "datetime")
    assert codes(result) == [(0, "bad_datetime"), (1, "bad_datetime")]
    assert "serial" in result.problems[0].reason


def test_out_of_range_dates_are_bad() -> None:
    result = parse(csv("9999-12-31", "1200-01-01", "2262-01-01"), "datetime")
    assert codes(result) == [(0, "bad_datetime"), (1, "bad_datetime")]
    assert "range" in result.problems[0].reason
    assert result.values.iloc[2] == TS("2262-01-01")


def test_date_column_drops_time_of_day() -> None:
    result = parse(csv("2024-05-03 14:20", "2024/5/4", ""), "date")
    assert result.values.tolist()[:2] == [TS("2024-05-03"), TS("2024-05-04")]
    assert result.values.dtype == "datetime64[ns]"


def test_many_distinct_iso_values_with_a_few_leftovers() -> None:
    stamps = pd.date_range("2024-01-01", periods=2000, freq="37min")
    text = list(stamps.strftime("%Y-%m-%d %H:%M"))
    text[5], text[700], text[1999] = "2024/1/1 3:05", "garbage", "2024-02-30"
    result = parse(csv(*text), "datetime")
    assert codes(result) == [(700, "bad_datetime"), (1999, "bad_datetime")]
    assert result.values.iloc[5] == TS("2024-01-01 03:05")
    assert result.values.iloc[10] == stamps[10]


# --------------------------------------------------------------------------- day/month order


def test_year_last_inferred_day_first() -> None:
    result = parse(csv("03/01/2024", "25/12/2024 14:20", "3/1/2024 08:00:30"), "datetime")
    assert result.problems == []
    assert result.values.tolist() == [TS("2024-01-03"), TS("2024-12-25 14:20"), TS("2024-01-03 08:00:30")]


def test_year_last_inferred_month_first() -> None:
    result = parse(csv("03/01/2024", "12/25/2024 14:20"), "datetime")
    assert result.problems == []
    assert result.values.tolist() == [TS("2024-03-01"), TS("2024-12-25 14:20")]


def test_year_last_all_ambiguous_is_an_error_on_every_such_cell() -> None:
    result = parse(csv("03/01/2024", "2024-05-03", "01/02/2024 10:00", "03/01/2024"), "datetime")
    assert codes(result) == [
        (0, "ambiguous_date_order"),
        (2, "ambiguous_date_order"),
        (3, "ambiguous_date_order"),
    ]
    assert {p.severity for p in result.problems} == {"error"}
    assert result.problems[0].reason == (
        "day/month order is ambiguous (03/01/2024); set date_order: dmy or mdy in the mapping file"
    )
    assert result.bad.tolist() == [True, False, True, True]
    assert result.values.iloc[1] == TS("2024-05-03")
    assert result.values.iloc[0] is pd.NaT


def test_year_last_both_orders_in_one_column_is_an_error() -> None:
    result = parse(csv("13/01/2024", "01/13/2024", "05/05/2024"), "datetime")
    assert codes(result) == [
        (0, "ambiguous_date_order"),
        (1, "ambiguous_date_order"),
        (2, "ambiguous_date_order"),
    ]
    assert all(p.severity == "error" for p in result.problems)
    assert "both day-first and month-first" in result.problems[0].reason
    assert "set date_order: dmy or mdy in the mapping file" in result.problems[0].reason


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("dmy", [TS("2024-01-03"), TS("2024-02-01 14:20")]),
        ("mdy", [TS("2024-03-01"), TS("2024-01-02 14:20")]),
    ],
)
def test_year_last_with_date_order(order: str, expected: list[pd.Timestamp]) -> None:
    result = parse(csv("03/01/2024", "1/2/2024 14:20"), "datetime", date_order=order)
    assert result.problems == []
    assert result.values.tolist() == expected


def test_year_last_impossible_in_the_given_order() -> None:
    result = parse(csv("03/01/2024", "13/01/2024"), "datetime", date_order="mdy")
    assert codes(result) == [(1, "bad_datetime")]
    assert "month/day/year" in result.problems[0].reason
    assert result.problems[0].severity == "warning"


def test_year_last_dot_and_dash_separators() -> None:
    result = parse(csv("25.12.2024", "03-01-2024"), "datetime")
    assert result.problems == []
    assert result.values.tolist() == [TS("2024-12-25"), TS("2024-01-03")]


def test_date_order_does_not_touch_year_first_dates() -> None:
    result = parse(csv("2024-01-03", "2024/1/3"), "datetime", date_order="mdy")
    assert result.values.tolist() == [TS("2024-01-03"), TS("2024-01-03")]


# --------------------------------------------------------------------------- Excel dates


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (45413.5, "2024-05-01 12:00"),
        (45413, "2024-05-01"),
        (45413.0, "2024-05-01"),
        (45413.75, "2024-05-01 18:00"),
        (45413 + 59 / 86400 + 0.4 / 86400, "2024-05-01 00:00:59"),  # rounded to the nearest second
        (45413 + 1 / 86400 - 1e-9, "2024-05-01 00:00:01"),
        (61, "1900-03-01"),
    ],
)
def test_excel_serial_numbers(serial: float, expected: str) -> None:
    assert one_value(serial, "datetime", excel=True) == TS(expected)


def test_excel_cells_in_a_date_column() -> None:
    aware = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    raw = cells(
        dt.datetime(2024, 5, 1, 8, 30),
        dt.date(2024, 5, 2),
        TS("2024-05-03 01:02:03"),
        aware,
        "2024/5/4 10:00",
        None,
        45413.5,
    )
    result = parse(raw, "datetime", excel=True)
    assert result.problems == []
    assert result.values.tolist() == [
        TS("2024-05-01 08:30"),
        TS("2024-05-02"),
        TS("2024-05-03 01:02:03"),
        TS("2024-05-01 08:30"),
        TS("2024-05-04 10:00"),
        pd.NaT,
        TS("2024-05-01 12:00"),
    ]


def test_excel_bad_date_cells() -> None:
    raw = cells(dt.time(8, 30), True, 0.5, -3, 1e9, "45413", "n/a")
    result = parse(raw, "datetime", excel=True)
    assert codes(result) == [
        (0, "bad_datetime"),
        (1, "bad_datetime"),
        (2, "bad_datetime"),
        (3, "bad_datetime"),
        (4, "bad_datetime"),
        (5, "bad_datetime"),
        (6, "placeholder"),
    ]
    assert result.problems[0].reason == "a time of day without a date"
    assert result.problems[0].value == "08:30:00"
    assert result.problems[2].reason == "a time of day without a date"
    assert result.bad.tolist() == [True] * 6 + [False]


def test_numbers_in_a_date_column_are_bad_unless_excel() -> None:
    assert codes(parse(cells(45413.5), "datetime", excel=False)) == [(0, "bad_datetime")]


def test_datetime64_column_passes_through() -> None:
    raw = pd.Series(pd.to_datetime(["2024-05-01 08:00", None]))
    result = parse(raw, "datetime", excel=True)
    assert result.values.tolist() == [TS("2024-05-01 08:00"), pd.NaT]
    assert result.values.dtype == "datetime64[ns]"


# --------------------------------------------------------------------------- enum


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("retail", "retail"),
        ("RETAIL", "retail"),
        (" Retail ", "retail"),
        ("自费", "retail"),
        ("客户付费", "retail"),
        ("保修", "warranty"),
        ("Warranty", "warranty"),
        ("内部", "internal"),
        ("ｒｅｔａｉｌ", "retail"),
    ],
)
def test_enum_spellings(text: str, expected: str) -> None:
    assert one_value(text, "enum") == expected


def test_enum_bad_value() -> None:
    result = parse(csv("retail", "cash", "1"), "enum")
    assert codes(result) == [(1, "bad_enum"), (2, "bad_enum")]
    assert result.values.tolist() == ["retail", None, None]
    assert result.problems[0].reason == (
        "not one of the accepted values: retail (自费/零售/客户付费), warranty (保修/索赔), internal (内部)"
    )


def test_enum_requires_enum_values() -> None:
    with pytest.raises(ValueError, match="enum_values"):
        parse_column(csv("x"), "enum")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="date_order"):
        parse_column(csv("x"), "datetime", date_order="ymd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown column type"):
        parse_column(csv("x"), "integer")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- text


def test_text_is_normalised() -> None:
    result = parse(csv(" 张三 ", "\u3000ＡＢＣ１２３\u3000", "a\u00a0", "0012", ""), "text")
    assert result.values.tolist() == ["张三", "ABC123", "a", "0012", None]
    assert result.values.dtype == object
    assert result.problems == []


def test_text_from_excel_cells() -> None:
    raw = cells(12.0, 12, 1.5, "0012", True, dt.datetime(2024, 5, 1, 8), dt.date(2024, 5, 1), None, 0.1 + 0.2)
    result = parse(raw, "text", excel=True)
    assert result.values.tolist() == [
        "12",
        "12",
        "1.5",
        "0012",
        "TRUE",
        "2024-05-01 08:00:00",
        "2024-05-01",
        None,
        "0.3",
    ]
    assert result.problems == []


def test_text_keeps_true_and_1_apart() -> None:
    assert parse(cells(True, 1, 1.0, "1"), "text").values.tolist() == ["TRUE", "1", "1", "1"]


@pytest.mark.parametrize("text", ["1.23457E+15", "6.9E+17", "1.2e15", "-1.5E+03"])
def test_id_in_scientific_notation_is_kept_with_a_warning(text: str) -> None:
    result = parse(csv("0012", text), "text", is_id=True)
    assert result.values.tolist() == ["0012", text]
    assert not result.bad.any()
    (problem,) = result.problems
    assert (problem.pos, problem.code, problem.severity) == (1, "id_lost_digits", "warning")
    assert problem.reason == "looks like an ID that Excel turned into scientific notation; digits are lost"


@pytest.mark.parametrize("text", ["1E+15", "12E3", "RO1.5E3", "1.5"])
def test_not_scientific_notation_ids(text: str) -> None:
    assert parse(csv(text), "text", is_id=True).problems == []


def test_scientific_notation_not_flagged_outside_id_columns() -> None:
    assert parse(csv("1.23457E+15"), "text").problems == []


def test_big_excel_number_in_id_column_warns() -> None:
    result = parse(cells(1234567890123456.0, 123456), "text", is_id=True, excel=True)
    assert result.values.tolist() == ["1234567890123456", "123456"]
    assert codes(result) == [(0, "id_lost_digits")]


# --------------------------------------------------------------------------- value_map


def test_value_map_for_enum() -> None:
    result = parse(csv("A", "a", "B", "自费", "C"), "enum", value_map={"A": "retail", "B": "warranty"})
    assert result.values.tolist() == ["retail", "retail", "warranty", "retail", None]
    assert codes(result) == [(4, "bad_enum")]


def test_value_map_for_bool() -> None:
    result = parse(csv("有", "无", "是", " 有 "), "bool", value_map={"有": "true", "无": "false"})
    assert result.values.tolist() == [True, False, True, True]
    assert result.problems == []


def test_value_map_exact_match_wins_over_case_insensitive() -> None:
    result = parse(csv("a", "A"), "enum", value_map={"a": "retail", "A": "warranty"})
    assert result.values.tolist() == ["retail", "warranty"]


def test_value_map_overrides_placeholders_and_can_map_to_missing() -> None:
    raw = csv("NA", "ok", "tbd")
    result = parse(
        raw,
        "enum",
        enum_values={"no_answer": (), "reached": ("ok",)},
        value_map={"NA": "no_answer", "tbd": ""},
    )
    assert result.values.tolist() == ["no_answer", "reached", None]
    assert result.problems == []


def test_value_map_applies_to_excel_numbers() -> None:
    result = parse(cells(1, 2, "x"), "enum", value_map={"1": "retail", "2": "保修"}, excel=True)
    assert result.values.tolist() == ["retail", "warranty", None]


def test_value_map_from_yaml_with_non_text_keys_and_targets() -> None:
    # yaml.safe_load("{1: retail, 有: true, 无: false, tbd: null}") gives these types
    assert parse(cells(1, "x"), "enum", value_map={1: "retail"}, excel=True).values.tolist() == [
        "retail",
        None,
    ]
    result = parse(csv("有", "无", "tbd"), "bool", value_map={"有": True, "无": False, "tbd": None})
    assert result.values.tolist() == [True, False, pd.NA]
    assert result.problems == []


def test_value_map_keys_are_normalised() -> None:
    assert parse(csv("Ａ"), "enum", value_map={" A ": "retail"}).values.tolist() == ["retail"]


# --------------------------------------------------------------------------- inputs


def test_object_dtype_csv_strings_behave_like_str_dtype() -> None:
    for raw in (csv("1,234", "", "x"), cells("1,234", "", "x")):
        result = parse(raw, "number")
        assert result.values.tolist()[0] == 1234.0 and np.isnan(result.values.iloc[1])
        assert codes(result) == [(2, "bad_number")]


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]", "large_string[pyarrow]"])
def test_string_dtypes(dtype: str) -> None:
    raw = pd.Series(["yes", "", None, "x"], dtype=dtype)
    result = parse(raw, "bool")
    assert result.values.tolist() == [True, pd.NA, pd.NA, pd.NA]
    assert codes(result) == [(3, "bad_bool")]


def test_input_series_is_not_modified() -> None:
    raw = csv(" a ", UNCALCULATED, "ＡＢ")
    before = raw.copy()
    parse(raw, "text")
    pd.testing.assert_series_equal(raw, before)
