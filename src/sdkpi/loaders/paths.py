"""Which files sdkpi may read as data, and how it opens them: the one place for both.

Data files (sheet files, workbooks, the files a mapping file names) come with the
data, from a DMS export or an archive someone sent; their names are not the user's
choice. So a data file is read only when

- its real path (every symbolic link resolved) lies inside the data folder's real
  path: a link to ``/proc/self/environ``, to a key file or to ``/`` is refused, a
  link to another file of the data folder is followed;
- it is a regular file, known from ``os.stat`` before it is opened: a FIFO, socket,
  device or folder named like a sheet is refused (a FIFO would block a read forever).

Every open of a data file goes through `open_data`, which opens without blocking and
without following a link in the last component, and checks again (``fstat``) that
what it opened is a regular file. A refusal is an `InputError` naming the file (never
its content): for one sheet it becomes an error-level data issue of that sheet (exit
3, the other sheets are computed).

The definitions file, the mapping file and sdkpi.toml are the user's own choice and
may be anywhere; only data files are confined.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from ..errors import InputError, SdkpiError

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check must not block the open
    | getattr(os, "O_NOFOLLOW", 0)  # the real path holds no link; one put there since is refused
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

_OUTSIDE_HINT = (
    "sdkpi reads only files inside the data folder; a link in the data folder (or a path in the "
    "mapping file) leads elsewhere. Copy the file itself into the data folder"
)


def data_root(data: Path) -> Path:
    """The real path of the data folder (of a workbook given as the data: its folder).

    The data path itself is the user's choice: a link given on the command line is followed.
    """
    real = Path(os.path.realpath(data))
    return real if real.is_dir() or not real.exists() else real.parent


def inside(path: Path, root: Path) -> bool:
    """Is this real path inside the real folder `root` (or `root` itself)?"""
    folder = os.path.normcase(str(root))
    target = os.path.normcase(str(path))
    return target == folder or target.startswith(folder.rstrip(os.sep) + os.sep)


def check_data_file(path: Path, root: Path | None, sheet: str | None = None) -> Path:
    """The real path of a data file, once known to be a regular file inside `root`.

    root: the real path of the data folder (`data_root`); None checks the kind only.
    Raises `InputError` (the file as the user named it, never its content) when the file
    leads outside the data folder, does not exist, is not a regular file or cannot be
    looked at.
    """
    real = Path(os.path.realpath(path))
    if root is not None and not inside(real, root):
        raise InputError(
            "not read: this file leads outside the data folder (a symbolic link, or '..' in a link)",
            file=str(path),
            sheet=sheet,
            hint=_OUTSIDE_HINT,
        )
    try:
        info = os.stat(real)
    except FileNotFoundError:
        what = "a link to nothing (its target does not exist)" if os.path.islink(path) else "file not found"
        raise InputError(what, file=str(path), sheet=sheet) from None
    except OSError as err:
        raise InputError(
            f"cannot open the file: {err.strerror or err}", file=str(path), sheet=sheet
        ) from None
    _check_kind(info.st_mode, path, sheet)
    return real


def _check_kind(mode: int, path: Path | str, sheet: str | None) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(
            "this is a folder, not a sheet file",
            file=str(path),
            sheet=sheet,
            hint="move the folder out of the data folder, or rename it",
        )
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    raise InputError(
        f"not read: this is {kind}, not a regular file",
        file=str(path),
        sheet=sheet,
        hint="export the sheet again as a file",
    )


def open_data(path: Path | str, buffering: int = -1) -> io.BufferedReader | io.FileIO:
    """Open a data file for reading: its real path, without blocking, without following a
    link put in its place since, checked to be a regular file (see the module docstring).
    Raises OSError as open does, and `InputError` for a file that is not a regular one."""
    fd = os.open(os.path.realpath(path), _OPEN_FLAGS)
    try:
        _check_kind(os.fstat(fd).st_mode, path, None)
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return io.FileIO(fd, "rb") if buffering == 0 else io.BufferedReader(io.FileIO(fd, "rb"))
    except BaseException:
        os.close(fd)
        raise


def read_data(path: Path | str) -> bytes:
    """The whole of a data file (`open_data`)."""
    with open_data(path) as handle:
        return handle.read()


def read_user_file(path: Path, limit: int, what: str, error: type[SdkpiError]) -> bytes:
    """The bytes of a file the user chose (definitions, mapping, targets), at most `limit`
    bytes: an unreadable or larger file is `error` naming `what` ("the mapping file")."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise error(f"cannot read {what}: {err.strerror or err}", file=str(path)) from None
    if len(raw) > limit:
        raise error(f"{what} is larger than {limit // 1_000_000} MB", file=str(path))
    return raw
