"""What-if: two data folders or two definition files for the same month."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.compare import diff
from sdkpi.definitions import default_definitions_path

STORE_A = CONFORMANCE / "store-a"


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """store-a with RO00004 completed an hour earlier (now 45 min before its promise)."""
    folder = tmp_path / "edited"
    shutil.copytree(STORE_A, folder)
    orders = folder / "work_orders.csv"
    text = orders.read_text(encoding="utf-8")
    assert text.count("2024-05-29 20:15") == 1
    orders.write_text(text.replace("2024-05-29 20:15", "2024-05-29 19:15"), encoding="utf-8")
    return folder


def test_same_data_moves_nothing() -> None:
    result = diff(STORE_A, data_b=STORE_A, month="2024-05", today=TODAY)
    assert result.moved == []
    assert all(k.change == 0 or k.change is None for k in result.kpis)


def test_an_edited_record_moves_one_kpi_and_is_named(edited: Path) -> None:
    result = diff(STORE_A, data_b=edited, month="2024-05", today=TODAY)
    assert [k.id for k in result.moved] == ["on_time_completion_rate"]
    moved = result.kpi("on_time_completion_rate")
    assert moved.a is not None and moved.b is not None
    assert (moved.a.numerator, moved.b.numerator) == (54, 55)
    assert moved.change == pytest.approx(1 / 136)
    assert [c.to_dict() for c in moved.records] == [
        {"record": "RO00004", "before": "denominator only", "after": "numerator"}
    ]


def test_a_changed_definition_moves_records_in_and_out(tmp_path: Path) -> None:
    text = default_definitions_path().read_text(encoding="utf-8")
    stricter = tmp_path / "stricter.yaml"
    margin = "      margin:\n        default: 30\n"  # on_time_completion_rate's setting
    assert text.count(margin) == 1
    stricter.write_text(text.replace(margin, margin.replace("30", "60")), encoding="utf-8")
    result = diff(STORE_A, definitions_b=stricter, month="2024-05", today=TODAY)
    assert [k.id for k in result.moved] == ["on_time_completion_rate"]
    moved = result.kpi("on_time_completion_rate")
    assert moved.a is not None and moved.b is not None
    left = moved.a.numerator - moved.b.numerator  # type: ignore[operator]
    assert left > 0 and moved.records_total == left
    assert {(c.before, c.after) for c in moved.records} == {("numerator", "denominator only")}


def test_an_exclusion_shows_as_a_role(tmp_path: Path) -> None:
    text = default_definitions_path().read_text(encoding="utf-8")
    wider = tmp_path / "wider.yaml"
    wider.write_text(
        text.replace("        default: [internal]\n", "        default: [internal, warranty]\n", 1),
        encoding="utf-8",
    )
    result = diff(STORE_A, definitions_b=wider, month="2024-05", kpis=["appointment_rate"], limit=3)
    moved = result.kpi("appointment_rate")
    assert moved.records_total > 3 and len(moved.records) == 3
    assert all(c.after == "excluded (payer left out (by default internal customers))" for c in moved.records)
    assert result.to_dict()["moved"] == ["appointment_rate"]
