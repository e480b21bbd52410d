"""The monthly report as data: this month, the month before, a trend and the misses explained.

`build_report` loads the data once, runs one `Engine` over the reporting month,
the previous month and the last N months, and collects for every missed KPI the
records that pulled it down (and, with `by`, each KPI of the month per advisor,
store ...). The result, `ReportData`, holds only plain result objects, strings and
numbers, so the Excel and HTML renderers draw the same content and never touch
pandas or files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .breakdown import KpiBreakdown, breakdown_evaluation, check_column
from .config import StoreIdentity
from .contract import SHEETS
from .dataset import Dataset
from .definitions import CompiledKpi, Definitions, load_definitions
from .drilldown import RecordList, failing_mask, failing_records
from .engine import Engine, KpiEvaluation, sheet_infos
from .errors import UsageError
from .issues import DataIssue
from .labels import text
from .report_words import WORDS
from .results import ComputeResult, GroupRow, KpiResult, Period, Status
from .words import column_label as contract_label

if TYPE_CHECKING:
    from .loaders.group import Progress

RECORD_LIMIT = 2000  # failing records kept per missed KPI (all go in the workbook); the total is always given
PAGE_RECORDS = 25  # of which the HTML page lists the first ones
PEOPLE_COLUMNS = ("advisor", "salesperson", "technician")  # who a miss is asked about, in this order
ISSUE_EXAMPLES = 3  # examples per kind of data issue in a report


@dataclass
class TrendPoint:
    month: str
    value: float | None
    status: Status


@dataclass
class PersonMisses:
    """One person's share of a missed KPI: how many of its misses are theirs, and their own figure."""

    name: str | None  # None: records with the person's cell empty
    misses: int
    share: float  # of all the KPI's misses
    own: GroupRow  # the person's own numerator, denominator, value and status


@dataclass
class WhoMissed:
    """The misses of one KPI by the people its sheet names (advisor, salesperson or technician)."""

    column: str
    total: int
    people: list[PersonMisses]  # most misses first


@dataclass
class IssueKind:
    """Data issues of one code, sheet and column: how many, and the first few."""

    severity: str
    code: str
    sheet: str | None
    column: str | None
    count: int
    reason: str
    examples: list[DataIssue]


@dataclass
class KpiReport:
    """One KPI in the report: this month's result, the month before and its trend."""

    result: KpiResult
    previous: float | None
    trend: list[TrendPoint]
    records: RecordList | None = None  # only for missed KPIs, in the report's words
    breakdown: KpiBreakdown | None = None  # only with --by: this month per group, plus the total
    who: list[WhoMissed] = field(default_factory=list)  # missed KPIs: per people column of the sheet

    @property
    def change(self) -> float | None:
        if self.result.value is None or self.previous is None:
            return None
        return self.result.value - self.previous

    @property
    def shown_change(self) -> float | None:
        """The change as every renderer shows it: 0 when it rounds to nothing at the digits
        shown (0.1 point, 0.01 unit), never "-0.0"."""
        change = self.change
        if change is None:
            return None
        return 0.0 if abs(change) < (0.0005 if self.result.unit == "percent" else 0.005) else change


@dataclass
class StageReport:
    id: str
    name: dict[str, str]
    kpis: list[KpiReport]


@dataclass
class ReportData:
    """Everything a report renderer draws; plain objects only."""

    result: ComputeResult
    previous_period: Period
    months: list[str]
    stages: list[StageReport]
    lang: str = "en"
    currency: str = "¥"
    record_limit: int = RECORD_LIMIT
    words: dict[str, str] = field(default_factory=dict)
    by: str | None = None  # the --by column, when the report has a breakdown
    identity: StoreIdentity | None = None  # from sdkpi.toml: display name, brand, address
    page_records: int = PAGE_RECORDS

    @property
    def issue_kinds(self) -> list[IssueKind]:
        return issue_kinds(self.result.data_issues)

    @property
    def kpis(self) -> list[KpiReport]:
        return [kpi for stage in self.stages for kpi in stage.kpis]

    @property
    def missed(self) -> list[KpiReport]:
        return [kpi for kpi in self.kpis if kpi.result.status == "missed"]

    @property
    def store(self) -> str:
        """The store's display name: sdkpi.toml's, else the store's code, else the data folder's name."""
        if self.identity is not None and self.identity.name:
            return self.identity.name
        return self.result.store or Path(self.result.source).name or self.result.source

    @property
    def store_line(self) -> str:
        """Brand and address under the store's name ("" when sdkpi.toml gives neither)."""
        identity = self.identity or StoreIdentity()
        return " · ".join(part for part in (identity.brand, identity.address) if part)

    def column_label(self, sheet: str, column: str) -> str:
        """A record column's header in the report's language (never a column id)."""
        return column_title(column, self.lang, sheet)

    def sheet_label(self, sheet: str | None) -> str:
        """A sheet as the reader knows it: 回访记录 in a Chinese report, its name in English."""
        if not sheet:
            return ""
        if sheet in SHEETS:
            return SHEETS[sheet].zh if self.lang == "zh" else sheet.replace("_", " ")
        return sheet

    @property
    def issue_sheet_title(self) -> str:
        """The workbook sheet with every data issue (the report itself shows them by kind)."""
        return self.words["issue_list"]

    def settings_used(self, result: KpiResult, changed_only: bool = False) -> list[str]:
        """The named settings the KPI was computed with, in words ("Earliest reminder before
        the appointment: 24 h"); those a store's sdkpi.toml changed say where. With
        `changed_only`, only those."""
        from .words import setting_value

        lines = []
        for setting in result.settings:
            source = setting.get("source") or "definitions"
            if changed_only and source == "definitions":
                continue
            value = setting_value(setting.get("value"), setting.get("unit", ""), self.lang)
            line = self.words["setting"].format(meaning=text(setting.get("meaning"), self.lang), value=value)
            if source != "definitions":
                line += self.words["set_in"].format(file=Path(source).name)
            lines.append(line)
        return lines

    def records_note(self, kpi: KpiReport) -> str:
        """How much of the KPI's record list the page shows, and where the rest is."""
        records = kpi.records
        if records is None:
            return ""
        shown = min(len(records.rows), self.page_records)
        if shown >= records.total:
            return self.words["all_of"].format(total=records.total)
        key = "first_of" if len(records.rows) >= records.total else "first_of_capped"
        return self.words[key].format(shown=shown, total=records.total, kept=len(records.rows))

    @property
    def by_label(self) -> str:
        """The --by column as the reader knows it, within a sentence ("advisor"; 服务顾问)."""
        by = self.by or ""
        sheet = next((name for name, s in SHEETS.items() if s.column(by) is not None), "")
        return contract_label(by, self.lang, sheet)

    @property
    def broken_down(self) -> list[KpiReport]:
        """KPIs with a row per group (their sheet has the --by column), in summary order."""
        return [k for k in self.kpis if k.breakdown is not None and k.breakdown.reason is None]

    @property
    def not_broken_down(self) -> list[KpiReport]:
        """KPIs the --by column cannot split (the sheet lacks it, or there is no data)."""
        return [k for k in self.kpis if k.breakdown is not None and k.breakdown.reason is not None]

    def breakdown_reason(self, kpi: KpiReport) -> str:
        """Why a KPI is not broken down, in the report's language where the reason is ours."""
        reason = kpi.breakdown.reason if kpi.breakdown else None
        sheet = kpi.result.sheet
        if reason == f"the {sheet} sheet has no {self.by} column":
            sheet_label = SHEETS[sheet].zh if self.lang == "zh" and sheet in SHEETS else sheet
            return self.words["no_column"].format(sheet=sheet_label, column=self.by_label)
        return reason or ""


def build_report(
    data: str | Path | Dataset,
    month: str,
    *,
    last: int = 12,
    definitions: str | Path | Definitions | None = None,
    mapping: str | Path | None = None,
    lang: str = "en",
    store: str | None = None,
    currency: str = "¥",
    today: date | None = None,
    record_limit: int = RECORD_LIMIT,
    progress: Progress | None = None,
    by: str | None = None,
    identity: StoreIdentity | None = None,
    stores: Mapping[str, StoreIdentity] | None = None,
) -> ReportData:
    """Compute the month, the month before and `last` months of trend from one load of the data.

    With `by` (a column such as advisor or store) each KPI of the month is also split per
    value of that column, from the same row masks as the headline figure (`sdkpi.breakdown`).
    `identity` (sdkpi.toml's [store]) names the store on the cover; `stores` ([stores.<folder>])
    names a group's stores, looked up by the store picked, else by the data folder's name.
    """
    from .api import columns_shown, load_data, no_rows_issues, parse_period
    from .loaders.group import select_store

    if last < 1:
        raise UsageError(f"--last must be at least 1, not {last}")
    if lang not in WORDS:
        raise UsageError(f"--lang must be one of {', '.join(WORDS)}, not {lang!r}")
    period = parse_period(month)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    if by is not None:
        check_column(by, defs)  # before the (possibly long) load
    if isinstance(data, Dataset):
        dataset = select_store(data, store) if store else data
    else:
        shown = columns_shown(defs, None, [by] if by else [])
        dataset = load_data(data, mapping, store=store, progress=progress, columns=shown)
    engine = Engine(defs, dataset)
    evaluations = engine.evaluate_all(period, today=today)
    result = ComputeResult(
        period=period,
        kpis=[e.result for e in evaluations],
        data_issues=list(dataset.issues),
        sheets=sheet_infos(dataset),
        source=dataset.source,
        generated_at=datetime.now().replace(microsecond=0),
        definitions=str(definitions) if isinstance(definitions, (str, Path)) else "default",
        store=store_label(dataset, store),
    )
    result.data_issues.extend(no_rows_issues(dataset, defs, period, result.kpis))  # exit 3 if all
    previous_period = period.previous_month()
    by_month = {period: result.kpis}  # each month evaluated once, on the one engine
    for other in [*trend_months(period, last), previous_period]:
        if other not in by_month:
            by_month[other] = [e.result for e in engine.evaluate_all(other, today=today)]
    months, trend = trend_series(by_month, trend_months(period, last))
    previous = {kpi.id: kpi.value for kpi in by_month[previous_period]}
    reports = {}
    for evaluation in evaluations:
        kpi = evaluation.result
        records, who = None, []
        compiled = defs.compiled[kpi.id]
        if kpi.status == "missed":
            records = failing_records(evaluation, compiled, record_limit, lang)
            who = who_missed(evaluation, compiled)
        split = breakdown_evaluation(evaluation, compiled, by) if by else None
        reports[kpi.id] = KpiReport(kpi, previous.get(kpi.id), trend[kpi.id], records, split, who)
    return ReportData(
        result=result,
        previous_period=previous_period,
        months=[p.label for p in months],
        stages=by_stage(defs, reports),
        lang=lang,
        currency=currency,
        record_limit=record_limit,
        words=WORDS[lang],
        by=by,
        identity=pick_identity(result, identity, stores or {}),
    )


def by_stage(defs: Definitions, reports: dict[str, KpiReport]) -> list[StageReport]:
    """The KPIs under their stage, in the order of the definitions file; empty stages left out."""
    stages = []
    for stage in defs.stages:
        kpis = [reports[k.id] for k in defs.kpis if k.stage == stage.id and k.id in reports]
        if kpis:
            stages.append(StageReport(stage.id, stage.name.model_dump(), kpis))
    return stages


def trend_months(period: Period, last: int) -> list[Period]:
    """The `last` months ending with `period`, oldest first."""
    months = [period]
    while len(months) < last:
        months.insert(0, months[0].previous_month())
    return months


def trend_series(
    by_month: dict[Period, list[KpiResult]], months: list[Period]
) -> tuple[list[Period], dict[str, list[TrendPoint]]]:
    """A point per KPI and month, leaving out the leading months without any data.

    A store that started exporting three months ago gets a three-month trend,
    not nine empty months in every chart.
    """
    while len(months) > 1 and all(kpi.value is None for kpi in by_month[months[0]]):
        months = months[1:]
    series: dict[str, list[TrendPoint]] = {}
    for month in months:
        for kpi in by_month[month]:
            series.setdefault(kpi.id, []).append(TrendPoint(month.label, kpi.value, kpi.status))
    return months, series


def store_label(dataset: Dataset, store: str | None) -> str | None:
    """The store named by --store, else the one store the data's `store` column holds."""
    if store is not None:
        return store
    names: set[str] = set()
    for sheet in dataset.sheets.values():
        if "store" in sheet.frame.columns:
            names.update(str(v) for v in sheet.frame["store"].dropna().unique())
    return names.pop() if len(names) == 1 else None


def generated_label(result: ComputeResult) -> str:
    stamp: datetime = result.generated_at
    return stamp.strftime("%Y-%m-%d %H:%M")


def pick_identity(
    result: ComputeResult, identity: StoreIdentity | None, stores: Mapping[str, StoreIdentity]
) -> StoreIdentity | None:
    """[stores.<store>] for the store picked (or the data folder), else [store]."""
    for code in (result.store, Path(result.source).name):
        if code and code in stores:
            return stores[code]
    return identity


# --------------------------------------------------------------------------- who missed


def who_missed(evaluation: KpiEvaluation, compiled: CompiledKpi) -> list[WhoMissed]:
    """The KPI's misses (the records `failing_records` lists, all of them) per person, for each
    people column its sheet fills in (work orders: advisor and technician); each person with
    their own figure, most misses first."""
    sheet = evaluation.sheet
    mask = failing_mask(evaluation, compiled)
    if sheet is None or mask is None or not mask.any():
        return []
    frame = sheet.frame
    total = int(mask.sum())
    tables = []
    for column in PEOPLE_COLUMNS:
        if column not in frame.columns or column in sheet.missing_columns or not frame[column].notna().any():
            continue
        codes, labels = pd.factorize(frame[column], use_na_sentinel=True)
        counts = np.bincount(codes[mask] + 1, minlength=len(labels) + 1)  # slot 0: empty cells
        own = {g.group: g for g in breakdown_evaluation(evaluation, compiled, column).groups}
        people = []
        for slot in np.flatnonzero(counts).tolist():
            name = None if slot == 0 else str(labels[slot - 1])
            figures = own.get(name) or GroupRow(name, 0, 0, None, "no_data")
            people.append(PersonMisses(name, int(counts[slot]), int(counts[slot]) / total, figures))
        people.sort(key=lambda p: (-p.misses, p.name is None, p.name or ""))
        tables.append(WhoMissed(column, total, people))
    return tables


# --------------------------------------------------------------------------- labels


def column_title(column: str, lang: str, sheet: str | None = None) -> str:
    """A column as a table header: its label (`sdkpi.words`), starting with a capital."""
    label = contract_label(column, lang, sheet)
    return label[:1].upper() + label[1:]


# --------------------------------------------------------------------------- data issues by kind

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def issue_kinds(issues: list[DataIssue], examples: int = ISSUE_EXAMPLES) -> list[IssueKind]:
    """The issues by (severity, code, sheet, column): errors first, then the largest kinds."""
    kinds: dict[tuple[str, str, str | None, str | None], IssueKind] = {}
    for issue in issues:
        key = (issue.severity, issue.code, issue.sheet, issue.column)
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = IssueKind(
                issue.severity, issue.code, issue.sheet, issue.column, 0, issue.reason, []
            )
        kind.count += 1
        if len(kind.examples) < examples:
            kind.examples.append(issue)
    return sorted(kinds.values(), key=lambda k: (_SEVERITY_ORDER.get(k.severity, 3), -k.count, k.code))
