"""The example-data generator (examples/generate_example_data.py) and its checked-in output."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from sdkpi.contract import SHEETS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The generator writes the contract without the optional staff roster and the optional
# repair_type column (added later; no shipped KPI reads them).
GENERATED = {name: sheet for name, sheet in SHEETS.items() if name != "staff"}


def _columns(sheet):
    return [c for c in sheet.columns if c.name != "repair_type"]


def _names(sheet):
    return [c.name for c in _columns(sheet)]


BUSY_SHEETS = {"appointments", "work_orders", "parts_requests", "technician_time", "callbacks"}


@pytest.fixture(scope="module")
def gen():
    name = "generate_example_data"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "generate_example_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny(gen, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    gen.generate(out, start_month="2024-05", months=2, work_orders_per_month=40, stores=["A", "B"], seed=7)
    return out


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_columns_match_the_contract(gen):
    assert set(gen.SHEET_COLUMNS) == set(GENERATED)
    for name, sheet in GENERATED.items():
        own = [*gen.SHEET_COLUMNS[name], gen.STORE_COLUMN]
        assert [c.name for c in _columns(sheet)] == [c[0] for c in own], name
        assert [c.zh for c in _columns(sheet)] == [c[1] for c in own], name
        assert gen.CHINESE_FILE_NAMES[name] in sheet.file_names


def test_all_sheets_with_canonical_columns(tiny):
    for name, sheet in GENERATED.items():
        header, rows = _read(tiny / f"{name}.csv")
        assert header == _names(sheet), name  # the store column is last in both
        assert rows, f"{name} is empty"
        stores = {r["store"] for r in rows}
        # a store this small may raise no customer issue or sell no car in two months
        assert stores == {"A", "B"} if name in BUSY_SHEETS else stores <= {"A", "B"}, name


def test_ids_unique_and_references_resolve(tiny):
    _, wo = _read(tiny / "work_orders.csv")
    ros = [r["ro_number"] for r in wo]
    assert len(ros) == len(set(ros)) == 2 * 2 * 40
    for name in ("appointments", "callbacks", "vehicle_sales", "suggestions"):
        key = SHEETS[name].key
        assert key is not None
        _, rows = _read(tiny / f"{name}.csv")
        values = [r[key] for r in rows]
        assert len(values) == len(set(values)), name

    opened = {r["ro_number"]: r["opened_at"] for r in wo}
    comebacks = [r for r in wo if r["comeback_of"]]
    assert comebacks, "expected at least one comeback in the tiny data set"
    for r in comebacks:
        assert r["comeback_of"] in opened
        assert opened[r["comeback_of"]] < r["opened_at"]
        assert r["comeback_of"][:3] == r["ro_number"][:3]  # same store prefix

    for name in ("appointments", "parts_requests", "callbacks", "customer_issues"):
        _, rows = _read(tiny / f"{name}.csv")
        assert {r["ro_number"] for r in rows if r["ro_number"]} <= set(opened), name


def test_value_formats(tiny):
    _, wo = _read(tiny / "work_orders.csv")
    assert {r["customer_type"] for r in wo} == {"retail", "warranty", "internal"}
    assert {r["walkaround"] for r in wo} <= {"true", "false"}
    assert all(len(r["opened_at"]) == 16 and r["opened_at"][10] == " " for r in wo)
    _, cb = _read(tiny / "callbacks.csv")
    assert {r["result"] for r in cb} <= {"reached", "voicemail", "letter", "no_answer", "refused"}
    _, tt = _read(tiny / "technician_time.csv")
    assert all(len(r["date"]) == 10 for r in tt)


def test_same_seed_same_bytes(gen, tiny, tmp_path):
    gen.generate(
        tmp_path, start_month="2024-05", months=2, work_orders_per_month=40, stores=["A", "B"], seed=7
    )
    for name in GENERATED:
        assert (tmp_path / f"{name}.csv").read_bytes() == (tiny / f"{name}.csv").read_bytes(), name


def test_chinese_headers_and_file_name(gen, tmp_path):
    gen.generate(
        tmp_path, months=1, work_orders_per_month=30, chinese_headers={"work_orders"}, chinese_filenames=True
    )
    assert not (tmp_path / "work_orders.csv").exists()
    header, rows = _read(tmp_path / "维修工单.csv")
    assert header == [c.zh for c in _columns(SHEETS["work_orders"]) if c.name != "store"]
    assert {r["客户类型"] for r in rows} <= {"自费", "保修", "内部"}
    assert {r["互动预检"] for r in rows} <= {"是", "否"}
    header, _ = _read(tmp_path / "callbacks.csv")
    assert header[0] == "callback_id"


def test_checked_in_store_demo_has_chinese_work_orders():
    demo = EXAMPLES / "store-demo"
    header, rows = _read(demo / "维修工单.csv")
    assert header == [c.zh for c in _columns(SHEETS["work_orders"]) if c.name != "store"]
    assert len(rows) == 6 * 300
    assert not (demo / "work_orders.csv").exists()
    for name in GENERATED:
        if name != "work_orders":
            header, _ = _read(demo / f"{name}.csv")
            assert header == [c for c in _names(SHEETS[name]) if c != "store"], name


def test_checked_in_dealer_group_has_one_folder_per_store():
    group = EXAMPLES / "dealer-group"
    stores = sorted(p.name for p in group.iterdir() if p.is_dir())
    assert stores == sorted(["深圳南山店", "深圳福田店", "广州天河店"])
    for store in stores:
        for name, sheet in GENERATED.items():
            header, rows = _read(group / store / f"{name}.csv")
            assert header == _names(sheet), (store, name)
            assert {r["store"] for r in rows} == {store}, (store, name)
