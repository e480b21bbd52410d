"""The staff roster: per-advisor KPIs divide by the advisors on it (服务专员总人数), not by
the names that happen to be on closed orders; names not on it are reported."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import CONFORMANCE, TODAY, evaluate
from sdkpi.api import compute
from sdkpi.definitions import Definitions


def wo(ro: str, advisor: str, amount: float, closed: str | None = "2024-05-10 18:00") -> dict[str, Any]:
    return {
        "ro_number": ro,
        "opened_at": "2024-05-10 09:00",
        "customer_type": "retail",
        "advisor": advisor,
        "promised_at": "2024-05-10 17:00",
        "closed_at": closed,
        "parts_amount": amount,
    }


def person(
    name: str,
    role: str = "advisor",
    start: str | None = None,
    end: str | None = None,
    fte: float | None = None,
) -> dict[str, Any]:
    return {"name": name, "role": role, "from": start, "to": end, "fte": fte}


ORDERS = [
    wo("R1", "SA01", 300.0),
    wo("R2", "SA02", 200.0),
    wo("R3", "Trainee", 100.0),  # a trainee's login: not an advisor of the roster
    wo("R4", "SA03", 9999.0, closed=None),  # open: not counted
]


def test_without_a_roster_the_names_on_closed_orders_count(definitions: Definitions) -> None:
    ev = evaluate(definitions, "parts_sales_per_advisor", work_orders=ORDERS)
    assert (ev.result.numerator, ev.result.denominator) == (600.0, 3)


def test_the_roster_is_the_headcount_active_in_the_period(definitions: Definitions) -> None:
    staff = [
        person("SA01"),
        person("SA02", fte=0.5),  # part time
        person("SA03", start="2024-01-01"),
        person("SA04", end="2024-05-01"),  # left on the 1st: on the roster that day
        person("SA05", end="2024-04-30"),  # left in April: not counted
        person("SA06", start="2024-06-01"),  # joins in June: not counted
        person("T01", role="technician"),
    ]
    ev = evaluate(definitions, "parts_sales_per_advisor", work_orders=ORDERS, staff=staff)
    assert ev.result.numerator == 600.0
    assert ev.result.denominator == pytest.approx(3.5)  # SA01 + SA02 0.5 + SA03 + SA04
    assert ev.result.value == pytest.approx(600 / 3.5)
    assert ev.result.denominator_label is not None and "roster" in ev.result.denominator_label["en"]


def test_names_on_orders_not_on_the_roster_are_reported(definitions: Definitions) -> None:
    from conftest import dataset
    from sdkpi.engine import Engine
    from sdkpi.results import Period

    data = dataset(work_orders=ORDERS, staff=[person("SA01"), person("SA02")])
    result = Engine(definitions, data).compute(Period.month("2024-05"), ["parts_sales_per_advisor"], TODAY)
    issues = [i for i in result.data_issues if i.code == "not_on_roster"]
    assert [(i.value, i.column, i.severity) for i in issues] == [("Trainee", "advisor", "warning")]
    assert issues[0].row is not None
    assert result.kpis[0].denominator == 2


def test_a_roster_without_advisors_keeps_the_names_on_orders(definitions: Definitions) -> None:
    staff = [person("T01", role="technician"), person("T02", role="technician")]
    ev = evaluate(definitions, "parts_sales_per_advisor", work_orders=ORDERS, staff=staff)
    assert ev.result.denominator == 3


def test_no_advisor_on_the_roster_in_the_period_is_no_data(definitions: Definitions) -> None:
    staff = [person("SA01", end="2024-03-31")]
    ev = evaluate(definitions, "parts_sales_per_advisor", work_orders=ORDERS, staff=staff)
    assert ev.result.status == "no_data"
    assert ev.result.value is None
    assert "roster" in (ev.result.reason or "")


def test_a_staff_file_in_the_data_folder_is_read_and_used(tmp_path: Path) -> None:
    folder = tmp_path / "store-a"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    plain = compute(folder, month="2024-05", today=TODAY, cache=False).kpi("parts_sales_per_advisor")
    (folder / "人员名单.csv").write_text(
        "姓名,岗位,入职日期,离职日期,折算人数\n"
        "SA01,服务顾问,,,\nSA02,服务专员,,,\nSA03,服务顾问,,,0.5\nT01,技师,,,\n",
        encoding="utf-8",
    )
    result = compute(folder, month="2024-05", today=TODAY, cache=False)
    kpi = result.kpi("parts_sales_per_advisor")
    assert kpi.numerator == plain.numerator
    assert kpi.denominator == pytest.approx(2.5)
    assert any(i.code == "not_on_roster" for i in result.data_issues)  # SA04 ... are not on it


@pytest.mark.parametrize(("lang", "words"), [("en", "staff roster"), ("zh", "人员名单")])
def test_explain_says_the_roster_is_the_headcount(definitions: Definitions, lang: str, words: str) -> None:
    from sdkpi.explain import definition_words
    from sdkpi.results import Period

    sentences = definition_words(
        definitions.compiled["parts_sales_per_advisor"], Period.month("2024-05"), lang
    )
    assert any(words in sentence for sentence in sentences)
