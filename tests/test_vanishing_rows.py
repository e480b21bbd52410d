"""Rows and results that vanished or lied (issue #13): each case fails without its fix.

- an order whose period date reads `24:00` (or cannot be read at all) left every KPI of
  its sheet silently; 24:00 is now the next day's 00:00 (said once per column), and a row
  whose period date cannot be read is unusable for every KPI of the sheet, and listed;
- `1e308` hours made hours per RO 2e307 "met": a value outside its column's plausible range
  is a data error, read as empty;
- a NUL in an advisor's name made a second "SA01"; `\\x00=4+4` could reach a spreadsheet as
  a formula;
- a Categorical column written with a value outside its categories crashed explain/report.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import REPO, TODAY
from sdkpi.api import compute
from sdkpi.contract import SHEETS
from sdkpi.explain import explain
from sdkpi.loaders import fast, readers, values
from sdkpi.loaders.sheets import SheetOptions, load_sheet
from sdkpi.render.formatting import starts_like_formula
from sdkpi.render.why import inert
from sdkpi.render.xlsx_style import put
from sdkpi.report import build_report
from sdkpi.speed import typed_csv, typed_read
from test_typed_csv import assert_same, general, lane, wo

OPENED_KPIS = [
    "appointment_rate",
    "menu_pricing_rate",
    "inspection_form_rate",
    "walkaround_rate",
    "parts_prepick_rate",
    "first_time_fix_rate",
    "on_time_completion_rate",
    "invoice_timeliness_rate",
    "delivery_explanation_rate",
]


def edit(path: Path, change) -> None:
    """Rewrite a CSV file, `change(header, rows)` editing its rows in place."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    change(rows[0], rows[1:])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def set_cell(folder: Path, sheet: str, key: str, column: str, value: str) -> None:
    def change(header: list[str], rows: list[list[str]]) -> None:
        (row,) = [r for r in rows if r[0] == key]
        row[header.index(column)] = value

    edit(folder / f"{sheet}.csv", change)


def results(folder: Path, month: str = "2024-05") -> dict:
    return {k.id: k for k in compute(folder, month=month, today=TODAY, cache=False).kpis}


def an_order(folder: Path, month: str = "2024-05", column: str = "opened_at") -> str:
    with (folder / "work_orders.csv").open(encoding="utf-8") as fh:
        return next(r["ro_number"] for r in csv.DictReader(fh) if r[column].startswith(month))


def issues_of(folder: Path, code: str) -> list:
    from sdkpi.api import check

    return [i for i in check(folder).data_issues if i.code == code]


# --------------------------------------------------------------------------- 24:00


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("2024-05-09 24:00", "2024-05-10 00:00"),
        ("2024-05-31 24:00:00", "2024-06-01 00:00"),
        ("2024-12-31 24:00", "2025-01-01 00:00"),
        ("2024-02-29 24:00", "2024-03-01 00:00"),
        ("2024/5/9 24:00", "2024-05-10 00:00"),
        ("2024-05-09T24:00:00", "2024-05-10 00:00"),
        ("2024年5月9日 24时00分", "2024-05-10 00:00"),
    ],
)
def test_24_00_is_the_next_day_at_midnight(cell: str, read: str) -> None:
    parsed = values.parse_column(pd.Series([cell, "2024-05-09 10:00", ""]), "datetime")
    assert parsed.values[0] == pd.Timestamp(read)
    assert not parsed.bad.any()
    (note,) = parsed.problems
    assert (note.code, note.severity, note.pos, note.value) == ("midnight_24", "info", 0, cell)


@pytest.mark.parametrize(
    "cell", ["2024-05-09 24:01", "2024-05-09 24:00:01", "2024-05-09 25:00", "2024-02-30 24:00"]
)
def test_only_the_exact_end_of_a_real_day_is_read(cell: str) -> None:
    parsed = values.parse_column(pd.Series([cell]), "datetime")
    assert parsed.bad.all() and parsed.problems[0].code == "bad_datetime"


def test_24_00_is_said_once_per_column_with_a_count() -> None:
    cells = ["2024-05-09 24:00", "2024-05-10 24:00", "2024-05-09 24:00", "2024-05-11 08:00"]
    parsed = values.parse_column(pd.Series(cells), "datetime")
    (note,) = parsed.problems
    assert "3 cell(s)" in note.reason and note.pos == 0


@pytest.mark.parametrize("ctype", ["datetime", "date"])
@pytest.mark.parametrize(
    "cells",
    [
        ["2024-05-09 24:00", "2024-05-09 10:00", ""],
        ["2024-05-31 24:00:00", "", "2024-06-01 00:00:00", "2024-05-31 24:00:00"],
    ],
)
def test_the_fast_lane_reads_24_00_as_the_reference_does(cells: list[str], ctype: str) -> None:
    raw = pd.Series(cells, dtype="str")
    quick = fast.parse_column(raw, ctype)
    assert quick is not None  # taken by the fast lane, not left to the slow path
    slow = values.parse_column(raw, ctype)
    pd.testing.assert_series_equal(quick.values, slow.values)
    assert quick.problems == slow.problems and len(quick.problems) == 1


@pytest.mark.parametrize("wanted", [None, {"opened_at", "advisor", "promised_at"}])
def test_the_typed_lane_reads_24_00_as_the_general_path_does(tmp_path: Path, wanted) -> None:
    """pyarrow refuses 24:00 as a time: the lane reads those columns as text, by the rule."""
    path = wo(
        tmp_path,
        "RO9,2024-05-31 24:00,retail,SA1,true,2024-05-09 24:00,1.5,",
        "RO10,2024-05-08 24:00,retail,SA1,true,2024-05-09 17:00,1.5,",
    )
    source = readers.SheetSource("work_orders", path)
    taken = lane(source, SheetOptions(), wanted, blocks=False)
    assert taken is not None
    assert_same(general(source, SheetOptions(), wanted), taken)
    notes = [(i.column, i.row, i.value, i.reason.split("; ")[-1]) for i in taken[1]]
    assert notes == [
        ("opened_at", 7, "2024-05-31 24:00", "2 cell(s) of this column, the first shown"),
        ("promised_at", 7, "2024-05-09 24:00", "1 cell(s) of this column, the first shown"),
    ]


def test_the_typed_lane_still_leaves_other_impossible_times_to_the_general_path(tmp_path: Path) -> None:
    path = wo(tmp_path, "RO9,2024-05-31 24:00,retail,SA1,true,2024-05-09 25:00,1.5,")
    assert lane(readers.SheetSource("work_orders", path), SheetOptions(), blocks=False) is None


def test_holds_finds_a_needle_across_the_read_pieces(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * ((1 << 24) - 3) + b" 24:00" + b"y")
    assert typed_read.holds(path, b" 24:00") and not typed_read.holds(path, b" 24:01")
    assert not typed_read.has_quote(path)


def test_an_order_opened_at_24_00_counts_in_the_next_days_month(store_a_copy: Path) -> None:
    before = results(store_a_copy)
    order = an_order(store_a_copy, "2024-04-30")
    set_cell(store_a_copy, "work_orders", order, "opened_at", "2024-04-30 24:00")
    after = results(store_a_copy)
    for kpi in OPENED_KPIS[1:]:
        assert after[kpi].rows_in_period == before[kpi].rows_in_period + 1, kpi
        assert after[kpi].rows_unusable == 0
    (note,) = issues_of(store_a_copy, "midnight_24")
    assert note.severity == "info" and note.column == "opened_at" and note.value == "2024-04-30 24:00"


# --------------------------------------------------------------------------- undated rows


def test_an_unreadable_period_date_makes_the_row_unusable_for_every_kpi_of_the_sheet(
    store_a_copy: Path,
) -> None:
    before = results(store_a_copy)
    order = an_order(store_a_copy)
    set_cell(store_a_copy, "work_orders", order, "opened_at", "2024-05-09 25:00")
    for month in ("2024-05", "2024-06"):  # it may belong to any month: unusable in every one
        after = results(store_a_copy, month)
        for kpi in OPENED_KPIS:
            assert after[kpi].rows_unusable == 1, (month, kpi)
    after = results(store_a_copy)
    for kpi in OPENED_KPIS:
        assert after[kpi].rows_in_period == before[kpi].rows_in_period - 1
    # a KPI whose period is another column (closed_at) reads the order as before
    assert after["hours_per_ro"].rows_unusable == 0
    assert after["hours_per_ro"].denominator == before["hours_per_ro"].denominator


def test_explain_lists_the_undated_rows_under_the_period_column(store_a_copy: Path) -> None:
    order = an_order(store_a_copy)
    set_cell(store_a_copy, "work_orders", order, "opened_at", "not a date")
    for lang in ("en", "zh"):
        explanation = explain(store_a_copy, "menu_pricing_rate", month="2024-05", lang=lang, today=TODAY)
        assert explanation.kpi.rows_unusable == 1
        (listed,) = explanation.unusable
        assert listed.column == "opened_at" and listed.count == 1
        assert any(
            ("unreadable or empty" in s) if lang == "en" else ("无法识别或为空" in s)
            for s in explanation.definition
        )


def test_an_empty_required_period_date_is_unusable_an_empty_optional_one_is_not(store_a_copy: Path) -> None:
    before = results(store_a_copy)
    set_cell(store_a_copy, "work_orders", an_order(store_a_copy), "opened_at", "")
    closed = an_order(store_a_copy, column="closed_at")
    set_cell(store_a_copy, "work_orders", closed, "closed_at", "")  # an order still open
    after = results(store_a_copy)
    assert after["menu_pricing_rate"].rows_unusable == 1
    assert after["hours_per_ro"].rows_unusable == 0
    assert after["hours_per_ro"].denominator == before["hours_per_ro"].denominator - 1


def test_a_kpi_with_only_undated_rows_says_so_instead_of_no_records(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "suggestions.csv").write_text(
        "suggestion_id,reviewed_at,should_implement,implemented\nS1,2024-05-40,true,true\n", encoding="utf-8"
    )
    kpi = results(folder)["suggestion_implementation_rate"]
    assert kpi.status == "no_data" and kpi.rows_unusable == 1
    assert "unreadable" in (kpi.reason or "")


# --------------------------------------------------------------------------- plausible ranges


def test_every_number_column_of_the_contract_has_a_plausible_range() -> None:
    for sheet in SHEETS.values():
        for column in sheet.columns:
            if column.type == "number":
                assert column.plausible is not None, (sheet.name, column.name)
                low, high = column.plausible
                assert low < high


def test_docs_list_every_plausible_range_as_the_contract_has_it() -> None:
    text = (REPO / "docs" / "data-checks.md").read_text(encoding="utf-8")
    table = text.split("<!-- plausible-ranges:start -->")[1].split("<!-- plausible-ranges:end -->")[0]
    documented = {}
    for line in table.strip().splitlines()[2:]:
        sheet, column, zh, low, high, _why = (c.strip() for c in line.strip("|").split("|"))
        documented[(sheet, column)] = (zh, float(low), float(high))
    contract = {
        (sheet.name, c.name): (c.zh, *c.plausible)
        for sheet in SHEETS.values()
        for c in sheet.columns
        if c.plausible is not None
    }
    assert documented == contract


@pytest.mark.parametrize("cell", ["1e308", "201", "-201", "1e20"])
def test_a_value_outside_the_plausible_range_is_an_error_read_as_empty(cell: str) -> None:
    parsed = values.parse_column(pd.Series([cell, "2.5"]), "number", plausible=(-200.0, 200.0))
    assert np.isnan(parsed.values[0]) and parsed.values[1] == 2.5
    assert parsed.bad.tolist() == [True, False]
    (problem,) = parsed.problems
    assert (problem.code, problem.severity, problem.value) == ("out_of_range", "error", cell)


@pytest.mark.parametrize("cell", ["200", "-200", "0"])
def test_the_range_includes_its_ends(cell: str) -> None:
    parsed = values.parse_column(pd.Series([cell]), "number", plausible=(-200.0, 200.0))
    assert not parsed.bad.any() and parsed.problems == []


def test_an_excel_number_cell_outside_the_range_is_refused_too() -> None:
    parsed = values.parse_column(
        pd.Series([1e308, 3.0], dtype=object), "number", excel=True, plausible=(0.0, 24.0)
    )
    assert parsed.bad.tolist() == [True, False]


def test_the_fast_lanes_leave_an_out_of_range_value_to_the_reference(tmp_path: Path) -> None:
    raw = pd.Series(["1.5", "1e308"], dtype="str")
    assert fast.parse_column(raw, "number", plausible=(-200.0, 200.0)) is None
    assert fast.parse_column(raw, "number") is not None  # only the range sends it back
    path = tmp_path / "work_orders.csv"
    path.write_text(
        "ro_number,opened_at,customer_type,advisor,promised_at,labor_hours_sold\n"
        "RO1,2024-05-01 08:00,retail,SA01,2024-05-01 17:00,1.5\n"
        "RO2,2024-05-02 08:00,retail,SA01,2024-05-02 17:00,1e308\n",
        encoding="utf-8",
    )
    source = readers.SheetSource("work_orders", path)
    known = {readers.normalize_header(c.name): c.name for c in SHEETS["work_orders"].columns}
    assert typed_csv.load(source, SheetOptions(), known, {}, None) is None
    data, issues = load_sheet(source, SheetOptions())
    assert data.bad["labor_hours_sold"].tolist() == [False, True]
    assert [(i.code, i.row) for i in issues if i.severity == "error"] == [("out_of_range", 3)]


def test_1e308_hours_never_reach_hours_per_ro(store_a_copy: Path) -> None:
    before = results(store_a_copy)["hours_per_ro"]
    order = an_order(store_a_copy, column="closed_at")
    set_cell(store_a_copy, "work_orders", order, "labor_hours_sold", "1e308")
    after = results(store_a_copy)["hours_per_ro"]
    assert after.value is not None and after.value < 10
    assert after.rows_unusable == 1 and after.denominator == before.denominator - 1
    (issue,) = issues_of(store_a_copy, "out_of_range")
    assert issue.severity == "error" and issue.column == "labor_hours_sold"


def test_a_technician_day_of_25_hours_is_refused(store_a_copy: Path) -> None:
    def change(header: list[str], rows: list[list[str]]) -> None:
        row = next(r for r in rows if r[header.index("date")].startswith("2024-05"))
        row[header.index("available_hours")] = "25"

    edit(store_a_copy / "technician_time.csv", change)
    assert results(store_a_copy)["utilization"].rows_unusable == 1


# --------------------------------------------------------------------------- control characters


def test_a_nul_in_a_name_is_stripped_and_reported() -> None:
    parsed = values.parse_column(pd.Series(["SA01\x00", "SA01", "\x00", "SA\x0702", "a\tb"]), "text")
    assert parsed.values.tolist() == ["SA01", "SA01", None, "SA02", "a\tb"]
    assert [(p.pos, p.code, p.value) for p in parsed.problems] == [
        (0, "control_characters", "SA01\\x00"),
        (2, "control_characters", "\\x00"),
        (3, "control_characters", "SA\\x0702"),
    ]


@pytest.mark.parametrize("cell", ["SA01\x00", "\x00SA01", "S\x1bA"])
def test_the_fast_lanes_leave_control_characters_to_the_reference(cell: str) -> None:
    raw = pd.Series(["SA02", cell], dtype="str")
    assert fast.parse_column(raw, "text") is None
    assert not fast.is_clean_text(raw)
    assert fast.parse_column(pd.Series(["SA02", "a\tb"], dtype="str"), "text") is not None


def test_a_nul_in_an_advisor_makes_no_second_advisor(store_a_copy: Path) -> None:
    order = an_order(store_a_copy)
    with (store_a_copy / "work_orders.csv").open(encoding="utf-8") as fh:
        advisor = next(r["advisor"] for r in csv.DictReader(fh) if r["ro_number"] == order)
    set_cell(store_a_copy, "work_orders", order, "advisor", advisor + "\x00")
    report = build_report(store_a_copy, "2024-05", last=1, by="advisor", today=TODAY)
    groups = [g.group for k in report.kpis if k.breakdown for g in k.breakdown.groups]
    assert advisor + "\x00" not in groups and advisor in groups
    (issue,) = issues_of(store_a_copy, "control_characters")
    assert issue.value == advisor + "\\x00" and issue.severity == "warning"


@pytest.mark.parametrize("cell", ["\x00=4+4", " =4+4", "\u200b@SUM(A1)", "\x01-x", "=4+4", "\t1"])
def test_the_formula_guard_sees_through_leading_control_characters(cell: str) -> None:
    assert starts_like_formula(cell)
    assert inert(cell).startswith("'")
    ws = Workbook().active
    assert put(ws, 1, 1, cell).quotePrefix


@pytest.mark.parametrize("cell", ["SA01", "-3", "12.5", "a=b"])
def test_the_formula_guard_leaves_plain_text_and_numbers(cell: str) -> None:
    assert inert(cell) == cell


def test_a_csv_of_records_never_starts_a_cell_with_a_hidden_formula() -> None:
    from sdkpi.drilldown import RecordList, RecordRow
    from sdkpi.render.why import records_csv

    records = RecordList(
        "k", "work_orders", None, ["advisor"], [RecordRow(2, {"advisor": "\x00=4+4"}, "")], 1
    )
    (row,) = list(csv.reader(io.StringIO(records_csv(records))))[1:]
    assert row[1].startswith("'")


# --------------------------------------------------------------------------- categoricals


def test_explain_problem_resolution_rate_on_the_example_store() -> None:
    for lang in ("en", "zh"):
        explanation = explain(
            REPO / "examples" / "store-demo", "problem_resolution_rate", month="2024-05", lang=lang
        )
        assert explanation.records is not None and explanation.records.total > 0


def test_a_group_failure_with_stores_held_as_categoricals(store_a_copy: Path) -> None:
    """A dealer group's export (a store column, read as codes): a `where_all` group whose other
    record fails is named, with empty stores and a store unseen elsewhere."""

    def change(header: list[str], rows: list[list[str]]) -> None:
        header.append("store")
        for n, row in enumerate(rows):
            row.append("" if n % 5 == 0 else ["北店", "南店"][n % 2])

    edit(store_a_copy / "customer_issues.csv", change)
    for lang in ("en", "zh"):
        explanation = explain(
            store_a_copy, "problem_resolution_rate", month="2024-05", lang=lang, today=TODAY
        )
        assert explanation.records is not None
    build_report(store_a_copy, "2024-05", last=2, by="store", today=TODAY)


# --------------------------------------------------------------------------- in Chinese


def test_the_new_issues_are_said_in_chinese_with_their_details() -> None:
    from sdkpi.render.issues import issue_kind, reason_of_kind

    out = values.parse_column(pd.Series(["1e308"]), "number", plausible=(-200.0, 200.0)).problems[0]
    assert reason_of_kind(out.code, out.reason, "zh") == (
        "数值超出本列的合理范围(-200 至 200)，按空值处理，该行不计入用到此列的指标"
    )
    late = values.parse_column(pd.Series(["2024-05-09 24:00", "2024-05-10 24:00"]), "datetime").problems[0]
    assert "本列共 2 个单元格" in reason_of_kind(late.code, late.reason, "zh")
    nul = values.parse_column(pd.Series(["SA01\x00"]), "text").problems[0]
    assert reason_of_kind(nul.code, nul.reason, "zh") == "文本中的控制字符(如 NUL)已删除"
    for code in ("out_of_range", "midnight_24", "control_characters"):
        assert issue_kind(code, "zh") != code
