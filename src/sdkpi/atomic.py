"""Atomic file writes: a report is either the old file or the whole new one.

The new content goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target (an atomic step on POSIX and Windows).
If anything fails or the process is killed before the rename, the old file is
untouched; the temporary file is removed on any exception. A process killed
outright (SIGKILL, power loss) cannot clean up: its temporary file carries its
process id (`.report.xlsx.<pid>.<random>.tmp`) and the next write beside it
removes the leftovers of writers that are no longer running.

A target that cannot be replaced (on Windows: open in Excel) raises `FileInUse`: the
temporary file is removed and the old file stays as it was.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import NAME_ERRORS


class FileInUse(PermissionError):
    """The target could not be replaced: open in another program (Excel locks the workbooks it
    shows, on Windows) or read-only. The old file is intact; closing it and running again helps."""


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _final_mode(target))
        try:
            os.replace(tmp, target)
        except PermissionError as err:
            raise FileInUse(err.errno, err.strerror, str(target)) from err
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _final_mode(target: Path) -> int:
    """The replaced file's permissions, or what a plain open() would give (mkstemp makes 0600).

    A report lands in a shared folder: colleagues must be able to open it.
    """
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


STALE_AFTER_SECONDS = 24 * 3600  # where we cannot ask whether the writer still runs (Windows)


def remove_stale_temps(target: str | Path) -> list[Path]:
    """Delete temporary files of earlier writes to `target` whose process has died."""
    target = Path(target)
    removed = []
    prefix = f".{target.name}."
    for tmp in target.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid_text = tmp.name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or _writer_alive(int(pid_text), tmp):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _writer_alive(pid: int, tmp: Path) -> bool:
    if os.name != "posix":
        try:
            return time.time() - tmp.stat().st_mtime < STALE_AFTER_SECONDS
        except OSError:
            return True
    if pid == os.getpid():
        return True  # another thread of this process may be writing
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def write_atomic(target: str | Path, writer: Callable[[IO[bytes]], object]) -> None:
    """Call `writer` with a binary file object; the result replaces `target` atomically."""
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        writer(handle)


def write_text_atomic(target: str | Path, text: str) -> None:
    """UTF-8; a file name's undecodable byte (a lone surrogate, which UTF-8 cannot hold) is
    written as its escape (\\xff), as on standard output, never a crash."""
    write_atomic(target, lambda handle: handle.write(text.encode("utf-8", NAME_ERRORS)))
