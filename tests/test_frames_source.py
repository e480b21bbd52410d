"""Data already in pandas: DataFrames enter the reading pipeline at "map" (`loaders.frames`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute
from sdkpi.contract import SHEETS
from sdkpi.definitions import load_definitions
from sdkpi.engine import Engine
from sdkpi.errors import InputError, UsageError
from sdkpi.issues import DataIssue
from sdkpi.loaders.frames import FRAME_FORMAT, load_frames
from sdkpi.loaders.options import SheetOptions
from sdkpi.loaders.sheets import load_dataset
from sdkpi.results import Period

STORE = CONFORMANCE / "store-a"
MONTHS = ["2024-04", "2024-05", "2024-06"]


def _text_frames(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.stem: pd.read_csv(path, dtype=str) for path in sorted(folder.glob("*.csv"))}


def _values(kpis: list) -> dict[str, tuple[object, object, object]]:  # type: ignore[type-arg]
    return {k.id: (k.value, k.numerator, k.denominator) for k in kpis}


def _shown(issues: list[DataIssue], sheet: str) -> list[tuple[object, ...]]:
    """An issue as the user reads it, less the file it names."""
    return [(i.severity, i.code, i.reason, i.row, i.column, i.value) for i in issues if i.sheet == sheet]


@pytest.mark.parametrize("month", MONTHS)
def test_frames_give_the_folders_24_kpis(month: str) -> None:
    dataset = load_frames(_text_frames(STORE))
    got = Engine(load_definitions(None), dataset).compute(Period.month(month), today=TODAY)
    expected = compute(STORE, month=month, today=TODAY, cache=False)
    assert len(got.kpis) == 24
    assert _values(got.kpis) == _values(expected.kpis)


def test_a_sheet_without_a_frame_is_missing_and_an_unknown_name_is_refused() -> None:
    dataset = load_frames({"work_orders": pd.read_csv(STORE / "work_orders.csv", dtype=str)}, source="mine")
    assert dataset.source == "mine"
    assert set(dataset.sheets) == {"work_orders"}
    assert dataset.missing == {name: "sheet missing" for name in SHEETS if name != "work_orders"}
    assert dataset.sheets["work_orders"].file_format == FRAME_FORMAT
    assert dataset.sheets["work_orders"].file == "<frame work_orders>"
    with pytest.raises(UsageError, match=r"'work_order'.*did you mean 'work_orders'"):
        load_frames({"work_order": pd.DataFrame()})


def test_chinese_headers_map() -> None:
    frame = pd.read_csv(STORE / "work_orders.csv", dtype=str)
    zh = frame.rename(columns={c.name: c.zh for c in SHEETS["work_orders"].columns})
    assert "工单号" in zh.columns
    english = load_frames({"work_orders": frame}).sheets["work_orders"]
    chinese = load_frames({"work_orders": zh}).sheets["work_orders"]
    pd.testing.assert_frame_equal(chinese.frame, english.frame)
    assert chinese.header_map["工单号"] == "ro_number"


def test_the_mapping_files_columns_apply() -> None:
    frame = pd.read_csv(STORE / "work_orders.csv", dtype=str).rename(columns={"advisor": "SA code"})
    options = {"work_orders": SheetOptions(columns={"SA code": "advisor"})}
    data = load_frames({"work_orders": frame}, options=options).sheets["work_orders"]
    assert data.frame["advisor"].iloc[0] == "SA04"
    assert "advisor" not in data.missing_columns


def test_a_bad_value_is_the_same_data_issue_with_its_row_number(tmp_path: Path) -> None:
    lines = (STORE / "work_orders.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[3].split(",")  # row 4 as a spreadsheet shows it
    cells[1] = "not a date"
    cells[20] = "abc"  # labor_amount
    lines[3] = ",".join(cells)
    (tmp_path / "work_orders.csv").write_text("".join(lines), encoding="utf-8")

    from_folder = load_dataset(tmp_path, sheets=["work_orders"])
    from_frames = load_frames({"work_orders": pd.read_csv(tmp_path / "work_orders.csv", dtype=str)})
    expected = _shown(from_folder.issues, "work_orders")
    assert {(code, row) for _, code, _, row, _, _ in expected} >= {("bad_datetime", 4), ("bad_number", 4)}
    assert _shown(from_frames.issues, "work_orders") == expected
    pd.testing.assert_frame_equal(
        from_frames.sheets["work_orders"].frame, from_folder.sheets["work_orders"].frame
    )


def test_timestamps_floats_and_bools_are_read_as_a_workbooks_cells() -> None:
    text = pd.read_csv(STORE / "work_orders.csv", dtype=str)
    typed = text.copy()
    for column in SHEETS["work_orders"].columns:
        if column.name not in typed:
            continue
        if column.type == "datetime":
            typed[column.name] = pd.to_datetime(typed[column.name])
        elif column.type == "number":
            typed[column.name] = typed[column.name].astype(float)
        elif column.type == "bool":
            typed[column.name] = typed[column.name].map({"true": True, "false": False})
    assert typed["opened_at"].dtype.kind == "M"
    assert typed["labor_amount"].dtype == "float64"
    from_text = load_frames({"work_orders": text})
    from_typed = load_frames({"work_orders": typed})
    assert _shown(from_typed.issues, "work_orders") == _shown(from_text.issues, "work_orders")
    pd.testing.assert_frame_equal(
        from_typed.sheets["work_orders"].frame, from_text.sheets["work_orders"].frame
    )


def test_a_duplicate_header_is_refused_as_a_workbooks() -> None:
    frame = pd.read_csv(STORE / "work_orders.csv", dtype=str)
    frame.columns = ["ro_number", "ro_number", *frame.columns[2:]]
    with pytest.raises(InputError, match="duplicate header 'ro_number'"):
        load_frames({"work_orders": frame})
