"""The parsed-sheet cache: round trip, invalidation, and distrust of what is on disk."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import typed_sheet
from sdkpi.dataset import SheetData
from sdkpi.issues import DataIssue
from sdkpi.speed import sheet_cache as cache_module
from sdkpi.speed.sheet_cache import SheetCache, cache_dir, cache_disabled, seal, unseal


@dataclass
class SheetOptions:  # stands for the loaders' mapping options: any dataclass keys an entry
    date_order: str | None = None


ISSUE = DataIssue("warning", "bad_datetime", "not a date/time", "work_orders", "wo.csv", 3, "opened_at", "x")


def _sheet() -> SheetData:
    data = typed_sheet(
        "work_orders",
        [
            {"ro_number": "RO1", "opened_at": "2024-05-01 10:00", "pre_inspected": True, "parts_amount": 1.5},
            {"ro_number": "RO2", "opened_at": None, "pre_inspected": None, "customer_type": "retail"},
            {"ro_number": None, "opened_at": "2024-05-31 23:59", "pre_inspected": False},
        ],
    )
    data.frame["extra column"] = pd.Series(["a", None, "c"], dtype=object)
    data.bad = {"opened_at": np.array([False, True, False])}
    data.missing_columns = {"vin"}
    data.header_map = {"工单号": "ro_number"}
    data.encoding, data.file_format, data.header_row, data.rows_in_file = "gb18030", "csv", 1, 4
    return data


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "work_orders.csv"
    path.parent.mkdir()
    path.write_text("ro_number\nRO1\n", encoding="utf-8")
    return path


@pytest.fixture
def cache(tmp_path: Path) -> SheetCache:
    return SheetCache(tmp_path / "cache")


def test_round_trip_keeps_values_types_masks_and_issues(cache: SheetCache, source: Path) -> None:
    data = _sheet()
    key = cache.key(source, options=SheetOptions(date_order="dmy"))
    assert cache.put(key, data, [ISSUE])
    got = cache.get(key)
    assert got is not None
    restored, issues = got
    pd.testing.assert_frame_equal(restored.frame, data.frame)
    assert restored.frame["pre_inspected"].dtype == "boolean"
    assert restored.frame["pre_inspected"].isna().tolist() == [False, True, False]
    np.testing.assert_array_equal(restored.row_numbers, data.row_numbers)
    np.testing.assert_array_equal(restored.bad["opened_at"], data.bad["opened_at"])
    assert issues == [ISSUE]
    assert (restored.name, restored.missing_columns, restored.header_map) == (
        "work_orders",
        {"vin"},
        {"工单号": "ro_number"},
    )
    assert (restored.encoding, restored.header_row, restored.rows_in_file) == ("gb18030", 1, 4)


def test_a_computations_arrow_text_and_category_columns_round_trip(cache: SheetCache, source: Path) -> None:
    """What `compute` caches: text as Arrow strings, few-valued text as category codes."""
    from sdkpi.columns import ARROW_TEXT, categorical

    data = _sheet()
    data.frame["ro_number"] = data.frame["ro_number"].astype(ARROW_TEXT)
    data.frame["advisor"] = categorical(pa.array(["SA2", None, "SA1"], pa.large_string()))
    data.frame["store"] = categorical(pa.array([None, None, None], pa.large_string()))  # no values
    key = cache.key(source, columns={"ro_number", "advisor"})
    assert cache.put(key, data, [])
    got = cache.get(key)
    assert got is not None
    pd.testing.assert_frame_equal(got[0].frame, data.frame)
    assert list(got[0].frame["advisor"].cat.categories) == ["SA1", "SA2"]
    assert got[0].frame["ro_number"].dtype == ARROW_TEXT


def test_entries_live_outside_the_data_folder(cache: SheetCache, source: Path) -> None:
    cache.put(cache.key(source), _sheet(), [])
    assert sorted(p.name for p in source.parent.iterdir()) == ["work_orders.csv"]
    assert len(list(cache.directory.glob("sheet-*.arrow"))) == 1


def test_a_changed_file_or_other_options_miss(cache: SheetCache, source: Path) -> None:
    key = cache.key(source, options=SheetOptions())
    cache.put(key, _sheet(), [])
    assert cache.get(cache.key(source, options=SheetOptions())) is not None
    assert cache.get(cache.key(source, options=SheetOptions(date_order="mdy"))) is None
    assert cache.get(cache.key(source, options=SheetOptions(), columns=["ro_number"])) is None
    assert cache.get(cache.key(source, worksheet="Sheet2", options=SheetOptions())) is None
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))  # touched: same size
    assert cache.get(cache.key(source, options=SheetOptions())) is None
    source.write_text("ro_number\nRO1\nRO2\n", encoding="utf-8")
    assert cache.get(cache.key(source, options=SheetOptions())) is None


def test_a_new_version_of_a_file_replaces_its_entry(cache: SheetCache, source: Path) -> None:
    cache.put(cache.key(source), _sheet(), [])
    source.write_text("ro_number\nRO1\nRO2\n", encoding="utf-8")
    cache.put(cache.key(source), _sheet(), [ISSUE])
    assert len(_entries(cache)) == 2  # one table + one sidecar, not two pairs
    got = cache.get(cache.key(source))
    assert got is not None and got[1] == [ISSUE]
    cache.put(cache.key(source, columns=["ro_number"]), _sheet(), [])  # another way of reading it
    assert len(_entries(cache)) == 4
    assert len(list(cache.directory.glob("sheet-seen-*"))) == 1  # one hint per file


@pytest.mark.parametrize(
    "numbers",
    [np.array([2, 3, 4], dtype=np.int32), np.array([7, 8, 9]), np.array([2, 3, 5], dtype=np.int32)],
)
def test_row_numbers_come_back_as_they_were(cache: SheetCache, source: Path, numbers: np.ndarray) -> None:
    """Consecutive row numbers (every row of the file kept) are not stored, only where they start."""
    import pyarrow as pa

    data = _sheet()
    data.row_numbers = numbers
    key = cache.key(source)
    assert cache.put(key, data, [])
    (table,) = cache.directory.glob("sheet-*.arrow")
    with pa.memory_map(str(table)) as mapped:
        stored = pa.ipc.open_file(mapped).schema.names
    assert ("row_numbers" in stored) == (numbers.tolist() == [2, 3, 5])
    got = cache.get(key)
    assert got is not None
    assert got[0].row_numbers.tolist() == numbers.tolist()
    assert got[0].row_numbers.dtype == numbers.dtype


def _entries(cache: SheetCache) -> list[Path]:
    return [*cache.directory.glob("sheet-*.arrow"), *cache.directory.glob("sheet-*.json")]


def test_holds_says_whether_the_file_as_it_is_now_was_stored(cache: SheetCache, source: Path) -> None:
    assert not cache.holds(source)
    cache.put(cache.key(source), _sheet(), [])
    assert cache.holds(source)
    source.write_text("ro_number\nRO1\nRO2\nRO3\n", encoding="utf-8")  # a new export
    assert not cache.holds(source)
    assert not SheetCache(cache.directory / "elsewhere").holds(source)


def test_a_table_and_sidecar_from_different_writes_are_a_miss(cache: SheetCache, source: Path) -> None:
    key = cache.key(source)
    cache.put(key, _sheet(), [])
    (table,) = cache.directory.glob("sheet-*.arrow")
    first_table = table.read_bytes()
    cache.put(key, _sheet(), [ISSUE])  # a second writer: new table and sidecar
    table.write_bytes(first_table)  # ...whose table lost the race against the first one's
    assert cache.get(key) is None


def test_key_is_none_for_an_unreadable_path(cache: SheetCache, tmp_path: Path) -> None:
    assert cache.key(tmp_path / "nope.csv") is None
    assert cache.get(None) is None
    assert not cache.put(None, _sheet(), [])


def test_a_background_store_writes_the_sheet_as_it_was_handed_over(tmp_path: Path, source: Path) -> None:
    """The engine computes while the writer thread stores; the caller may change the sheet
    meanwhile (a dealer group's loader fills in the store column): the entry is unchanged."""
    from sdkpi.speed.sheet_cache import wait_for_writes

    cache = SheetCache(tmp_path / "cache", background=True)
    data, expected = _sheet(), _sheet()
    key = cache.key(source)
    cache.store(key, data, [ISSUE])
    data.frame["store"] = "S9"
    data.missing_columns.discard("vin")
    wait_for_writes()
    got = cache.get(key)
    assert got is not None
    pd.testing.assert_frame_equal(got[0].frame, expected.frame)
    assert got[0].missing_columns == {"vin"} and got[1] == [ISSUE]


def _entry(cache: SheetCache, source: Path) -> tuple[dict, Path, Path]:
    key = cache.key(source)
    assert key is not None
    cache.put(key, _sheet(), [ISSUE])
    (table,) = cache.directory.glob("sheet-*.arrow")
    return key, table, table.with_suffix(".json")


def test_corrupt_or_torn_entries_are_misses(cache: SheetCache, source: Path) -> None:
    key, table, meta = _entry(cache, source)
    table.write_bytes(table.read_bytes()[:100])
    assert cache.get(key) is None
    key, table, meta = _entry(cache, source)
    meta.write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None
    key, table, meta = _entry(cache, source)
    table.unlink()
    assert cache.get(key) is None


def test_planted_sidecars_are_not_trusted(cache: SheetCache, source: Path) -> None:
    """Even with a valid checksum (a sidecar written by hand, sealed), what it says is checked
    against the table. (A miss deletes the entry: each plant is made on a fresh one.)"""
    key, _, meta_path = _entry(cache, source)
    meta = json.loads(unseal(meta_path.read_bytes()))

    def planted(change: dict) -> None:
        _entry(cache, source)
        fresh = json.loads(unseal(meta_path.read_bytes()))
        meta_path.write_bytes(seal(json.dumps({**fresh, **change}).encode()))

    planted({"key": {**key, "size": key["size"] + 1}})  # an entry for another file version
    assert cache.get(key) is None
    planted({"rows": 2})  # row count does not match the table
    assert cache.get(key) is None
    columns = [list(c) for c in meta["columns"]]
    columns[0][1] = "number"  # says ro_number holds numbers: the typed table disagrees
    planted({"columns": columns})
    assert cache.get(key) is None
    planted({"issues": [["warning", "x"]]})
    assert cache.get(key) is None
    planted({})
    assert cache.get(key) is not None  # the untouched sidecar is still fine


def test_planted_category_values_that_do_not_fit_their_codes_are_a_miss(
    cache: SheetCache, source: Path
) -> None:
    from sdkpi.columns import categorical

    data = _sheet()
    data.frame["advisor"] = categorical(pa.array(["SA2", None, "SA1"], pa.large_string()))
    key = cache.key(source)
    assert cache.put(key, data, [])
    _, meta_path = cache._paths(key)
    for values in (["SA1"], ["SA1", "SA1"]):  # too few values for the codes; a value twice
        assert cache.put(key, data, [])
        meta = json.loads(unseal(meta_path.read_bytes()))
        position = str([c[0] for c in meta["columns"]].index("advisor"))
        meta["categories"][position] = values
        meta_path.write_bytes(seal(json.dumps(meta).encode()))
        assert cache.get(key) is None


def test_unstorable_frames_are_skipped_not_raised(cache: SheetCache, source: Path) -> None:
    data = _sheet()
    data.frame["odd"] = pd.Series([1, "a", None], dtype=object)  # mixed objects: arrow refuses
    assert not cache.put(cache.key(source), data, [])
    assert not list(cache.directory.glob("sheet-*"))


def test_clear_removes_entries(cache: SheetCache, source: Path) -> None:
    _entry(cache, source)
    assert cache_module.clear(cache.directory) == 3  # table, sidecar and the file's hint
    assert not list(cache.directory.glob("sheet-*"))


def test_cache_location_and_switch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SDKPI_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sdkpi"
    monkeypatch.setenv("SDKPI_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("SDKPI_NO_CACHE", raising=False)
    assert not cache_disabled() and SheetCache.default() is not None
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    assert cache_disabled() and SheetCache.default() is None
    monkeypatch.setenv("SDKPI_NO_CACHE", "0")
    assert not cache_disabled()


# --------------------------------------------------------------------------- through the API and CLI

STORE_A = Path(__file__).parent / "fixtures" / "conformance" / "store-a"


@pytest.fixture
def cache_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("SDKPI_NO_CACHE", raising=False)
    monkeypatch.setenv("SDKPI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _figures(result: object) -> list[tuple]:
    return [(k.id, k.numerator, k.denominator, k.value, k.status) for k in result.kpis]  # type: ignore[attr-defined]


def test_a_rerun_reads_the_cache_not_the_files(
    cache_on: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    from sdkpi import api
    from sdkpi.loaders import sheets

    data = tmp_path / "store"
    shutil.copytree(STORE_A, data)
    first = api.compute(data, month="2024-05")
    assert len(list(cache_on.glob("sheet-*.arrow"))) == 8

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sheet was read again although its file did not change")

    monkeypatch.setattr(sheets, "load_sheet", no_parsing)
    second = api.compute(data, month="2024-05")
    assert _figures(second) == _figures(first)
    assert second.data_issues == first.data_issues
    assert [s.to_dict() for s in second.sheets] == [s.to_dict() for s in first.sheets]

    rows = (data / "work_orders.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "work_orders.csv").write_text("".join(rows[:-1]), encoding="utf-8")  # an edited export
    with pytest.raises(AssertionError, match="read again"):
        api.compute(data, month="2024-05")


def test_no_cache_flag_and_env_leave_the_cache_alone(cache_on: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sdkpi.cli import app

    args = ["compute", "--data", str(STORE_A), "--month", "2024-05", "--format", "json", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not cache_on.exists() or not list(cache_on.iterdir())
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    assert CliRunner().invoke(app, args).exit_code == 0
    assert not cache_on.exists() or not list(cache_on.iterdir())
    monkeypatch.delenv("SDKPI_NO_CACHE")
    assert CliRunner().invoke(app, args).exit_code == 0
    assert len(list(cache_on.glob("sheet-*.json"))) == 8


def test_entries_are_keyed_on_the_loader_code_too(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A reader fix must not hide behind entries the previous code wrote."""
    from sdkpi.speed import sheet_cache as cache_module

    sheet_cache = cache_module.SheetCache(tmp_path / "cache")
    file = tmp_path / "work_orders.csv"
    file.write_text("ro_number\nR1\n", encoding="utf-8")
    before = sheet_cache.key(file)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "other-code")
    assert sheet_cache.key(file) != before
