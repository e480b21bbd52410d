"""Rebuild this folder: one month of a store, written the way a Chinese DMS exports it.

    python examples/dms-export/regenerate.py

It generates a clean store (examples/generate_example_data.py, May 2024, 60 work
orders), computes its KPIs with sdkpi into `expected-kpis-2024-05.json`, then writes
the same records as a messy export into this folder. tests/test_dms_exports.py checks
that the messy export, read with its `sdkpi-mapping.yaml`, gives exactly those KPIs.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import openpyxl

from sdkpi.api import compute
from sdkpi.contract import SHEETS, Column

HERE = Path(__file__).parent
MONTH = "2024-05"
TODAY = "2030-01-01"
ARGS = ["--work-orders-per-month", "60", "--seed", "7", "--chinese-headers", "work_orders"]
#: headers as this DMS names them; 接待时间 is its own name (the mapping file maps it)
HEADERS = {
    "work_orders": {
        "ro_number": "委托书号",
        "opened_at": "接待时间",
        "vin": "车架号",
        "customer_type": "工单类型",
        "advisor": "服务专员",
        "technician": "主修技师",
        "walkaround": "陪客预检",
        "promised_at": "预交车时间",
        "work_completed_at": "竣工时间",
        "invoiced_at": "出票时间",
        "delivery_explained": "解释结算单",
        "closed_at": "结算时间",
        "labor_hours_sold": "工时数",
        "labor_amount": "工时金额",
        "parts_amount": "材料费",
        "comeback_of": "原工单号",
    },
    "technician_time": {"available_hours": "出勤工时"},
}
#: this DMS's 工单类型 codes (mapped back in sdkpi-mapping.yaml)
CUSTOMER_TYPE_CODES = {"retail": "A", "warranty": "B", "internal": "C"}
FILES = {
    "work_orders": "维修工单明细_2024年5月.csv",  # not a sheet name: the mapping file names it
    "appointments": "客户预约记录表.txt",
    "callbacks": "回访记录.csv",
    "technician_time": "工时记录.xlsx",
    "parts_requests": "领料记录.csv",
    "customer_issues": "客户问题记录.csv",
    "vehicle_sales": "销售工作记录.csv",
    "suggestions": "建议记录.csv",
}


class Writer:
    """Turns clean cells into DMS spellings, cycling through them so every column mixes them."""

    def __init__(self) -> None:
        self.turn = itertools.count()

    def pick(self, *choices: str) -> str:
        return choices[next(self.turn) % len(choices)]

    def cell(self, sheet: str, column: Column | None, text: str) -> str:
        if column is None or text == "":
            return "" if column is None or column.required else self.pick("", "-", "NULL")
        if column.name == "customer_type" and sheet == "work_orders":
            canonical = next(k for k, spelled in column.values.items() if text == k or text in spelled)
            return CUSTOMER_TYPE_CODES[canonical]
        if column.type == "bool":
            value = text in ("true", "是")
            return self.pick("是", "√") if value else self.pick("否", "×")
        if column.type in ("datetime", "date"):
            stamp = datetime.fromisoformat(text)
            clock = "" if column.type == "date" else f" {stamp:%H:%M}"
            return self.pick(
                f"{stamp.year}/{stamp.month}/{stamp.day}{clock}", f"{stamp:%Y年%-m月%-d日}{clock}"
            )
        if column.type == "number":
            return (
                self.pick(f"{float(text):,.2f}", f"¥{float(text):,.2f}")
                if column.name.endswith("amount")
                else text
            )
        if column.type == "enum" and text in column.values:
            return column.values[text][0]
        return text


def headers_of(sheet: str, names: list[str]) -> list[str]:
    out = []
    for name in names:
        column = SHEETS[sheet].column(name) or next(c for c in SHEETS[sheet].columns if c.zh == name)
        out.append(HEADERS.get(sheet, {}).get(column.name, column.zh))
    return out


def columns_of(sheet: str, names: list[str]) -> list[Column]:
    return [SHEETS[sheet].column(n) or next(c for c in SHEETS[sheet].columns if c.zh == n) for n in names]


def write_csv(
    path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",", title: str = ""
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerow([title])
        writer.writerow([])
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_technician_time(path: Path, header: list[str], records: list[list[str]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "工时记录"
    sheet.append(["技师工时统计表 2024年5月"])
    sheet.append([])
    sheet.append(header)
    for date, technician, *hours in records:
        sheet.append([datetime.fromisoformat(date), technician, *(float(h) for h in hours)])
        sheet.cell(sheet.max_row, 1).number_format = "yyyy/m/d"
    totals = [round(sum(float(r[i]) for r in records), 2) for i in (2, 3, 4)]
    sheet.append(["合计", None, *totals])
    book.save(path)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean"
        generator = HERE.parent / "generate_example_data.py"
        subprocess.run(
            [
                sys.executable,
                str(generator),
                "--out",
                str(clean),
                "--start-month",
                MONTH,
                "--months",
                "1",
                *ARGS,
            ],
            check=True,
            capture_output=True,
        )
        result = compute(clean, month=MONTH, today=datetime.fromisoformat(TODAY).date(), cache=False)
        expected = {
            k.id: {"numerator": k.numerator, "denominator": k.denominator, "value": k.value}
            for k in result.kpis
        }
        (HERE / f"expected-kpis-{MONTH}.json").write_text(
            json.dumps(expected, indent=1) + "\n", encoding="utf-8"
        )
        for old in HERE.iterdir():
            if old.name in FILES.values():
                old.unlink()
        writer = Writer()
        for sheet, file_name in FILES.items():
            with (clean / f"{sheet}.csv").open(encoding="utf-8", newline="") as fh:
                names, *records = list(csv.reader(fh))
            columns = columns_of(sheet, names)
            header = headers_of(sheet, names)
            if sheet == "technician_time":
                write_technician_time(HERE / file_name, header, records)
                continue
            rows = [header] + [
                [writer.cell(sheet, c, t) for c, t in zip(columns, r, strict=True)] for r in records
            ]
            if sheet == "work_orders":
                rows[5][header.index("车架号")] = "#N/A"  # an Excel error left in the export: reported
                rows.append(["合计"] + [""] * (len(header) - 1))
                write_csv(
                    HERE / file_name, rows, "gb18030", title="XX汽车服务有限公司 维修工单明细 2024年5月"
                )
            elif sheet == "appointments":
                write_csv(HERE / file_name, rows, "utf-16", delimiter="\t")  # Excel "Unicode text"
            else:
                write_csv(HERE / file_name, rows, "gb18030")


if __name__ == "__main__":
    main()
