"""Rebuild this folder: one month of a US store's DMS "labor operation detail" report.

    python examples/us-line-level/regenerate.py            # rewrites this folder
    python examples/us-line-level/regenerate.py --twin DIR # also keeps the canonical twin

The records come from examples/generate_example_data.py (one store, May 2024, 60 work
orders). The same records are written twice: as the canonical twin (`work_orders.csv`
with only the columns this DMS exports) whose KPIs, computed by sdkpi, are
`expected-kpis-2024-05.json`, and as the export a US dealer actually gets:

* two files for the month (`RO_DETAIL_2024-05-01_2024-05-15.csv`, `..._16_..._31.csv`,
  by RO date), each with a two-line banner above the header;
* the header repeated every 20 lines (page headers), `History` sub-rows with no RO#;
* one row per labor line: an RO's hours and sales are the sum of its lines;
* RO date and RO time in two columns, US dates (05/13/2024), the close date without time;
* pay types C / W / I, two `Gross` columns nobody needs, no promised time at all.

tests/test_real_examples.py checks that the export, read with its `sdkpi-mapping.yaml`,
gives exactly the twin's KPIs, and that `sdkpi map` drafts that mapping.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import random
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).parent
#: the answers to the TODOs of the draft `sdkpi map` writes (what the dealer knows)
ANSWERS = {"C": "retail", "W": "warranty", "I": "internal"}
LANG = "en"  # the language of the drafted comments
MONTH = "2024-05"
TODAY = "2030-01-01"
ARGS = ["--start-month", MONTH, "--months", "1", "--work-orders-per-month", "60", "--seed", "11"]
#: the twin keeps only what this DMS exports (no promised time, no process flags)
TWIN_COLUMNS = (
    "ro_number",
    "opened_at",
    "closed_at",
    "advisor",
    "technician",
    "customer_type",
    "customer_id",
    "vin",
    "appointment_id",
    "labor_hours_sold",
    "labor_amount",
    "parts_amount",
)
HEADER = [
    "RO#",
    "RO Date",
    "RO Time",
    "Close Date",
    "Advisor",
    "Tech",
    "Pay Type",
    "Customer #",
    "VIN",
    "Appt #",
    "Op Code",
    "Op Description",
    "Labor Hours",
    "Labor Sale",
    "Parts Sale",
    "Gross",
    "Gross",
]
PAY_TYPES = {"retail": "C", "warranty": "W", "internal": "I"}
ADVISORS = {"SA01": "Mike Johnson", "SA02": "Sarah Lee", "SA03": "Dave Ortiz"}
OPERATIONS = [
    ("01LOF", "LUBE OIL FILTER"),
    ("02ROT", "ROTATE TIRES"),
    ("05BRK", "FRONT BRAKE PADS"),
    ("07ALN", "FOUR WHEEL ALIGNMENT"),
    ("12DIAG", "DIAGNOSE CHECK ENGINE LIGHT"),
    ("15BATT", "REPLACE BATTERY"),
    ("22MPI", "MULTI POINT INSPECTION"),
    ("30AC", "A/C PERFORMANCE CHECK"),
]
FILES = {
    "RO_DETAIL_2024-05-01_2024-05-15.csv": (1, 15),
    "RO_DETAIL_2024-05-16_2024-05-31.csv": (16, 31),
}
PAGE_LINES = 20


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` (in cents or tenths) in `parts` non-negative integers that sum to it."""
    if parts == 1 or total == 0:
        return [total] + [0] * (parts - 1)
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def prorate(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (all on the first part if they are all 0)."""
    if not sum(weights):
        return [total] + [0] * (len(weights) - 1)
    marks, running = [0], 0
    for weight in weights:
        running += weight
        marks.append(round(total * running / sum(weights)))
    return [b - a for a, b in itertools.pairwise(marks)]


def clean_store(out: Path) -> list[dict[str, str]]:
    generator = HERE.parent / "generate_example_data.py"
    subprocess.run(
        [sys.executable, str(generator), "--out", str(out), *ARGS], check=True, capture_output=True
    )
    with (out / "work_orders.csv").open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    for record in records:
        record["advisor"] = ADVISORS.get(record["advisor"], record["advisor"])
        record["technician"] = "1" + record["technician"].removeprefix("T").zfill(3)  # tech numbers
        record["closed_at"] = record["closed_at"][:10]  # this DMS keeps the close date only
    return records


def write_twin(records: list[dict[str, str]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "work_orders.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TWIN_COLUMNS)
        writer.writerows([record[c] for c in TWIN_COLUMNS] for record in records)


def us_date(text: str) -> str:
    return f"{datetime.fromisoformat(text):%m/%d/%Y}" if text else ""


def lines_of(record: dict[str, str], rng: random.Random) -> list[list[str]]:
    """One row per labor line; hours and sales split so that they sum to the RO's."""
    count = rng.choice((1, 1, 2, 2, 3, 4))
    tenths = split(round(float(record["labor_hours_sold"] or 0) * 10), count, rng)
    labor = prorate(round(float(record["labor_amount"] or 0) * 100), tenths)
    parts = split(round(float(record["parts_amount"] or 0) * 100), count, rng)
    opened = datetime.fromisoformat(record["opened_at"])
    rows = []
    for i, op in enumerate(rng.sample(OPERATIONS, count)):
        rows.append(
            [
                record["ro_number"],
                f"{opened:%m/%d/%Y}",
                f"{opened:%H:%M}",
                us_date(record["closed_at"]),
                record["advisor"],
                record["technician"],
                PAY_TYPES[record["customer_type"]],
                record["customer_id"],
                record["vin"],
                record["appointment_id"],
                op[0],
                op[1],
                f"{tenths[i] / 10:.1f}",
                f"{labor[i] / 100:.2f}",
                f"{parts[i] / 100:.2f}",
                f"{labor[i] * 0.71 / 100:.2f}",  # labor gross
                f"{parts[i] * 0.38 / 100:.2f}",  # parts gross
            ]
        )
    return rows


def write_export(records: list[dict[str, str]], folder: Path) -> None:
    rng = random.Random(20240531)
    for name, (first, last) in FILES.items():
        chosen = [r for r in records if first <= datetime.fromisoformat(r["opened_at"]).day <= last]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["SUNRISE MOTORS - SERVICE LABOR OPERATION DETAIL"])
        writer.writerow([f"Report period: 05/{first:02d}/2024 - 05/{last:02d}/2024"])
        writer.writerow([])
        writer.writerow(HEADER)
        written = 0
        for record in chosen:
            for row in lines_of(record, rng):
                if written and written % PAGE_LINES == 0:
                    writer.writerow([])
                    writer.writerow(HEADER)  # the next page's header
                writer.writerow(row)
                written += 1
            if rng.random() < 0.15:  # a history sub-row: no RO#, only a note
                history = [""] * len(HEADER)
                history[HEADER.index("Op Description")] = "  History: last visit 11/2023, LOF"
                writer.writerow(history)
                written += 1
        (folder / name).write_bytes(buffer.getvalue().encode("utf-8"))


def write_mapping(folder: Path) -> None:
    """The finished mapping: what `sdkpi map` drafts, with its TODOs answered."""
    from sdkpi.mapdraft import draft_mapping, render_yaml
    from sdkpi.mapdraft.render import answer_todos

    draft = render_yaml(draft_mapping(folder), LANG, shown_folder=f"examples/{HERE.name}")
    (folder / "sdkpi-mapping.yaml").write_text(answer_todos(draft, ANSWERS), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: this one)")
    parser.add_argument("--twin", type=Path, help="also write the canonical twin here")
    args = parser.parse_args()
    from sdkpi.api import compute

    with tempfile.TemporaryDirectory() as tmp:
        records = clean_store(Path(tmp) / "clean")
        twin = args.twin or Path(tmp) / "twin"
        write_twin(records, twin)
        result = compute(twin, month=MONTH, today=datetime.fromisoformat(TODAY).date(), cache=False)
        expected = {
            k.id: {
                "numerator": k.numerator,
                "denominator": k.denominator,
                "value": k.value,
                "status": k.status,
            }
            for k in result.kpis
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"expected-kpis-{MONTH}.json").write_text(
            json.dumps(expected, indent=1) + "\n", encoding="utf-8"
        )
        for old in args.out.glob("RO_DETAIL_*.csv"):
            old.unlink()
        write_export(records, args.out)
        write_mapping(args.out)


if __name__ == "__main__":
    main()
