"""Real DMS exports: a Chinese DMS's messy twin of a clean store gives exactly its KPIs,
and every broken file of bad-input.md gets its stated outcome with no row lost unreported.

The twin is built in code from the conformance store (tests/fixtures/conformance/store-a):
Chinese file names, Chinese headers (contract names and other DMS systems' names), enum
values in Chinese, booleans mixing 是/否/√/×/Y/N/true/false, dates as `2024/5/3 14:20`,
`2024年5月3日 14:20` and `2024-05-03T14:20`, money with ¥ and thousands separators,
full-width digits, `NULL`/`-` for empty, GB18030, UTF-8 with BOM and UTF-16 "Unicode text",
two sheets as workbooks with a report title above the header and a 合计 row below, blank
rows, and a cell spanning two lines.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute, load_data
from sdkpi.contract import SHEETS, Column
from sdkpi.dataset import Dataset

STORE = CONFORMANCE / "store-a"
MONTHS = ["2024-04", "2024-05", "2024-06"]

#: names other DMS systems give some columns (the rest get the contract's Chinese header)
DMS_HEADERS = {
    "work_orders": {
        "ro_number": "委托书号",
        "advisor": "服务专员",
        "walkaround": "陪客预检",
        "promised_at": "预交车时间",
        "work_completed_at": "竣工时间",
        "delivery_explained": "解释结算单",
        "closed_at": "结算时间",
        "parts_amount": "材料费",
        "comeback_of": "原工单号",
    },
    "technician_time": {"available_hours": "出勤工时"},
    "appointments": {"ro_number": "委托书号"},
}
TRUE_SPELLINGS = ["是", "√", "Y", "true", "1", "yes"]
FALSE_SPELLINGS = ["否", "×", "N", "false", "0", "no"]
EMPTY_SPELLINGS = ["NULL", "-", "", " "]
#: how each sheet is written: file name (a Chinese sheet name), format, encoding
LAYOUT = {
    "work_orders": ("维修工单.csv", "csv", "gb18030"),
    "appointments": ("客户预约记录表.txt", "tsv", "utf-16"),
    "callbacks": ("回访记录.csv", "csv", "gb18030"),
    "customer_issues": ("客户问题记录.csv", "csv", "utf-8-sig"),
    "parts_requests": ("领料记录.csv", "csv", "gb18030"),
    "technician_time": ("工时记录.xlsx", "xlsx", None),
    "vehicle_sales": ("销售工作记录.xlsx", "xlsx", None),
    "suggestions": ("建议记录.txt", "tsv", "utf-16"),
}


# --------------------------------------------------------------------------- the twin


class Spellings:
    """Cycles through the spellings of one kind of value, so each column mixes them."""

    def __init__(self) -> None:
        self._cycles: dict[str, Iterator[int]] = {}

    def next(self, kind: str, n: int) -> int:
        return next(self._cycles.setdefault(kind, itertools.cycle(range(n))))

    def empty(self) -> str:
        return EMPTY_SPELLINGS[self.next("empty", len(EMPTY_SPELLINGS))]

    def boolean(self, text: str) -> str:
        choices = TRUE_SPELLINGS if text == "true" else FALSE_SPELLINGS
        return choices[self.next("bool", len(choices))]

    def datetime(self, text: str) -> str:
        stamp = datetime.fromisoformat(text)
        style = self.next("date", 3)
        if style == 0:
            return f"{stamp.year}/{stamp.month}/{stamp.day} {stamp:%H:%M}"
        if style == 1:
            clock = "" if (stamp.hour, stamp.minute) == (0, 0) else f" {stamp:%H:%M}"
            return f"{stamp.year}年{stamp.month}月{stamp.day}日{clock}"
        return stamp.isoformat(timespec="minutes")

    def number(self, text: str) -> str:
        value = float(text)
        style = self.next("number", 3)
        if style == 0:
            return f"¥{value:,}"
        if style == 1:
            return f"{value:,}"
        return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width

    def enum(self, column: Column, text: str) -> str:
        return column.values[text][0]  # 自费, 保修, 成功, 未接通 ...


def dms_cell(column: Column | None, text: str, spell: Spellings) -> str:
    """One clean CSV cell as a Chinese DMS writes it."""
    if column is None:
        return text
    if text == "":
        return spell.empty() if not column.required else ""
    if column.type == "bool":
        return spell.boolean(text)
    if column.type in ("datetime", "date"):
        return spell.datetime(text)
    if column.type == "number":
        return spell.number(text)
    if column.type == "enum":
        return spell.enum(column, text)
    return text


def dms_headers(sheet: str, headers: list[str]) -> list[str]:
    renamed = DMS_HEADERS.get(sheet, {})
    out = []
    for name in headers:
        column = SHEETS[sheet].column(name)
        out.append(renamed.get(name) or (column.zh if column else name))
    return out


def write_text_export(
    path: Path, headers: list[str], rows: list[list[str]], kind: str, encoding: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if kind == "tsv" else ",", lineterminator="\r\n")
    writer.writerow(headers)
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i == 10:
            writer.writerow([""] * len(headers))  # a blank row mid-sheet
    total = ["合计"] + [""] * (len(headers) - 1)
    writer.writerow(total)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_workbook_export(path: Path, sheet: str, headers: list[str], rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = SHEETS[sheet].zh
    ws.append([f"{SHEETS[sheet].zh} 2024年4月-6月 (导出时间 2024-07-01 08:00)"])  # report banner
    ws.append([])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    ws.append(["合计"] + [None] * (len(headers) - 2) + [len(rows)])
    book.save(path)


def workbook_cell(column: Column | None, text: str, spell: Spellings) -> object:
    """Workbooks mix typed cells (dates, numbers) with text cells as a DMS writes them."""
    if column is not None and text and spell.next("xlsx-typed", 2) == 0:
        if column.type in ("datetime", "date"):
            return datetime.fromisoformat(text)
        if column.type == "number":
            return float(text)
    return dms_cell(column, text, spell)


def make_twin(target: Path) -> Path:
    """The conformance store written as a Chinese DMS exports it."""
    target.mkdir()
    spell = Spellings()
    for sheet, (file_name, kind, encoding) in LAYOUT.items():
        clean = pd.read_csv(STORE / f"{sheet}.csv", dtype=str, keep_default_na=False)
        columns = [SHEETS[sheet].column(name) for name in clean.columns]
        headers = dms_headers(sheet, list(clean.columns))
        records = clean.to_numpy().tolist()
        if sheet == "customer_issues":  # a quoted cell spanning two lines
            fault = list(clean.columns).index("fault")
            records[3][fault] += "\n(客户补充描述)"
        if kind == "xlsx":
            rows = [[workbook_cell(c, t, spell) for c, t in zip(columns, r, strict=True)] for r in records]
            write_workbook_export(target / file_name, sheet, headers, rows)
        else:
            assert encoding is not None
            rows_text = [[dms_cell(c, t, spell) for c, t in zip(columns, r, strict=True)] for r in records]
            write_text_export(target / file_name, headers, rows_text, kind, encoding)
    return target


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_twin(tmp_path_factory.mktemp("dms") / "门店导出")


def test_the_twin_really_is_messy(twin: Path) -> None:
    work_orders = (twin / "维修工单.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        work_orders.decode("utf-8")
    text = work_orders.decode("gb18030")
    for spelling in ("委托书号", "预交车时间", "自费", "√", "×", "年", "¥", ",NULL,", "合计"):
        assert spelling in text, spelling
    assert (twin / "客户预约记录表.txt").read_bytes().startswith(b"\xff\xfe")


def test_twin_is_read_as_written(twin: Path) -> None:
    dataset = load_data(twin)
    sheets = dataset.sheets
    assert set(sheets) == set(SHEETS)
    assert (sheets["work_orders"].encoding, sheets["appointments"].encoding) == ("gb18030", "utf-16")
    assert (sheets["appointments"].file_format, sheets["technician_time"].file_format) == ("csv", "xlsx")
    assert sheets["technician_time"].header_row == 3  # below the banner and a blank row
    assert sheets["work_orders"].header_map["预交车时间"] == "promised_at"
    assert sheets["technician_time"].header_map["出勤工时"] == "available_hours"
    codes = {(i.severity, i.code) for i in dataset.issues}
    assert codes == {("info", "blank_row"), ("info", "total_row"), ("info", "title_rows")}, codes
    for name, data in sheets.items():
        clean_rows = len(pd.read_csv(STORE / f"{name}.csv", dtype=str))
        assert len(data.frame) == clean_rows, name
        assert not data.bad, name


@pytest.mark.parametrize("month", MONTHS)
def test_twin_gives_exactly_the_kpis_of_the_clean_store(twin: Path, month: str) -> None:
    clean = {k.id: k for k in compute(STORE, month=month, today=TODAY).kpis}
    messy = {k.id: k for k in compute(twin, month=month, today=TODAY).kpis}
    assert len(clean) == 24
    for kpi_id, expected in clean.items():
        got = messy[kpi_id]
        assert (got.numerator, got.denominator, got.value, got.status) == (
            expected.numerator,
            expected.denominator,
            expected.value,
            expected.status,
        ), kpi_id
        assert got.rows_in_period == expected.rows_in_period, kpi_id
        assert got.rows_unusable == 0, kpi_id


def test_twin_row_numbers_are_those_the_user_sees(twin: Path) -> None:
    dataset = load_data(twin)
    technician_time = dataset.sheets["technician_time"]
    assert technician_time.row_numbers[0] == 4  # banner, blank, header
    total = next(i for i in dataset.issues if i.code == "total_row" and i.sheet == "technician_time")
    assert total.row == 3 + len(technician_time.frame) + 1
    issues = dataset.sheets["customer_issues"]
    # the cell spanning two lines (record 4, line 5) pushes every later record down a line
    assert list(issues.row_numbers[2:6]) == [4, 5, 7, 8]


# --------------------------------------------------------------------------- row accounting

#: issue codes that stand for a row of the file that is not in the frame
SKIPPED_ROW_CODES = {"blank_row", "total_row", "ragged_row", "duplicate_key"}


def assert_no_row_lost(dataset: Dataset) -> None:
    """Every data row of every file is either kept or reported as skipped."""
    for name, data in dataset.sheets.items():
        skipped = [i for i in dataset.issues if i.sheet == name and i.code in SKIPPED_ROW_CODES]
        assert data.rows_in_file == len(data.frame) + len(skipped), (name, data.rows_in_file, skipped)
        kept = set(data.row_numbers.tolist())
        assert not kept & {i.row for i in skipped}, name  # a skipped row is not also kept


def test_no_row_of_the_twin_is_lost(twin: Path) -> None:
    assert_no_row_lost(load_data(twin))


def test_no_row_of_the_conformance_store_is_lost() -> None:
    assert_no_row_lost(load_data(STORE))


BuildFixture = Callable[[Path], None]
