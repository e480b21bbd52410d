"""The speed lane behind one door: what `loaders.sheets.load_dataset` asks (`loaders.lane.Lane`).

A `SpeedLane` answers from the sheet cache (`sheet_cache`), else reads a clean CSV straight
into typed columns (`typed_csv`, taking what the early start read, `typed_read`), else
says "not mine" (None) and the reference path reads the file; it keeps what either path
read in the cache. It holds no meaning of its own: header aliases come from
`loaders.names`, value spellings from `loaders.values`, total markers from `loaders.locate`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..contract import SHEETS
from ..dataset import SheetData
from ..issues import DataIssue
from ..loaders.names import expected_headers
from ..loaders.options import SheetOptions
from ..loaders.sheet_source import SheetSource
from . import typed_csv, typed_read
from .pools import lean_memory_pool
from .sheet_cache import SheetCache


class SpeedLane:
    """The fast path of reading; `cache`: the sheet cache to answer from and fill (None: off)."""

    def __init__(self, cache: SheetCache | None = None) -> None:
        self.cache = cache

    def begin(self, total_bytes: int) -> None:
        lean_memory_pool(typed_read.decay_for(total_bytes))

    def blocks(self, total_bytes: int, size: int) -> bool:
        return typed_read.by_blocks(total_bytes, size)

    def recall(
        self, source: SheetSource, opts: SheetOptions, wanted: Collection[str] | None
    ) -> tuple[tuple[SheetData, list[DataIssue]] | None, Any]:
        if self.cache is None:
            return None, None
        key = self.cache.key(source.path, worksheet=source.worksheet, options=opts, columns=wanted)
        return self.cache.get(key), key

    def read(
        self, source: SheetSource, opts: SheetOptions, wanted: Collection[str] | None, *, blocks: bool
    ) -> tuple[SheetData, list[DataIssue]] | None:
        if not typed_csv.eligible(source, opts):
            return None
        sheet = SHEETS[source.sheet]
        known = expected_headers(sheet)
        mapped = opts.mapped_names
        return typed_csv.load(source, opts, known, mapped, wanted, blocks=blocks)

    def keep(self, ticket: Any, data: SheetData, issues: list[DataIssue]) -> None:
        if self.cache is not None:
            self.cache.store(ticket, data, issues)
