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
from sdkpi.render import html
from sdkpi.report import KpiReport, TrendPoint, build_report
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
def page():
    report = build_report(store_a(), "2024-05", today=TODAY)
    return html.render_html(report)


def test_page_is_self_contained(page):
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "url(" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "<style>" in page and "@media print" in page


def test_page_holds_the_same_content_as_the_workbook(page):
    for text in ("Proactive customer contact (sales)", "DCRC contact rate", "33.3%", "&gt; 65%", "✗ MISSED"):
        assert text in page
    assert page.count('class="missed-kpi"') == 12
    assert "showing 20 of 20" in page  # reminder_rate's failing appointments
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


def test_long_record_lists_show_25_rows_and_fold_the_rest(page):
    block = page[page.index('id="missed-punctuality_rate"') :]
    block = block[: block.index("</article>")]
    first, more = block.split('<tbody class="more">')
    assert first.count('<td class="why">') == 25 and more.count('<td class="why">') == 54 - 25
    assert "Show all 54 records" in block
    short = page[page.index('id="missed-reminder_rate"') :]
    assert 'class="more"' not in short[: short.index("</article>")]


def test_record_columns_carry_chinese_headers_in_a_chinese_report():
    report = build_report(store_a(), "2024-05", today=TODAY, lang="zh", last=1, record_limit=1)
    page = html.render_html(report)
    block = page[page.index('id="missed-reminder_rate"') :]
    assert "<th>预约单号</th>" in block[: block.index("</thead>")]
