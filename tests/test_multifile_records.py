"""A sheet the mapping reads from several files (`file:` a glob): every record and data issue
shown names its file, so "row 9" cannot be a row of the wrong file.

examples/us-line-level reads work_orders from two files with the same layout: row 9 is
RO0003 in the first and RO0028 in the second. Single-file output keeps no file column.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from sdkpi.cli import app

ROOT = Path(__file__).parent.parent
FIRST = "RO_DETAIL_2024-05-01_2024-05-15.csv"
SECOND = "RO_DETAIL_2024-05-16_2024-05-31.csv"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "us-line-level"
    shutil.copytree(ROOT / "examples" / "us-line-level", copy)
    return copy


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def key_at(folder: Path, file: str, row: int) -> str:
    """The RO number on a line of a file, as the user finds it there."""
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    return lines[row - 1].split(",")[0]


def test_explain_names_each_records_file(folder: Path) -> None:
    out = json.loads(
        run("explain", "appointment_rate", "--data", str(folder), "--month", "2024-05", "-f", "json")
    )
    rows = out["records"]["rows"]
    assert {r["file"] for r in rows} == {FIRST, SECOND}
    for record in rows:  # the file and row lead to the very record
        assert key_at(folder, record["file"], record["row"]) == record["ro_number"]
    assert len({(r["file"], r["row"]) for r in rows}) == len(rows)


def test_explain_table_and_csv_have_a_file_column(folder: Path) -> None:
    table = run("explain", "appointment_rate", "--data", str(folder), "--month", "2024-05", "-n", "0")
    line = next(line for line in table.splitlines() if "RO0028" in line)
    assert SECOND in line and " 9 " in line
    text = run("explain", "appointment_rate", "--data", str(folder), "--month", "2024-05", "-f", "csv")
    records = list(csv.DictReader(io.StringIO(text)))
    assert next(r for r in records if r["ro_number"] == "RO0028")["file"] == SECOND
    assert next(r for r in records if r["ro_number"] == "RO0003")["file"] == FIRST


def test_the_workbooks_records_name_their_file(folder: Path, tmp_path: Path) -> None:
    settings = tmp_path / "sdkpi.toml"
    settings.write_text('[targets]\nappointment_rate = "> 90%"\n', encoding="utf-8")  # missed
    out = tmp_path / "report.xlsx"
    run("report", "--data", str(folder), "--month", "2024-05", "-o", str(out), "--config", str(settings))
    book = openpyxl.load_workbook(out)
    ws = next(ws for ws in book if "Appointment" in ws.title)
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    head = next(i for i, row in enumerate(cells) if row[0] == "File" and row[1] == "Row")
    records = [row for row in cells[head + 1 :] if row[0] in (FIRST, SECOND)]
    assert {row[0] for row in records} == {FIRST, SECOND}
    for file, row, ro_number, *_ in records:
        assert key_at(folder, file, row) == ro_number
    shown = next(row[0] for row in cells if isinstance(row[0], str) and row[0].startswith("File: "))
    assert shown == f"File: {FIRST}; {SECOND}"  # both files, not the last one's name alone


def test_html_records_and_check_issues_name_their_file(folder: Path, tmp_path: Path) -> None:
    settings = tmp_path / "sdkpi.toml"
    settings.write_text('[targets]\nappointment_rate = "> 90%"\n', encoding="utf-8")
    out = tmp_path / "report.html"
    run("report", "--data", str(folder), "--month", "2024-05", "-o", str(out), "--config", str(settings))
    html = out.read_text(encoding="utf-8")
    assert f'<tr><td>{SECOND}</td><td class="num">9</td><td>RO0028</td>' in html
    check = run("check", "--data", str(folder))
    blank = [line for line in check.splitlines() if "blank row skipped" in line]
    assert any(FIRST in line and " 25 " in line for line in blank)
    assert any(SECOND in line and " 25 " in line for line in blank)


def test_one_file_keeps_its_output(tmp_path: Path) -> None:
    """A sheet read from one file: no file column anywhere, rows as before."""
    folder = tmp_path / "one"
    shutil.copytree(ROOT / "examples" / "us-line-level", folder)
    (folder / SECOND).unlink()
    out = json.loads(
        run("explain", "appointment_rate", "--data", str(folder), "--month", "2024-05", "-f", "json")
    )
    assert out["records"]["rows"] and all("file" not in r for r in out["records"]["rows"])
    text = run("explain", "appointment_rate", "--data", str(folder), "--month", "2024-05", "-f", "csv")
    assert text.startswith("row,")
    check = run("check", "--data", str(folder))
    assert FIRST not in next(line for line in check.splitlines() if "blank row skipped" in line)
