"""The HTML report: a golden file, escaping of hostile text, self-containment, the SVG charts."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi import __version__
from sdkpi.config import StoreIdentity, load_config
from sdkpi.errors import UsageError
from sdkpi.issues import DataIssue
from sdkpi.render import html
from sdkpi.report import KpiReport, TrendPoint, build_report, issue_kinds
from sdkpi.results import KpiResult, TargetSpec
from test_report_xlsx import HOSTILE, hostile_report, store_a

STORE_A = CONFORMANCE / "store-a"
GOLDEN = Path(__file__).parent / "golden"
FIXED_TIME = datetime(2024, 6, 3, 8, 30)


def normalise(page: str, source: str) -> str:
    """What may differ between machines: the data folder's path and the version."""
    return page.replace(source, "<data>").replace(f"sdkpi {__version__}", "sdkpi <version>")


def golden_page(lang: str) -> str:
    report = build_report(store_a(), "2024-05", today=TODAY, lang=lang, record_limit=5)
    report.result.generated_at = FIXED_TIME
    return normalise(html.render_html(report), str(STORE_A))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_matches_the_golden_file(lang):
    """Refresh with SDKPI_UPDATE_GOLDEN=1 pytest tests/test_report_html.py after a deliberate change."""
    page = golden_page(lang)
    golden = GOLDEN / f"report-store-a-2024-05.{lang}.html"
    if os.environ.get("SDKPI_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(page, encoding="utf-8")
    assert page == golden.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_en():
    return build_report(store_a(), "2024-05", today=TODAY)


@pytest.fixture(scope="module")
def page(report_en):
    return html.render_html(report_en)


def test_page_is_self_contained(page):
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "url(" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "<style>" in page and "@media print" in page


def test_page_holds_the_same_content_as_the_workbook(page, report_en):
    for text in ("Proactive customer contact (sales)", "DCRC contact rate", "33.3%", "&gt; 65%", "✗ MISSED"):
        assert text in page
    assert page.count('class="missed-kpi"') == len(report_en.missed) >= 10
    assert "all 20" in page  # reminder_rate's failing appointments
    assert "Poor communication when booking" in page
    assert "No data issues found." in page
    assert page.count('<svg class="linechart"') == 24 and page.count('<svg class="sparkline"') == 24


def test_hostile_text_comes_out_escaped():
    page = html.render_html(hostile_report())
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page  # a value, quoted inertly
    assert all(h in page for h in ("@SUM(A1)", "+1+2"))
    assert "<script" not in page


def test_every_template_autoescapes():
    env = html.environment()
    assert env.autoescape("report.html.j2") and env.autoescape("chart.svg.j2")
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_html_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "r.html"
    path.write_text("old page")
    report = build_report(store_a(), "2024-05", today=TODAY, last=1)

    def broken(_report):
        raise RuntimeError("template failed")

    monkeypatch.setattr(html, "render_html", broken)
    with pytest.raises(RuntimeError):
        html.write_html(report, path)
    assert path.read_text() == "old page" and len(list(tmp_path.iterdir())) == 1


def test_chinese_page():
    report = build_report(store_a(), "2024-05", today=TODAY, lang="zh", last=2)
    page = html.render_html(report)
    assert '<html lang="zh-CN">' in page and "售后服务 KPI 月报" in page and "未达标" in page


def kpi(values: list[float | None], unit: str = "percent", target: float | None = 0.5) -> KpiReport:
    result = KpiResult(
        id="x",
        name={"en": "X", "zh": "X"},
        stage="s",
        stage_name={"en": "S", "zh": "S"},
        sheet="work_orders",
        unit=unit,
        value=values[-1],
        numerator=1,
        denominator=2,
        target=TargetSpec(">", target, "target") if target is not None else None,
        status="met",
    )
    trend = [
        TrendPoint(f"2024-{i + 1:02d}", v, "met" if v is not None else "no_data")
        for i, v in enumerate(values)
    ]
    return KpiReport(result, values[-2] if len(values) > 1 else None, trend)


def test_chart_leaves_a_gap_for_a_month_without_data():
    chart = html.line_chart(kpi([0.2, 0.4, None, 0.6, 0.8]), 320, 150)
    assert len(chart.lines) == 2 and len(chart.dots) == 4
    left, top, right, bottom = chart.plot
    assert chart.dots[0]["x"] == left and chart.dots[-1]["x"] == right
    assert chart.target_y == pytest.approx(bottom - (bottom - top) * 0.5, abs=0.1)
    assert [label for _, label in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]


def test_chart_scale_covers_values_above_100_percent_and_the_target():
    above = html.line_chart(kpi([1.2, 1.3]), 320, 150)
    assert [label for _, label in above.y_ticks] == ["0%", "50%", "100%", "150%"]
    assert (
        all(y >= above.plot[1] for y, _ in above.y_ticks) and min(d["y"] for d in above.dots) > above.plot[1]
    )
    hours = html.line_chart(kpi([1.7, 1.8], unit="hours", target=2.5), 320, 150)
    assert hours.target_y is not None and hours.target_y > hours.plot[1]
    single = html.line_chart(kpi([0.3]), 320, 150)
    assert single.dots[0]["x"] == (single.plot[0] + single.plot[2]) / 2


def test_change_is_coloured_by_the_target_direction():
    assert html.change_class(kpi([0.4, 0.5])) == "better"
    assert html.change_class(kpi([0.5, 0.4])) == "worse"
    assert html.change_class(kpi([0.5, 0.4], target=None)) == ""
    labels = SimpleNamespace(words={"pp": "pts"}, currency="¥")
    assert html.change_text(kpi([0.4, 0.5]), labels) == "+10.0 pts"
    assert html.change_text(kpi([120.0, 100.0], unit="currency"), labels) == "-¥20.00"


def test_hostile_values_are_listed_in_the_records():
    page = html.render_html(hostile_report())
    for value in HOSTILE:
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
        assert escaped in page, value


def article(page: str, kpi_id: str) -> str:
    block = page[page.index(f'id="missed-{kpi_id}"') :]
    return block[: block.index("</article>")]


def records_table(block: str) -> str:
    start = block.index('<table class="records">')
    return block[start : block.index("</table>", start)]


def test_long_record_lists_show_25_rows_and_say_the_rest_is_in_the_workbook(page):
    """What the page lists is what prints: no folded rows, the count of the rest said."""
    block = article(page, "punctuality_rate")
    assert records_table(block).count('<td class="why">') == 25
    assert "first 25 of 54; all in the workbook" in block
    assert 'class="more"' not in page and "more-toggle" not in page
    assert "all 20" in article(page, "reminder_rate")


def test_records_beyond_the_workbook_cap_are_counted_honestly():
    report = build_report(store_a(), "2024-05", today=TODAY, last=1, record_limit=30)
    block = article(html.render_html(report), "punctuality_rate")
    assert "first 25 of 54; the first 30 in the workbook" in block


def test_missed_kpi_says_who_the_misses_come_from(page, report_en):
    """Grouped by each people column of the sheet: counts add up to the misses, most misses
    first, each person with their own figure (the breakdown's) and share of the misses."""
    for kpi in report_en.missed:
        for who in kpi.who:
            assert sum(p.misses for p in who.people) == who.total == kpi.records.total
            assert [p.misses for p in who.people] == sorted((p.misses for p in who.people), reverse=True)
            assert sum(p.share for p in who.people) == pytest.approx(1.0)
    assert next(k for k in report_en.missed if k.result.id == "reminder_rate").who == []  # no person column
    wo = next(k for k in report_en.missed if k.result.id == "on_time_completion_rate")
    assert [who.column for who in wo.who] == ["advisor", "technician"]
    for who in wo.who:
        split = {g.group: g for g in breakdown_of(wo, who.column).groups}
        for person in who.people:
            assert person.own.value == split[person.name].value
            assert person.own.status == split[person.name].status
    block = article(page, wo.result.id)
    assert "Who the misses come from" in block
    assert '<th class="name">Advisor</th>' in block and '<th class="name">Technician</th>' in block


def breakdown_of(kpi, column):
    from sdkpi.breakdown import breakdown

    result = breakdown(STORE_A, column, month="2024-05", kpis=[kpi.result.id], today=TODAY)
    return result.kpis[0]


def test_utilisation_is_a_view_per_technician_not_technician_days(page, report_en):
    kpi = next(k for k in report_en.missed if k.result.id == "utilization")
    assert [who.column for who in kpi.who] == ["technician"]
    assert len(kpi.who[0].people) < kpi.records.total  # a row per technician, not per day
    block = article(page, "utilization")
    assert '<table class="records">' not in block  # the days are in the workbook
    assert f"{kpi.records.total} records fall short of the target on their own: all in the workbook" in block
    assert "Records below target" in block


def test_missed_pages_show_no_paths_no_column_ids_no_data_line(page):
    missed = page[page.index('<section id="missed">') : page.index('<section id="issues">')]
    assert str(STORE_A) not in page and "store-a/" not in page
    assert "Definitions" not in page and ">Data<" not in page
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", missed)
    assert headers and not [h for h in headers if "_" in h]
    cells = re.findall(r"<td>([^<]*)</td>", missed)
    assert "true" not in cells and "false" not in cells


def test_print_css_breaks_pages_and_repeats_headers(page):
    css = page[page.index("<style>") : page.index("</style>")]
    printed = css[css.index("@media print") :]
    assert "thead { display: table-header-group; }" in printed
    assert ".missed-kpi { break-before: page; }" in printed or "#trend, #issues, .missed-kpi" in printed
    assert "word-break: keep-all" in css  # Chinese headers do not wrap a character a line
    assert "@top-left" in css and "counter(page)" in css


def test_record_columns_carry_chinese_headers_in_a_chinese_report():
    report = build_report(store_a(), "2024-05", today=TODAY, lang="zh", last=1, record_limit=1)
    page = html.render_html(report)
    block = page[page.index('id="missed-reminder_rate"') :]
    assert "<th>预约单号</th>" in block[: block.index("</thead>")]


# --------------------------------------------------------------------------- store identity


def test_store_identity_from_the_config_file(tmp_path):
    config = tmp_path / "sdkpi.toml"
    config.write_text(
        '[store]\nname = "Nanshan Service"\nbrand = "VW"\naddress = "1 Keyuan Rd"\n'
        '[stores."深圳南山店"]\nname = "南山服务中心"\n',
        encoding="utf-8",
    )
    loaded = load_config(config)
    assert loaded.identity == StoreIdentity("Nanshan Service", "VW", "1 Keyuan Rd")
    assert loaded.stores == {"深圳南山店": StoreIdentity("南山服务中心")}
    assert loaded.store is None  # a [store] table names the store, it picks none


@pytest.mark.parametrize(
    "text",
    ['[store]\nnmae = "x"\n', "[store]\nname = 3\n", '[store]\nname = " "\n', 'stores = "x"\n'],
)
def test_a_bad_identity_table_is_a_usage_error(tmp_path, text):
    config = tmp_path / "sdkpi.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError):
        load_config(config)


def test_cover_and_running_head_name_the_store(tmp_path):
    identity = StoreIdentity("Nanshan <Service> & Co", "VW", "1 Keyuan Rd")
    report = build_report(store_a(), "2024-05", today=TODAY, last=1, identity=identity)
    page = html.render_html(report)
    assert "<h1>Nanshan &lt;Service&gt; &amp; Co</h1>" in page
    assert "VW · 1 Keyuan Rd" in page
    head = re.search(r"@top-left \{ content: (\"[^\"]*\")", page)
    assert head is not None and "<" not in head.group(1) and "\\00003c" in head.group(1)
    plain = build_report(store_a(), "2024-05", today=TODAY, last=1)
    assert "<h1>store-a</h1>" in html.render_html(plain)  # the folder name only as fallback


def test_a_group_store_is_named_by_its_own_table():
    from sdkpi.report import pick_identity

    group = {"S1": StoreIdentity("South One"), "store-a": StoreIdentity("Folder A")}
    report = build_report(store_a(), "2024-05", today=TODAY, last=1)
    assert pick_identity(report.result, StoreIdentity("Default"), group) == StoreIdentity("Folder A")
    assert pick_identity(report.result, StoreIdentity("Default"), {}) == StoreIdentity("Default")


def test_css_string_cannot_end_the_style_element():
    text = html.css_string('a"b</style><script>\\ 店')
    assert all(ch.isascii() and (ch.isalnum() or ch == "\\") for ch in text)
    assert text.startswith("a\\000022b\\00003c") and text.endswith(
        "\\000020\\005e97"
    )  # a space after an escape stays


# --------------------------------------------------------------------------- data issues by kind


def test_issue_kinds_count_by_code_sheet_and_column_with_three_examples():
    issues = [
        DataIssue("warning", "bad_value", "r", "work_orders", "f", i, "opened_at", f"v{i}") for i in range(7)
    ]
    issues += [DataIssue("error", "missing_column", "r", "callbacks", "f", None, "result", None)]
    issues += [DataIssue("warning", "bad_value", "r", "work_orders", "f", 3, "advisor", "x")]
    kinds = issue_kinds(issues)
    assert [(k.severity, k.column, k.count) for k in kinds] == [
        ("error", "result", 1),
        ("warning", "opened_at", 7),
        ("warning", "advisor", 1),
    ]
    assert [i.row for i in kinds[1].examples] == [0, 1, 2]


def test_html_stays_under_1_mb_at_10000_orders_with_thousands_of_issues(tmp_path):
    """Every bad cell is counted in its kind; the page lists kinds, never every issue."""
    lines = ["工单号,开单时间,客户类型,服务顾问,约定交车时间,完工时间,交车时间,零件预捡及时"]
    for i in range(10_000):
        opened = "not a date" if i % 4 == 0 else f"2024-05-{1 + i % 28:02d} 09:00"
        prepicked = "maybe" if i % 5 == 0 else "是"
        lines.append(
            f"RO{i},{opened},自费,SA{i % 9},2024-05-{1 + i % 28:02d} 17:00,"
            f"2024-05-{1 + i % 28:02d} 16:00,2024-05-{1 + i % 28:02d} 17:10,{prepicked}"
        )
    (tmp_path / "维修工单.csv").write_text("\n".join(lines), encoding="utf-8")
    report = build_report(tmp_path, "2024-05", today=TODAY, last=2)
    issues = report.result.data_issues
    assert len(issues) >= 4_000
    page = html.render_html(report).encode("utf-8")
    assert len(page) < 1_000_000, len(page)
    kinds = report.issue_kinds
    assert sum(k.count for k in kinds) == len(issues)
    assert f"{kinds[0].count:,}" in page.decode("utf-8")


def test_settings_used_are_shown_and_a_store_change_says_where(tmp_path):
    from typer.testing import CliRunner

    from sdkpi.cli import app

    config = tmp_path / "sdkpi.toml"
    config.write_text(
        f'data = "{STORE_A.as_posix()}"\n[settings]\npunctuality_rate.early = 10\n', encoding="utf-8"
    )
    out = tmp_path / "r.html"
    args = ["report", "--config", str(config), "-m", "2024-05", "--last", "1", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.stderr
    page = out.read_text(encoding="utf-8")
    start = page.index('<section id="summary">')
    summary = page[start : page.index("</section>", start)]
    changed = re.findall(r'<div class="desc setting">⚙ ([^<]*)</div>', summary)
    assert changed == ["How many minutes early still count as punctual: 10 min (set in sdkpi.toml)"]
    block = article(page, "punctuality_rate")
    assert "<b>Settings used</b>: " in block and "10 min (set in sdkpi.toml)" in block
