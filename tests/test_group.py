"""Dealer groups: one folder per store equals one export of all stores, and the single store."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import CONFORMANCE, TODAY, dataset
from sdkpi.api import compute, load_data
from sdkpi.breakdown import breakdown
from sdkpi.definitions import load_definitions
from sdkpi.engine import Engine
from sdkpi.errors import UsageError
from sdkpi.loaders.group import select_store, store_folders
from sdkpi.results import Period

STORE_A = CONFORMANCE / "store-a"
STORES = ("store-x", "store-y")
MONTHS = ("2024-04", "2024-05", "2024-06")


def _read(sheet: str) -> tuple[list[str], list[dict[str, str]]]:
    with (STORE_A / f"{sheet}.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _store_of(sheet: str, index: int, row: dict[str, str], work_orders: dict[str, dict[str, str]]) -> str:
    """Split rule: work orders by the parity of the original order's number (a comeback goes
    with the order it names), problems by issue id (all faults of a problem together),
    everything else by row position."""
    if sheet == "work_orders":
        root = row["comeback_of"] or row["ro_number"]
        while work_orders.get(root, {}).get("comeback_of"):
            root = work_orders[root]["comeback_of"]
        return STORES[int(root[-1]) % 2]
    if sheet == "customer_issues":
        return STORES[int(row["issue_id"][-1]) % 2]
    return STORES[index % 2]


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The conformance store split into two store folders, and the same rows as one export
    with a store column (folder x's rows first, as the group stacks them)."""
    root = tmp_path_factory.mktemp("group")
    _, wo_rows = _read("work_orders")
    work_orders = {r["ro_number"]: r for r in wo_rows}
    for path in sorted(STORE_A.glob("*.csv")):
        sheet = path.stem
        fields, rows = _read(sheet)
        split: dict[str, list[dict[str, str]]] = {s: [] for s in STORES}
        for index, row in enumerate(rows):
            split[_store_of(sheet, index, row, work_orders)].append(row)
        for store in STORES:
            _write(root / "group" / store / path.name, fields, split[store])
        merged = [{**r, "store": s} for s in STORES for r in split[s]]
        _write(root / "merged" / path.name, [*fields, "store"], merged)
    return {"group": root / "group", "merged": root / "merged"}


def _figures(result: object) -> dict[str, tuple[object, ...]]:
    return {k.id: (k.numerator, k.denominator, k.value, k.status) for k in result.kpis}  # type: ignore[attr-defined]


def test_store_folders_are_detected(layouts: dict[str, Path]) -> None:
    assert [p.name for p in store_folders(layouts["group"])] == list(STORES)
    assert store_folders(layouts["merged"]) == []  # sheets in the folder itself: one export
    assert store_folders(STORE_A) == []


@pytest.mark.parametrize("month", MONTHS)
def test_group_of_folders_equals_one_export_with_a_store_column(layouts: dict[str, Path], month: str) -> None:
    group = compute(layouts["group"], month=month, today=TODAY)
    merged = compute(layouts["merged"], month=month, today=TODAY)
    assert _figures(group) == _figures(merged)


@pytest.mark.parametrize("month", MONTHS)
def test_group_of_folders_equals_the_single_store(layouts: dict[str, Path], month: str) -> None:
    group = {k.id: k for k in compute(layouts["group"], month=month, today=TODAY).kpis}
    single = {k.id: k for k in compute(STORE_A, month=month, today=TODAY).kpis}
    for kpi_id, one in single.items():
        if kpi_id == "parts_sales_per_advisor":
            continue  # the split puts each advisor in both stores: two people to the group
        two = group[kpi_id]
        if isinstance(one.numerator, int) and isinstance(one.denominator, int):
            assert (two.numerator, two.denominator, two.status) == (
                one.numerator,
                one.denominator,
                one.status,
            )
        else:  # sums: same rows added in another order
            assert two.numerator == pytest.approx(one.numerator, rel=1e-12), kpi_id
            assert two.denominator == pytest.approx(one.denominator, rel=1e-12), kpi_id


def test_rows_take_the_folder_name_as_store(layouts: dict[str, Path]) -> None:
    data = load_data(layouts["group"])
    stores = data.sheets["work_orders"].frame["store"]
    assert set(stores) == set(STORES)
    assert data.sheets["work_orders"].file is not None and "*" in data.sheets["work_orders"].file


def test_store_ranking_and_group_total(layouts: dict[str, Path]) -> None:
    result = breakdown(layouts["group"], "store", month="2024-05", kpis=["on_time_completion_rate"])
    kpi = result.kpi("on_time_completion_rate")
    values = [g.value for g in kpi.groups]
    assert [g.group for g in kpi.groups] and values == sorted(values, reverse=True)
    assert kpi.total is not None
    assert sum(g.numerator for g in kpi.groups) == kpi.total.numerator
    assert sum(g.denominator for g in kpi.groups) == kpi.total.denominator
    single = compute(STORE_A, month="2024-05", kpis=["on_time_completion_rate"]).kpis[0]
    assert (kpi.total.numerator, kpi.total.denominator) == (single.numerator, single.denominator)


def test_picking_one_store_of_a_group(layouts: dict[str, Path]) -> None:
    x = compute(layouts["group"], month="2024-05", store="store-x", kpis=["appointment_rate"]).kpis[0]
    y = compute(layouts["group"], month="2024-05", store="store-y", kpis=["appointment_rate"]).kpis[0]
    whole = compute(layouts["group"], month="2024-05", kpis=["appointment_rate"]).kpis[0]
    assert x.denominator + y.denominator == whole.denominator
    with pytest.raises(UsageError, match=r"no store 'store-z'.*did you mean"):
        load_data(layouts["group"], store="store-z")


def test_a_store_missing_a_sheet_is_reported_not_fatal(tmp_path: Path) -> None:
    fields, rows = _read("callbacks")
    _write(tmp_path / "north" / "callbacks.csv", fields, rows)
    wo_fields, wo_rows = _read("work_orders")
    _write(tmp_path / "north" / "work_orders.csv", wo_fields, wo_rows)
    _write(tmp_path / "south" / "work_orders.csv", wo_fields, wo_rows)
    data = load_data(tmp_path)
    assert "callbacks" in data.sheets
    assert any(i.code == "store_sheet_missing" and i.value == "south" for i in data.issues)
    # the same RO numbers in two stores are two orders each: nothing is a duplicate
    assert not any(i.code == "duplicate_key" for i in data.issues)
    assert len(data.sheets["work_orders"].frame) == 2 * len(wo_rows)


def test_a_store_missing_a_column_leaves_only_its_rows_out(tmp_path: Path) -> None:
    fields, rows = _read("work_orders")
    _write(tmp_path / "north" / "work_orders.csv", fields, rows)
    without = [f for f in fields if f != "invoiced_at"]
    _write(tmp_path / "south" / "work_orders.csv", without, [{f: r[f] for f in without} for r in rows])
    result = compute(tmp_path, month="2024-05", kpis=["invoice_timeliness_rate"], today=TODAY)
    single = compute(STORE_A, month="2024-05", kpis=["invoice_timeliness_rate"], today=TODAY)
    kpi, one = result.kpis[0], single.kpis[0]
    assert (kpi.numerator, kpi.denominator) == (one.numerator, one.denominator)
    assert kpi.rows_unusable == one.denominator  # south's rows: no invoiced_at column
    assert any(i.code == "store_column_missing" for i in result.data_issues)


DEFS = load_definitions()
MAY = Period.month("2024-05")


def test_duplicate_keys_and_comebacks_are_matched_within_a_store() -> None:
    rows = [
        {"ro_number": "R1", "store": "north", "opened_at": "2024-05-02 09:00", "customer_type": "retail"},
        {"ro_number": "R1", "store": "south", "opened_at": "2024-05-02 09:00", "customer_type": "retail"},
        {"ro_number": "R2", "store": "south", "opened_at": "2024-05-03 09:00", "comeback_of": "R1"},
    ]
    for row in rows:
        row.update(advisor="A", promised_at="2024-05-04 09:00", customer_type="retail")
    evaluation = Engine(DEFS, dataset(work_orders=rows)).evaluate("first_time_fix_rate", MAY, TODAY)
    assert (evaluation.result.numerator, evaluation.result.denominator) == (2, 3)
    failing = evaluation.failing
    assert failing is not None and list(failing) == [False, True, False]  # south's R1, not north's


def test_distinct_counts_pair_the_id_with_the_store() -> None:
    rows = [
        {"ro_number": f"R{i}", "store": store, "advisor": "SA01", "closed_at": "2024-05-10 12:00"}
        for i, store in enumerate(["north", "south", "south"])
    ]
    for row in rows:
        row.update(opened_at="2024-05-09", promised_at="2024-05-10", customer_type="retail", parts_amount=100)
    result = Engine(DEFS, dataset(work_orders=rows)).evaluate("parts_sales_per_advisor", MAY, TODAY).result
    assert result.denominator == 2  # SA01 of north and SA01 of south
    north = Engine(DEFS, select_store(dataset(work_orders=rows), "north")).evaluate(
        "parts_sales_per_advisor", MAY, TODAY
    )
    assert north.result.denominator == 1
