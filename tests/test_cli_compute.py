"""`sdkpi compute` in-process: JSON equals the library result; the table reads well."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute
from sdkpi.cli import app

STORE = str(CONFORMANCE / "store-a")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_output_is_the_library_result() -> None:
    code, out, _ = run("compute", "--data", STORE, "--month", "2024-05", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    library = compute(STORE, month="2024-05").to_dict()
    for key in ("generated_at",):
        payload.pop(key), library.pop(key)
    assert payload == json.loads(json.dumps(library))
    assert payload["period"] == {"start": "2024-05-01", "end": "2024-06-01"}
    first = payload["kpis"][0]
    assert {"id", "name", "stage", "value", "numerator", "denominator", "target", "status"} <= set(first)
    assert set(first["name"]) == {"zh", "en"}


def test_json_kpi_shape_and_statuses() -> None:
    _, out, _ = run("compute", "--data", STORE, "--month", "2024-05", "--format", "json")
    kpis = {k["id"]: k for k in json.loads(out)["kpis"]}
    assert len(kpis) == 24
    assert kpis["appointment_rate"]["target"] == {
        "op": ">",
        "value": 0.5,
        "kind": "target",
        "source": "definitions",
    }
    assert kpis["appointment_rate"]["status"] == "met"
    assert kpis["parts_fill_rate"]["status"] == "no_target" and kpis["parts_fill_rate"]["target"] is None
    assert kpis["on_time_completion_rate"]["status"] == "missed"
    assert isinstance(kpis["appointment_rate"]["numerator"], int)


def test_empty_month_is_all_no_data_exit_3_saying_which_dates_the_data_holds() -> None:
    code, out, _ = run("compute", "--data", STORE, "--month", "2023-01", "--format", "json")
    assert code == 3  # a month without a row anywhere is a wrong month or an old export
    payload = json.loads(out)
    kpis = payload["kpis"]
    assert {k["status"] for k in kpis} == {"no_data"}
    assert all(k["value"] is None for k in kpis)
    assert {i["code"] for i in payload["data_issues"] if i["severity"] == "error"} == {"no_rows_in_period"}


def test_missing_sheet_leaves_its_kpis_no_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "store"
    shutil.copytree(STORE, folder)
    (folder / "callbacks.csv").unlink()
    _, out, _ = run("compute", "--data", str(folder), "--month", "2024-05", "--format", "json")
    kpis = {k["id"]: k for k in json.loads(out)["kpis"]}
    assert kpis["callback_rate"]["status"] == "no_data"
    assert kpis["callback_rate"]["reason"] == "sheet missing"
    assert kpis["appointment_rate"]["status"] == "met"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_groups_by_stage_in_both_languages(lang: str) -> None:
    code, out, _ = run("compute", "--data", STORE, "--month", "2024-05", "--lang", lang)
    assert code == 0
    if lang == "zh":
        assert "预约率" in out and "车间业绩" in out and "未达标" in out
    else:
        assert "Appointment rate" in out and "Workshop performance" in out and "MISSED" in out
    assert "50.4%" in out  # appointment rate 65/129


def test_from_to_period() -> None:
    code, out, _ = run(
        "compute", "--data", STORE, "--from", "2024-04-01", "--to", "2024-06-30", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["period"] == {"start": "2024-04-01", "end": "2024-07-01"}


def test_bad_month_is_a_usage_error() -> None:
    code, _, err = run("compute", "--data", STORE, "--month", "2024-13")
    assert code == 2
    assert "--month must look like 2024-05" in err


def test_installed_command_runs_as_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sdkpi", "compute", "--data", STORE, "--month", "2024-05", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kpis"][0]["id"] == "appointment_rate"


def test_library_today_controls_provisional() -> None:
    result = compute(STORE, month="2024-05", today=TODAY)
    assert all(k.provisional_until is None for k in result.kpis)


def test_a_folder_without_any_sheet_is_an_input_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("compute", "--data", str(tmp_path), "--month", "2024-05", "--format", "json")
    assert code == 3 and out == ""
    assert "no record sheets found" in err


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf"])
def test_an_empty_file_leaves_its_kpis_no_data_without_an_error(tmp_path, content: bytes) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "work_orders.csv").write_bytes(content)
    code, out, _ = run("compute", "--data", str(tmp_path), "--month", "2024-05", "--format", "json")
    assert code == 3  # the only sheet has no row in the month: nothing at all was computed
    payload = json.loads(out)
    work_order_kpis = [k for k in payload["kpis"] if k["sheet"] == "work_orders"]
    assert {k["status"] for k in work_order_kpis} == {"no_data"}
    assert [i["code"] for i in payload["data_issues"]] == ["empty_file", "no_rows_in_period"]
    assert "holds no readable date" in payload["data_issues"][1]["reason"]


def test_a_folder_of_unknown_exports_points_to_sdkpi_map(tmp_path: Path) -> None:
    (tmp_path / "RO_DETAIL_May.csv").write_text("RO#,Close Date\nRO1,05/02/2024\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compute", "--data", str(tmp_path), "--month", "2024-05"])
    assert result.exit_code == 3
    assert f"sdkpi map --data {tmp_path}" in result.stderr
