#!/usr/bin/env python3
"""sdkpi against its speed targets, and against DuckDB on the same CSV files.

    pip install -e '.[bench]'          # duckdb, for the reference
    python bench/run.py --sizes 100k,1M

In one run (so that every ratio compares figures taken on the same machine at
the same time):

* start-up: `sdkpi --help` and `sdkpi --version`, whole process, median of runs;
* `sdkpi compute --format json` on examples/store-demo, one month, whole process;
* per size: `sdkpi compute --month 2024-06 --format json` as a subprocess, cold
  (cache folder empty), warm (re-run on unchanged files: the result cache) and
  what-if (the definitions edited, the sheets unchanged: the sheet cache), against
  bench/duckdb_reference.py (also a subprocess) computing the same KPIs from the
  same CSV files; both must agree on every numerator and denominator;
  peak memory (max RSS) of the cold sdkpi process;
* a 100k-row work-order .xlsx read by sdkpi's loader (read and typed) against
  `pandas.read_excel(engine="openpyxl")` (read only).

Prints a table of figures against the targets with PASS/FAIL; exits 1 when
the two engines disagree. Data is generated on first use into bench/data/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py, beside this file)

EXAMPLE = REPO / "examples" / "store-demo"
EXAMPLE_MONTH = "2024-05"
GiB = 1024**3


@dataclass
class Run:
    seconds: float
    peak_bytes: int
    stdout: str
    stderr: str
    code: int


def run(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """One process, timed from spawn to exit, with its own peak RSS (wait4)."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return Run(seconds, peak, out.read().decode(), err.read().decode(), proc.returncode)


def sdkpi_command() -> list[str]:
    """The installed console script of this interpreter (not a pyenv/asdf shim around it)."""
    script = Path(sys.executable).parent / "sdkpi"
    if script.is_file():
        return [str(script)]
    found = shutil.which("sdkpi")
    if found is None:
        raise SystemExit("sdkpi is not installed: pip install -e '.[bench]'")
    return [found]


def median_run(cmd: list[str], times: int, env: dict[str, str] | None = None) -> Run:
    runs = [run(cmd, env) for _ in range(times)]
    for r in runs:
        if r.code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({r.code}):\n{r.stderr[-2000:]}")
    best = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    return Run(
        statistics.median(r.seconds for r in runs), max(r.peak_bytes for r in runs), best.stdout, "", 0
    )


# --------------------------------------------------------------------------- rows of the table


@dataclass
class Row:
    what: str
    figure: str
    target: str
    ok: bool | None  # None: shown for information


def _env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SDKPI_NO_CACHE"}
    env["SDKPI_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


def startup(sdkpi: list[str], times: int) -> list[Row]:
    rows = []
    for flag in ("--help", "--version"):
        took = median_run([*sdkpi, flag], times).seconds
        rows.append(Row(f"sdkpi {flag}", f"{took:.3f} s", "< 0.2 s", took < 0.2))
    return rows


def example(sdkpi: list[str], cache_dir: Path, times: int) -> list[Row]:
    cmd = [*sdkpi, "compute", "--data", str(EXAMPLE), "--month", EXAMPLE_MONTH, "--format", "json", "-q"]
    cold = statistics.median(_cold(cmd, cache_dir).seconds for _ in range(times))
    warm = median_run(cmd, times, _env(cache_dir)).seconds
    return [
        Row("example store, one month (cold)", f"{cold:.3f} s", "< 1 s", cold < 1.0),
        Row("example store, one month (warm)", f"{warm:.3f} s", "< 1 s", warm < 1.0),
    ]


def _cold(cmd: list[str], cache_dir: Path) -> Run:
    shutil.rmtree(cache_dir, ignore_errors=True)
    result = run(cmd, _env(cache_dir))
    if result.code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({result.code}):\n{result.stderr[-2000:]}")
    return result


def figures(sdkpi_json: str) -> dict[str, list[float]]:
    return {k["id"]: [float(k["numerator"]), float(k["denominator"])] for k in json.loads(sdkpi_json)["kpis"]}


def disagreements(ours: dict[str, list[float]], reference: dict[str, list[float]]) -> list[str]:
    bad = []
    for kpi, (num, den) in reference.items():
        mine = ours.get(kpi)
        if mine is None:
            bad.append(f"{kpi}: missing from sdkpi's output")
            continue
        for side, a, b in (("numerator", mine[0], num), ("denominator", mine[1], den)):
            if abs(a - b) > 1e-9 * max(1.0, abs(b)):
                bad.append(f"{kpi} {side}: sdkpi {a!r} vs DuckDB {b!r}")
    return bad


def size(sdkpi: list[str], name: str, cache_dir: Path, times: int) -> tuple[list[Row], list[str]]:
    folder = generate.generate(name)
    month = generate.BENCH_MONTH
    cmd = [*sdkpi, "compute", "--data", str(folder), "--month", month, "--format", "json", "-q"]
    reference = [sys.executable, str(BENCH / "duckdb_reference.py"), str(folder), month]
    duck, cold, warm, whatif = [], [], [], []
    edits = Path(tempfile.mkdtemp(prefix="sdkpi-bench-defs-"))
    shipped = (REPO / "kpi_definitions.yaml").read_text(encoding="utf-8")
    for i in range(times):  # interleaved, so that load on a shared machine hits all alike
        duck.append(run(reference))
        cold.append(_cold(cmd, cache_dir))
        warm.append(run(cmd, _env(cache_dir)))
        # the what-if loop: the definitions edited (a new answer), the sheets unchanged
        edited = edits / f"kpi_definitions-{i}.yaml"
        edited.write_text(shipped + f"\n# what-if edit {i}\n", encoding="utf-8")
        whatif.append(run([*cmd, "--defs", str(edited)], _env(cache_dir)))
    shutil.rmtree(edits, ignore_errors=True)
    if duck[0].code != 0:
        raise SystemExit(f"DuckDB reference failed:\n{duck[0].stderr[-2000:]}")
    problems = disagreements(figures(cold[0].stdout), json.loads(duck[0].stdout))
    problems += disagreements(figures(warm[0].stdout), json.loads(duck[0].stdout))
    problems += disagreements(figures(whatif[0].stdout), json.loads(duck[0].stdout))
    d = statistics.median(r.seconds for r in duck)
    c = statistics.median(r.seconds for r in cold)
    w = statistics.median(r.seconds for r in warm)
    e = statistics.median(r.seconds for r in whatif)
    peak = max(r.peak_bytes for r in cold + warm + whatif)
    # the cold, memory and re-run targets are set at 1M work orders and up (issue #6); below,
    # a run is mostly Python's and pandas' start-up, and the example-store row is the target
    big = generate.parse_size(name) >= 1_000_000
    memory_ok = peak < 1.5 * GiB if big else None
    agree = "yes" if not problems else f"{len(problems)} differ"
    rows = [
        Row(f"{name}: DuckDB reference", f"{d:.2f} s", "", None),
        Row(
            f"{name}: sdkpi cold / DuckDB",
            f"{c:.2f} s = {c / d:.2f}x",
            "<= 1.5x" if big else "(1M+)",
            c / d <= 1.5 if big else None,
        ),
        Row(f"{name}: sdkpi warm / DuckDB", f"{w:.2f} s = {w / d:.2f}x", "", None),
        Row(
            f"{name}: re-run speed-up (cold / warm)",
            f"{c / w:.2f}x",
            ">= 3x" if big else "(1M+)",  # below, a run is mostly interpreter + pandas start-up
            c / w >= 3 if big else None,
        ),
        Row(f"{name}: what-if re-run, definitions edited", f"{e:.2f} s = {c / e:.2f}x faster", "", None),
        Row(f"{name}: sdkpi peak memory", f"{peak / GiB:.2f} GiB", "< 1.5 GiB" if big else "", memory_ok),
        Row(f"{name}: KPIs agree with DuckDB", agree, "all 24", not problems),
    ]
    return rows, problems


# --------------------------------------------------------------------------- xlsx


def xlsx_file(rows: int = 100_000) -> Path:
    """A work-order sheet of `rows` rows as .xlsx, typed cells (dates, numbers, booleans)."""
    target = generate.DATA / f"xlsx-{rows // 1000}k" / "work_orders.xlsx"
    if target.is_file():
        return target
    import openpyxl
    import pandas as pd

    source = generate.generate("100k") / "work_orders.csv"
    frame = pd.read_csv(source, nrows=rows, dtype=str, keep_default_na=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("work_orders")
    sheet.append(list(frame.columns))
    converters = [_cell_converter(name) for name in frame.columns]
    for values in frame.itertuples(index=False):
        sheet.append([convert(v) for convert, v in zip(converters, values, strict=True)])
    tmp = target.with_suffix(".tmp.xlsx")
    book.save(tmp)
    tmp.replace(target)
    return target


def _cell_converter(name: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from sdkpi.contract import SHEETS

    column = SHEETS["work_orders"].column(name)
    kind = column.type if column else "text"
    if kind in ("datetime", "date"):
        return lambda v: datetime.fromisoformat(v) if v else None
    if kind == "number":
        return lambda v: float(v) if v else None
    if kind == "bool":
        return lambda v: {"true": True, "false": False}.get(v)
    return lambda v: v or None


def xlsx(times: int) -> list[Row]:
    path = xlsx_file()
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "kind, path = sys.argv[1], Path(sys.argv[2])\n"
        "if kind == 'pandas':\n"
        "    import pandas as pd\n"
        "    began = time.perf_counter(); frame = pd.read_excel(path, engine='openpyxl')\n"
        "else:\n"
        "    from sdkpi.loaders import readers, sheets\n"
        "    source = readers.SheetSource('work_orders', path)\n"
        "    began = time.perf_counter(); data, _ = sheets.load_sheet(source, sheets.SheetOptions())\n"
        "    frame = data.frame\n"
        "print(time.perf_counter() - began, len(frame))\n"
    )
    took: dict[str, list[float]] = {"sdkpi": [], "pandas": []}
    for _ in range(times):
        for kind in took:
            result = run([sys.executable, "-c", code, kind, str(path)])
            if result.code != 0:
                raise SystemExit(f"xlsx read ({kind}) failed:\n{result.stderr[-2000:]}")
            seconds, _rows = result.stdout.split()
            took[kind].append(float(seconds))
    ours, theirs = statistics.median(took["sdkpi"]), statistics.median(took["pandas"])
    return [
        Row(f"xlsx {path.parent.name[5:]} rows: sdkpi load (read + typed)", f"{ours:.2f} s", "", None),
        Row("xlsx: pandas read_excel(openpyxl)", f"{theirs:.2f} s", "", None),
        Row("xlsx: speed-up over openpyxl", f"{theirs / ours:.1f}x", ">= 4x", theirs / ours >= 4),
    ]


# --------------------------------------------------------------------------- main


def table(rows: list[Row]) -> str:
    width = max(len(r.what) for r in rows)
    fig = max(len(r.figure) for r in rows)
    lines = [f"{'measure':<{width}}  {'figure':>{fig}}  {'target':<10}  result", "-" * (width + fig + 26)]
    for r in rows:
        verdict = "" if r.ok is None else ("PASS" if r.ok else "FAIL")
        lines.append(f"{r.what:<{width}}  {r.figure:>{fig}}  {r.target:<10}  {verdict}".rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="work orders, e.g. 100k,1M,5M")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the .xlsx read comparison")
    args = parser.parse_args(argv)
    sdkpi = sdkpi_command()
    cache_dir = Path(tempfile.mkdtemp(prefix="sdkpi-bench-cache-"))
    rows: list[Row] = []
    problems: list[str] = []
    try:
        rows += startup(sdkpi, max(5, args.repeat))
        rows += example(sdkpi, cache_dir, args.repeat)
        for name in filter(None, (s.strip() for s in args.sizes.split(","))):
            size_rows, size_problems = size(sdkpi, name, cache_dir, args.repeat)
            rows += size_rows
            problems += size_problems
        if not args.no_xlsx:
            rows += xlsx(max(1, min(args.repeat, 2)))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    cpus = os.cpu_count()
    print(
        f"sdkpi benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.machine()}, {cpus} CPUs, "
        f"Python {platform.python_version()}, {' '.join(sdkpi)}"
    )
    print(table(rows))
    for problem in problems:
        print(f"DISAGREE: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
