"""What the loaders know of the speed lane: a small interface, handed in as a parameter.

`sheets.load_dataset(..., lane=None)` reads every sheet by the reference path (discover,
read, locate, map, parse, finish). Given a lane (`sdkpi.speed.lane()` builds the real
one; the loaders never import it), it asks the lane first and lets it keep what the
reference path read. The lane never holds a meaning of its own: it either gives exactly
the sheet and issues the reference path gives, or answers None ("not mine").
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from ..dataset import SheetData
from ..issues import DataIssue
from .options import SheetOptions
from .sheet_source import SheetSource

Loaded = tuple[SheetData, list[DataIssue]]


class Lane(Protocol):
    def begin(self, total_bytes: int) -> None:
        """Data files adding up to `total_bytes` are about to be read (memory tuning)."""

    def blocks(self, total_bytes: int, size: int) -> bool:
        """Is a file of `size` bytes, among data files of `total_bytes`, read block by block?"""

    def recall(
        self, source: SheetSource, opts: SheetOptions, wanted: Collection[str] | None
    ) -> tuple[Loaded | None, object]:
        """The sheet as an earlier run stored it (None: not stored, or not trusted), and the
        ticket `keep` stores a sheet read now under (taken before the file is read)."""

    def read(
        self, source: SheetSource, opts: SheetOptions, wanted: Collection[str] | None, *, blocks: bool
    ) -> Loaded | None:
        """The sheet read by the fast path, or None: the reference path reads it."""

    def keep(self, ticket: object, data: SheetData, issues: list[DataIssue]) -> None:
        """Store a sheet read now (by either path) under the ticket `recall` gave."""
