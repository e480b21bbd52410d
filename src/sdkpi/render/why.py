"""Terminal and CSV views of the "find out why" results: explain, breakdowns, trends, what-if.

Like the other renderers, these draw plain result objects only (`Explanation`,
`BreakdownResult`, `TrendResult`, `DiffResult`); they never read files or frames.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..words import column_label, setting_value
from .formatting import (
    STATUS_STYLES,
    format_number,
    format_part,
    format_target,
    reason_text,
    starts_like_formula,
    status_text,
    text,
)
from .why_words import WORDS

PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
TERMINAL_COLUMNS = ("store", "advisor", "technician")


def _w(lang: str) -> dict[str, str]:
    return WORDS["zh" if lang == "zh" else "en"]


def status_cell(status: str, lang: str) -> Text:
    return Text(status_text(status, lang), style=STATUS_STYLES[status])


def value_text(value: float | None, unit: str, currency: str) -> str:
    return format_number(value, unit if unit in ("percent", "hours", "currency") else "number", currency)


def change_text(change: float | None, unit: str, currency: str, lang: str = "en") -> str:
    if change is None:
        return ""
    if unit == "percent":
        return f"{change * 100:+.1f}{_w(lang)['pp']}"
    sign = "+" if change >= 0 else "-"
    return sign + value_text(abs(change), unit, currency)


# --------------------------------------------------------------------------- explain


def render_explanation(exp: Any, console: Console, lang: str = "en", currency: str = "¥") -> None:
    """`sdkpi explain` in the terminal."""
    w, kpi = _w(lang), exp.kpi
    console.print(Text(f"{text(kpi.name, lang)} ({kpi.id}) · {exp.period.label}", style="bold"))
    console.print(Text(w["definition"], style="bold underline"))
    for sentence in exp.definition:
        console.print(f"  {sentence}", markup=False, highlight=False)
    console.print(Text(w["figures"], style="bold underline"))
    num_unit = kpi.unit if kpi.unit != "percent" else "number"
    line = Text("  ")
    line.append(f"{w['numerator']} {format_part(kpi.numerator, num_unit, currency)} · ")
    line.append(f"{w['denominator']} {format_part(kpi.denominator, 'number', currency)} · ")
    line.append(f"{w['value']} {value_text(kpi.value, kpi.unit, currency)} · ")
    line.append(f"{w['target']} {format_target(kpi, lang)} · ")
    line.append_text(status_cell(kpi.status, lang))
    if kpi.status == "no_data" and kpi.reason:
        line.append(f" ({reason_text(kpi.reason, lang, kpi.sheet)})", style="dim")
    console.print(line)
    _print_target_notes(kpi, console, lang)
    _print_settings(getattr(kpi, "settings", None) or [], console, lang)
    _print_left_out(exp, console, lang)
    _print_records(exp.records, console, lang)
    _print_groups(getattr(exp, "groups", None), console, lang, currency)
    for title, items in ((w["obstacles"], exp.obstacles), (w["notes"], exp.notes)):
        if items:
            console.print(Text(title, style="bold underline"))
            for item in items:
                console.print(f"  - {item}", markup=False, highlight=False)


def _print_target_notes(kpi: Any, console: Console, lang: str) -> None:
    """Where the target comes from when not from the definitions; why it is not judged."""
    target = kpi.target
    if target is None:
        return
    source = getattr(target, "source", "definitions")
    if source and source != "definitions":
        console.print(Text(f"  {_w(lang)['target_source'].format(source=source)}", style="dim"))
    not_judged = target.not_judged_text(lang) if hasattr(target, "not_judged_text") else None
    if not_judged:
        console.print(Text(f"  {not_judged}", style="dim"))


def _print_settings(settings: list[dict[str, Any]], console: Console, lang: str) -> None:
    """The named settings this KPI was computed with, and where each value came from."""
    if not settings:
        return
    w = _w(lang)
    console.print(Text(w["settings"], style="bold underline"))
    for setting in settings:
        source = setting.get("source") or "definitions"
        where = w["from_definitions"] if source == "definitions" else w["from_file"].format(source=source)
        line = w["setting"].format(
            meaning=text(setting.get("meaning"), lang),
            value=setting_value(setting.get("value"), setting.get("unit", ""), lang),
            name=setting.get("name", ""),
            source=where,
        )
        console.print(f"  {line}", markup=False, highlight=False)


def _print_left_out(exp: Any, console: Console, lang: str) -> None:
    w = _w(lang)
    console.print(Text(w["excluded"], style="bold underline"))
    if not exp.excluded:
        console.print(f"  {w['none']}")
    for entry in exp.excluded:
        line = w["left_out"].format(n=entry["count"], reason=entry["reason"], condition=entry["condition"])
        if not entry["condition"]:  # counted once per key (`once_per`): no condition to show
            line = line.replace(" ()", "").replace("()", "")
        console.print(f"  {line}", markup=False)
    console.print(Text(w["unusable"], style="bold underline"))
    if not exp.unusable:
        console.print(f"  {w['none']}")
    for column in exp.unusable:
        each = "{0} 第 {1} 行" if lang == "zh" else "{0} row {1}"  # a sheet read from several files
        places = (
            [each.format(f, r) for f, r in zip(column.files, column.rows, strict=True)]
            if column.files
            else None
        )
        rows = ", ".join(places or (str(r) for r in column.rows)) + (
            " …" if column.count > len(column.rows) else ""
        )
        line = w["unusable_line" if not places else "unusable_line_files"]
        label = column_label(column.column, lang, exp.kpi.sheet)
        console.print(f"  {line.format(n=column.count, column=label, rows=rows)}", markup=False)


def _print_records(records: Any, console: Console, lang: str) -> None:
    if records is None:
        return
    w = _w(lang)
    title = w["records_below_target" if records.selection == "below_target" else "records_not_in_numerator"]
    console.print(Text(w["title_count"].format(title=title, n=records.total), style="bold underline"))
    if not records.rows:
        return
    # the terminal keeps who and why (the reason carries the values); CSV/JSON have every column
    shown = [c for i, c in enumerate(records.columns) if i == 0 or c in TERMINAL_COLUMNS]
    table = Table(header_style="bold", show_edge=False)
    several = records.several_files  # a sheet read from several files: each record names its file
    if several:
        table.add_column(w["file"], no_wrap=True)
    table.add_column(w["row"], justify="right", no_wrap=True)
    for column in shown:
        table.add_column(column_label(column, lang, records.sheet), no_wrap=True)
    table.add_column(w["why"], overflow="fold", min_width=30)
    for row in records.rows:
        file = [row.file or ""] if several else []
        table.add_row(*file, str(row.row), *[row.values[c] for c in shown], row.why)
    console.print(table)
    if records.truncated:
        console.print(w["more"].format(n=records.total - len(records.rows)))


def _print_groups(groups: Any, console: Console, lang: str, currency: str) -> None:
    """An average listed per person: their sum, count, value, status and records."""
    if groups is None:
        return
    w, kpi = _w(lang), groups.kpi
    label = column_label(groups.column, lang, kpi.sheet)
    console.print(Text(w["per_group"].format(column=label), style="bold underline"))
    if not groups.groups:
        console.print(f"  {w['none']}")
        return
    table = Table(header_style="bold", show_edge=False)
    for title, justify in (
        (label, "left"),
        (w["value_h"], "right"),
        (w["status"], "left"),
        (w["num"], "right"),
        (w["den"], "right"),
        (w["records_count"], "right"),
    ):
        table.add_column(title, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for group in groups.groups:
        name = group.group if group.group is not None else w["empty_group"]
        table.add_row(name, *_group_cells(group, kpi.unit, lang, currency), f"{group.records:,}")
    console.print(table)


def explanation_csv(exp: Any) -> str:
    """`explain --format csv`: the record list, or for an average its per-person list."""
    if getattr(exp, "groups", None) is not None:
        return groups_csv(exp.groups)
    return records_csv(exp.records) if exp.records is not None else ""


def groups_csv(groups: Any) -> str:
    """The per-person list of an average as CSV (canonical column names, like the records)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([groups.column, "value", "status", "numerator", "denominator", "records"])
    for g in groups.groups:
        value = "" if g.value is None else f"{g.value:.6g}"
        cells = [g.group or "", value, g.status, f"{g.numerator:g}", f"{g.denominator:g}", str(g.records)]
        writer.writerow([inert(cell) for cell in cells])
    return buffer.getvalue()


def records_csv(records: Any) -> str:
    """The record list as CSV; text that a spreadsheet would run as a formula is made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    several = records.several_files  # a sheet read from several files: each record names its file
    writer.writerow([*(["file"] if several else []), "row", *records.columns, "why"])
    for row in records.rows:
        file = [row.file or ""] if several else []
        cells = [*file, str(row.row), *[row.values[c] for c in records.columns], row.why]
        writer.writerow([inert(cell) for cell in cells])
    return buffer.getvalue()


def inert(cell: str) -> str:
    """Prefix `'` to text starting with = + - @ (or a tab/CR), leaving plain numbers alone."""
    if starts_like_formula(cell) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


# --------------------------------------------------------------------------- breakdown


def render_breakdown(result: Any, console: Console, lang: str = "en", currency: str = "¥") -> None:
    """One table per KPI: its groups, best first, and the total."""
    w = _w(lang)
    by = w["by"].format(column=column_label(result.column, lang))
    title = f"sdkpi · {result.period.label} · {by}"
    if result.store:
        title += f" · {result.store}"
    console.print(Text(title, style="bold"))
    for kpi in result.kpis:
        header = f"{text(kpi.kpi.name, lang)} ({kpi.kpi.id})"
        if kpi.reason:
            reason = reason_text(kpi.reason, lang, kpi.kpi.sheet)
            console.print(Text(f"{header}{'：' if lang == 'zh' else ': '}{reason}", style="dim"))
            continue
        table = Table(title=header, title_justify="left", header_style="bold")
        for label, justify in (("#", "right"), (w["group"], "left"), (w["value_h"], "right")):
            table.add_column(label, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        table.add_column(w["status"], no_wrap=True)
        table.add_column(w["num"], justify="right", no_wrap=True)
        table.add_column(w["den"], justify="right", no_wrap=True)
        for rank, group in enumerate(kpi.groups, 1):
            name = group.group if group.group is not None else w["empty_group"]
            table.add_row(str(rank), name, *_group_cells(group, kpi.kpi.unit, lang, currency))
        table.add_section()
        table.add_row(
            "", Text(w["total"], style="bold"), *_group_cells(kpi.total, kpi.kpi.unit, lang, currency)
        )
        console.print(table)
        if kpi.distinct:
            console.print(Text(f"  {w['not_distinct']}", style="dim"))


def _group_cells(group: Any, unit: str, lang: str, currency: str) -> list[Any]:
    num_unit = unit if unit != "percent" else "number"
    return [
        value_text(group.value, unit, currency),
        status_cell(group.status, lang),
        format_part(group.numerator, num_unit, currency),
        format_part(group.denominator, "number", currency),
    ]


# --------------------------------------------------------------------------- trend


def render_trend(result: Any, console: Console, lang: str = "en", currency: str = "¥") -> None:
    """KPI · sparkline · the last values · change on the previous period · status."""
    from ..trends import sparkline

    w = _w(lang)
    room = console.width - 60 - len(result.periods)  # name, sparkline, change and status first
    shown = result.periods[-max(1, min(6, room // 11)) :]
    first, last = result.periods[0].label, result.periods[-1].label
    title = f"sdkpi · {first} … {last} · {_w(lang)['every_' + result.every]}"
    if result.store:
        title += f" · {result.store}"
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(w["kpi"], no_wrap=True)
    table.add_column(w["series"], no_wrap=True, min_width=len(result.periods))
    for period in shown:
        label = period.label if result.every == "month" else f"{period.start:%m-%d}"
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column(w["change"], justify="right", no_wrap=True)
    table.add_column(w["status"], no_wrap=True)
    for kpi in result.kpis:
        points = kpi.points[-len(shown) :]
        latest = kpi.points[-1]
        cells = [value_text(p.value, kpi.unit, currency) for p in points]
        table.add_row(
            text(kpi.name, lang),
            sparkline(kpi.values()),
            *cells,
            change_text(latest.change, kpi.unit, currency, lang),
            status_cell(latest.status, lang),
        )
    console.print(table)


# --------------------------------------------------------------------------- diff


def render_diff(result: Any, console: Console, lang: str = "en", currency: str = "¥") -> None:
    """The KPIs that moved, A against B, then the records that changed their role."""
    w = _w(lang)
    console.print(Text(f"sdkpi diff · {result.period.label}", style="bold"))
    console.print(f"  A: {result.a}\n  B: {result.b}", markup=False, highlight=False)
    moved = result.moved
    console.print(w["moved"].format(n=len(moved)))
    if not moved:
        return
    table = Table(header_style="bold")
    for label in (
        w["kpi"],
        w["before"],
        w["after"],
        w["change"],
        f"{w['numerator']} A→B",
        f"{w['denominator']} A→B",
    ):
        table.add_column(label, justify="left" if label == w["kpi"] else "right", no_wrap=True)
    for kpi in moved:
        a, b = kpi.a, kpi.b
        unit = (a or b).unit
        table.add_row(
            text((a or b).name, lang),
            value_text(a.value, unit, currency) if a else "",
            value_text(b.value, unit, currency) if b else "",
            change_text(kpi.change, unit, currency, lang),
            _arrow(a and a.numerator, b and b.numerator, currency),
            _arrow(a and a.denominator, b and b.denominator, currency),
        )
    console.print(table)
    for kpi in moved:
        if not kpi.records:
            continue
        console.print(Text(w["records_moved"].format(kpi=kpi.id, n=kpi.records_total), style="bold"))
        reasons = _exclusion_words(kpi, lang)
        for change in kpi.records:
            before, after = _role(change.before, lang, reasons), _role(change.after, lang, reasons)
            console.print(f"  {change.record}: {before} → {after}", markup=False, highlight=False)
        if kpi.records_total > len(kpi.records):
            console.print(w["more"].format(n=kpi.records_total - len(kpi.records)))


#: a record's role in a KPI (`compare.record_roles`), in Chinese
ROLES_ZH = {
    "": "未计入",
    "unusable": "无法使用",
    "denominator only": "仅在分母",
    "numerator": "分子和分母",
    "numerator only": "仅在分子",
}


def _exclusion_words(kpi: Any, lang: str) -> dict[str, str]:
    """An exclusion's English reason (as a record's role holds it) -> its words in `lang`,
    from the exclusions of both sides of the comparison."""
    words: dict[str, str] = {}
    for side in (kpi.a, kpi.b):
        for entry in getattr(side, "excluded", None) or []:
            reason = entry.get("reason") or {}
            if reason.get("en"):
                words[reason["en"]] = reason.get(lang) or reason["en"]
    return words


def _role(role: str, lang: str, reasons: dict[str, str] | None = None) -> str:
    if lang != "zh":
        return role or "not counted"
    if role.startswith("excluded (") and role.endswith(")"):
        reason = role[len("excluded (") : -1]
        return f"排除({(reasons or {}).get(reason, reason)})"
    return ROLES_ZH.get(role, role)


def _arrow(before: float | int | None, after: float | int | None, currency: str) -> str:
    if before is None or after is None:
        return ""
    return f"{format_part(before, 'number', currency)}→{format_part(after, 'number', currency)}"
