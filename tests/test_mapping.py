"""The mapping file: parsed and validated with lines and "did you mean", and applied."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from sdkpi.api import load_data
from sdkpi.cli import app
from sdkpi.errors import EXIT_USAGE, UsageError
from sdkpi.loaders.mapping import load_mapping, parse_mapping

REPO = Path(__file__).parent.parent
WORK_ORDERS = (
    "单据号,接车日期,工单类型,接待,陪同环检,预计交车\n"
    "RO1,2024-05-02 09:00,A,张伟,有,2024-05-02 17:00\n"
    "RO2,2024-05-03 10:00,B,李娜,无,2024-05-03 17:00\n"
    "RO3,2024-05-04 11:00,C,张伟,有,2024-05-04 17:00\n"
)
MAPPING = """\
sheets:
  维修工单:
    columns:
      单据号: ro_number
      接车日期: opened_at
      接待: 服务顾问
      陪同环检: walkaround
      预计交车: promised_at
    values:
      工单类型: {A: retail, B: warranty, C: internal}
      walkaround: {有: true, 无: false}
"""


def folder_with(tmp_path: Path, files: dict[str, str], mapping: str | None = None) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    if mapping is not None:
        (folder / "sdkpi-mapping.yaml").write_text(mapping, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- parsing


def test_a_full_sheet_entry() -> None:
    options = parse_mapping(
        """
sheets:
  work_orders:
    file: 工单明细.csv
    worksheet: 明细
    header_row: 3
    encoding: gbk
    delimiter: tab
    date_order: dmy
    total_markers: [本页合计, " "]
"""
    )["work_orders"]
    assert (options.file, options.worksheet, options.header_row) == ("工单明细.csv", "明细", 3)
    assert (options.encoding, options.delimiter, options.date_order) == ("gbk", "\t", "dmy")
    assert options.total_markers == ("本页合计",)


def test_names_resolve_to_canonical_ones() -> None:
    options = parse_mapping(MAPPING)
    assert list(options) == ["work_orders"]  # 维修工单 is the sheet's Chinese name
    work_orders = options["work_orders"]
    assert work_orders.columns["接待"] == "advisor"  # mapped to the Chinese column name
    assert work_orders.values == {
        "customer_type": {"A": "retail", "B": "warranty", "C": "internal"},  # 工单类型 is an alias
        "walkaround": {"有": "true", "无": "false"},
    }


def test_keys_are_taken_as_written_and_null_means_missing() -> None:
    options = parse_mapping(
        "sheets:\n  callbacks:\n    values:\n"
        "      satisfied: {yes: 是, no: false, 'on': true, 待定: null}\n"
        "      result: {1: 成功, 2: no_answer}\n"
    )["callbacks"]
    assert options.values["satisfied"] == {"yes": "true", "no": "false", "on": "true", "待定": ""}
    assert options.values["result"] == {"1": "reached", "2": "no_answer"}


def test_empty_file_maps_nothing() -> None:
    assert parse_mapping("") == {}
    assert parse_mapping("sheets: {}\n") == {}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("sheets:\n  work_order: {}\n", 2, "unknown sheet 'work_order'; did you mean 'work_orders'?"),
        ("sheets:\n  work_orders:\n    header_rows: 2\n", 3, "unknown key; did you mean 'header_row'?"),
        (
            "sheets:\n  work_orders:\n    columns:\n      单号: ro_nmber\n",
            4,
            "not a column of work_orders; did you mean 'ro_number'?",
        ),
        (
            "sheets:\n  work_orders:\n    values:\n      customer_typ: {A: retail}\n",
            4,
            "unknown column 'customer_typ' of work_orders; did you mean 'customer_type'",
        ),
        (
            "sheets:\n  work_orders:\n    values:\n      customer_type:\n        A: retial\n",
            5,
            "is not one of retail, warranty, internal, insurance; did you mean 'retail'?",
        ),
        ("sheets:\n  callbacks:\n    values:\n      satisfied: {ok: maybe}\n", 4, "is not yes/no"),
        ("sheets:\n  work_orders:\n    header_row: 0\n", 3, "greater than or equal to 1"),
        ("sheets:\n  work_orders:\n    date_order: ymd\n", 3, "date_order"),
        ("sheets:\n  work_orders:\n    encoding: gb9999\n", 3, "unknown encoding 'gb9999'"),
        ("sheets:\n  work_orders:\n    delimiter: ';;'\n", 3, "one character"),
        ("work_orders:\n  header_row: 2\n", 1, "'work_orders' must sit under 'sheets:'"),
        ("sheet:\n  work_orders: {}\n", 1, "unknown key; did you mean 'sheets'?"),
        ("sheets:\n  work_orders: {}\n  维修工单: {}\n", 3, "given twice"),
        ("sheets:\n  a: 1\n  a: 2\n", 3, "duplicate key 'a' (first at line 2)"),
        ("sheets: [\n", 2, "YAML syntax error"),
        ("- work_orders\n", 1, "must hold a mapping"),
        ("sheets:\n  work_orders: !!python/object:os.system {}\n", 2, "YAML"),
    ],
)
def test_mistakes_are_usage_errors_with_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_mapping(text, source="m.yaml")
    error = caught.value
    assert (error.exit_code, error.file, error.line) == (EXIT_USAGE, "m.yaml", line)
    assert words in error.message, error.message


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "nope.yaml")
    (tmp_path / "gbk.yaml").write_bytes("sheets:\n  维修工单: {}\n".encode("gbk"))
    with pytest.raises(UsageError, match="not UTF-8"):
        load_mapping(tmp_path / "gbk.yaml")


def test_the_example_mapping_file_is_valid() -> None:
    for path in (REPO / "examples").rglob("sdkpi-mapping.yaml"):
        assert load_mapping(path), path


# --------------------------------------------------------------------------- applied


def test_mapping_next_to_the_data_is_picked_up(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"维修工单.csv": WORK_ORDERS}, MAPPING)
    data = load_data(folder).sheets["work_orders"]
    assert data.header_map == {
        "单据号": "ro_number",
        "接车日期": "opened_at",
        "工单类型": "customer_type",
        "接待": "advisor",
        "陪同环检": "walkaround",
        "预计交车": "promised_at",
    }
    assert data.frame["customer_type"].tolist() == ["retail", "warranty", "internal"]
    assert data.frame["walkaround"].tolist() == [True, False, True]


def test_without_the_mapping_the_codes_are_reported_not_guessed(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"维修工单.csv": WORK_ORDERS.replace("单据号", "工单号")})
    dataset = load_data(folder)
    assert {i.code for i in dataset.issues} >= {"missing_column", "bad_enum"}
    bad = [(i.row, i.value) for i in dataset.issues if i.code == "bad_enum"]
    assert bad == [(2, "A"), (3, "B"), (4, "C")]


def test_mapping_given_on_the_command_line(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"维修工单.csv": WORK_ORDERS})
    (tmp_path / "my-mapping.yaml").write_text(MAPPING, encoding="utf-8")
    data = load_data(folder, tmp_path / "my-mapping.yaml").sheets["work_orders"]
    assert data.frame["ro_number"].tolist() == ["RO1", "RO2", "RO3"]


def test_file_names_the_sheet_even_among_two_candidates(tmp_path: Path) -> None:
    old = WORK_ORDERS.replace("RO1", "OLD1")
    files = {"维修工单.csv": old, "工单.csv": old, "工单明细-5月.csv": WORK_ORDERS}
    mapping = MAPPING.replace("  维修工单:\n", "  维修工单:\n    file: 工单明细-5月.csv\n")
    data = load_data(folder_with(tmp_path, files, mapping)).sheets["work_orders"]
    assert data.file is not None and data.file.endswith("工单明细-5月.csv")
    assert data.frame["ro_number"].tolist()[0] == "RO1"


def test_worksheet_of_one_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "封面"
    sheet = book.create_sheet("Sheet2")
    for line in WORK_ORDERS.splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "导出.xlsx"
    book.save(path)
    (tmp_path / "m.yaml").write_text(MAPPING.replace("  维修工单:\n", "  维修工单:\n    worksheet: Sheet2\n"))
    data = load_data(path, tmp_path / "m.yaml").sheets["work_orders"]
    assert (data.worksheet, len(data.frame)) == ("Sheet2", 3)


def test_forced_encoding_delimiter_and_total_markers(tmp_path: Path) -> None:
    text = WORK_ORDERS.replace(",", ";") + "本页合计;;;;;\n"
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "维修工单.csv").write_bytes(text.encode("gbk"))
    mapping = MAPPING.replace(
        "  维修工单:\n",
        "  维修工单:\n    encoding: gbk\n    delimiter: semicolon\n    total_markers: [本页合计]\n",
    )
    (folder / "sdkpi-mapping.yaml").write_text(mapping, encoding="utf-8")
    dataset = load_data(folder)
    data = dataset.sheets["work_orders"]
    assert (data.encoding, len(data.frame)) == ("gb18030", 3)
    assert [(i.code, i.row) for i in dataset.issues] == [("total_row", 5)]


def test_a_bad_mapping_file_exits_2_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = folder_with(tmp_path, {"维修工单.csv": WORK_ORDERS}, "sheets:\n  work_orders:\n    colums: {}\n")
    result = CliRunner().invoke(app, ["compute", "--data", str(folder), "--month", "2024-05"])
    assert result.exit_code == EXIT_USAGE
    assert "sdkpi-mapping.yaml:3" in result.stderr and "did you mean 'columns'?" in result.stderr


def test_contract_names_never_mean_two_columns_of_one_sheet() -> None:
    from sdkpi.contract import SHEETS
    from sdkpi.loaders.readers import normalize_header

    for sheet in SHEETS.values():
        seen: dict[str, str] = {}
        for column in sheet.columns:
            for name in {normalize_header(n) for n in (column.name, column.zh, *column.aliases)}:
                assert seen.setdefault(name, column.name) == column.name, (sheet.name, name)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("预交车时间", "promised_at"),
        ("约定交车时间", "promised_at"),
        ("竣工时间", "work_completed_at"),
        ("完工时间", "work_completed_at"),
        ("结算时间", "closed_at"),
        ("服务专员", "advisor"),
        ("委托书号", "ro_number"),
        ("原工单号", "comeback_of"),
        ("陪客预检", "walkaround"),
        ("解释结算单", "delivery_explained"),
        ("材料费", "parts_amount"),
        ("出厂时间", "delivered_at"),
    ],
)
def test_other_dms_names_are_known(header: str, column: str) -> None:
    from sdkpi.contract import SHEETS
    from sdkpi.loaders.readers import normalize_header
    from sdkpi.loaders.sheets import expected_headers

    assert expected_headers(SHEETS["work_orders"])[normalize_header(header)] == column
    assert expected_headers(SHEETS["technician_time"])[normalize_header("出勤工时")] == "available_hours"
