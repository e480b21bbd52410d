"""Readers: finding sheet files, decoding, header rows, row numbers, hostile workbooks.

Every fixture is built in tmp_path by the test itself (CSV bytes by hand, xlsx with openpyxl).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkpi.contract import SHEETS
from sdkpi.errors import InputError
from sdkpi.loaders import workbook_safety
from sdkpi.loaders.discover import discover
from sdkpi.loaders.readers import (
    UNCALCULATED,
    ReadOptions,
    SheetSource,
    normalize_header,
    read_sheet,
)


def expected(sheet: str = "work_orders") -> set[str]:
    return {normalize_header(t) for c in SHEETS[sheet].columns for t in (c.name, c.zh, *c.aliases)}


def write(path: Path, content: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def read(path: Path, options: ReadOptions | None = None, sheet: str = "work_orders", worksheet=None):
    return read_sheet(SheetSource(sheet, path, worksheet), options, expected(sheet))


def rows(raw) -> list[list]:
    return raw.data.astype(object).values.tolist()


def issues(raw, code: str) -> list[int | None]:
    return [i.row for i in raw.issues if i.code == code]


def xlsx(path: Path, sheets: dict[str, list[list]], epoch=None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(table, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
    if epoch is not None:
        wb.epoch = epoch
    wb.save(path)
    return path


def rewrite_member(path: Path, member: str, edit) -> None:
    """Replace one zip member's bytes (edit: bytes -> bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, edit(data) if info.filename == member else data)
    path.write_bytes(buf.getvalue())


HEADER = "工单号,开单时间,服务顾问\n"


# --------------------------------------------------------------------------- names


def test_normalize_header_nfkc_spaces_case():
    assert normalize_header("  工单号\u3000") == "工单号"
    assert normalize_header("\xa0服务顾问 ") == "服务顾问"
    assert normalize_header("ＶＩＮ") == "vin"
    assert normalize_header("Labor   Hours\tSold") == "labor hours sold"
    assert normalize_header("\ufeffro_number") == "ro_number"


# --------------------------------------------------------------------------- files and encodings


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_and_without_bom(tmp_path, bom):
    raw = read(write(tmp_path / "work_orders.csv", bom + (HEADER + "R1,2024-05-01 10:00,张三\n").encode()))
    assert raw.encoding == ("utf-8-sig" if bom else "utf-8")
    assert raw.headers == ["工单号", "开单时间", "服务顾问"]  # never a BOM in the first header
    assert rows(raw) == [["R1", "2024-05-01 10:00", "张三"]]
    assert list(raw.row_numbers) == [2]
    assert raw.file_format == "csv" and raw.delimiter == ","


def test_gb18030(tmp_path):
    path = write(tmp_path / "work_orders.csv", HEADER + "R1,2024-05-01,张三\nR2,2024-05-02,李四\n", "gb18030")
    raw = read(path)
    assert raw.encoding == "gb18030"
    assert raw.headers[0] == "工单号"
    assert rows(raw)[1] == ["R2", "2024-05-02", "李四"]
    assert list(raw.row_numbers) == [2, 3]


def test_utf16_tab_separated(tmp_path):
    text = "工单号\t开单时间\t服务顾问\r\nR1\t2024-05-01\t张三, 李四\r\n"
    raw = read(write(tmp_path / "work_orders.txt", text, "utf-16"))  # Excel "Unicode text"
    assert (raw.encoding, raw.delimiter) == ("utf-16", "\t")
    assert raw.headers == ["工单号", "开单时间", "服务顾问"]
    assert rows(raw) == [["R1", "2024-05-01", "张三, 李四"]]


def test_undecodable_bytes_give_the_offset(tmp_path):
    path = write(tmp_path / "work_orders.csv", b"a,b\n1,\xff\xfe\n")
    with pytest.raises(InputError) as info:
        read(path)
    err = info.value
    assert "byte offset 6" in str(err) and "line 2" in str(err)
    assert err.row == 2 and err.file == str(path) and err.hint
    assert "ff fe" in str(err.value)


def test_damaged_utf8_is_not_read_as_gb18030(tmp_path):
    body = "".join(f"R{i},2024-05-01,张三李四王五\n" for i in range(20)).encode()
    path = write(tmp_path / "work_orders.csv", HEADER.encode() + body + b"R99,\xff,x\n")
    with pytest.raises(InputError, match="damaged"):
        read(path)


def test_body_not_utf8_after_an_ascii_head_falls_back_to_gb18030(tmp_path):
    head = "".join(f"R{i},2024-05-01,x\n" for i in range(6000))  # > 64 KiB of ASCII first
    path = write(tmp_path / "work_orders.csv", HEADER + head + "R9,2024-05-02,张三\n", "gb18030")
    raw = read(path)
    assert raw.encoding == "gb18030"
    assert rows(raw)[-1] == ["R9", "2024-05-02", "张三"]
    assert raw.row_numbers[-1] == 6002


def test_forced_encoding(tmp_path):
    path = write(tmp_path / "work_orders.csv", HEADER + "R1,2024-05-01,张三\n", "gb18030")
    assert read(path, ReadOptions(encoding="gbk")).encoding == "gb18030"
    with pytest.raises(InputError, match="byte offset"):
        read(path, ReadOptions(encoding="utf-8"))


def test_csv_named_xlsx(tmp_path):
    path = write(tmp_path / "work_orders.xlsx", HEADER + "R1,2024-05-01,张三\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert "text (CSV)" in str(info.value) and "rename it to .csv" in str(info.value)


def test_html_named_xlsx(tmp_path):
    path = write(
        tmp_path / "work_orders.xlsx", "<html><body><table><tr><td>工单号</td></tr></table></body></html>"
    )
    with pytest.raises(InputError) as info:
        read(path)
    assert "HTML" in str(info.value) and "save as .xlsx" in str(info.value)


def test_old_xls_by_its_first_bytes(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(InputError, match=r"old \.xls format; save as \.xlsx"):
        read(write(tmp_path / "work_orders.xls", ole))
    with pytest.raises(InputError, match="old binary Excel"):
        read(write(tmp_path / "work_orders.xlsx", ole))  # .xlsx name, .xls content
    alone = tmp_path / "alone"
    alone.mkdir()
    write(alone / "work_orders.xls", ole)
    source = discover(alone)["work_orders"]  # found, so that only this sheet fails
    with pytest.raises(InputError, match=r"old \.xls format"):
        read(source.path)


def test_zip_named_csv(tmp_path):
    book = xlsx(tmp_path / "book.xlsx", {"Sheet1": [["工单号", "服务顾问"], ["R1", "张三"]]})
    path = write(tmp_path / "work_orders.csv", book.read_bytes())
    with pytest.raises(InputError) as info:
        read(path)
    assert "Excel workbook" in str(info.value) and "rename it to .xlsx" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \n"])
def test_empty_file_is_no_data_not_an_error(tmp_path, content):
    raw = read(write(tmp_path / "work_orders.csv", content))
    assert len(raw.data) == 0 and raw.headers == [] and raw.rows_in_file == 0
    assert raw.row_numbers.dtype == np.int64


def test_empty_xlsx_file(tmp_path):
    raw = read(write(tmp_path / "work_orders.xlsx", b""))
    assert (raw.file_format, len(raw.data), raw.rows_in_file) == ("xlsx", 0, 0)


def test_header_only(tmp_path):
    raw = read(write(tmp_path / "work_orders.csv", HEADER))
    assert raw.headers == ["工单号", "开单时间", "服务顾问"]
    assert raw.data.shape == (0, 3) and raw.rows_in_file == 0 and raw.header_row == 1


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read(tmp_path / "work_orders.csv")


# --------------------------------------------------------------------------- headers


def test_title_rows_above_the_header(tmp_path):
    text = "维修工单明细表\n导出时间：2024-06-01,,\n\n" + HEADER + "R1,2024-05-01,张三\nR2,2024-05-02,李四\n"
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert raw.header_row == 4
    assert raw.headers == ["工单号", "开单时间", "服务顾问"]
    assert list(raw.row_numbers) == [5, 6]
    assert issues(raw, "title_rows") == [4]
    assert raw.rows_in_file == 2


def test_title_rows_above_the_header_xlsx(tmp_path):
    path = xlsx(
        tmp_path / "work_orders.xlsx",
        {"Sheet1": [["维修工单明细表"], [None], ["工单号", "开单时间", "服务顾问"], ["R1", None, "张三"]]},
    )
    raw = read(path)
    assert raw.header_row == 3 and list(raw.row_numbers) == [4]
    assert rows(raw) == [["R1", None, "张三"]]


def test_header_row_set_by_the_user(tmp_path):
    text = "my report\nro,advisor\nR1,张三\n"
    raw = read(write(tmp_path / "work_orders.csv", text), ReadOptions(header_row=2))
    assert raw.headers == ["ro", "advisor"] and list(raw.row_numbers) == [3]
    with pytest.raises(InputError, match="header_row 9"):
        read(write(tmp_path / "work_orders.csv", text), ReadOptions(header_row=9))


def test_no_expected_header_matches_takes_first_row_with_cells(tmp_path):
    raw = read_sheet(SheetSource("work_orders", write(tmp_path / "x.csv", "Title\nro,advisor\nR1,A\n")))
    assert raw.header_row == 2 and raw.headers == ["ro", "advisor"]


def test_duplicate_header_csv(tmp_path):
    path = write(tmp_path / "work_orders.csv", "工单号,服务顾问,工单号 \nR1,张三,R2\n")
    with pytest.raises(InputError) as info:
        read(path)
    err = info.value
    assert "duplicate header" in err.message and "column 1" in err.message and "column 3" in err.message
    assert err.column == "3" and "headers found" in err.hint


def test_duplicate_header_xlsx_names_the_excel_column(tmp_path):
    path = xlsx(
        tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号", "服务顾问", "服务顾问"], ["R1", "a", "b"]]}
    )
    with pytest.raises(InputError) as info:
        read(path)
    assert "column B" in info.value.message and "column C" in info.value.message
    assert info.value.column == "C"


def test_blank_header_over_data(tmp_path):
    path = write(tmp_path / "work_orders.csv", "工单号,,服务顾问\nR1,,张三\nR2,note,李四\n")
    with pytest.raises(InputError) as info:
        read(path)
    err = info.value
    assert "column 2" in err.message and "no header" in err.message
    assert err.row == 3 and err.value == "note" and "'工单号'" in err.hint


def test_blank_header_over_data_xlsx(tmp_path):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号", None, "服务顾问"], ["R1", 5, "张三"]]})
    with pytest.raises(InputError, match="column B holds data but has no header"):
        read(path)


def test_empty_columns_without_header_are_dropped(tmp_path):
    raw = read(write(tmp_path / "work_orders.csv", "工单号,,服务顾问,,\nR1,,张三,,\n"))
    assert raw.headers == ["工单号", "服务顾问"]
    assert rows(raw) == [["R1", "张三"]]


def test_nfkc_headers_are_detected_and_kept_as_in_the_file(tmp_path):
    text = "报表\n工单号\u3000,\xa0开单时间 ,ＶＩＮ\nR1,2024-05-01,LSV123\n"
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert raw.header_row == 2
    assert raw.headers == ["工单号\u3000", "\xa0开单时间 ", "ＶＩＮ"]
    assert [normalize_header(h) for h in raw.headers] == ["工单号", "开单时间", "vin"]


def test_header_split_over_two_rows_asks_for_header_row(tmp_path):
    text = "工单号,时间,,服务顾问\n,开单时间,约定交车时间,\nR1,2024-05-01,2024-05-02,张三\n"
    with pytest.raises(InputError) as info:
        read(write(tmp_path / "work_orders.csv", text))
    assert "two rows (1 and 2)" in info.value.message and "header_row" in info.value.hint


def test_group_row_above_the_header_is_skipped(tmp_path):
    text = "基本信息,,时间信息\n工单号,服务顾问,开单时间\nR1,张三,2024-05-01\n"
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert raw.header_row == 2 and list(raw.row_numbers) == [3]


def test_semicolon_and_forced_delimiter(tmp_path):
    raw = read(write(tmp_path / "work_orders.csv", "工单号;服务顾问\nR1;张三\n"))
    assert raw.delimiter == ";" and rows(raw) == [["R1", "张三"]]
    raw = read(write(tmp_path / "work_orders.txt", "工单号|服务顾问\nR1|张三\n"), ReadOptions(delimiter="|"))
    assert rows(raw) == [["R1", "张三"]]


# --------------------------------------------------------------------------- rows


def test_blank_rows_and_total_rows(tmp_path):
    text = (
        HEADER  # 1
        + "R1,2024-05-01,张三\n"  # 2
        + "\n"  # 3 blank line
        + ",,\n"  # 4 blank cells
        + "R2,2024-05-02,李四\n"  # 5
        + "合计:,,2\n"  # 6
        + "Totally new,2024-05-03,王五\n"  # 7: not a total ("totally")
        + " ,\u3000, \n"  # 8 whitespace only
        + ",小计,1\n"  # 9 marker in the second column
        + "ＴＯＴＡＬ,,\n"  # 10 full-width
        + "\n\n"  # trailing blank lines: not rows
    )
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert list(raw.row_numbers) == [2, 5, 7]
    assert [r[0] for r in rows(raw)] == ["R1", "R2", "Totally new"]
    assert issues(raw, "blank_row") == [3, 4, 8]
    assert issues(raw, "total_row") == [6, 9, 10]
    assert all(i.severity == "info" for i in raw.issues)
    assert raw.rows_in_file == 9
    total = next(i for i in raw.issues if i.code == "total_row")
    assert total.value == "合计:" and total.sheet == "work_orders"


def test_total_row_first_non_empty_cell_beyond_third_column(tmp_path):
    text = "工单号,开单时间,服务顾问,工时费\nR1,2024-05-01,张三,10\n,,,总计 10\n"
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert issues(raw, "total_row") == [3] and list(raw.row_numbers) == [2]


def test_blank_and_total_rows_xlsx(tmp_path):
    table = [
        ["工单号", "开单时间", "服务顾问", "工时费"],
        ["R1", dt.datetime(2024, 5, 1), "张三", 10],
        [None, None, None, None],
        ["R2", dt.datetime(2024, 5, 2), "李四", 20],
        ["小计", None, None, 30],
        [None, None, None, "合计：30"],
        ["R3", dt.datetime(2024, 5, 3), "王五", 5],
        [None, None, None, None],
    ]
    raw = read(xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": table}))
    assert list(raw.row_numbers) == [2, 4, 7]
    assert issues(raw, "blank_row") == [3] and issues(raw, "total_row") == [5, 6]
    assert raw.rows_in_file == 6


def test_custom_total_markers(tmp_path):
    text = HEADER + "R1,2024-05-01,张三\n汇总,,\n"
    raw = read(write(tmp_path / "work_orders.csv", text), ReadOptions(total_markers=("汇总",)))
    assert issues(raw, "total_row") == [3]


def test_ragged_rows_are_errors_with_row_numbers(tmp_path):
    text = (
        HEADER  # 1
        + "R1,2024-05-01,张三\n"  # 2
        + "R2,2024-05-01\n"  # 3 too few
        + "R3,2024-05-01,李四,extra\n"  # 4 too many
        + "R4,2024-05-01,王五\n"  # 5
    )
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert list(raw.row_numbers) == [2, 5]
    assert [r[0] for r in rows(raw)] == ["R1", "R4"]
    ragged = [i for i in raw.issues if i.code == "ragged_row"]
    assert [(i.row, i.severity) for i in ragged] == [(3, "error"), (4, "error")]
    assert "expected 3 cells" in ragged[0].reason and "found 2" in ragged[0].reason
    assert "found 4" in ragged[1].reason and ragged[1].value == "R3,2024-05-01,李四,extra"
    assert raw.rows_in_file == 4


def test_trailing_separators_are_not_ragged(tmp_path):
    text = HEADER + "R1,2024-05-01,张三,\nR2,2024-05-02,李四,\nR3,2024-05-03,王五,,\n"
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert not raw.issues and list(raw.row_numbers) == [2, 3, 4]
    assert rows(raw)[2] == ["R3", "2024-05-03", "王五"]


def test_a_lone_row_with_an_extra_empty_cell_is_kept_but_flagged(tmp_path):
    """One row with an extra separator may have slid a column: say so, never silently."""
    text = HEADER + "R1,2024-05-01,张三\nR2,,2024-05-02,\nR3,2024-05-03,王五\n"
    for fast in (True, False):
        raw = read(
            write(tmp_path / f"work_orders{int(fast)}.csv", text + ('"a\nb",x,y\n' if not fast else ""))
        )
        extra = [i for i in raw.issues if i.code == "extra_cells"]
        assert [(i.severity, i.row) for i in extra] == [("warning", 3)]
        assert rows(raw)[1] == ["R2", "", "2024-05-02"]


def test_multiline_quoted_cell_keeps_physical_line_numbers(tmp_path):
    text = (
        "工单号,故障描述,服务顾问\n"  # 1
        'R1,"异响\n刹车\n""软""",张三\n'  # 2-4
        "R2,正常,李四\n"  # 5
        'R3,"a\r\nb",王五\n'  # 6-7
        "R4,x,赵六\n"  # 8
    )
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert list(raw.row_numbers) == [2, 5, 6, 8]
    assert rows(raw)[0] == ["R1", '异响\n刹车\n"软"', "张三"]


def test_multiline_with_blank_and_ragged_rows(tmp_path):
    text = (
        "工单号,故障描述,服务顾问\n"  # 1
        'R1,"a\nb",张三\n'  # 2-3
        "\n"  # 4
        'R2,"c\n\nd"\n'  # 5-7 ragged (2 cells)
        "R3,x,李四\n"  # 8
    )
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert list(raw.row_numbers) == [2, 8]
    assert issues(raw, "blank_row") == [4] and issues(raw, "ragged_row") == [5]


@pytest.mark.parametrize("fallback", [False, True])
def test_unterminated_quote_is_an_error_not_a_swallowed_file(tmp_path, fallback):
    text = HEADER + 'R1,2024-05-01,张三\nR2,"2024-05-02,李四\nR3,2024-05-03,王五\nR4,2024-05-04,赵六\n'
    path = write(tmp_path / "work_orders.csv", text)
    with pytest.raises(InputError) as info:
        read(path, ReadOptions(arrow=not fallback))
    assert info.value.row == 3 and "never closed" in info.value.message and "3 lines" in info.value.message


def test_crlf_and_quoted_everything(tmp_path):
    text = (
        '"工单号","开单时间","服务顾问"\r\n"0012","2024-05-01","张三"\r\n\r\n"0013","2024-05-02","李四"\r\n'
    )
    raw = read(write(tmp_path / "work_orders.csv", text))
    assert rows(raw) == [["0012", "2024-05-01", "张三"], ["0013", "2024-05-02", "李四"]]
    assert list(raw.row_numbers) == [2, 4] and issues(raw, "blank_row") == [3]


def test_leading_zero_ids_stay_text(tmp_path):
    raw = read(write(tmp_path / "work_orders.csv", "工单号,客户编号,VIN\n0012,000345,LSVAB4BG5HN000001\n"))
    assert rows(raw) == [["0012", "000345", "LSVAB4BG5HN000001"]]
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号", "客户编号"], ["0012", "000345"]]})
    assert rows(read(path)) == [["0012", "000345"]]


def test_cells_are_never_converted(tmp_path):
    raw = read(write(tmp_path / "work_orders.csv", "工单号,工时费,服务顾问\nNA,,null\n-,1.0,NULL\n"))
    assert rows(raw) == [["NA", "", "null"], ["-", "1.0", "NULL"]]


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "R1,2024-05-01,张三\n\n,,\nR2,a,b\n合计,,\n",
        HEADER + 'R1,"x\ny",张三\nR2,2024-05-01\nR3,a,b,c\nR4,a,b,\n',
        "title\n\n" + HEADER + "R1,a,b\r\nR2,a,b",
    ],
)
def test_python_fallback_gives_the_same_result(tmp_path, text):
    path = write(tmp_path / "work_orders.csv", text)
    fast = read(path)
    slow = read(path, ReadOptions(arrow=False))
    assert rows(fast) == rows(slow)
    assert list(fast.row_numbers) == list(slow.row_numbers)
    assert fast.issues == slow.issues and fast.rows_in_file == slow.rows_in_file


_cell = st.text(alphabet=["a", "b", " ", ",", '"', "\n", "合", ";"], max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=st.lists(st.lists(_cell, min_size=3, max_size=3), max_size=8),
    blank_before=st.lists(st.booleans(), min_size=8, max_size=8),
    crlf=st.booleans(),
)
def test_row_numbers_match_the_physical_lines(tmp_path, table, blank_before, crlf):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["h0", "h1", "h2"])
    want_rows, want_lines = [], []
    for i, row in enumerate(table):
        if blank_before[i]:
            out.write("\r\n" if crlf else "\n")
        line = out.getvalue().count("\n") + 1
        writer.writerow(row)
        if any(c.strip() for c in row):
            want_rows.append(row)
            want_lines.append(line)
    path = write(tmp_path / "t.csv", out.getvalue())
    source = SheetSource("work_orders", path)
    raw = read_sheet(source, ReadOptions(delimiter=","))
    assert rows(raw) == want_rows
    assert list(raw.row_numbers) == want_lines
    slow = read_sheet(source, ReadOptions(delimiter=",", arrow=False))
    assert rows(slow) == want_rows and list(slow.row_numbers) == want_lines


_PIECES = ["a", "1", " ", "\u3000", ",", '"', "\n", "\r", "合计", "Total", "工单号"]
_text_cell = st.lists(st.sampled_from(_PIECES), max_size=4).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(st.lists(_text_cell, min_size=0, max_size=5), max_size=10),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=10, max_size=10),
    last_end=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_the_two_csv_parsers_agree_on_random_files(tmp_path, records, ends, last_end, delimiter):
    """Arrow's parser is a speed-up of Python's: the same cells, row numbers, issues or error."""
    out = io.StringIO()
    out.write(HEADER.replace(",", delimiter))
    for i, cells in enumerate(records):
        writer = csv.writer(out, lineterminator=ends[i], delimiter=delimiter)
        writer.writerow(cells)
    text = out.getvalue()
    if not last_end:
        text = text.rstrip("\r\n")
    path = write(tmp_path / "work_orders.csv", text)

    def outcome(arrow: bool):
        try:
            raw = read(path, ReadOptions(arrow=arrow))
        except InputError as err:
            return ("error", err.message, err.row)
        return (rows(raw), list(raw.row_numbers), raw.issues, raw.rows_in_file, raw.headers, raw.delimiter)

    assert outcome(True) == outcome(False)


# --------------------------------------------------------------------------- xlsx


def test_xlsx_dates_and_types(tmp_path):
    table = [
        ["工单号", "开单时间", "交车时间", "工时费", "是否预检"],
        ["R1", dt.datetime(2024, 5, 3, 14, 20), dt.date(2024, 5, 4), 12.5, True],
        ["R2", dt.datetime(2024, 5, 5, 9, 0, 30), None, 3, False],
    ]
    raw = read(xlsx(tmp_path / "work_orders.xlsx", {"维修工单": table}))
    assert raw.file_format == "xlsx" and raw.encoding is None
    got = rows(raw)
    assert got[0][:2] == ["R1", dt.datetime(2024, 5, 3, 14, 20)]
    assert got[0][2] == dt.date(2024, 5, 4) or got[0][2] == dt.datetime(2024, 5, 4)
    assert got[0][3:] == [12.5, True]
    assert got[1][1] == dt.datetime(2024, 5, 5, 9, 0, 30)
    assert got[1][2] is None and got[1][3] == 3 and got[1][4] is False
    assert list(raw.row_numbers) == [2, 3]


def test_1904_workbook(tmp_path):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    table = [["工单号", "开单时间"], ["R1", dt.datetime(2024, 5, 3, 14, 20)]]
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": table}, epoch=CALENDAR_MAC_1904)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    assert rows(read(path)) == [["R1", dt.datetime(2024, 5, 3, 14, 20)]]


def test_uncalculated_formula_and_error_cells(tmp_path):
    table = [["工单号", "工时费", "零件金额"], ["R1", 10, "=B2*2"], ["R2", "#N/A", "=B3*2"]]
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": table})
    # give the second formula a cached value, as Excel would
    rewrite_member(
        path, "xl/worksheets/sheet1.xml", lambda b: b.replace(b"<f>B3*2</f><v />", b"<f>B3*2</f><v>7</v>")
    )
    assert b"<v>7</v>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    raw = read(path)
    assert rows(raw) == [["R1", 10, UNCALCULATED], ["R2", "#N/A", 7]]


def test_openpyxl_engine_reads_the_same(tmp_path):
    table = [
        ["报表"],
        ["工单号", "开单时间", "工时费"],
        ["0012", dt.datetime(2024, 5, 3, 14, 20), 12.5],
        [None, None, None],
        ["R2", dt.datetime(2024, 5, 4), "=C3*2"],
        ["合计", None, 25],
    ]
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": table})
    fast = read(path)
    slow = read(path, ReadOptions(xlsx_engine="openpyxl"))

    def same(v):
        return v.date() if isinstance(v, dt.datetime) and v == dt.datetime(v.year, v.month, v.day) else v

    assert [[same(v) for v in r] for r in rows(fast)] == [[same(v) for v in r] for r in rows(slow)]
    assert list(fast.row_numbers) == list(slow.row_numbers) == [3, 5]
    assert fast.issues == slow.issues
    assert openpyxl.DEFUSEDXML


def test_missing_worksheet_lists_the_names(tmp_path):
    path = xlsx(tmp_path / "data.xlsx", {"维修工单": [["工单号"]], "其他": [["x"]]})
    with pytest.raises(InputError) as info:
        read(path, worksheet="回访记录")
    assert "'维修工单'" in info.value.hint and "'其他'" in info.value.hint


def test_workbook_file_with_several_worksheets(tmp_path):
    path = xlsx(
        tmp_path / "维修工单.xlsx", {"说明": [["readme", "x"]], "工单": [["工单号", "服务顾问"], ["R1", "A"]]}
    )
    assert rows(read(path)) == [["R1", "A"]]  # the worksheet named like the sheet
    path = xlsx(
        tmp_path / "work_orders.xlsx", {"数据": [["工单号", "服务顾问"], ["R1", "A"]], "说明": [["x"]]}
    )
    raw = read(path)
    assert rows(raw) == [["R1", "A"]] and issues(raw, "worksheet_chosen") == [None]


# --------------------------------------------------------------------------- hostile workbooks


def test_zip_bomb_ratio(tmp_path):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"], ["R1"]]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/zeros.bin", b"\x00" * (3 << 20))
    with pytest.raises(InputError, match=r"rejected: .*expands \d+:1"):
        read(path)


def test_zip_bomb_total_size(tmp_path, monkeypatch):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"]] + [[f"R{i}"] for i in range(2000)]})
    monkeypatch.setattr(workbook_safety, "MAX_UNCOMPRESSED_BYTES", 20_000)
    with pytest.raises(InputError, match=r"rejected: .*uncompressed"):
        read(path)
    with pytest.raises(InputError, match="rejected"):
        discover(tmp_path / "work_orders.xlsx")


def test_zip_bomb_with_falsified_sizes(tmp_path):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"]] + [[f"R{i}"] for i in range(2000)]})
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(name.decode()).header_offset
    struct.pack_into("<I", data, offset + 22, 100)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02", 0)
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, 100)  # central directory: uncompressed size
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo(name.decode()).file_size == 100
    with pytest.raises(InputError, match="inflates to more than it declares"):
        read(path)


def test_too_many_zip_members(tmp_path, monkeypatch):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"]]})
    monkeypatch.setattr(workbook_safety, "MAX_ZIP_MEMBERS", 3)
    with pytest.raises(InputError, match="zip members"):
        read(path)


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_doctype_entity_workbook_is_rejected(tmp_path, member):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"], ["R1"]]})
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'

    def inject(xml: bytes) -> bytes:
        end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
        return xml[:end] + lol + xml[end:]

    rewrite_member(path, member, inject)
    with pytest.raises(InputError, match="rejected: XML entity declarations"):
        read(path)


def test_external_entity_after_a_long_comment(tmp_path):
    path = xlsx(tmp_path / "work_orders.xlsx", {"Sheet1": [["工单号"], ["R1"]]})
    xxe = b"<!--" + b"x" * 100_000 + b'--><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    rewrite_member(path, "xl/styles.xml", lambda b: xxe + b)
    with pytest.raises(InputError, match="XML entity declarations"):
        read(path)


def test_not_a_workbook_zip(tmp_path):
    path = tmp_path / "work_orders.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="no workbook part"):
        read(path)


# --------------------------------------------------------------------------- discover


def test_discover_chinese_and_canonical_names(tmp_path):
    xlsx(tmp_path / "维修工单.xlsx", {"Sheet1": [["工单号"]]})
    write(tmp_path / "预约记录.csv", "预约单号\n")
    write(tmp_path / "Callbacks.CSV", "回访编号\n")
    write(tmp_path / "ＳＵＧＧＥＳＴＩＯＮＳ.tsv", "建议编号\n")  # full-width name, NFKC
    write(tmp_path / "~$维修工单.xlsx", b"lock")
    write(tmp_path / ".technician_time.csv", "x\n")
    write(tmp_path / "notes.txt", "hello")
    write(tmp_path / "其他报表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # not a sheet: ignored
    (tmp_path / "vehicle_sales.csv").mkdir()  # a folder named like a sheet: its source, refused when read
    found = discover(tmp_path)
    assert list(found) == ["appointments", "work_orders", "callbacks", "vehicle_sales", "suggestions"]
    assert found["work_orders"] == SheetSource("work_orders", tmp_path / "维修工单.xlsx", None)
    assert found["callbacks"].path.name == "Callbacks.CSV"


def test_discover_two_files_for_one_sheet(tmp_path):
    write(tmp_path / "work_orders.csv", HEADER)
    xlsx(tmp_path / "工单.xlsx", {"Sheet1": [["工单号"]]})
    with pytest.raises(InputError) as info:
        discover(tmp_path)
    assert "work_orders.csv" in info.value.message and "工单.xlsx" in info.value.message


def test_discover_single_workbook_with_chinese_worksheets(tmp_path):
    path = xlsx(
        tmp_path / "5月导出.xlsx",
        {
            "维修工单": [["工单号", "服务顾问"], ["R1", "张三"]],
            "回访记录": [["回访编号", "回访结果"], ["C1", "成功"]],
            "Sheet3": [["x"]],
        },
    )
    for data in (tmp_path, path):
        found = discover(data)
        assert found == {
            "work_orders": SheetSource("work_orders", path, "维修工单"),
            "callbacks": SheetSource("callbacks", path, "回访记录"),
        }
    raw = read_sheet(found["callbacks"], None, expected("callbacks"))
    assert rows(raw) == [["C1", "成功"]] and raw.headers == ["回访编号", "回访结果"]


def test_discover_two_worksheets_for_one_sheet(tmp_path):
    xlsx(tmp_path / "book.xlsx", {"维修工单": [["a"]], "work_orders": [["a"]]})
    with pytest.raises(InputError, match="two files for sheet 'work_orders'"):
        discover(tmp_path)


def test_discover_missing_path_and_unknown_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / "nope")
    with pytest.raises(InputError, match="cannot tell which sheet"):
        discover(write(tmp_path / "export.csv", HEADER))
    assert discover(write(tmp_path / "工单.csv", HEADER)) == {
        "work_orders": SheetSource("work_orders", tmp_path / "工单.csv", None)
    }


def test_discover_empty_folder(tmp_path):
    assert discover(tmp_path) == {}


def test_1904_workbook_serial_numbers_in_a_date_column(tmp_path):
    """A date typed as a plain number (no date format) counts days from 1904-01-01."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    from sdkpi.api import load_data

    serial_1904 = (dt.datetime(2024, 5, 3, 12, 0) - dt.datetime(1904, 1, 1)).total_seconds() / 86400
    table = [["ro_number", "opened_at"], ["R1", serial_1904]]
    xlsx(tmp_path / "work_orders.xlsx", {"work_orders": table}, epoch=CALENDAR_MAC_1904)
    frame = load_data(tmp_path, cache=False).sheets["work_orders"].frame
    assert frame["opened_at"].iloc[0] == dt.datetime(2024, 5, 3, 12, 0)
