"""explain: the record list is exactly denominator minus numerator, each with its reason in
words and numbers; the definition in words follows the definitions file."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conftest import CONFORMANCE, TODAY, dataset, evaluate
from sdkpi.api import load_data
from sdkpi.definitions import Definitions, default_definitions_path, load_definitions, parse_definitions
from sdkpi.drilldown import failing_records
from sdkpi.engine import Engine
from sdkpi.errors import DefinitionError
from sdkpi.explain import definition_words, explain, explain_evaluation
from sdkpi.render.why import inert, records_csv
from sdkpi.results import Period

STORE_A = CONFORMANCE / "store-a"
MAY = Period.month("2024-05")


def _order(**values: Any) -> dict[str, Any]:
    row = {
        "ro_number": "R1",
        "opened_at": "2024-05-02 09:00",
        "customer_type": "retail",
        "advisor": "A",
        "promised_at": "2024-05-02 17:00",
    }
    row.update(values)
    return row


@pytest.mark.parametrize("month", ["2024-04", "2024-05", "2024-06"])
def test_record_list_is_exactly_denominator_minus_numerator(definitions: Definitions, month: str) -> None:
    data = load_data(STORE_A)
    engine = Engine(definitions, data)
    for kpi in definitions.kpis:
        if kpi.numerator.measure == "sum":
            continue
        evaluation = engine.evaluate(kpi.id, Period.month(month), TODAY)
        records = failing_records(evaluation, definitions.compiled[kpi.id], limit=None)
        assert records is not None and records.selection == "not_in_numerator"
        sheet = evaluation.sheet
        assert sheet is not None and evaluation.denominator is not None and evaluation.numerator is not None
        expected = sheet.row_numbers[evaluation.denominator & ~evaluation.numerator].tolist()
        assert [r.row for r in records.rows] == expected, kpi.id
        assert records.total == len(expected)
        assert all(r.why for r in records.rows), kpi.id
        if kpi.is_count_ratio and kpi.numerator.measure == "count":
            assert records.total == evaluation.result.denominator - evaluation.result.numerator, kpi.id


def test_completion_minutes_come_from_the_datetime_comparison(definitions: Definitions) -> None:
    rows = [
        _order(ro_number="R1", work_completed_at="2024-05-02 16:48"),  # 12 min early: not enough
        _order(ro_number="R2", work_completed_at="2024-05-02 16:30"),  # exactly 30 min: counts
        _order(ro_number="R3", work_completed_at="2024-05-02 17:25"),  # 25 min late
        _order(ro_number="R4"),  # never completed
    ]
    evaluation = evaluate(definitions, "on_time_completion_rate", work_orders=rows)
    records = failing_records(evaluation, definitions.compiled["on_time_completion_rate"])
    assert records is not None
    why = {r.values["ro_number"]: r.why for r in records.rows}
    assert why == {
        "R1": "completion time 12 min before promised time; needs at least 30 min before",
        "R3": "completion time 25 min after promised time; needs at least 30 min before",
        "R4": "completion time is empty; needs completion time at least 30 min before promised time",
    }


def test_between_and_zero_offset_reasons(definitions: Definitions) -> None:
    bookings = [
        {
            "appointment_id": "A1",
            "booked_at": "2024-05-01 08:00",
            "appointment_time": "2024-05-03 09:00",
            "reminded_at": "2024-05-03 03:00",
            "arrived_at": "2024-05-03 09:10",
        }
    ]
    reminder = evaluate(definitions, "reminder_rate", appointments=bookings)
    rows = failing_records(reminder, definitions.compiled["reminder_rate"])
    assert rows is not None
    assert rows.rows[0].why == "reminder time 6 h before appointment time; needs 12 h to 24 h before"
    punctual = evaluate(definitions, "punctuality_rate", appointments=bookings)
    rows = failing_records(punctual, definitions.compiled["punctuality_rate"])
    assert rows is not None
    assert rows.rows[0].why == "arrived 10 min late; needs arrival at most 5 min early, not late"
    invoice = evaluate(
        definitions, "invoice_timeliness_rate", work_orders=[_order(invoiced_at="2024-05-02 17:40")]
    )
    rows = failing_records(invoice, definitions.compiled["invoice_timeliness_rate"])
    assert rows is not None
    assert rows.rows[0].why == "invoice time 40 min after promised time; needs no later than promised time"


def test_comeback_reason_names_the_comeback_order(definitions: Definitions) -> None:
    rows = [_order(ro_number="R1"), _order(ro_number="R9", comeback_of="R1")]
    evaluation = evaluate(definitions, "first_time_fix_rate", work_orders=rows)
    records = failing_records(evaluation, definitions.compiled["first_time_fix_rate"])
    assert records is not None and [r.values["ro_number"] for r in records.rows] == ["R1"]
    assert records.rows[0].why == "RO number R9 names it in comeback of RO (a comeback)"


def test_a_resolved_fault_of_an_unresolved_problem_says_which_row_failed(definitions: Definitions) -> None:
    issues = [
        {"issue_id": "I1", "raised_at": "2024-05-02", "resolved": True},
        {"issue_id": "I1", "raised_at": "2024-05-02", "resolved": False},
        {"issue_id": "I2", "raised_at": "2024-05-02", "resolved": True},
    ]
    evaluation = evaluate(definitions, "problem_resolution_rate", customer_issues=issues)
    records = failing_records(evaluation, definitions.compiled["problem_resolution_rate"])
    assert records is not None and [r.row for r in records.rows] == [2, 3]
    assert records.rows[0].why == "another record of issue ID I1 (row 3) fails: resolved is yes"
    assert records.rows[1].why == "resolved is no; needs resolved is yes"


def test_exclusions_and_unusable_rows_are_counted_with_their_columns(definitions: Definitions) -> None:
    rows = [
        _order(ro_number="R1", appointment_id="AP1"),
        _order(ro_number="R2", customer_type="internal"),
        _order(ro_number="R3"),
        _order(ro_number="R4"),
    ]
    data = dataset(work_orders=rows)
    sheet = data.sheets["work_orders"]
    sheet.bad["appointment_id"] = np.array([False, False, False, True])  # row 5 held "#REF!"
    evaluation = Engine(definitions, data).evaluate("appointment_rate", MAY, TODAY)
    exp = explain_evaluation(definitions.compiled["appointment_rate"], evaluation, MAY)
    assert exp.excluded == [
        {
            "reason": "payer left out (by default internal customers)",
            "condition": "customer type is internal",
            "count": 1,
        }
    ]
    assert [(u.column, u.count, u.rows) for u in exp.unusable] == [("appointment_id", 1, [5])]
    assert exp.records is not None and [r.row for r in exp.records.rows] == [4]
    assert (exp.kpi.numerator, exp.kpi.denominator) == (1, 2)
    assert exp.obstacles and exp.obstacles[0].startswith("Poor communication")


def test_definition_words_follow_the_definitions_file() -> None:
    shipped = load_definitions()
    text = " ".join(definition_words(shipped.compiled["on_time_completion_rate"], MAY))
    assert "completion time at least 30 min before promised time" in text
    assert "target > 80%" in text
    yaml_text = default_definitions_path().read_text(encoding="utf-8")
    yaml_text = yaml_text.replace("promised_at - margin", "promised_at - 45min")
    edited = parse_definitions(yaml_text)
    text = " ".join(definition_words(edited.compiled["on_time_completion_rate"], MAY))
    assert "completion time at least 45 min before promised time" in text
    assert "at least 30 min" not in text  # (the label is the file's own text, not generated)


def test_definition_words_in_chinese(definitions: Definitions) -> None:
    text = " ".join(definition_words(definitions.compiled["reminder_rate"], MAY, "zh"))
    assert "提醒时间在预约到店时间之前12小时至24小时" in text
    assert "预约到店时间在登记时间之后至少24小时" in text


def test_ratio_of_sums_lists_records_below_the_target(definitions: Definitions) -> None:
    days = [
        {"date": "2024-05-02", "technician": "T1", "available_hours": 8, "clocked_hours": 4, "sold_hours": 4},
        {"date": "2024-05-02", "technician": "T2", "available_hours": 8, "clocked_hours": 8, "sold_hours": 8},
    ]
    evaluation = evaluate(definitions, "utilization", technician_time=days)
    records = failing_records(evaluation, definitions.compiled["utilization"])
    assert records is not None and records.selection == "below_target"
    assert [r.values["technician"] for r in records.rows] == ["T1"]
    assert records.rows[0].why == "clocked hours / available hours = 50% < 85%"


def test_explain_library_call_and_unknown_kpi() -> None:
    exp = explain(STORE_A, "on_time_completion_rate", month="2024-05", today=TODAY)
    assert exp.records is not None
    assert exp.records.total == exp.kpi.denominator - exp.kpi.numerator  # type: ignore[operator]
    assert exp.to_dict()["records"]["total"] == exp.records.total
    with pytest.raises(DefinitionError, match="did you mean 'on_time_completion_rate'"):
        explain(STORE_A, "on_time_completion", month="2024-05")


def test_csv_cells_never_become_formulas(definitions: Definitions) -> None:
    rows = [_order(ro_number='=HYPERLINK("x")', advisor="@SUM(A1)", technician="+1", customer_id="-cmd")]
    evaluation = evaluate(definitions, "delivery_explanation_rate", work_orders=rows)
    records = failing_records(evaluation, definitions.compiled["delivery_explanation_rate"])
    assert records is not None
    text = records_csv(records)
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+1" in text and "'-cmd" in text
    assert inert("-12.5") == "-12.5" and inert("plain") == "plain"
