"""Drill-down: the very records behind a KPI, as plain rows for renderers.

For a count KPI the records that pulled it down are exactly those in the
denominator but not in the numerator (`KpiEvaluation.failing`); each gets the
condition it failed, in words and numbers ("work_completed_at 12 min before
promised_at; needs at least 30 min before"). For a ratio of sums (utilization,
hours per RO ...) every record is in both, so the list holds instead the
denominator records whose own ratio falls short of the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import expr as ex
from .breakdown import is_average
from .contract import CONTEXT_COLUMNS, SHEETS
from .dataset import SheetData
from .definitions import CompiledKpi
from .engine import KpiEvaluation
from .errors import ExpressionError
from .evaluate import evaluate_mask
from .frame import Frame, text_objects
from .measures import MEASURES
from .words import column_label, condition_words, display, failure_words


@dataclass
class RecordRow:
    row: int  # the row number as the user sees it in the file
    values: dict[str, str]
    why: str
    file: str | None = None  # the file's name, for a sheet read from several files

    @property
    def place(self) -> str:
        """Where to find the record: "12", or "RO_2.csv 12" for a sheet read from several files."""
        return f"{self.file} {self.row}" if self.file else str(self.row)


@dataclass
class RecordList:
    """Records of one KPI, ready to print: column names and display strings only.

    selection: "not_in_numerator" (denominator rows outside the numerator) or
    "below_target" (ratio-of-sums KPIs: records whose own ratio misses the target).
    """

    kpi: str
    sheet: str
    file: str | None
    columns: list[str]
    rows: list[RecordRow] = field(default_factory=list)
    total: int = 0
    selection: str = "not_in_numerator"

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    @property
    def several_files(self) -> bool:
        """The records come from a sheet read from several files: each names its file."""
        return any(r.file for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "sheet": self.sheet,
            "file": self.file,
            "selection": self.selection,
            "columns": self.columns,
            "total": self.total,
            "rows": [
                {**({"file": r.file} if r.file else {}), "row": r.row, "why": r.why, **r.values}
                for r in self.rows
            ],
        }


def record_columns(compiled: CompiledKpi, frame: pd.DataFrame) -> list[str]:
    sheet = SHEETS[compiled.definition.sheet]
    ordered = [sheet.key] if sheet.key else []
    ordered += [c for c in CONTEXT_COLUMNS if c in frame.columns and frame[c].notna().any()]
    ordered += [compiled.definition.period]
    ordered += sorted(compiled.columns)
    seen: list[str] = []
    for column in ordered:
        if column and column not in seen and column in frame.columns:
            seen.append(column)
    return seen


def failing_records(
    evaluation: KpiEvaluation, compiled: CompiledKpi, limit: int | None = 200, lang: str = "en"
) -> RecordList | None:
    """The denominator records that are not in the numerator (or fall short of the target)."""
    sheet = evaluation.sheet
    if (
        sheet is None
        or evaluation.frame is None
        or evaluation.denominator is None
        or evaluation.numerator is None
    ):
        return None
    mask = failing_mask(evaluation, compiled)
    if mask is None:  # an average: no record of its own misses it (`breakdown.average_groups`)
        return None
    frame = sheet.frame
    columns = record_columns(compiled, frame)
    if not MEASURES[compiled.definition.numerator.measure].sums:
        reasons: Any = Why(compiled, sheet, evaluation.frame, lang)
        selection = "not_in_numerator"
    else:
        reasons = _below_target(evaluation, compiled, lang)[1]
        selection = "below_target"
    positions = np.flatnonzero(mask)
    records = RecordList(
        compiled.definition.id, sheet.name, sheet.file, columns, total=len(positions), selection=selection
    )
    shown = positions if limit is None else positions[:limit]
    for position in shown:
        values = {c: display(frame[c].iat[position], c, lang, sheet.name) for c in columns}
        row = RecordRow(int(sheet.row_numbers[position]), values, reasons(int(position)))
        row.file = sheet.file_name_at(int(position))
        records.rows.append(row)
    return records


def failing_mask(evaluation: KpiEvaluation, compiled: CompiledKpi) -> np.ndarray | None:
    """The rows of the sheet that `failing_records` lists: all of them, not only the first `limit`."""
    if evaluation.sheet is None or evaluation.denominator is None or evaluation.numerator is None:
        return None
    if is_average(compiled):  # parts sales per RO or per advisor: one RO is not an average
        return None
    if not MEASURES[compiled.definition.numerator.measure].sums:
        return evaluation.denominator & ~evaluation.numerator
    return _below_target(evaluation, compiled)[0]


def _below_target(
    evaluation: KpiEvaluation, compiled: CompiledKpi, lang: str = "en"
) -> tuple[np.ndarray, Any]:
    """Ratio of sums: a record pulls the KPI down when its own ratio is short of the target."""
    kpi = compiled.definition
    assert evaluation.denominator is not None and evaluation.sheet is not None
    frame = evaluation.sheet.frame
    assert kpi.numerator.sum is not None
    numerator = np.nan_to_num(frame[kpi.numerator.sum].to_numpy(dtype="float64", na_value=np.nan))
    if kpi.denominator.sum is not None:
        denominator = np.nan_to_num(frame[kpi.denominator.sum].to_numpy(dtype="float64", na_value=np.nan))
    else:
        denominator = np.ones(len(frame))
    target = kpi.target.value if kpi.target else evaluation.result.value or 0.0
    with np.errstate(all="ignore"):
        ratio = np.where(denominator > 0, numerator / denominator, np.inf)
    mask = evaluation.denominator & (ratio < target)
    label = column_label(kpi.numerator.sum, lang, kpi.sheet)
    percent = kpi.unit == "percent"

    def why(pos: int) -> str:
        if kpi.denominator.sum is None:
            return f"{label} {numerator[pos]:g} < {target:g}"
        shown = f"{ratio[pos]:.0%} < {target:.0%}" if percent else f"{ratio[pos]:.2f} < {target:g}"
        return f"{label} / {column_label(kpi.denominator.sum, lang, kpi.sheet)} = {shown}"

    return mask, why


class Why:
    """Says, record by record, which part of the numerator's condition failed.

    Conditions are evaluated once over the whole sheet (so `named_by` sees every
    row), then each record is told the first `and` operand it failed, with values.
    """

    def __init__(self, compiled: CompiledKpi, sheet: SheetData, frame: Frame, lang: str = "en") -> None:
        self.lang = lang
        self.sheet = sheet
        self.frame = frame  # the engine's: column kinds from the definitions, vectors already built
        num = compiled.definition.numerator
        self.node = compiled.numerator_where or compiled.numerator_where_all
        self.group_column = num.count_distinct if compiled.numerator_where_all is not None else None
        self._masks: dict[int, np.ndarray] = {}
        self._group_values: tuple[np.ndarray, np.ndarray | None] | None = None

    def mask(self, node: ex.Node) -> np.ndarray:
        if id(node) not in self._masks:
            self._masks[id(node)] = evaluate_mask(node, self.frame)
        return self._masks[id(node)]

    def __call__(self, position: int) -> str:
        if self.node is None:
            return ""
        failed = self._first_failed(self.node, position)
        if failed is None and self.group_column is not None:
            return self._group_failure(position)
        return failure_words(failed or self.node, self.frame, position, self.lang)

    def _first_failed(self, node: ex.Node, position: int) -> ex.Node | None:
        try:
            if self.mask(node)[position]:
                return None
        except ExpressionError:
            return node
        if isinstance(node, ex.BoolOp) and node.op == "and":
            for operand in node.operands:
                failed = self._first_failed(operand, position)
                if failed is not None:
                    return failed
        return node

    def _groups(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The group column and the store as Python objects (a store's empty cell is ""), made
        once: a computation's frame holds them as Categoricals, which take no value outside
        their categories (a `fillna("")` on one is a TypeError)."""
        if self._group_values is None:
            assert self.group_column is not None
            frame = self.sheet.frame
            stores = text_objects(frame["store"], "") if "store" in frame.columns else None
            self._group_values = (text_objects(frame[self.group_column]), stores)
        return self._group_values

    def _group_failure(self, position: int) -> str:
        """A `where_all` group: this row passes, another row of its group does not."""
        assert self.node is not None and self.group_column is not None
        keys, stores = self._groups()
        key = keys[position]
        same = (keys == key) & (key is not None)
        if stores is not None:
            same = same & (stores == stores[position])
        others = np.flatnonzero(same & ~self.mask(self.node))
        where = self._rows([int(p) for p in others[:5]])
        condition = condition_words(self.node, self.lang, self.sheet.name)
        label = column_label(self.group_column, self.lang, self.sheet.name)
        if self.lang == "zh":
            return f"同一{label} {key} 的其他记录({where})不符合：{condition}"
        return f"another record of {label} {key} ({where}) fails: {condition}"

    def _rows(self, positions: list[int]) -> str:
        """Rows by their numbers ("row 3, 5" / "第 3, 5 行"), each after its file's name when the
        sheet spans several files ("RO_2.csv row 9" / "RO_2.csv 第 9 行")."""
        numbers = [str(int(self.sheet.row_numbers[p])) for p in positions]
        names = [self.sheet.file_name_at(p) for p in positions]
        if not any(names):
            return f"第 {', '.join(numbers)} 行" if self.lang == "zh" else f"row {', '.join(numbers)}"
        each = "{0} 第 {1} 行" if self.lang == "zh" else "{0} row {1}"
        return ", ".join(each.format(name, row) for name, row in zip(names, numbers, strict=True))
