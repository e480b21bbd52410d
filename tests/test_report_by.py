"""`sdkpi report --by COLUMN`: the breakdown sheet and section, read back against the Summary."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY, dataset
from sdkpi.breakdown import breakdown
from sdkpi.cli import app
from sdkpi.errors import UsageError
from sdkpi.render import html, xlsx
from sdkpi.report import build_report
from test_report_xlsx import HOSTILE, rows_by_name, store_a

STORE_A = CONFORMANCE / "store-a"


@pytest.fixture(scope="module")
def report():
    return build_report(store_a(), "2024-05", today=TODAY, last=1, by="advisor")


@pytest.fixture(scope="module")
def workbook(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("by") / "report.xlsx"
    xlsx.write_xlsx(report, path)
    return openpyxl.load_workbook(path)


def blocks(ws) -> dict[str, dict[str, Any]]:
    """Each KPI block of a By sheet: its band row, its group rows (rank in A) and its total row."""
    found: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for row in range(5, ws.max_row + 1):
        first, second = ws.cell(row, 1).value, ws.cell(row, 2).value
        if isinstance(first, str) and second is None and ws.cell(row, 1).fill.fgColor.rgb.endswith("D9E1F2"):
            current = found.setdefault(first, {"band": row, "groups": [], "total": None})
        elif current is not None and isinstance(first, int):
            current["groups"].append(row)
        elif current is not None and second in ("Total", "Group total"):
            current["total"] = row
            current = None
    return found


def figures(ws, row: int) -> tuple[Any, ...]:
    """(name, value, status, numerator, denominator) of a group or total row."""
    return tuple(ws.cell(row, c).value for c in (2, 3, 5, 6, 7))


def test_by_sheet_follows_the_summary_with_a_frozen_header(workbook):
    assert workbook.sheetnames[:3] == ["Summary", "By advisor", "Trend"]
    ws = workbook["By advisor"]
    assert ws["A1"].value.startswith("Breakdown by advisor · store-a · 2024-05")
    assert [ws.cell(4, c).value for c in range(1, 8)] == [
        "#",
        "KPI / advisor",
        "Value",
        "Target",
        "Status",
        "Numerator",
        "Denominator",
    ]
    assert ws.freeze_panes == "C5" and ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1


def test_group_rows_add_up_and_the_total_row_is_the_summary_figure(workbook, report):
    ws, summary = workbook["By advisor"], workbook["Summary"]
    summary_rows = rows_by_name(summary)
    found = blocks(ws)
    assert len(found) == len(report.broken_down) == 12
    for kpi in report.broken_down:
        block = found[kpi.result.name["en"]]
        total = figures(ws, block["total"])
        headline = summary_rows[kpi.result.name["en"]]
        assert total[1] == summary.cell(headline, 2).value == kpi.result.value, kpi.result.id
        assert total[3:] == (kpi.result.numerator, kpi.result.denominator)
        groups = [figures(ws, r) for r in block["groups"]]
        assert [g[0] for g in groups] == [g.group for g in kpi.breakdown.groups]  # best first
        for _, value, _, numerator, denominator in groups:
            assert value == numerator / denominator  # the group's own ratio, not a share
        if isinstance(kpi.result.denominator, int) and not kpi.breakdown.distinct:
            assert sum(g[4] for g in groups) == kpi.result.denominator, kpi.result.id
            if isinstance(kpi.result.numerator, int):
                assert sum(g[3] for g in groups) == kpi.result.numerator, kpi.result.id


def test_every_row_equals_the_json_of_compute_by(workbook):
    """The sheet holds exactly what `sdkpi compute --by advisor --format json` prints."""
    expected = json.loads(json.dumps(breakdown(STORE_A, "advisor", month="2024-05", today=TODAY).to_dict()))
    ws = workbook["By advisor"]
    found = blocks(ws)
    for kpi in expected["kpis"]:
        if kpi["reason"]:
            continue
        block = found[kpi["name"]["en"]]
        rows = [figures(ws, r) for r in [*block["groups"], block["total"]]]
        parts = [*kpi["groups"], {**kpi["total"], "group": "Total"}]
        assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
            (p["group"], p["value"], p["numerator"], p["denominator"]) for p in parts
        ], kpi["id"]


def test_groups_are_ranked_best_first_with_status_colours_and_formats(workbook):
    ws = workbook["By advisor"]
    block = blocks(ws)["Appointment rate"]
    assert ws.cell(block["band"], 4).value == "> 50%"
    rows = block["groups"]
    values = [ws.cell(r, 3).value for r in rows]
    assert values == sorted(values, reverse=True) and len(rows) == 6
    assert [ws.cell(r, 1).value for r in rows] == list(range(1, 7))
    best, worst = rows[0], rows[-1]
    assert ws.cell(best, 5).value == "✓ met" and ws.cell(best, 5).fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(worst, 5).value == "✗ MISSED" and ws.cell(worst, 5).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(best, 3).number_format == "0.0%" and ws.cell(best, 6).number_format == "#,##0"
    hours = blocks(ws)["Labour hours sold per RO"]["groups"][0]
    assert ws.cell(hours, 3).number_format == '0.00" h"'


def test_kpis_whose_sheet_lacks_the_column_are_listed(workbook, report):
    ws = workbook["By advisor"]
    texts = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    start = texts.index("Not broken down by advisor") + 1
    listed = {ws.cell(r, 2).value: ws.cell(r, 3).value for r in range(start + 1, ws.max_row + 1)}
    assert len(listed) == len(report.not_broken_down) == 12
    assert listed["Callback rate"] == "the callbacks sheet has no advisor column"
    assert "Callback rate" not in blocks(ws)


def test_a_distinct_count_kpi_says_its_rows_need_not_add_up(workbook):
    ws = workbook["By advisor"]
    total = blocks(ws)["Parts sales per advisor"]["total"]
    assert ws.cell(total + 1, 2).value.startswith("Distinct counts")


def test_the_report_without_by_has_no_breakdown(tmp_path):
    plain = build_report(store_a(), "2024-05", today=TODAY, last=1)
    assert plain.by is None and not plain.broken_down
    path = tmp_path / "plain.xlsx"
    xlsx.write_xlsx(plain, path)
    assert not any(n.startswith("By ") for n in openpyxl.load_workbook(path).sheetnames)
    assert 'id="breakdown"' not in html.render_html(plain)


# --------------------------------------------------------------------------- two stores


def two_stores():
    """north: 3 of 4 orders booked (75%), south: 1 of 6; the group: 4 of 10 (not the mean 45.8%)."""
    orders = [
        {
            "ro_number": f"{store}-{i}",
            "store": store,
            "opened_at": "2024-05-02 09:00",
            "customer_type": "retail",
            "advisor": "SA01",
            "appointment_id": "AP" if i < booked else None,
        }
        for store, booked, count in (("south", 1, 6), ("north", 3, 4))
        for i in range(count)
    ]
    return build_report(dataset(work_orders=orders), "2024-05", today=TODAY, last=1, by="store")


def test_by_store_ranks_the_stores_under_the_group_total(tmp_path):
    report = two_stores()
    path = tmp_path / "group.xlsx"
    xlsx.write_xlsx(report, path)
    ws = openpyxl.load_workbook(path)["By store"]
    block = blocks(ws)["Appointment rate"]
    assert [figures(ws, r) for r in block["groups"]] == [
        ("north", 0.75, "✓ met", 3, 4),
        ("south", 1 / 6, "✗ MISSED", 1, 6),
    ]
    assert figures(ws, block["total"]) == ("Group total", 0.4, "✗ MISSED", 4, 10)
    page = html.render_html(report)
    section = page[page.index('<tbody id="by-appointment_rate">') :]
    section = section[: section.index("</tbody>")]
    assert section.index(">north<") < section.index(">south<") < section.index(">Group total<")
    assert ">40.0%<" in section and ">75.0%<" in section and ">16.7%<" in section


# --------------------------------------------------------------------------- hostile names


def hostile_by_advisor():
    orders = [
        {
            "ro_number": f"RO{i}",
            "opened_at": "2024-05-02 09:00",
            "customer_type": "retail",
            "advisor": HOSTILE[i % len(HOSTILE)],
            "appointment_id": "AP" if i % 2 else None,
        }
        for i in range(12)
    ]
    return build_report(dataset(work_orders=orders), "2024-05", today=TODAY, last=1, by="advisor")


def test_hostile_advisor_names_are_text_in_the_workbook(tmp_path):
    path = tmp_path / "hostile.xlsx"
    xlsx.write_xlsx(hostile_by_advisor(), path)
    ws = openpyxl.load_workbook(path)["By advisor"]
    names = [ws.cell(r, 2) for r in blocks(ws)["Appointment rate"]["groups"]]
    assert {c.value for c in names} == set(HOSTILE)
    assert all(c.data_type == "s" for c in names)
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets)


def test_html_section_lists_the_groups_and_escapes_a_script_name(report):
    page = html.render_html(report)
    section = page[page.index('<section id="breakdown">') :]
    section = section[: section.index("</section>")]
    assert "<h2>Breakdown by advisor</h2>" in section
    assert all(f">SA0{i}<" in section for i in range(1, 7))
    assert section.count('<tr class="total') == 12
    assert "<b>Callback rate</b>" in section and "the callbacks sheet has no advisor column" in section
    hostile = html.render_html(hostile_by_advisor())
    block = hostile[hostile.index('<section id="breakdown">') :]
    block = block[: block.index("</section>")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<script" not in hostile


def test_chinese_breakdown_uses_the_chinese_column_name(tmp_path):
    report = build_report(store_a(), "2024-05", today=TODAY, lang="zh", last=1, by="advisor")
    path = tmp_path / "zh.xlsx"
    xlsx.write_xlsx(report, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[1] == "按服务顾问"
    assert workbook["按服务顾问"].cell(4, 2).value == "指标 / 服务顾问"
    page = html.render_html(report)
    assert "<h2>按服务顾问分解</h2>" in page and "「回访记录」没有服务顾问列" in page


# --------------------------------------------------------------------------- CLI


def test_cli_report_by_advisor(tmp_path):
    out = tmp_path / "may.xlsx"
    args = ["report", "-d", str(STORE_A), "-m", "2024-05", "--last", "1", "--by", "advisor", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "By advisor" in openpyxl.load_workbook(out).sheetnames


def test_unknown_by_column_is_exit_2_with_a_suggestion_and_no_file(tmp_path):
    out = tmp_path / "may.html"
    args = ["report", "-d", str(STORE_A), "-m", "2024-05", "--by", "advisr", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "unknown column 'advisr'" in result.stderr and "did you mean 'advisor'" in result.stderr
    assert not out.exists()
    with pytest.raises(UsageError):
        build_report(store_a(), "2024-05", by="advisr")
