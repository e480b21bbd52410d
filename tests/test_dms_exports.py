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
    assert set(sheets) == set(SHEETS) - {"staff"}  # the optional roster is not exported
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


# --------------------------------------------------------------------------- bad-input.md, end to end
#
# One small fixture per case of the "Files and encodings", "Headers" and "Rows and values"
# tables, read through `load_data` / `compute` (the readers' and parsers' own unit tests are
# in test_readers.py and test_values.py). Every case that reads also checks that no row was
# lost without a report.

HEADER = ["工单号", "开单时间", "客户类型", "服务顾问", "互动预检", "约定交车时间", "结账时间", "零件金额"]
ROWS = [
    ["RO001", "2024-05-02 09:00", "自费", "张伟", "是", "2024-05-02 17:00", "2024-05-02 18:00", "120"],
    ["RO002", "2024-05-03 10:00", "保修", "李娜", "否", "2024-05-03 17:00", "2024-05-03 18:00", "80.5"],
    ["RO003", "2024-05-04 11:00", "自费", "张伟", "√", "2024-05-04 17:00", "2024-05-04 18:00", '"1,000"'],
]


def csv_text(header: list[str] = HEADER, rows: list[list[str]] = ROWS, sep: str = ",") -> str:
    return "".join(sep.join(r) + "\n" for r in [header, *rows])


def export(
    tmp_path: Path, content: str | bytes, name: str = "维修工单.csv", mapping: str | None = None
) -> Path:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    if mapping is not None:
        (folder / "sdkpi-mapping.yaml").write_text(mapping, encoding="utf-8")
    return folder


def read(folder: Path) -> Dataset:
    dataset = load_data(folder)
    assert_no_row_lost(dataset)
    return dataset


def codes(dataset: Dataset) -> set[tuple[str, str]]:
    return {(i.severity, i.code) for i in dataset.issues}


def only_issue(dataset: Dataset, code: str) -> object:
    (issue,) = [i for i in dataset.issues if i.code == code]
    return issue


def unreadable(dataset: Dataset, sheet: str = "work_orders") -> str:
    """The reason a sheet could not be read (an error issue, and the sheet is absent)."""
    assert sheet not in dataset.sheets
    assert dataset.missing[sheet].startswith("unreadable")
    (issue,) = [i for i in dataset.issues if i.code == "unreadable" and i.sheet == sheet]
    assert issue.severity == "error"
    return issue.reason


# Files and encodings


@pytest.mark.parametrize(
    ("encoding", "sep", "label"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("gb18030", ",", "gb18030"),
        ("gbk", ",", "gb18030"),
        ("utf-16", "\t", "utf-16"),
    ],
)
def test_encodings_are_read_and_named(tmp_path: Path, encoding: str, sep: str, label: str) -> None:
    folder = export(tmp_path, csv_text(sep=sep).encode(encoding))
    data = read(folder).sheets["work_orders"]
    assert data.encoding == label
    assert next(iter(data.header_map)) == "工单号"  # never "\ufeff工单号"
    assert data.frame["advisor"].tolist() == ["张伟", "李娜", "张伟"]


def test_bytes_in_no_supported_encoding_give_the_offset(tmp_path: Path) -> None:
    content = csv_text().encode("utf-8") + b"RO004,\xff\xfe\xfd\x80\n"
    reason = unreadable(read(export(tmp_path, content)))
    assert "offset" in reason and "latin" not in reason.lower()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("维修工单.xlsx", csv_text(), "CSV"),
        ("维修工单.xlsx", "<html><body><table><tr><td>工单号</td></tr></table></body></html>", "HTML"),
        ("维修工单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xlsx"),
    ],
)
def test_wrong_file_kind_is_decided_by_the_first_bytes(
    tmp_path: Path, name: str, content: str | bytes, words: str
) -> None:
    from sdkpi.errors import InputError

    try:
        dataset = read(export(tmp_path, content, name))
    except InputError as err:  # an old .xls is refused while looking for the files
        assert words in str(err)
        return
    assert words in unreadable(dataset)


@pytest.mark.parametrize("content", ["", "\n\n", ",".join(HEADER) + "\n"])
def test_empty_file_and_header_only_are_no_data_never_zero(tmp_path: Path, content: str) -> None:
    result = compute(export(tmp_path, content), month="2024-05", today=TODAY)
    work_order_kpis = [k for k in result.kpis if k.sheet == "work_orders"]
    assert work_order_kpis and all(k.status == "no_data" and k.value is None for k in work_order_kpis)


def test_workbook_without_the_worksheet_the_mapping_names_lists_the_names(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "数据"
    book.create_sheet("说明")
    folder = tmp_path / "export"
    folder.mkdir()
    book.save(folder / "工单导出.xlsx")
    (folder / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  维修工单:\n    file: 工单导出.xlsx\n    worksheet: 工单明细\n", encoding="utf-8"
    )
    reason = unreadable(load_data(folder))
    assert "工单明细" in reason and "数据" in reason and "说明" in reason


# Headers


def test_title_rows_above_the_header_are_detected(tmp_path: Path) -> None:
    text = "维修工单明细表,,,,,,,\n导出日期：2024-06-01,,,,,,,\n,,,,,,,\n" + csv_text()
    data = read(export(tmp_path, text)).sheets["work_orders"]
    assert data.header_row == 4
    assert data.row_numbers.tolist() == [5, 6, 7]


def test_a_group_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    group = ",".join(["基本信息", "", "", "", "预检", "交车", "", "金额"]) + "\n"
    dataset = read(export(tmp_path, group + csv_text()))
    assert dataset.sheets["work_orders"].header_row == 2
    assert len(dataset.sheets["work_orders"].frame) == 3


def test_a_header_split_over_two_rows_says_how_to_set_the_header_row(tmp_path: Path) -> None:
    first = ",".join(["工单号", "开单时间", "客户类型", "服务顾问", "预检", "时间", "", "金额"]) + "\n"
    second = ",".join(["", "", "", "", "互动预检", "约定交车时间", "结账时间", "零件金额"]) + "\n"
    body = csv_text().split("\n", 1)[1]
    reason = unreadable(load_data(export(tmp_path, first + second + body)))
    assert "two rows (1 and 2)" in reason and "header_row" in reason


def test_header_row_from_the_mapping_file(tmp_path: Path) -> None:
    text = "工单号,说明\n导出人：张伟,\n" + csv_text()  # a banner that looks like a header
    mapping = "sheets:\n  work_orders:\n    header_row: 3\n"
    data = read(export(tmp_path, text, mapping=mapping)).sheets["work_orders"]
    assert data.header_row == 3 and data.row_numbers.tolist() == [4, 5, 6]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ([*HEADER[:-1], "工单号"], "工单号"),
        ([*HEADER[:-1], ""], "no header"),
    ],
)
def test_duplicate_and_blank_headers_are_errors(tmp_path: Path, header: list[str], words: str) -> None:
    reason = unreadable(load_data(export(tmp_path, csv_text(header))))
    assert words in reason


def test_spaces_in_headers_are_normalised(tmp_path: Path) -> None:
    header = [" 工单号 ", "开单时间\u3000", "\u00a0客户类型", "服务顾问", *HEADER[4:]]
    data = read(export(tmp_path, csv_text(header))).sheets["work_orders"]
    assert {"ro_number", "opened_at", "customer_type"} <= set(data.header_map.values())
    assert not data.missing_columns & {"ro_number", "opened_at", "customer_type"}


def test_required_column_missing_lists_expected_found_and_close_matches(tmp_path: Path) -> None:
    header = ["工单号", "开单时间", "客户类别", "服务顾问", *HEADER[4:]]  # 客户类别, not 客户类型
    dataset = read(export(tmp_path, csv_text(header)))
    issue = only_issue(dataset, "missing_column")
    assert issue.severity == "error" and issue.column == "customer_type"  # type: ignore[attr-defined]
    assert "客户类别" in issue.reason  # type: ignore[attr-defined]
    result = compute(export(tmp_path, csv_text(header)), month="2024-05", today=TODAY)
    assert result.kpi("appointment_rate").status == "no_data"  # needs customer_type
    assert result.kpi("parts_sales_per_ro").value == pytest.approx((120 + 80.5 + 1000) / 3)  # still computed


def test_own_header_names_through_the_mapping_file(tmp_path: Path) -> None:
    header = ["单据编号", "接车日期", "工单类型", "接待员", "陪同环检", "预计交车", "结账时间", "零件金额"]
    rows = [[r[0], r[1], code, *r[3:]] for r, code in zip(ROWS, ["A", "B", "C"], strict=True)]
    mapping = """
sheets:
  维修工单:
    columns:
      单据编号: ro_number
      接车日期: opened_at
      陪同环检: walkaround
      预计交车: promised_at
    values:
      工单类型: {A: retail, B: warranty, C: internal}
"""
    data = read(export(tmp_path, csv_text(header, rows), mapping=mapping)).sheets["work_orders"]
    assert data.header_map["单据编号"] == "ro_number" and data.header_map["预计交车"] == "promised_at"
    assert data.frame["customer_type"].tolist() == ["retail", "warranty", "internal"]
    assert data.frame["walkaround"].tolist() == [True, False, True]


# Rows and values


def test_blank_and_total_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    rows = [
        ROWS[0],
        [""] * 8,
        ROWS[1],
        ROWS[2],
        ["小计", "", "", "", "", "", "", '"1,200.5"'],
        ["合计"] + [""] * 7,
    ]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    data = dataset.sheets["work_orders"]
    assert data.frame["parts_amount"].sum() == 1200.5  # the totals are not added in
    assert [(i.code, i.row) for i in dataset.issues] == [("blank_row", 3), ("total_row", 6), ("total_row", 7)]


@pytest.mark.parametrize("cells", [[*ROWS[1], "extra"], ROWS[1][:3]])
def test_too_many_or_too_few_cells_is_an_error_naming_the_line(tmp_path: Path, cells: list[str]) -> None:
    dataset = read(export(tmp_path, csv_text(rows=[ROWS[0], cells, ROWS[2]])))
    issue = only_issue(dataset, "ragged_row")
    assert (issue.severity, issue.row) == ("error", 3)  # type: ignore[attr-defined]
    assert dataset.sheets["work_orders"].frame["ro_number"].tolist() == ["RO001", "RO003"]


def test_quoted_cell_spanning_lines_keeps_the_row_numbers(tmp_path: Path) -> None:
    header = [*HEADER, "备注"]
    rows = [[*ROWS[0], '"客户说:\n异响"'], [*ROWS[1], ""], [*ROWS[2], "x"]]
    data = read(export(tmp_path, csv_text(header, rows))).sheets["work_orders"]
    assert data.row_numbers.tolist() == [2, 4, 5]
    assert data.frame["备注"].tolist()[0] == "客户说:\n异响"


def test_number_spellings(tmp_path: Path) -> None:
    rows = [[*r[:7], amount] for r, amount in zip(ROWS, ['"1,234.5"', '"¥1,234"', "１２３"], strict=True)]
    data = read(export(tmp_path, csv_text(rows=rows))).sheets["work_orders"]
    assert data.frame["parts_amount"].tolist() == [1234.5, 1234.0, 123.0]


@pytest.mark.parametrize("placeholder", ["#N/A", "#DIV/0!", "NA", "null"])
def test_placeholders_are_missing_with_a_warning_per_cell(tmp_path: Path, placeholder: str) -> None:
    rows = [[*ROWS[0][:7], placeholder], [*ROWS[1][:7], placeholder], ROWS[2]]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    warned = [i for i in dataset.issues if i.code == "placeholder"]
    assert [(i.severity, i.row, i.value) for i in warned] == [
        ("warning", 2, placeholder),
        ("warning", 3, placeholder),
    ]
    assert dataset.sheets["work_orders"].frame["parts_amount"].isna().tolist() == [True, True, False]


def test_ids_keep_leading_zeros_and_lost_digits_are_reported(tmp_path: Path) -> None:
    rows = [["0012", *ROWS[0][1:]], ["1.23457E+15", *ROWS[1][1:]], ROWS[2]]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    assert dataset.sheets["work_orders"].frame["ro_number"].tolist()[0] == "0012"
    issue = only_issue(dataset, "id_lost_digits")
    assert (issue.severity, issue.row, issue.value) == ("warning", 3, "1.23457E+15")  # type: ignore[attr-defined]


def test_a_mixed_boolean_column_names_the_bad_value_and_is_not_all_false(tmp_path: Path) -> None:
    spellings = ["Y", "maybe", "×"]
    rows = [[*r[:4], b, *r[5:]] for r, b in zip(ROWS, spellings, strict=True)]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    issue = only_issue(dataset, "bad_bool")
    assert (issue.row, issue.value) == (3, "maybe")  # type: ignore[attr-defined]
    walkaround = dataset.sheets["work_orders"].frame["walkaround"]
    assert (
        walkaround.tolist()[0] is True and walkaround.isna().tolist()[1] and walkaround.tolist()[2] is False
    )


def test_excel_dates_1904_and_serials(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "维修工单"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([row[0], datetime.fromisoformat(row[1]), *row[2:5], row[5], row[6], 1.0])
    sheet["B4"] = 43954.4583333333  # a bare serial number: 2024-05-04 11:00 counted from 1904
    folder = tmp_path / "export"
    folder.mkdir()
    book.save(folder / "维修工单.xlsx")
    opened = read(folder).sheets["work_orders"].frame["opened_at"]
    assert opened.dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-05-02 09:00",
        "2024-05-03 10:00",
        "2024-05-04 11:00",
    ]


@pytest.mark.parametrize("text", ["2024/5/3 14:20", "2024-05-03T14:20", "2024年5月3日 14:20"])
def test_date_spellings(tmp_path: Path, text: str) -> None:
    rows = [[*ROWS[0][:6], text, ROWS[0][7]]]
    closed = read(export(tmp_path, csv_text(rows=rows))).sheets["work_orders"].frame["closed_at"]
    assert closed.tolist() == [pd.Timestamp("2024-05-03 14:20")]


def test_ambiguous_day_month_order_is_an_error_until_the_mapping_sets_it(tmp_path: Path) -> None:
    rows = [
        [*r[:6], closed, r[7]]
        for r, closed in zip(ROWS, ["03/05/2024", "04/05/2024", "05/05/2024"], strict=True)
    ]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    ambiguous = [i for i in dataset.issues if i.code == "ambiguous_date_order"]
    assert len(ambiguous) == 3 and all(i.severity == "error" and "date_order" in i.reason for i in ambiguous)
    mapping = "sheets:\n  work_orders:\n    date_order: dmy\n"
    data = read(export(tmp_path, csv_text(rows=rows), mapping=mapping)).sheets["work_orders"]
    assert data.frame["closed_at"].dt.day.tolist() == [3, 4, 5]
    assert data.frame["closed_at"].dt.month.tolist() == [5, 5, 5]


def test_formula_never_calculated_is_a_warning_per_cell(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "维修工单"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    sheet["H3"] = "=H2*2"  # openpyxl writes no cached value, as a formula never opened in Excel
    folder = tmp_path / "export"
    folder.mkdir()
    book.save(folder / "维修工单.xlsx")
    dataset = read(folder)
    issue = only_issue(dataset, "uncalculated_formula")
    assert (issue.severity, issue.row, issue.column) == ("warning", 3, "零件金额 (parts_amount)")  # type: ignore[attr-defined]
    assert pd.isna(dataset.sheets["work_orders"].frame["parts_amount"][1])


def test_duplicate_key_is_a_warning_and_the_first_row_counts(tmp_path: Path) -> None:
    rows = [ROWS[0], ROWS[1], ["RO001", *ROWS[2][1:]]]
    dataset = read(export(tmp_path, csv_text(rows=rows)))
    issue = only_issue(dataset, "duplicate_key")
    assert (issue.severity, issue.row, issue.value) == ("warning", 4, "RO001")  # type: ignore[attr-defined]
    assert "first" in issue.reason  # type: ignore[attr-defined]
    assert dataset.sheets["work_orders"].frame["ro_number"].tolist() == ["RO001", "RO002"]


def test_a_bad_value_leaves_its_row_out_of_only_the_kpis_reading_that_column(tmp_path: Path) -> None:
    from sdkpi.definitions import load_definitions

    clean = compute(STORE, month="2024-05", today=TODAY)
    folder = tmp_path / "store"
    folder.mkdir()
    for file in STORE.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    lines = (folder / "work_orders.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    may = next(i for i, line in enumerate(lines) if line.split(",")[1].startswith("2024-05-1"))
    cells = lines[may].rstrip("\n").split(",")
    cells[header.index("walkaround")] = "不确定"
    lines[may] = ",".join(cells) + "\n"
    (folder / "work_orders.csv").write_text("".join(lines), encoding="utf-8")
    messy = compute(folder, month="2024-05", today=TODAY)
    issue = only_issue(load_data(folder), "bad_bool")
    assert (issue.row, issue.value) == (may + 1, "不确定")  # type: ignore[attr-defined]
    compiled = load_definitions().compiled
    for kpi in messy.kpis:
        before = clean.kpi(kpi.id)
        reads_it = kpi.sheet == "work_orders" and "walkaround" in compiled[kpi.id].columns
        assert kpi.rows_unusable == (1 if reads_it else 0), kpi.id
        if not reads_it:
            assert (kpi.numerator, kpi.denominator) == (before.numerator, before.denominator), kpi.id
    walkaround = messy.kpi("walkaround_rate")
    assert walkaround.denominator <= clean.kpi("walkaround_rate").denominator


# --------------------------------------------------------------------------- the shipped example

EXAMPLE = Path(__file__).parent.parent / "examples" / "dms-export"


def test_the_example_export_gives_exactly_the_kpis_of_its_clean_twin() -> None:
    import json

    expected = json.loads((EXAMPLE / "expected-kpis-2024-05.json").read_text(encoding="utf-8"))
    result = compute(EXAMPLE, month="2024-05", today=TODAY)
    assert {
        k.id: {"numerator": k.numerator, "denominator": k.denominator, "value": k.value} for k in result.kpis
    } == (expected)
    assert all(k.status != "no_data" for k in result.kpis)
    issues = [(i.severity, i.code, i.sheet) for i in result.data_issues if i.severity != "info"]
    assert issues == [("warning", "placeholder", "work_orders")]  # the #N/A left in 车架号


def test_the_example_export_is_messy_as_promised() -> None:
    dataset = load_data(EXAMPLE)
    work_orders = dataset.sheets["work_orders"]
    assert (work_orders.encoding, work_orders.header_row) == ("gb18030", 3)
    assert work_orders.header_map["接待时间"] == "opened_at"  # through the mapping file
    assert set(work_orders.frame["customer_type"]) == {"retail", "warranty", "internal"}  # from A/B/C
    text = next(EXAMPLE.glob("维修工单*.csv")).read_bytes().decode("gb18030")
    for spelling in ("√", "×", "是", "否", "年5月", "2024/5/", "¥", ",NULL,", "合计"):
        assert spelling in text, spelling
    assert dataset.sheets["appointments"].encoding == "utf-16"
    assert dataset.sheets["technician_time"].file_format == "xlsx"
    assert_no_row_lost(dataset)
