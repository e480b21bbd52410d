"""The early start of reading (`typed_read.start` / `take`): used only when it read the file
exactly as the typed lane would, never changing what a run computes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sdkpi import api
from sdkpi.contract import SHEETS
from sdkpi.loaders import sheets
from sdkpi.loaders.names import expected_headers
from sdkpi.render.json_out import to_json
from sdkpi.speed import typed_read
from sdkpi.speed.fast_lane import SpeedLane
from sdkpi.speed.sheet_cache import SheetCache

CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "store-a"
#: the speed lane without a sheet cache (`load_sheet` without a lane reads by the general path)
FAST = SpeedLane()


@pytest.fixture
def store(store_a_copy: Path) -> Path:
    return store_a_copy


@pytest.fixture(autouse=True)
def _nothing_left_over():
    typed_read.discard()
    yield
    typed_read.discard()


def _same(result: object) -> dict:
    """A result as JSON, without the time it was made."""
    payload = json.loads(to_json(result))  # type: ignore[arg-type]
    payload.pop("generated_at")
    return payload


def _spec(path: Path, sheet: str) -> list:
    header = typed_read.header(path)
    assert header is not None
    spec = typed_read.columns(header[0], expected_headers(SHEETS[sheet]), {}, SHEETS[sheet])
    assert spec is not None
    return spec


def _biggest(folder: Path, count: int) -> list[Path]:
    return sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_size, reverse=True)[:count]


def test_the_biggest_files_are_read_as_the_lane_reads_them(store: Path) -> None:
    typed_read.start(store)
    first, second, third = _biggest(store, 3)
    for path in (first, second):
        spec = _spec(path, path.stem)
        early = typed_read.take(path, spec)
        assert early is not None
        outcome = early.result()
        assert outcome is not None
        quoted, table = outcome
        assert quoted is False and not typed_read.has_quote(path)
        assert table.equals(typed_read.read(path, spec, quoted))
        assert typed_read.take(path, spec) is None  # taken once
    assert typed_read.take(third, _spec(third, third.stem)) is None  # only the two biggest


def test_a_file_changed_since_is_not_taken(store: Path) -> None:
    typed_read.start(store)
    (path,) = _biggest(store, 1)
    spec = _spec(path, path.stem)
    stat = path.stat()  # touched: same bytes, a new modification time
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert typed_read.take(path, spec) is None


def test_another_reading_of_the_file_is_not_taken(store: Path) -> None:
    typed_read.start(store)
    (path,) = _biggest(store, 1)
    spec = _spec(path, path.stem)
    assert typed_read.take(path, [*spec[:-1], "something else"]) is None


def test_files_the_sheet_cache_holds_are_not_read(store: Path) -> None:
    held = set(_biggest(store, 1))
    typed_read.start(store, cached=lambda path: path in held)
    (first, second) = _biggest(store, 2)
    assert typed_read.take(first, _spec(first, first.stem)) is None
    assert typed_read.take(second, _spec(second, second.stem)) is not None


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Data "too big" to be read whole: block by block, 512-byte blocks, 4 KB read ahead."""
    monkeypatch.setattr(typed_read, "BLOCKS_ABOVE_BYTES", 1000)
    monkeypatch.setattr(typed_read, "BLOCKS_FILE_BYTES", 0)
    monkeypatch.setattr(typed_read, "BLOCK_SIZE", 512)
    monkeypatch.setattr(typed_read, "EARLY_BLOCKS_BYTES", 4096)


@pytest.mark.usefixtures("small_blocks")
def test_data_read_block_by_block_is_read_ahead_then_handed_over(store: Path) -> None:
    typed_read.start(store)
    (path,) = _biggest(store, 1)
    spec = _spec(path, path.stem)
    early = typed_read._early[typed_read._where(path)]
    streamed = early.parsed.result()  # it stops by itself after EARLY_BLOCKS_BYTES
    assert isinstance(streamed, typed_read.Streamed) and streamed.batches and streamed.reader is not None
    ahead = sum(batch.num_rows for batch in streamed.batches)
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    assert 0 < ahead < rows

    wanted = {"ro_number", "opened_at", "customer_type", "comeback_of"}
    source = sheets.readers.SheetSource(path.stem, path)
    taken, whole = sheets.load_sheet(source, sheets.SheetOptions(), wanted, blocks=True, lane=FAST)
    assert typed_read.take(path, spec) is None  # the lane took it
    alone, alone_issues = sheets.load_sheet(source, sheets.SheetOptions(), wanted, blocks=True, lane=FAST)
    pd.testing.assert_frame_equal(taken.frame, alone.frame)
    assert len(taken.frame) == rows and whole == alone_issues


@pytest.mark.usefixtures("small_blocks")
def test_compute_block_by_block_gives_the_same_result_with_and_without_the_early_start(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    with_early = api.compute(store, month="2024-05")
    monkeypatch.setattr(typed_read, "start", lambda *a, **k: None)
    without = api.compute(store, month="2024-05")
    assert _same(with_early) == _same(without)


def test_nothing_is_read_early_for_the_biggest_data(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typed_read, "EARLY_UP_TO_BYTES", 1000)
    typed_read.start(store)
    assert not typed_read._early


def test_a_folder_of_store_folders_or_a_missing_folder_starts_nothing(tmp_path: Path) -> None:
    shutil.copytree(CONFORMANCE, tmp_path / "group" / "store-a")
    typed_read.start(tmp_path / "group")
    typed_read.start(tmp_path / "nowhere")  # never raises: the loaders say what is wrong
    assert not typed_read._early


def test_a_file_pyarrow_refuses_is_left_to_the_general_path(store: Path) -> None:
    (path,) = _biggest(store, 1)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[:3], lines[3] + ",extra", *lines[4:]]) + "\n", encoding="utf-8")
    typed_read.start(store)
    early = typed_read.take(path, _spec(path, path.stem))
    assert early is not None and early.result() == (False, None)  # ragged row: no table
    # the general path reads it and says what is wrong
    _, issues = sheets.load_sheet(sheets.readers.SheetSource(path.stem, path), sheets.SheetOptions(), None)
    assert [(i.code, i.row) for i in issues if i.severity == "error"] == [("ragged_row", 4)]


def test_a_file_holding_a_quote_is_left_to_the_lane(store: Path) -> None:
    """Read early as if unquoted; a quote found afterwards means the lane reads it itself,
    allowing line breaks inside quoted cells."""
    (path,) = _biggest(store, 1)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[2] = '"C0001"'
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    typed_read.start(store)
    spec = _spec(path, path.stem)
    early = typed_read.take(path, spec)
    assert early is not None and early.result() is None
    typed_read.start(store)
    source = sheets.readers.SheetSource(path.stem, path)
    loaded = sheets.load_sheet(source, sheets.SheetOptions(), lane=FAST)
    typed_read.discard()
    assert loaded[0].frame.equals(sheets.load_sheet(source, sheets.SheetOptions(), lane=FAST)[0].frame)
    assert loaded[0].frame["customer_id"].iloc[0] == "C0001"


def test_compute_gives_the_same_result_with_and_without_the_early_start(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[Path] = []
    real_take = typed_read.take

    def spy(path: Path, spec: list) -> typed_read.Early | None:
        early = real_take(path, spec)
        if early is not None:
            taken.append(path)
        return early

    monkeypatch.setattr(typed_read, "take", spy)
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    with_early = api.compute(store, month="2024-05", today=None)
    assert len(taken) == 2  # both early reads were used

    monkeypatch.setattr(typed_read, "start", lambda *a, **k: None)
    without = api.compute(store, month="2024-05", today=None)
    assert _same(with_early) == _same(without)
    assert not typed_read._early  # nothing left behind


def test_no_early_read_with_a_mapping_file_or_a_cached_sheet(store: Path, tmp_path: Path) -> None:
    (store / "sdkpi-mapping.yaml").write_text("work_orders:\n  columns: {}\n", encoding="utf-8")
    started: list[Path] = []
    real = typed_read.start
    try:
        typed_read.start = lambda folder, **k: started.append(folder)  # type: ignore[assignment]
        api._read_early(store, None, cache=False)
        assert started == []
    finally:
        typed_read.start = real
    (store / "sdkpi-mapping.yaml").unlink()
    cache = SheetCache(tmp_path / "cache")
    (path,) = _biggest(store, 1)
    key = cache.key(path)
    data, issues = sheets.load_sheet(sheets.readers.SheetSource(path.stem, path), sheets.SheetOptions())
    assert cache.put(key, data, issues)
    typed_read.start(store, cached=cache.holds)
    assert typed_read.take(path, _spec(path, path.stem)) is None


def test_the_early_start_is_light_to_import() -> None:
    """It runs before pandas is imported: importing it must not import pandas."""
    code = (
        "import sys, sdkpi.speed.typed_read; "
        "print(sorted({'pandas', 'pyarrow', 'pydantic'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
