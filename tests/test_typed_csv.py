"""The typed CSV lane gives exactly what the general path gives, or steps aside.

`typed_csv.load` reads a clean CSV with pyarrow's typed reader; for every file it
accepts, the sheet (frame, dtypes, row numbers, issues, details) must equal the one
`readers` + `values` build from the same file. Every odd input either takes the
general path (load returns None) or comes out the same.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkpi.loaders import names, readers, sheets
from sdkpi.loaders.sheets import SheetOptions, expected_headers, load_sheet
from sdkpi.speed import typed_csv, typed_read
from sdkpi.speed.fast_lane import SpeedLane

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "store-a"

WO_HEADER = "ro_number,opened_at,customer_type,advisor,pre_inspected,promised_at,labor_hours_sold,comeback_of"
WO_ROW = "RO{n},2024-05-0{d} 08:30,retail,SA1,true,2024-05-0{d} 17:00,1.5,"


#: the speed lane without a sheet cache (`load_sheet`/`load_dataset` without one: the general path)
FAST = SpeedLane()


def general(source: readers.SheetSource, opts: SheetOptions, wanted=None):
    return load_sheet(source, opts, wanted)  # no lane: the general path


BLOCKS = {"on": False}  # set by the `blocks` fixture: read block by block


def lane(source: readers.SheetSource, opts: SheetOptions, wanted=None, blocks=None):
    known = expected_headers(sheets.SHEETS[source.sheet])
    mapped = {readers.normalize_header(h): c for h, c in opts.columns.items()}
    on = BLOCKS["on"] if blocks is None else blocks
    return typed_csv.load(source, opts, known, mapped, wanted, blocks=on)


def assert_same(a, b) -> None:
    data_a, issues_a = a
    data_b, issues_b = b
    pd.testing.assert_frame_equal(data_a.frame, data_b.frame, check_dtype=True, check_exact=True)
    np.testing.assert_array_equal(data_a.row_numbers, data_b.row_numbers)
    assert sorted(data_a.bad) == sorted(data_b.bad)
    for field in dataclasses.fields(data_a):
        if field.name not in ("frame", "row_numbers", "bad"):
            assert getattr(data_a, field.name) == getattr(data_b, field.name), field.name
    assert issues_a == issues_b


def check(path: Path, sheet: str, opts: SheetOptions | None = None, wanted=None) -> bool:
    """Compare both paths on one file; True when the lane took it."""
    opts = opts or SheetOptions()
    source = readers.SheetSource(sheet, path)
    fast = lane(source, opts, wanted)
    if fast is None:
        return False
    assert_same(general(source, opts, wanted), fast)
    return True


def write(tmp_path: Path, text: str, name: str = "work_orders.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def wo(tmp_path: Path, *rows: str, header: str = WO_HEADER, end: str = "\n") -> Path:
    body = [WO_ROW.format(n=n, d=1 + n % 9) for n in range(5)]
    return write(tmp_path, end.join([header, *body, *rows]) + end)


# --------------------------------------------------------------------------- real files


@pytest.fixture
def blocks(monkeypatch):
    """Every file read block by block (as big ones are), in blocks of a few rows."""
    monkeypatch.setitem(BLOCKS, "on", True)
    monkeypatch.setattr(typed_read, "BLOCK_SIZE", 512)


def test_block_by_block_the_conformance_store_matches_the_general_path(blocks):
    from sdkpi.api import columns_read
    from sdkpi.definitions import load_definitions

    wanted = columns_read(load_definitions())
    for path in sorted(CONFORMANCE.glob("*.csv")):
        sheet = names.sheet_for_name(path.stem)
        assert check(path, sheet, wanted=wanted[sheet])
        assert check(path, sheet, wanted={"store"})  # nothing read: key and store only


def test_block_by_block_keys_and_stores_come_out_the_same(tmp_path, blocks):
    rows = [f"RO{i % 7},2024-05-01 08:30,retail,SA{i % 3},2024-05-01 17:00,s{i // 20}" for i in range(60)]
    path = write(
        tmp_path, "ro_number,opened_at,customer_type,advisor,promised_at,store\n" + "\n".join(rows) + "\n"
    )
    assert check(path, "work_orders", wanted={"opened_at", "advisor"})
    assert check(path, "work_orders", wanted={"ro_number", "customer_type"})


def test_block_by_block_a_bad_value_late_in_the_file_goes_to_the_general_path(tmp_path, blocks):
    good = [WO_ROW.format(n=n, d=1 + n % 9) for n in range(200)]
    path = write(
        tmp_path, "\n".join([WO_HEADER, *good, "RO9,not a date,retail,SA1,true,2024-05-01 17:00,1,"]) + "\n"
    )
    assert lane(readers.SheetSource("work_orders", path), SheetOptions(), {"opened_at"}) is None


@pytest.mark.parametrize(
    ("column", "odd"),
    [
        ("advisor", " SA1"),
        ("advisor", "ＳＡ1"),
        ("advisor", "N/A"),
        ("customer_type", "Retail"),
        ("ro_number", "合计"),
    ],
)
def test_an_odd_value_late_in_a_column_kept_as_codes_goes_to_the_general_path(tmp_path, blocks, column, odd):
    """Columns kept whole are checked once all blocks are read, and columns kept as codes on
    their distinct values; an odd one among them is found all the same."""
    good = [WO_ROW.format(n=n, d=1 + n % 9) for n in range(200)]
    cells = good[-1].split(",")
    cells[WO_HEADER.split(",").index(column)] = odd
    path = write(tmp_path, "\n".join([WO_HEADER, *good, ",".join(cells)]) + "\n")
    source = readers.SheetSource("work_orders", path)
    wanted = {"advisor", "customer_type", "opened_at"}
    assert lane(source, SheetOptions(), wanted) is None
    assert lane(source, SheetOptions(), wanted, blocks=False) is None  # read whole, codes kept
    assert lane(source, SheetOptions()) is None  # read whole, every column as text


def test_the_conformance_store_takes_the_lane_and_matches_the_general_path():
    taken = 0
    for path in sorted(CONFORMANCE.glob("*.csv")):
        sheet = names.sheet_for_name(path.stem)
        assert sheet is not None
        taken += check(path, sheet)
        taken += check(path, sheet, wanted={"opened_at"})  # the computation reads few columns
    assert taken == 2 * len(list(CONFORMANCE.glob("*.csv")))


def test_every_shipped_example_csv_matches_the_general_path_or_steps_aside():
    found = 0
    for path in sorted((REPO / "examples").rglob("*.csv")):
        sheet = names.sheet_for_name(path.stem)
        if sheet is None:
            continue
        found += 1
        check(path, sheet)
    assert found > 8


def test_eligible_only_for_plain_csv_with_no_reading_options(tmp_path):
    path = wo(tmp_path)
    source = readers.SheetSource("work_orders", path)
    assert typed_csv.eligible(source, SheetOptions())
    assert typed_csv.eligible(source, SheetOptions(columns={"单号": "ro_number"}))
    for opts in (
        SheetOptions(header_row=2),
        SheetOptions(delimiter=";"),
        SheetOptions(encoding="gb18030"),
        SheetOptions(date_order="dmy"),
        SheetOptions(values={"customer_type": {"自费": "retail"}}),
    ):
        assert not typed_csv.eligible(source, opts)
    xlsx = tmp_path / "work_orders.xlsx"
    xlsx.write_bytes(path.read_bytes())
    assert not typed_csv.eligible(readers.SheetSource("work_orders", xlsx), SheetOptions())


# --------------------------------------------------------------------------- clean variants it takes


@pytest.mark.parametrize(
    "row",
    [
        "RO9,2024-05-09T08:30,warranty,SA2,false,2024-05-09 17:00:15,2,RO1",  # T, seconds
        "RO9,2024-05-09,internal,SA2,,2024-05-09 17:00:15.25,,",  # date only, fraction, empties
        "RO9,2024-05-09 08,retail,SA2,1,2024-05-09 17:00,0,",  # ISO hours only
        'RO9,2024-05-09 08:30,retail,"SA, 2",是,2024-05-09 17:00,1e1,',  # quoted comma, 是, 1e1
        "RO9,2024-05-09 08:30,retail,李师傅,否,2024-05-09 17:00,-0.5,RO2",  # Chinese text
        "RO1,2024-05-09 08:30,retail,SA2,Y,2024-05-09 17:00,3,",  # a duplicate key
        ",2024-05-09 08:30,retail,SA2,N,,3,",  # required values empty
    ],
)
def test_clean_variants_come_out_the_same(tmp_path, row):
    assert check(wo(tmp_path, row), "work_orders")


def test_bom_crlf_extra_columns_and_store_come_out_the_same(tmp_path):
    path = write(
        tmp_path,
        "\ufeff" + WO_HEADER + ",note,门店\r\n"
        "RO1,2024-05-01 08:30,retail,SA1,true,2024-05-01 17:00,1.5,,hello,store-1\r\n"
        "RO2,2024-05-02 08:30,retail,SA1,true,2024-05-02 17:00,1.5,,,store-2\r\n",
    )
    assert check(path, "work_orders")
    assert check(path, "work_orders", wanted={"opened_at"})


def test_chinese_headers_and_a_mapping_file_rename_come_out_the_same(tmp_path):
    path = write(
        tmp_path,
        "单号,开单时间,客户类型,服务顾问,预检,约定交车时间\n"
        "RO1,2024-05-01 08:30,retail,SA1,true,2024-05-01 17:00\n",
    )
    assert check(path, "work_orders", SheetOptions(columns={"单号": "ro_number"}))


def test_a_quoted_line_break_has_the_general_path_number_the_rows(tmp_path):
    path = wo(tmp_path, 'RO9,2024-05-09 08:30,retail,"SA\n2",true,2024-05-09 17:00,1,')
    assert lane(readers.SheetSource("work_orders", path), SheetOptions()) is None


# ------------------------------------------------------------------- what it leaves to the general path


@pytest.mark.parametrize(
    "row",
    [
        ",,,,,,,",  # a blank row
        "",  # an empty line in the middle
        "合计,,,,,,100,",  # a total row
        "Total,,,,,,100,",
        ",,,合计,,,100,",  # a total row whose first cells are empty
        "RO9,-,retail,SA2,true,2024-05-09 17:00,1,",  # a placeholder in a date
        "RO9,2024/5/9 8:30,retail,SA2,true,2024-05-09 17:00,1,",  # another date spelling
        "RO9,2024-05-09 08:30Z,retail,SA2,true,2024-05-09 17:00,1,",  # a zone
        "RO9,1600-05-09 08:30,retail,SA2,true,2024-05-09 17:00,1,",  # out of range
        "RO9,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,nan,",
        "RO9,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,inf,",
        'RO9,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,"1,234",',  # thousands separator
        "RO9,2024-05-09 08:30,retail,SA2,maybe,2024-05-09 17:00,1,",  # not a boolean
        "RO9,2024-05-09 08:30,自费,SA2,true,2024-05-09 17:00,1,",  # an enum spelling
        "RO9,2024-05-09 08:30,retail, SA2,true,2024-05-09 17:00,1,",  # a padded name
        "RO9,2024-05-09 08:30,retail,N/A,true,2024-05-09 17:00,1,",  # a placeholder in text
        "1.2E+5,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,1,",  # an ID in scientific notation
        "RO9,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,1,,extra",  # a ragged row
        "RO9,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00",  # a short row
    ],
)
def test_odd_rows_step_aside_or_match(tmp_path, row):
    path = wo(tmp_path, row)
    source = readers.SheetSource("work_orders", path)
    result = lane(source, SheetOptions())
    if result is not None:  # only if it is the same
        assert_same(general(source, SheetOptions()), result)
    else:
        assert general(source, SheetOptions())[0] is not None  # the general path reads it


@pytest.mark.parametrize(
    "text",
    [
        "Work orders May\n" + WO_HEADER + "\n" + WO_ROW.format(n=1, d=1) + "\n",  # a title row
        WO_HEADER.replace(",", ";") + "\n",  # another delimiter
        "ro_number,opened_at\nRO1,2024-05-01 08:30\n",  # required columns missing
        WO_HEADER + ",ro_number\n",  # a header twice
        WO_HEADER + ", \n",  # a blank header cell
        WO_HEADER + "\n",  # no rows
        WO_HEADER,  # no line end at all
    ],
)
def test_files_it_does_not_take(tmp_path, text):
    path = write(tmp_path, text)
    assert lane(readers.SheetSource("work_orders", path), SheetOptions()) is None


def test_gb18030_file_takes_the_general_path(tmp_path):
    path = write(
        tmp_path,
        "单号,开单时间,客户类型,服务顾问,约定交车时间\nRO1,2024-05-01 08:30,retail,张三,2024-05-01 17:00\n",
        encoding="gb18030",
    )
    assert lane(readers.SheetSource("work_orders", path), SheetOptions()) is None
    assert len(general(readers.SheetSource("work_orders", path), SheetOptions())[0].frame) == 1


def test_other_sheets_dates_and_enums(tmp_path):
    tech = write(
        tmp_path,
        "date,technician,available_hours,clocked_hours,sold_hours\n"
        "2024-05-01,T1,8,7.5,6\n2024-05-02,T1,8,,\n",
        "technician_time.csv",
    )
    assert check(tech, "technician_time")
    calls = write(
        tmp_path,
        "callback_id,due_at,called_at,result,satisfied\n"
        "C1,2024-05-01 09:00,,reached,true\nC2,2024-05-01 09:00,,refused,\n",
        "callbacks.csv",
    )
    assert check(calls, "callbacks")
    bad_date = write(
        tmp_path, "date,technician,available_hours,clocked_hours,sold_hours\n0001-05-01,T1,8,7,6\n", "t2.csv"
    )
    assert lane(readers.SheetSource("technician_time", bad_date), SheetOptions()) is None


# ------------------------------------------------------------- property: either the same or not taken

ODD = [
    "",
    " RO3",
    "2024-13-01 08:30",
    "2024-05-01 8:30",
    "nan",
    "合计",
    "Total",
    "-",
    "N/A",
    "1.5E+10",
    '"q"',
]
VALID = {
    "ro_number": ["RO1", "RO2", "RO3", "张三的单", "RO 4", ""],
    "opened_at": ["2024-05-01 08:30", "2024-05-01", "2024-05-01T08:30:05", "2024-05-01 08", ""],
    "customer_type": ["retail", "warranty", "internal", ""],
    "advisor": ["SA1", "SA 2", "张三", "a,b", ""],
    "pre_inspected": ["true", "FALSE", "是", "否", "1", "0", "Y", ""],
    "promised_at": ["2024-05-01 17:00", "2024-05-01 17:00:59.5", "2261-12-31 23:59", "1678-01-01", ""],
    "labor_hours_sold": ["1", "0", "1.5", "-2", "1e3", ".5", "+3", ""],
    "comeback_of": ["", "RO1", "RO9"],
}
COLUMNS = WO_HEADER.split(",")
ROW = st.tuples(*(st.sampled_from(VALID[c]) for c in COLUMNS))
ODD_ROW = st.tuples(*(st.one_of(st.sampled_from(VALID[c]), st.sampled_from(ODD)) for c in COLUMNS))
TAKEN: list[bool] = []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.lists(ROW, min_size=1, max_size=6),
        st.lists(st.one_of(ROW, ODD_ROW), min_size=1, max_size=6),
    )
)
def test_random_cells_either_match_or_take_the_general_path(tmp_path, rows):
    lines = [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    path = write(tmp_path, WO_HEADER + "\n" + "\n".join(lines) + "\n")
    source = readers.SheetSource("work_orders", path)
    result = lane(source, SheetOptions())
    TAKEN.append(result is not None)
    if result is not None:
        assert_same(general(source, SheetOptions()), result)
    # and what a computation keeps, block by block in blocks of a row or two: taken exactly
    # when the whole file is (a column kept whole is checked at the end, the others by block)
    original = typed_read.BLOCK_SIZE
    typed_read.BLOCK_SIZE = 200  # a few rows (and more than the header line)
    try:
        for wanted in ({"opened_at", "advisor"}, {"customer_type", "labor_hours_sold", "comeback_of"}):
            in_blocks = lane(source, SheetOptions(), wanted, blocks=True)
            assert (in_blocks is None) == (result is None)
            if in_blocks is not None:
                assert_same(general(source, SheetOptions(), wanted), in_blocks)
    finally:
        typed_read.BLOCK_SIZE = original


def test_the_random_files_did_exercise_the_lane():
    if len(TAKEN) < 50:
        pytest.skip("runs after the property test, in the same worker")
    assert sum(TAKEN) >= len(TAKEN) // 4


@pytest.mark.parametrize("marker", ["合计", "TOTAL", "ｔｏｔａｌ", "\ufeff合计", "Subtotal x", "grand total"])
def test_a_total_row_in_a_clean_file_goes_to_the_general_path(tmp_path, marker):
    path = wo(tmp_path, f"{marker},2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,1,")
    assert lane(readers.SheetSource("work_orders", path), SheetOptions()) is None
    issues = general(readers.SheetSource("work_orders", path), SheetOptions())[1]
    if marker in ("合计", "TOTAL", "grand total"):
        assert [i.row for i in issues if i.code == "total_row"] == [7]


def test_custom_total_markers_are_honoured(tmp_path):
    path = wo(tmp_path, "Σ,2024-05-09 08:30,retail,SA2,true,2024-05-09 17:00,1,")
    opts = SheetOptions(total_markers=("Σ",))
    assert lane(readers.SheetSource("work_orders", path), opts) is None
    assert lane(readers.SheetSource("work_orders", path), SheetOptions()) is not None


@pytest.mark.parametrize(
    "rows",
    [
        ["RO1,s1", "RO2,s1", "RO1,s2", "RO2,s2"],  # rising in each store's run: unique per store
        ["RO2,s1", "RO1,s1", "RO1,s2"],  # not rising, still unique per store
        ["RO1,s1", "RO2,s2", "RO1,s1"],  # a store in two runs, with a repeat
        ["RO1,s1", "RO1,s1", "RO2,s2"],  # a repeat next to itself
        ["RO1,s1", "RO2,s2", "RO2,s1"],  # repeats across stores only
        ["RO1,", "RO1,s1"],  # an empty store
        ["RO3,s1", ",s1", "RO3,s1"],  # an empty key
    ],
)
def test_duplicate_keys_per_store_come_out_the_same(tmp_path, rows):
    body = [
        f"{key},2024-05-01 08:30,retail,SA1,2024-05-01 17:00,{store}"
        for key, store in (r.split(",") for r in rows)
    ]
    path = write(
        tmp_path, "ro_number,opened_at,customer_type,advisor,promised_at,store\n" + "\n".join(body) + "\n"
    )
    assert check(path, "work_orders")
    assert check(path, "work_orders", wanted={"opened_at"})


def test_lean_loading_of_big_data_gives_the_same_dataset(monkeypatch):
    """Big data: block by block; the same result."""
    from sdkpi.api import columns_read
    from sdkpi.definitions import load_definitions

    wanted = columns_read(load_definitions())
    normal = sheets.load_dataset(CONFORMANCE, columns=wanted, lane=FAST)
    monkeypatch.setattr(typed_read, "BLOCKS_ABOVE_BYTES", 0)
    monkeypatch.setattr(typed_read, "BLOCKS_FILE_BYTES", 0)
    monkeypatch.setattr(typed_read, "BLOCK_SIZE", 512)
    calls = []
    real = typed_csv._read_in_blocks
    monkeypatch.setattr(typed_csv, "_read_in_blocks", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    lean = sheets.load_dataset(CONFORMANCE, columns=wanted, lane=FAST)
    assert len(calls) == 8
    assert lean.issues == normal.issues
    for name, sheet in normal.sheets.items():
        assert_same((lean.sheets[name], []), (sheet, []))


def test_in_big_data_only_the_big_files_are_read_block_by_block(monkeypatch):
    """A file under BLOCKS_FILE_BYTES is read whole even when the data is big."""
    from sdkpi.api import columns_read
    from sdkpi.definitions import load_definitions

    wanted = columns_read(load_definitions())
    normal = sheets.load_dataset(CONFORMANCE, columns=wanted, lane=FAST)
    sizes = sorted(path.stat().st_size for path in CONFORMANCE.glob("*.csv"))
    monkeypatch.setattr(typed_read, "BLOCKS_ABOVE_BYTES", 0)
    monkeypatch.setattr(typed_read, "BLOCKS_FILE_BYTES", sizes[-3])  # the two biggest files
    monkeypatch.setattr(typed_read, "BLOCK_SIZE", 512)
    calls = []
    real = typed_csv._read_in_blocks
    monkeypatch.setattr(typed_csv, "_read_in_blocks", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    mixed = sheets.load_dataset(CONFORMANCE, columns=wanted, lane=FAST)
    assert sorted(path.stat().st_size for path in calls) == sizes[-2:]
    assert mixed.issues == normal.issues
    for name, sheet in normal.sheets.items():
        assert_same((mixed.sheets[name], []), (sheet, []))
