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
import atexit, sys
heavy = {heavy!r}
atexit.register(lambda: print("HEAVY:" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr))
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
