"""Every catalog KPI on hand-built rows, at its exact boundaries.

Each test builds the few rows that decide a boundary and checks numerator,
denominator and value against the catalog's reading (kpi-catalog.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import evaluate
from sdkpi.definitions import Definitions


def wo(ro: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ro_number": ro,
        "opened_at": "2024-05-10 09:00",
        "customer_type": "retail",
        "advisor": "SA01",
        "promised_at": "2024-05-10 17:00",
    }
    row.update(fields)
    return row


def counts(ev: Any) -> tuple[Any, Any, Any]:
    r = ev.result
    return r.numerator, r.denominator, r.value


# --------------------------------------------------------------------------- work orders


def test_appointment_rate_excludes_internal_and_counts_appointments(definitions: Definitions) -> None:
    rows = [
        wo("R1", appointment_id="AP1"),
        wo("R2"),
        wo("R3", appointment_id="AP3", customer_type="internal"),
        wo("R4", customer_type="warranty", appointment_id="AP4"),
    ]
    ev = evaluate(definitions, "appointment_rate", work_orders=rows)
    assert counts(ev) == (2, 3, pytest.approx(2 / 3))
    assert ev.result.excluded[0]["count"] == 1
    assert ev.result.status == "met"  # 66.7% > 50%


def test_appointment_rate_exactly_50_percent_misses(definitions: Definitions) -> None:
    rows = [wo("R1", appointment_id="AP1"), wo("R2")]
    ev = evaluate(definitions, "appointment_rate", work_orders=rows)
    assert ev.result.value == 0.5
    assert ev.result.status == "missed"  # the target is > 50%, read literally


def test_period_boundaries_midnight_of_the_first_belongs_to_the_month(definitions: Definitions) -> None:
    rows = [
        wo("R1", opened_at="2024-05-01 00:00"),
        wo("R2", opened_at="2024-05-31 23:59:59"),
        wo("R3", opened_at="2024-06-01 00:00"),
        wo("R4", opened_at="2024-04-30 23:59:59"),
        wo("R5", opened_at=None),
    ]
    ev = evaluate(definitions, "menu_pricing_rate", work_orders=rows)
    assert ev.result.denominator == 2


@pytest.mark.parametrize(
    ("flag", "kpi"),
    [
        ("menu_priced", "menu_pricing_rate"),
        ("parts_prepicked_on_time", "parts_prepick_rate"),
        ("delivery_explained", "delivery_explanation_rate"),
    ],
)
def test_flag_rates_empty_flag_fails_but_stays_in_denominator(
    definitions: Definitions, flag: str, kpi: str
) -> None:
    rows = [wo("R1", **{flag: True}), wo("R2", **{flag: False}), wo("R3", **{flag: None})]
    ev = evaluate(definitions, kpi, work_orders=rows)
    assert counts(ev) == (1, 3, pytest.approx(1 / 3))


def test_inspection_form_rate_only_over_pre_inspected(definitions: Definitions) -> None:
    rows = [
        wo("R1", pre_inspected=True, pre_inspection_form=True),
        wo("R2", pre_inspected=True, pre_inspection_form=False),
        wo("R3", pre_inspected=False, pre_inspection_form=True),
        wo("R4", pre_inspected=None, pre_inspection_form=True),
    ]
    ev = evaluate(definitions, "inspection_form_rate", work_orders=rows)
    assert counts(ev) == (1, 2, 0.5)


def test_inspection_form_rate_target_is_exactly_100_percent(definitions: Definitions) -> None:
    rows = [wo(f"R{i}", pre_inspected=True, pre_inspection_form=True) for i in range(3)]
    ev = evaluate(definitions, "inspection_form_rate", work_orders=rows)
    assert ev.result.value == 1.0
    assert ev.result.status == "met"


def test_walkaround_rate_includes_internal_orders(definitions: Definitions) -> None:
    """The guide excludes internal customers from the appointment rate only (不含内部客户)."""
    rows = [
        wo("R1", walkaround=True),
        wo("R2", walkaround=False),
        wo("R3", walkaround=True, customer_type="internal"),
        wo("R4", walkaround=False, customer_type="insurance"),
    ]
    ev = evaluate(definitions, "walkaround_rate", work_orders=rows)
    assert counts(ev) == (2, 4, 0.5)
    assert ev.result.excluded == []


def test_first_time_fix_comeback_in_a_later_month_changes_the_earlier_month(definitions: Definitions) -> None:
    rows = [
        wo("R1", opened_at="2024-05-30 10:00"),
        wo("R2", opened_at="2024-05-12 10:00"),
        wo("R3", opened_at="2024-06-02 10:00", comeback_of="R1"),
        wo("R4", opened_at="2024-05-20 10:00", comeback_of="R4"),  # names itself: not a comeback
    ]
    may = evaluate(definitions, "first_time_fix_rate", work_orders=rows)
    assert counts(may) == (2, 3, pytest.approx(2 / 3))
    failing = may.sheet.frame["ro_number"][may.failing].tolist()  # type: ignore[union-attr,index]
    assert failing == ["R1"]
    june = evaluate(definitions, "first_time_fix_rate", month="2024-06", work_orders=rows)
    assert counts(june) == (1, 1, 1.0)


def test_first_time_fix_is_provisional_until_the_window_passed(definitions: Definitions) -> None:
    from datetime import date

    from conftest import dataset
    from sdkpi.engine import Engine
    from sdkpi.results import Period

    engine = Engine(definitions, dataset(work_orders=[wo("R1")]))
    recent = engine.evaluate("first_time_fix_rate", Period.month("2024-05"), today=date(2024, 6, 15))
    assert recent.result.provisional_until == date(2024, 7, 1)
    settled = engine.evaluate("first_time_fix_rate", Period.month("2024-05"), today=date(2024, 7, 2))
    assert settled.result.provisional_until is None


def test_on_time_completion_exactly_30_minutes_before_counts(definitions: Definitions) -> None:
    rows = [
        wo("R1", promised_at="2024-05-10 17:00", work_completed_at="2024-05-10 16:30"),  # exactly 30 min
        wo("R2", promised_at="2024-05-10 17:00", work_completed_at="2024-05-10 16:31"),  # 29 min
        wo("R3", promised_at="2024-05-10 17:00", work_completed_at="2024-05-09 12:00"),
        wo("R4", promised_at="2024-05-10 17:00", work_completed_at=None),
        wo("R5", promised_at=None, work_completed_at="2024-05-10 12:00"),
    ]
    ev = evaluate(definitions, "on_time_completion_rate", work_orders=rows)
    assert counts(ev) == (2, 5, 0.4)


def test_invoice_timeliness_exactly_at_promise_counts(definitions: Definitions) -> None:
    rows = [
        wo("R1", promised_at="2024-05-10 17:00", invoiced_at="2024-05-10 17:00"),
        wo("R2", promised_at="2024-05-10 17:00", invoiced_at="2024-05-10 17:01"),
        wo("R3", promised_at="2024-05-10 17:00", invoiced_at=None),
    ]
    ev = evaluate(definitions, "invoice_timeliness_rate", work_orders=rows)
    assert counts(ev) == (1, 3, pytest.approx(1 / 3))


def test_per_ro_kpis_count_closed_orders_in_the_closing_month(definitions: Definitions) -> None:
    rows = [
        wo("R1", closed_at="2024-05-10 18:00", labor_hours_sold=2.0, parts_amount=150.0, advisor="SA01"),
        wo("R2", closed_at="2024-05-31 23:59", labor_hours_sold=3.5, parts_amount=None, advisor="SA02"),
        wo("R3", closed_at="2024-05-20 10:00", labor_hours_sold=None, parts_amount=50.0, advisor="SA01"),
        wo(
            "R4",
            opened_at="2024-04-28 10:00",
            closed_at="2024-05-02 10:00",
            labor_hours_sold=1.0,
            advisor="SA03",
        ),
        wo("R5", closed_at=None, labor_hours_sold=9.0, parts_amount=900.0),
        wo("R6", closed_at="2024-06-01 00:00", labor_hours_sold=9.0),
    ]
    hours = evaluate(definitions, "hours_per_ro", work_orders=rows)
    assert counts(hours) == (6.5, 4, 1.625)
    assert hours.result.status == "reference"  # (2.5) is a reference value: never met/missed
    parts = evaluate(definitions, "parts_sales_per_ro", work_orders=rows)
    assert counts(parts) == (200.0, 4, 50.0)
    per_advisor = evaluate(definitions, "parts_sales_per_advisor", work_orders=rows)
    assert counts(per_advisor) == (200.0, 3, pytest.approx(200 / 3))
    assert per_advisor.result.status == "no_target"


@pytest.mark.parametrize(("hours", "amount"), [(2.5, 100), (0.1, 1), (99.0, 99_999)])
def test_reference_values_are_never_judged(definitions: Definitions, hours: float, amount: float) -> None:
    """The guide's (2.5) and ($100) carry no comparison sign: shown, never met or missed."""
    rows = [wo("R1", closed_at="2024-05-10", labor_hours_sold=hours, parts_amount=amount)]
    per_hours = evaluate(definitions, "hours_per_ro", work_orders=rows).result
    per_parts = evaluate(definitions, "parts_sales_per_ro", work_orders=rows).result
    assert (per_hours.status, per_parts.status) == ("reference", "reference")
    assert per_hours.target is not None and per_hours.target.value == 2.5
    assert per_parts.target is not None and (per_parts.target.value, per_parts.target.currency) == (
        100,
        "USD",
    )
    assert per_parts.value == amount  # the value itself is shown as always


# --------------------------------------------------------------------------- appointments


def ap(i: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "appointment_id": f"AP{i}",
        "booked_at": "2024-05-08 09:00",
        "appointment_time": "2024-05-10 09:00",
    }
    row.update(fields)
    return row


def test_reminder_rate_boundaries(definitions: Definitions) -> None:
    rows = [
        ap(
            1, booked_at="2024-05-09 09:00", reminded_at="2024-05-09 21:00"
        ),  # booked exactly 24 h, reminded 12 h
        ap(2, reminded_at="2024-05-09 09:00"),  # reminded exactly 24 h before
        ap(3, reminded_at="2024-05-09 21:01"),  # 11 h 59 min before: too late
        ap(4, reminded_at="2024-05-09 08:59"),  # 24 h 1 min before: too early
        ap(5, reminded_at=None),
        ap(6, booked_at="2024-05-09 09:01", reminded_at="2024-05-09 21:00"),  # booked < 24 h ahead
    ]
    ev = evaluate(definitions, "reminder_rate", appointments=rows)
    assert counts(ev) == (2, 5, 0.4)


def test_punctuality_boundaries_and_no_shows(definitions: Definitions) -> None:
    rows = [
        ap(1, arrived_at="2024-05-10 08:55"),  # exactly 5 min early
        ap(2, arrived_at="2024-05-10 09:00"),  # exactly on time
        ap(3, arrived_at="2024-05-10 08:54"),  # 6 min early
        ap(4, arrived_at="2024-05-10 09:01"),  # late
        ap(5, arrived_at=None),  # no-show
    ]
    ev = evaluate(definitions, "punctuality_rate", appointments=rows)
    assert counts(ev) == (2, 5, 0.4)


# --------------------------------------------------------------------------- parts, callbacks, issues


def test_parts_fill_rate_has_no_target(definitions: Definitions) -> None:
    rows = [
        {"request_id": "P1", "part_number": "A", "requested_at": "2024-05-02", "filled_immediately": True},
        {"request_id": "P1", "part_number": "B", "requested_at": "2024-05-02", "filled_immediately": False},
    ]
    ev = evaluate(definitions, "parts_fill_rate", parts_requests=rows)
    assert counts(ev) == (1, 2, 0.5)
    assert ev.result.status == "no_target"


def cb(i: int, result: str, satisfied: bool | None = None) -> dict[str, Any]:
    return {"callback_id": f"C{i}", "due_at": "2024-05-05", "result": result, "satisfied": satisfied}


def test_callback_and_satisfaction_rates(definitions: Definitions) -> None:
    rows = [
        cb(1, "reached", True),
        cb(2, "reached", False),
        cb(3, "reached", None),
        cb(4, "voicemail", True),
        cb(5, "letter"),
        cb(6, "no_answer"),
        cb(7, "refused"),
    ]
    assert counts(evaluate(definitions, "callback_rate", callbacks=rows)) == (3, 7, pytest.approx(3 / 7))
    satisfaction = evaluate(definitions, "satisfaction_rate", callbacks=rows)
    # the blank on a reached call is "not asked": left out and reported, never dissatisfied
    assert counts(satisfaction) == (1, 2, 0.5)
    assert [e["count"] for e in satisfaction.result.excluded] == [1]
    assert satisfaction.result.status == "missed"  # must be 100%


def test_satisfaction_a_blank_does_not_fail_a_100_percent_target(definitions: Definitions) -> None:
    rows = [cb(1, "reached", True), cb(2, "reached", None), cb(3, "no_answer", None), cb(4, "reached", True)]
    ev = evaluate(definitions, "satisfaction_rate", callbacks=rows)
    assert counts(ev) == (2, 2, 1.0)
    assert ev.result.status == "met"
    assert ev.result.excluded[0]["count"] == 1  # only the reached call with a blank
    assert "not asked" in ev.result.excluded[0]["reason"]["en"]


def issue(issue_id: str, resolved: bool | None, raised_at: str = "2024-05-03") -> dict[str, Any]:
    return {"issue_id": issue_id, "raised_at": raised_at, "resolved": resolved}


def test_problem_resolution_counts_a_problem_once_and_only_when_every_fault_is_fixed(
    definitions: Definitions,
) -> None:
    rows = [
        issue("I1", True),
        issue("I1", True),
        issue("I2", True),
        issue("I2", False),
        issue("I3", True),
        issue("I4", None),
        issue("I5", True, raised_at="2024-06-01"),
    ]
    ev = evaluate(definitions, "problem_resolution_rate", customer_issues=rows)
    assert counts(ev) == (2, 4, 0.5)


# --------------------------------------------------------------------------- technician time


def tt(day: str, available: float | None, clocked: float | None, sold: float | None) -> dict[str, Any]:
    return {
        "date": day,
        "technician": "T1",
        "available_hours": available,
        "clocked_hours": clocked,
        "sold_hours": sold,
    }


def test_hour_ratios_are_ratios_of_sums_not_averages(definitions: Definitions) -> None:
    rows = [tt("2024-05-02", 8, 8, 4), tt("2024-05-03", 2, 1, 1), tt("2024-06-01", 8, 8, 8)]
    utilization = evaluate(definitions, "utilization", technician_time=rows)
    assert counts(utilization) == (9.0, 10.0, 0.9)  # not (1.0 + 0.5) / 2
    efficiency = evaluate(definitions, "efficiency", technician_time=rows)
    assert counts(efficiency) == (5.0, 9.0, pytest.approx(5 / 9))
    index = evaluate(definitions, "performance_index", technician_time=rows)
    assert index.result.value == pytest.approx(utilization.result.value * efficiency.result.value)


def test_empty_hours_add_nothing(definitions: Definitions) -> None:
    rows = [tt("2024-05-02", 8, None, 4), tt("2024-05-03", 8, 6, None)]
    ev = evaluate(definitions, "utilization", technician_time=rows)
    assert counts(ev) == (6.0, 16.0, 0.375)


def test_zero_available_hours_is_no_data(definitions: Definitions) -> None:
    ev = evaluate(definitions, "utilization", technician_time=[tt("2024-05-02", 0, 0, 0)])
    assert ev.result.value is None and ev.result.status == "no_data"


# --------------------------------------------------------------------------- sales, suggestions


def car(i: int, delivered: str, introduced: bool | None, contact: str | None) -> dict[str, Any]:
    return {
        "vin": f"V{i}",
        "delivered_at": delivered,
        "introduced_to_service": introduced,
        "first_service_contact_at": contact,
    }


def test_sales_handover_and_dcrc_90_day_boundary(definitions: Definitions) -> None:
    rows = [
        car(1, "2024-05-10 12:00", True, "2024-08-08 12:00"),  # exactly 90 days
        car(2, "2024-05-10 12:00", True, "2024-08-08 23:59"),  # day 90, late: calendar days count whole
        car(3, "2024-05-10 12:00", False, "2024-05-10 12:00"),  # at hand-over
        car(4, "2024-05-10 12:00", None, "2024-05-09 12:00"),  # before delivery
        car(5, "2024-05-10 12:00", True, None),
        car(6, "2024-05-10 12:00", True, "2024-08-09 00:00"),  # day 91
    ]
    handover = evaluate(definitions, "sales_handover_rate", vehicle_sales=rows)
    assert counts(handover) == (4, 6, pytest.approx(4 / 6))
    dcrc = evaluate(definitions, "dcrc_contact_rate", vehicle_sales=rows)
    assert counts(dcrc) == (3, 6, 0.5)


def test_dcrc_date_only_delivery_contacted_on_day_90_at_ten_counts(definitions: Definitions) -> None:
    rows = [
        car(1, "2024-05-10", True, "2024-08-08 10:00"),  # day 90 at 10:00: counts (calendar days)
        car(2, "2024-05-10", True, "2024-08-09 00:00"),  # day 91: does not
        car(3, "2024-05-10", True, "2024-05-10 00:00"),  # day 0
    ]
    dcrc = evaluate(definitions, "dcrc_contact_rate", vehicle_sales=rows)
    assert counts(dcrc) == (2, 3, pytest.approx(2 / 3))


def test_suggestion_implementation_over_should_implement(definitions: Definitions) -> None:
    rows = [
        {"suggestion_id": "S1", "reviewed_at": "2024-05-06", "should_implement": True, "implemented": True},
        {"suggestion_id": "S2", "reviewed_at": "2024-05-13", "should_implement": True, "implemented": False},
        {"suggestion_id": "S3", "reviewed_at": "2024-05-13", "should_implement": False, "implemented": True},
        {"suggestion_id": "S4", "reviewed_at": "2024-05-20", "should_implement": True, "implemented": None},
    ]
    ev = evaluate(definitions, "suggestion_implementation_rate", suggestions=rows)
    assert counts(ev) == (1, 3, pytest.approx(1 / 3))


def test_a_suggestion_counts_once_at_its_latest_review_in_the_period(definitions: Definitions) -> None:
    def review(sid: str, day: str, should: bool, done: bool) -> dict[str, Any]:
        return {"suggestion_id": sid, "reviewed_at": day, "should_implement": should, "implemented": done}

    rows = [
        review("S1", "2024-05-06", True, False),
        review("S1", "2024-05-13", True, False),
        review("S1", "2024-05-20", True, False),
        review("S1", "2024-05-27", True, True),  # latest in May: done
        review("S1", "2024-06-03", True, True),  # June's
        review("S2", "2024-05-27", True, False),
        review("S2", "2024-05-06", True, True),  # earlier, though later in the file
        review("S3", "2024-05-13", True, True),
        review("S3", "2024-05-20", False, False),  # latest: should no longer be done
    ]
    ev = evaluate(definitions, "suggestion_implementation_rate", suggestions=rows)
    assert counts(ev) == (1, 2, 0.5)  # S1 done, S2 not; S3 out (latest review: not to do)
    assert ev.result.excluded[-1]["count"] == 5  # S1 x3, S2 x1, S3 x1 earlier reviews
    june = evaluate(definitions, "suggestion_implementation_rate", month="2024-06", suggestions=rows)
    assert counts(june) == (1, 1, 1.0)


# --------------------------------------------------------------------------- no data


def test_missing_sheet_is_no_data_with_reason(definitions: Definitions) -> None:
    ev = evaluate(definitions, "callback_rate", work_orders=[wo("R1")])
    assert ev.result.status == "no_data"
    assert ev.result.value is None
    assert ev.result.reason == "sheet missing"


def test_empty_month_is_no_data_never_zero(definitions: Definitions) -> None:
    ev = evaluate(definitions, "menu_pricing_rate", month="2024-07", work_orders=[wo("R1", menu_priced=True)])
    assert (ev.result.numerator, ev.result.denominator, ev.result.value) == (0, 0, None)
    assert ev.result.status == "no_data"


def test_bad_value_leaves_only_kpis_that_read_the_column(definitions: Definitions) -> None:
    from conftest import dataset
    from sdkpi.engine import Engine
    from sdkpi.results import Period

    data = dataset(work_orders=[wo("R1", menu_priced=True, walkaround=True), wo("R2", menu_priced=True)])
    import numpy as np

    data.sheets["work_orders"].bad["walkaround"] = np.array([False, True])
    engine = Engine(definitions, data)
    walk = engine.evaluate("walkaround_rate", Period.month("2024-05")).result
    menu = engine.evaluate("menu_pricing_rate", Period.month("2024-05")).result
    assert (walk.numerator, walk.denominator, walk.rows_unusable) == (1, 1, 1)
    assert (menu.numerator, menu.denominator, menu.rows_unusable) == (2, 2, 0)
