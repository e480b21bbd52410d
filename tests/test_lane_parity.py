"""The two lanes give the same dataset: the reference path (`load_dataset(..., lane=None)`) and
the speed lane (`lane=SpeedLane()`, no sheet cache), on random small store folders.

Work orders and appointments, clean (what the fast lane takes) and odd: blanks, placeholders,
a total row, odd dates, padded cells, repeated keys, a blank line, quoted cells. For each
folder, both lanes must give the same frames (values and dtypes), row numbers, bad-cell
masks, sheet details and data issues, whether the whole sheet is read or only what a
computation reads (`columns`), whole or block by block (a lane that says so: chosen by
parameter, not by patching).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkpi.dataset import Dataset
from sdkpi.loaders.sheets import load_dataset
from sdkpi.speed.fast_lane import SpeedLane

CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "store-a"


class BlockLane(SpeedLane):
    """The speed lane reading every file block by block (as for big data)."""

    def blocks(self, total_bytes: int, size: int) -> bool:
        return True


TIMES = ["2024-05-01 08:30", "2024-05-02 17:00:05", "2024-05-31", "2024-05-03T09:15", ""]
ODD_TIMES = [
    "2024/5/1 8:30",
    "2024-05-01 24:00",
    "2024-02-30 10:00",
    "5/1/2024",
    "2024年5月1日",
    "-",
    " 2024-05-01",
]
TEXT = ["SA1", "SA 2", "张三", "a,b", ""]
ODD_TEXT = ["N/A", "#N/A", " SA1", "SA1 ", "-", "nan", "合计"]
NUMBERS = ["1", "0", "1.5", "-2", "1e3", ".5", ""]
ODD_NUMBERS = ["1,234", "abc", "1.5h", "¥12", "N/A", "inf"]
BOOLS = ["true", "false", "是", "否", "1", "0", "Y", ""]
ODD_BOOLS = ["maybe", "True ", "t", "-"]
KINDS = ["retail", "warranty", "internal", "insurance", ""]
ODD_KINDS = ["自费", "RETAIL", "other", " retail"]

WORK_ORDERS = {
    "ro_number": "key",
    "opened_at": "time",
    "customer_type": "kind",
    "advisor": "text",
    "pre_inspected": "bool",
    "promised_at": "time",
    "labor_hours_sold": "number",
    "labor_amount": "number",
    "comeback_of": "text",
    "store": "store",
}
APPOINTMENTS = {
    "appointment_id": "key",
    "customer_id": "text",
    "booked_at": "time",
    "appointment_time": "time",
    "arrived_at": "time",
    "ro_number": "text",
    "store": "store",
}
REQUIRED = {"ro_number", "opened_at", "customer_type", "advisor", "promised_at"} | {
    "appointment_id",
    "booked_at",
    "appointment_time",
}


def _cell(kind: str, odd: bool) -> st.SearchStrategy[str]:
    clean = {
        "key": st.sampled_from(["K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8"]),
        "time": st.sampled_from(TIMES),
        "kind": st.sampled_from(KINDS),
        "text": st.sampled_from(TEXT),
        "bool": st.sampled_from(BOOLS),
        "number": st.sampled_from(NUMBERS),
        "store": st.sampled_from(["S1", "S2"]),
    }[kind]
    if not odd:
        return clean
    strange = {
        "key": ["", " K1", "合计"],
        "time": ODD_TIMES,
        "kind": ODD_KINDS,
        "text": ODD_TEXT,
        "bool": ODD_BOOLS,
        "number": ODD_NUMBERS,
        "store": ["", "S 1"],
    }[kind]
    return st.one_of(clean, clean, st.sampled_from(strange))


@st.composite
def sheet_text(draw: st.DrawFn, columns: dict[str, str]) -> str:
    """A CSV of the sheet: some of its optional columns, in some order, clean or odd rows."""
    optional = [c for c in columns if c not in REQUIRED]
    kept = [c for c in columns if c in REQUIRED] + draw(
        st.lists(st.sampled_from(optional), unique=True, max_size=len(optional))
    )
    kept = draw(st.permutations(kept))
    odd = draw(st.booleans())
    rows = draw(st.lists(st.tuples(*(_cell(columns[c], odd) for c in kept)), min_size=1, max_size=8))
    lines = [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    if odd and draw(st.booleans()):
        lines.append("合计" + "," * (len(kept) - 1))  # a total row
    if odd and draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "")  # a blank line
    if draw(st.booleans()):  # keys in order, one store: the neighbour check of the lane
        lines = sorted(lines)
    return ",".join(kept) + "\n" + "\n".join(lines) + "\n"


def _load(folder: Path, lane: SpeedLane | None, columns: dict[str, set[str]] | None) -> Dataset:
    return load_dataset(folder, sheets=["work_orders", "appointments"], lane=lane, columns=columns)


def assert_same_dataset(reference: Dataset, fast: Dataset) -> None:
    assert fast.missing == reference.missing
    assert fast.issues == reference.issues
    assert sorted(fast.sheets) == sorted(reference.sheets)
    for name, want in reference.sheets.items():
        got = fast.sheets[name]
        pd.testing.assert_frame_equal(got.frame, want.frame, check_dtype=True, check_exact=True)
        np.testing.assert_array_equal(got.row_numbers, want.row_numbers)
        assert sorted(got.bad) == sorted(want.bad)
        for column, mask in want.bad.items():
            np.testing.assert_array_equal(got.bad[column], mask)
        for field in dataclasses.fields(want):
            if field.name not in ("frame", "row_numbers", "bad"):
                assert getattr(got, field.name) == getattr(want, field.name), (name, field.name)


WANTED = {
    "work_orders": {"opened_at", "customer_type", "labor_hours_sold", "comeback_of"},
    "appointments": {"booked_at", "appointment_time", "arrived_at"},
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_text(WORK_ORDERS), sheet_text(APPOINTMENTS))
def test_the_speed_lane_gives_what_the_reference_path_gives(work_orders: str, appointments: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        (store / "work_orders.csv").write_text(work_orders, encoding="utf-8")
        (store / "appointments.csv").write_text(appointments, encoding="utf-8")
        assert_same_dataset(_load(store, None, None), _load(store, SpeedLane(), None))
        reference = _load(store, None, WANTED)
        assert_same_dataset(reference, _load(store, SpeedLane(), WANTED))
        assert_same_dataset(reference, _load(store, BlockLane(), WANTED))


def test_the_lane_takes_clean_files() -> None:
    """The parity above is not empty: a clean folder is read by the fast lane itself."""
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        (store / "work_orders.csv").write_text(
            "ro_number,opened_at,customer_type,advisor,promised_at\n"
            "K1,2024-05-01 08:30,retail,SA1,2024-05-01 17:00\n"
            "K2,2024-05-02 08:30,warranty,SA2,2024-05-02 17:00\n",
            encoding="utf-8",
        )
        taken: list[str] = []

        class Counting(SpeedLane):
            def read(self, source, opts, wanted, *, blocks):  # type: ignore[no-untyped-def]
                loaded = super().read(source, opts, wanted, blocks=blocks)
                if loaded is not None:
                    taken.append(source.sheet)
                return loaded

        assert_same_dataset(_load(store, None, None), _load(store, Counting(), None))
        assert taken == ["work_orders"]


def test_the_api_chooses_the_lane_by_parameter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`load_data(fast=False)`: the reference path, and no sheet cache even when it is on."""
    from sdkpi import api

    monkeypatch.delenv("SDKPI_NO_CACHE", raising=False)
    monkeypatch.setenv("SDKPI_CACHE_DIR", str(tmp_path / "cache"))
    store = tmp_path / "store"
    shutil.copytree(CONFORMANCE, store)
    reference = api.load_data(store, fast=False)
    assert not (tmp_path / "cache").exists()
    assert_same_dataset(reference, api.load_data(store, cache=False))


def test_the_loaders_know_the_lane_only_as_a_parameter() -> None:
    """No module of the reading pipeline imports the speed lane (or its caches): it comes in
    as `load_dataset(..., lane=...)`, typed by the `loaders.lane.Lane` protocol."""
    import ast

    loaders = Path(__file__).resolve().parents[1] / "src" / "sdkpi" / "loaders"
    found = []
    for path in sorted(loaders.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{'.' * node.level}{node.module or ''}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [(path.name, n) for n in names if "speed" in n.split(".") or "cache" in n.split(".")]
    assert found == []


def test_the_lanes_thread_pools_are_shut_down_by_their_owner() -> None:
    from sdkpi.speed import pools

    pool = pools.Pool(1, "sdkpi-test")
    assert pool.submit(lambda: 1).result() == 1
    pool.close(wait=True)
    assert not pool.running
    assert pool.submit(lambda: 2).result() == 2  # made again when used again
    pools.close_all()  # what runs at exit
    assert not any(owned.running for owned in (pool, pools.EARLY, pools.WRITER))
