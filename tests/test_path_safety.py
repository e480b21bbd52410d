"""Data files are read only when they are regular files inside the data folder (issue #13).

A link in the data folder to a file outside it (an archive extracted with its links), a
mapping file naming a path through such a link, a FIFO, socket or folder named like a
sheet: each is refused with an error-level data issue naming the file, never its content
(exit 3), and the other sheets are computed. Nothing hangs on a FIFO. A data issue quotes
at most `issues.ECHO_CHARS` characters of a file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from sdkpi import api
from sdkpi.cli import app
from sdkpi.errors import EXIT_INPUT, InputError
from sdkpi.issues import ECHO_CHARS, DataIssue
from sdkpi.loaders import discover, paths, readers
from sdkpi.speed import typed_read

SECRET = "SECRET_TOKEN=hunter2-do-not-leak"
KEY_LINES = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACDLEAKEDKEYMATERIALLEAKEDKEYMATERIALLEAKEDKEYMATERIAL0000",
    "-----END OPENSSH PRIVATE KEY-----",
]


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no sdkpi.toml supplies defaults


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the data folder holding what must never reach a report."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "secret.csv").write_text(f"{SECRET}\n{SECRET},{SECRET}\n", encoding="utf-8")
    (folder / "id_ed25519").write_text("\n".join(KEY_LINES) + "\n", encoding="utf-8")
    return folder


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def outputs(data: Path, tmp_path: Path) -> tuple[int, str]:
    """Exit code of `compute --format json`, and every text the user could see: JSON,
    stderr, the HTML report and every part of the workbook."""
    code, out, err = run("compute", "--data", data, "--month", "2024-05", "--format", "json")
    seen = [out, err]
    for suffix in ("html", "xlsx"):
        target = tmp_path / f"report.{suffix}"
        _, rout, rerr = run("report", "--data", data, "--month", "2024-05", "--last", "1", "-o", target)
        seen += [rout, rerr]
        if suffix == "html":
            seen.append(target.read_text(encoding="utf-8"))
        else:
            with zipfile.ZipFile(target) as book:
                seen += [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
    return code, "\n".join(seen)


def errors(data: Path) -> list[dict]:
    _, out, _ = run("compute", "--data", data, "--month", "2024-05", "--format", "json")
    return [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]


# --------------------------------------------------------------------------- links


def test_a_link_to_a_file_outside_is_refused_and_its_content_never_shown(store, outside, tmp_path):
    (store / "callbacks.csv").unlink()
    (store / "callbacks.csv").symlink_to(outside / "secret.csv")
    code, seen = outputs(store, tmp_path)
    assert code == EXIT_INPUT
    assert "hunter2" not in seen and "SECRET_TOKEN" not in seen
    (issue,) = errors(store)
    assert issue["sheet"] == "callbacks" and issue["code"] == "unreadable"
    assert "outside the data folder" in issue["reason"]
    assert issue["file"].endswith("callbacks.csv")


def test_a_key_file_behind_a_link_and_the_folders_own_mapping_is_not_read(store, outside, tmp_path):
    """The issue's attack: a link to a key file plus a mapping naming its first line as a
    column put every line of the key into the report as bad_datetime values."""
    (store / "callbacks.csv").unlink()
    (store / "callbacks.csv").symlink_to(outside / "id_ed25519")
    (store / "sdkpi-mapping.yaml").write_text(
        'sheets:\n  callbacks:\n    columns: {"-----BEGIN OPENSSH PRIVATE KEY-----": due_at}\n',
        encoding="utf-8",
    )
    code, seen = outputs(store, tmp_path)
    assert code == EXIT_INPUT
    for line in KEY_LINES[1:3]:
        assert line[:20] not in seen


def test_a_mapping_path_through_a_folder_link_is_refused(store, outside):
    (store / "rootlink").symlink_to("/")
    (store / "privlink").symlink_to(outside)
    (store / "sdkpi-mapping.yaml").write_text(
        "sheets:\n  callbacks:\n    file: rootlink/etc/hostname\n"
        "  suggestions:\n    file: privlink/secret.csv\n",
        encoding="utf-8",
    )
    found = errors(store)
    assert {i["sheet"] for i in found} == {"callbacks", "suggestions"}
    assert all("outside the data folder" in i["reason"] for i in found)
    dataset = api.load_data(store, cache=False)
    assert "callbacks" not in dataset.sheets and "work_orders" in dataset.sheets  # the rest is read


def test_a_link_that_stays_inside_the_data_folder_is_followed(store):
    (store / "exports").mkdir()
    (store / "callbacks.csv").rename(store / "exports" / "callbacks-may.csv")
    (store / "callbacks.csv").symlink_to(Path("exports") / "callbacks-may.csv")
    assert errors(store) == []
    assert "callbacks" in api.load_data(store, cache=False).sheets


def test_a_store_folder_linked_from_outside_a_dealer_group_is_refused(tmp_path, outside):
    group = tmp_path / "group"
    shutil.copytree(CONFORMANCE / "store-a", group / "A店")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(CONFORMANCE / "store-a", elsewhere)
    (group / "B店").symlink_to(elsewhere)
    dataset = api.load_data(group, cache=False)
    refused = {i.file for i in dataset.issues if i.severity == "error" and "outside" in i.reason}
    assert refused and all("B店" in file for file in refused)


def test_the_early_start_reads_no_link(store, outside, monkeypatch):
    (store / "work_orders.csv").rename(store.parent / "wo.csv")
    (store / "work_orders.csv").symlink_to(store.parent / "wo.csv")
    begun: list[Path] = []
    monkeypatch.setattr(typed_read, "_begin", lambda sheet, path, stat, total: begun.append(path))
    typed_read.start(store)
    assert begun and all(not p.is_symlink() for p in begun)


# --------------------------------------------------------------------------- not regular files


def _cli_in_subprocess(data: Path) -> subprocess.CompletedProcess[str]:
    """A run that must end: a FIFO opened for reading blocks until a writer comes."""
    env = {**os.environ, "SDKPI_NO_CACHE": "1"}
    command = [sys.executable, "-m", "sdkpi", "compute", "--data", str(data), "--month", "2024-05"]
    command += ["--format", "json"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=data.parent)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_sheet_is_a_data_issue_not_a_hang(store):
    (store / "callbacks.csv").unlink()
    os.mkfifo(store / "callbacks.csv")
    done = _cli_in_subprocess(store)
    assert done.returncode == EXIT_INPUT, done.stderr
    (issue,) = [i for i in json.loads(done.stdout)["data_issues"] if i["severity"] == "error"]
    assert issue["sheet"] == "callbacks" and "FIFO" in issue["reason"]
    assert "work_orders" in {s["sheet"] for s in json.loads(done.stdout)["sheets"] if s.get("rows_read")}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_in_the_mapping_is_a_data_issue_not_a_hang(store):
    os.mkfifo(store / "pipe.csv")
    (store / "sdkpi-mapping.yaml").write_text("sheets:\n  callbacks:\n    file: pipe.csv\n", encoding="utf-8")
    done = _cli_in_subprocess(store)
    assert done.returncode == EXIT_INPUT, done.stderr
    (issue,) = [i for i in json.loads(done.stdout)["data_issues"] if i["severity"] == "error"]
    assert issue["file"].endswith("pipe.csv") and "FIFO" in issue["reason"]


def test_a_folder_named_like_a_sheet_is_a_data_issue(store):
    (store / "work_orders.csv").unlink()
    (store / "work_orders.csv").mkdir()
    code, out, _ = run("compute", "--data", store, "--month", "2024-05", "--format", "json")
    assert code == EXIT_INPUT
    (issue,) = [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]
    assert issue["sheet"] == "work_orders" and "folder" in issue["reason"]


def test_a_dangling_link_named_like_a_sheet_is_a_data_issue(store):
    (store / "callbacks.csv").unlink()
    (store / "callbacks.csv").symlink_to(store / "gone.csv")
    (issue,) = errors(store)
    assert issue["sheet"] == "callbacks" and "does not exist" in issue["reason"]


def test_an_unreadable_file_is_a_data_issue_and_the_rest_computes(store, monkeypatch):
    """chmod 000 (root reads anyway: the refusal is simulated where files are opened)."""
    target = os.path.realpath(store / "callbacks.csv")
    real_os_open, real_io_open = os.open, io.open

    def refusing_os_open(path, *args, **kwargs):
        if os.path.realpath(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, *args, **kwargs)

    def refusing_io_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and os.path.realpath(file) == target:
            raise PermissionError(13, "Permission denied", str(file))
        return real_io_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_os_open)
    monkeypatch.setattr(io, "open", refusing_io_open)
    result = api.compute(store, month="2024-05", cache=False)
    (issue,) = [i for i in result.data_issues if i.severity == "error"]
    assert issue.sheet == "callbacks" and "Permission denied" in issue.reason
    assert result.kpi("callback_rate").status == "no_data"
    assert result.kpi("on_time_completion_rate").status in ("met", "missed")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_discover_lists_a_fifo_named_like_a_sheet_and_read_sheet_refuses_it(tmp_path):
    os.mkfifo(tmp_path / "callbacks.csv")
    found = discover.discover(tmp_path)
    assert list(found) == ["callbacks"]
    with pytest.raises(InputError, match="FIFO"):
        readers.read_sheet(found["callbacks"])


def test_check_data_file_and_open_data(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "a.csv").write_text("x\n", encoding="utf-8")
    (root / "inner").symlink_to(root / "a.csv")
    (tmp_path / "out.csv").write_text("y\n", encoding="utf-8")
    (root / "outer").symlink_to(tmp_path / "out.csv")
    real = paths.data_root(root)
    assert paths.check_data_file(root / "inner", real) == Path(os.path.realpath(root / "a.csv"))
    with pytest.raises(InputError, match="outside the data folder") as caught:
        paths.check_data_file(root / "outer", real)
    assert "y" not in str(caught.value.value or "")
    assert paths.check_data_file(root / "outer", None)  # no root: the kind only
    assert paths.read_data(root / "inner") == b"x\n"
    assert not paths.inside(Path(str(real) + "-other"), real)  # a sibling with a longer name


# --------------------------------------------------------------------------- what an issue echoes


def test_a_data_issue_echoes_at_most_its_cap():
    issue = DataIssue("warning", "bad_number", "not a number", "work_orders", "wo.csv", 2, "x", "9" * 10_000)
    assert issue.value is not None and len(issue.value) == ECHO_CHARS and issue.value.endswith("…")
    assert DataIssue("warning", "x", "r", value="short").value == "short"
    assert len(DataIssue("warning", "x", "r" * 100_000).reason) < 1_000


def test_a_long_cell_is_echoed_cut_in_every_output(store):
    path = store / "work_orders.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("labor_hours_sold")] = "Z" * 5_000  # not a number: a data issue
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, out, _ = run("compute", "--data", store, "--month", "2024-05", "--format", "json")
    values = [i["value"] or "" for i in json.loads(out)["data_issues"]]
    assert any(v.startswith("ZZZ") for v in values)
    assert max(len(v) for v in values) <= ECHO_CHARS
    assert "Z" * (ECHO_CHARS + 1) not in out


# --------------------------------------------------------------------------- in Chinese


def test_a_refused_file_is_said_in_chinese(store, outside):
    (store / "callbacks.csv").unlink()
    (store / "callbacks.csv").symlink_to(outside / "secret.csv")
    (store / "suggestions.csv").unlink()
    (store / "suggestions.csv").mkdir()
    code, out, _ = run("check", "--data", store, "--lang", "zh")
    assert code == EXIT_INPUT
    assert "指向数据文件夹以外" in out and "这是一个文件夹" in out
    assert "leads outside" not in out and "hunter2" not in out
    code, out, _ = run("compute", "--data", store, "--month", "2024-05", "--lang", "zh")
    assert code == EXIT_INPUT
    assert "文件无法读取" in out and "unreadable" not in out
