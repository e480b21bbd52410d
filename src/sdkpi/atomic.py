"""Atomic file writes: a report is either the old file or the whole new one.

The new content goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target (an atomic step on POSIX and Windows).
If anything fails or the process is killed before the rename, the old file is
untouched; the temporary file is removed on any exception.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(target: str | Path, writer: Callable[[IO[bytes]], None]) -> None:
    """Call `writer` with a binary file object; the result replaces `target` atomically."""
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        writer(handle)


def write_text_atomic(target: str | Path, text: str) -> None:
    write_atomic(target, lambda handle: handle.write(text.encode("utf-8")))
