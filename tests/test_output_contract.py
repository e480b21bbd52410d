"""The output contract (issue #13): where output goes, in which format and encoding, and the exit
code when it cannot get there; date edges; a month without rows; hints that work as printed;
`--month last|this`; a report open in Excel. Codes in docs/exit-codes.md.

Streams are tested through the installed command (`python -m sdkpi`) in a subprocess, where
stdout really is a closed pipe, /dev/full, a terminal or a GBK file; the rest in-process.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from sdkpi import atomic
from sdkpi.api import month_named, parse_period
from sdkpi.cli import app
from sdkpi.cli.report import output_target
from sdkpi.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    UsageError,
)
from sdkpi.render.formats import FORMATS
from sdkpi.results import Period
from sdkpi.safety import ENCODE_ERRORS, whole_writes

STORE = CONFORMANCE / "store-a"
MAY = ["--month", "2024-05"]
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX file descriptors and /dev/full")


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no sdkpi.toml supplies defaults, and where a file named `-` would show."""
    monkeypatch.chdir(tmp_path)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def command(
    *args: str | Path, shell: str | None = None, **options: Any
) -> subprocess.CompletedProcess[bytes]:
    """`python -m sdkpi ARGS` (in bash with `shell` appended, e.g. '>&-'), bytes out."""
    argv = [sys.executable, "-m", "sdkpi", *map(str, args)]
    if shell is not None:
        argv = ["bash", "-c", " ".join(shlex.quote(a) for a in argv) + " " + shell]
    env = {**os.environ, **options.pop("env", {})}
    env.pop("SDKPI_DEBUG", None)
    options.setdefault("stdout", subprocess.PIPE)
    done: subprocess.CompletedProcess[bytes] = subprocess.run(
        argv, stderr=subprocess.PIPE, timeout=120, env=env, **options
    )
    return done


# --------------------------------------------------------------------------- -o - and formats


def test_dash_is_standard_output_for_html_and_no_file_named_dash(tmp_path: Path) -> None:
    code, out, _ = run("report", "--data", STORE, *MAY, "-o", "-", "--format", "html")
    assert code == EXIT_OK
    assert out.lstrip().lower().startswith("<!doctype html")
    assert not (tmp_path / "-").exists()
    assert list(tmp_path.iterdir()) == []  # nothing left behind: no scratch file, no path printed


@POSIX
def test_a_workbook_goes_to_a_pipe_but_never_to_a_terminal(tmp_path: Path) -> None:
    piped = command("report", "--data", STORE, *MAY, "-o", "-", cwd=tmp_path)
    assert piped.returncode == EXIT_OK, piped.stderr
    (tmp_path / "may.xlsx").write_bytes(piped.stdout)
    assert "xl/workbook.xml" in zipfile.ZipFile(tmp_path / "may.xlsx").namelist()

    import pty

    leader, follower = pty.openpty()
    try:
        done = command("report", "--data", STORE, *MAY, "-o", "-", stdout=follower, cwd=tmp_path)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == EXIT_USAGE
    assert b"not for a terminal" in done.stderr
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "may.txt"], "sdkpi writes .xlsx, .html"),
        (["-o", "may"], "sdkpi writes .xlsx, .html"),
        (["-o", "may.pdf", "--format", "xlsx"], "name it may.xlsx"),
        (["-o", "x.html", "--format", "xlsx"], "name it x.xlsx"),
        (["-o", "x.xlsx", "--format", "html"], "name it x.html"),
    ],
    ids=[
        "unknown suffix",
        "no suffix",
        "pdf named, xlsx asked",
        "html named, xlsx asked",
        "xlsx named, html asked",
    ],
)
def test_a_suffix_that_disagrees_with_the_format_is_refused_before_computing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, out, err = run("report", "--data", STORE, *MAY, *args)
    assert (code, out) == (EXIT_USAGE, "")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_the_suffix_says_the_format_when_format_is_not_given(tmp_path: Path) -> None:
    code, out, _ = run("report", "--data", STORE, *MAY, "-o", "May.HTML", "--lang", "zh")
    assert code == EXIT_OK and out.strip() == "May.HTML"
    assert (tmp_path / "May.HTML").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_output_target_follows_the_format_registry() -> None:
    assert output_target(None, None, "2024-05") == (FORMATS["xlsx"], Path("sdkpi-report-2024-05.xlsx"))
    assert output_target("html", None, "2024-05") == (FORMATS["html"], Path("sdkpi-report-2024-05.html"))
    assert output_target(None, "a/b.htm", "2024-05") == (FORMATS["html"], Path("a/b.htm"))
    assert output_target("html", "-", "2024-05") == (FORMATS["html"], None)
    with pytest.raises(UsageError, match="后缀"):
        output_target("xlsx", "x.html", "2024-05", "zh")


# --------------------------------------------------------------------------- the report's file


def _report_over_a_locked_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> tuple[int, str]:
    target = tmp_path / "may.xlsx"
    target.write_bytes(b"the old report")

    def locked(src: object, dst: object) -> None:  # what Windows says for a file Excel shows
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", locked)
    code, _, err = run("report", "--data", STORE, *MAY, "-o", target, "--lang", lang)
    assert target.read_bytes() == b"the old report"  # the old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["may.xlsx"]  # no temporary file left
    assert "Traceback" not in err
    return code, err


def test_a_report_open_in_excel_says_close_it_and_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _report_over_a_locked_file(tmp_path, monkeypatch, "en")
    assert code == EXIT_OUTPUT
    assert "Close the file and run again" in err and "may.xlsx" in err


def test_a_report_open_in_excel_says_so_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = _report_over_a_locked_file(tmp_path, monkeypatch, "zh")
    assert code == EXIT_OUTPUT
    assert "请关闭该文件后重新运行" in err


def test_a_report_that_cannot_be_written_exits_5_not_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    code, out, err = run("report", "--data", STORE, *MAY, "-o", tmp_path / "file" / "may.html")
    assert (code, out) == (EXIT_OUTPUT, "")
    assert "cannot write" in err and "Traceback" not in err


# --------------------------------------------------------------------------- standard streams


@POSIX
def test_a_closed_pipe_exits_141_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sdkpi", "compute", "--data", str(STORE), *MAY, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before sdkpi writes a byte (`| head -0`)
    err = process.stderr.read()
    assert process.wait(timeout=120) == EXIT_BROKEN_PIPE
    assert b"Traceback" not in err and b"internal error" not in err


@POSIX
def test_a_closed_stdout_exits_5_saying_so(tmp_path: Path) -> None:
    done = command("compute", "--data", STORE, *MAY, shell=">&-", cwd=tmp_path)
    assert done.returncode == EXIT_OUTPUT
    assert b"standard output is closed" in done.stderr and b"Traceback" not in done.stderr


@POSIX
def test_a_report_to_a_closed_stdout_exits_5(tmp_path: Path) -> None:
    done = command("report", "--data", STORE, *MAY, "-o", "-", "-f", "html", shell=">&-", cwd=tmp_path)
    assert done.returncode == EXIT_OUTPUT
    assert b"standard output is closed" in done.stderr and b"Traceback" not in done.stderr


@POSIX
def test_a_report_is_written_with_stdout_closed(tmp_path: Path) -> None:
    done = command("report", "--data", STORE, *MAY, "-o", "may.html", "--quiet", shell=">&-", cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert (tmp_path / "may.html").stat().st_size > 1000


@POSIX
def test_a_closed_stderr_runs_as_usual(tmp_path: Path) -> None:
    done = command("compute", "--data", STORE, *MAY, "--format", "json", shell="2>&-", cwd=tmp_path)
    assert done.returncode == EXIT_OK
    assert len(json.loads(done.stdout)["kpis"]) == 24


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_json_to_a_full_disk_unbuffered_exits_5(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = command(
            "compute", "--data", STORE, *MAY, "--format", "json", stdout=full, cwd=tmp_path,
            env={"PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    assert done.returncode == EXIT_OUTPUT
    assert b"No space left on device" in done.stderr and b"Traceback" not in done.stderr


class _FillingDisk(io.RawIOBase):
    """A file on a disk with `room` bytes left: short writes first, then ENOSPC, as a real
    disk does (/dev/full fails at once, which hid the short writes)."""

    def __init__(self, room: int) -> None:
        self.room, self.data = room, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        if not self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        taken = bytes(chunk[: min(len(chunk), self.room, 1000)])
        self.data += taken
        self.room -= len(taken)
        return len(taken)


def test_unbuffered_stdout_on_a_filling_disk_fails_instead_of_dropping_the_rest() -> None:
    text = "x" * 50_000 + "\n"
    full: Any = _FillingDisk(8192)
    unbuffered = io.TextIOWrapper(full, encoding="utf-8", write_through=True)
    unbuffered.write(text)  # what Python does with PYTHONUNBUFFERED=1: no error, data lost
    assert len(full.data) < len(text)
    disk: Any = _FillingDisk(8192)
    stream = whole_writes(io.TextIOWrapper(disk, encoding="utf-8", write_through=True))
    with pytest.raises(OSError, match="No space left"):
        stream.write(text)
        stream.flush()
    roomy: Any = _FillingDisk(10**6)
    stream = whole_writes(io.TextIOWrapper(roomy, encoding="utf-8", write_through=True))
    stream.write(text)
    stream.flush()
    assert roomy.data == text.encode()  # short writes completed


def test_gbk_stdout_gets_everything_with_look_alike_symbols(tmp_path: Path) -> None:
    done = command(
        "compute", "--data", STORE, *MAY, "--lang", "zh", cwd=tmp_path, env={"PYTHONIOENCODING": "gbk"}
    )
    assert done.returncode == EXIT_OK, done.stderr
    text = done.stdout.decode("gbk")
    assert "达标" in text and "√" in text and "✓" not in text
    assert "\\u" not in text  # GBK writes Chinese as it is


def test_cp1252_stdout_escapes_chinese_and_json_stays_the_same_data(tmp_path: Path) -> None:
    table = command(
        "compute", "--data", STORE, *MAY, "--lang", "zh", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"}
    )
    assert table.returncode == EXIT_OK, table.stderr
    text = table.stdout.decode("cp1252")
    assert "\\u8fbe\\u6807" in text  # 达标, as an escape: never dropped nor "?"
    assert "v \\u8fbe" in text  # ✓ as v
    args: tuple[str | Path, ...] = ("compute", "--data", STORE, *MAY, "--format", "json", "--lang", "zh")
    ascii_json = command(*args, cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"})
    utf8_json = command(*args, cwd=tmp_path, env={"PYTHONIOENCODING": "utf-8"})
    assert ascii_json.returncode == utf8_json.returncode == EXIT_OK
    ascii_json.stdout.decode("ascii")
    first, second = json.loads(ascii_json.stdout), json.loads(utf8_json.stdout.decode("utf-8"))
    first.pop("generated_at", None), second.pop("generated_at", None)
    assert first == second
    assert any("\u4e00" <= char <= "\u9fff" for char in first["kpis"][0]["name"]["zh"])  # Chinese kept


def test_the_encode_handler_writes_symbols_as_look_alikes_and_data_as_escapes() -> None:
    assert "✓ 张 → ✗ …".encode("cp1252", ENCODE_ERRORS) == "v \\u5f20 -> × …".encode("cp1252")
    assert "✓ ✗ ·".encode("ascii", ENCODE_ERRORS) == b"v x -"
    assert "✓ 张 ✗".encode("gbk", ENCODE_ERRORS) == "√ 张 ×".encode("gbk")
    assert "😀".encode("cp1252", ENCODE_ERRORS) == b"\\U0001f600"


def test_a_text_report_writes_an_undecodable_file_name_byte_as_an_escape(tmp_path: Path) -> None:
    atomic.write_text_atomic(tmp_path / "r.html", "<p>bad\udcff 张</p>")
    assert (tmp_path / "r.html").read_bytes() == "<p>bad\\xff 张</p>".encode()


def test_an_undecodable_file_name_byte_is_written_as_an_escape_even_on_utf8() -> None:
    """A folder named with a byte that is not UTF-8 comes to Python as a lone surrogate, which
    no encoding can write: printing it was an internal error (exit 4)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from sdkpi.safety import prepare_streams; prepare_streams(); print('bad\\udcff')",
        ],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert (done.returncode, done.stdout) == (0, b"bad\\xff\n")


# --------------------------------------------------------------------------- dates


EDGES = [
    ["--from", "2024-01-01", "--to", "9999-12-31"],
    ["--month", "0001-01"],
    ["--from", "0001-01-01", "--to", "2024-05-31"],
    ["--month", "9999-12"],
    ["--month", "1899-12"],
]


@pytest.mark.parametrize("edge", EDGES, ids=[" ".join(e) for e in EDGES])
@pytest.mark.parametrize(
    "cmd",
    [["compute"], ["trend"], ["explain", "callback_rate"], ["diff", "--data-b", str(STORE)], ["report"]],
    ids=["compute", "trend", "explain", "diff", "report"],
)
def test_date_edges_are_usage_errors_never_crashes(cmd: list[str], edge: list[str]) -> None:
    if cmd == ["report"] and edge[0] == "--from":
        pytest.skip("report takes --month only")
    code, out, err = run(*cmd, "--data", STORE, *edge)
    assert code == EXIT_USAGE, err
    assert "outside the dates sdkpi reads (1900-01-01 to 2199-12-31)" in err
    assert out == ""


@pytest.mark.parametrize("month", ["1900-01", "2199-12"])
@pytest.mark.parametrize("cmd", [["compute"], ["trend", "--every", "week"], ["report", "-o", "r.html"]])
def test_the_first_and_last_months_run(cmd: list[str], month: str) -> None:
    code, _, err = run(*cmd, "--data", STORE, "--month", month)
    # no row in those months: an input problem for a month's figures; a trend says "no data"
    assert code == (EXIT_OK if cmd[0] == "trend" else EXIT_INPUT), err
    assert "internal error" not in err


def test_parse_period_bounds() -> None:
    assert parse_period("1900-01") == Period(date(1900, 1, 1), date(1900, 2, 1))
    assert parse_period(None, "2199-12-01", "2199-12-31") == Period(date(2199, 12, 1), date(2200, 1, 1))
    with pytest.raises(UsageError, match="outside the dates"):
        parse_period("2200-01")
    with pytest.raises(UsageError, match="outside the dates"):
        parse_period(None, "1899-12-31", "1900-01-31")
    with pytest.raises(UsageError, match="--from needs --to"):
        parse_period(start="2024-05-01")


# --------------------------------------------------------------------------- --month last|this


@pytest.mark.parametrize(
    ("today", "word", "month"),
    [
        (date(2024, 1, 15), "last", "2023-12"),
        (date(2024, 1, 1), "this", "2024-01"),
        (date(2024, 12, 31), "last", "2024-11"),
        (date(2024, 3, 31), "LAST", "2024-02"),
        (date(2024, 3, 31), "2023-07", "2023-07"),
    ],
)
def test_month_words(today: date, word: str, month: str) -> None:
    assert month_named(word, today) == month
    assert parse_period(word, today=today) == parse_period(month)


def test_the_library_reads_month_words_from_its_today() -> None:
    from sdkpi import compute

    result = compute(STORE, month="last", today=date(2024, 6, 10), cache=False)
    assert result.period == Period(date(2024, 5, 1), date(2024, 6, 1))
    assert result.kpi("appointment_rate").value is not None


@pytest.mark.parametrize("cmd", [["compute"], ["trend"], ["explain", "callback_rate"], ["report", "-o", "-"]])
def test_every_command_takes_month_last(cmd: list[str]) -> None:
    today = date.today()
    code, out, err = run(
        *cmd, "--data", STORE, "--month", "last", "--format", "json" if cmd[0] != "report" else "html"
    )
    if date.today() != today:
        pytest.skip("midnight passed during the run")
    assert code in (EXIT_OK, EXIT_INPUT), err  # the conformance store holds 2024's months only
    assert "outside" not in err and "must look like" not in err
    if cmd[0] == "compute":
        assert json.loads(out)["period"]["start"] == f"{month_named('last', today)}-01"


def test_report_last_writes_the_month_in_the_default_file_name(tmp_path: Path) -> None:
    month = month_named("last")
    code, out, _ = run("report", "--data", STORE, "--month", "last", "--format", "html")
    if month_named("last") != month:
        pytest.skip("midnight passed during the run")
    assert code in (EXIT_OK, EXIT_INPUT)
    assert out.strip() == f"sdkpi-report-{month}.html"
    assert (tmp_path / f"sdkpi-report-{month}.html").is_file()


# --------------------------------------------------------------------------- a month without rows


def test_a_month_without_rows_anywhere_exits_3_with_the_dates_each_sheet_holds() -> None:
    code, out, err = run("compute", "--data", STORE, "--month", "2030-01", "--format", "json")
    assert code == EXIT_INPUT
    issues = [i for i in json.loads(out)["data_issues"] if i["code"] == "no_rows_in_period"]
    assert {i["sheet"] for i in issues} == {
        "work_orders", "appointments", "parts_requests", "callbacks", "customer_issues",
        "technician_time", "vehicle_sales", "suggestions",
    }  # fmt: skip
    assert {i["severity"] for i in issues} == {"error"}
    assert "sdkpi: error: callbacks: no row dated in 2030-01 (due_at); its dates run from 2024-" in err


def test_a_month_without_rows_per_advisor_too() -> None:
    code, out, _ = run("compute", "--data", STORE, "--month", "2030-01", "--by", "advisor", "-f", "json")
    assert code == EXIT_INPUT
    assert "no_rows_in_period" in {i["code"] for i in json.loads(out)["data_issues"]}


def test_a_month_without_rows_in_explain() -> None:
    code, out, _ = run("explain", "callback_rate", "--data", STORE, "--month", "2030-01", "-f", "json")
    assert code == EXIT_INPUT
    [issue] = [i for i in json.loads(out)["data_issues"] if i["code"] == "no_rows_in_period"]
    assert (issue["sheet"], issue["severity"]) == ("callbacks", "error")


def test_a_month_without_rows_in_chinese_and_in_the_report() -> None:
    code, _, err = run("report", "--data", STORE, "--month", "2030-01", "-o", "r.html", "--lang", "zh")
    assert code == EXIT_INPUT
    assert err.count("在所选期间内没有记录") >= 8 and "该表的日期范围为 2024-" in err
    assert "closed_at" not in err  # each date column by its Chinese name
    assert "所选期间内没有记录" in Path("r.html").read_text(encoding="utf-8")  # the issue, in Chinese


def test_one_sheet_without_rows_is_a_warning_and_the_rest_computes(store_a_copy: Path) -> None:
    callbacks = store_a_copy / "callbacks.csv"
    callbacks.write_text(callbacks.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code, out, err = run("compute", "--data", store_a_copy, *MAY, "--format", "json")
    assert code == EXIT_OK
    [issue] = [i for i in json.loads(out)["data_issues"] if i["code"] == "no_rows_in_period"]
    assert (issue["severity"], issue["sheet"]) == ("warning", "callbacks")
    assert "holds no readable date" in issue["reason"]
    assert "sdkpi: warning: callbacks: no row dated in 2024-05" in err


# --------------------------------------------------------------------------- hints


def test_hints_carry_the_data_and_files_used_and_work_as_printed(tmp_path: Path) -> None:
    data = tmp_path / "my store's data"
    shutil.copytree(STORE, data)
    callbacks = data / "callbacks.csv"  # one placeholder: a data-issue summary with its hint
    callbacks.write_text(
        callbacks.read_text(encoding="utf-8").replace(",true\n", ",#N/A\n", 1), encoding="utf-8"
    )
    defs = tmp_path / "defs copy.yaml"
    shutil.copy(Path(__file__).parent.parent / "kpi_definitions.yaml", defs)
    code, out, err = run("compute", "--data", data, *MAY, "--defs", defs, "--lang", "zh")
    assert code == EXIT_OK
    quoted = f"--data {shlex.quote(str(data))} --defs {shlex.quote(str(defs))} --lang zh --month 2024-05"
    assert re.search(f"sdkpi explain <[^>]+> {re.escape(quoted)}\n", out)  # one line, however long
    check = f"sdkpi check --data {shlex.quote(str(data))} --defs {shlex.quote(str(defs))}"
    assert check in err
    explain = f"explain callback_rate {quoted}"
    code, out, err = run(*shlex.split(explain))
    assert code == EXIT_OK, err
    code, _, err = run(*shlex.split(check)[1:])
    assert code == EXIT_OK, err


def test_a_custom_period_hint_uses_from_and_to() -> None:
    code, out, _ = run("compute", "--data", STORE, "--from", "2024-05-03", "--to", "2024-05-20")
    assert code == EXIT_OK
    assert f"--data {STORE} --from 2024-05-03 --to 2024-05-20\n" in out


# --------------------------------------------------------------------------- exit 1 is "missed"


def test_an_exit_with_a_message_is_not_exit_1() -> None:
    """SystemExit("message") exits 1 in Python: in sdkpi that would read as "a KPI missed"."""
    done = subprocess.run(
        [sys.executable, "-c", "from sdkpi.safety import exit_now; exit_now('stopped')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.strip()) == (EXIT_INTERNAL, "stopped")


def test_diff_hints_check_for_both_folders(tmp_path: Path) -> None:
    data_b = tmp_path / "b"
    shutil.copytree(STORE, data_b)
    callbacks = data_b / "callbacks.csv"
    text = callbacks.read_text(encoding="utf-8")
    callbacks.write_text(text.replace(",true\n", ",#N/A\n", 1), encoding="utf-8")
    code, _, err = run("diff", "--data", STORE, "--data-b", data_b, *MAY)
    assert code == EXIT_OK
    assert f"`sdkpi check --data {STORE}` / `sdkpi check --data {data_b}`" in err


def test_a_hint_carries_the_mapping_file_given(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "examples" / "dms-export"
    data = tmp_path / "exports"
    shutil.copytree(example, data)
    mapping = tmp_path / "our mapping.yaml"
    (data / "sdkpi-mapping.yaml").rename(mapping)
    code, out, err = run("compute", "--data", data, "--month", "2024-05", "--mapping", mapping)
    assert code == EXIT_OK, err
    options = f"--data {data} --mapping {shlex.quote(str(mapping))} --month 2024-05"
    assert f"sdkpi explain <kpi> {options}\n" in out
    assert f"sdkpi check --data {data} --mapping {shlex.quote(str(mapping))}`" in err
    code, _, err = run(*shlex.split(f"explain callback_rate {options}"))
    assert code == EXIT_OK, err
