"""`explain`: one KPI taken apart for one period, as a plain result object.

What it is (in words generated from the definitions file), what it came to
(numerator, denominator, value, target, status), which rows were left out and
why (a count per exclusion, and rows with unreadable values per column), and
the records in the denominator that are not in the numerator, each with the
condition it failed. Renderers draw an `Explanation`; nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .breakdown import KpiBreakdown, average_groups
from .contract import SHEETS
from .definitions import Aggregate, CompiledKpi, Definitions, load_definitions
from .drilldown import RecordList, failing_records
from .engine import Engine, KpiEvaluation
from .issues import DataIssue
from .measures import MEASURES
from .results import KpiResult, Period
from .words import column_label, condition_words, sheet_label

if TYPE_CHECKING:
    from .loaders.group import Progress

SAMPLE_ROWS = 10  # row numbers shown per column with unreadable values


@dataclass
class UnusableColumn:
    column: str
    count: int
    rows: list[int]  # the first few row numbers, as the user sees them in the file
    files: list[str] | None = None  # each row's file name, for a sheet read from several files

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "files" or v is not None}


@dataclass
class Explanation:
    """Everything `sdkpi explain` shows about one KPI in one period."""

    period: Period
    kpi: KpiResult
    definition: list[str]  # sentences, generated from the parsed definition
    excluded: list[dict[str, Any]] = field(default_factory=list)  # reason, condition, count
    unusable: list[UnusableColumn] = field(default_factory=list)
    records: RecordList | None = None
    obstacles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lang: str = "en"
    data_issues: list[DataIssue] = field(default_factory=list)
    # an average (parts sales per advisor, per RO) is listed per person instead of per record
    groups: KpiBreakdown | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "kpi": self.kpi.to_dict(),
            "definition": self.definition,
            "excluded": self.excluded,
            "unusable": [u.to_dict() for u in self.unusable],
            "records": self.records.to_dict() if self.records else None,
            "groups": self.groups.to_dict() if self.groups else None,
            "obstacles": self.obstacles,
            "notes": self.notes,
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }


def explain(
    data: str | Path,
    kpi_id: str,
    *,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    definitions: str | Path | Definitions | None = None,
    mapping: str | Path | None = None,
    store: str | None = None,
    lang: str = "en",
    limit: int | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> Explanation:
    """Explain one KPI of one period from a data folder (library entry point)."""
    from .api import columns_shown, load_data, no_rows_issues, parse_period

    period = parse_period(month, start, end)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    defs.kpi(kpi_id)  # unknown id: DefinitionError with "did you mean"
    shown = columns_shown(defs, [kpi_id])
    dataset = load_data(data, mapping, store=store, progress=progress, columns=shown)
    evaluation = Engine(defs, dataset).evaluate(kpi_id, period, today)
    explanation = explain_evaluation(defs.compiled[kpi_id], evaluation, period, lang, limit)
    explanation.data_issues = [*dataset.issues, *no_rows_issues(dataset, defs, period, [evaluation.result])]
    return explanation


def explain_evaluation(
    compiled: CompiledKpi,
    evaluation: KpiEvaluation,
    period: Period,
    lang: str = "en",
    limit: int | None = None,
) -> Explanation:
    """Build the explanation from an evaluation the engine already made."""
    kpi = compiled.definition
    excluded = [
        {
            "reason": entry["reason"].get(lang) or entry["reason"]["en"],
            "condition": condition_words(node, lang, kpi.sheet),
            "count": entry["count"],
        }
        for entry, (_exclusion, node) in zip(evaluation.result.excluded, compiled.exclusions, strict=False)
    ]
    # after the exclusions: the earlier records of a key counted once (`once_per`), no condition
    excluded += [
        {
            "reason": entry["reason"].get(lang) or entry["reason"]["en"],
            "condition": "",
            "count": entry["count"],
        }
        for entry in evaluation.result.excluded[len(compiled.exclusions) :]
    ]
    groups = average_groups(evaluation, compiled)
    return Explanation(
        period=period,
        kpi=evaluation.result,
        definition=definition_words(compiled, period, lang),
        excluded=excluded,
        unusable=unusable_columns(compiled, evaluation),
        records=None if groups is not None else failing_records(evaluation, compiled, limit, lang),
        groups=groups,
        obstacles=[o.get(lang) for o in kpi.obstacles],
        notes=[n.get(lang) for n in kpi.notes],
        lang=lang,
    )


def unusable_columns(compiled: CompiledKpi, evaluation: KpiEvaluation) -> list[UnusableColumn]:
    """Rows left out because a column this KPI reads holds a bad value: in-period rows, and
    under the period column every row whose period date cannot be read (`engine.undated`)."""
    sheet, in_period = evaluation.sheet, evaluation.in_period
    if sheet is None or in_period is None:
        return []
    period = compiled.definition.period
    found = []
    for column in sorted(compiled.columns):
        if column == period and evaluation.undated is not None:
            mask = evaluation.undated
        elif column in sheet.bad:
            mask = sheet.bad[column] & in_period
        else:
            continue
        positions = np.flatnonzero(mask)
        if len(positions):
            rows = [int(sheet.row_numbers[p]) for p in positions[:SAMPLE_ROWS]]
            found.append(UnusableColumn(column, len(positions), rows))
            if sheet.row_files is not None and len(sheet.files) > 1:
                found[-1].files = [str(sheet.file_name_at(int(p))) for p in positions[:SAMPLE_ROWS]]
    return found


# --------------------------------------------------------------------------- definition in words

_EN = {
    "rows": "{sheet} rows",
    "period": "{sheet} whose {period} falls in {label}",
    "period_where": "{sheet} whose {period} falls in {label} where {cond}",
    "den": "Denominator ({label}): {text}.",
    "num": "Numerator ({label}): {text}.",
    "subset": "the denominator's records where {cond}",
    "same": "the denominator's records",
    "exclude": "Left out of both: {reason} ({cond}).",
    "value": "Value = numerator / denominator{target}.",
    "target": "; target {target}",
    "reference": "; reference value {target} (shown, not judged)",
    "roster_advisor": (
        "With a staff roster (staff sheet), the denominator is the advisors on it in the period "
        "(FTE); without one, the advisors named on these records."
    ),
    "roster_technician": (
        "With a staff roster (staff sheet), the denominator is the technicians on it in the period "
        "(FTE); without one, the technicians named on these records."
    ),
    "unusable": (
        "Rows with an unreadable value in a column this KPI reads ({columns}) are left out and listed."
    ),
    "undated": (
        "Rows whose {period} is unreadable{or_empty} may belong to any period: they are left out of "
        "every period as unusable, and listed."
    ),
    "or_empty": " or empty",
}
_ZH = {
    "rows": "{sheet}记录",
    "period": "{sheet}中{period}在{label}内的记录",
    "period_where": "{sheet}中{period}在{label}内且{cond}的记录",
    "den": "分母({label})：{text}。",
    "num": "分子({label})：{text}。",
    "subset": "分母记录中{cond}的记录",
    "same": "分母记录",
    "exclude": "不计入分子分母：{reason}({cond})。",
    "value": "数值 = 分子 / 分母{target}。",
    "target": "；目标 {target}",
    "reference": "；参考值 {target}(仅供对照，不判定)",
    "roster_advisor": (
        "提供人员名单时，分母为名单上本期在岗的服务专员人数(按折算人数)；未提供时按这些记录上的服务专员人数。"
    ),
    "roster_technician": (
        "提供人员名单时，分母为名单上本期在岗的技师人数(按折算人数)；未提供时按这些记录上的技师人数。"
    ),
    "unusable": "本指标所读列({columns})中有无法识别的值的记录不计入，并单独列出。",
    "undated": (
        "{period}无法识别{or_empty}的记录无法确定属于哪一期，各期都不计入，算作无法使用的记录并单独列出。"
    ),
    "or_empty": "或为空",
}


def definition_words(compiled: CompiledKpi, period: Period, lang: str = "en") -> list[str]:
    """The KPI's definition as sentences, generated from its parsed conditions."""
    kpi = compiled.definition
    words = _ZH if lang == "zh" else _EN
    sheet_words = sheet_label(kpi.sheet, lang)
    period_column = column_label(kpi.period, lang, kpi.sheet)
    in_period = {"sheet": sheet_words, "period": period_column, "label": period.label}
    den_rows = words["period"].format(**in_period)
    if compiled.denominator_where is not None:
        cond = condition_words(compiled.denominator_where, lang, kpi.sheet)
        den_rows = words["period_where"].format(cond=cond, **in_period)
    num_rows = words["same"]
    if compiled.numerator_where is not None:
        num_rows = words["subset"].format(cond=condition_words(compiled.numerator_where, lang, kpi.sheet))
    sentences = [
        words["den"].format(
            label=_label(compiled.denominator_label, lang),
            text=_measure(kpi.denominator, compiled, den_rows, lang, "denominator"),
        ),
        words["num"].format(
            label=_label(compiled.numerator_label, lang),
            text=_measure(kpi.numerator, compiled, num_rows, lang, "numerator"),
        ),
    ]
    for exclusion, node in compiled.exclusions:
        reason = exclusion.reason.get(lang)
        sentences.append(words["exclude"].format(reason=reason, cond=condition_words(node, lang, kpi.sheet)))
    target = ""
    given, _source, currency = compiled.target_for(period.start)  # the store's own, if set
    if given is not None:
        number = f"{given.value * 100:g}%" if kpi.unit == "percent" else f"{given.value:g}"
        if given.kind == "reference":
            money = f" {currency}" if currency else ""
            if currency and lang == "zh":
                money = {"USD": "美元", "CNY": "元", "EUR": "欧元", "HKD": "港元"}.get(currency, money)
            target = words["reference"].format(target=f"{number}{money}")
        else:
            target = words["target"].format(target=f"{given.op} {number}")
    sentences.append(words["value"].format(target=target))
    if kpi.roster is not None:  # a staff sheet, when given, is the headcount
        sentences.append(words[f"roster_{kpi.roster.role}"])
    labels = [column_label(c, lang, kpi.sheet) for c in sorted(compiled.columns)]
    columns = ("、" if lang == "zh" else ", ").join(labels)
    sentences.append(words["unusable"].format(columns=columns))
    contract = SHEETS[kpi.sheet].column(kpi.period)
    or_empty = words["or_empty"] if contract is not None and contract.required else ""
    sentences.append(
        words["undated"].format(period=column_label(kpi.period, lang, kpi.sheet), or_empty=or_empty)
    )
    return sentences


def _measure(agg: Aggregate, compiled: CompiledKpi, rows: str, lang: str, side: str) -> str:
    """The measure of one side in words (`measures.MEASURES`)."""
    sheet = compiled.definition.sheet
    where_all = compiled.numerator_where_all if side == "numerator" else compiled.denominator_where_all
    return MEASURES[agg.measure].say(
        lang,
        what=rows,
        column=column_label(agg.column, lang, sheet) if agg.column is not None else "",
        cond=condition_words(where_all, lang, sheet) if where_all is not None else None,
    )


def _label(label: dict[str, str] | None, lang: str) -> str:
    """A side's label with the settings in force (`compiled.setting_texts`)."""
    return label[lang] if label else ""
