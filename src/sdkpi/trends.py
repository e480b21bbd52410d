"""Trends: each KPI over consecutive months (or weeks), with the change between them.

The data is loaded once and every period is evaluated by the same `Engine`, so
a 12-month trend costs one load plus twelve cheap mask evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .definitions import Definitions, load_definitions
from .engine import Engine
from .errors import UsageError
from .issues import DataIssue
from .results import Period, Status, TargetSpec

if TYPE_CHECKING:
    from .loaders.group import Progress

SPARK = "▁▂▃▄▅▆▇█"
MAX_PERIODS = 400


@dataclass
class TrendPoint:
    period: Period
    value: float | None
    numerator: float | int
    denominator: float | int
    status: Status
    change: float | None = None  # value minus the previous point's value (None: either has no data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "status": self.status,
            "change": self.change,
        }


@dataclass
class KpiTrend:
    id: str
    name: dict[str, str]
    unit: str
    target: TargetSpec | None
    points: list[TrendPoint] = field(default_factory=list)

    def values(self) -> list[float | None]:
        return [p.value for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "target": self.target.to_dict() if self.target else None,
            "points": [p.to_dict() for p in self.points],
        }


@dataclass
class TrendResult:
    every: str
    periods: list[Period]
    kpis: list[KpiTrend]
    source: str = ""
    store: str | None = None
    data_issues: list[DataIssue] = field(default_factory=list)

    def kpi(self, kpi_id: str) -> KpiTrend:
        return next(k for k in self.kpis if k.id == kpi_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "every": self.every,
            "periods": [p.label for p in self.periods],
            "store": self.store,
            "source": self.source,
            "kpis": [k.to_dict() for k in self.kpis],
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }


# --------------------------------------------------------------------------- periods


def trend_periods(
    last: int | None = None,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    every: str = "month",
) -> list[Period]:
    """`--last N --month M` (N periods ending with the one holding M) or `--from/--to`."""
    from .api import parse_period

    if every not in ("month", "week"):
        raise UsageError(f"--every must be month or week, not {every!r}")
    if last is not None:
        if start or end:
            raise UsageError("give either --last N with --month, or --from/--to, not both")
        if not month:
            raise UsageError("--last N needs --month (the last month of the series)")
        if not 1 <= last <= MAX_PERIODS:
            raise UsageError(f"--last must be between 1 and {MAX_PERIODS}, not {last}")
        anchor = parse_period(month=month)
        if every == "month":
            periods = [anchor]
            while len(periods) < last:
                periods.insert(0, periods[0].previous_month())
            return periods
        final = _week_of(date.fromordinal(anchor.end.toordinal() - 1))
        return [
            Period(final.start - timedelta(weeks=i), final.end - timedelta(weeks=i)) for i in range(last)
        ][::-1]
    window = parse_period(month=month, start=start, end=end)
    return split_period(window, every)


def split_period(window: Period, every: str) -> list[Period]:
    """The months (or Monday-to-Sunday weeks) that touch `window`, clipped to it."""
    periods: list[Period] = []
    cursor = window.start
    while cursor < window.end:
        whole = Period.month(f"{cursor.year}-{cursor.month}") if every == "month" else _week_of(cursor)
        periods.append(Period(max(whole.start, window.start), min(whole.end, window.end)))
        cursor = whole.end
        if len(periods) > MAX_PERIODS:
            raise UsageError(f"more than {MAX_PERIODS} periods; use a shorter range or --every month")
    return periods


def _week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=7))


# --------------------------------------------------------------------------- series


def trend(
    data: str | Path,
    *,
    last: int | None = None,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    every: str = "month",
    definitions: str | Path | Definitions | None = None,
    mapping: str | Path | None = None,
    kpis: list[str] | None = None,
    store: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> TrendResult:
    """A series per KPI over the periods asked for (library entry point)."""
    from .api import columns_read, load_data

    periods = trend_periods(last, month, start, end, every)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    for kpi_id in kpis or []:
        defs.kpi(kpi_id)
    dataset = load_data(data, mapping, store=store, progress=progress, columns=columns_read(defs, kpis))
    result = trend_engine(Engine(defs, dataset), periods, every, kpis, today)
    result.source, result.store = dataset.source, store
    return result


def trend_engine(
    engine: Engine,
    periods: list[Period],
    every: str,
    kpi_ids: list[str] | None = None,
    today: date | None = None,
) -> TrendResult:
    ids = kpi_ids or [k.id for k in engine.definitions.kpis]
    series = {}
    for kpi_id in ids:
        kpi = engine.definitions.kpi(kpi_id)
        target = TargetSpec(kpi.target.op, kpi.target.value, kpi.target.kind) if kpi.target else None
        series[kpi_id] = KpiTrend(kpi_id, kpi.name.model_dump(), kpi.unit, target)
    for period in periods:
        for evaluation in engine.evaluate_all(period, ids, today):
            k = evaluation.result
            series[k.id].target = k.target  # the store's own, in force for the latest period
            points = series[k.id].points
            previous = points[-1].value if points else None
            change = None if previous is None or k.value is None else k.value - previous
            points.append(TrendPoint(period, k.value, k.numerator, k.denominator, k.status, change))
    return TrendResult(every, periods, list(series.values()), data_issues=list(engine.dataset.issues))


def sparkline(values: list[float | None]) -> str:
    """One block character per point, scaled between the series' min and max; a space
    for a period with no data."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif span == 0:
            out.append(SPARK[len(SPARK) // 2])
        else:
            out.append(SPARK[min(len(SPARK) - 1, int((value - low) / span * (len(SPARK) - 1) + 0.5))])
    return "".join(out)
