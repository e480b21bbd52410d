"""Exit codes for batch jobs, one test per documented code, through the CLI.

0 computed · 1 a KPI missed its target (only with --fail-on-miss) · 2 usage or
definitions error · 3 input data could not (all) be read · 4 a bug · 5 the output could
not be written · 141 the reader of a pipe went away (docs/exit-codes.md). Results go to
stdout (JSON stays parseable in every computed case), diagnostics to stderr.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, REPO
from hostile import workbooks
from sdkpi import safety
from sdkpi.cli import app
from sdkpi.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_MISSED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
)

STORE = CONFORMANCE / "store-a"
MAY = ["--month", "2024-05"]


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no sdkpi.toml can supply defaults."""
    monkeypatch.chdir(tmp_path)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def compute_json(data: Path, *extra: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code, out, err = run("compute", "--data", data, *MAY, "--format", "json", *extra)
    return code, json.loads(out), err  # parseable whatever the exit code


def store_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(STORE, folder)
    return folder


def test_docs_exit_codes_is_the_table_of_these_codes() -> None:
    """docs/exit-codes.md is the one table (the README links it); it lists every code there is."""
    table = (REPO / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    codes = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    defined = {EXIT_OK, EXIT_MISSED, EXIT_USAGE, EXIT_INPUT, EXIT_INTERNAL, EXIT_OUTPUT, EXIT_BROKEN_PIPE}
    signals = {128 + signal.SIGINT, 128 + signal.SIGTERM}  # Ctrl-C (typer), kill (safety)
    assert codes == defined | signals == {0, 1, 2, 3, 4, 5, 141, 130, 143}
    assert "docs/exit-codes.md" in (REPO / "README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- 0


def test_0_computed(tmp_path: Path) -> None:
    code, result, err = compute_json(STORE)
    assert code == EXIT_OK
    assert any(k["status"] == "missed" for k in result["kpis"])  # a miss alone is not a failure
    assert "error" not in err


def test_0_with_warnings_on_stderr_and_clean_json_on_stdout(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    callbacks = folder / "callbacks.csv"
    text = callbacks.read_text(encoding="utf-8")
    callbacks.write_text(text.replace("reached,true\n", "reached,#N/A\n", 1), encoding="utf-8")
    code, result, err = compute_json(folder)
    assert code == EXIT_OK
    assert result["summary"]["data_warnings"] >= 1
    assert "sdkpi: data issues: 1 warning" in err


# --------------------------------------------------------------------------- 1

ONE_KPI = """\
stages:
  - id: workshop
    name: {zh: 车间, en: Workshop}
kpis:
  - id: some_menu_priced
    name: {zh: 菜单, en: Some menu pricing}
    stage: workshop
    sheet: work_orders
    period: opened_at
    denominator: {count: rows}
    numerator: {count: rows, where: "menu_priced"}
    target: "TARGET"
"""
DEFS = ONE_KPI.replace("TARGET", "> 50%")


def test_1_only_with_fail_on_miss() -> None:
    code, result, _ = compute_json(STORE, "--fail-on-miss")
    assert code == EXIT_MISSED
    assert any(k["status"] == "missed" for k in result["kpis"])
    assert compute_json(STORE)[0] == EXIT_OK


@pytest.mark.parametrize(("target", "code"), [("> 1%", EXIT_OK), ("= 100%", EXIT_MISSED)])
def test_fail_on_miss_follows_the_targets(tmp_path: Path, target: str, code: int) -> None:
    defs = tmp_path / "defs.yaml"
    defs.write_text(ONE_KPI.replace("TARGET", target), encoding="utf-8")
    got, result, _ = compute_json(STORE, "--defs", str(defs), "--fail-on-miss")
    assert [k["status"] for k in result["kpis"]] == ["met" if code == EXIT_OK else "missed"]
    assert got == code


# --------------------------------------------------------------------------- 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2024-13"], "--month must look like 2024-05"),
        (["--month", "May"], "--month must look like 2024-05"),
        (["--from", "2024-05-31", "--to", "2024-05-01"], "is before --from"),
        (["--month", "2024-05", "--from", "2024-05-01"], "not both"),
        ([], "say which period"),
        (["--month", "2024-05", "--no-such-option"], "No such option"),
        (["--month", "2024-05", "--format", "pdf"], "pdf"),
    ],
    ids=[
        "month 13",
        "month word",
        "to before from",
        "month and from",
        "no period",
        "unknown option",
        "format",
    ],
)
def test_2_bad_usage(args: list[str], message: str) -> None:
    code, out, err = run("compute", "--data", STORE, *args)
    assert code == EXIT_USAGE
    assert out == ""  # nothing half-printed for a script to misread
    assert message in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ONE_KPI.replace('"TARGET"', "[unclosed"), r"defs\.yaml:\d+: YAML syntax error"),
        (ONE_KPI.replace("TARGET", "> 150%"), "not a possible rate"),
        (DEFS.replace('"menu_priced"', "\"__import__('os')\""), "not allowed"),
        (DEFS.replace("sheet: work_orders", "sheet: work_order"), "did you mean 'work_orders'"),
        ("!!python/object/apply:os.system ['echo pwned']", "YAML"),
    ],
    ids=["syntax", "target", "expression attack", "unknown sheet", "python tag"],
)
def test_2_bad_definitions_file(tmp_path: Path, text: str, message: str) -> None:
    defs = tmp_path / "defs.yaml"
    defs.write_text(text, encoding="utf-8")
    code, out, err = run("compute", "--data", STORE, *MAY, "--format", "json", "--defs", defs)
    assert code == EXIT_USAGE
    assert out == ""
    assert re.search(message, err), err


@pytest.mark.parametrize(
    "command", [["explain", "callbak_rate"], ["compute", "--kpi", "callbak_rate"]], ids=["explain", "compute"]
)
def test_2_unknown_kpi_id_with_did_you_mean(command: list[str]) -> None:
    code, out, err = run(*command, "--data", STORE, *MAY)
    assert (code, out) == (EXIT_USAGE, "")
    assert "unknown KPI 'callbak_rate'; did you mean 'callback_rate'?" in err


def test_2_missing_definitions_file(tmp_path: Path) -> None:
    code, _, err = run("compute", "--data", STORE, *MAY, "--defs", tmp_path / "nope.yaml")
    assert code == EXIT_USAGE
    assert "cannot read definitions file" in err


# --------------------------------------------------------------------------- 3


def test_3_nonexistent_data_folder(tmp_path: Path) -> None:
    code, out, err = run("compute", "--data", tmp_path / "no-such-folder", *MAY, "--format", "json")
    assert code == EXIT_INPUT
    assert out == ""
    assert "does not exist" in err


@pytest.mark.parametrize(
    ("build", "file", "message"),
    [
        (workbooks.undecodable_csv, "callbacks.csv", "byte"),
        (workbooks.billion_laughs, "callbacks.xlsx", "entity"),
        (workbooks.ratio_bomb, "callbacks.xlsx", "zip bomb"),
        (workbooks.csv_named_xlsx, "callbacks.xlsx", "rename it to .csv"),
    ],
    ids=["undecodable csv", "billion laughs", "zip bomb", "csv named xlsx"],
)
def test_3_unreadable_sheet_still_prints_the_rest(tmp_path: Path, build, file: str, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = store_copy(tmp_path)
    (folder / "callbacks.csv").unlink()
    build(folder / file)
    code, result, err = compute_json(folder)
    assert code == EXIT_INPUT
    errors = [i for i in result["data_issues"] if i["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["sheet"] == "callbacks"
    assert message in errors[0]["reason"].lower()
    by_sheet = {k["sheet"]: k["status"] for k in result["kpis"]}
    assert by_sheet["callbacks"] == "no_data" and by_sheet["work_orders"] != "no_data"
    assert "1 error" in err and "unreadable" in err


def test_3_from_the_installed_command_with_json_on_stdout(tmp_path: Path) -> None:
    """What a cron job sees: the exit status, parseable stdout, the diagnostics on stderr."""
    folder = store_copy(tmp_path)
    workbooks.external_entity(folder / "customer_issues.xlsx", secret=tmp_path / "secret.txt")
    (folder / "customer_issues.csv").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "sdkpi", "compute", "--data", str(folder), *MAY, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == EXIT_INPUT, done.stderr
    result = json.loads(done.stdout)
    assert {i["sheet"] for i in result["data_issues"] if i["severity"] == "error"} == {"customer_issues"}
    assert "sdkpi: data issues" in done.stderr and "{" not in done.stderr


def test_3_old_xls_sheet_fails_alone_with_what_to_do(tmp_path: Path) -> None:
    folder = store_copy(tmp_path)
    (folder / "customer_issues.csv").unlink()
    workbooks.ole_xls(folder / "customer_issues.xls")
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    payload = json.loads(out)  # the other sheets are still computed
    kpis = {k["id"]: k for k in payload["kpis"]}
    assert kpis["problem_resolution_rate"]["status"] == "no_data"
    assert kpis["appointment_rate"]["status"] == "met"
    [issue] = [i for i in payload["data_issues"] if i["severity"] == "error"]
    assert issue["file"].endswith("customer_issues.xls") and "save as .xlsx" in issue["reason"]


# --------------------------------------------------------------------------- 4


def _crash() -> None:
    raise KeyError("boom")


def test_4_a_crash_is_never_mistaken_for_a_miss(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(safety, "_drop_stdout", lambda: None)
    monkeypatch.delenv("SDKPI_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        safety.run_cli(_crash)
    assert done.value.code == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "sdkpi: internal error: KeyError: 'boom'" in err and "Traceback" not in err
    monkeypatch.setenv("SDKPI_DEBUG", "1")
    with pytest.raises(SystemExit):
        safety.run_cli(_crash)
    assert "Traceback" in capsys.readouterr().err


def test_4_usage_exits_pass_through_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    def usage() -> None:
        raise SystemExit(EXIT_USAGE)

    with pytest.raises(SystemExit) as done:
        safety.run_cli(usage)
    assert done.value.code == EXIT_USAGE


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_4_stdout_on_a_full_disk(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "sdkpi", "compute", "--data", str(STORE), *MAY, "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    assert done.returncode == EXIT_OUTPUT
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_error_messages_show_control_characters_from_file_names_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "store\x1b[2J"
    folder.mkdir()
    code, _, err = run("compute", "--data", folder, *MAY)
    assert code == EXIT_INPUT
    assert "\x1b" not in err and "store␛[2J" in err
