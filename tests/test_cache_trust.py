"""The caches never serve stale or damaged numbers (issue #13).

The result cache keys on every file under the data folder at any depth; the sheet cache
on path, size, modification and change time and inode. Every entry is sealed with a
checksum of its bytes; an Arrow table is validated in full before a value is read;
anything unexpected is a miss (never a crash, never served), and the numbers are those
of a fresh read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import typed_sheet
from sdkpi import api
from sdkpi.definitions import load_definitions
from sdkpi.speed.sheet_cache import SheetCache, checksum, seal, unseal

TODAY = date(2024, 9, 1)


pytestmark = pytest.mark.usefixtures("cache_dir")  # each test its own cache folder (conftest)


def figures(result) -> dict[str, tuple]:
    return {k.id: (k.value, k.numerator, k.denominator, k.status) for k in result.kpis}


def fresh(data: Path, **kwargs) -> dict[str, tuple]:
    return figures(api.compute(data, month="2024-05", today=TODAY, cache=False, **kwargs))


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace text by text of the same length, and put the old modification time back."""
    assert len(old.encode()) == len(new.encode())
    stat = path.stat()
    raw = path.read_bytes()
    assert old.encode() in raw
    path.write_bytes(raw.replace(old.encode(), new.encode(), 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


# --------------------------------------------------------------------------- keys


def test_a_file_the_mapping_names_deep_in_the_folder_is_part_of_the_result_key(store_a_copy):
    deep = store_a_copy / "exports" / "2024" / "may"
    deep.mkdir(parents=True)
    (store_a_copy / "work_orders.csv").rename(deep / "wo.csv")
    (store_a_copy / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  work_orders:\n    file: exports/2024/may/wo.csv\n", encoding="utf-8"
    )
    first = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    path = deep / "wo.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")  # half the orders
    again = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    assert again != first
    assert again == fresh(store_a_copy)


def test_the_result_key_lists_files_at_any_depth(store_a_copy):
    deep = store_a_copy / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    (deep / "wo.csv").write_text("ro_number\nRO1\n", encoding="utf-8")

    def key() -> dict:
        stored = api._result_key(store_a_copy, api.parse_period("2024-05"), None, None, None, None, TODAY)
        assert stored is not None
        return stored[1]

    before = key()
    assert any(entry[0].endswith("wo.csv") for entry in before["files"])
    (deep / "wo.csv").write_text("ro_number\nRO2\nRO3\n", encoding="utf-8")
    assert key() != before


def test_a_same_size_edit_with_the_old_mtime_put_back_is_a_sheet_cache_miss(store_a_copy):
    defs = load_definitions()  # an object: the result cache is not used, the sheet cache is
    first = figures(api.compute(store_a_copy, month="2024-05", today=TODAY, definitions=defs))
    assert first["appointment_rate"][3] in ("met", "missed")
    # the header renamed: appointment rate has no data now
    same_size_edit(store_a_copy / "work_orders.csv", "appointment_id", "appointment_xx")
    again = figures(api.compute(store_a_copy, month="2024-05", today=TODAY, definitions=defs))
    assert again["appointment_rate"][3] == "no_data"
    assert again == fresh(store_a_copy, definitions=defs)


def test_the_sheet_key_holds_change_time_and_inode(tmp_path):
    path = tmp_path / "work_orders.csv"
    path.write_text("ro_number\nRO1\n", encoding="utf-8")
    cache = SheetCache(tmp_path / "cache")
    before = cache.key(path)
    same_size_edit(path, "RO1", "RO2")
    after = cache.key(path)
    assert before is not None and after is not None and before != after
    assert {"ctime_ns", "inode"} <= set(after)
    assert cache._paths(before) == cache._paths(after)  # one slot per file: replaced, not piled up


# --------------------------------------------------------------------------- sheet entries


def _sheet():
    data = typed_sheet(
        "work_orders",
        [
            {"ro_number": "RO1", "labor_hours_sold": 1.5, "opened_at": "2024-05-01 10:00"},
            {"ro_number": "RO2", "labor_hours_sold": 2.0, "opened_at": "2024-05-02 10:00"},
            {"ro_number": "RO3", "labor_hours_sold": 0.5, "opened_at": "2024-05-03 10:00"},
        ],
    )
    data.frame["note"] = pd.Series(["first", "second", "third"], dtype=object)
    return data


@pytest.fixture
def entry(tmp_path: Path) -> tuple[SheetCache, dict, Path, Path]:
    source = tmp_path / "data" / "work_orders.csv"
    source.parent.mkdir()
    source.write_text("ro_number\nRO1\n", encoding="utf-8")
    cache = SheetCache(tmp_path / "cache")
    key = cache.key(source)
    assert cache.put(key, _sheet(), [])
    assert cache.get(key) is not None
    table, meta = cache._paths(key)
    return cache, key, table, meta


def _flip(path: Path, position: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[position] ^= 0x10
    path.write_bytes(bytes(raw))


def test_one_flipped_bit_in_a_cached_number_is_a_miss(entry):
    cache, key, table, _ = entry
    raw = table.read_bytes()
    position = raw.find(np.float64(1.5).tobytes())  # labor_hours_sold of RO1, as stored
    assert position > 0
    _flip(table, position + 7)  # an exponent bit: 1.5 becomes a huge number
    assert cache.get(key) is None
    assert not table.exists()  # dropped: not checked again next time


def test_one_flipped_bit_in_a_sidecar_is_a_miss(entry):
    cache, key, _, meta = entry
    text = meta.read_bytes()
    _flip(meta, text.index(b'"rows"') + 2)
    assert cache.get(key) is None


def test_a_sidecar_edited_by_hand_is_a_miss(entry):
    cache, key, _, meta = entry
    body = json.loads(unseal(meta.read_bytes()))
    body["rows"] = 2
    meta.write_text(json.dumps(body), encoding="utf-8")  # no checksum line at all
    assert cache.get(key) is None


def test_the_numbers_after_a_damaged_sheet_entry_are_a_fresh_reads(store_a_copy, cache_dir):
    defs = load_definitions()
    first = figures(api.compute(store_a_copy, month="2024-05", today=TODAY, definitions=defs))
    for table in cache_dir.glob("sheet-*.arrow"):
        _flip(table, table.stat().st_size // 2)
    again = figures(api.compute(store_a_copy, month="2024-05", today=TODAY, definitions=defs))
    assert again == first


_READ_BACK = """
import json, sys
from pathlib import Path
from sdkpi.speed.sheet_cache import SheetCache
cache = SheetCache(Path(sys.argv[1]))
got = cache.get(json.loads(Path(sys.argv[2]).read_text()))
if got is not None:  # read every string, as a computation would
    print(sum(len(str(v)) for v in got[0].frame["note"]))
print("hit" if got is not None else "miss")
"""


def test_corrupt_string_offsets_with_a_matching_checksum_are_a_miss_not_a_crash(entry, tmp_path):
    """Arrow's full validation runs before any value is read, even when the checksum was
    made to match (a forged entry): a crash (SIGSEGV) would take every later run with it."""
    cache, key, table, meta = entry
    raw = bytearray(table.read_bytes())
    buffer = pa.py_buffer(bytes(raw))
    stored = pa.ipc.open_file(buffer).read_all()
    names = [c[0] for c in json.loads(unseal(meta.read_bytes()))["columns"]]
    column = stored.column(f"c{names.index('note')}").chunk(0)
    offsets = column.buffers()[1]
    start = offsets.address - buffer.address
    assert raw[start : start + offsets.size] == offsets.to_pybytes()
    raw[start + 4 : start + 8] = (1 << 30).to_bytes(4, "little")  # the first string ends 1 GiB on
    table.write_bytes(bytes(raw))
    body = json.loads(unseal(meta.read_bytes()))
    body["table"] = checksum(bytes(raw))
    meta.write_bytes(seal(json.dumps(body).encode()))
    keyfile = tmp_path / "key.json"
    keyfile.write_text(json.dumps(key), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _READ_BACK, str(cache.directory), str(keyfile)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.strip() == "miss"


# --------------------------------------------------------------------------- result entries


def _result_entry(cache_dir: Path) -> Path:
    (entry,) = cache_dir.glob("result-*.json")
    return entry


def test_a_result_entry_edited_by_hand_is_a_miss(store_a_copy, cache_dir):
    first = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    path = _result_entry(cache_dir)
    head, body = path.read_bytes().split(b"\n", 1)
    stored = json.loads(body)
    efficiency = next(k for k in stored["result"]["kpis"] if k["id"] == "efficiency")
    efficiency["value"] = 1.03e20
    efficiency["status"] = "met"
    path.write_bytes(head + b"\n" + json.dumps(stored).encode())  # the old checksum kept
    again = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    assert again == first


@pytest.mark.parametrize("change", ["status", "not finite"])
def test_a_resealed_result_entry_whose_numbers_the_engine_would_not_give_is_a_miss(
    store_a_copy, cache_dir, change
):
    first = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    path = _result_entry(cache_dir)
    stored = json.loads(unseal(path.read_bytes()))
    kpi = next(k for k in stored["result"]["kpis"] if k["status"] == "missed")
    if change == "status":
        kpi["status"] = "met"  # its value still misses its target
    else:
        kpi["numerator"] = float("inf")
    path.write_bytes(seal(json.dumps(stored).encode()))
    again = figures(api.compute(store_a_copy, month="2024-05", today=TODAY))
    assert again == first


def test_seal_and_unseal():
    assert unseal(seal(b"body\nwith lines")) == b"body\nwith lines"
    with pytest.raises(ValueError):
        unseal(seal(b"body")[:-1] + b"x")
    with pytest.raises(ValueError):
        unseal(b"{}")
