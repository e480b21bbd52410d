"""The engine: evaluate validated KPI definitions over typed sheets for a period.

For every KPI the record sets are built as boolean masks over the whole sheet:

    in_period   the period column falls in [start, end)
    undated     the period column cannot be read (a bad value; or empty, when the contract
                requires it): the row may belong to any period, so it is unusable in all
    unusable    undated, or in_period and a column the KPI reads holds a bad value
    excluded    an `exclude` condition holds (first matching exclusion is credited)
    denominator in_period & ~unusable & ~excluded & denominator.where
    numerator   denominator & numerator.where           (a subset, always)

Totals come from summed numerators and denominators; a zero denominator is
"no data". The masks are kept in `KpiEvaluation` so that drill-down and
breakdowns use exactly the same records as the headline figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from .contract import SHEETS
from .dataset import Dataset, SheetData
from .definitions import CompiledKpi, Definitions
from .evaluate import evaluate_mask, kind_of
from .evaluation import KpiEvaluation, finish_result
from .expr import Node
from .frame import Frame
from .issues import DataIssue
from .measures import MEASURES, scoped
from .reasons import Reason
from .results import ComputeResult, KpiResult, Period, SheetInfo, TargetSpec
from .roster import divide_by_roster


class SheetContext:
    """Per-sheet state shared by the KPIs on that sheet (column vectors, period masks)."""

    def __init__(self, sheet: SheetData, column_types: dict[str, str]) -> None:
        self.sheet = sheet
        kinds = {c: kind_of(t) for c, t in column_types.items() if c in sheet.frame.columns}
        self.frame = Frame(sheet.frame, kinds, SHEETS[sheet.name].key)
        self._period_cache: dict[tuple[str, date, date], np.ndarray] = {}
        self._period_frames: dict[tuple[str, date, date], Frame] = {}
        self._undated: dict[str, np.ndarray] = {}

    def period_mask(self, column: str, period: Period) -> np.ndarray:
        key = (column, period.start, period.end)
        if key not in self._period_cache:
            # the column itself (empty cells are NaT, outside every period): no null mask built
            values = self.frame.data[column].to_numpy(dtype="datetime64[ns]")
            start = np.datetime64(period.start, "ns")
            end = np.datetime64(period.end, "ns")
            self._period_cache[key] = (values >= start) & (values < end)
        return self._period_cache[key]

    def undated(self, column: str) -> np.ndarray:
        """Rows whose period date cannot be read: a bad value, or an empty cell where the
        contract requires one (an order with no `opened_at`). Such a row may belong to any
        period: every KPI of the sheet counts it as unusable, in every period, and `explain`
        lists it; left out silently, it would leave a KPI "met" on the rows that remain.
        An empty optional date (`closed_at` of an open order) belongs to no period."""
        if column not in self._undated:
            undated = self.sheet.bad_mask({column})
            contract = SHEETS[self.sheet.name].column(column)
            if contract is not None and contract.required and column not in self.sheet.missing_columns:
                undated = undated | self.frame.data[column].isna().to_numpy()
            self._undated[column] = undated
        return self._undated[column]

    def period_frame(self, column: str, period: Period) -> Frame:
        """The sheet's rows in the period: conditions are evaluated on these only."""
        key = (column, period.start, period.end)
        if key not in self._period_frames:
            self._period_frames[key] = self.frame.subset(np.flatnonzero(self.period_mask(column, period)))
        return self._period_frames[key]


def evaluate_kpi(
    compiled: CompiledKpi,
    context: SheetContext | None,
    period: Period,
    stage_name: dict[str, str],
    missing_reason: str | None = None,
    today: date | None = None,
) -> KpiEvaluation:
    kpi = compiled.definition
    result = _blank_result(compiled, stage_name, period, today)
    if context is None:
        result.reason = missing_reason or Reason("sheet_missing")
        return KpiEvaluation(result)
    sheet = context.sheet
    unsure = sorted(compiled.columns & set(sheet.column_reasons))
    if unsure:  # not exported, or amounts sdkpi cannot add up: no number rather than a wrong one
        said: dict[str, list[str]] = {}
        for column in unsure:
            said.setdefault(sheet.column_reasons[column], []).append(column)
        each = [Reason("columns_unsure", columns=", ".join(cols), why=why) for why, cols in said.items()]
        result.reason = each[0] if len(each) == 1 else Reason("several", parts=each)
        return KpiEvaluation(result, sheet)
    absent = sorted(compiled.columns & sheet.missing_columns)
    if absent:
        result.reason = Reason("columns_missing", columns=", ".join(absent), sheet=sheet.name)
        return KpiEvaluation(result, sheet)

    in_period = context.period_mask(kpi.period, period)
    undated = context.undated(kpi.period)
    unusable = (sheet.bad_mask(compiled.columns) & in_period) | undated
    # evaluate on the period's rows only (a month of a year's export: a twelfth of the work)
    rows = context.period_frame(kpi.period, period)
    assert rows.rows is not None
    remaining = ~unusable[rows.rows]
    excluded: list[np.ndarray] = []
    earlier = None
    if kpi.once_per is not None and compiled.once_per_on:
        prefer = _where(compiled.once_per_prefer, rows)
        earlier = _earlier_records(kpi.once_per.key, kpi.period, rows, remaining, kpi.once_per.by_day, prefer)
    if earlier is not None:
        remaining = remaining & ~earlier
    for exclusion, node in compiled.exclusions:
        hit = remaining & evaluate_mask(node, rows)
        excluded.append(_spread(hit, rows.rows, len(in_period)))
        remaining = remaining & ~hit
        result.excluded.append({"reason": exclusion.reason.model_dump(), "count": int(hit.sum())})
    if earlier is not None and kpi.once_per is not None:  # listed after the exclusions (explain pairs them)
        excluded.append(_spread(earlier, rows.rows, len(in_period)))
        result.excluded.append({"reason": kpi.once_per.reason.model_dump(), "count": int(earlier.sum())})
    denominator = remaining & _where(compiled.denominator_where, rows)
    numerator = denominator & _where(compiled.numerator_where, rows)

    den, num = kpi.denominator, kpi.numerator
    den_value, denominator = MEASURES[den.measure].reduce(
        den.column, compiled.denominator_where_all, denominator, rows
    )
    num_value, numerator = MEASURES[num.measure].reduce(
        num.column, compiled.numerator_where_all, numerator, rows
    )

    result.rows_in_period = int(in_period.sum())
    result.rows_unusable = int(unusable.sum())
    result.numerator = num_value
    result.denominator = den_value
    finish_result(result, result.target is not None)
    n = len(in_period)
    return KpiEvaluation(
        result,
        sheet,
        in_period,
        unusable,
        excluded,
        _spread(denominator, rows.rows, n),
        _spread(numerator, rows.rows, n),
        context.frame,
        undated,
    )


def _earlier_records(
    key: str,
    period_column: str,
    frame: Frame,
    usable: np.ndarray,
    by_day: bool = False,
    prefer: np.ndarray | bool = True,
) -> np.ndarray:
    """Usable rows that are not their key's latest in the period (`once_per`): a suggestion
    reviewed every week counts once, as its latest review decided. Ties: the later row.
    `by_day`: once per key and calendar day (a visit); `prefer`: rows kept before others."""
    vec = frame.column(key)
    keyed = usable & ~np.asarray(vec.null, dtype=bool)
    positions = np.flatnonzero(keyed)
    earlier = np.zeros(frame.n, dtype=bool)
    if len(positions) == 0:
        return earlier
    ids = scoped(frame.store_codes(), np.asarray(vec.data))[positions]
    times = np.asarray(frame.column(period_column).data)[positions]
    codes = pd.factorize(pd.Series(ids))[0].astype(np.int64)
    if by_day:  # the key and the day together
        days = times.astype("datetime64[D]").astype(np.int64)
        codes = pd.factorize(pd.Series(codes * 1_000_003 + days))[0].astype(np.int64)
    preferred = np.broadcast_to(np.asarray(prefer, dtype=bool), (frame.n,))[positions]
    # sort by (id, preferred, time, position): the last row of each id is the one kept
    order = np.lexsort((positions, times, preferred, codes))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = codes[order][1:] != codes[order][:-1]
    earlier[positions[order[~last]]] = True
    return earlier


def _spread(mask: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """A mask over some rows of a sheet, as a mask over the whole sheet."""
    whole = np.zeros(n, dtype=bool)
    whole[rows] = mask
    return whole


def _where(node: Node | None, frame: Frame) -> np.ndarray | bool:
    return True if node is None else evaluate_mask(node, frame)


def _blank_result(
    compiled: CompiledKpi, stage_name: dict[str, str], period: Period, today: date | None
) -> KpiResult:
    kpi = compiled.definition
    given, source, currency = compiled.target_for(period.start)
    target = None
    if given is not None:
        store_currency = compiled.currency if kpi.unit == "currency" else None
        target = TargetSpec(given.op, given.value, given.kind, source, currency, store_currency)
    provisional = None
    if compiled.provisional_days is not None:
        settles = period.end + timedelta(days=compiled.provisional_days)
        if settles > (today or date.today()):
            provisional = settles
    return KpiResult(
        id=kpi.id,
        name=kpi.name.model_dump(),
        stage=kpi.stage,
        stage_name=stage_name,
        sheet=kpi.sheet,
        unit=kpi.unit,
        value=None,
        numerator=MEASURES[kpi.numerator.measure].zero,
        denominator=MEASURES[kpi.denominator.measure].zero,
        target=target,
        status="no_data",
        provisional_until=provisional,
        provisional_reason=compiled.provisional_reason,
        settings=[setting.to_dict() for setting in compiled.settings],
        description=compiled.description,
        numerator_label=compiled.numerator_label,
        denominator_label=compiled.denominator_label,
        obstacles=[o.model_dump() for o in kpi.obstacles],
        notes=[n.model_dump() for n in kpi.notes],
    )


# --------------------------------------------------------------------------- whole runs


class Engine:
    """Evaluates a set of definitions over one dataset, reusing per-sheet state."""

    def __init__(self, definitions: Definitions, dataset: Dataset) -> None:
        self.definitions = definitions
        self.dataset = dataset
        self._contexts: dict[str, SheetContext] = {}
        self._roster_issues: set[DataIssue] = set()

    def context(self, sheet: str) -> SheetContext | None:
        data = self.dataset.sheets.get(sheet)
        if data is None:
            return None
        if sheet not in self._contexts:
            self._contexts[sheet] = SheetContext(data, self.definitions.column_types(sheet))
        return self._contexts[sheet]

    def evaluate(self, kpi_id: str, period: Period, today: date | None = None) -> KpiEvaluation:
        compiled = self.definitions.compiled[kpi_id]
        sheet = compiled.definition.sheet
        evaluation = _evaluate(
            self.definitions, kpi_id, self.context(sheet), period, self.dataset.missing.get(sheet), today
        )
        staff = self.dataset.sheets.get("staff")
        if compiled.definition.roster is not None and staff is not None:
            for issue in divide_by_roster(compiled, evaluation, staff, period):
                if issue not in self._roster_issues:  # once per name, whichever KPI found it
                    self._roster_issues.add(issue)
                    self.dataset.issues.append(issue)
        return evaluation

    def evaluate_all(
        self, period: Period, kpi_ids: Iterable[str] | None = None, today: date | None = None
    ) -> list[KpiEvaluation]:
        ids = list(kpi_ids) if kpi_ids is not None else [k.id for k in self.definitions.kpis]
        return [self.evaluate(kpi_id, period, today) for kpi_id in ids]

    def compute(
        self,
        period: Period,
        kpi_ids: Iterable[str] | None = None,
        today: date | None = None,
        done: Mapping[str, KpiResult] | None = None,
    ) -> ComputeResult:
        """The results of `kpi_ids` (all by default); `done`: results already evaluated
        (by `evaluate_sheet`, while the other sheets loaded), taken as they are."""
        ids = list(kpi_ids) if kpi_ids is not None else [k.id for k in self.definitions.kpis]
        done = done or {}
        # one KPI at a time, keeping only its result: the row masks of 24 KPIs over a few
        # million rows would otherwise all be alive at once (~100 MB per million rows)
        results = [done[k] if k in done else self.evaluate(k, period, today).result for k in ids]
        return ComputeResult(
            period=period,
            kpis=results,
            data_issues=list(self.dataset.issues),
            sheets=sheet_infos(self.dataset),
            source=self.dataset.source,
            generated_at=datetime.now().replace(microsecond=0),
            definitions="",
            stage_order=[stage.id for stage in self.definitions.stages],
        )


def evaluate_sheet(
    definitions: Definitions,
    data: SheetData,
    period: Period,
    kpi_ids: Iterable[str] | None = None,
    today: date | None = None,
) -> dict[str, KpiResult]:
    """The results of the KPIs (of `kpi_ids`, all by default) on one loaded sheet.

    Every KPI reads one sheet, so a computation evaluates a sheet's KPIs as soon as that
    sheet is loaded, on its loading thread, while the others load (`api.compute`); the
    results are those `Engine.compute` gives once all are loaded.
    """
    wanted = set(kpi_ids) if kpi_ids is not None else None
    context = SheetContext(data, definitions.column_types(data.name))
    return {
        kpi.id: _evaluate(definitions, kpi.id, context, period, None, today).result
        for kpi in definitions.kpis
        # a KPI dividing by the staff roster waits for the staff sheet: Engine.compute does it
        if kpi.sheet == data.name and (wanted is None or kpi.id in wanted) and kpi.roster is None
    }


def _evaluate(
    definitions: Definitions,
    kpi_id: str,
    context: SheetContext | None,
    period: Period,
    missing_reason: str | None,
    today: date | None,
) -> KpiEvaluation:
    compiled = definitions.compiled[kpi_id]
    stage = definitions.stage(compiled.definition.stage).name.model_dump()
    return evaluate_kpi(compiled, context, period, stage, missing_reason, today)


def sheet_infos(dataset: Dataset) -> list[SheetInfo]:
    infos = []
    for name in SHEETS:
        data = dataset.sheets.get(name)
        if data is None:
            reason = dataset.missing.get(name, Reason("sheet_missing"))
            status = "missing" if reason == "sheet missing" else "error"
            infos.append(SheetInfo(name, None, None, None, None, None, 0, 0, status, reason))
            continue
        infos.append(
            SheetInfo(
                name,
                data.file,
                data.worksheet,
                data.file_format,
                data.encoding,
                data.header_row,
                data.rows_in_file,
                data.rows_usable,
                "ok",
                None,
                dict(data.header_map),
                [c for c in SHEETS[name].column_names if c in data.missing_columns and c != "store"],
                list(data.files),
            )
        )
    return infos
