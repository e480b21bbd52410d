"""Breakdowns: group parts add up to the total (count and sum KPIs), ratios come from summed
parts, distinct counts are per group, and a sheet without the column says so."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CONFORMANCE, TODAY, dataset
from sdkpi.api import load_data
from sdkpi.breakdown import breakdown, breakdown_all
from sdkpi.definitions import Definitions
from sdkpi.engine import Engine
from sdkpi.errors import UsageError
from sdkpi.results import Period

STORE_A = CONFORMANCE / "store-a"
MAY = Period.month("2024-05")


@pytest.fixture(scope="module")
def store_a(definitions: Definitions) -> Engine:
    return Engine(definitions, load_data(STORE_A))


@pytest.mark.parametrize("by", ["advisor", "technician", "customer_type"])
@pytest.mark.parametrize("month", ["2024-04", "2024-05", "2024-06"])
def test_group_parts_add_up_to_the_total(store_a: Engine, by: str, month: str) -> None:
    result = breakdown_all(store_a, Period.month(month), by, today=TODAY)
    headline = {k.id: k for k in store_a.compute(Period.month(month), today=TODAY).kpis}
    checked = 0
    for kpi in result.kpis:
        assert kpi.total is not None
        assert (kpi.total.numerator, kpi.total.denominator) == (
            headline[kpi.kpi.id].numerator,
            headline[kpi.kpi.id].denominator,
        )
        if kpi.reason or kpi.distinct:
            continue
        numerators = [g.numerator for g in kpi.groups]
        denominators = [g.denominator for g in kpi.groups]
        for parts, total in ((numerators, kpi.total.numerator), (denominators, kpi.total.denominator)):
            if isinstance(total, int):  # counts: exactly
                assert sum(parts) == total, kpi.kpi.id
            else:  # sums of decimals: the same figures added in another order, to float precision
                assert sum(parts) == pytest.approx(total, rel=1e-12), kpi.kpi.id
        for group in kpi.groups:
            expected = group.numerator / group.denominator if group.denominator else None
            assert group.value == expected
        checked += 1
    assert checked >= 10


def test_total_is_summed_parts_not_an_average_of_ratios(definitions: Definitions) -> None:
    rows = [_order(f"R{i}", "A", appointment_id="AP") for i in range(3)]  # A: 3 of 3
    rows += [_order(f"S{i}", "B", appointment_id="AP" if i == 0 else None) for i in range(9)]  # B: 1 of 9
    kpi = _breakdown(definitions, "appointment_rate", "advisor", work_orders=rows)
    assert [(g.group, g.value) for g in kpi.groups] == [("A", 1.0), ("B", 1 / 9)]
    assert kpi.total is not None and kpi.total.value == 4 / 12  # not (1 + 1/9) / 2
    assert [g.status for g in kpi.groups] == ["met", "missed"]


def test_rows_with_an_empty_group_cell_form_their_own_group(definitions: Definitions) -> None:
    rows = [_order("R1", "A", technician="T1"), _order("R2", "A", technician=None)]
    kpi = _breakdown(definitions, "appointment_rate", "technician", work_orders=rows)
    assert sorted(str(g.group) for g in kpi.groups) == ["None", "T1"]
    assert sum(g.denominator for g in kpi.groups) == 2


def test_distinct_counts_per_group_need_not_add_up(definitions: Definitions) -> None:
    rows = [
        _order("R1", "SA01", customer_type="retail", closed_at="2024-05-03", parts_amount=100),
        _order("R2", "SA01", customer_type="warranty", closed_at="2024-05-03", parts_amount=50),
        _order("R3", "SA02", customer_type="retail", closed_at="2024-05-03", parts_amount=30),
    ]
    kpi = _breakdown(definitions, "parts_sales_per_advisor", "customer_type", work_orders=rows)
    assert kpi.distinct
    assert {g.group: g.denominator for g in kpi.groups} == {"retail": 2, "warranty": 1}
    assert kpi.total is not None and kpi.total.denominator == 2  # SA01 counts once in the total
    assert sum(g.numerator for g in kpi.groups) == kpi.total.numerator == 180


def test_a_sheet_without_the_column_says_so(definitions: Definitions) -> None:
    engine = Engine(definitions, dataset(work_orders=[_order("R1", "A")]))
    result = breakdown_all(engine, MAY, "advisor", ["callback_rate", "appointment_rate"], TODAY)
    assert result.kpi("callback_rate").reason == "sheet missing"
    result = breakdown(STORE_A, "advisor", month="2024-05", kpis=["utilization"])
    assert result.kpi("utilization").reason == "the technician_time sheet has no advisor column"
    result = breakdown(STORE_A, "store", month="2024-05", kpis=["appointment_rate"])
    assert result.kpi("appointment_rate").reason == "the work_orders sheet has no store column"


def test_unknown_column_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError, match="did you mean 'advisor'"):
        breakdown(STORE_A, "advisr", month="2024-05")


def test_json_shape_round_trips(definitions: Definitions) -> None:
    result = breakdown(STORE_A, "advisor", month="2024-05", kpis=["on_time_completion_rate"])
    payload = result.to_dict()
    assert payload["by"] == "advisor" and payload["period"] == {"start": "2024-05-01", "end": "2024-06-01"}
    entry = payload["kpis"][0]
    assert entry["total"]["denominator"] == sum(g["denominator"] for g in entry["groups"])
    values = [g["value"] for g in entry["groups"]]
    assert values == sorted(values, reverse=True)  # best first


def _order(ro: str, advisor: str, **values: Any) -> dict[str, Any]:
    row = {
        "ro_number": ro,
        "opened_at": "2024-05-02 09:00",
        "customer_type": "retail",
        "advisor": advisor,
        "promised_at": "2024-05-02 17:00",
    }
    row.update(values)
    return row


def _breakdown(definitions: Definitions, kpi_id: str, by: str, **sheets: Any) -> Any:
    engine = Engine(definitions, dataset(**sheets))
    return breakdown_all(engine, MAY, by, [kpi_id], TODAY).kpis[0]


ADVISORS = st.sampled_from(["SA01", "SA02", None])
MOMENTS = st.sampled_from(
    ["2024-04-30 23:59", "2024-05-01 00:00", "2024-05-15 10:00", "2024-05-31 23:59", None]
)


@st.composite
def random_orders(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(0, 15))):
        row = _order(f"R{i}", draw(ADVISORS), opened_at=draw(MOMENTS) or "2024-05-02 09:00")
        row.update(
            store=draw(st.sampled_from(["north", "south"])),
            customer_type=draw(st.sampled_from(["retail", "warranty", "internal"])),
            appointment_id=draw(st.sampled_from(["AP", None])),
            work_completed_at=draw(MOMENTS),
            walkaround=draw(st.sampled_from([True, False, None])),
            closed_at=draw(MOMENTS),
            labor_hours_sold=draw(st.sampled_from([None, 0.5, 1.25, 3.0])),
            comeback_of=draw(st.sampled_from([None, "R0", "R1"])),
        )
        rows.append(row)
    return rows


@settings(max_examples=60, deadline=None)
@given(rows=random_orders(), by=st.sampled_from(["advisor", "store", "customer_type"]))
def test_random_orders_parts_add_up(definitions: Definitions, rows: list[dict[str, Any]], by: str) -> None:
    engine = Engine(definitions, dataset(work_orders=rows))
    for kpi in breakdown_all(engine, MAY, by, today=TODAY).kpis:
        if kpi.reason or kpi.distinct or kpi.kpi.sheet != "work_orders":
            continue
        assert kpi.total is not None
        assert sum(g.denominator for g in kpi.groups) == pytest.approx(kpi.total.denominator, rel=1e-12)
        assert sum(g.numerator for g in kpi.groups) == pytest.approx(kpi.total.numerator, rel=1e-12)
        if isinstance(kpi.total.denominator, int):
            assert sum(g.denominator for g in kpi.groups) == kpi.total.denominator
