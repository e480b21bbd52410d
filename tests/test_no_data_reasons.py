"""A KPI's no-data reason is made once, as a code and its parameters (`sdkpi.reasons`), and said
in both languages from one table: the English words as they always were (the JSON keeps them),
the Chinese from the code, never by matching the English."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import CONFORMANCE, TODAY, dataset, evaluate
from sdkpi.api import check, compute
from sdkpi.definitions import Definitions
from sdkpi.engine import Engine
from sdkpi.evaluation import finish_result
from sdkpi.reasons import REASON_WORDS, Reason
from sdkpi.render import formatting
from sdkpi.render.formatting import reason_text
from sdkpi.results import KpiResult, Period, SheetInfo
from sdkpi.words import column_label, sheet_label

# The regex table `render.formatting` used before reasons had codes, kept here only to show the
# Chinese is said exactly as it was.
_OLD_REASONS_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"^sheet missing$", "缺少{sheet_of}这张表"),
        (r"^(?P<sheet>\w+): sheet missing$", "缺少{sheet}这张表"),
        (r"^(?P<sheet>\w+): column (?P<columns>[\w, ]+) missing$", "{sheet}中没有“{columns}”列"),
        (r"^no records in period$", "本期没有记录"),
        (
            r"^no usable records in period \((?P<n>\d+) row\(s\) with an unreadable value or date; "
            r"see sdkpi check\)$",
            "本期没有可用的记录({n} 行的值或日期无法识别，请运行 sdkpi check 查看)",
        ),
        (r"^column (?P<columns>[\w, ]+) not in the (?P<sheet>\w+) sheet$", "{sheet}中没有“{columns}”列"),
        (r"^the (?P<sheet>\w+) sheet has no (?P<columns>\w+) column$", "{sheet}中没有“{columns}”列"),
        (r"^figures out of range \((?P<figures>[^)]*)\).*$", "数值超出可计算的范围，请检查数据中的异常值"),
        (r"^no data$", "无数据"),
        (r"^no advisor on the staff roster in (?P<period>\S+)$", "人员名单上{period}没有服务专员"),
        (r"^no technician on the staff roster in (?P<period>\S+)$", "人员名单上{period}没有技师"),
        (r"^(?P<columns>[\w, ]+): not in this export$", "本导出不含“{columns}”"),
        (
            r"^(?P<columns>[\w, ]+): (?P<key>\w+) repeated with different amounts.*$",
            "同一单号多行“{columns}”不同，需在映射文件设置 lines:",
        ),
        (r"^(?:\w+: )?unreadable: ", "{sheet_of}的文件无法读取(原因见数据问题列表)"),
    )
)


def old_reason_text(reason: str, sheet: str | None = None) -> str | None:
    """The old Chinese of a reason; None where the old table did not know it."""
    for pattern, words in _OLD_REASONS_ZH:
        found = pattern.match(reason)
        if found:
            parts = found.groupdict()
            named = parts.get("sheet") or sheet
            if "columns" in parts:
                columns = [c.strip() for c in parts["columns"].split(",")]
                parts["columns"] = "、".join(column_label(c, "zh", named) for c in columns)
            if named:
                parts["sheet"] = sheet_label(named, "zh")
            parts["sheet_of"] = sheet_label(sheet, "zh") if sheet else ""
            return words.format(**parts)
    return None


# (reason, the sheet its KPI reads, its English words as the engine always wrote them)
CASES: list[tuple[Reason, str | None, str]] = [
    (Reason("sheet_missing"), "callbacks", "sheet missing"),
    (Reason("sheet_missing"), None, "sheet missing"),
    (Reason("unreadable", message="bad zip"), "work_orders", "unreadable: bad zip"),
    (
        Reason("columns_missing", columns="repair_type, walkaround", sheet="work_orders"),
        "work_orders",
        "column repair_type, walkaround not in the work_orders sheet",
    ),
    (
        Reason("check_columns_missing", sheet="technician_time", columns="clocked_hours"),
        "technician_time",
        "technician_time: column clocked_hours missing",
    ),
    (Reason("sheet_reason", sheet="staff", why=Reason("sheet_missing")), "staff", "staff: sheet missing"),
    (
        Reason("sheet_reason", sheet="work_orders", why=Reason("unreadable", message="bad zip")),
        "work_orders",
        "work_orders: unreadable: bad zip",
    ),
    (Reason("no_records"), "work_orders", "no records in period"),
    (
        Reason("no_usable_records", rows="3"),
        "work_orders",
        "no usable records in period (3 row(s) with an unreadable value or date; see sdkpi check)",
    ),
    (
        Reason("out_of_range", numerator="inf", denominator="2"),
        "work_orders",
        "figures out of range (numerator inf, denominator 2); check the data for absurd values",
    ),
    (Reason("no_data"), "work_orders", "no data"),
    (
        Reason("breakdown_column_missing", sheet="callbacks", columns="advisor"),
        "callbacks",
        "the callbacks sheet has no advisor column",
    ),
    (
        Reason("roster_no_advisor", period="2024-05"),
        "work_orders",
        "no advisor on the staff roster in 2024-05",
    ),
    (
        Reason("roster_no_technician", period="2024-05"),
        "technician_time",
        "no technician on the staff roster in 2024-05",
    ),
    (
        Reason("columns_unsure", columns="labor_amount, parts_amount", why=Reason("not_exported")),
        "work_orders",
        "labor_amount, parts_amount: not in this export",
    ),
    (
        Reason("columns_unsure", columns="parts_amount", why=Reason("lines_differ", key="ro_number")),
        "work_orders",
        "parts_amount: ro_number repeated with different amounts (a line-level export? declare `lines:`)",
    ),
]


def test_every_code_has_words_in_both_languages() -> None:
    for code, words in REASON_WORDS.items():
        assert set(words) == {"en", "zh"}, code
        assert words["en"] and words["zh"], code
    said = {reason.code for reason, _, _ in CASES} | {
        r.params["why"].code for r, _, _ in CASES if "why" in r.params
    }
    assert said == set(REASON_WORDS) - {"several"}  # every code is tried below ("several" further down)


@pytest.mark.parametrize(("reason", "sheet", "english"), CASES, ids=[str(c[0]) for c in CASES])
def test_english_as_always_and_chinese_as_the_old_table_said_it(
    reason: Reason, sheet: str | None, english: str
) -> None:
    assert reason == english
    assert reason_text(reason, "en", sheet) == english
    old = old_reason_text(english, sheet)
    assert old is not None  # a reason the old table knew
    assert reason_text(reason, "zh", sheet) == old


def test_several_reasons_are_each_said() -> None:
    parts = [
        Reason("columns_unsure", columns="labor_amount", why=Reason("not_exported")),
        Reason("columns_unsure", columns="parts_amount", why=Reason("lines_differ", key="ro_number")),
    ]
    both = Reason("several", parts=parts)
    assert both == "; ".join(parts)
    zh = reason_text(both, "zh", "work_orders")
    assert zh == "；".join(reason_text(p, "zh", "work_orders") for p in parts)
    assert "not in this export" not in zh


def test_the_old_regex_path_is_gone() -> None:
    assert not hasattr(formatting, "_REASONS_ZH")
    assert (
        "re.compile" not in Path(formatting.__file__).read_text(encoding="utf-8").split("def reason_text")[1]
    )
    # English words without a code are not guessed at: said as they are
    assert reason_text("no records in period", "zh") == "no records in period"


def test_a_reason_keeps_its_code_through_a_copy_pickle_and_the_json_of_the_cache() -> None:
    import copy
    import pickle

    reason = Reason("sheet_reason", sheet="work_orders", why=Reason("unreadable", message="bad zip"))
    for again in (copy.deepcopy(reason), pickle.loads(pickle.dumps(reason))):
        assert isinstance(again, Reason) and again == reason and again.to_dict() == reason.to_dict()
    stored = json.loads(json.dumps(reason.to_dict()))
    assert Reason.from_dict(stored).to_dict() == reason.to_dict()
    info = SheetInfo("work_orders", None, None, None, None, None, 0, 0, "error", reason)
    assert "reason_said" not in info.to_dict()
    restored = SheetInfo(**json.loads(json.dumps(info.__dict__)))
    assert isinstance(restored.reason, Reason) and restored.reason.code == "sheet_reason"


def _blank() -> KpiResult:
    return KpiResult("k", {}, "s", {}, "work_orders", "ratio", None, 0, 0, None, "no_data")


def test_evaluation_makes_its_reasons_with_codes() -> None:
    result = _blank()
    finish_result(result, has_target=False)
    assert isinstance(result.reason, Reason) and result.reason.code == "no_records"
    result = _blank()
    result.rows_unusable = 3
    finish_result(result, has_target=False)
    assert isinstance(result.reason, Reason) and result.reason.code == "no_usable_records"
    assert reason_text(result.reason, "zh") == old_reason_text(result.reason)
    result = _blank()
    result.numerator, result.denominator = float("inf"), 2.0
    finish_result(result, has_target=False)
    assert isinstance(result.reason, Reason) and result.reason.code == "out_of_range"
    assert result.to_dict()["no_data_code"] == "out_of_range"
    assert result.to_dict()["reason"] == str(result.reason)


def test_the_engine_and_the_roster_make_their_reasons_with_codes(definitions: Definitions) -> None:
    order = {"ro_number": "R1", "opened_at": "2024-05-10 09:00", "closed_at": "2024-05-10 18:00"}
    staff = [{"name": "SA01", "role": "advisor", "from": None, "to": "2024-03-31", "fte": None}]
    ev = evaluate(definitions, "parts_sales_per_advisor", work_orders=[order], staff=staff)
    assert isinstance(ev.result.reason, Reason) and ev.result.reason.code == "roster_no_advisor"
    assert reason_text(ev.result.reason, "zh") == old_reason_text(ev.result.reason)
    data = dataset(work_orders=[order])
    sheet = data.sheets["work_orders"]
    sheet.column_reasons["parts_amount"] = Reason("lines_differ", key="ro_number")
    result = Engine(definitions, data).compute(Period.month("2024-05"), ["parts_sales_per_advisor"], TODAY)
    reason = result.kpi("parts_sales_per_advisor").reason
    assert isinstance(reason, Reason) and reason.code == "columns_unsure"
    assert reason_text(reason, "zh", "work_orders") == old_reason_text(reason, "work_orders")


def _store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    (folder / "suggestions.csv").unlink()
    text = (folder / "work_orders.csv").read_text(encoding="utf-8")
    (folder / "work_orders.csv").write_text(text.replace("walkaround,", "陪同检查,", 1), encoding="utf-8")
    return folder


def _said_as_before(reason: Any, sheet: str) -> None:
    assert isinstance(reason, Reason), reason
    assert reason_text(reason, "zh", sheet) == old_reason_text(reason, sheet)


def test_check_and_compute_say_their_reasons_from_codes(tmp_path: Path, cache_dir: Path) -> None:
    folder = _store(tmp_path)
    checked = check(folder, cache=False)
    blocked = {item["kpi"]: item for item in checked.kpis_without_data}
    for kpi in ("walkaround_rate", "suggestion_implementation_rate"):
        _said_as_before(blocked[kpi]["reason"], blocked[kpi]["sheet"])
    assert blocked["suggestion_implementation_rate"]["reason"].code == "sheet_reason"
    infos = {info.sheet: info for info in checked.sheets}
    assert infos["suggestions"].reason.code == "sheet_missing"  # type: ignore[union-attr]
    for cached in (False, True, True):  # the second and third from the result cache
        result = compute(folder, month="2024-05", today=TODAY, cache=cached)
        for kpi in ("walkaround_rate", "suggestion_implementation_rate"):
            said = result.kpi(kpi)
            _said_as_before(said.reason, said.sheet)
        assert result.kpi("walkaround_rate").reason.code == "columns_missing"  # type: ignore[union-attr]
        assert result.kpi("walkaround_rate").to_dict()["no_data_code"] == "columns_missing"
        assert {s.sheet: s for s in result.sheets}["suggestions"].reason.code == "sheet_missing"  # type: ignore[union-attr]
    assert list(cache_dir.rglob("result-*.json"))  # the cache was used
