"""A store's sdkpi.toml (its settings, targets and currency) changes a KPI the same way in
every command: `diff`, `trend` and `explain` show the value and status `compute` shows for
the same data, month and config (one place adapts the definitions: `definitions_for`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY
from sdkpi.cli import app
from sdkpi.compare import diff
from sdkpi.config import load_config
from sdkpi.definitions import default_definitions_path

STORE_A = CONFORMANCE / "store-a"
KPI = "punctuality_rate"
# wider tolerances than the shipped 5 min early / 0 late, and a store target of its own
TOML = f'[settings]\n{KPI}.early = 30\n{KPI}.late = 30\n\n[targets]\n{KPI} = ">= 90%"\n'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sdkpi.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output  # 1: the KPI missed its target
    return json.loads(result.stdout)


def figures(kpi: dict[str, Any]) -> tuple[Any, ...]:
    target = kpi["target"] or {}
    return kpi["value"], kpi["numerator"], kpi["denominator"], kpi["status"], target.get("source")


def computed(config: Path) -> tuple[Any, ...]:
    args = ["--data", str(STORE_A), "--month", "2024-05", "--config", str(config)]
    (kpi,) = run("compute", *args, "--kpi", KPI)["kpis"]
    assert figures(kpi)[1:] == (70, 86, "missed", "sdkpi.toml:6")  # the store's, not the file's
    return figures(kpi)


def test_diff_computes_each_side_as_compute_does(config: Path, tmp_path: Path) -> None:
    expected = computed(config)
    args = ["--data", str(STORE_A), "--month", "2024-05", "--config", str(config), "--kpi", KPI]
    (same,) = run("diff", *args, "--data-b", str(STORE_A))["kpis"]
    assert figures(same["a"]) == figures(same["b"]) == expected
    assert same["moved"] is False
    # definitions B: the store's settings apply to it too, so only what B changes moves
    copy = tmp_path / "copy.yaml"
    copy.write_text(default_definitions_path().read_text(encoding="utf-8"), encoding="utf-8")
    (other,) = run("diff", *args, "--defs-b", str(copy))["kpis"]
    assert figures(other["a"]) == figures(other["b"]) == expected


def test_trend_and_explain_show_what_compute_shows(config: Path) -> None:
    expected = computed(config)
    args = ["--data", str(STORE_A), "--month", "2024-05", "--config", str(config)]
    (series,) = run("trend", *args, "--kpi", KPI, "--last", "2")["kpis"]
    latest = series["points"][-1]
    assert (latest["value"], latest["numerator"], latest["denominator"], latest["status"]) == expected[:4]
    assert series["target"]["source"] == expected[4]
    assert figures(run("explain", KPI, *args)["kpi"]) == expected


def test_the_library_diff_takes_the_store_config(config: Path) -> None:
    plain = diff(STORE_A, data_b=STORE_A, month="2024-05", kpis=[KPI], today=TODAY).kpi(KPI)
    mine = diff(
        STORE_A, data_b=STORE_A, month="2024-05", kpis=[KPI], today=TODAY, config=load_config(config)
    ).kpi(KPI)
    assert plain.a is not None and mine.a is not None and mine.b is not None
    assert (plain.a.numerator, plain.a.status) == (32, "missed")  # the shipped 5 min / 0 min
    assert (mine.a.numerator, mine.b.numerator) == (70, 70)
    assert mine.a.target is not None and mine.a.target.source == "sdkpi.toml:6"


def test_the_report_computes_with_the_store_settings(config: Path) -> None:
    """`sdkpi report` hands `build_report` the same `Settings.definitions` as compute."""
    from sdkpi.cli.batch import resolve
    from sdkpi.report import build_report

    expected = computed(config)
    run = resolve(config, data=STORE_A)
    report = build_report(run.data, "2024-05", last=2, definitions=run.definitions, today=TODAY)
    (kpi,) = [k for k in report.result.kpis if k.id == KPI]
    assert figures(kpi.to_dict()) == expected
