"""The monthly report as one self-contained HTML page, drawn from `ReportData` only.

No network: inline CSS and inline SVG line charts drawn here from the trend series
(no JavaScript). Templates ship inside the package and are rendered by a jinja2
Environment with autoescaping on, so text from the data (`<script>`) comes out inert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..atomic import write_text_atomic
from ..errors import escape_undecodable
from ..report import KpiReport, ReportData, TrendPoint, WhoMissed, generated_label
from ..results import KpiResult
from .formatting import (
    STATUS_LABELS,
    format_number,
    format_part,
    format_target,
    money_sign,
    reason_text,
    status_text,
    text,
)

if TYPE_CHECKING:
    from ..results import GroupRow

CHART_W, CHART_H = 320, 150
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 46, 10, 10, 22
SPARK_W, SPARK_H = 84, 22
PAGE_PEOPLE = 12  # people listed per missed KPI on the page (all of them in the workbook)
# cells the page leaves to the workbook: they identify a customer or car, not who or why
PAGE_LEFT_OUT = ("customer_id", "vin")


@dataclass
class Chart:
    """An SVG line chart as numbers and labels; the template only places them."""

    width: int
    height: int
    lines: list[str]  # polyline point lists, one per run of months with a value
    dots: list[dict[str, Any]]  # x, y, status, label (tooltip)
    target_y: float | None
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    plot: tuple[float, float, float, float]  # left, top, right, bottom


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sdkpi", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    return env


def css_string(value: str) -> str:
    """Text for inside a quoted CSS string (the printed page header): every character but
    ASCII letters and digits as a six-digit hex escape, so nothing from the data can end the
    string or the <style> element, and autoescaping (which <style> would not undo) finds
    nothing to change. Spaces too: CSS would swallow a space right after an escape."""
    text = escape_undecodable(value)  # a name's byte that is not UTF-8: st\\xe9re
    return "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)


def render_html(report: ReportData) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(**context(report))


def write_html(report: ReportData, path: str | Path) -> None:
    """Write the page atomically: the old file stays whole if anything fails."""
    write_text_atomic(path, render_html(report))


# --------------------------------------------------------------------------- context


def context(report: ReportData) -> dict[str, Any]:
    from .. import __version__

    lang = report.lang
    result = report.result
    return {
        "r": report,
        "w": report.words,
        "lang": lang,
        "store": report.store,
        "store_line": report.store_line,
        "running_head": f"{report.store} · {report.words['title']} · {result.period.label}",
        "issue_kinds": [issue_kind(kind, report) for kind in report.issue_kinds],
        "kinds_note": report.words["kinds_note"].format(n=3, sheet=report.issue_sheet_title),
        "period": result.period.label,
        "period_range": period_range(report),
        "generated": generated_label(result),
        "counts": result.summary(),
        "issue_infos": sum(1 for i in result.data_issues if i.severity == "info"),
        "status_labels": STATUS_LABELS[lang],
        "stages": [
            {"name": text(stage.name, lang), "kpis": [kpi_row(kpi, report) for kpi in stage.kpis]}
            for stage in report.stages
        ],
        "missed": [missed_block(kpi, report) for kpi in report.missed],
        "by": breakdown_section(report) if report.by else None,
        "provisional": provisional_note(report),
        "version": __version__,
    }


def period_range(report: ReportData) -> str:
    from datetime import date

    period = report.result.period
    last = date.fromordinal(period.end.toordinal() - 1)
    return f"{period.start.isoformat()} – {last.isoformat()}"


def kpi_row(kpi: KpiReport, report: ReportData) -> dict[str, Any]:
    result = kpi.result
    lang, currency = report.lang, report.currency
    has_data = result.status != "no_data"
    return {
        "id": result.id,
        "name": text(result.name, lang),
        "description": text(result.description, lang),
        "provisional": result.provisional_until is not None,
        "value": format_number(result.value, result.unit, currency),
        "target": target_text(result, lang),
        "status": result.status,
        "status_text": status_text(result.status, lang),
        "reason": reason_text(result.reason, lang, result.sheet) if not has_data else "",
        "numerator": format_part(result.numerator, part_unit(result), currency) if has_data else "",
        "denominator": format_part(result.denominator, "number", currency) if has_data else "",
        "previous": format_number(kpi.previous, result.unit, currency) if kpi.previous is not None else "–",
        "change": change_text(kpi, report),
        "change_class": change_class(kpi),
        "spark": line_chart(kpi, SPARK_W, SPARK_H, spark=True),
        "chart": line_chart(kpi, CHART_W, CHART_H),
        "charted": any(p.value is not None for p in kpi.trend),
        "missed": result.status == "missed",
        "settings": report.settings_used(result, changed_only=True),
    }


def part_unit(result: KpiResult) -> str:
    return result.unit if result.unit in ("hours", "currency") else "number"


def target_text(result: KpiResult, lang: str) -> str:
    return format_target(result, lang).replace(">=", "≥").replace("<=", "≤")


def change_text(kpi: KpiReport, report: ReportData) -> str:
    change = kpi.shown_change
    if change is None:
        return "–"
    unit = kpi.result.unit
    if unit == "percent":
        return f"{change * 100:+.1f} {report.words['pp']}"
    if unit == "hours":
        return f"{change:+,.2f} h"
    if unit == "currency":
        sign = "+" if change >= 0 else "-"
        return f"{sign}{money_sign(report.currency)}{abs(change):,.2f}"
    return f"{change:+,.2f}"


def change_class(kpi: KpiReport) -> str:
    """'better' or 'worse' by the target's direction; plain when there is no target."""
    change, target = kpi.shown_change, kpi.result.target
    if change is None or target is None or change == 0:
        return ""
    up_is_good = target.op in (">", ">=", "=")
    return "better" if (change > 0) == up_is_good else "worse"


def provisional_note(report: ReportData) -> str:
    dates = [k.result.provisional_until for k in report.kpis if k.result.provisional_until]
    return report.words["provisional"].format(date=max(dates).isoformat()) if dates else ""


def missed_block(kpi: KpiReport, report: ReportData) -> dict[str, Any]:
    result = kpi.result
    lang = report.lang
    records = kpi.records
    columns = []
    if records is not None:
        key = records.columns[:1]
        columns = [c for c in records.columns if c in key or c not in PAGE_LEFT_OUT]
    listed = records is not None and records.selection == "not_in_numerator"
    return {
        "id": result.id,
        "name": text(result.name, lang),
        "description": text(result.description, lang),
        "value": format_number(result.value, result.unit, report.currency),
        "target": target_text(result, lang),
        "numerator": format_part(result.numerator, part_unit(result), report.currency),
        "denominator": format_part(result.denominator, "number", report.currency),
        "obstacles": [text(o, lang) for o in result.obstacles],
        "settings": report.settings_used(result),
        "records": records,
        "rows": records.rows[: report.page_records] if records and listed else [],
        "columns": columns,
        "labels": [report.column_label(records.sheet, c) for c in columns] if records else [],
        "showing": report.records_note(kpi),
        "below_target": (
            report.words["below_target"].format(total=records.total) if records and not listed else ""
        ),
        "who": [who_block(who, kpi.result, report, listed) for who in kpi.who],
    }


def who_block(who: WhoMissed, result: KpiResult, report: ReportData, listed: bool) -> dict[str, Any]:
    """The people behind a miss, most misses first: their count, share and own figure."""
    lang, currency = report.lang, report.currency
    people = [
        {
            "name": person.name,
            "misses": f"{person.misses:,}",
            "share": f"{person.share:.0%}",
            "bar": round(person.share * 60),
            "value": format_number(person.own.value, result.unit, currency),
            "parts": (
                f"{format_part(person.own.numerator, part_unit(result), currency)} / "
                f"{format_part(person.own.denominator, 'number', currency)}"
            ),
            "status": person.own.status,
            "status_text": status_text(person.own.status, lang),
        }
        for person in who.people[:PAGE_PEOPLE]
    ]
    shown = len(people)
    note = ""
    if shown < len(who.people):
        note = report.words["first_of"].format(shown=shown, total=len(who.people))
    return {
        "column": report.column_label(result.sheet, who.column),
        "misses": report.words["misses" if listed else "misses_below"],
        "people": people,
        "note": note,
    }


def issue_kind(kind: Any, report: ReportData) -> dict[str, Any]:
    """A kind of data issue: where, how many, what it means and its first rows."""
    from .issue_kinds import issue_column, issue_example
    from .issues import issue_kind as kind_words
    from .issues import reason_of_kind, severity_text

    return {
        "severity": kind.severity,
        "severity_text": severity_text(kind.severity, report.lang),
        "code": kind_words(kind.code, report.lang),
        "sheet": report.sheet_label(kind.sheet),
        "column": issue_column(report, kind),
        "count": f"{kind.count:,}",
        "reason": reason_of_kind(kind.code, kind.reason, report.lang),
        "examples": [issue_example(report, issue) for issue in kind.examples],
    }


# --------------------------------------------------------------------------- breakdown (--by)


def breakdown_section(report: ReportData) -> dict[str, Any]:
    """The --by section: per KPI its groups best first and the total; the KPIs it cannot split."""
    words, column = report.words, report.by_label
    kpis = []
    for kpi in report.broken_down:
        split = kpi.breakdown
        assert split is not None and split.total is not None
        groups = [dict(group_cells(g, kpi.result, report), rank=i) for i, g in enumerate(split.groups, 1)]
        kpis.append(
            {
                "id": kpi.result.id,
                "name": text(kpi.result.name, report.lang),
                "target": target_text(kpi.result, report.lang),
                "distinct": split.distinct,
                "groups": groups,
                "total": group_cells(split.total, kpi.result, report),
            }
        )
    return {
        "title": words["by_title"].format(column=column),
        "note": words["by_note"].format(column=column),
        "column": column,
        "total": words["group_total" if report.by == "store" else "total"],
        "kpis": kpis,
        "left_out_title": words["not_broken_down"].format(column=column),
        "left_out": [
            {"name": text(k.result.name, report.lang), "reason": report.breakdown_reason(k)}
            for k in report.not_broken_down
        ],
    }


def group_cells(group: GroupRow, result: KpiResult, report: ReportData) -> dict[str, Any]:
    """One group's (or the total's) figures as shown; the group's name is None for empty cells."""
    lang, currency = report.lang, report.currency
    return {
        "name": group.group,
        "value": format_number(group.value, result.unit, currency),
        "status": group.status,
        "status_text": status_text(group.status, lang),
        "numerator": format_part(group.numerator, part_unit(result), currency),
        "denominator": format_part(group.denominator, "number", currency),
    }


# --------------------------------------------------------------------------- SVG charts


def line_chart(kpi: KpiReport, width: int, height: int, spark: bool = False) -> Chart:
    """Geometry of a KPI's trend: a gap where a month has no value, the target as a line."""
    pad = (2, 2, 3, 3) if spark else (PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM)
    left, top, right, bottom = pad[0], pad[2], width - pad[1], height - pad[3]
    target = kpi.result.target.value if kpi.result.target else None
    low, high = spark_range(kpi.trend, target) if spark else y_range(kpi.trend, target, kpi.result.unit)

    def x_at(index: int) -> float:
        count = len(kpi.trend)
        return (left + right) / 2 if count == 1 else left + (right - left) * index / (count - 1)

    def y_at(value: float) -> float:
        return bottom - (bottom - top) * (value - low) / (high - low)

    lines: list[str] = []
    run: list[str] = []
    dots = []
    for index, point in enumerate(kpi.trend):
        if point.value is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        x, y = round(x_at(index), 1), round(y_at(point.value), 1)
        run.append(f"{x},{y}")
        shown = format_number(point.value, kpi.result.unit)
        dots.append({"x": x, "y": y, "status": point.status, "label": f"{point.month}: {shown}"})
    if run:
        lines.append(" ".join(run))
    ticks = [] if spark else [(round(y_at(v), 1), tick_label(v, kpi.result.unit)) for v in y_ticks(low, high)]
    return Chart(
        width=width,
        height=height,
        lines=lines,
        dots=dots,
        target_y=round(y_at(target), 1) if target is not None and low <= target <= high else None,
        y_ticks=ticks,
        x_labels=[] if spark else x_labels(kpi.trend, x_at),
        plot=(left, top, right, bottom),
    )


def y_range(points: list[TrendPoint], target: float | None, unit: str) -> tuple[float, float]:
    """0..100% for percentages; otherwise from 0 to a round number above the values and target."""
    if unit == "percent":
        highest = max([1.0, *(p.value for p in points if p.value is not None)])
        return 0.0, math.ceil(highest / 0.25 - 1e-9) * 0.25
    values = [p.value for p in points if p.value is not None]
    if target is not None:
        values.append(target)
    top = max(values, default=1.0) * 1.1 or 1.0
    step = nice_step(top / 4)
    return 0.0, step * math.ceil(top / step)


def spark_range(points: list[TrendPoint], target: float | None) -> tuple[float, float]:
    """A sparkline shows the shape: from the lowest to the highest of the values and target."""
    values = [p.value for p in points if p.value is not None]
    if target is not None:
        values.append(target)
    low, high = min(values, default=0.0), max(values, default=1.0)
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - margin, high + margin


def nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def y_ticks(low: float, high: float) -> list[float]:
    step = nice_step((high - low) / 4)
    count = math.floor((high - low) / step + 1e-9)
    return [low + step * i for i in range(count + 1)]


def tick_label(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value * 100:.0f}%"
    if unit == "hours":
        return f"{value:g} h"
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def x_labels(points: list[TrendPoint], x_at: Any) -> list[tuple[float, str]]:
    """At most six month labels, always the last (the reporting month)."""
    every = max(1, math.ceil(len(points) / 6))
    last = len(points) - 1
    picked = [i for i in range(len(points)) if (last - i) % every == 0]
    return [(round(x_at(i), 1), points[i].month) for i in picked]
