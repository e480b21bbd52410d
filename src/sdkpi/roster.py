"""A per-advisor (per-technician) KPI divided by the staff roster: the people of that role
on the staff sheet in the period, as headcount (FTE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import SheetData
from .definitions import CompiledKpi
from .evaluation import KpiEvaluation, finish_result
from .issues import DataIssue
from .measures import sequential_sum
from .reasons import Reason
from .results import Period

ROSTER_COLUMNS = frozenset({"name", "role", "from", "to", "fte"})
ROSTER_LABELS = {
    "advisor": {"zh": "人员名单上的服务专员(折算人数)", "en": "advisors on the staff roster (FTE)"},
    "technician": {"zh": "人员名单上的技师(折算人数)", "en": "technicians on the staff roster (FTE)"},
}


def divide_by_roster(
    compiled: CompiledKpi, evaluation: KpiEvaluation, staff: SheetData, period: Period
) -> list[DataIssue]:
    """A per-advisor (per-technician) KPI divided by the roster: the FTE of the people of that
    role on the staff sheet at any time in the period (an empty `fte` is 1, an empty `from`
    or `to` is open). A staff sheet without anyone of the role leaves the KPI as it was (the
    distinct names on its records). Returns a warning for each name on the KPI's records
    that is not on the roster in the period: its records count, the person does not."""
    roster = compiled.definition.roster
    result, sheet, rows = evaluation.result, evaluation.sheet, evaluation.denominator
    if roster is None or sheet is None or rows is None or {"name", "role"} & staff.missing_columns:
        return []
    frame = staff.frame
    role = (frame["role"].astype(object) == roster.role).to_numpy(dtype=bool, na_value=False)
    if not role.any():
        return []
    start, end = np.datetime64(period.start, "ns"), np.datetime64(period.end, "ns")
    active = role & ~staff.bad_mask(ROSTER_COLUMNS) & frame["name"].notna().to_numpy()
    for column, in_period in (("from", lambda d: d < end), ("to", lambda d: d >= start)):
        if column in frame.columns and column not in staff.missing_columns:
            dates = frame[column].to_numpy(dtype="datetime64[ns]")
            active &= np.isnat(dates) | in_period(dates)
    fte = np.ones(len(frame))
    if "fte" in frame.columns and "fte" not in staff.missing_columns:
        given = frame["fte"].to_numpy(dtype="float64", na_value=np.nan)
        fte = np.where(np.isnan(given), 1.0, given)
    result.denominator = sequential_sum(fte[active])
    result.denominator_label = ROSTER_LABELS[roster.role]
    if not result.denominator:
        result.reason = Reason(f"roster_no_{roster.role}", period=period.label)
    result.value, result.status = None, "no_data"
    finish_result(result, result.target is not None)
    on_roster = {(store, name) for store, name, _ in _people(frame, "name", active).itertuples(index=False)}
    data = sheet.frame
    mask = rows & data[roster.column].notna().to_numpy()
    first = _people(data, roster.column, mask)
    issues = []
    for store, name, pos in first.itertuples(index=False):
        if (store, name) in on_roster or ("", name) in on_roster:
            continue
        issues.append(
            DataIssue(
                "warning",
                "not_on_roster",
                f"{roster.role} {name!r} is on {compiled.definition.sheet} records of {period.label} but not "
                f"on the staff roster for it: the records count, the person is not in the headcount",
                sheet=sheet.name,
                file=sheet.file_at(int(pos)),
                row=int(sheet.row_numbers[pos]),
                column=roster.column,
                value=name,
            )
        )
    return issues


def _people(frame: pd.DataFrame, column: str, mask: np.ndarray) -> pd.DataFrame:
    """(store, name, first position) of each distinct person in the masked rows, vectorised."""
    positions = np.flatnonzero(mask)
    people = pd.DataFrame(
        {
            "store": frame["store"].iloc[positions].astype("string").fillna("").to_numpy(dtype=object)
            if "store" in frame.columns
            else "",
            "name": frame[column].iloc[positions].astype("string").str.strip().to_numpy(dtype=object),
            "pos": positions,
        }
    )
    return people.drop_duplicates(["store", "name"])
