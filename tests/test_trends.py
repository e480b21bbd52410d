"""Trends: periods, series equal to month-by-month computes, changes and sparklines."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute
from sdkpi.errors import UsageError
from sdkpi.results import Period
from sdkpi.trends import sparkline, split_period, trend, trend_periods

STORE_A = CONFORMANCE / "store-a"


def test_last_n_months_end_with_the_given_month() -> None:
    periods = trend_periods(last=3, month="2024-02")
    assert [p.label for p in periods] == ["2023-12", "2024-01", "2024-02"]


def test_last_n_weeks_are_monday_to_sunday() -> None:
    periods = trend_periods(last=2, month="2024-05", every="week")
    assert [(p.start, p.end) for p in periods] == [
        (date(2024, 5, 20), date(2024, 5, 27)),
        (date(2024, 5, 27), date(2024, 6, 3)),
    ]
    assert all(p.start.weekday() == 0 for p in periods)


def test_from_to_is_split_and_clipped() -> None:
    periods = trend_periods(start="2024-04-15", end="2024-06-10")
    assert [(p.start, p.end) for p in periods] == [
        (date(2024, 4, 15), date(2024, 5, 1)),
        (date(2024, 5, 1), date(2024, 6, 1)),
        (date(2024, 6, 1), date(2024, 6, 11)),
    ]
    weeks = split_period(Period(date(2024, 5, 1), date(2024, 5, 15)), "week")
    assert weeks[0] == Period(date(2024, 5, 1), date(2024, 5, 6)) and weeks[-1].end == date(2024, 5, 15)


@pytest.mark.parametrize(
    "kwargs",
    [{"last": 3}, {"last": 0, "month": "2024-05"}, {"last": 2, "month": "2024-05", "start": "2024-01-01"}],
)
def test_bad_period_options_are_usage_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        trend_periods(**kwargs)  # type: ignore[arg-type]


def test_series_equals_each_month_computed_alone() -> None:
    result = trend(STORE_A, last=3, month="2024-06", today=TODAY)
    assert [p.label for p in result.periods] == ["2024-04", "2024-05", "2024-06"]
    for index, month in enumerate(["2024-04", "2024-05", "2024-06"]):
        alone = {k.id: k for k in compute(STORE_A, month=month, today=TODAY).kpis}
        for series in result.kpis:
            point = series.points[index]
            assert (point.value, point.numerator, point.denominator, point.status) == (
                alone[series.id].value,
                alone[series.id].numerator,
                alone[series.id].denominator,
                alone[series.id].status,
            )
    rate = result.kpi("appointment_rate").points
    assert rate[0].change is None
    assert rate[1].change == pytest.approx(rate[1].value - rate[0].value)  # type: ignore[operator]


def test_periods_without_data_have_no_value_and_no_change() -> None:
    result = trend(STORE_A, last=4, month="2024-05", kpis=["appointment_rate"], today=TODAY)
    points = result.kpi("appointment_rate").points
    assert points[0].period.label == "2024-02" and points[0].value is None and points[0].status == "no_data"
    assert points[2].change is None  # 2024-04 follows a month without data
    assert sparkline(result.kpi("appointment_rate").values())[0:2] == "  "


def test_sparkline() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([None, 0.2, None, 0.4]) == " ▁ █"
    assert sparkline([0.3, 0.3]) == "▅▅"
    assert sparkline([None, None]) == "  "
