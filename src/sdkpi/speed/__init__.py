"""The speed lane: the fast path of reading, kept apart from the reference path (`sdkpi.loaders`).

What it holds: a clean CSV read straight into typed columns by pyarrow (`typed_csv`), the
early start of that read while sdkpi imports (`typed_read`), the parsed-sheet cache
(`sheet_cache`, `sheet_format`), the result cache (`result_cache`), and what it tunes in
the process and the thread pools it owns (`pools`). It never holds a second meaning: parse
rules, header aliases and total markers come from the loaders' reference modules, and
whatever it is not sure of it leaves to the reference path.

One door: the API builds a lane (`lane`) and hands it to `loaders.sheets.load_dataset`
(which knows it only as `loaders.lane.Lane`), and otherwise uses the functions below.
Light to import: nothing here imports pandas (a re-run answered from the result cache
never needs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .locations import cache_dir, cache_disabled
from .pools import tune_process

if TYPE_CHECKING:
    from ..results import ComputeResult
    from .fast_lane import SpeedLane

__all__ = [
    "cache_dir",
    "cache_disabled",
    "keep_result",
    "lane",
    "read_early",
    "recall_result",
    "result_key",
    "settle",
    "tune_process",
    "wait_for_writes",
]


def wait_for_writes() -> None:
    """Wait until the sheet cache's entries handed to background writers are written."""
    from . import sheet_cache

    sheet_cache.wait_for_writes()


def lane(*, cache: bool = True, write_behind: bool = False) -> SpeedLane:
    """The lane `load_dataset` asks. cache: answer from (and fill) the user's sheet cache,
    unless SDKPI_NO_CACHE says no; write_behind: new entries are written on a background
    thread (`wait_for_writes` or `settle` waits for them)."""
    from .fast_lane import SpeedLane
    from .sheet_cache import SheetCache

    return SpeedLane(SheetCache.default(background=write_behind) if cache else None)


def read_early(folder: Path, *, cache: bool) -> None:
    """Begin reading the biggest CSV files of a store's folder (`typed_read.start`), except a
    file whose sheet the sheet cache holds (cache: the cache is in use)."""
    from . import typed_read
    from .sheet_cache import SheetCache

    sheet_cache = SheetCache.default() if cache else None
    typed_read.start(folder, cached=sheet_cache.holds if sheet_cache else lambda path: False)


def settle() -> None:
    """After a computation: drop what the early start read and nobody took, and wait until
    the sheet cache's entries are written."""
    from . import typed_read

    typed_read.discard()
    wait_for_writes()


def result_key(folder: Path, **question: Any) -> tuple[Path, dict[str, object]] | None:
    """Where and under which key the result cache keeps this question (`result_cache.key`);
    None: the caches are off, or the folder is not cached."""
    if cache_disabled():
        return None
    from . import result_cache

    key = result_cache.key(folder, **question)
    return None if key is None else (cache_dir(), key)


def recall_result(directory: Path, key: dict[str, object]) -> ComputeResult | None:
    """The result stored for this key, when it is there and trusted."""
    from . import result_cache

    return result_cache.get(directory, key)


def keep_result(directory: Path, key: dict[str, object], result: ComputeResult) -> None:
    """Store a result under its key."""
    from . import result_cache

    result_cache.put(directory, key, result)
