"""Drill-down: the very records behind a KPI, as plain rows for renderers.

For a count KPI the records that pulled it down are those in the denominator but
not in the numerator; each gets the condition it failed, in words. For a ratio of
sums (utilization, hours per RO ...) they are the denominator records whose own
ratio falls short of the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import expr as ex
from .contract import SHEETS
from .definitions import CompiledKpi
from .engine import KpiEvaluation
from .errors import ExpressionError
from .evaluate import evaluate_mask

CONTEXT_COLUMNS = ("store", "advisor", "technician", "customer_id", "plate", "vin")


@dataclass
class RecordRow:
    row: int  # the row number as the user sees it in the file
    values: dict[str, str]
    why: str


@dataclass
class RecordList:
    """Records of one KPI, ready to print: column names and display strings only."""

    kpi: str
    sheet: str
    file: str | None
    columns: list[str]
    rows: list[RecordRow] = field(default_factory=list)
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "sheet": self.sheet,
            "file": self.file,
            "columns": self.columns,
            "total": self.total,
            "rows": [{"row": r.row, "why": r.why, **r.values} for r in self.rows],
        }


def record_columns(compiled: CompiledKpi, frame: pd.DataFrame) -> list[str]:
    sheet = SHEETS[compiled.definition.sheet]
    ordered = [sheet.key] if sheet.key else []
    ordered += [c for c in CONTEXT_COLUMNS if c in frame.columns]
    ordered += [compiled.definition.period]
    ordered += sorted(compiled.columns)
    seen: list[str] = []
    for column in ordered:
        if column and column not in seen and column in frame.columns:
            seen.append(column)
    return seen


def failing_records(
    evaluation: KpiEvaluation, compiled: CompiledKpi, limit: int | None = 200
) -> RecordList | None:
    """The denominator records that are not in the numerator (or fall short of the target)."""
    sheet = evaluation.sheet
    if sheet is None or evaluation.denominator is None or evaluation.numerator is None:
        return None
    frame = sheet.frame
    columns = record_columns(compiled, frame)
    mask, reasons = _shortfall(evaluation, compiled)
    positions = np.flatnonzero(mask)
    records = RecordList(compiled.definition.id, sheet.name, sheet.file, columns, total=len(positions))
    shown = positions if limit is None else positions[:limit]
    for position in shown:
        values = {c: display(frame[c].iat[position]) for c in columns}
        records.rows.append(RecordRow(int(sheet.row_numbers[position]), values, reasons(position)))
    return records


def _shortfall(evaluation: KpiEvaluation, compiled: CompiledKpi) -> tuple[np.ndarray, Any]:
    kpi = compiled.definition
    assert evaluation.denominator is not None and evaluation.numerator is not None
    assert evaluation.sheet is not None
    frame = evaluation.sheet.frame
    if kpi.numerator.measure != "sum":
        mask = evaluation.denominator & ~evaluation.numerator
        node = compiled.numerator_where or compiled.numerator_where_all
        return mask, lambda pos: explain_failure(node, frame, pos)
    # ratio of sums: a record pulls the KPI down when its own ratio is short of the target
    numerator = frame[kpi.numerator.sum].to_numpy(dtype="float64", na_value=np.nan)
    numerator = np.nan_to_num(numerator)
    if kpi.denominator.sum is not None:
        denominator = np.nan_to_num(frame[kpi.denominator.sum].to_numpy(dtype="float64", na_value=np.nan))
    else:
        denominator = np.ones(len(frame))
    target = kpi.target.value if kpi.target else evaluation.result.value or 0.0
    with np.errstate(all="ignore"):
        ratio = np.where(denominator > 0, numerator / denominator, np.inf)
    mask = evaluation.denominator & (ratio < target)
    label = kpi.numerator.sum

    def why(pos: int) -> str:
        if kpi.denominator.sum is None:
            return f"{label} {numerator[pos]:g} < {target:g}"
        return f"{label}/{kpi.denominator.sum} = {ratio[pos]:.0%} < {target:.0%}"

    return mask, why


def explain_failure(node: ex.Node | None, frame: pd.DataFrame, position: int) -> str:
    """Which part of a condition a row failed, with the values involved."""
    if node is None:
        return ""
    one = frame.iloc[[position]].reset_index(drop=True)
    return _explain(node, one)


def _explain(node: ex.Node, one: pd.DataFrame) -> str:
    from .evaluate import Frame

    if isinstance(node, ex.Not) and isinstance(node.operand, ex.Call):
        return f"another record names it in {node.operand.column} (a comeback)"
    frame = Frame(one, _kinds(one))
    if isinstance(node, ex.BoolOp) and node.op == "and":
        for operand in node.operands:
            try:
                failed = not evaluate_mask(operand, frame)[0]
            except ExpressionError:
                continue  # needs the whole sheet (named_by): judged by the engine already
            if failed:
                return _explain(operand, one)
    empty = [c for c in sorted(ex.columns(node)) if c in one.columns and pd.isna(one[c].iat[0])]
    if empty and not isinstance(node, ex.IsNull):
        return f"{', '.join(empty)} empty; needs {ex.to_text(node)}"
    if isinstance(node, (ex.Compare, ex.Between)):
        return f"{_values_text(node, one)}; needs {ex.to_text(node)}"
    return f"fails {ex.to_text(node)}"


def _values_text(node: ex.Node, one: pd.DataFrame) -> str:
    parts = []
    for column in sorted(ex.columns(node)):
        if column in one.columns:
            parts.append(f"{column} = {display(one[column].iat[0])}")
    return ", ".join(parts)


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    kinds = {}
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[str(column)] = "datetime"
        elif pd.api.types.is_bool_dtype(dtype):
            kinds[str(column)] = "bool"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[str(column)] = "number"
        else:
            kinds[str(column)] = "text"
    return kinds


def display(value: Any) -> str:
    """A cell as a person reads it: empty for missing, minutes for datetimes."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        with_time = value.hour or value.minute or value.second
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
