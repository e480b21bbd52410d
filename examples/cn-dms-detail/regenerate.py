"""Rebuild this folder: one month of a Chinese DMS's work-order detail report (维修工单明细表).

    python examples/cn-dms-detail/regenerate.py            # rewrites this folder
    python examples/cn-dms-detail/regenerate.py --twin DIR # also keeps the canonical twin

The records come from examples/generate_example_data.py (one store, May 2024, 60 work
orders). The same records are written twice: as the canonical twin (`work_orders.csv`
with only the columns this DMS exports) whose KPIs, computed by sdkpi, are
`expected-kpis-2024-05.json`, and as the export the DMS gives:

* one GB18030 CSV named after the month (`维修工单明细表_2024年5月.csv`), a title and
  a period line above the header, a 合计 row at the end;
* one row per work item (维修项目): a work order's 工时数量, 工时费 and 材料费 are the
  sum of its items; 序号, 车牌号 and 应收金额 are columns no KPI needs;
* headers 维修工单号, 进厂时间, 服务顾问, 维修技师, 工时数量, 结账日期 ...; 结账日期 is a
  date without time; 付费类型 in words (自费/保修/内部), first free services as 首保.

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
ANSWERS = {"首保": "warranty"}
LANG = "zh"  # the language of the drafted comments
MONTH = "2024-05"
TODAY = "2030-01-01"
ARGS = ["--start-month", MONTH, "--months", "1", "--work-orders-per-month", "60", "--seed", "23"]
#: the twin keeps only what this DMS exports
TWIN_COLUMNS = (
    "ro_number",
    "opened_at",
    "vin",
    "customer_type",
    "advisor",
    "technician",
    "appointment_id",
    "promised_at",
    "work_completed_at",
    "closed_at",
    "labor_hours_sold",
    "labor_amount",
    "parts_amount",
)
HEADER = [
    "序号",
    "维修工单号",
    "进厂时间",
    "车牌号",
    "车架号",
    "付费类型",
    "服务顾问",
    "维修技师",
    "预约单号",
    "预计交车时间",
    "完工时间",
    "结账日期",
    "维修项目",
    "工时数量",
    "工时费",
    "材料费",
    "应收金额",
]
NAME = "维修工单明细表_2024年5月.csv"
PAY_TYPES = {"retail": "自费", "warranty": "保修", "internal": "内部"}
ADVISORS = {"SA01": "王丽", "SA02": "陈刚", "SA03": "刘洋"}
TECHNICIANS = {"T01": "张伟", "T02": "李强", "T03": "赵磊", "T04": "孙杰", "T05": "周斌"}
ITEMS = [
    "常规保养",
    "更换机油机滤",
    "四轮定位",
    "更换刹车片",
    "空调检修",
    "故障诊断",
    "轮胎换位",
    "更换蓄电池",
]
PLATES = "粤B京A沪C苏E浙A"


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
        record["ro_number"] = record["ro_number"].replace("RO", "WX202405")  # this DMS's numbers
        record["advisor"] = ADVISORS.get(record["advisor"], record["advisor"])
        record["technician"] = TECHNICIANS.get(record["technician"], record["technician"])
        record["closed_at"] = record["closed_at"][:10]  # this DMS keeps the settlement date only
    return records


def write_twin(records: list[dict[str, str]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "work_orders.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TWIN_COLUMNS)
        writer.writerows([record[c] for c in TWIN_COLUMNS] for record in records)


def items_of(record: dict[str, str], rng: random.Random, first: int) -> list[list[str]]:
    """One row per work item; hours and amounts split so that they sum to the order's."""
    count = rng.choice((1, 2, 2, 3))
    tenths = split(round(float(record["labor_hours_sold"] or 0) * 10), count, rng)
    labor = prorate(round(float(record["labor_amount"] or 0) * 100), tenths)
    parts = split(round(float(record["parts_amount"] or 0) * 100), count, rng)
    pay = PAY_TYPES[record["customer_type"]]
    if pay == "保修" and rng.random() < 0.4:
        pay = "首保"  # the manufacturer's free first service: this DMS's own word
    plate = PLATES[2 * (first % 5) : 2 * (first % 5) + 2] + f"{rng.randint(10000, 99999)}"
    rows = []
    for i, item in enumerate(rng.sample(ITEMS, count)):
        rows.append(
            [
                str(first + i),
                record["ro_number"],
                record["opened_at"],
                plate,
                record["vin"],
                pay,
                record["advisor"],
                record["technician"],
                record["appointment_id"],
                record["promised_at"],
                record["work_completed_at"],
                record["closed_at"],
                item,
                f"{tenths[i] / 10:.1f}",
                f"{labor[i] / 100:.2f}",
                f"{parts[i] / 100:.2f}",
                f"{(labor[i] + parts[i]) / 100:.2f}",
            ]
        )
    return rows


def write_export(records: list[dict[str, str]], folder: Path) -> None:
    rng = random.Random(20240531)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["华南汽车销售服务有限公司 维修工单明细表"])
    writer.writerow(["统计期间：2024-05-01 至 2024-05-31"])
    writer.writerow(HEADER)
    rows: list[list[str]] = []
    for record in records:
        rows.extend(items_of(record, rng, len(rows) + 1))
    writer.writerows(rows)
    total = [f"{sum(float(r[i]) for r in rows):.2f}" for i in (13, 14, 15, 16)]
    writer.writerow(["合计", *[""] * 12, *total])
    (folder / NAME).write_bytes(buffer.getvalue().encode("gb18030"))


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
        write_export(records, args.out)
        write_mapping(args.out)


if __name__ == "__main__":
    main()
