"""`sdkpi check`: how the exports were read, every data issue, exit 0/3 (2 for usage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from sdkpi.api import check
from sdkpi.cli import app
from sdkpi.errors import EXIT_INPUT, EXIT_OK, EXIT_USAGE
from sdkpi.render.issues import issue_groups

STORE = CONFORMANCE / "store-a"


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no sdkpi.toml supplies defaults


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def store_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(STORE, folder)
    return folder


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_clean_store_exit_0_with_every_sheet() -> None:
    code, out, _ = run("--data", STORE)
    assert code == EXIT_OK
    for sheet, rows in (("work_orders", 398), ("technician_time", 872), ("suggestions", 23)):
        line = next(line for line in out.splitlines() if f" {sheet} " in line)
        assert f"{sheet}.csv" in line and "csv, utf-8" in line and f" {rows} " in line
    assert "OK: no errors (0 errors, 0 warnings, 0 infos)" in out


def test_json_is_the_library_result() -> None:
    code, out, _ = run("--data", STORE, "--format", "json")
    assert code == EXIT_OK
    assert json.loads(out) == json.loads(json.dumps(check(STORE).to_dict(), ensure_ascii=False))


def test_warnings_only_exit_0_errors_exit_3(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    edit(folder / "callbacks.csv", "reached,true\n", "reached,#N/A\n")
    code, out, _ = run("--data", folder)
    assert code == EXIT_OK
    assert "placeholder" in out and "#N/A" in out
    edit(folder / "work_orders.csv", "\nRO00001,", "\nRO99999,2024-05-01 10:00\nRO00001,")  # 2 cells of 23
    code, out, _ = run("--data", folder)
    assert code == EXIT_INPUT
    assert "ragged_row" in out and "NOT OK: 1 error" in out


def test_long_lists_are_grouped_and_all_lists_every_row(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    edit(folder / "callbacks.csv", "reached,true\n", "reached,maybe\n", count=12)
    code, out, _ = run("--data", folder)
    assert code == EXIT_OK  # a bad value is a warning: the row leaves the KPIs reading it
    assert out.count("maybe") == 5
    assert "… 7 more bad_bool" in out and "7 more issues not listed" in out
    _, out_all, _ = run("--data", folder, "--all")
    assert out_all.count("maybe") == 12 and "more bad_bool" not in out_all
    _, out_json, _ = run("--data", folder, "--format", "json")
    rows = [i["row"] for i in json.loads(out_json)["data_issues"] if i["code"] == "bad_bool"]
    text = (folder / "callbacks.csv").read_text(encoding="utf-8").splitlines()
    assert rows == [n for n, line in enumerate(text, 1) if line.endswith(",maybe")]


def test_sheet_row_column_value_reason_as_the_user_sees_them(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    text = (folder / "callbacks.csv").read_text(encoding="utf-8")
    (folder / "callbacks.csv").write_text(
        "回访记录导出\n\n" + text.replace("reached,true\n", "reached,不知道\n", 1)
    )
    result = check(folder)
    (issue,) = [i for i in result.data_issues if i.code == "bad_bool"]
    line = 2 + next(n for n, row in enumerate(text.splitlines(), 1) if row.endswith("reached,true"))
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("callbacks", line, "satisfied", "不知道")
    assert "yes/no" in issue.reason
    info = next(s for s in result.sheets if s.sheet == "callbacks")
    assert (info.header_row, info.rows_read, info.rows_usable) == (3, 282, 281)


def test_missing_sheet_and_column_name_the_kpis_without_data(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    (folder / "suggestions.csv").unlink()
    edit(folder / "work_orders.csv", "walkaround,", "陪同检查,")
    result = check(folder)
    blocked = {item["kpi"]: item["reason"] for item in result.kpis_without_data}
    assert blocked["walkaround_rate"] == "work_orders: column walkaround missing"
    assert blocked["suggestion_implementation_rate"] == "suggestions: sheet missing"
    assert "appointment_rate" not in blocked
    work_orders = next(s for s in result.sheets if s.sheet == "work_orders")
    assert work_orders.missing_columns == ["repair_type", "walkaround"]  # repair_type: optional, no KPI
    code, out, _ = run("--data", folder)
    assert code == EXIT_OK  # an optional column or an absent sheet is no read error
    assert "KPIs that will have no data" in out and "walkaround_rate" in out


def test_header_mapping_and_mapping_file_are_shown(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    edit(folder / "work_orders.csv", "ro_number,opened_at,", "单据号,开单时间,")
    (folder / "sdkpi-mapping.yaml").write_text("sheets:\n  work_orders:\n    columns: {单据号: ro_number}\n")
    code, out, _ = run("--data", folder)
    assert code == EXIT_OK
    assert "mapping: " in out and "sdkpi-mapping.yaml" in out
    assert "单据号 → ro_number · 开单时间 → opened_at" in out


def test_cell_text_is_never_rich_markup(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    edit(folder / "callbacks.csv", "reached,true\n", "reached,[bold red]x[/]\n")
    _, out, _ = run("--data", folder)
    assert "[bold red]x[/]" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("sheets:\n  work_order: {}\n")
    code, _, err = run("--data", STORE, "--mapping", tmp_path / "bad.yaml")
    assert code == EXIT_USAGE and "did you mean 'work_orders'?" in err
    code, _, _ = run("--data", STORE, "--limit", "0")
    assert code == EXIT_USAGE


def test_unreadable_file_is_an_error_issue_exit_3(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    (folder / "callbacks.csv").write_bytes(b"callback_id,due_at\n\xff\xfe\x00\x81\x82\n")
    code, out, _ = run("--data", folder, "--format", "json")
    assert code == EXIT_INPUT
    report = json.loads(out)
    assert report["ok"] is False and report["summary"]["error"] == 1
    callbacks = next(s for s in report["sheets"] if s["sheet"] == "callbacks")
    assert callbacks["status"] == "error" and "offset" in callbacks["reason"]


def test_issue_groups_put_errors_first_then_the_largest() -> None:
    from sdkpi.issues import DataIssue

    issues = [
        DataIssue("warning", "placeholder", "r", "s", row=1),
        DataIssue("info", "blank_row", "r", "s", row=2),
        DataIssue("warning", "bad_bool", "r", "s", row=3),
        DataIssue("warning", "bad_bool", "r", "t", row=4),
        DataIssue("error", "ragged_row", "r", "s", row=5),
    ]
    groups = issue_groups(issues)
    assert [(g.severity, g.code, len(g.issues)) for g in groups] == [
        ("error", "ragged_row", 1),
        ("warning", "bad_bool", 2),
        ("warning", "placeholder", 1),
        ("info", "blank_row", 1),
    ]
    assert groups[1].sheets == ["s", "t"]


def test_compute_summarises_the_same_issues_on_stderr_and_in_json() -> None:
    example = Path(__file__).parent.parent / "examples" / "dms-export"
    result = CliRunner().invoke(
        app, ["compute", "--data", str(example), "--month", "2024-05", "--format", "json"]
    )
    assert result.exit_code == EXIT_OK
    assert result.stderr.strip() == (
        "sdkpi: data issues: 1 warning, 4 notes (placeholder ×1); "
        f"run `sdkpi check --data {example}` for the list"
    )
    issues = json.loads(result.stdout)["data_issues"]
    assert issues == check(example).to_dict()["data_issues"]
    (warning,) = [i for i in issues if i["severity"] == "warning"]
    assert (warning["sheet"], warning["row"], warning["column"], warning["value"]) == (
        "work_orders",
        8,
        "车架号 (vin)",
        "#N/A",
    )
