"""Atomic report writes: a failed or killed write leaves the old file whole.

bad-input.md: "report write interrupted (disk full, kill): the previous report file
is intact; no half file, no temp file left".
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from sdkpi.atomic import atomic_path, remove_stale_temps, write_atomic, write_text_atomic

OLD = b"the previous report\n" * 100


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


@pytest.fixture
def report(tmp_path: Path) -> Path:
    file = tmp_path / "report.xlsx"
    file.write_bytes(OLD)
    return file


def test_a_write_replaces_the_file_and_leaves_no_temp(report: Path) -> None:
    write_text_atomic(report, "new")
    assert report.read_text(encoding="utf-8") == "new"
    assert _temps(report.parent) == []


def test_writer_failing_halfway_keeps_the_old_file(report: Path) -> None:
    def writer(handle: IO[bytes]) -> None:
        handle.write(b"half of the new rep")
        handle.flush()
        assert _temps(report.parent), "the half file exists only as a temp file"
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_atomic(report, writer)
    assert report.read_bytes() == OLD
    assert _temps(report.parent) == []


def test_disk_full_keeps_the_old_file(report: Path) -> None:
    def writer(handle: IO[bytes]) -> None:
        handle.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(report, writer)
    assert report.read_bytes() == OLD
    assert _temps(report.parent) == []


def test_ctrl_c_during_a_path_based_write_keeps_the_old_file(report: Path) -> None:
    """atomic_path is what openpyxl-style writers (that want a path) use."""
    with pytest.raises(KeyboardInterrupt), atomic_path(report) as tmp:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert report.read_bytes() == OLD
    assert _temps(report.parent) == []


def test_a_new_file_is_not_created_by_a_failed_write(tmp_path: Path) -> None:
    target = tmp_path / "out" / "kpis.csv"
    with pytest.raises(ValueError), atomic_path(target):
        raise ValueError("boom")
    assert not target.exists()
    assert _temps(target.parent) == []


CHILD = """
import sys, time
from sdkpi.atomic import write_atomic
from sdkpi.safety import exit_cleanly_on_sigterm

if sys.argv[2] == "cli":
    exit_cleanly_on_sigterm()  # what `sdkpi` (cli.main) does first

def writer(handle):
    handle.write(b"NEW" * 1_000_000)  # 3 MB of the new report on disk, not yet renamed
    handle.flush()
    print("writing", flush=True)
    time.sleep(60)  # killed here, halfway

write_atomic(sys.argv[1], writer)
"""


def _start_writer(target: Path, mode: str = "bare") -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), mode], stdout=subprocess.PIPE, text=True, cwd=target.parent
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"  # blocks until the child is mid-write
    return child


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_mid_write_keeps_the_old_file_and_the_next_write_sweeps_the_temp(report: Path) -> None:
    child = _start_writer(report)
    leftover = _temps(report.parent)
    assert len(leftover) == 1 and leftover[0].stat().st_size == 3_000_000
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert report.read_bytes() == OLD, "the old report survives the kill"
    # A SIGKILLed process cannot delete its temp file; it is named with the dead pid...
    assert f".{child.pid}." in leftover[0].name
    # ...so the next write beside it (or an explicit sweep) removes it.
    write_text_atomic(report, "next month")
    assert _temps(report.parent) == []
    assert report.read_text(encoding="utf-8") == "next month"


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM handling is POSIX")
def test_sigterm_mid_write_removes_the_temp_at_once(report: Path) -> None:
    """`kill PID` (SIGTERM) on the sdkpi command unwinds, so nothing is left behind."""
    child = _start_writer(report, "cli")
    assert len(_temps(report.parent)) == 1
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert report.read_bytes() == OLD
    assert _temps(report.parent) == []


@pytest.mark.skipif(os.name != "posix", reason="process liveness via kill(pid, 0) is POSIX")
def test_the_sweep_leaves_temps_of_running_writers_alone(report: Path) -> None:
    child = _start_writer(report)
    try:
        assert remove_stale_temps(report) == []
        assert len(_temps(report.parent)) == 1
    finally:
        child.kill()
        child.wait(timeout=30)
    assert len(remove_stale_temps(report)) == 1
    assert _temps(report.parent) == []


def test_the_sweep_only_touches_temps_of_the_same_target(tmp_path: Path) -> None:
    other = tmp_path / ".other.xlsx.999999999.abc.tmp"
    mine = tmp_path / ".report.xlsx.999999999.abc.tmp"  # no such pid
    unrelated = tmp_path / ".report.xlsx.notes.tmp"  # not our naming: never deleted
    for file in (other, mine, unrelated):
        file.write_bytes(b"x")
    if os.name == "posix":
        assert remove_stale_temps(tmp_path / "report.xlsx") == [mine]
    assert other.exists() and unrelated.exists()


def test_new_report_gets_ordinary_permissions_not_mkstemps_0600(tmp_path: Path) -> None:
    import os

    from sdkpi.atomic import write_text_atomic

    target = tmp_path / "report.html"
    umask = os.umask(0o022)
    try:
        write_text_atomic(target, "x")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o640)
    write_text_atomic(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
