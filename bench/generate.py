#!/usr/bin/env python3
"""Seeded benchmark data in the data contract, at any size.

    python bench/generate.py --sizes 100k,1M,5M      # -> bench/data/100k/, bench/data/1M/, ...

A size is the number of work orders across the files; the other seven sheets
grow in proportion (the example generator's model: appointments, parts lines,
callbacks... per work order). The layout is a dealer group / OEM region: twelve
months (2024-01 .. 2024-12) of stores doing about 1,000 work orders a month
each, all stores in one CSV file per sheet with a `store` column. The data
itself comes from `examples/generate_example_data.py` (imported, not copied),
so the benchmark reads the same realistic shapes as the examples.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
START_MONTH = "2024-01"
MONTHS = 12
BENCH_MONTH = "2024-06"  # the month the benchmark computes: closed, with a full month after it
ORDERS_PER_STORE_MONTH = 1000
SEED = 20240601


def example_generator() -> ModuleType:
    """`examples/generate_example_data.py` as a module (examples/ is not a package)."""
    path = REPO / "examples" / "generate_example_data.py"
    spec = importlib.util.spec_from_file_location("generate_example_data", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_example_data", module)
    spec.loader.exec_module(module)
    return module


def parse_size(text: str) -> int:
    """'100k' -> 100_000, '1M' -> 1_000_000, '2.5M', '300000'."""
    text = text.strip()
    factor = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor != 1 else text
    try:
        value = round(float(number) * factor)
    except ValueError:
        raise SystemExit(f"not a size: {text!r} (say 100k, 1M, 2.5M or 300000)") from None
    if value < MONTHS:
        raise SystemExit(f"size {text!r} is too small: at least {MONTHS} work orders")
    return value


def layout(work_orders: int) -> tuple[int, int]:
    """(stores, work orders per store and month) giving about `work_orders` in total."""
    stores = max(1, round(work_orders / (MONTHS * ORDERS_PER_STORE_MONTH)))
    return stores, max(1, math.ceil(work_orders / (MONTHS * stores)))


def folder_for(size: str) -> Path:
    return DATA / size


def generate(size: str, *, force: bool = False, quiet: bool = False) -> Path:
    """Write the eight sheets for `size` into bench/data/<size>/ (kept if already there)."""
    out = folder_for(size)
    marker = out / ".complete"
    if marker.is_file() and not force:
        return out
    stores, per_month = layout(parse_size(size))
    began = time.perf_counter()
    for stale in out.glob("*.csv"):
        stale.unlink()
    example_generator().generate(
        out,
        start_month=START_MONTH,
        months=MONTHS,
        work_orders_per_month=per_month,
        stores=[f"store-{i + 1:03d}" for i in range(stores)] if stores > 1 else None,
        seed=SEED,
    )
    marker.write_text(f"{stores} stores x {MONTHS} months x {per_month} work orders\n")
    if not quiet:
        took = time.perf_counter() - began
        print(f"bench data {size}: {stores * MONTHS * per_month:,} work orders in {out} ({took:.1f}s)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seeded benchmark data (CSV, data contract).")
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated sizes, e.g. 100k,1M,5M")
    parser.add_argument("--force", action="store_true", help="regenerate even if the folder exists")
    args = parser.parse_args(argv)
    for size in filter(None, (s.strip() for s in args.sizes.split(","))):
        generate(size, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
