"""Start-up stays light: `sdkpi --help` / `--version` must not pay for pandas & co.

Not timed (timings belong to bench/run.py); this checks the cause instead: which
modules a fresh interpreter has imported when the command is done.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# rich is not listed: sdkpi.safety (the CLI's wrapper) builds on it, ~30 ms; the data stack is ~0.5 s.
DATA_STACK = ("pandas", "numpy", "pyarrow", "yaml", "jinja2", "openpyxl", "python_calamine")
HEAVY = (*DATA_STACK, "pydantic")

PROBE = """
import os, sys
heavy = {heavy!r}
real_exit = os._exit

def report(code):  # the command line ends with os._exit, once its output is flushed
    print("HEAVY:" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr, flush=True)
    real_exit(code)

os._exit = report
sys.argv = ["sdkpi", *{args!r}]
from sdkpi.cli import main
main()
"""


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (["--help"], HEAVY),
        (["--version"], HEAVY),
        (["compute", "--help"], DATA_STACK),  # typer itself imports pydantic for a command's help
    ],
)
def test_light_commands_do_not_import_heavy_modules(args: list[str], heavy: tuple[str, ...]) -> None:
    probe = PROBE.format(heavy=heavy, args=args)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip(), "the command printed nothing"
    loaded = run.stderr.rsplit("HEAVY:", 1)[1].strip()
    assert loaded == "", f"sdkpi {' '.join(args)} imported {loaded}"


def test_a_csv_computation_does_not_import_the_workbook_libraries() -> None:
    """openpyxl (~40 ms) and calamine are imported when a workbook is read, not for CSV exports."""
    from pathlib import Path

    store = Path(__file__).parent / "fixtures" / "conformance" / "store-a"
    args = ["compute", "--data", str(store), "--month", "2024-05", "--format", "json", "--no-cache"]
    probe = PROBE.format(heavy=("openpyxl", "python_calamine"), args=args)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert '"appointment_rate"' in run.stdout
    assert run.stderr.rsplit("HEAVY:", 1)[1].strip() == ""


@pytest.mark.parametrize(
    ("args", "code", "stream", "text"),
    [
        (["--version"], 0, "stdout", "sdkpi "),
        (["compute", "--month", "2024-13"], 2, "stderr", "2024-13"),  # a usage error
        (["compute", "--data", "no/such/folder", "--month", "2024-05"], 3, "stderr", "does not exist"),
    ],
)
def test_the_process_ends_with_the_command_s_exit_code_and_all_its_output(
    args: list[str], code: int, stream: str, text: str
) -> None:
    """The command line skips Python's teardown (os._exit) once its output is flushed."""
    run = subprocess.run([sys.executable, "-m", "sdkpi", *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == code, run.stderr
    assert text in getattr(run, stream)


def test_a_large_output_through_a_pipe_arrives_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import shutil
    from pathlib import Path

    store = tmp_path / "store"
    shutil.copytree(Path(__file__).parent / "fixtures" / "conformance" / "store-a", store)
    orders = store / "work_orders.csv"
    header, first = orders.read_text(encoding="utf-8").splitlines()[:2]
    cells = first.split(",")
    rows = [",".join([f"RX{i:05d}", "not a date", *cells[2:]]) for i in range(2000)]  # 2,000 issues
    orders.write_text("\n".join([header, first, *rows]) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "sdkpi", "check", "--data", str(store), "--format", "json", "--no-cache"],
        capture_output=True,
        timeout=60,
    )
    assert len(run.stdout) > 1 << 17, run.stderr  # more than a pipe holds at once
    report = json.loads(run.stdout)  # complete: it parses
    assert sum(1 for issue in report["data_issues"] if issue["value"] == "not a date") == 2000
