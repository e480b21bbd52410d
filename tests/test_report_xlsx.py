"""The Excel report read back cell by cell, against the compute result of the same month."""

from __future__ import annotations

import functools
import json
import zipfile
from datetime import date

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY, dataset
from sdkpi.api import compute, load_data
from sdkpi.cli import app
from sdkpi.errors import EXIT_OUTPUT
from sdkpi.issues import DataIssue
from sdkpi.render import xlsx, xlsx_sheets, xlsx_style
from sdkpi.report import build_report

STORE_A = CONFORMANCE / "store-a"
HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+2", "-3-4", "\tcmd", "<script>alert(1)</script>"]


@functools.cache
def store_a():
    """store-a read once for all report tests (the reports never change a dataset)."""
    return load_data(STORE_A)


@pytest.fixture(scope="module")
def report():
    return build_report(store_a(), "2024-05", today=TODAY)


@pytest.fixture(scope="module")
def workbook(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    xlsx.write_xlsx(report, path)
    return openpyxl.load_workbook(path)


def rows_by_name(ws, column: int = 1) -> dict[str, int]:
    return {
        str(ws.cell(r, column).value).strip(): r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value
    }


def test_summary_values_equal_the_json_of_compute(workbook):
    expected = json.loads(json.dumps(compute(STORE_A, month="2024-05", today=TODAY).to_dict()))
    ws = workbook["Summary"]
    rows = rows_by_name(ws)
    for kpi in expected["kpis"]:
        row = rows[kpi["name"]["en"]]
        assert ws.cell(row, 2).value == kpi["value"], kpi["id"]
        assert ws.cell(row, 5).value == kpi["numerator"], kpi["id"]
        assert ws.cell(row, 6).value == kpi["denominator"], kpi["id"]
        assert isinstance(ws.cell(row, 2).value, float)


def test_summary_matches_the_conformance_vectors(workbook, report):
    expected = json.loads((CONFORMANCE / "expected-store-a-2024-05.json").read_text())
    ws = workbook["Summary"]
    rows = rows_by_name(ws)
    for kpi in report.kpis:
        assert ws.cell(rows[kpi.result.name["en"]], 2).value == expected[kpi.result.id]["value"]


def test_summary_groups_by_stage_with_status_colours_and_formats(workbook, report):
    ws = workbook["Summary"]
    rows = rows_by_name(ws)
    stage_rows = [rows[s.name["en"]] for s in report.stages]
    assert stage_rows == sorted(stage_rows) and len(stage_rows) == 8
    missed = rows["DCRC contact rate"]
    assert ws.cell(missed, 4).value == "✗ MISSED"
    assert ws.cell(missed, 4).fill.fgColor.rgb.endswith("FFC7CE")
    met = rows["Sales hand-over rate"]
    assert ws.cell(met, 4).fill.fgColor.rgb.endswith("C6EFCE")
    report_only = rows["Parts fill rate"]
    assert ws.cell(report_only, 4).fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.cell(met, 2).number_format == "0.0%"
    assert ws.cell(rows["Labour hours sold per RO"], 2).number_format == '0.00" h"'
    assert ws.cell(rows["Parts sales per RO"], 2).number_format == '"¥"#,##0.00'
    assert ws.cell(met, 5).number_format == "#,##0"


def test_change_vs_previous_month_in_points(workbook, report):
    ws = workbook["Summary"]
    row = rows_by_name(ws)["Callback rate"]
    kpi = next(k for k in report.kpis if k.result.id == "callback_rate")
    assert ws.cell(row, 7).value == kpi.previous == pytest.approx(0.6976744186046512)
    assert ws.cell(row, 8).value == pytest.approx((kpi.result.value - kpi.previous) * 100)
    assert "pts" in ws.cell(row, 8).number_format


def test_header_freeze_and_print_setup(workbook):
    ws = workbook["Summary"]
    assert "store-a" in ws["A1"].value and "2024-05" in ws["A1"].value
    assert "Generated" in ws["A2"].value
    assert ws.freeze_panes == "B5"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert "store-a" in ws.oddHeader.left.text and "2024-05" in ws.oddHeader.center.text
    assert ws.column_dimensions["A"].width >= 30


def test_trend_sheet_has_a_series_and_a_line_chart_per_kpi(workbook, report, tmp_path_factory):
    ws = workbook["Trend"]
    assert [ws.cell(4, c).value for c in (2, 3)] == ["2024-04", "2024-05"]
    rows = rows_by_name(ws)
    callback = rows["Callback rate"]
    assert ws.cell(callback, 2).value == pytest.approx(0.6976744186046512)
    assert ws.cell(callback + 1, 2).value == 0.65  # the target row under it
    assert len(ws._charts) == len(report.kpis)


def test_charts_are_native_line_charts_with_a_target_series(report, tmp_path):
    path = tmp_path / "r.xlsx"
    xlsx.write_xlsx(report, path)
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        first = archive.read("xl/charts/chart1.xml").decode()
    assert len(charts) == 24
    assert "<lineChart>" in first and first.count("<ser>") == 2  # value + target
    assert '<a:prstDash val="dash"' in first


def test_a_sheet_per_missed_kpi_with_its_records_and_obstacles(workbook, report):
    missed = report.missed
    assert len(missed) >= 10
    names = [xlsx_style.short_name(f"✗ {n} {k.result.name['en']}", 31) for n, k in enumerate(missed, 1)]
    assert names == workbook.sheetnames[2 : 2 + len(missed)]
    kpi = next(k for k in missed if k.result.id == "reminder_rate")
    ws = workbook[next(n for n in names if n.endswith("Appointment reminder rate"))]
    texts = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "•  Poor communication when booking" in texts
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Row")
    assert ws.cell(header - 2, 1).value == "Records that pulled it down: all 20"
    listed = [ws.cell(r, 1).value for r in range(header + 1, header + 21)]
    assert listed == [r.row for r in kpi.records.rows]
    why_column = len(kpi.records.columns) + 2
    assert ws.cell(header + 1, why_column).value == kpi.records.rows[0].why


def test_records_are_capped_and_the_total_is_said(tmp_path):
    report = build_report(store_a(), "2024-05", today=TODAY, record_limit=3)
    path = tmp_path / "r.xlsx"
    xlsx.write_xlsx(report, path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[next(n for n in workbook.sheetnames if n.endswith(" Utilization"))]
    texts = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "Records that pulled it down: first 3 of 174" in texts


def hostile_report(lang: str = "en"):
    """A store whose advisor names and data issue values are formulas and markup."""
    orders = [
        {
            "ro_number": f"RO{i}",
            "opened_at": "2024-05-02 09:00",
            "customer_type": "retail",
            "advisor": HOSTILE[i % len(HOSTILE)],
            "appointment_id": None,
        }
        for i in range(12)
    ]
    data = dataset(work_orders=orders)
    data.issues.append(
        DataIssue("warning", "bad_value", HOSTILE[0], "work_orders", HOSTILE[1], 7, "advisor", HOSTILE[2])
    )
    return build_report(data, "2024-05", today=TODAY, lang=lang)


def test_text_from_the_data_is_never_a_formula(tmp_path):
    path = tmp_path / "hostile.xlsx"
    xlsx.write_xlsx(hostile_report(), path)
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in HOSTILE:
                    seen.add(cell.value)
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
    assert seen == set(HOSTILE)
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets)


def test_put_marks_formula_like_text_and_drops_illegal_characters():
    ws = openpyxl.Workbook().active
    cell = xlsx_style.put(ws, 1, 1, "=1+1")
    assert cell.data_type == "s" and cell.value == "=1+1" and cell.quotePrefix
    assert xlsx_style.put(ws, 2, 1, "a\x00b\x1bc").value == "abc"
    assert xlsx_style.put(ws, 3, 1, 0.25, "0.0%").data_type == "n"


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    assert xlsx_style.sheet_title("a/b:c*d?[e]", taken) == "a b c d  e"
    long = "x" * 40
    assert xlsx_style.sheet_title(long, taken) == "x" * 30 + "…"
    assert xlsx_style.sheet_title(long, taken) == "x" * 27 + " (2)"
    assert xlsx_style.sheet_title("a\x07b", taken) == "ab"
    # cut after a whole word, never inside one (the issue's "✗ Suggestion implementation rat")
    title = xlsx_style.sheet_title("✗ 12 Suggestion implementation rate", taken)
    assert title == "✗ 12 Suggestion implementation…"
    assert all(len(t) <= 31 for t in taken)


def test_chinese_workbook(tmp_path):
    path = tmp_path / "zh.xlsx"
    xlsx.write_xlsx(build_report(store_a(), "2024-05", today=TODAY, lang="zh", last=1), path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:2] == ["汇总", "趋势"] and workbook.sheetnames[-2:] == [
        "数据问题分类汇总",
        "数据问题明细",
    ]
    ws = workbook["汇总"]
    assert ws.cell(rows_by_name(ws)["回访率"], 4).value == "✗ 未达标"


def test_data_issues_sheet_lists_every_issue(tmp_path):
    path = tmp_path / "issues.xlsx"
    xlsx.write_xlsx(hostile_report(), path)
    ws = openpyxl.load_workbook(path)["Issue list"]
    header = [ws.cell(4, c).value for c in range(1, 9)]
    assert header == ["Severity", "Code", "Sheet", "File", "Row", "Column", "Value", "Reason"]
    assert [ws.cell(5, c).value for c in range(1, 9)] == [
        "warning",
        "bad_value",
        "work orders",
        HOSTILE[1],
        7,
        "advisor",
        HOSTILE[2],
        HOSTILE[0],
    ]


def test_a_failed_write_leaves_the_old_file_whole(report, tmp_path, monkeypatch):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"old report")

    def broken(self, handle):
        handle.write(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    with pytest.raises(OSError):
        xlsx.write_xlsx(report, path)
    assert path.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


# --------------------------------------------------------------------------- CLI


def test_cli_writes_the_workbook_and_prints_its_path(tmp_path):
    out = tmp_path / "may.xlsx"
    result = CliRunner().invoke(
        app, ["report", "--data", str(STORE_A), "--month", "2024-05", "--last", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    base = ["report", "--data", str(STORE_A), "--last", "1", "-o", str(tmp_path / "r.xlsx")]
    assert runner.invoke(app, [*base, "--month", "2024-05", "--fail-on-miss"]).exit_code == 1
    assert runner.invoke(app, [*base, "--month", "2024-13"]).exit_code == 2
    assert runner.invoke(app, base).exit_code == 2
    missing = [
        "report",
        "--data",
        str(tmp_path / "nowhere"),
        "--month",
        "2024-05",
        "-o",
        str(tmp_path / "x.xlsx"),
    ]
    assert runner.invoke(app, missing).exit_code in (2, 3)


def test_cli_store_label_and_format_from_suffix(tmp_path):
    out = tmp_path / "r.html"
    args = [
        "report",
        "-d",
        str(STORE_A),
        "-m",
        "2024-05",
        "-o",
        str(out),
        "--store",
        "Store A",
        "--last",
        "2",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Store A" in page


def test_library_report_uses_the_previous_month_for_change():
    report = build_report(store_a(), "2024-06", today=date(2030, 1, 1), last=12)
    assert report.months == ["2024-04", "2024-05", "2024-06"]  # leading empty months left out
    assert report.previous_period.label == "2024-05"
    kpi = next(k for k in report.kpis if k.result.id == "callback_rate")
    assert kpi.previous == pytest.approx(0.4948453608247423)


def test_unreadable_output_path_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = ["report", "-d", str(STORE_A), "-m", "2024-05", "--last", "1", "-o", str(blocker / "r.xlsx")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_OUTPUT
    assert "cannot write" in result.stderr


def test_provisional_kpis_are_marked_and_explained(tmp_path):
    """Before its settling date a KPI is marked with * and the date is given under the table."""
    report = build_report(store_a(), "2024-05", today=date(2024, 6, 2), last=1)
    path = tmp_path / "r.xlsx"
    xlsx.write_xlsx(report, path)
    ws = openpyxl.load_workbook(path)["Summary"]
    texts = [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1)]
    provisional = [k.result for k in report.kpis if k.result.provisional_until]
    assert provisional
    for kpi in provisional:
        assert f"{kpi.name['en']} *" in texts
    latest = max(k.provisional_until for k in provisional if k.provisional_until)
    assert any(t.startswith("* provisional") and latest.isoformat() in t for t in texts)


def test_page_header_keeps_an_ampersand_in_the_store_name(tmp_path):
    report = build_report(store_a(), "2024-05", today=TODAY, last=1, store="A&B 4S")
    path = tmp_path / "r.xlsx"
    xlsx.write_xlsx(report, path)
    ws = openpyxl.load_workbook(path)["Summary"]
    assert ws.oddHeader.left.text == "A&&B 4S"  # "&" alone starts a header code
    assert "A&B 4S" in ws["A1"].value


# --------------------------------------------------------------------------- print


def test_every_summary_column_is_titled_and_rows_are_even(workbook):
    ws = workbook["Summary"]
    header = [ws.cell(4, c).value for c in range(1, 10)]
    assert all(header) and header[-1] == "What it measures"
    kpi_rows = [r for r in range(5, ws.max_row + 1) if ws.cell(r, 4).value]
    assert {ws.row_dimensions[r].height for r in kpi_rows} == {xlsx_sheets.SUMMARY_ROW_HEIGHT}
    assert ws.print_area is not None and ws.page_setup.fitToHeight == 1


def test_trend_header_repeats_on_every_printed_page(workbook):
    ws = workbook["Trend"]
    assert ws.print_title_rows == "$4:$4" and ws.cell(4, 1).value == "KPI"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_a_missed_sheet_prints_who_causes_and_the_first_records_only(workbook, report):
    kpi = next(k for k in report.missed if k.result.id == "on_time_completion_rate")
    ws = workbook[next(n for n in workbook.sheetnames if n.endswith("On-time completion rate"))]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Row")
    assert ws.print_title_rows == f"${header}:${header}"
    printed_to = int(ws.print_area[0].split("$")[-1]) if isinstance(ws.print_area, list) else None
    area = str(ws.print_area)
    assert area.endswith(f"${header + 25}") or printed_to == header + 25, area
    assert ws.cell(header + kpi.records.total, 1).value == kpi.records.rows[-1].row  # all kept
    who = next(r for r in range(1, header) if ws.cell(r, 1).value == "Who the misses come from")
    assert ws.cell(who + 1, 1).value == "Advisor" and ws.cell(who + 1, 2).value == "Misses"
    first = kpi.who[0].people[0]
    assert [ws.cell(who + 2, c).value for c in (1, 2)] == [first.name, first.misses]
    assert ws.cell(who + 2, 3).value == pytest.approx(first.share)
    technicians = who + 2 + len(kpi.who[0].people) + 1
    assert ws.cell(technicians, 1).value == "Technician"


def test_issue_kinds_sheet_and_the_full_list(tmp_path):
    path = tmp_path / "issues.xlsx"
    xlsx.write_xlsx(hostile_report(), path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Data issues by kind"]
    header = [ws.cell(5, c).value for c in range(1, 8)]
    assert header == ["Severity", "Code", "Sheet", "Column", "Count", "Reason", "Examples"]
    assert [ws.cell(6, c).value for c in (1, 2, 5)] == ["warning", "bad_value", 1]
    assert ws.cell(6, 7).value == f"Row 7: “{HOSTILE[2]}”"
    full = workbook["Issue list"]
    assert full.cell(5, 1).value == "warning" and full.cell(5, 8).value == HOSTILE[0]
    path_zh = tmp_path / "issues-zh.xlsx"
    xlsx.write_xlsx(hostile_report("zh"), path_zh)
    zh = openpyxl.load_workbook(path_zh)["数据问题分类汇总"]
    assert [zh.cell(6, c).value for c in (1, 2, 5)] == ["警告", "bad_value", 1]
    assert zh.cell(6, 7).value == f"行号 7: “{HOSTILE[2]}”"


def test_identity_in_the_title_and_page_header(tmp_path):
    from sdkpi.config import StoreIdentity

    identity = StoreIdentity("Nanshan & Co", "VW", "1 Keyuan Rd")
    report = build_report(store_a(), "2024-05", today=TODAY, last=1, identity=identity)
    path = tmp_path / "id.xlsx"
    xlsx.write_xlsx(report, path)
    ws = openpyxl.load_workbook(path)["Summary"]
    assert "Nanshan & Co" in ws.cell(1, 1).value and "VW · 1 Keyuan Rd" in ws.cell(2, 1).value
    assert ws.oddHeader.left.text == "Nanshan && Co · VW · 1 Keyuan Rd"


def test_a_change_too_small_to_show_is_zero_not_minus_zero(tmp_path):
    report = build_report(store_a(), "2024-05", today=TODAY, last=2)
    kpi = next(k for k in report.kpis if k.change is not None)
    kpi.previous = kpi.result.value + (0.0004 if kpi.result.unit == "percent" else 0.004)
    assert kpi.change < 0 and kpi.shown_change == 0.0
    assert xlsx_style.change_value(kpi) == 0.0
    from sdkpi.render import html

    assert html.change_text(kpi, report) in ("+0.0 pts", "+0.00 h", "+0.00", "+¥0.00")
    assert html.change_class(kpi) == ""
