"""What-if: the same month computed two ways, side by side.

Two data folders (an edited export against the original) or two definition
files (a changed threshold or exclusion), or both. For each KPI: its value on
each side and the change; for each record whose role changed, what it was and
what it became (numerator, denominator only, excluded, unusable, not counted),
records being matched by the sheet's key column (store-qualified in a dealer
group) or, for sheets without a key, by their row number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .contract import SHEETS
from .definitions import Definitions, definitions_for, load_definitions
from .engine import Engine, KpiEvaluation
from .issues import DataIssue
from .results import KpiResult, Period

if TYPE_CHECKING:
    from .config import Config
    from .loaders.group import Progress

NOT_COUNTED = "not counted"  # out of the period, outside the denominator's condition, or absent


@dataclass
class RecordChange:
    record: str  # key value ("RO00012", "store-b/RO00012") or "row 14"
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class KpiDiff:
    id: str
    a: KpiResult | None  # None: the KPI is not in side A's definitions
    b: KpiResult | None
    records: list[RecordChange] = field(default_factory=list)
    records_total: int = 0

    @property
    def change(self) -> float | None:
        if self.a is None or self.b is None or self.a.value is None or self.b.value is None:
            return None
        return self.b.value - self.a.value

    @property
    def moved(self) -> bool:
        if self.a is None or self.b is None:
            return True
        same = (self.a.value, self.a.numerator, self.a.denominator, self.a.status) == (
            self.b.value,
            self.b.numerator,
            self.b.denominator,
            self.b.status,
        )
        return not same or self.records_total > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "moved": self.moved,
            "change": self.change,
            "a": self.a.to_dict() if self.a else None,
            "b": self.b.to_dict() if self.b else None,
            "records_total": self.records_total,
            "records": [r.to_dict() for r in self.records],
        }


@dataclass
class DiffResult:
    period: Period
    a: str  # what side A is ("data DIR, definitions FILE")
    b: str
    kpis: list[KpiDiff]
    data_issues: list[DataIssue] = field(default_factory=list)  # both sides'

    def kpi(self, kpi_id: str) -> KpiDiff:
        return next(k for k in self.kpis if k.id == kpi_id)

    @property
    def moved(self) -> list[KpiDiff]:
        return [k for k in self.kpis if k.moved]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "a": self.a,
            "b": self.b,
            "moved": [k.id for k in self.moved],
            "kpis": [k.to_dict() for k in self.kpis],
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }


def diff(
    data: str | Path,
    *,
    data_b: str | Path | None = None,
    definitions: str | Path | Definitions | None = None,
    definitions_b: str | Path | Definitions | None = None,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    mapping: str | Path | None = None,
    kpis: list[str] | None = None,
    store: str | None = None,
    limit: int | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    config: Config | None = None,
) -> DiffResult:
    """Compare one period computed from data A with definitions A against B (library entry point).

    Side B defaults to side A's data and definitions, so give `data_b`, `definitions_b` or both.
    `config`, a store's `sdkpi.toml` (`load_config`), applies its settings, targets and currency
    to both sides' definitions as `compute` does (`definitions_for`).
    """
    from .api import columns_shown, load_data, parse_period

    period = parse_period(month, start, end)
    defs_a = _loaded(definitions_for(definitions, config, store))
    defs_b = _loaded(definitions_for(definitions_b, config, store)) if definitions_b else defs_a
    for kpi_id in kpis or []:
        if kpi_id not in defs_b.compiled:
            defs_a.kpi(kpi_id)
    shown = columns_shown(defs_a, kpis)
    for sheet, columns in columns_shown(defs_b, kpis).items():
        shown[sheet] |= columns
    dataset_a = load_data(data, mapping, store=store, progress=progress, columns=shown)
    dataset_b = (
        load_data(data_b, mapping, store=store, progress=progress, columns=shown) if data_b else dataset_a
    )
    result = diff_engines(Engine(defs_a, dataset_a), Engine(defs_b, dataset_b), period, kpis, limit, today)
    result.a = _side(data, definitions)
    result.b = _side(data_b or data, definitions_b or definitions)
    return result


def _loaded(definitions: str | Path | Definitions | None) -> Definitions:
    return definitions if isinstance(definitions, Definitions) else load_definitions(definitions)


def _side(data: str | Path, definitions: str | Path | Definitions | None) -> str:
    if isinstance(definitions, Definitions):
        return f"data {data}, definitions as given"
    return f"data {data}, definitions {definitions or 'default'}"


def diff_engines(
    engine_a: Engine,
    engine_b: Engine,
    period: Period,
    kpi_ids: list[str] | None = None,
    limit: int | None = None,
    today: date | None = None,
) -> DiffResult:
    ids = kpi_ids or _union(
        [k.id for k in engine_a.definitions.kpis], [k.id for k in engine_b.definitions.kpis]
    )
    rows = []
    for kpi_id in ids:
        a = _evaluate(engine_a, kpi_id, period, today)
        b = _evaluate(engine_b, kpi_id, period, today)
        changes = record_changes(a, b) if a is not None and b is not None else []
        shown = changes if limit is None else changes[:limit]
        rows.append(KpiDiff(kpi_id, a.result if a else None, b.result if b else None, shown, len(changes)))
    issues = list(engine_a.dataset.issues)
    if engine_b.dataset is not engine_a.dataset:
        issues += engine_b.dataset.issues
    return DiffResult(period, "A", "B", rows, issues)


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [k for k in second if k not in first]


def _evaluate(engine: Engine, kpi_id: str, period: Period, today: date | None) -> KpiEvaluation | None:
    if kpi_id not in engine.definitions.compiled:
        return None
    return engine.evaluate(kpi_id, period, today)


def record_changes(a: KpiEvaluation, b: KpiEvaluation) -> list[RecordChange]:
    """Records whose role in the KPI differs between the two evaluations."""
    roles_a, roles_b = record_roles(a), record_roles(b)
    joined = pd.concat([roles_a.rename("before"), roles_b.rename("after")], axis=1)
    joined = joined.fillna(NOT_COUNTED)
    changed = joined[joined["before"] != joined["after"]]
    return [RecordChange(str(record), before, after) for record, before, after in changed.itertuples()]


def record_roles(evaluation: KpiEvaluation) -> pd.Series:
    """Each counted (or excluded / unusable) record's role, indexed by its identity."""
    sheet = evaluation.sheet
    if sheet is None or evaluation.denominator is None or evaluation.numerator is None:
        return pd.Series(dtype=object)
    roles = np.full(len(sheet.frame), "", dtype=object)
    assert evaluation.unusable is not None
    roles[evaluation.unusable] = "unusable"
    for entry, mask in zip(evaluation.result.excluded, evaluation.excluded, strict=False):
        roles[mask] = f"excluded ({entry['reason'].get('en', '')})"
    roles[evaluation.denominator] = "denominator only"
    roles[evaluation.numerator & evaluation.denominator] = "numerator"
    roles[evaluation.numerator & ~evaluation.denominator] = "numerator only"
    counted = np.flatnonzero(roles != "")
    return pd.Series(roles[counted], index=record_ids(evaluation, counted), dtype=object)


def record_ids(evaluation: KpiEvaluation, positions: np.ndarray | None = None) -> np.ndarray:
    """A record's identity: its key (store-qualified when the data holds several stores),
    or its row number when the sheet has no key or the key cell is empty.

    positions: the rows wanted (all by default): a KPI counts a month's rows, and naming
    every row of a year's export for each KPI would be most of the work.
    """
    sheet = evaluation.sheet
    assert sheet is not None
    frame = sheet.frame
    if positions is None:
        positions = np.arange(len(frame))
    key = SHEETS[sheet.name].key
    rows = pd.Series([f"row {n}" for n in sheet.row_numbers[positions]], dtype=object)
    if sheet.row_files is not None and len(sheet.files) > 1:  # "RO_2.csv row 12": which file
        rows = pd.Series([sheet.place(int(p)) for p in positions], dtype=object)
    if key is None or key not in frame.columns:
        ids = rows
    else:
        keys = frame[key].iloc[positions].reset_index(drop=True).astype(object)
        ids = keys.where(keys.notna(), rows)
    if "store" in frame.columns and frame["store"].nunique() > 1:
        stores = frame["store"].iloc[positions].reset_index(drop=True).astype(object)
        ids = stores.where(stores.notna(), "").astype(str) + "/" + ids.astype(str)
    return ids.astype(str).to_numpy(dtype=object)
