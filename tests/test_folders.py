"""Folder layouts a service manager actually keeps (issues #15 and #13).

- One sub-folder per month (`2024-04/`, `202405/`, `2024年6月/`) is ONE store read together,
  not a dealer group of "stores" whose numbers add up twice; an order exported in two
  months' folders counts once (the later export) and is reported.
- A downloads folder with unrelated sub-folders is not a dealer group; the sub-folders not
  read are named; `--data examples` does not take the reference mapping as its mapping.
- A file named after its month (`维修工单_2024年5月.csv`) is its sheet; two candidates for one
  sheet are an error naming both; a 0-byte workbook is an error (exit 3).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, REPO, TODAY
from sdkpi.api import compute, load_data
from sdkpi.cli import app
from sdkpi.errors import EXIT_INPUT, InputError
from sdkpi.loaders.discover import layout, period_of, sheet_for_file

STORE = CONFORMANCE / "store-a"
MONTHS = ["2024-04", "2024-05", "2024-06"]
#: each sheet's date column: which month folder a row is exported in
DATED = {
    "appointments": "booked_at",
    "work_orders": "opened_at",
    "parts_requests": "requested_at",
    "technician_time": "date",
    "callbacks": "due_at",
    "customer_issues": "raised_at",
    "vehicle_sales": "delivered_at",
    "suggestions": "reviewed_at",
}
#: the month folders, named as people name them
FOLDER_NAMES = {"2024-04": "2024-04", "2024-05": "202405", "2024-06": "2024年6月"}


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (STORE / f"{name}.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def month_folders(root: Path, *, later_change: bool = False) -> tuple[Path, int]:
    """The store's exports, one folder per month; a work order closed in the month after it was
    opened is in both months' exports (as a monthly export of open and closed orders has it).
    Returns the folder and how many orders are in two folders."""
    twice = 0
    for name, column in DATED.items():
        header, rows = _read(name)
        by_month: dict[str, list[dict[str, str]]] = {m: [] for m in MONTHS}
        for row in rows:
            month = row[column][:7] if row[column][:7] in by_month else MONTHS[0]
            by_month[month].append(row)
            later = MONTHS[MONTHS.index(month) + 1] if month != MONTHS[-1] else None
            # still open at the month's end (closed later, or opened on its last days): exported again
            if (
                name == "work_orders"
                and later
                and (row["closed_at"][:7] >= later or row[column][8:10] >= "28")
            ):
                again = dict(row)
                if later_change:
                    again["parts_amount"] = "999"
                by_month[later].append(again)
                twice += 1
        for month, chunk in by_month.items():
            file_name = (
                f"维修工单_{month[:4]}年{int(month[5:])}月.csv" if name == "work_orders" else f"{name}.csv"
            )
            _write(root / FOLDER_NAMES[month] / file_name, header, chunk)
    return root, twice


def _values(folder: Path, month: str, store: str | None = None) -> dict[str, tuple[object, ...]]:
    """Each KPI's status and figures (rounded: rows added up in another order differ in the
    last bits of a float)."""
    result = compute(folder, month=month, today=TODAY, cache=False, store=store)
    return {
        k.id: (k.status, *(_round(v) for v in (k.numerator, k.denominator, k.value))) for k in result.kpis
    }


def _round(value: object) -> object:
    return round(value, 9) if isinstance(value, float) else value


# --------------------------------------------------------------------------- month folders


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("2024-05", (2024, 5)),
        ("202405", (2024, 5)),
        ("2024年5月", (2024, 5)),
        ("2024-05-xxx", (2024, 5)),
        ("2024_5", (2024, 5)),
        ("2024-05-31", (2024, 5)),
        ("2024年12月导出", (2024, 12)),
        ("2024", None),
        ("store-a", None),
        ("深圳南山店", None),
        ("2024 Store", None),
        ("202413", None),
    ],
)
def test_folder_names_that_are_months(name: str, period: tuple[int, int] | None) -> None:
    assert period_of(name) == period


@pytest.mark.parametrize("month", MONTHS)
def test_month_folders_are_one_store_not_a_group(tmp_path: Path, month: str) -> None:
    folder, twice = month_folders(tmp_path / "exports")
    assert twice > 10
    found = layout(folder)
    assert found.kind == "months" and [p.name for p in found.parts] == ["2024-04", "202405", "2024年6月"]
    assert _values(folder, month) == _values(STORE, month)  # not doubled, nothing lost


def test_an_order_in_two_months_counts_once_the_later_export_wins(tmp_path: Path) -> None:
    folder, twice = month_folders(tmp_path / "exports", later_change=True)
    dataset = load_data(folder, cache=False)
    orders = dataset.sheets["work_orders"]
    assert orders.frame["ro_number"].is_unique and len(orders.frame) == len(_read("work_orders")[1])
    reported = [i for i in dataset.issues if i.code == "key_in_two_months"]
    assert len(reported) == twice
    assert all(i.severity == "info" and "the later export counts" in i.reason for i in reported)
    ro = reported[0].value
    assert orders.frame.loc[orders.frame["ro_number"] == ro, "parts_amount"].item() == 999
    assert reported[0].file is not None and reported[0].row is not None  # the earlier row, where it is
    note = [i for i in dataset.issues if i.code == "folders_read"]
    assert len(note) == 1 and "month folders: 2024-04, 202405, 2024年6月" in note[0].reason


def test_a_group_whose_stores_keep_month_folders(tmp_path: Path) -> None:
    month_folders(tmp_path / "group" / "store-a")
    shutil.copytree(STORE, tmp_path / "group" / "store-b")
    found = layout(tmp_path / "group")
    assert found.kind == "group" and [p.name for p in found.parts] == ["store-a", "store-b"]
    assert _values(tmp_path / "group", "2024-05", store="store-a") == _values(STORE, "2024-05")


# --------------------------------------------------------------------------- what is not a group


def test_a_downloads_folder_is_not_a_dealer_group(tmp_path: Path) -> None:
    downloads = tmp_path / "Downloads"
    shutil.copytree(STORE, downloads / "dms")
    (downloads / "photos").mkdir()
    (downloads / "photos" / "car.jpg").write_bytes(b"\xff\xd8")
    (downloads / "invoices").mkdir()
    (downloads / "invoices" / "march.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    found = layout(downloads)
    assert found.kind == "group" and [p.name for p in found.parts] == ["dms"]
    assert [p.name for p in found.ignored] == ["invoices", "photos"]
    dataset = load_data(downloads, cache=False)
    assert set(dataset.sheets["work_orders"].frame["store"]) == {"dms"}
    note = next(i for i in dataset.issues if i.code == "folders_read")
    assert (
        "1 store folders: dms" in note.reason
        and "not read (no sheet files): invoices/, photos/" in note.reason
    )


def test_a_folder_of_unrelated_folders_is_no_data_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "car.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError) as caught:
        load_data(tmp_path, cache=False)
    assert "no record sheets found" in caught.value.message and "photos/" in (caught.value.hint or "")


def test_sub_folders_of_a_store_folder_are_named_not_read(store_a_copy: Path) -> None:
    """A store folder with an old month kept in a sub-folder: its own files are read, and the
    sub-folder is named (never added in without a word)."""
    shutil.copytree(STORE, store_a_copy / "2024-03")
    (store_a_copy / "photos").mkdir()
    dataset = load_data(store_a_copy, cache=False)
    assert len(dataset.sheets["work_orders"].frame) == len(_read("work_orders")[1])
    note = next(i for i in dataset.issues if i.code == "folders_read")
    assert note.reason.endswith("sub-folders with sheet files not read: 2024-03/")
    result = CliRunner().invoke(app, ["check", "--data", str(store_a_copy), "--lang", "zh", "--no-cache"])
    assert "子文件夹中的数据表未读取：2024-03/" in " ".join(result.output.split()).replace(" ", "")


def test_data_examples_does_not_read_the_reference_mapping() -> None:
    """`--data examples`: the store folders are read each with its own mapping (or none), never
    with the documentation sample kept next to them."""
    examples = REPO / "examples"
    assert not (examples / "sdkpi-mapping.yaml").exists()
    grouped = load_data(examples, cache=False, store="store-demo").sheets["work_orders"]
    alone = load_data(examples / "store-demo", cache=False).sheets["work_orders"]
    assert len(grouped.frame) == len(alone.frame)
    issues = [i for i in load_data(examples, cache=False).issues if i.value == "store-demo"]
    assert not issues, issues


# --------------------------------------------------------------------------- which file is which sheet


@pytest.mark.parametrize(
    ("stem", "sheet"),
    [
        ("维修工单_2024年5月", "work_orders"),
        ("维修工单2024-05", "work_orders"),
        ("work_orders-2024-05", "work_orders"),
        ("work_orders (1)", "work_orders"),
        ("回访记录 5月", "callbacks"),
        ("客户问题记录及解决报告_2024", "customer_issues"),
        ("维修工单明细_2024年5月", None),  # another word follows the sheet's name
        ("工单汇总", None),
        ("orders", None),
    ],
)
def test_a_file_named_after_its_sheet_and_a_date(stem: str, sheet: str | None) -> None:
    assert sheet_for_file(stem) == sheet


def test_a_dated_file_name_is_read_as_its_sheet(store_a_copy: Path) -> None:
    (store_a_copy / "work_orders.csv").rename(store_a_copy / "维修工单_2024年5月.csv")
    assert _values(store_a_copy, "2024-05") == _values(STORE, "2024-05")


def test_two_candidates_for_one_sheet_are_an_error_naming_both(store_a_copy: Path) -> None:
    shutil.copy(store_a_copy / "work_orders.csv", store_a_copy / "work_orders-2024-05.csv")
    result = CliRunner().invoke(app, ["check", "--data", str(store_a_copy), "--no-cache"])
    assert result.exit_code == EXIT_INPUT
    text = " ".join(result.output.split())
    assert "work_orders.csv" in text and "work_orders-2024-05.csv" in text


def test_a_zero_byte_workbook_is_an_error(store_a_copy: Path) -> None:
    (store_a_copy / "callbacks.csv").unlink()
    (store_a_copy / "callbacks.xlsx").write_bytes(b"")
    result = compute(store_a_copy, month="2024-05", today=TODAY, cache=False)
    errors = [i for i in result.data_issues if i.severity == "error"]
    assert len(errors) == 1 and errors[0].sheet == "callbacks" and "0 bytes" in errors[0].reason
    assert result.kpi("callback_rate").status == "no_data"
    assert result.kpi("appointment_rate").status != "no_data"  # the rest is computed
    cli = CliRunner().invoke(
        app, ["compute", "--data", str(store_a_copy), "--month", "2024-05", "--no-cache"]
    )
    assert cli.exit_code == EXIT_INPUT


def test_month_folders_of_exports_named_only_by_the_mapping(tmp_path: Path) -> None:
    """`exports/sdkpi-mapping.yaml` naming `RO_DETAIL_*.csv`, the reports in `exports/2024-05/`:
    the month folder holds sheet files because the mapping says which (not by their names)."""
    from test_real_exports import MAPPING, write_export

    write_export(tmp_path / "exports" / "2024-05", mapping=None)
    (tmp_path / "exports" / "sdkpi-mapping.yaml").write_text(MAPPING, encoding="utf-8")
    assert layout(tmp_path / "exports", ["RO_DETAIL_*.csv"]).kind == "months"
    write_export(tmp_path / "flat")  # the same export, mapping beside it
    assert _values(tmp_path / "exports", "2024-05") == _values(tmp_path / "flat", "2024-05")
