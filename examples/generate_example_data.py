#!/usr/bin/env python3
"""Seeded, realistic example data for sdkpi: the eight DMS record sheets as CSV.

Standalone (stdlib + numpy only) and importable::

    python examples/generate_example_data.py --out DIR --months 6 \\
        --work-orders-per-month 300 --stores A,B --seed 42

    from generate_example_data import generate  # with examples/ on sys.path
    generate(Path("out"), months=3, stores=["A", "B"])

Everything is vectorised with numpy and the CSV text is assembled as bytes
(fixed-width fields whose NUL padding is dropped), so a million work orders
take seconds, not minutes. The same arguments give the same bytes (with the same
numpy version).

The model, per store and month (``t`` runs 0 -> 1 over the months, so most
processes improve a little month by month):

* work orders: exactly ``work_orders_per_month`` per store and month, 60%
  retail / 30% warranty / 10% internal, busier on Mondays and Saturdays, about
  half from appointments; promised the same or the next day; most finished
  at least 30 minutes early, some just in time, some late; invoice, delivery,
  and settlement follow (warranty and internal orders settle days later, some
  stay open); 3-5% are comebacks naming an earlier order of the same vehicle.
* appointments: booked hours or days ahead, reminder calls mostly the day
  before within 12-24 h, about 7% no-shows, arrivals a few minutes either side.
* parts requests: one request of 1-3 part lines per order with parts, ~90%
  issued from stock; a few workshop-consumable requests without an order.
* technician time: Mon-Sat, one row per technician and working day.
* callbacks: one per closed retail/warranty order, due 3 days after delivery.
* customer issues, new-car sales and weekly suggestion reviews at a rate
  proportional to the store's volume.

All dates end at the end of the last month (the "export date"): anything
that would happen later is left empty, so recent orders are still open.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import BinaryIO

import numpy as np

# --------------------------------------------------------------------------------------
# The contract (copied from sdkpi.contract so that this script runs on its own; the
# test checks the two agree).

SHEET_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "appointments": (
        ("appointment_id", "预约单号"),
        ("customer_id", "客户编号"),
        ("plate", "车牌号"),
        ("booked_at", "登记时间"),
        ("appointment_time", "预约到店时间"),
        ("reminded_at", "提醒时间"),
        ("arrived_at", "实际到店时间"),
        ("ro_number", "工单号"),
    ),
    "work_orders": (
        ("ro_number", "工单号"),
        ("opened_at", "开单时间"),
        ("customer_id", "客户编号"),
        ("vin", "VIN"),
        ("customer_type", "客户类型"),
        ("advisor", "服务顾问"),
        ("technician", "维修技师"),
        ("appointment_id", "预约单号"),
        ("pre_inspected", "是否预检"),
        ("pre_inspection_form", "使用预检表"),
        ("walkaround", "互动预检"),
        ("menu_priced", "目录报价"),
        ("parts_prepicked_on_time", "零件预拣及时"),
        ("promised_at", "约定交车时间"),
        ("work_completed_at", "完工时间"),
        ("invoiced_at", "终检出票时间"),
        ("delivered_at", "交车时间"),
        ("delivery_explained", "交车解释"),
        ("closed_at", "结账时间"),
        ("labor_hours_sold", "销售工时"),
        ("labor_amount", "工时费"),
        ("parts_amount", "零件金额"),
        ("comeback_of", "返修原工单号"),
    ),
    "parts_requests": (
        ("request_id", "领料单号"),
        ("ro_number", "工单号"),
        ("part_number", "零件编号"),
        ("requested_at", "申领时间"),
        ("quantity", "数量"),
        ("filled_immediately", "即时供应"),
    ),
    "technician_time": (
        ("date", "日期"),
        ("technician", "技师"),
        ("available_hours", "可用工时"),
        ("clocked_hours", "打卡工时"),
        ("sold_hours", "销售工时"),
    ),
    "callbacks": (
        ("callback_id", "回访编号"),
        ("ro_number", "工单号"),
        ("customer_id", "客户编号"),
        ("due_at", "应回访日期"),
        ("called_at", "回访时间"),
        ("result", "回访结果"),
        ("satisfied", "是否满意"),
    ),
    "customer_issues": (
        ("issue_id", "问题编号"),
        ("customer_id", "客户编号"),
        ("ro_number", "工单号"),
        ("raised_at", "提出时间"),
        ("fault", "故障描述"),
        ("resolved", "已解决"),
        ("resolved_at", "解决时间"),
    ),
    "vehicle_sales": (
        ("vin", "VIN"),
        ("customer_id", "客户编号"),
        ("salesperson", "销售顾问"),
        ("delivered_at", "交车日期"),
        ("introduced_to_service", "介绍服务部门"),
        ("first_service_contact_at", "首次服务联系时间"),
    ),
    "suggestions": (
        ("suggestion_id", "建议编号"),
        ("department", "部门"),
        ("reviewed_at", "复查日期"),
        ("should_implement", "应执行"),
        ("implemented", "已执行"),
    ),
}
SHEETS = tuple(SHEET_COLUMNS)
STORE_COLUMN = ("store", "门店")
# the first Chinese file name the contract accepts for each sheet
CHINESE_FILE_NAMES = {
    "appointments": "客户预约记录表",
    "work_orders": "维修工单",
    "parts_requests": "零件部报表",
    "technician_time": "工时记录",
    "callbacks": "回访记录",
    "customer_issues": "客户问题记录",
    "vehicle_sales": "销售工作记录",
    "suggestions": "建议记录",
}

CUSTOMER_TYPES = (("retail", "自费"), ("warranty", "保修"), ("internal", "内部"))
RETAIL, WARRANTY, INTERNAL = 0, 1, 2
CALLBACK_RESULTS = (
    ("reached", "成功"),
    ("voicemail", "留言"),
    ("letter", "信件"),
    ("no_answer", "未接通"),
    ("refused", "拒访"),
)
FAULTS = (
    "底盘异响",
    "刹车异响",
    "发动机故障灯亮",
    "空调不制冷",
    "空调有异味",
    "方向盘跑偏",
    "发动机漏油",
    "变速箱换挡顿挫",
    "电瓶亏电",
    "轮胎异常磨损",
    "车漆划伤",
    "车辆清洁不到位",
    "多媒体屏死机",
    "胎压报警",
    "雨刮异响",
    "油耗偏高",
    "等待时间过长",
    "结算金额有异议",
    "维修后问题复现",
    "预约未按时接车",
)
DEPARTMENTS = ("车间", "零件", "服务接待", "客服", "质检", "洗车")

MISSING = -1  # times are minutes since 1970-01-01 00:00; -1 = empty cell
DAY = 1440
HOUR = 60


# --------------------------------------------------------------------------------------
# Byte-level CSV columns. A column renders a slice of its rows as uint8 blocks of shape
# (rows, width); NUL bytes are padding and are dropped when the row text is assembled.


def _quote(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _const_block(b: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(b, dtype=np.uint8), (n, len(b)))


# _DIGIT_TABLES[w][i] = the w ASCII digits of i, zero-padded (w = 1..4)
_DIGIT_TABLES = {
    w: np.array([f"{i:0{w}d}" for i in range(10**w)], dtype=f"S{w}").view(np.uint8).reshape(10**w, w)
    for w in range(1, 5)
}


def _digits(nums: np.ndarray, width: int) -> np.ndarray:
    """Non-negative ints as exactly ``width`` zero-padded ASCII digits (higher digits dropped)."""
    nums = np.asarray(nums, dtype=np.int64)
    if width <= 4:
        return _DIGIT_TABLES[width][nums % 10**width]
    return np.concatenate([_digits(nums // 10_000, width - 4), _DIGIT_TABLES[4][nums % 10_000]], axis=1)


def _int_text(nums: np.ndarray) -> np.ndarray:
    """Non-negative ints, variable width (NUL padded)."""
    s = np.asarray(nums, dtype=np.int64).astype("S19")
    return s.view(np.uint8).reshape(len(s), 19)


def _lookup(labels: Iterable[str], codes: np.ndarray) -> np.ndarray:
    enc = [_quote(x).encode() for x in labels]
    width = max(1, *(len(b) for b in enc))
    table = np.array(enc, dtype=f"S{width}").view(np.uint8).reshape(len(enc), width)
    return table[codes]


def _blank(block: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
    if missing is None or not missing.any():
        return block
    return np.where(missing[:, None], np.uint8(0), block)


@dataclass
class _Col:
    """A CSV column (subclasses hold its values as arrays)."""

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        raise NotImplementedError


@dataclass
class _Const(_Col):
    text: str
    n: int

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        return [_const_block(_quote(self.text).encode(), len(range(*sl.indices(self.n))))]


@dataclass
class _Id(_Col):
    """prefix + zero-padded number; a negative number is an empty cell."""

    prefix: str
    nums: np.ndarray
    width: int

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        nums = self.nums[sl]
        if len(nums) and nums.max() >= 10**self.width:
            raise OverflowError(f"{self.prefix} number {nums.max()} does not fit {self.width} digits")
        miss = nums < 0
        pre = _const_block(self.prefix.encode(), len(nums))
        return [_blank(pre, miss), _blank(_digits(np.maximum(nums, 0), self.width), miss)]


@dataclass
class _Time(_Col):
    """Minutes since the epoch -> 'YYYY-MM-DD HH:MM' (or the date only)."""

    minutes: np.ndarray
    date_only: bool = False

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        m = self.minutes[sl]
        miss = m < 0
        m = np.maximum(m, 0)
        days = (m // DAY).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        year = months.astype(np.int64) // 12 + 1970
        month = months.astype(np.int64) % 12 + 1
        day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        n = len(m)
        out = np.empty((n, 10 if self.date_only else 16), dtype=np.uint8)
        out[:, 0:4] = _digits(year, 4)
        out[:, 4] = ord("-")
        out[:, 5:7] = _digits(month, 2)
        out[:, 7] = ord("-")
        out[:, 8:10] = _digits(day, 2)
        if not self.date_only:
            tod = m % DAY
            out[:, 10] = ord(" ")
            out[:, 11:13] = _digits(tod // HOUR, 2)
            out[:, 13] = ord(":")
            out[:, 14:16] = _digits(tod % HOUR, 2)
        return [_blank(out, miss)]


@dataclass
class _Bool(_Col):
    """int8: 1 true, 0 false, -1 empty."""

    values: np.ndarray

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        v = self.values[sl]
        labels = ("否", "是") if zh else ("false", "true")
        return [_blank(_lookup(labels, np.maximum(v, 0)), v < 0)]


@dataclass
class _Enum(_Col):
    """codes into (english, chinese) label pairs; a negative code is an empty cell."""

    codes: np.ndarray
    labels: tuple[tuple[str, str], ...]

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        c = self.codes[sl]
        names = [pair[1] if zh else pair[0] for pair in self.labels]
        return [_blank(_lookup(names, np.maximum(c, 0)), c < 0)]


@dataclass
class _Text(_Col):
    """codes into a list of texts (the same in both languages)."""

    codes: np.ndarray
    texts: tuple[str, ...]

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        c = self.codes[sl]
        return [_blank(_lookup(self.texts, np.maximum(c, 0)), c < 0)]


@dataclass
class _Decimal(_Col):
    """Fixed-point number: ``scaled`` / 10**decimals; a negative value is an empty cell."""

    scaled: np.ndarray
    decimals: int

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        v = self.scaled[sl]
        miss = v < 0
        v = np.maximum(v, 0)
        unit = 10**self.decimals
        whole = _blank(_int_text(v // unit), miss)
        if self.decimals == 0:
            return [whole]
        dot = _blank(_const_block(b".", len(v)), miss)
        return [whole, dot, _blank(_digits(v % unit, self.decimals), miss)]


@dataclass
class _Cat(_Col):
    parts: list[_Col]

    def blocks(self, sl: slice, zh: bool) -> list[np.ndarray]:
        return [b for p in self.parts for b in p.blocks(sl, zh)]


@dataclass
class _Table:
    n: int
    columns: dict[str, _Col]


_SLICE_ROWS = 200_000  # rows rendered at a time (bounds the memory of the text)
_BATCH_ROWS = 250_000  # months of one store are rendered together up to this many rows


def _concat_cols(cols: list[_Col]) -> _Col:
    """One column from the same column of several months (same store: same prefixes)."""
    first = cols[0]
    if len(cols) == 1:
        return first
    if isinstance(first, _Cat):
        cats = [c for c in cols if isinstance(c, _Cat)]
        return _Cat([_concat_cols([c.parts[i] for c in cats]) for i in range(len(first.parts))])
    if isinstance(first, _Const):
        consts = [c for c in cols if isinstance(c, _Const)]
        assert len(consts) == len(cols) and all(c.text == first.text for c in consts)
        return _Const(first.text, sum(c.n for c in consts))
    kwargs = {}
    for f in fields(first):
        values = [getattr(c, f.name) for c in cols]
        if isinstance(values[0], np.ndarray):
            kwargs[f.name] = np.concatenate(values)
        else:
            assert all(v == values[0] for v in values), f.name
            kwargs[f.name] = values[0]
    return type(first)(**kwargs)


def _concat_tables(tables: list[_Table]) -> _Table:
    if len(tables) == 1:
        return tables[0]
    names = list(tables[0].columns)
    return _Table(sum(t.n for t in tables), {c: _concat_cols([t.columns[c] for t in tables]) for c in names})


def _write_rows(fh: BinaryIO, table: _Table, zh: bool) -> None:
    comma = np.full((1, 1), ord(","), dtype=np.uint8)
    newline = np.full((1, 1), ord("\n"), dtype=np.uint8)
    for start in range(0, table.n, _SLICE_ROWS):
        sl = slice(start, min(start + _SLICE_ROWS, table.n))
        rows = sl.stop - sl.start
        parts: list[np.ndarray] = []
        for i, col in enumerate(table.columns.values()):
            if i:
                parts.append(np.broadcast_to(comma, (rows, 1)))
            parts.extend(col.blocks(sl, zh))
        parts.append(np.broadcast_to(newline, (rows, 1)))
        flat = np.concatenate(parts, axis=1).ravel()
        fh.write(flat[flat != 0].tobytes())


# --------------------------------------------------------------------------------------
# The model


_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q in a VIN


def _vin_code(index: int) -> str:
    """Three VIN characters for the store (so VINs stay 17 long and unique across 35,937 stores)."""
    base = len(_VIN_CHARS)
    if not 0 <= index < base**3:
        raise ValueError(f"too many stores: {index + 1}")
    return "".join(_VIN_CHARS[index // base**k % base] for k in (2, 1, 0))


@dataclass
class _StoreState:
    index: int
    name: str
    prefix: str
    vin_code: str
    plate_prefix: str
    n_advisors: int
    n_technicians: int
    n_salespeople: int
    n_customers: int
    offsets: dict[str, float]
    counters: dict[str, int] = field(default_factory=dict)
    prev: dict[str, np.ndarray] | None = None  # last month's work orders, for comebacks

    def take(self, key: str, n: int) -> np.ndarray:
        start = self.counters.get(key, 0)
        self.counters[key] = start + n
        return np.arange(start + 1, start + n + 1, dtype=np.int64)


@dataclass
class _Ctx:
    seed: int
    months: int
    per_month: int
    end: int  # export time: first minute after the last month
    widths: dict[str, int]


_KNOBS = ("appt", "remind", "punct", "walk", "menu", "prepick", "ontime", "callback", "handover", "util")


def _month_days(month: np.datetime64) -> tuple[int, int]:
    first = month.astype("datetime64[D]")
    nxt = (month + 1).astype("datetime64[D]")
    return int(first.astype(np.int64)), int((nxt - first).astype(np.int64))


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)


def _choose(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _bools(rng: np.random.Generator, p: float | np.ndarray, n: int) -> np.ndarray:
    return (rng.random(n) < p).astype(np.int8)


def _round_up(x: np.ndarray, step: int) -> np.ndarray:
    return -(-x // step) * step


def _chunk(ctx: _Ctx, st: _StoreState, m: int, month: np.datetime64) -> dict[str, _Table]:
    rng = np.random.default_rng([ctx.seed, st.index, m])
    t = m / (ctx.months - 1) if ctx.months > 1 else 0.5
    day0, nd = _month_days(month)
    end = ctx.end
    n = ctx.per_month
    w = ctx.widths
    pre = st.prefix

    def knob(name: str, base: float, slope: float, low: float = 0.0) -> float:
        """A probability: base + trend over the months + the store's offset + a little noise."""
        v = base + slope * t + st.offsets.get(name, 0.0) + rng.normal(0, 0.008)
        return float(np.clip(v, low, 1.0))

    p_appt = knob("appt", 0.45, 0.12)
    p_remind = knob("remind", 0.64, 0.16)
    p_punct = knob("punct", 0.62, 0.08)
    p_walk = knob("walk", 0.50, 0.12)
    p_menu = knob("menu", 0.62, 0.06)
    p_ontime = knob("ontime", 0.74, 0.10)
    p_callback = knob("callback", 0.57, 0.12)
    p_handover = knob("handover", 0.71, 0.09)
    # parts are pre-picked on time far more often when the car had a walk-around
    prepick_shift = knob("prepick", 0.0, 0.02, low=-1.0)
    # the inspection form: 100% in the last month of the first store only
    p_form = min(1.0, 0.955 + 0.045 * t - abs(st.offsets.get("form", 0.0)))
    p_comeback = 0.066 - 0.015 * t

    days = np.arange(nd, dtype=np.int64)
    dow = _weekday(day0 + days)
    busy = np.array([1.2, 1.0, 1.0, 1.0, 1.05, 1.25, 0.55])[dow]

    # ---- work orders -------------------------------------------------------------------
    ctype = _choose(rng, n, np.array([0.6, 0.3, 0.1]))
    internal = ctype == INTERNAL
    has_appt = ~internal & (rng.random(n) < p_appt)
    day = _choose(rng, n, busy)
    day_start = (day0 + day) * DAY

    slots = np.arange(8 * HOUR, 17 * HOUR, 30)  # 08:00 .. 16:30
    slot_w = np.where(slots < 11 * HOUR, 1.6, np.where(slots < 13 * HOUR, 0.7, 1.0))
    appt_time = np.where(has_appt, day_start + slots[_choose(rng, n, slot_w)], MISSING)
    u = rng.random(n)
    offset = np.where(
        u < p_punct,
        -rng.integers(0, 6, n),  # at most 5 minutes early
        np.where(u < p_punct + 0.14, -rng.integers(6, 31, n), 1 + rng.exponential(12, n).astype(np.int64)),
    )
    arrived = np.where(has_appt, appt_time + offset, MISSING)
    walk_tod = np.where(
        rng.random(n) < 0.6, rng.normal(9.75 * HOUR, 50, n), rng.uniform(8 * HOUR, 17.5 * HOUR, n)
    )
    walk_tod = np.clip(8 * HOUR + np.abs(walk_tod - 8 * HOUR), 8 * HOUR, 18 * HOUR).astype(np.int64)
    opened = np.where(has_appt, arrived + rng.integers(2, 12, n), day_start + walk_tod)

    order = np.argsort(opened, kind="stable")
    ctype, internal, has_appt = ctype[order], internal[order], has_appt[order]
    appt_time, arrived, opened = appt_time[order], arrived[order], opened[order]
    ro = st.take("ro", n)

    cust = np.where(internal, MISSING, rng.integers(0, st.n_customers, n))
    advisor_w = np.linspace(1.3, 0.8, st.n_advisors)
    advisor = _choose(rng, n, advisor_w) + 1
    technician = rng.integers(1, st.n_technicians + 1, n)

    # labor hours in tenths (0.5 .. 6.0), amounts in cents (380 per hour, some discounts)
    hours = np.exp(rng.normal(np.log(2.0 + 0.3 * t), 0.6, n))
    h10 = np.clip(np.round(hours * 10), 5, 60).astype(np.int64)
    discount = np.where((ctype == RETAIL) & (rng.random(n) < 0.08), 0.9, 1.0)
    labor_cents = np.round(h10 * 3800 * discount).astype(np.int64)
    parts_cents = np.exp(rng.normal(np.log(380), 0.95, n))
    parts_cents = np.round(np.clip(parts_cents, 15, 3000) * 100).astype(np.int64)
    parts_cents[rng.random(n) < 0.15] = 0

    work_min = h10 * 6
    prom = _round_up(opened + 60 + (work_min * 1.2).astype(np.int64) + rng.integers(0, 90, n), 30)
    tomorrow = (prom % DAY > 18 * HOUR + 30) | (prom // DAY > opened // DAY) | (rng.random(n) < 0.08)
    next_slot = np.arange(9 * HOUR, 17 * HOUR + 1, 30)[rng.integers(0, 17, n)]
    prom = np.where(tomorrow, (opened // DAY + 1) * DAY + next_slot, prom)

    u = rng.random(n)
    p_near, p_none = 0.14, 0.02
    cat = np.select([u < p_ontime, u < p_ontime + p_near, u < 1 - p_none], [0, 1, 2], 3)
    natural = opened + (work_min * rng.uniform(0.8, 1.3, n)).astype(np.int64) + rng.integers(20, 90, n)
    early = np.maximum(opened + 15, np.minimum(natural, prom - 30 - rng.exponential(10, n).astype(np.int64)))
    near = prom - rng.integers(0, 30, n)
    late = prom + 1 + rng.exponential(50, n).astype(np.int64)
    # the workshop closes at 19:00: a late job is finished the next morning
    late = np.where(
        late % DAY >= 19 * HOUR, (late // DAY + 1) * DAY + rng.integers(8 * HOUR, 10 * HOUR, n), late
    )
    completed = np.select([cat == 0, cat == 1, cat == 2], [early, near, late], MISSING)
    invoiced = completed + np.where(cat == 2, rng.integers(3, 21, n), rng.integers(2, 13, n))
    delivered = np.maximum(invoiced + rng.integers(5, 25, n), prom + rng.integers(-20, 40, n))
    pick_up_later = (delivered % DAY > 19 * HOUR) | (rng.random(n) < 0.08)
    delivered = np.where(
        pick_up_later,
        (delivered // DAY + 1 + (rng.random(n) < 0.3)) * DAY + rng.integers(510, 720, n),
        delivered,
    )
    # retail pays at hand-over (a few fleet accounts later); warranty waits for the claim
    settle_days = np.select(
        [ctype == RETAIL, ctype == WARRANTY],
        [
            np.where(rng.random(n) < 0.05, rng.integers(2, 30, n), 0),
            np.round(np.exp(rng.normal(np.log(7), 0.6, n))).astype(np.int64),
        ],
        rng.integers(1, 21, n),
    )
    closed = np.where(
        settle_days == 0,
        delivered + rng.integers(0, 15, n),
        (delivered // DAY + settle_days) * DAY + rng.integers(9 * HOUR, 18 * HOUR, n),
    )
    never = rng.random(n) < np.select([ctype == RETAIL, ctype == WARRANTY], [0.05, 0.2], 0.15)
    closed[never] = MISSING

    # nothing after the export date; each stage needs the one before
    completed[completed >= end] = MISSING
    invoiced[(completed < 0) | (invoiced >= end)] = MISSING
    delivered[(invoiced < 0) | (delivered >= end)] = MISSING
    closed[(delivered < 0) | (closed >= end)] = MISSING

    pre_inspected = _bools(rng, np.where(internal, 0.5, 0.93), n)
    form = np.where(pre_inspected == 1, _bools(rng, p_form, n), 0).astype(np.int8)
    walkaround = np.where(~internal & (pre_inspected == 1), _bools(rng, p_walk / 0.93, n), 0).astype(np.int8)
    menu = _bools(rng, p_menu, n)
    prepick = _bools(rng, np.where(walkaround == 1, 0.72, 0.48) + prepick_shift, n)
    explained = np.where(delivered >= 0, _bools(rng, 0.9 + 0.03 * t, n), -1).astype(np.int8)

    # comebacks: an earlier order (2..30 days of orders back, maybe last month) of a vehicle
    # whose repair failed; the comeback belongs to that order's customer and vehicle
    prev = st.prev
    np_ = 0 if prev is None else len(prev["ro"])
    all_ro = ro if prev is None else np.concatenate([prev["ro"], ro])
    all_type = ctype if prev is None else np.concatenate([prev["ctype"], ctype])
    all_deliv = delivered if prev is None else np.concatenate([prev["delivered"], delivered])
    all_cust = cust if prev is None else np.concatenate([prev["cust"], cust])
    cand = np.nonzero(~internal & (rng.random(n) < p_comeback))[0]
    per_day = max(1.0, n / nd)
    back = rng.integers(max(1, int(2 * per_day)), max(2, int(30 * per_day)) + 1, len(cand))
    j = cand + np_ - back
    jj = np.maximum(j, 0)
    ok = (j >= 0) & (all_type[jj] != INTERNAL) & (all_deliv[jj] >= 0) & (all_deliv[jj] <= opened[cand] - 60)
    comeback_of = np.full(n, MISSING, dtype=np.int64)
    comeback_of[cand[ok]] = all_ro[jj[ok]]
    cust[cand[ok]] = all_cust[jj[ok]]
    # an original that is itself a comeback this month passes its (new) customer on
    mine, theirs = cand[ok], jj[ok] - np_
    chain = theirs >= 0
    mine, theirs = mine[chain], theirs[chain]
    for _ in range(10):
        if np.array_equal(cust[mine], cust[theirs]):
            break
        cust[mine] = cust[theirs]
    st.prev = {"ro": ro, "ctype": ctype, "delivered": delivered, "cust": cust}

    vin_num = np.where(internal, rng.integers(0, 40, n), cust)
    vin_kind = np.where(internal, 1, 0)

    # ---- appointments --------------------------------------------------------------------
    ia = np.nonzero(has_appt)[0]
    na = len(ia)
    n_noshow = int(rng.binomial(na, 0.07 / 0.93)) if na else 0
    ns_day = _choose(rng, n_noshow, busy)
    ns_time = (day0 + ns_day) * DAY + slots[_choose(rng, n_noshow, slot_w)]
    a_time = np.concatenate([appt_time[ia], ns_time])
    a_arrived = np.concatenate([arrived[ia], np.full(n_noshow, MISSING)])
    a_ro = np.concatenate([ro[ia], np.full(n_noshow, MISSING)])
    a_cust = np.concatenate([cust[ia], rng.integers(0, st.n_customers, n_noshow)])
    k = na + n_noshow
    tod = a_time % DAY
    short = rng.random(k) < 0.2
    short_lead = rng.integers(45, np.maximum(46, tod - 7 * HOUR - 30))
    ahead = np.minimum(1 + rng.geometric(0.35, k), 14)
    booked = np.where(short, a_time - short_lead, (a_time // DAY - ahead) * DAY + rng.integers(510, 1170, k))
    lead = a_time - booked
    u = rng.random(k)
    v = rng.random(k)
    in_window = (a_time // DAY - 1) * DAY + rng.integers(np.maximum(tod, 9 * HOUR), 18 * HOUR + 1)
    # off-window reminders: the same morning, or two days before
    too_late = np.maximum(a_time - rng.integers(HOUR, 3 * HOUR, k), a_time // DAY * DAY + 7 * HOUR + 30)
    too_early = np.maximum(booked + 10, (a_time // DAY - 2) * DAY + rng.integers(9 * HOUR, 18 * HOUR, k))
    reminded = np.where(
        lead >= DAY,
        np.where(u < p_remind, in_window, np.select([v < 0.45, v < 0.75], [MISSING, too_late], too_early)),
        np.where(u < 0.2, booked + lead // 2, MISSING),
    )
    order = np.argsort(booked, kind="stable")
    ap_num = np.empty(k, dtype=np.int64)
    ap_num[order] = st.take("ap", k)
    wo_appt = np.full(n, MISSING, dtype=np.int64)
    wo_appt[ia] = ap_num[:na]
    a_cols = (a_time, a_arrived, a_ro, a_cust, booked, reminded)
    a_time, a_arrived, a_ro, a_cust, booked, reminded = (x[order] for x in a_cols)
    plate_code = (a_cust * 7919 + 104729 * (st.index + 1)) % 240_000
    plate_letters = tuple("ABCDEFGHJKLMNPQRSTUVWXYZ")

    # ---- parts requests ------------------------------------------------------------------
    ip = np.nonzero(parts_cents > 0)[0]
    n_cons = int(rng.binomial(len(ip), 0.02)) if len(ip) else 0
    req_time = np.concatenate(
        [
            opened[ip] + rng.integers(5, 90, len(ip)),
            (day0 + _choose(rng, n_cons, busy)) * DAY + rng.integers(8 * HOUR, 18 * HOUR, n_cons),
        ]
    )
    req_ro = np.concatenate([ro[ip], np.full(n_cons, MISSING)])
    req_lines = _choose(rng, len(req_time), np.array([0.5, 0.35, 0.15])) + 1
    order = np.argsort(req_time, kind="stable")
    req_time, req_ro, req_lines = req_time[order], req_ro[order], req_lines[order]
    req_id = st.take("pr", len(req_time))
    rep = np.repeat(np.arange(len(req_time)), req_lines)
    nl = len(rep)
    line_time = req_time[rep] + rng.integers(0, 4, nl)
    keep = line_time < end
    rep, line_time = rep[keep], line_time[keep]
    nl = len(rep)
    part_rank = np.minimum(rng.zipf(1.4, nl), 4000)
    part_no = (part_rank * 7919 + 13) % 90000 + 10000
    qty = np.array([1, 2, 4, 5])[_choose(rng, nl, np.array([0.62, 0.2, 0.1, 0.08]))]
    filled = _bools(rng, 0.88 + 0.04 * t, nl)

    # ---- technician time -----------------------------------------------------------------
    work_days = days[dow != 6]
    td = np.repeat(work_days, st.n_technicians)
    tt = np.tile(np.arange(1, st.n_technicians + 1), len(work_days))
    present = rng.random(len(td)) >= 0.04
    td, tt = td[present], tt[present]
    nt = len(td)
    avail = np.array([800, 850, 900, 950, 1000])[_choose(rng, nt, np.array([0.3, 0.1, 0.35, 0.1, 0.15]))]
    tech_rng = np.random.default_rng([ctx.seed, st.index, 999_999])
    tech_util = tech_rng.normal(0, 0.02, st.n_technicians + 1)
    tech_eff = tech_rng.normal(0, 0.025, st.n_technicians + 1)
    util = np.clip(
        rng.uniform(0.74, 0.89, nt) + 0.03 * t + st.offsets.get("util", 0.0) + tech_util[tt], 0.6, 0.98
    )
    eff = np.clip(rng.uniform(0.85, 1.0, nt) + tech_eff[tt], 0.78, 1.02)
    clocked = np.round(avail * util).astype(np.int64)
    sold = np.round(clocked * eff).astype(np.int64)

    # ---- callbacks -----------------------------------------------------------------------
    ic = np.nonzero(~internal & (closed >= 0))[0]
    due = (delivered[ic] // DAY + 3) * DAY
    keep = due < end
    ic, due = ic[keep], due[keep]
    nc = len(ic)
    last_day = end // DAY - 1
    call_day = np.minimum(due // DAY + _choose(rng, nc, np.array([0.7, 0.2, 0.1])), last_day)
    called = call_day * DAY + rng.integers(9 * HOUR, 18 * HOUR, nc)
    rest = (1 - p_callback) / 0.36
    result = _choose(rng, nc, np.array([p_callback, 0.12 * rest, 0.05 * rest, 0.16 * rest, 0.03 * rest]))
    satisfied = np.where(result == 0, _bools(rng, 0.94 + 0.04 * t, nc), -1).astype(np.int8)
    order = np.lexsort((ro[ic], due))
    ic, due, called, result, satisfied = ic[order], due[order], called[order], result[order], satisfied[order]
    cb_id = st.take("cb", nc)

    # ---- customer issues -----------------------------------------------------------------
    scale = n / 300
    eligible = np.nonzero(~internal)[0]
    lam = 12.5 * scale
    n_issues = max(int(rng.poisson(lam)), int(lam >= 3)) if len(eligible) else 0
    weight = np.where(comeback_of[eligible] >= 0, 8.0, 1.0)
    src = eligible[_choose(rng, n_issues, weight)] if n_issues else np.zeros(0, dtype=np.int64)
    base = np.where(delivered[src] >= 0, delivered[src], opened[src])
    raised = (base // DAY + rng.integers(0, 6, n_issues)) * DAY + rng.integers(9 * HOUR, 18 * HOUR, n_issues)
    raised = np.maximum(raised, base + 10)
    keep = raised < end
    src, raised = src[keep], raised[keep]
    ni = len(src)
    order = np.argsort(raised, kind="stable")
    src, raised = src[order], raised[order]
    issue_no = st.take("is", ni)
    has_ro = rng.random(ni) < 0.8
    faults = _choose(rng, ni, np.array([0.5, 0.35, 0.15])) + 1
    irep = np.repeat(np.arange(ni), faults)
    nf = len(irep)
    within = np.arange(nf) - np.repeat(np.cumsum(faults) - faults, faults)
    fault = (rng.integers(0, len(FAULTS), ni)[irep] + within * 7) % len(FAULTS)
    resolved_at = (raised[irep] // DAY + rng.integers(1, 11, nf)) * DAY + rng.integers(
        9 * HOUR, 18 * HOUR, nf
    )
    resolved = (rng.random(nf) < 0.92 + 0.05 * t) & (resolved_at < end)
    resolved_at = np.where(resolved, resolved_at, MISSING)

    # ---- new-car sales -------------------------------------------------------------------
    n_cars = int(rng.poisson(35 * scale))
    car_day = _choose(rng, n_cars, np.array([0.9, 0.8, 0.8, 0.9, 1.0, 1.6, 1.5])[dow])
    car_time = np.sort((day0 + car_day) * DAY + rng.integers(9 * HOUR + 30, 19 * HOUR, n_cars))
    car_no = st.take("car", n_cars)
    introduced = _bools(rng, p_handover, n_cars)
    u = rng.random(n_cars)
    p90 = np.where(introduced == 1, 0.74, 0.30)
    plater = np.where(introduced == 1, 0.10, 0.15)
    contact_days = np.where(
        u < p90,
        np.where(rng.random(n_cars) < 0.7, rng.uniform(1, 14, n_cars), rng.uniform(14, 89, n_cars)),
        np.where(u < p90 + plater, rng.uniform(91, 150, n_cars), -1.0),
    )
    contact = (car_time // DAY + contact_days.astype(np.int64)) * DAY + rng.integers(
        9 * HOUR, 18 * HOUR, n_cars
    )
    contact = np.where((contact_days >= 0) & (contact < end), contact, MISSING)
    salesperson = rng.integers(1, st.n_salespeople + 1, n_cars)

    # ---- suggestions (judged at the Monday review) ---------------------------------------
    mondays = days[dow == 0]
    per_review = rng.poisson(max(1.0, scale), len(mondays))
    review = np.repeat(mondays, per_review)
    ns = len(review)
    sg_no = st.take("sg", ns)
    should = _bools(rng, 0.7, ns)
    implemented = np.where(should == 1, _bools(rng, 0.62 + 0.16 * t, ns), 0).astype(np.int8)
    department = rng.integers(0, len(DEPARTMENTS), ns)

    # ---- assemble ------------------------------------------------------------------------
    def cust_col(idx: np.ndarray) -> _Col:
        return _Id(pre + "C", idx, w["customer"])

    def vin_col(num: np.ndarray, kind: np.ndarray) -> _Col:
        return _Cat([_Text(kind, ("LSV", "LDM")), _Id(st.vin_code, num, 11)])

    tables = {
        "appointments": _Table(
            k,
            {
                "appointment_id": _Id(pre + "AP", np.sort(ap_num), w["ap"]),
                "customer_id": cust_col(a_cust),
                "plate": _Cat(
                    [
                        _Const(st.plate_prefix, k),
                        _Text(plate_code // 10_000, plate_letters),
                        _Id("", plate_code % 10_000, 4),
                    ]
                ),
                "booked_at": _Time(booked),
                "appointment_time": _Time(a_time),
                "reminded_at": _Time(reminded),
                "arrived_at": _Time(a_arrived),
                "ro_number": _Id(pre + "RO", a_ro, w["ro"]),
            },
        ),
        "work_orders": _Table(
            n,
            {
                "ro_number": _Id(pre + "RO", ro, w["ro"]),
                "opened_at": _Time(opened),
                "customer_id": cust_col(cust),
                "vin": vin_col(vin_num, vin_kind),
                "customer_type": _Enum(ctype, CUSTOMER_TYPES),
                "advisor": _Id(pre + "SA", advisor, w["sa"]),
                "technician": _Id(pre + "T", technician, w["t"]),
                "appointment_id": _Id(pre + "AP", wo_appt, w["ap"]),
                "pre_inspected": _Bool(pre_inspected),
                "pre_inspection_form": _Bool(form),
                "walkaround": _Bool(walkaround),
                "menu_priced": _Bool(menu),
                "parts_prepicked_on_time": _Bool(prepick),
                "promised_at": _Time(prom),
                "work_completed_at": _Time(completed),
                "invoiced_at": _Time(invoiced),
                "delivered_at": _Time(delivered),
                "delivery_explained": _Bool(explained),
                "closed_at": _Time(closed),
                "labor_hours_sold": _Decimal(h10, 1),
                "labor_amount": _Decimal(labor_cents, 2),
                "parts_amount": _Decimal(parts_cents, 2),
                "comeback_of": _Id(pre + "RO", comeback_of, w["ro"]),
            },
        ),
        "parts_requests": _Table(
            nl,
            {
                "request_id": _Id(pre + "PR", req_id[rep], w["pr"]),
                "ro_number": _Id(pre + "RO", req_ro[rep], w["ro"]),
                "part_number": _Id("P", part_no, 5),
                "requested_at": _Time(line_time),
                "quantity": _Decimal(qty, 0),
                "filled_immediately": _Bool(filled),
            },
        ),
        "technician_time": _Table(
            nt,
            {
                "date": _Time((day0 + td) * DAY, date_only=True),
                "technician": _Id(pre + "T", tt, w["t"]),
                "available_hours": _Decimal(avail, 2),
                "clocked_hours": _Decimal(clocked, 2),
                "sold_hours": _Decimal(sold, 2),
            },
        ),
        "callbacks": _Table(
            nc,
            {
                "callback_id": _Id(pre + "CB", cb_id, w["cb"]),
                "ro_number": _Id(pre + "RO", ro[ic], w["ro"]),
                "customer_id": cust_col(cust[ic]),
                "due_at": _Time(due),
                "called_at": _Time(called),
                "result": _Enum(result, CALLBACK_RESULTS),
                "satisfied": _Bool(satisfied),
            },
        ),
        "customer_issues": _Table(
            nf,
            {
                "issue_id": _Id(pre + "IS", issue_no[irep], w["is"]),
                "customer_id": cust_col(cust[src][irep]),
                "ro_number": _Id(pre + "RO", np.where(has_ro, ro[src], MISSING)[irep], w["ro"]),
                "raised_at": _Time(raised[irep]),
                "fault": _Text(fault, FAULTS),
                "resolved": _Bool(resolved.astype(np.int8)),
                "resolved_at": _Time(resolved_at),
            },
        ),
        "vehicle_sales": _Table(
            n_cars,
            {
                "vin": _Cat([_Const("LNV", n_cars), _Id(st.vin_code, car_no, 11)]),
                "customer_id": _Id(pre + "N", car_no, w["car"]),
                "salesperson": _Id(pre + "SC", salesperson, 2),
                "delivered_at": _Time(car_time),
                "introduced_to_service": _Bool(introduced),
                "first_service_contact_at": _Time(contact),
            },
        ),
        "suggestions": _Table(
            ns,
            {
                "suggestion_id": _Id(pre + "SG", sg_no, w["sg"]),
                "department": _Text(department, DEPARTMENTS),
                "reviewed_at": _Time((day0 + review) * DAY, date_only=True),
                "should_implement": _Bool(should),
                "implemented": _Bool(implemented),
            },
        ),
    }
    return tables


# --------------------------------------------------------------------------------------
# Public API


def _width(bound: float) -> int:
    return max(4, len(str(int(bound))))


def generate(
    out_dir: Path,
    *,
    start_month: str = "2024-01",
    months: int = 6,
    work_orders_per_month: int = 300,
    stores: list[str] | None = None,
    seed: int = 42,
    chinese_headers: Collection[str] = frozenset(),
    chinese_filenames: bool = False,
    store_folders: bool = False,
) -> None:
    """Write the eight sheets as CSV files into ``out_dir``.

    ``work_orders_per_month`` is per store. With more than one store every sheet gets
    a ``store`` column and all IDs (orders, customers, advisors, technicians...) carry
    a per-store prefix (``S1-``, ``S2-``...) so they are unique across the group.
    ``store_folders`` writes one folder per store (``out_dir/<store>/<sheet>.csv``)
    instead of one file per sheet for the whole group.
    ``chinese_headers`` names the sheets written with the contract's Chinese headers,
    Chinese enum values and 是/否 booleans; with ``chinese_filenames`` those sheets
    are also saved under their Chinese file name (``work_orders`` -> ``维修工单.csv``).
    """
    if months < 1 or work_orders_per_month < 1:
        raise ValueError("months and work_orders_per_month must be at least 1")
    names = list(stores) if stores else ["demo"]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate store names: {names}")
    unknown = set(chinese_headers) - set(SHEETS)
    if unknown:
        raise ValueError(f"unknown sheet names in chinese_headers: {sorted(unknown)}")
    multi = len(names) > 1
    first = np.datetime64(start_month, "M")
    end = int((first + months).astype("datetime64[D]").astype(np.int64)) * DAY
    total = months * work_orders_per_month
    scale = work_orders_per_month / 300
    ctx = _Ctx(
        seed=seed,
        months=months,
        per_month=work_orders_per_month,
        end=end,
        widths={
            "ro": _width(total),
            "ap": _width(total),
            "pr": _width(total * 1.1),
            "cb": _width(total),
            "customer": _width(max(300, 3 * work_orders_per_month)),
            "is": _width(months * max(40, 30 * scale)),
            "car": _width(months * max(100, 60 * scale)),
            "sg": _width(months * max(10, 8 * scale)),
            "sa": max(2, len(str(max(2, round(work_orders_per_month / 50))))),
            "t": max(2, len(str(max(3, round(work_orders_per_month / 30))))),
        },
    )
    out_dir = Path(out_dir)
    handles: dict[tuple[str, str], BinaryIO] = {}

    def handle(folder: Path, sheet: str) -> BinaryIO:
        key = (str(folder), sheet)
        if key not in handles:
            folder.mkdir(parents=True, exist_ok=True)
            zh = sheet in chinese_headers
            stem = CHINESE_FILE_NAMES[sheet] if zh and chinese_filenames else sheet
            fh = open(folder / f"{stem}.csv", "wb")  # noqa: SIM115 - closed below
            cols = SHEET_COLUMNS[sheet] + ((STORE_COLUMN,) if multi else ())
            fh.write((",".join(c[1] if zh else c[0] for c in cols) + "\n").encode())
            handles[key] = fh
        return handles[key]

    try:
        for s, name in enumerate(names):
            srng = np.random.default_rng([seed, s, 888_888])
            offsets = {k: (0.0 if s == 0 else float(srng.normal(0, 0.04))) for k in (*_KNOBS, "form")}
            st = _StoreState(
                index=s,
                name=name,
                prefix=f"S{s + 1}-" if multi else "",
                vin_code=_vin_code(s + 1),
                plate_prefix="粤A" if "广州" in name else "粤B",
                n_advisors=max(2, round(work_orders_per_month / 50)),
                n_technicians=max(3, round(work_orders_per_month / 30)),
                n_salespeople=max(3, min(99, round(35 * scale / 4.5))),
                n_customers=max(300, 3 * work_orders_per_month),
                offsets=offsets,
            )
            folder = out_dir / name.replace("/", "_") if store_folders else out_dir
            if store_folders:
                for sheet in SHEETS:  # every store folder gets all eight files
                    handle(folder, sheet)
            pending: dict[str, list[_Table]] = {sheet: [] for sheet in SHEETS}
            for m in range(months):
                tables = _chunk(ctx, st, m, first + m)
                for sheet in SHEETS:
                    table = tables[sheet]
                    if multi:
                        table.columns["store"] = _Const(name, table.n)
                    pending[sheet].append(table)
                    if m == months - 1 or sum(t.n for t in pending[sheet]) >= _BATCH_ROWS:
                        batch = _concat_tables(pending[sheet])
                        _write_rows(handle(folder, sheet), batch, sheet in chinese_headers)
                        pending[sheet] = []
        if not store_folders:
            for sheet in SHEETS:
                handle(out_dir, sheet)
    finally:
        for fh in handles.values():
            fh.close()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--start-month", default="2024-01", help="first month, YYYY-MM (default 2024-01)")
    p.add_argument("--months", type=int, default=6)
    p.add_argument("--work-orders-per-month", type=int, default=300, help="per store")
    p.add_argument("--stores", default="", help="comma-separated store names (default: one store)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--chinese-headers",
        default="",
        help="comma-separated sheets to write with Chinese headers and values, or 'all'",
    )
    p.add_argument(
        "--chinese-filenames", action="store_true", help="name the Chinese-header sheets in Chinese"
    )
    p.add_argument("--store-folders", action="store_true", help="one folder per store")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    zh = {s.strip() for s in args.chinese_headers.split(",") if s.strip()}
    if zh == {"all"}:
        zh = set(SHEETS)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()] or None
    began = time.perf_counter()
    generate(
        args.out,
        start_month=args.start_month,
        months=args.months,
        work_orders_per_month=args.work_orders_per_month,
        stores=stores,
        seed=args.seed,
        chinese_headers=zh,
        chinese_filenames=args.chinese_filenames,
        store_folders=args.store_folders,
    )
    print(f"wrote {args.out} in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
