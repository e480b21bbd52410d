"""A cache of parsed sheets, so a re-run on unchanged files skips reading and parsing.

A manager's what-if loop (edit the definitions, run again) reads the same exports
over and over; parsing them is most of a run. Each parsed sheet is stored once,
keyed on the file's real path, size, modification and change time (ns) and inode
(a same-size edit with the old modification time put back still changes the change
time; an editor saving by rename changes the inode), the worksheet, the mapping
options, the columns asked for, the sdkpi version and a fingerprint of its loader
code: change any of them and the entry is simply not found. A file has one slot per way of reading it,
so a new export of the same file replaces the old entry instead of piling up.

Where: ``$SDKPI_CACHE_DIR``, else ``$XDG_CACHE_HOME/sdkpi``, else ``~/.cache/sdkpi``;
never inside the data folder. Safe to delete at any time. Off with
``SDKPI_NO_CACHE=1`` (or ``--no-cache`` on the command line).

Format: an Arrow IPC file (typed columns, row numbers, bad-cell masks) plus a JSON
sidecar (sheet details and data issues), each renamed into place, carrying the same
random token so that a table and a sidecar of two different writes are never paired.
No pickle: a cache file is data that is checked on the way in, in this order:

1. the sidecar's checksum (XXH3-128 of its bytes, `seal`): an edited or damaged sidecar
   is a miss;
2. its key (the file as it is now, the options, the code) and format;
3. the table's checksum (XXH3-128 of the Arrow file's bytes, kept in the sidecar), over
   the mapped bytes, before Arrow parses anything: one flipped bit is a miss;
4. Arrow's full validation of the table (offsets, lengths, UTF-8), before any value is
   read: a table that would make a reader crash is a miss, never a crash;
5. the token, row count, column types, category codes and booleans against the sidecar.

Anything unexpected is a miss (the entry is deleted), and the sheet is read from its
file again. A checksum catches damage and hand edits, not a forger who can write the
cache folder (kept private to the user, mode 0700): that is the user's own account.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Collection
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..atomic import remove_stale_temps

if TYPE_CHECKING:
    from ..dataset import SheetData
    from ..loaders.options import SheetOptions
from ..issues import DataIssue
from .locations import cache_dir, cache_disabled
from .pools import WRITER
from .sheet_format import FORMAT, checksum, read_table, restore, to_arrow, write_table


@functools.cache
def code_fingerprint() -> str:
    """Size and mtime of the modules that turn a file into a sheet.

    An entry is only as good as the code that parsed it: a fix in a reader must not
    be hidden behind entries written by the previous code, even without a version bump
    (editable installs, local patches). Stat calls only: cheap.
    """
    root = Path(__file__).parents[1]
    return files_fingerprint(
        root, [*sorted(root.glob("speed/*.py")), root / "contract.py", *sorted(root.glob("loaders/*.py"))]
    )


def files_fingerprint(root: Path, files: list[Path]) -> str:
    """A short digest of these files' paths (under `root`), sizes and modification times."""
    parts = []
    for file in files:
        with contextlib.suppress(OSError):
            stat = file.stat()
            parts.append(f"{file.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


# checked in the sidecar, not in the name: a new version of a file takes its old slot
_VERSION_FIELDS = ("size", "mtime_ns", "ctime_ns", "inode", "sdkpi", "code", "format")
_SEAL = b"sdkpi-xxh3-128 "


def seal(body: bytes) -> bytes:
    """A cache file's bytes: a first line with the checksum of the body, then the body."""
    return _SEAL + checksum(body).encode() + b"\n" + body


def unseal(data: bytes) -> bytes:
    """The body of a `seal`ed file; ValueError when it does not match its checksum."""
    head, newline, body = data.partition(b"\n")
    if (
        not newline
        or not head.startswith(_SEAL)
        or head[len(_SEAL) :].decode("ascii", "replace") != checksum(body)
    ):
        raise ValueError("cache entry does not match its checksum")
    return body


def clear(directory: Path | None = None) -> int:
    """Delete every cache entry; returns how many files were removed."""
    folder = directory or cache_dir()
    removed = 0
    for entry in [*folder.glob("sheet-*"), *folder.glob("result-*")]:
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    return removed


class SheetCache:
    """Parsed sheets on disk, looked up by what they were read from and how.

    background: `store` hands each entry to a writer thread and returns, so that the caller
    goes on (the engine computes) while the entries are written; `wait_for_writes` waits
    for them (`api.compute` does, once it has its result).
    """

    def __init__(self, directory: Path | None = None, *, background: bool = False) -> None:
        self.directory = directory or cache_dir()
        self.background = background

    @classmethod
    def default(cls, *, background: bool = False) -> SheetCache | None:
        """The user's cache, or None when it is switched off."""
        return None if cache_disabled() else cls(background=background)

    def store(self, key: dict[str, Any] | None, data: SheetData, issues: list[DataIssue]) -> None:
        """`put`, now or (background) on the writer thread."""
        if not self.background:
            self.put(key, data, issues)
            return
        # what the entry holds is taken now: a caller may go on to change the sheet (a dealer
        # group's loader fills in its store column) while the writer converts it
        data = dataclasses.replace(
            data,
            frame=data.frame.copy(deep=False),
            missing_columns=set(data.missing_columns),
            bad=dict(data.bad),
        )
        issues = list(issues)
        with _writes_lock:
            _writes.append(WRITER.submit(self.put, key, data, issues))

    def key(
        self,
        path: Path,
        *,
        worksheet: str | None = None,
        options: SheetOptions | None = None,
        columns: Collection[str] | None = None,
    ) -> dict[str, Any] | None:
        """What an entry is valid for; None when the file cannot be looked at."""
        try:
            resolved = path.resolve()
            stat = resolved.stat()
            str(resolved).encode("utf-8")  # a name not valid UTF-8 is not cached (only speed)
        except (OSError, UnicodeEncodeError):
            return None
        opts = dataclasses.asdict(options) if options is not None else None
        return {
            "format": FORMAT,
            "sdkpi": __version__,
            "code": code_fingerprint(),
            "path": str(resolved),
            **_stamp(stat),
            "worksheet": worksheet,
            "options": json.loads(json.dumps(opts, sort_keys=True, default=str)),
            "columns": sorted(columns) if columns is not None else None,
        }

    def _paths(self, key: dict[str, Any]) -> tuple[Path, Path]:
        """One slot per file and way of reading it: a new version of the file replaces the old
        entry, so the cache holds one entry per sheet file, not one per export ever read."""
        slot = {k: v for k, v in key.items() if k not in _VERSION_FIELDS}
        digest = hashlib.sha256(json.dumps(slot, sort_keys=True).encode()).hexdigest()[:40]
        return self.directory / f"sheet-{digest}.arrow", self.directory / f"sheet-{digest}.json"

    def holds(self, path: Path) -> bool:
        """Was this file, as it is now, stored by some way of reading it? A cheap hint (one
        small file per sheet file, `put` writes it) for the early start of reading
        (`speed.typed_read.start`), which leaves such a file to the cache; never a promise."""
        try:
            resolved = path.resolve()
            stat = resolved.stat()
            seen = self._seen_path(resolved).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return False
        return seen == _seen(_stamp(stat))

    def _seen_path(self, resolved: Path) -> Path:
        digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.directory / f"sheet-seen-{digest}"

    def get(self, key: dict[str, Any] | None) -> tuple[SheetData, list[DataIssue]] | None:
        """The cached sheet and its issues, or None (missing, stale or not trustworthy)."""
        if key is None:
            return None
        table_path, meta_path = self._paths(key)
        try:
            meta = json.loads(unseal(meta_path.read_bytes()).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("key") != key:
                return None  # another version of the file (or of sdkpi): its slot is rewritten
            return restore(meta, read_table(table_path, str(meta["table"])))
        except FileNotFoundError:
            return None
        except Exception:  # damaged, edited, torn or foreign (pyarrow's errors too): a miss
            _drop(table_path, meta_path)
            return None

    def put(self, key: dict[str, Any] | None, data: SheetData, issues: list[DataIssue]) -> bool:
        """Store a parsed sheet; False (and nothing stored) when it cannot be."""
        if key is None:
            return False
        table_path, meta_path = self._paths(key)
        try:
            table, meta = to_arrow(data, issues)
        except Exception:  # a column arrow cannot hold (mixed objects): just don't cache
            return False
        meta["key"] = key
        # the pair is written as two files: the same token in both shows they belong together
        meta["entry"] = secrets.token_hex(16)
        table = table.replace_schema_metadata({b"sdkpi-entry": meta["entry"].encode()})
        digest: list[str] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_file(table_path, lambda handle: digest.append(write_table(handle, table)))
            meta["table"] = digest[0]
            text = seal(json.dumps(meta, ensure_ascii=False).encode("utf-8"))
            replace_file(meta_path, lambda handle: handle.write(text))
            seen = _seen({field: key[field] for field in _STAMP_FIELDS}).encode()
            replace_file(self._seen_path(Path(key["path"])), lambda handle: handle.write(seen))
        except OSError:
            return False
        return True


_STAMP_FIELDS = ("size", "mtime_ns", "ctime_ns", "inode")


def _stamp(stat: os.stat_result) -> dict[str, int]:
    """What changes when a file is rewritten (as the result cache's `_stamp`)."""
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": stat.st_ino,
    }


def _seen(stamp: dict[str, Any]) -> str:
    return " ".join(str(stamp[field]) for field in _STAMP_FIELDS)


def _drop(*files: Path) -> None:
    """Delete an entry found untrustworthy, so that it is not checked again next time."""
    for file in files:
        with contextlib.suppress(OSError):
            file.unlink()


_writes_lock = threading.Lock()
_writes: list[Future[bool]] = []


def wait_for_writes() -> None:
    """Wait until every entry handed to a background `store` is written (or failed to be)."""
    with _writes_lock:
        pending = list(_writes)
        _writes.clear()
    for future in pending:
        future.result()


def replace_file(target: Path, writer: Callable[[IO[bytes]], object]) -> None:
    """Write beside `target`, then rename over it: readers see the old entry or the new one.

    Unlike `sdkpi.atomic`, no fsync: a cache entry lost or torn by a crash is only a
    miss (every entry is checked on the way in), and syncing hundreds of MB costs seconds.
    """
    remove_stale_temps(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
