"""Breakdowns: a KPI per advisor, technician, store ... plus the total.

Every group's figure is numerator / denominator over that group's rows of the
engine's own masks, and the total is the engine's headline figure (summed
numerators over summed denominators), never an average of group ratios. For
count and sum KPIs the group parts add up to the total. For count_distinct
KPIs (parts_sales_per_advisor, problem_resolution_rate) each group counts its
own distinct values, so the parts need not add up: an issue shared by two
advisors counts once in each advisor's group and once in the total.

`average_groups` is what `explain` lists for an average (a sum over a count: parts
sales per RO, per advisor): one record is not an average and cannot miss it, so
the listing is per person (advisor, else technician; for a per-advisor average,
the counted column itself), each with their own sum, count and records.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .contract import SHEETS
from .definitions import CompiledKpi, Definitions, load_definitions
from .engine import Engine, KpiEvaluation
from .errors import UsageError
from .issues import DataIssue
from .measures import MEASURES
from .reasons import Reason
from .results import GroupRow, KpiResult, Period, Status
from .suggest import did_you_mean

if TYPE_CHECKING:
    from .loaders.group import Progress


@dataclass
class KpiBreakdown:
    kpi: KpiResult
    column: str
    groups: list[GroupRow] = field(default_factory=list)  # best first
    total: GroupRow | None = None
    reason: str | None = None  # why there is no breakdown (the sheet lacks the column ...)
    distinct: bool = False  # count_distinct KPI: group parts need not add up to the total

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.kpi.id,
            "name": self.kpi.name,
            "unit": self.kpi.unit,
            "target": self.kpi.target.to_dict() if self.kpi.target else None,
            "column": self.column,
            "distinct": self.distinct,
            "reason": self.reason,
            "total": self.total.to_dict() if self.total else None,
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass
class BreakdownResult:
    period: Period
    column: str
    kpis: list[KpiBreakdown]
    source: str = ""
    store: str | None = None
    data_issues: list[DataIssue] = field(default_factory=list)

    def kpi(self, kpi_id: str) -> KpiBreakdown:
        return next(k for k in self.kpis if k.kpi.id == kpi_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "by": self.column,
            "store": self.store,
            "source": self.source,
            "kpis": [k.to_dict() for k in self.kpis],
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }


def breakdown(
    data: str | Path,
    by: str,
    *,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    definitions: str | Path | Definitions | None = None,
    mapping: str | Path | None = None,
    kpis: list[str] | None = None,
    store: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> BreakdownResult:
    """Every KPI (or those asked for) per value of column `by` (library entry point)."""
    from .api import columns_shown, load_data, no_rows_issues, parse_period

    period = parse_period(month, start, end)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    for kpi_id in kpis or []:
        defs.kpi(kpi_id)
    check_column(by, defs)
    dataset = load_data(
        data, mapping, store=store, progress=progress, columns=columns_shown(defs, kpis, [by])
    )
    engine = Engine(defs, dataset)
    result = breakdown_all(engine, period, by, kpis, today)
    result.source, result.store = dataset.source, store
    result.data_issues.extend(no_rows_issues(dataset, defs, period, [k.kpi for k in result.kpis]))
    return result


def check_column(column: str, definitions: Definitions) -> None:
    """`--by` must name a column of some sheet (contract or the definitions' extra columns)."""
    known = {c for sheet in SHEETS for c in definitions.column_types(sheet)}
    if column not in known:
        raise UsageError(f"--by: unknown column {column!r}{did_you_mean(column, known)}")


def breakdown_all(
    engine: Engine, period: Period, by: str, kpi_ids: list[str] | None = None, today: date | None = None
) -> BreakdownResult:
    rows = []
    for evaluation in engine.evaluate_all(period, kpi_ids, today):
        compiled = engine.definitions.compiled[evaluation.result.id]
        rows.append(breakdown_evaluation(evaluation, compiled, by))
    return BreakdownResult(period, by, rows, engine.dataset.source, None, list(engine.dataset.issues))


def breakdown_evaluation(evaluation: KpiEvaluation, compiled: CompiledKpi, column: str) -> KpiBreakdown:
    """One KPI per value of `column`, from the masks the engine computed it with."""
    kpi = compiled.definition
    result = evaluation.result
    distinct = not all(MEASURES[agg.measure].additive for agg in (kpi.numerator, kpi.denominator))
    out = KpiBreakdown(result, column, distinct=distinct)
    out.total = GroupRow(None, result.numerator, result.denominator, result.value, result.status)
    sheet = evaluation.sheet
    if sheet is None or evaluation.denominator is None or evaluation.numerator is None:
        out.reason = result.reason or Reason("no_data")
        return out
    if (
        column not in sheet.frame.columns
        or column in sheet.missing_columns
        or sheet.frame[column].isna().all()
    ):
        out.reason = Reason("breakdown_column_missing", sheet=kpi.sheet, columns=column)
        return out
    codes, labels = pd.factorize(sheet.frame[column], use_na_sentinel=True)
    # the rows that count, grouped once (a stable sort keeps each group's rows in file order):
    # thousands of advisors over a million orders must not mean thousands of whole-sheet passes
    rows = np.flatnonzero(evaluation.denominator | evaluation.numerator)
    order = np.argsort(codes[rows], kind="stable")
    sorted_codes = codes[rows][order]
    bounds = [0, *(np.flatnonzero(np.diff(sorted_codes)) + 1).tolist(), len(rows)] if len(rows) else [0]
    # each part's measure, its column made ready once for all groups
    measure_numerator = MEASURES[kpi.numerator.measure].part(kpi.numerator.column, sheet)
    measure_denominator = MEASURES[kpi.denominator.measure].part(kpi.denominator.column, sheet)
    for start, end in itertools.pairwise(bounds):
        positions = rows[order[start:end]]
        code = int(sorted_codes[start])
        numerator = measure_numerator(positions[evaluation.numerator[positions]])
        in_denominator = positions[evaluation.denominator[positions]]
        denominator = measure_denominator(in_denominator)
        label = None if code < 0 else str(labels[code])
        out.groups.append(_row(label, numerator, denominator, result, len(in_denominator)))
    out.groups.sort(key=lambda g: _rank_key(g, result))
    return out


def _row(
    group: str | None, numerator: float | int, denominator: float | int, total: KpiResult, records: int = 0
) -> GroupRow:
    if not denominator:
        return GroupRow(group, numerator, denominator, None, "no_data", records)
    value = numerator / denominator
    # judged by the headline's own rule: a reference value is shown, never met or missed
    status: Status = "no_target" if total.target is None else total.target.status(value)
    return GroupRow(group, numerator, denominator, value, status, records)


#: who an average is listed by when it does not count people itself, first present first
PEOPLE = ("advisor", "technician")


def is_average(compiled: CompiledKpi) -> bool:
    """A sum over a count (parts sales per RO, per advisor): no single record can miss it."""
    kpi = compiled.definition
    return MEASURES[kpi.numerator.measure].sums and not MEASURES[kpi.denominator.measure].sums


def average_groups(evaluation: KpiEvaluation, compiled: CompiledKpi) -> KpiBreakdown | None:
    """An average per person, worst first: a per-advisor average per advisor (their sales,
    their ROs); a per-RO average per advisor (else technician). None when no such column
    holds data (the records are then listed as they are)."""
    if not is_average(compiled) or evaluation.sheet is None:
        return None
    frame = evaluation.sheet.frame
    counted = compiled.definition.denominator.count_distinct
    candidates = (counted,) if counted else PEOPLE
    column = next((c for c in candidates if c in frame.columns and frame[c].notna().any()), None)
    if column is None:
        return None
    groups = breakdown_evaluation(evaluation, compiled, column)
    if groups.reason is not None:
        return None
    groups.groups.reverse()  # worst first, no data last
    judged = [g for g in groups.groups if g.value is not None]
    groups.groups = judged + [g for g in groups.groups if g.value is None]
    return groups


def _rank_key(group: GroupRow, total: KpiResult) -> tuple[int, float, str]:
    """Best first: highest value, or lowest for a `<` / `<=` target; no data last."""
    if group.value is None:
        return (1, 0.0, group.group or "")
    lower_is_better = total.target is not None and total.target.op in ("<", "<=")
    return (0, group.value if lower_is_better else -group.value, group.group or "")
