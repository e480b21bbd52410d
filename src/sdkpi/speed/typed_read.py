"""The typed lane's reading, light to import, and its early start.

`typed_csv` decides whether pyarrow's typed read of a CSV gives exactly what the
general path gives; this module holds what that read is (the header it accepts,
the column types, pyarrow's options) with nothing heavier than pyarrow and the
contract, so that reading can begin before pandas is imported.

The early start: a cold run spends its first few tenths of a second importing
pandas and pydantic and reading the KPI definitions, on one core. `start` spends
them reading: right after the result cache misses, the biggest CSV files of the
data folder are parsed by pyarrow (C++, without the GIL) on the other core. The
typed lane then `take`s a table instead of reading its file, only when it was
read exactly as the lane reads it: the same file (path, size, modification time)
and the same columns, types and quoting. A file whose sheet the sheet cache holds
is not read early; what nobody takes is dropped (`discard`).
"""

from __future__ import annotations

import codecs
import csv
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import SHEETS, STORE, Column, Sheet
from ..errors import InputError
from ..loaders.header_map import map_headers
from ..loaders.names import (
    FALSE_SPELLINGS,
    TRUE_SPELLINGS,
    expected_headers,
    normalize_header,
    sheet_for_name,
    stem,
    suffix,
)
from ..loaders.paths import open_data
from .pools import EARLY, lean_memory_pool

#: pyarrow's block: the unit of its parallel parsing, and of `typed_csv._read_in_blocks`.
BLOCK_SIZE = 1 << 22
#: Files adding up to more than this: a computation reads each CSV block by block (see
#: `sheets.load_dataset`), so that the whole file never sits in memory as Arrow.
#: 1 GiB of CSV is ~2M work orders with the other sheets in proportion.
BLOCKS_ABOVE_BYTES = 1 << 30
#: ...and of those, only the files over this size: a smaller one is read whole (~10%
#: faster; its Arrow table is gone once its frame is built). 3M work orders: 7% faster,
#: +0.1 GiB at the peak (1.36 GiB).
BLOCKS_FILE_BYTES = 256 << 20
_HEAD = 1 << 16
_OTHER_DELIMITERS = ("\t", ";", "|")


def header(path: Path) -> tuple[list[str], str] | None:
    """The first line's cells and the encoding label, when it is a plain one-line UTF-8 header."""
    with open_data(path) as fh:
        head = fh.read(_HEAD)
    encoding = "utf-8"
    if head.startswith(codecs.BOM_UTF8):
        head, encoding = head[3:], "utf-8-sig"
    end = head.find(b"\n")
    if end < 0:
        return None
    line = head[:end].rstrip(b"\r")
    if b"\r" in line or b'"' in line:
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(d in text for d in _OTHER_DELIMITERS) or "," not in text:
        return None
    cells = next(csv.reader([text]))
    if any(not c.strip() or c != c.strip() for c in cells):
        return None  # a blank or padded header cell: the general path has things to say
    return cells, encoding


def columns(
    cells: list[str], known: dict[str, str], mapped: dict[str, str], sheet: Sheet
) -> list[Column | str] | None:
    """Per file column: its contract column, or its own name for an extra column. None when
    the map step's rule (`header_map.map_headers`) has something to report (two columns of
    one meaning, a column of another sheet), an extra column shares a name with another
    column, or a required column is missing: the general path says so."""
    try:
        positions = map_headers(cells, known, mapped, sheet, "")
    except InputError:
        return None
    out: list[Column | str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells):
        norm = normalize_header(cell)
        canonical = positions.get(position)
        name = canonical or cell
        if name in seen or norm in seen:
            return None  # an extra column named as another: the general path decides
        seen.update((name, norm))
        column = STORE if canonical == "store" else sheet.column(canonical) if canonical else None
        out.append(column if column is not None else name)
    names = {c.name for c in out if isinstance(c, Column)}
    if any(c.required and c.name not in names for c in sheet.columns):
        return None
    return out


def has_quote(path: Path) -> bool:
    """Does the file hold a double quote anywhere?"""
    return holds(path, b'"')


def holds(path: Path, needle: bytes) -> bool:
    """Does the file hold `needle` anywhere? Read in 16 MiB pieces into one buffer (a
    memory map would fault in every page of a file of hundreds of MB: slower than copying).
    Each piece takes the GIL once, briefly: the early start scans while the main thread
    imports, and smaller pieces made each wait for it. Pieces overlap by len(needle) - 1."""
    size = 1 << 24
    buffer = bytearray(size + len(needle) - 1)
    keep = 0
    with open_data(path, buffering=0) as fh:
        while True:
            count = fh.readinto(memoryview(buffer)[keep : keep + size])
            if not count:
                return False
            end = keep + count
            if buffer.find(needle, 0, end) >= 0:
                return True
            keep = min(len(needle) - 1, end)
            buffer[:keep] = buffer[end - keep : end]


def csv_options(columns: list[Column | str], quoted: bool, *, threads: bool = False) -> dict[str, Any]:
    """pyarrow's options for the lane's read: every column typed as the contract says.

    threads: parse the file's blocks on Arrow's thread pool. Off for a whole-file read:
    sdkpi reads two files at a time, one thread each, which keeps both cores busy with
    less switching and memory than two reads sharing the pool (~4% faster at 1M).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {"datetime": pa.timestamp("ns"), "date": pa.date32(), "number": pa.float64(), "bool": pa.bool_()}
    names = [f"c{i}" for i in range(len(columns))]
    return {
        "read_options": pacsv.ReadOptions(
            use_threads=threads,
            block_size=BLOCK_SIZE,
            skip_rows=1,
            column_names=names,
            autogenerate_column_names=False,
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=",",
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=quoted,  # without a quote in the file no cell can hold a line break
            ignore_empty_lines=False,
        ),
        "convert_options": pacsv.ConvertOptions(
            # text as large_string, what pandas' Arrow strings hold: no cast later
            column_types={
                n: pa.large_string() if isinstance(c, str) else types.get(c.type, pa.large_string())
                for n, c in zip(names, columns, strict=True)
            },
            null_values=[""],
            true_values=list(TRUE_SPELLINGS),
            false_values=list(FALSE_SPELLINGS),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=True,
        ),
    }


def arrow_source(path: Path | str) -> Any:
    """What pyarrow is given to open this file: the path, or for a name that is not valid
    UTF-8 (Linux names are bytes; pyarrow cannot encode such a str) the file opened by its bytes."""
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        import pyarrow as pa

        return pa.OSFile(os.fsencode(name))
    return path


def read(path: Path, columns: list[Column | str], quoted: bool) -> Any:
    """The whole file as one typed table; raises what pyarrow raises for a file it will not type."""
    import pyarrow.csv as pacsv

    source = arrow_source(path)
    try:
        return pacsv.read_csv(source, **csv_options(columns, quoted))
    finally:
        if source is not path:
            source.close()


def refused() -> tuple[type[BaseException], ...]:
    """What pyarrow raises for a file the lane does not read (a ragged row, an untyped value)."""
    import pyarrow as pa

    return (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError)


def by_blocks(total: int, size: int) -> bool:
    """Is a file of `size` bytes, among data files of `total` bytes, read block by block?"""
    return total > BLOCKS_ABOVE_BYTES and size > BLOCKS_FILE_BYTES


def decay_for(total: int) -> int:
    """How long freed memory is kept for reuse, for data files adding up to `total` bytes.

    Pages kept are reused instead of faulted in again (page faults were a third of a cold
    run's CPU on the benchmark's 2-core VM), at the cost of a higher peak. Measured: a second
    (jemalloc's default) while files are read whole, up to 1 GiB (~2M work orders: ~10%
    faster than 100 ms, peak 1.28 GiB); 300 ms up to 1.6 GB, read block by block (~4% faster
    at 3M than 30 ms, same peak); 30 ms up to 2 GiB; none above, where memory is short.
    (Applied by `pools.lean_memory_pool`.)
    """
    if total <= BLOCKS_ABOVE_BYTES:
        return 1000
    if total <= 1600 << 20:
        return 300
    return 30 if total <= 2 << 30 else 0


# --------------------------------------------------------------------------- early start


#: Data read block by block: how much the early start reads ahead before the lane takes over.
EARLY_BLOCKS_BYTES = 256 << 20
#: Above this much data nothing is read early: the blocks read ahead add to the peak memory
#: of a run that has no room left (2 GiB of CSV is ~4M work orders).
EARLY_UP_TO_BYTES = 2 << 30


@dataclass
class Streamed:
    """The first blocks of a file read block by block, and the reader to go on with."""

    batches: list[Any]
    reader: Any | None  # None: the file was read to its end
    refused: bool = False  # pyarrow refused a block: the general path reads the file


@dataclass
class Early:
    """A read begun by `start`: the file parsed as if no cell were quoted, and scanned for a
    quote (two tasks, so that the scan of one file runs beside the parse of another).

    For data read block by block, the parse reads blocks ahead (up to EARLY_BLOCKS_BYTES)
    and stops where it is when the lane takes the file, handing over the reader.
    """

    stamp: tuple[int, int]  # the file's size and modification time when the read began
    columns: list[Column | str]
    parsed: Future[Any]  # the table (None when pyarrow refused the file), or a Streamed
    quoted: Future[bool] | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def result(self) -> tuple[bool, Any] | None:
        """Once done: (False, the table, None or a Streamed); None when the file holds a
        quote, and the lane must read it itself, allowing line breaks in quoted cells."""
        self.stop.set()
        if self.quoted is None or self.quoted.result():
            return None
        return False, self.parsed.result()


_lock = threading.Lock()
_early: dict[str, Early] = {}


def start(folder: Path, *, cached: Callable[[Path], bool] = lambda path: False, files: int = 2) -> None:
    """Begin the typed read of the `files` biggest CSV files of a store's folder.

    Nothing is read for a folder that is not one store's (a group's store folders, a
    workbook), nor for a file that `cached` says the sheet cache holds, nor for data over
    EARLY_UP_TO_BYTES. A file the lane reads block by block (`by_blocks`) is read ahead up
    to EARLY_BLOCKS_BYTES.
    Never raises: a file it cannot look at is left to the loaders, which say what is wrong
    with it.
    """
    try:
        found: dict[str, list[os.DirEntry[str]]] = {}
        total = 0
        with os.scandir(folder) as entries:
            for entry in entries:
                # regular files only, not links: the loaders decide whether a link may be read
                if entry.name.startswith((".", "~$")) or not entry.is_file(follow_symlinks=False):
                    continue
                sheet = sheet_for_name(stem(Path(entry.name)))
                if sheet is None:
                    continue
                total += entry.stat().st_size
                found.setdefault(sheet, []).append(entry)
        if total > EARLY_UP_TO_BYTES:
            return
        candidates = [
            (sheet, Path(only[0].path), only[0].stat())
            for sheet, only in found.items()
            if len(only) == 1 and suffix(Path(only[0].name)) == ".csv"
        ]
        candidates.sort(key=lambda c: c[2].st_size, reverse=True)
        begun = [
            (path, _begin(sheet, path, stat, total))
            for sheet, path, stat in candidates[:files]
            if not cached(path)
        ]
        # the parses first, then the scans: the pool's second thread scans the biggest file
        # once it has parsed the second one, before the first parse ends
        for path, early in begun:
            if early is not None:
                early.quoted = EARLY.submit(has_quote, path)
    except OSError:
        return


def _begin(sheet: str, path: Path, stat: os.stat_result, total: int) -> Early | None:
    cells = header(path)
    if cells is None:
        return None
    spec = columns(cells[0], expected_headers(SHEETS[sheet]), {}, SHEETS[sheet])
    if spec is None:
        return None

    def parse() -> Any:
        lean_memory_pool(decay_for(total))
        try:
            return read(path, spec, quoted=False)
        except refused():
            return None

    stop = threading.Event()  # set when the lane takes the file (or nobody will)

    def stream() -> Streamed:
        lean_memory_pool(decay_for(total))
        import pyarrow.csv as pacsv

        batches: list[Any] = []
        size = 0
        try:
            reader = pacsv.open_csv(arrow_source(path), **csv_options(spec, quoted=False))
            while not stop.is_set() and size < EARLY_BLOCKS_BYTES:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return Streamed(batches, None)
                batches.append(batch)
                size += batch.nbytes
        except refused():
            return Streamed([], None, refused=True)
        return Streamed(batches, reader)

    task = stream if by_blocks(total, stat.st_size) else parse
    early = Early((stat.st_size, stat.st_mtime_ns), spec, EARLY.submit(task), stop=stop)
    with _lock:
        _early[_where(path)] = early
    return early


def take(path: Path, spec: list[Column | str]) -> Early | None:
    """The early read of this file, when it was read as `spec` says and the file is unchanged."""
    if not _early:
        return None
    with _lock:
        early = _early.pop(_where(path), None)
    if early is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if early.stamp != (stat.st_size, stat.st_mtime_ns) or early.columns != spec:
        return None
    return early


def discard() -> None:
    """Drop every early read nobody took (a table is freed once its read ends)."""
    with _lock:
        left = list(_early.values())
        _early.clear()
    for early in left:
        early.stop.set()  # a read ahead block by block ends at its next block
        early.parsed.cancel()
        if early.quoted is not None:
            early.quoted.cancel()


def _where(path: Path) -> str:
    return os.path.abspath(path)
