"""Real DMS exports as they come (issue #15): a line-level repair-order report in two files,
with a banner, repeated page headers, "History" sub-rows, date and time in two columns,
day-first dates, pay-type codes, one column feeding two, two unused `Gross` columns and no
promised time, read with a mapping in exactly the documented syntax, gives the KPIs of its
canonical twin; the same folder without `lines:` is refused, never printed wrong.

The twin is the conformance store (tests/fixtures/conformance/store-a) with invoiced_at set
to closed_at (this DMS has one "Close Dat" for both); the line-level export is built from it
in code: each repair order split into one to three lines whose amounts add up to the order's.
"""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY
from sdkpi.api import check, compute, load_data
from sdkpi.cli import app
from sdkpi.errors import EXIT_INPUT, EXIT_USAGE, UsageError
from sdkpi.loaders.mapping import parse_mapping

STORE = CONFORMANCE / "store-a"
MONTHS = ["2024-04", "2024-05", "2024-06"]
SUMMED = ["labor_hours_sold", "labor_amount", "parts_amount"]
PAY = {"retail": "C", "warranty": "W", "internal": "I"}

MAPPING = """\
sheets:
  work_orders:
    file: "RO_DETAIL_*.csv"
    date_order: dmy
    columns:
      "RO#": ro_number
      "Cust#": customer_id
      "Pay Type": customer_type
      "SA": advisor
      "Tech": technician
      "Appt#": appointment_id
      "Close Dat": [closed_at, invoiced_at]
      "Hrs": labor_hours_sold
      "Labor": labor_amount
      "Parts": parts_amount
      "Comeback Of": comeback_of
    combine:
      opened_at: ["RO Date", "RO Time"]
    values:
      customer_type: {C: retail, W: warranty, I: internal}
    skip_rows:
      - "ro_number == 'RO#'"
      - "ro_number is null"
    lines:
      key: ro_number
      sum: [labor_hours_sold, labor_amount, parts_amount]
    absent: [promised_at]
"""

HEADER = [
    "RO#", "RO Date", "RO Time", "Cust#", "VIN", "Pay Type", "SA", "Tech", "Appt#",
    "pre_inspected", "pre_inspection_form", "walkaround", "menu_priced", "parts_prepicked_on_time",
    "work_completed_at", "delivered_at", "delivery_explained", "Close Dat",
    "Hrs", "Labor", "Parts", "Comeback Of", "Op Code", "Gross", "Gross",
]  # fmt: skip


def _dmy(text: str) -> str:
    """2024-04-25 15:15 -> 25/04/2024 15:15 (this DMS writes day first)."""
    if not text:
        return ""
    day, _, clock = text.partition(" ")
    y, m, d = day.split("-")
    return f"{d}/{m}/{y}" + (f" {clock}" if clock else "")


def _split(value: str, parts: int) -> list[str]:
    """An amount as `parts` line amounts (two decimals) adding up to it exactly."""
    if value == "":
        return [""] * parts
    total = Decimal(value)
    share = (total / parts).quantize(Decimal("0.01"))
    rest = [share] * (parts - 1)
    return [str(total - sum(rest, Decimal(0))), *map(str, rest)]


def twin_rows() -> list[dict[str, str]]:
    with (STORE / "work_orders.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["invoiced_at"] = row["closed_at"]  # one "Close Dat" for both in this DMS
    return rows


def line_rows(rows: list[dict[str, str]]) -> list[list[str]]:
    out = []
    for number, row in enumerate(rows):
        count = 1 + number % 3
        amounts = {name: _split(row[name], count) for name in SUMMED}
        day, _, clock = row["opened_at"].partition(" ")
        for line in range(count):
            out.append(
                [
                    row["ro_number"],
                    _dmy(day) if line == 0 or number % 2 else "",  # later lines may leave it empty
                    clock if line == 0 or number % 2 else "",
                    row["customer_id"],
                    row["vin"],
                    PAY[row["customer_type"]],
                    row["advisor"],
                    row["technician"],
                    row["appointment_id"],
                    *(row[c] for c in HEADER[9:14]),
                    _dmy(row["work_completed_at"]),
                    _dmy(row["delivered_at"]),
                    row["delivery_explained"],
                    _dmy(row["closed_at"]),
                    amounts["labor_hours_sold"][line],
                    amounts["labor_amount"][line],
                    amounts["parts_amount"][line],
                    row["comeback_of"],
                    f"OP{line + 1}",  # differs per line: not a contract column, not checked
                    "1.00",
                    "2.00",
                ]
            )
            if number % 7 == 0 and line == 0:  # a "History" sub-row with no RO number
                out.append(
                    ["", "", "", "", "", "", "", "", "", "", "", "", "", ""] + [""] * 8 + ["History", "", ""]
                )
    return out


def write_export(folder: Path, *, mapping: str | None = MAPPING) -> Path:
    """The line-level export in two files with a banner and a page header every 40 lines."""
    folder.mkdir(parents=True)
    for name in STORE.iterdir():
        if name.name != "work_orders.csv":
            shutil.copy(name, folder / name.name)
    lines = line_rows(twin_rows())
    half = len(lines) // 2 + 1  # an order's lines may straddle the two files
    for index, chunk in enumerate([lines[:half], lines[half:]], start=1):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["DEALER RO DETAIL REPORT"])
        writer.writerow([])
        for start in range(0, len(chunk), 40):
            writer.writerow(HEADER)  # repeated on every page
            writer.writerows(chunk[start : start + 40])
        (folder / f"RO_DETAIL_{index}.csv").write_text(buffer.getvalue(), encoding="utf-8")
    if mapping is not None:
        (folder / "sdkpi-mapping.yaml").write_text(mapping, encoding="utf-8")
    return folder


def write_twin(folder: Path) -> Path:
    shutil.copytree(STORE, folder)
    rows = twin_rows()
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / "work_orders.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("real")
    return {"lines": write_export(root / "lines"), "twin": write_twin(root / "twin")}


def _kpis(folder: Path, month: str) -> dict[str, tuple[object, ...]]:
    result = compute(folder, month=month, today=TODAY, cache=False)
    return {k.id: (k.status, k.numerator, k.denominator, k.value, k.reason) for k in result.kpis}


# --------------------------------------------------------------------------- the twin


@pytest.mark.parametrize("month", MONTHS)
def test_a_line_level_export_gives_the_kpis_of_its_canonical_twin(
    folders: dict[str, Path], month: str
) -> None:
    got, want = _kpis(folders["lines"], month), _kpis(folders["twin"], month)
    compute_result = compute(folders["lines"], month=month, today=TODAY, cache=False)
    reads_promised = {k.id for k in compute_result.kpis if "promised_at" in (k.reason or "")}
    assert reads_promised  # the on-time KPIs read the promised time this DMS does not export
    for kpi_id, (status, *_rest, reason) in got.items():
        if kpi_id in reads_promised:
            assert status == "no_data" and "not in this export" in str(reason)
            continue
        assert got[kpi_id][:4] == pytest.approx(want[kpi_id][:4]), kpi_id


def test_the_line_level_export_is_read_without_an_error(folders: dict[str, Path]) -> None:
    result = check(folders["lines"], cache=False)
    errors = [i for i in result.data_issues if i.severity == "error"]
    assert not errors, errors
    codes = {i.code for i in result.data_issues if i.sheet == "work_orders"}
    assert {"skip_rows", "lines_summed", "absent_column", "duplicate_header"} <= codes
    skips = [i for i in result.data_issues if i.code == "skip_rows"]
    assert len(skips) == 4  # one per rule per file, each with its count
    assert all("rows skipped" in i.reason for i in skips)
    assert sum(int(i.reason.split(": ")[1].split()[0]) for i in skips if "'RO#'" in i.reason) > 10
    sheet = load_data(folders["lines"], cache=False).sheets["work_orders"]
    assert len(sheet.frame) == 398 and sheet.frame["ro_number"].is_unique
    assert sheet.frame["invoiced_at"].equals(sheet.frame["closed_at"])
    assert sheet.header_map["Close Dat (invoiced_at)"] == "invoiced_at"
    assert sheet.header_map["RO Date + RO Time"] == "opened_at"


def test_cli_exit_code_is_zero_with_absent_columns(folders: dict[str, Path]) -> None:
    for lang in ("en", "zh"):
        result = CliRunner().invoke(
            app,
            ["compute", "--data", str(folders["lines"]), "--month", "2024-05", "--lang", lang, "--no-cache"],
        )
        assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- never a silent wrong sum


def test_without_lines_the_same_folder_is_refused_never_printed_wrong(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "x", mapping=MAPPING.replace(
        "    lines:\n      key: ro_number\n      sum: [labor_hours_sold, labor_amount, parts_amount]\n", ""
    ))  # fmt: skip
    result = compute(folder, month="2024-05", today=TODAY, cache=False)
    refused = [i for i in result.data_issues if i.code == "lines_not_declared"]
    assert len(refused) == 1 and refused[0].severity == "error"
    assert "lines:\n      key: ro_number\n      sum: [labor_hours_sold, labor_amount, parts_amount]" in (
        refused[0].reason
    )
    for kpi in result.kpis:
        if kpi.id in ("parts_sales_per_ro", "hours_per_ro"):
            assert kpi.status == "no_data" and "line-level" in (kpi.reason or ""), kpi
    cli = CliRunner().invoke(app, ["compute", "--data", str(folder), "--month", "2024-05", "--no-cache"])
    assert cli.exit_code == EXIT_INPUT


def _plain(tmp_path: Path, rows: list[str]) -> Path:
    folder = tmp_path / "plain"
    folder.mkdir()
    header = "ro_number,opened_at,customer_type,advisor,promised_at,parts_amount,labor_hours_sold,closed_at"
    body = [row + "," + row.split(",")[4] for row in rows]  # closed when promised
    (folder / "work_orders.csv").write_text(header + "\n" + "\n".join(body) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("kpis", [None, ["parts_sales_per_ro"], ["walkaround_rate"]])
def test_duplicate_keys_with_different_amounts_in_a_plain_csv(tmp_path: Path, kpis: list[str] | None) -> None:
    """The fast (Arrow) lane reaches the verdict of the general path, whatever is computed."""
    folder = _plain(
        tmp_path,
        [
            "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5",
            "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,250,1.5",
            "RO2,2024-05-03 09:00,retail,SA1,2024-05-03 17:00,80,1.0",
        ],
    )
    result = compute(folder, month="2024-05", today=TODAY, cache=False, kpis=kpis)
    refused = [i for i in result.data_issues if i.code == "lines_not_declared"]
    assert (
        len(refused) == 1
        and "parts_amount" in refused[0].reason
        and "labor_hours_sold" not in (refused[0].reason.split("(hint")[0])
    )
    if kpis is None or kpis == ["parts_sales_per_ro"]:
        assert result.kpi("parts_sales_per_ro").status == "no_data"
        assert result.kpi("parts_sales_per_ro").value is None
    if kpis is None:
        assert result.kpi("hours_per_ro").status != "no_data"  # hours agree: still computed


def test_identical_duplicates_stay_a_warning(tmp_path: Path) -> None:
    row = "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5"
    folder = _plain(tmp_path, [row, row, "RO2,2024-05-03 09:00,retail,SA1,2024-05-03 17:00,80,1.0"])
    result = compute(folder, month="2024-05", today=TODAY, cache=False)
    assert [i.severity for i in result.data_issues if "duplicate" in i.code or "lines" in i.code] == [
        "warning"
    ]
    assert result.kpi("parts_sales_per_ro").value == pytest.approx(90)


def test_lines_that_disagree_are_reported_naming_both_rows(tmp_path: Path) -> None:
    folder = _plain(
        tmp_path,
        [
            "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5",
            "RO1,2024-05-02 09:00,retail,SA2,2024-05-02 17:00,20,0.5",
            "RO2,2024-05-03 09:00,retail,SA1,2024-05-03 17:00,80,1.0",
        ],
    )
    (folder / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  work_orders:\n    lines:\n      key: ro_number\n"
        "      sum: [parts_amount, labor_hours_sold]\n",
        encoding="utf-8",
    )
    result = compute(folder, month="2024-05", today=TODAY, cache=False)
    assert result.kpi("parts_sales_per_ro").value == pytest.approx(100)  # (120 + 80) / 2
    assert result.kpi("hours_per_ro").value == pytest.approx(1.5)  # (2.0 + 1.0) / 2
    disagree = [i for i in result.data_issues if i.code == "lines_disagree"]
    assert len(disagree) == 1 and disagree[0].row == 3 and "row 2" in disagree[0].reason
    assert "'SA2'" in disagree[0].reason and "'SA1'" in disagree[0].reason


# --------------------------------------------------------------------------- the mapping keys


def test_existing_mapping_files_keep_working() -> None:
    root = Path(__file__).parent.parent / "examples"
    for path in (root / "mapping-reference.yaml", *root.glob("*/sdkpi-mapping.yaml")):
        parse_mapping(path.read_text(encoding="utf-8"), source=str(path))


def test_the_documented_keys_are_parsed() -> None:
    options = parse_mapping(MAPPING)["work_orders"]
    assert options.files == ("RO_DETAIL_*.csv",)
    assert options.columns["Close Dat"] == "closed_at" and options.also == {"Close Dat": ("invoiced_at",)}
    assert options.combine == {"opened_at": ("RO Date", "RO Time")}
    assert options.skip_rows == ("ro_number == 'RO#'", "ro_number is null")
    assert (options.lines_key, options.lines_sum) == ("ro_number", tuple(SUMMED))
    assert options.absent == ("promised_at",)
    listed = parse_mapping("sheets:\n  work_orders:\n    file: [a.csv, b.csv]\n")["work_orders"]
    assert listed.files == ("a.csv", "b.csv") and listed.file == "a.csv"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("lines:\n      key: ro_numbr\n", "did you mean 'ro_number'"),
        ("lines:\n      key: ro_number\n      sum: [advisor]\n", "not a number column"),
        ("lines:\n      key: ro_number\n      summ: [parts_amount]\n", "unknown key; did you mean 'sum'"),
        ("skip_rows: [\"ro_nuber == 'x'\"]\n", "did you mean 'ro_number'"),
        ('skip_rows: ["ro_number =="]\n', "skip_rows[1]"),
        ('skip_rows: ["named_by(comeback_of)"]\n', "skip_rows[1]"),
        ("combine:\n      opened_at: [RO Date]\n", "two or more headers"),
        ("combine:\n      opend_at: [a, b]\n", "did you mean 'opened_at'"),
        ("absent: [promsed_at]\n", "did you mean 'promised_at'"),
        ("columns:\n      a: [closed_at, clsed]\n", "did you mean 'closed_at'"),
        ("columns:\n      a: closed_at\n      b: closed_at\n", "closed_at is given twice"),
        ("file: [a.csv, ../b.csv]\n", "outside the data folder"),
    ],
)
def test_mistakes_in_the_new_keys_are_usage_errors(body: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_mapping("sheets:\n  work_orders:\n    " + body, source="m.yaml")
    assert caught.value.exit_code == EXIT_USAGE and words in caught.value.message, caught.value.message


def test_a_glob_matching_nothing_is_an_error_of_the_sheet(tmp_path: Path) -> None:
    folder = _plain(tmp_path, ["RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5"])
    (folder / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  work_orders:\n    file: 'RO_*.csv'\n", encoding="utf-8"
    )
    dataset = load_data(folder, cache=False)
    assert "work_orders" not in dataset.sheets
    assert any(i.severity == "error" and "no file matches 'RO_*.csv'" in i.reason for i in dataset.issues)


def test_a_duplicated_header_of_a_read_column_is_still_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "work_orders.csv").write_text(
        "ro_number,opened_at,customer_type,advisor,promised_at,advisor\nRO1,2024-05-02 09:00,retail,A,"
        "2024-05-02 17:00,B\n",
        encoding="utf-8",
    )
    dataset = load_data(folder, cache=False)
    assert "work_orders" not in dataset.sheets
    assert any("duplicate header 'advisor'" in i.reason for i in dataset.issues)


@pytest.mark.parametrize("blocks", [False, True])
@pytest.mark.parametrize("wanted", [None, {"opened_at", "advisor"}, {"parts_amount", "closed_at"}])
def test_the_fast_lane_reaches_the_verdict_of_the_general_path(
    tmp_path: Path, wanted: set[str] | None, blocks: bool
) -> None:
    """A clean CSV with a key repeated on rows whose amounts differ: the typed (Arrow) lane
    takes it, whole or block by block, and says exactly what the general path says."""
    from sdkpi.loaders import readers
    from sdkpi.loaders.sheets import SheetOptions
    from sdkpi.speed import typed_read
    from test_typed_csv import assert_same, general, lane

    folder = _plain(
        tmp_path,
        [
            "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5",
            "RO2,2024-05-03 09:00,retail,SA1,2024-05-03 17:00,80,1.0",
            "RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,250,1.5",
        ],
    )
    source = readers.SheetSource("work_orders", folder / "work_orders.csv")
    original = typed_read.BLOCK_SIZE
    typed_read.BLOCK_SIZE = 200  # a row or two per block
    try:
        fast = lane(source, SheetOptions(), wanted, blocks=blocks)
    finally:
        typed_read.BLOCK_SIZE = original
    assert fast is not None  # the lane took it
    slow = general(source, SheetOptions(), wanted)
    assert_same(slow, fast)
    assert list(fast[0].column_reasons) == ["parts_amount"]
    assert [i.code for i in fast[1] if i.severity == "error"] == ["lines_not_declared"]


def test_a_column_said_absent_that_the_file_has_is_read_and_said(tmp_path: Path) -> None:
    folder = _plain(tmp_path, ["RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5"])
    (folder / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  work_orders:\n    absent: [promised_at]\n", encoding="utf-8"
    )
    result = compute(folder, month="2024-05", today=TODAY, cache=False)
    assert [i.code for i in result.data_issues if i.code.startswith("absent")] == ["absent_but_found"]
    assert "not in this export" not in (result.kpi("on_time_completion_rate").reason or "")


def test_combine_joins_date_and_time_cells() -> None:
    import numpy as np

    from sdkpi.loaders.rows import _join

    dates = np.array(
        ["13/05/2024", "2024-05-13 00:00:00", "2024-05-13", "", "2024-05-14 00:00"], dtype=object
    )
    times = np.array(["14:20", "14:20", "", "09:00", ""], dtype=object)
    assert _join([dates, times]).tolist() == [
        "13/05/2024 14:20",
        "2024-05-13 14:20",  # the date cell's midnight gives way to the time column
        "2024-05-13",
        "09:00",  # a time without a date: read (and reported) as a bad date, never dropped
        "2024-05-14 00:00",  # no time: the date cell as it is
    ]


def test_a_skip_rule_that_never_matches_says_zero(tmp_path: Path) -> None:
    folder = _plain(tmp_path, ["RO1,2024-05-02 09:00,retail,SA1,2024-05-02 17:00,100,1.5"])
    mapping = "sheets:\n  work_orders:\n    skip_rows: [\"advisor in ['Page', 'Total']\"]\n"
    (folder / "sdkpi-mapping.yaml").write_text(mapping, encoding="utf-8")
    notes = [i for i in check(folder, cache=False).data_issues if i.code == "skip_rows"]
    assert [(n.severity, n.reason) for n in notes] == [
        ("info", "skip_rows \"advisor in ['Page', 'Total']\": 0 rows skipped")
    ]
