"""The official test vectors: store A, three months, every KPI, through the loaders."""

from __future__ import annotations

import json

import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute

MONTHS = ["2024-04", "2024-05", "2024-06"]


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, object]]:
    return {
        month: {k.id: k for k in compute(CONFORMANCE / "store-a", month=month, today=TODAY).kpis}
        for month in MONTHS
    }


def _cases() -> list[tuple[str, str]]:
    cases = []
    for month in MONTHS:
        expected = json.loads((CONFORMANCE / f"expected-store-a-{month}.json").read_text(encoding="utf-8"))
        cases += [(month, kpi_id) for kpi_id in expected]
    return cases


@pytest.mark.parametrize(("month", "kpi_id"), _cases())
def test_kpi_matches_the_catalog(results: dict[str, dict[str, object]], month: str, kpi_id: str) -> None:
    expected = json.loads((CONFORMANCE / f"expected-store-a-{month}.json").read_text(encoding="utf-8"))[
        kpi_id
    ]
    got = results[month][kpi_id]
    assert got.numerator == pytest.approx(expected["numerator"], rel=1e-12, abs=1e-9)  # type: ignore[attr-defined]
    assert got.denominator == pytest.approx(expected["denominator"], rel=1e-12)  # type: ignore[attr-defined]
    if expected["value"] is None:
        assert got.value is None  # type: ignore[attr-defined]
    else:
        assert got.value == pytest.approx(expected["value"], rel=1e-12)  # type: ignore[attr-defined]


def test_every_catalog_kpi_has_a_vector() -> None:
    expected = json.loads((CONFORMANCE / "expected-store-a-2024-05.json").read_text(encoding="utf-8"))
    assert len(expected) == 24
