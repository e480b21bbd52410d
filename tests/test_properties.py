"""Property-based tests (hypothesis): arbitrary input never crashes sdkpi.

- the expression parser on any text: a tree or an `ExpressionError`, nothing else;
- `parse_column` on any cell values of any column type: values or reported problems,
  and a non-empty cell never turns into a silent blank;
- the CSV and workbook readers on any bytes: a raw sheet or an `InputError`;
- the engine on random typed rows: count ratios in 0..1 with numerator <= denominator,
  row order irrelevant, stores add up to the group, an empty sheet is "no data".
"""

from __future__ import annotations

import io
import json
import math
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st

from conftest import TODAY, dataset
from sdkpi import expr as ex
from sdkpi.contract import SHEETS
from sdkpi.definitions import Definitions, load_definitions
from sdkpi.engine import Engine
from sdkpi.errors import ExpressionError, InputError
from sdkpi.evaluate import infer
from sdkpi.loaders import readers, values
from sdkpi.loaders.sheets import SheetOptions, expected_headers, load_sheet
from sdkpi.render.json_out import to_json
from sdkpi.results import Period
from sdkpi.speed.fast_lane import SpeedLane

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINE = settings(FAST, max_examples=40)  # each example computes all 24 KPIs two or three times
DEFINITIONS: Definitions = load_definitions()

# --------------------------------------------------------------------------- expressions

KINDS = {
    "menu_priced": "bool",
    "customer_type": "text",
    "labor_hours_sold": "number",
    "promised_at": "datetime",
}
TOKENS = [
    *KINDS, "(", ")", "[", "]", ",", "and", "or", "not", "is", "null", "in", "between", "true", "false",
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "1", "2.5", "1e3", "'x'", '"y"', "30min", "24h",
    "named_by", "`menu_priced`", "__import__", ".", "@", "**", "=", ":", "lambda", "\x00", "\u202e", "9" * 30,
]  # fmt: skip
token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)


def _parse_or_refuse(text: str) -> None:
    try:
        node = ex.parse(text)
        kind = infer(node, KINDS)
    except ExpressionError as err:
        assert err.message
        return
    assert kind in ("bool", "number", "text", "datetime", "duration", "null")
    assert ex.parse(ex.to_text(node)) == node, "an accepted expression must print back as itself"


@FAST
@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_cleanly(text: str) -> None:
    _parse_or_refuse(text)


@FAST
@given(token_soup)
def test_any_token_sequence_is_parsed_or_refused_cleanly(text: str) -> None:
    _parse_or_refuse(text)


# --------------------------------------------------------------------------- cell values

TRICKY_TEXT = [
    "", " ", "-", "NULL", "null", "#N/A", "#DIV/0!", "NA", "nan", "inf", "-inf", "1e400", "-0", "0012",
    "1,234.5", "¥1,234", "１２３", "1.23457E+15", "2024-05-03 14:20", "2024/5/3 14:20", "2024-05-03T14:20",
    "2024年5月3日", "03/01/2024", "2024-02-30", "9999-12-31", "1600-01-01", "14:20", "true", "是", "√", "×",
    "yes", "Y", "2", "合计", "=1+1", "+1", "@SUM(A1)", "\x00", "\u202e", "\ufeff1", "１,２３４", "$12",
    "1.5E3", "自费", "保修", "内部", "retail", values.UNCALCULATED, "\u3000", "12:00:00 AM", "45000", "1 234",
]  # fmt: skip
EXCEL_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),  # xlsx cannot hold NaN/inf
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.dates(),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-(10**6)), max_value=timedelta(days=10**6)),
)
TEXT_CELLS = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=20))
ENUM = {"retail": ("自费", "零售"), "warranty": ("保修",), "internal": ("内部",)}


def _missing(value: Any) -> bool:
    return (
        value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT
    )


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() in values.SILENT_MISSING)


@FAST
@given(
    ctype=st.sampled_from(["text", "number", "bool", "datetime", "date", "enum"]),
    excel=st.booleans(),
    data=st.data(),
)
def test_any_cells_parse_or_are_reported(ctype: str, excel: bool, data: st.DataObject) -> None:
    cells = data.draw(st.lists(st.one_of(TEXT_CELLS, EXCEL_CELLS) if excel else TEXT_CELLS, max_size=25))
    raw = pd.Series(cells, dtype=object)
    enum = ENUM if ctype == "enum" else None
    order = data.draw(st.sampled_from([None, "dmy", "mdy"]))
    parsed = values.parse_column(raw, ctype, enum_values=enum, excel=excel, date_order=order)  # type: ignore[arg-type]
    assert len(parsed.values) == len(parsed.bad) == len(cells)
    reported = {p.pos for p in parsed.problems}
    assert all(0 <= pos < len(cells) for pos in reported)
    for pos, (cell, value, bad) in enumerate(zip(cells, parsed.values, parsed.bad, strict=True)):
        if bad:
            assert _missing(value) and pos in reported, f"bad cell {cell!r} must be missing and reported"
        elif _missing(value) and not _blank(cell) and not (ctype == "text" and cell == ""):
            assert pos in reported, f"{cell!r} became a blank {ctype} without a word"


# --------------------------------------------------------------------------- readers

WO_HEADERS = expected_headers(SHEETS["work_orders"])


def _read(content: bytes, name: str) -> readers.RawSheet | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        source = readers.SheetSource("work_orders", path)
        try:
            raw = readers.read_sheet(source, expected_headers=set(WO_HEADERS))
            load_sheet(source, SheetOptions(), lane=SpeedLane())  # and the typed layer on top
        except InputError as err:
            assert err.message and err.exit_code == 3
            return None
    assert len(raw.row_numbers) == len(raw.data)
    return raw


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_as_csv_load_or_raise_input_error(content: bytes) -> None:
    _read(content, "work_orders.csv")


CSV_CELL = st.one_of(
    st.sampled_from([*TRICKY_TEXT, '"', '""', "a,b", "a\nb", '"a\nb"', "\r"]), st.text(max_size=8)
)


@FAST
@given(
    rows=st.lists(st.lists(CSV_CELL, min_size=0, max_size=6), max_size=8),
    delimiter=st.sampled_from([",", "\t", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    banner=st.booleans(),
)
def test_csv_like_text_loads_or_raises_input_error(
    rows: list[list[str]], delimiter: str, encoding: str, banner: bool
) -> None:
    header = ["ro_number", "opened_at", "工单号", "advisor", "menu_priced", ""]
    lines = ([delimiter.join(["维修工单报表"])] if banner else []) + [delimiter.join(header)]
    lines += [delimiter.join(row) for row in rows]
    try:
        content = "\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        assume(False)
        return
    _read(content, "work_orders.csv")


def _small_workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "work_orders"
    sheet.append(["ro_number", "opened_at", "advisor", "menu_priced", "labor_hours_sold"])
    sheet.append(["RO1", datetime(2024, 5, 3, 9), "王", True, 2.5])
    sheet.append(["RO2", "2024-05-04", "李", "否", "=1+1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORKBOOK = _small_workbook()


def test_the_unmutated_workbook_loads() -> None:
    raw = _read(WORKBOOK, "work_orders.xlsx")
    assert raw is not None and len(raw.data) == 2


@FAST
@given(
    flips=st.lists(st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, len(WORKBOOK))),
)
def test_damaged_workbooks_load_or_raise_input_error(flips: list[tuple[int, int]], cut: int | None) -> None:
    content = bytearray(WORKBOOK)
    for pos, byte in flips:
        content[pos] = byte
    _read(bytes(content[:cut]), "work_orders.xlsx")


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_named_xlsx_raise_input_error(content: bytes) -> None:
    assume(not content.startswith(b"PK"))
    raw = _read(content, "work_orders.xlsx")
    assert raw is None or len(raw.data) == 0  # only an empty file "loads" (as an empty sheet)


# --------------------------------------------------------------------------- engine invariants

MAY = Period.month("2024-05")
# hours as timesheets hold them: 0, or at least a hundredth (1e-300 hours would make a ratio
# overflow to "no data" in one store and not in the group: see test_absurd_figures_are_no_data)
HOURS = st.one_of(st.just(0.0), st.floats(0.01, 24))
STORES = ("north", "south")
maybe_bool = st.sampled_from([True, False, None])


def _later(start: datetime, hours: int) -> str:
    return (start + timedelta(hours=hours)).isoformat()


@st.composite
def work_orders(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 15))
    rows = []
    for i in range(n):
        store = draw(st.sampled_from(STORES))
        opened = datetime(2024, 4, 25) + timedelta(hours=draw(st.integers(0, 24 * 45)))
        same_store = [r["ro_number"] for r in rows if r["store"] == store]
        rows.append(
            {
                "ro_number": f"{store}-{i}",
                "store": store,
                "opened_at": opened.isoformat(),
                "customer_id": f"{store}-c{draw(st.integers(0, 5))}",
                "customer_type": draw(st.sampled_from(["retail", "warranty", "internal", None])),
                "advisor": f"{store}-{draw(st.sampled_from(['王', '李', None]))}",
                "technician": draw(st.sampled_from(["T1", "T2", None])),
                "appointment_id": draw(st.sampled_from([None, f"A{i}"])),
                **{
                    col: draw(maybe_bool)
                    for col in ("pre_inspected", "pre_inspection_form", "walkaround", "menu_priced")
                },
                "parts_prepicked_on_time": draw(maybe_bool),
                "delivery_explained": draw(maybe_bool),
                **{
                    col: draw(st.sampled_from([None, _later(opened, draw(st.integers(-5, 200)))]))
                    for col in (
                        "promised_at",
                        "work_completed_at",
                        "invoiced_at",
                        "delivered_at",
                        "closed_at",
                    )
                },
                "labor_hours_sold": draw(st.one_of(st.none(), HOURS)),
                "labor_amount": draw(st.one_of(st.none(), st.floats(0, 5000))),
                "parts_amount": draw(st.one_of(st.none(), st.floats(0, 5000))),
                "comeback_of": draw(st.sampled_from([None, *same_store[-3:]])),
            }
        )
    return rows


@st.composite
def technician_days(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        {
            "date": (date(2024, 5, 1) + timedelta(days=draw(st.integers(-3, 33)))).isoformat(),
            "technician": draw(st.sampled_from(["T1", "T2"])),
            "store": draw(st.sampled_from(STORES)),
            **{c: draw(st.one_of(st.none(), HOURS)) for c in ("available_hours", "clocked_hours")},
            "sold_hours": draw(st.one_of(st.none(), HOURS)),
        }
        for _ in range(draw(st.integers(0, 12)))
    ]


def _compute(sheets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    result = Engine(DEFINITIONS, dataset(**sheets)).compute(MAY, today=TODAY)
    json.loads(to_json(result))  # strict JSON (no NaN/Infinity) whatever the rows
    return {k.id: k for k in result.kpis}


def _key(k: Any) -> tuple[Any, ...]:
    """Counts exactly; sums to 12 significant digits (they are added in file order, so the
    last bit of a float sum may differ when the rows come in another order)."""
    return (
        k.status,
        *(None if v is None else float(f"{v:.12g}") for v in (k.value, k.numerator, k.denominator)),
    )


@ENGINE
@given(wo=work_orders(), tt=technician_days(), seed=st.integers(0, 2**32 - 1))
def test_engine_invariants_on_random_rows(
    wo: list[dict[str, Any]], tt: list[dict[str, Any]], seed: int
) -> None:
    results = _compute({"work_orders": wo, "technician_time": tt})
    for kpi_id, k in results.items():
        if k.value is None:
            assert k.status == "no_data", kpi_id
            continue
        assert math.isfinite(k.value) and k.denominator != 0, kpi_id
        if DEFINITIONS.kpi(kpi_id).is_count_ratio:
            assert 0 <= k.numerator <= k.denominator, kpi_id
            assert 0.0 <= k.value <= 1.0, kpi_id
    rng = random.Random(seed)
    shuffled = {"work_orders": rng.sample(wo, len(wo)), "technician_time": rng.sample(tt, len(tt))}
    again = _compute(shuffled)
    assert {i: _key(k) for i, k in again.items()} == {i: _key(k) for i, k in results.items()}


@ENGINE
@given(wo=work_orders(), tt=technician_days())
def test_stores_add_up_to_the_group(wo: list[dict[str, Any]], tt: list[dict[str, Any]]) -> None:
    from sdkpi.loaders.group import select_store

    data = dataset(work_orders=wo, technician_time=tt)
    assume(any(r["store"] == STORES[0] for r in wo) and any(r["store"] == STORES[1] for r in wo))
    whole = {k.id: k for k in Engine(DEFINITIONS, data).compute(MAY, today=TODAY).kpis}
    parts = [
        {k.id: k for k in Engine(DEFINITIONS, select_store(data, s)).compute(MAY, today=TODAY).kpis}
        for s in STORES
    ]
    for kpi in DEFINITIONS.kpis:
        if kpi.sheet not in ("work_orders", "technician_time") or "count_distinct" in (
            kpi.numerator.measure,
            kpi.denominator.measure,
        ):
            continue  # a distinct count of the group is not the sum of the stores' distinct counts
        for side in ("numerator", "denominator"):
            total = getattr(whole[kpi.id], side)
            assert total == pytest.approx(sum(getattr(p[kpi.id], side) for p in parts)), (kpi.id, side)


@pytest.mark.parametrize(
    ("clocked", "sold"),
    [([5e-324], [1.0]), ([1.0], [1e308, 1e308]), ([1e308, 1e308], [1.0])],
    ids=["1 / 5e-324", "sum overflows", "denominator overflows"],
)
def test_absurd_figures_are_no_data_and_json_stays_valid(clocked: list[float], sold: list[float]) -> None:
    rows = [{"date": "2024-05-02", "technician": "T1", "clocked_hours": c} for c in clocked]
    rows += [{"date": "2024-05-03", "technician": "T1", "sold_hours": h} for h in sold]
    efficiency = _compute({"technician_time": rows})["efficiency"]
    assert (efficiency.status, efficiency.value) == ("no_data", None)
    assert "out of range" in efficiency.reason
    assert math.isfinite(efficiency.numerator) and math.isfinite(efficiency.denominator)


@pytest.mark.parametrize("sheet", ["work_orders", "technician_time"])
def test_an_empty_sheet_is_no_data_never_zero(sheet: str) -> None:
    results = _compute({sheet: []})
    on_sheet = [k for k in results.values() if k.sheet == sheet]
    assert on_sheet
    for k in on_sheet:
        assert (k.status, k.value, k.denominator) == ("no_data", None, 0), k.id


def test_the_generators_reach_computed_values() -> None:
    """Guard against vacuous properties: the generated rows do produce met and missed KPIs."""

    def computed(rows: list[dict[str, Any]]) -> bool:
        statuses = {k.status for k in _compute({"work_orders": rows}).values()}
        return {"met", "missed"} <= statuses

    assert computed(find(work_orders(), computed, settings=settings(max_examples=300, deadline=None)))


# --------------------------------------------------------------------------- outputs


@FAST
@given(
    st.text(alphabet=st.sampled_from("=+-@\t\r 0123456789.eE,|'\"!abc（＝"), max_size=12)
    | st.text(max_size=12)
)
def test_csv_cells_are_inert_for_any_text(cell: str) -> None:
    from sdkpi.render.why import inert

    out = inert(cell)
    assert out in (cell, "'" + cell)  # only ever a quote in front, the text itself kept
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(out)  # left alone only when a spreadsheet reads it as a plain number
