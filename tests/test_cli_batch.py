"""The why-commands and batch runs: stdout is the library result, diagnostics go to
stderr, exit codes are the documented ones, sdkpi.toml gives defaults."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from sdkpi.breakdown import breakdown
from sdkpi.cli import app
from sdkpi.compare import diff
from sdkpi.explain import explain
from sdkpi.trends import trend

STORE = str(CONFORMANCE / "store-a")
MAY = ("--month", "2024-05")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def same(payload: Any, library: dict[str, Any]) -> bool:
    return bool(payload == json.loads(json.dumps(library)))


def test_explain_json_is_the_library_result() -> None:
    code, out, err = run("explain", "on_time_completion_rate", "--data", STORE, *MAY, "--format", "json")
    assert code == 0, err
    assert same(json.loads(out), explain(STORE, "on_time_completion_rate", month="2024-05").to_dict())


def test_explain_csv_lists_every_record() -> None:
    code, out, _ = run("explain", "invoice_timeliness_rate", "--data", STORE, *MAY, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    library = explain(STORE, "invoice_timeliness_rate", month="2024-05")
    assert library.records is not None and len(rows) == library.records.total > 0
    assert rows[0]["row"] == str(library.records.rows[0].row) and rows[0]["why"]


def test_explain_table_limits_rows_and_says_how_many_more() -> None:
    code, out, _ = run("explain", "on_time_completion_rate", "--data", STORE, *MAY, "--limit", "3")
    assert code == 0
    assert "Records in the denominator but not in the numerator: 82" in out
    assert "… and 79 more" in out
    assert "Poor dispatching" in out  # the catalog's obstacles


def test_unknown_kpi_exits_2_with_a_suggestion() -> None:
    code, out, err = run("explain", "on_time_completion", "--data", STORE, *MAY)
    assert code == 2 and out == ""
    assert "did you mean 'on_time_completion_rate'" in err


@pytest.mark.parametrize(("kpi", "expected"), [("on_time_completion_rate", 1), ("appointment_rate", 0)])
def test_explain_fail_on_miss(kpi: str, expected: int) -> None:
    code, _, _ = run("explain", kpi, "--data", STORE, *MAY, "--format", "json", "--fail-on-miss")
    assert code == expected


def test_compute_by_json_is_the_library_breakdown() -> None:
    code, out, _ = run("compute", "--data", STORE, *MAY, "--by", "advisor", "--format", "json")
    assert code == 0
    assert same(json.loads(out), breakdown(STORE, "advisor", month="2024-05").to_dict())
    code, _, err = run("compute", "--data", STORE, *MAY, "--by", "advisr")
    assert code == 2 and "did you mean 'advisor'" in err


def test_trend_json_is_the_library_series() -> None:
    args = ("trend", "--data", STORE, "--last", "3", "--month", "2024-06", "--kpi", "appointment_rate")
    code, out, _ = run(*args, "--format", "json")
    assert code == 0
    library = trend(STORE, last=3, month="2024-06", kpis=["appointment_rate"]).to_dict()
    assert same(json.loads(out), library)
    code, out, _ = run(*args)
    assert "Appointment rate" in out and "▃█▁" in out  # the sparkline: 46.4%, 50.4%, 44.9%


def test_diff_json_is_the_library_comparison() -> None:
    code, out, _ = run("diff", "--data", STORE, "--data-b", STORE, *MAY, "--format", "json")
    assert code == 0
    assert same(json.loads(out), diff(STORE, data_b=STORE, month="2024-05").to_dict())
    code, _, err = run("diff", "--data", STORE, *MAY)
    assert code == 2 and "nothing to compare" in err


def test_config_gives_defaults_and_the_command_line_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sdkpi.toml").write_text(f'data = "{STORE}"\nfail_on_miss = true\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("compute", *MAY, "--format", "json", "--kpi", "on_time_completion_rate")
    assert code == 1  # fail_on_miss from the file; data from the file
    assert json.loads(out)["kpis"][0]["denominator"] == 136
    code, _, _ = run("compute", *MAY, "--format", "json", "--no-fail-on-miss")
    assert code == 0


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('lang = "fr"\n', encoding="utf-8")
    for command in (["compute"], ["trend", "--last", "2"], ["explain", "appointment_rate"]):
        code, out, err = run(*command, "--data", STORE, *MAY, "--config", str(config))
        assert code == 2 and out == ""
        assert str(config) in err and "'lang'" in err


def test_quiet_keeps_stderr_empty(tmp_path: Path) -> None:
    broken = tmp_path / "store"
    shutil.copytree(STORE, broken)
    orders = broken / "work_orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines(keepends=True)
    orders.write_text("".join([*lines[:2], lines[1], *lines[2:]]), encoding="utf-8")  # RO00001 twice, as is
    code, _, err = run("explain", "appointment_rate", "--data", str(broken), *MAY, "--format", "json")
    assert code == 0 and "data issues" in err  # a duplicate key: a warning, on stderr
    code, out, err = run("explain", "appointment_rate", "--data", str(broken), *MAY, "-f", "json", "-q")
    assert code == 0 and err == "" and json.loads(out)["kpi"]["id"] == "appointment_rate"


@pytest.mark.skipif(shutil.which("sdkpi") is None, reason="the sdkpi command is not installed")
def test_cron_style_run(tmp_path: Path) -> None:
    """As cron runs it: no terminal, no stdin, a config file in the working folder."""
    (tmp_path / "sdkpi.toml").write_text(f'data = "{STORE}"\nfail_on_miss = true\n', encoding="utf-8")
    done = subprocess.run(
        ["sdkpi", "compute", *MAY, "--format", "json", "--quiet"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TERM": "dumb"},
    )
    assert done.returncode == 1  # KPIs missed their targets, as documented
    assert done.stderr == ""
    payload = json.loads(done.stdout)
    assert payload["summary"]["missed"] > 0


def test_a_dealer_group_run_says_which_stores_it_read() -> None:
    group = Path(__file__).parent.parent / "examples" / "dealer-group"
    code, _, err = run("compute", "--data", str(group), "--month", "2024-05", "--format", "json")
    assert code == 0
    assert "read as a dealer group of 3 store folders: 广州天河店, 深圳南山店, 深圳福田店" in err
    code, _, err = run("compute", "--data", str(group), "--month", "2024-05", "--lang", "zh")
    assert "共 3 个门店文件夹" in err
    code, _, err = run("compute", "--data", str(group), "--month", "2024-05", "-q")
    assert err == ""
