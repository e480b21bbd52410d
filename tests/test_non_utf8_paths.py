"""A data folder, sheet file, mapping, definitions or report path whose name is not valid UTF-8.

Linux names are bytes; Python holds a byte that is not UTF-8 as a lone surrogate
(b"st\\xe9re" -> "st\\udce9re"), which pyarrow cannot open by name and no UTF-8 output can
hold: `sdkpi compute --data st\\xe9re` was an internal error (exit 4). Now such a file is
read like any other (the KPIs equal the normal folder's) and every output writes the byte
as its escape, ``st\\xe9re``: the terminal, JSON (the text ``\\xe9``, never a surrogate
escape), the html and xlsx reports, error messages. Such a path is not cached (only speed).
Each run is a real process: the outputs are the real standard output and error.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

STORE = REPO / "examples" / "store-demo"
CN = REPO / "examples" / "cn-dms-detail"
MAY = ["--month", "2024-05"]
BYTE = b"\xe9"  # é in Latin-1: not UTF-8 on its own
SHOWN = "\\xe9"  # how sdkpi writes it


def odd(folder: Path, name: bytes) -> Path:
    """`folder`/`name` as Python names it (the undecodable byte as a lone surrogate)."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


@pytest.fixture
def odd_root(tmp_path: Path) -> Path:
    """A folder under tmp_path whose name holds a byte that is not UTF-8 (skipped where the
    file system refuses such names, as macOS and Windows do)."""
    if sys.getfilesystemencoding().lower().replace("-", "") != "utf8":
        pytest.skip("file names are not UTF-8 bytes here")
    folder = odd(tmp_path, b"st" + BYTE + b"re")
    try:
        folder.mkdir()
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses a name that is not valid UTF-8")
    return folder


def sdkpi(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sdkpi", *(os.fspath(arg) for arg in args)],
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"},
    )


def text(stream: bytes) -> str:
    """The output as UTF-8 (strictly: a surrogate written raw fails here), with no
    surrogate escape either."""
    decoded = stream.decode("utf-8")
    assert "\\udc" not in decoded and "\\\\udc" not in decoded
    return decoded


def kpis(payload: dict[str, Any]) -> dict[str, Any]:
    return {k["id"]: (k["value"], k["numerator"], k["denominator"], k["status"]) for k in payload["kpis"]}


def compute_json(*args: str | Path) -> tuple[int, dict[str, Any], str]:
    done = sdkpi("compute", *args, *MAY, "--format", "json")
    return done.returncode, json.loads(text(done.stdout)), text(done.stderr)


def test_a_data_folder_not_named_in_utf8_computes_the_same_kpis(odd_root: Path) -> None:
    data = odd_root
    shutil.copytree(STORE, data, dirs_exist_ok=True)
    code, payload, err = compute_json("--data", data)
    normal_code, normal, _ = compute_json("--data", STORE)
    assert (code, err) == (normal_code, "")
    assert kpis(payload) == kpis(normal)
    assert payload["source"] == str(odd_root.parent / f"st{SHOWN}re")
    assert all(f"st{SHOWN}re" in sheet["file"] for sheet in payload["sheets"] if sheet.get("file"))

    table = sdkpi("compute", "--data", data, *MAY)
    assert table.returncode == normal_code
    out = text(table.stdout)
    assert f"st{SHOWN}re" in out and "First-time fix rate" in out
    assert "internal error" not in text(table.stderr)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_printed_hint_runs_as_printed(odd_root: Path) -> None:
    """The hint names the folder as bash's $'...' (the byte escaped): pasted, it reads the
    same folder."""
    shutil.copytree(STORE, odd_root, dirs_exist_ok=True)
    out = text(sdkpi("compute", "--data", odd_root, *MAY).stdout)
    hint = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert f"--data $'{odd_root.parent}/st{SHOWN}re'" in hint
    command = hint.replace("sdkpi ", f"{shlex.quote(sys.executable)} -m sdkpi ", 1)
    command = command.replace("<kpi>", "first_time_fix_rate")
    done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "First-time fix rate" in text(done.stdout)


def test_check_names_the_folder_with_the_byte_escaped(odd_root: Path) -> None:
    data = odd_root
    shutil.copytree(STORE, data, dirs_exist_ok=True)
    done = sdkpi("check", "--data", data)
    assert done.returncode == 0, done.stderr
    assert f"st{SHOWN}re" in text(done.stdout)


@pytest.mark.parametrize("suffix", ["html", "xlsx"])
def test_a_report_is_written_into_such_a_folder(odd_root: Path, suffix: str) -> None:
    data = odd_root
    shutil.copytree(STORE, data, dirs_exist_ok=True)
    target = odd_root / f"r.{suffix}"
    done = sdkpi("report", "--data", data, *MAY, "-o", target)
    assert done.returncode in (0, 1), done.stderr  # 1: a KPI missed its target
    assert "internal error" not in text(done.stderr)
    assert f"st{SHOWN}re" in text(done.stdout)
    if suffix == "html":
        assert f"st{SHOWN}re" in text(target.read_bytes())
    else:
        import openpyxl

        book = openpyxl.load_workbook(target)  # a surrogate left in would make it unreadable
        cells = [c for ws in book for row in ws.iter_rows(values_only=True) for c in row]
        assert any(isinstance(cell, str) and f"st{SHOWN}re" in cell for cell in cells)


def test_a_sheet_file_not_named_in_utf8_is_read(tmp_path: Path, odd_root: Path) -> None:
    data = tmp_path / "demo"
    shutil.copytree(STORE, data)
    (data / "维修工单.csv").rename(odd(data, "维修工单_".encode() + BYTE + b".csv"))
    code, payload, err = compute_json("--data", data)
    normal_code, normal, _ = compute_json("--data", STORE)
    assert (code, err) == (normal_code, "")
    assert kpis(payload) == kpis(normal)
    files = [sheet.get("file") for sheet in payload["sheets"]]
    assert str(data / f"维修工单_{SHOWN}.csv") in files


def test_mapping_and_definitions_in_such_a_folder(odd_root: Path) -> None:
    data = odd_root / "cn"
    shutil.copytree(CN, data)
    mapping = odd_root / "mapping.yaml"
    defs = odd_root / "defs.yaml"
    shutil.copy(CN / "sdkpi-mapping.yaml", mapping)
    shutil.copy(REPO / "src" / "sdkpi" / "data" / "kpi_definitions.yaml", defs)
    code, payload, _ = compute_json("--data", data, "--mapping", mapping, "--defs", defs)
    normal_code, normal, _ = compute_json("--data", CN, "--mapping", CN / "sdkpi-mapping.yaml")
    assert code == normal_code
    assert kpis(payload) == kpis(normal)
    assert payload["definitions"] == str(odd_root.parent / f"st{SHOWN}re" / "defs.yaml")


def test_an_error_names_such_a_path_with_the_byte_escaped(odd_root: Path) -> None:
    done = sdkpi("compute", "--data", STORE, *MAY, "--defs", odd_root / "missing.yaml")
    assert done.returncode == 2
    err = text(done.stderr)
    assert f"st{SHOWN}re/missing.yaml" in err and "internal error" not in err


def test_the_caches_stay_right_for_such_a_path(odd_root: Path, cache_dir: Path) -> None:
    data = odd_root
    shutil.copytree(STORE, data, dirs_exist_ok=True)
    first = compute_json("--data", data)
    second = compute_json("--data", data)  # through the caches, where they keep anything
    assert first[0] == second[0]
    assert kpis(first[1]) == kpis(second[1]) == kpis(compute_json("--data", STORE)[1])
