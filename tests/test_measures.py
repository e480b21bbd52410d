"""The measures registry: a measure is one entry of `measures.MEASURES`, and the engine,
breakdowns, drill-down and `explain` all take it from there.

A throwaway measure (`count_present: COLUMN`, the records with a value in the column) is
registered by a fixture and removed after: a KPI using it computes, breaks down by advisor
and is explained, with nothing else changed; its figures are those of the same KPI written
with the shipped measures (`count: rows` where the column is not null)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi import api
from sdkpi.breakdown import breakdown
from sdkpi.dataset import SheetData
from sdkpi.definitions import load_definitions
from sdkpi.errors import DefinitionError
from sdkpi.explain import explain
from sdkpi.expr import Node
from sdkpi.frame import Frame
from sdkpi.measures import MEASURES, Measure, Part

STORE_A = CONFORMANCE / "store-a"

DEFINITIONS = """
version: 1
stages:
  - id: appointment
    name: {zh: 预约, en: Appointment}
kpis:
  - id: present
    name: {zh: 有预约号, en: With an appointment id}
    stage: appointment
    sheet: work_orders
    period: opened_at
    numerator: {count_present: appointment_id}
    denominator: {count: rows}
    target: "> 50%"
  - id: shipped
    name: {zh: 有预约号, en: With an appointment id}
    stage: appointment
    sheet: work_orders
    period: opened_at
    numerator: {count: rows, where: "appointment_id is not null"}
    denominator: {count: rows}
    target: "> 50%"
"""


def _count_present(
    column: str | None, where_all: Node | None, rows: np.ndarray, frame: Frame
) -> tuple[int, np.ndarray]:
    assert column is not None
    kept = rows & ~np.asarray(frame.column(column).null, dtype=bool)
    return int(kept.sum()), kept


def _count_present_part(column: str | None, sheet: SheetData) -> Part:
    assert column is not None
    present = sheet.frame[column].notna().to_numpy()
    return lambda positions: int(present[positions].sum())


@pytest.fixture
def count_present(monkeypatch: pytest.MonkeyPatch) -> Iterator[Measure]:
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    measure = Measure(
        "count_present",
        "column",
        0,
        _count_present,
        _count_present_part,
        {"en": "the number of {what} with a {column}", "zh": "{what}中有{column}的条数"},
    )
    MEASURES[measure.name] = measure
    yield measure
    del MEASURES[measure.name]


@pytest.fixture
def definitions_file(tmp_path: Path) -> Path:
    path = tmp_path / "kpis.yaml"
    path.write_text(DEFINITIONS, encoding="utf-8")
    return path


def test_the_shipped_measures() -> None:
    assert list(MEASURES) == ["count", "sum", "count_distinct"]
    assert [MEASURES[m].zero for m in MEASURES] == [0, 0.0, 0]
    assert [type(MEASURES[m].zero) for m in MEASURES] == [int, float, int]
    assert [m for m in MEASURES if not MEASURES[m].additive] == ["count_distinct"]
    assert [m for m in MEASURES if MEASURES[m].sums] == ["sum"]
    for measure in MEASURES.values():
        assert set(measure.words) == {"en", "zh"}
        assert measure.sql is None  # room for an SQL rendering, not built yet


def test_an_unregistered_measure_is_refused(definitions_file: Path) -> None:
    with pytest.raises(DefinitionError, match="count_present: Extra inputs are not permitted"):
        load_definitions(definitions_file)


def test_a_new_measure_computes(count_present: Measure, definitions_file: Path) -> None:
    definitions = load_definitions(definitions_file)
    assert definitions.kpi("present").numerator.measure == "count_present"
    assert definitions.kpi("present").numerator.column == "appointment_id"
    assert "appointment_id" in definitions.compiled["present"].columns
    for month in ("2024-04", "2024-05", "2024-06"):
        result = api.compute(STORE_A, month=month, definitions=definitions_file, today=TODAY, cache=False)
        present, shipped = result.kpis
        assert present.numerator > 0
        assert (present.numerator, present.denominator, present.value, present.status) == (
            shipped.numerator,
            shipped.denominator,
            shipped.value,
            shipped.status,
        )


def test_a_new_measure_breaks_down_by_advisor(count_present: Measure, definitions_file: Path) -> None:
    result = breakdown(STORE_A, "advisor", month="2024-05", definitions=definitions_file, today=TODAY)
    present, shipped = result.kpis
    assert present.reason is None and not present.distinct
    assert len(present.groups) > 1
    assert [g.to_dict() for g in present.groups] == [g.to_dict() for g in shipped.groups]
    assert sum(g.numerator for g in present.groups) == present.total.numerator  # type: ignore[union-attr]


def test_a_new_measure_is_explained(count_present: Measure, definitions_file: Path) -> None:
    explanation = explain(STORE_A, "present", month="2024-05", definitions=definitions_file, today=TODAY)
    numerator = explanation.definition[1]
    assert numerator.startswith("Numerator (): the number of the denominator's records with a "), numerator
    zh = explain(STORE_A, "present", month="2024-05", definitions=definitions_file, today=TODAY, lang="zh")
    assert zh.definition[1].startswith("分子()：分母记录中有") and zh.definition[1].endswith("的条数。"), (
        zh.definition
    )
    shipped = explain(STORE_A, "shipped", month="2024-05", definitions=definitions_file, today=TODAY)
    assert explanation.records is not None and shipped.records is not None
    assert [r.row for r in explanation.records.rows] == [r.row for r in shipped.records.rows]
    assert explanation.records.total == shipped.records.total > 0
