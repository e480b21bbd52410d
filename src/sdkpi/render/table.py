"""The terminal table: KPIs grouped by the eight stages, in Chinese or English."""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..results import ComputeResult, KpiResult
from .formatting import (
    HEADINGS,
    STATUS_LABELS,
    STATUS_STYLES,
    format_number,
    format_part,
    format_target,
    reason_text,
    status_text,
    text,
)


def kpi_table(result: ComputeResult, lang: str = "en", currency: str = "¥") -> Table:
    words = HEADINGS[lang]
    title = f"sdkpi · {words['period']} {result.period.label}"
    if result.store:
        title += f" · {result.store}"
    table = Table(title=title, title_justify="left", header_style="bold", expand=False)
    # numbers are never cut: the name and status columns fold on a narrow terminal instead
    table.add_column(words["kpi"], overflow="fold", min_width=12)
    table.add_column(words["value"], justify="right", no_wrap=True, min_width=10)
    table.add_column(words["target"], justify="right", overflow="fold", min_width=7)
    table.add_column(words["status"], overflow="fold", min_width=8)
    table.add_column(words["numerator"], justify="right", no_wrap=True, min_width=9)
    table.add_column(words["denominator"], justify="right", no_wrap=True, min_width=9)
    for _stage, kpis in _by_stage(result.kpis, result.stage_order):
        table.add_row(Text(text(kpis[0].stage_name, lang), style="bold underline"), end_section=False)
        for kpi in kpis:
            table.add_row(*_row(kpi, lang, currency))
        table.add_section()
    return table


def _by_stage(kpis: list[KpiResult], stage_order: list[str]) -> list[tuple[str, list[KpiResult]]]:
    """KPIs grouped by stage, stages in the order the definitions list them."""
    groups: dict[str, list[KpiResult]] = {stage: [] for stage in stage_order}
    for kpi in kpis:
        groups.setdefault(kpi.stage, []).append(kpi)
    return [(stage, group) for stage, group in groups.items() if group]


def _row(kpi: KpiResult, lang: str, currency: str) -> list[Text | str]:
    status = Text(status_text(kpi.status, lang), style=STATUS_STYLES[kpi.status])
    if kpi.status == "no_data" and kpi.reason:
        status.append(f" ({reason_text(kpi.reason, lang, kpi.sheet)})", style="dim")
    name = Text(f"  {text(kpi.name, lang)}")
    if kpi.provisional_until:
        name.append(" *", style="yellow")
    value_unit = "number" if kpi.unit not in ("percent", "hours", "currency") else kpi.unit
    if kpi.status == "no_data":
        return [name, "–", format_target(kpi, lang), status, "", ""]
    return [
        name,
        format_number(kpi.value, value_unit, currency),
        format_target(kpi, lang),
        status,
        format_part(kpi.numerator, kpi.unit if kpi.unit != "percent" else "number", currency),
        format_part(kpi.denominator, "number", currency),
    ]


def summary_line(result: ComputeResult, lang: str = "en") -> str:
    counts: Counter[str] = Counter(k.status for k in result.kpis)
    labels = STATUS_LABELS[lang]
    shown = [s for s in labels if counts[s] or s != "reference"]  # reference values: when there are some
    line = " · ".join(f"{counts[s]} {labels[s]}" for s in shown)
    provisional = [k for k in result.kpis if k.provisional_until]
    if provisional:
        note = HEADINGS[lang]["provisional"]
        line += f"   * {note} " + ", ".join(f"{k.provisional_until}" for k in provisional[:1])
    return line


def missed_hint(result: ComputeResult, lang: str = "en", again: str | None = None) -> str:
    """Where to look next: the missed KPIs and the command that lists the records behind each.

    `again`: the options of the run that printed this (--data ... --month), shell-quoted by
    the command line, so that the hint copied as printed reads the same data."""
    missed = [k.id for k in result.kpis if k.status == "missed"]
    if not missed:
        return ""
    kpi = "指标代码" if lang == "zh" else "kpi"
    command = f"sdkpi explain <{kpi}> {again or '--month ' + result.period.label}"
    if lang == "zh":  # the name a manager reads, the code the command takes
        named = "、".join(f"{text(k.name, lang)}({k.id})" for k in result.kpis if k.status == "missed")
        return f"未达标：{named}\n查看原因和相关记录：{command}"
    return f"Missed: {', '.join(missed)}\nWhy, and the records behind it: {command}"


def render_table(
    result: ComputeResult, console: Console, lang: str = "en", currency: str = "¥", again: str | None = None
) -> None:
    parts: list[Table | Text] = [kpi_table(result, lang, currency), Text(summary_line(result, lang))]
    console.print(Group(*parts))
    hint = missed_hint(result, lang, again)
    if hint:  # soft wrap: never cut by a newline, which would break the command when copied
        console.print(Text(hint, style="dim"), soft_wrap=True)
