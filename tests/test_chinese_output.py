"""Chinese a service manager writes, English in words too: columns by their names, values as
the export spells them (成功, 未接通, 内部, 是/否), arrivals as 迟到/提前, statuses 不设目标 and
参考值, `check` in Chinese; and an average explained per advisor, not per record."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import REPO
from sdkpi import expr as ex
from sdkpi.cli import app
from sdkpi.contract import SHEETS
from sdkpi.definitions import load_definitions
from sdkpi.evaluate import Frame
from sdkpi.explain import definition_words, explain
from sdkpi.reasons import Reason
from sdkpi.render.formatting import STATUS_LABELS, reason_text
from sdkpi.results import Period
from sdkpi.words import column_label, condition_words, failure_words, setting_value, value_label

STORE = REPO / "examples" / "store-demo"
MAY = Period.month("2024-05")


def test_columns_are_named_as_people_know_them() -> None:
    assert column_label("clocked_hours", "zh") == "打卡工时"
    assert column_label("available_hours", "zh") == "可用工时"
    assert column_label("clocked_hours", "en") == "clocked hours"
    assert column_label("ro_number", "en") == "RO number"
    assert column_label("parts_prepicked_on_time", "zh") == "零件预拣及时"  # 拣, not 捡


def test_the_old_spelling_of_the_prepick_header_is_still_read(tmp_path: Path) -> None:
    column = SHEETS["work_orders"].column("parts_prepicked_on_time")
    assert column is not None and "零件预捡及时" in column.aliases
    text = (STORE / "维修工单.csv").read_text(encoding="utf-8")
    assert "零件预拣及时" in text.splitlines()[0]  # the example writes 拣 ...
    (tmp_path / "维修工单.csv").write_text(text.replace("零件预拣及时", "零件预捡及时", 1), encoding="utf-8")
    from sdkpi.api import load_data

    frame = load_data(tmp_path, cache=False).sheets["work_orders"].frame  # ... and an old export's 捡 reads
    assert frame["parts_prepicked_on_time"].notna().all()


@pytest.mark.parametrize(
    ("value", "column", "zh", "en"),
    [
        ("reached", "result", "成功", "reached"),
        ("no_answer", "result", "未接通", "no answer"),
        ("internal", "customer_type", "内部", "internal"),
        (False, "satisfied", "否", "no"),
        (True, "menu_priced", "是", "yes"),
    ],
)
def test_values_in_words(value: object, column: str, zh: str, en: str) -> None:
    assert value_label(value, column, "zh") == zh
    assert value_label(value, column, "en") == en


@pytest.mark.parametrize(
    ("condition", "zh", "en"),
    [
        ("customer_type == 'internal'", "客户类型为内部", "customer type is internal"),
        ("customer_type in ['internal']", "客户类型为内部", "customer type is internal"),
        (
            "customer_type in ['internal', 'warranty']",
            "客户类型为内部、保修之一",
            "customer type is one of internal, warranty",
        ),
        ("result == 'reached'", "回访结果为成功", "result is reached"),
        ("menu_priced == false", "目录报价为否", "menu priced is no"),
        ("labor_hours_sold >= 2.5", "销售工时不少于2.5", "labor hours sold at least 2.5"),
    ],
)
def test_conditions_in_words(condition: str, zh: str, en: str) -> None:
    node = ex.parse(condition)
    assert condition_words(node, "zh", "work_orders" if "result" not in condition else "callbacks") == zh
    assert condition_words(node, "en") == en


def _frame(**columns: list[object]) -> Frame:
    kinds = {name: ("datetime" if name.endswith(("_at", "_time")) else "text") for name in columns}
    data = pd.DataFrame({k: pd.to_datetime(v) if kinds[k] == "datetime" else v for k, v in columns.items()})
    return Frame(data, kinds, None)


@pytest.mark.parametrize(
    ("arrived", "zh", "en"),
    [
        ("2024-05-06 09:05", "迟到5分钟；要求提前5分钟以内到店、不迟到", "arrived 5 min late"),
        ("2024-05-06 09:01", "迟到1分钟；", "arrived 1 min late"),  # a minute late is late
        ("2024-05-06 08:54", "提前6分钟到店；", "arrived 6 min early"),  # one minute too early
        ("2024-05-06 08:57", "提前3分钟到店；", "arrived 3 min early"),
    ],
)
def test_an_arrival_reads_late_or_early(arrived: str, zh: str, en: str) -> None:
    node = ex.parse("arrived_at between appointment_time - 5min and appointment_time")
    frame = _frame(appointment_time=["2024-05-06 09:00"], arrived_at=[arrived])
    assert failure_words(node, frame, 0, "zh").startswith(zh)
    assert failure_words(node, frame, 0, "en").startswith(en)


def test_a_late_tolerance_reads_as_a_span_around_the_booked_time() -> None:
    node = ex.parse("arrived_at between appointment_time - 5min and appointment_time + 5min")
    assert condition_words(node, "zh") == "提前5分钟至迟到5分钟之间到店"


def test_flags_and_results_failing_say_their_value_in_words() -> None:
    frame = _frame(result=["no_answer"], menu_priced=[False])
    frame = Frame(frame.data, {"result": "text", "menu_priced": "bool"}, None)
    said = failure_words(ex.parse("result == 'reached'"), frame, 0, "zh")
    assert said == "回访结果为未接通；要求回访结果为成功"
    assert failure_words(ex.parse("menu_priced"), frame, 0, "zh") == "目录报价为否；要求目录报价为是"
    assert (
        failure_words(ex.parse("menu_priced"), frame, 0, "en")
        == "menu priced is no; needs menu priced is yes"
    )


def test_statuses_and_reasons_in_chinese() -> None:
    assert STATUS_LABELS["zh"]["no_target"] == "不设目标"
    assert STATUS_LABELS["zh"]["reference"] == "参考值"
    said = reason_text(Reason("columns_missing", columns="repair_type", sheet="work_orders"), "zh")
    assert said == "维修工单中没有“维修类型”列"
    assert reason_text(Reason("no_records"), "zh") == "本期没有记录"
    check_said = Reason("check_columns_missing", sheet="technician_time", columns="clocked_hours")
    said = reason_text(check_said, "zh")
    assert said == "工时记录中没有“打卡工时”列"  # check's KPIs without data
    no_staff = Reason("sheet_reason", sheet="staff", why=Reason("sheet_missing"))
    assert reason_text(no_staff, "zh") == "缺少人员名单这张表"
    assert reason_text("something new", "zh") == "something new"  # no code: as the engine said it


def test_setting_values_in_words() -> None:
    assert setting_value("30min", "min", "zh") == "30分钟"
    assert setting_value("90cd", "cd", "zh") == "90个自然日"
    assert setting_value(["internal", "insurance"], "list", "zh") == "内部、保险"
    assert setting_value(None, "d", "zh") == "不限"
    assert setting_value(5, "min", "en") == "5 min"


def test_definition_sentences_read_cleanly_for_every_kpi() -> None:
    """No 的的, no 记录记录 (回访记录 + 记录), no ASCII column ids, for all 24 KPIs."""
    definitions = load_definitions()
    for kpi_id, compiled in definitions.compiled.items():
        text = "".join(definition_words(compiled, MAY, "zh"))
        assert "的的" not in text and "记录记录" not in text, (kpi_id, text)
        assert not any(column in text for column in compiled.columns if "_" in column), (kpi_id, text)


def test_explain_of_a_per_advisor_average_lists_each_advisor() -> None:
    """Parts sales per advisor: each advisor's parts sales and ROs; no RO is "below target"."""
    exp = explain(STORE, "parts_sales_per_advisor", month="2024-05", lang="zh")
    assert exp.records is None and exp.groups is not None and exp.groups.column == "advisor"
    groups = exp.groups.groups
    assert len(groups) == exp.kpi.denominator == 6
    assert sum(g.numerator for g in groups) == pytest.approx(exp.kpi.numerator)
    assert sum(g.records for g in groups) == 269  # every closed RO, each under its advisor
    assert all(g.denominator == 1 and g.value == g.numerator for g in groups)
    assert [g.value for g in groups] == sorted(g.value for g in groups)  # lowest first
    assert exp.to_dict()["groups"]["groups"][0]["records"] == groups[0].records


def test_explain_of_a_per_ro_average_lists_each_advisor_and_a_count_kpi_its_records() -> None:
    per_ro = explain(STORE, "hours_per_ro", month="2024-05")
    assert per_ro.records is None and per_ro.groups is not None
    assert sum(g.denominator for g in per_ro.groups.groups) == per_ro.kpi.denominator
    ratio = explain(STORE, "utilization", month="2024-05")  # a ratio of sums: records, as before
    assert ratio.groups is None and ratio.records is not None
    count = explain(STORE, "callback_rate", month="2024-05")
    assert count.groups is None and count.records is not None and count.records.total == 86


def test_explain_csv_of_an_average_is_the_per_advisor_list() -> None:
    result = CliRunner().invoke(
        app, ["explain", "parts_sales_per_advisor", "-d", str(STORE), "-m", "2024-05", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "advisor,value,status,numerator,denominator,records" and len(lines) == 7


def test_check_speaks_chinese_with_lang_and_from_the_config_file(tmp_path: Path) -> None:
    english = CliRunner().invoke(app, ["check", "-d", str(STORE), "--no-cache"])
    chinese = CliRunner().invoke(app, ["check", "-d", str(STORE), "--no-cache", "--lang", "zh"])
    assert "Sheets" in english.stdout and "work_orders" in english.stdout
    assert "数据表" in chinese.stdout and "维修工单" in chinese.stdout and "Sheets" not in chinese.stdout
    assert english.exit_code == chinese.exit_code
    config = tmp_path / "sdkpi.toml"
    config.write_text('lang = "zh"\n', encoding="utf-8")
    configured = CliRunner().invoke(app, ["check", "-d", str(STORE), "--no-cache", "--config", str(config)])
    assert "数据表" in configured.stdout
    overridden = CliRunner().invoke(
        app, ["check", "-d", str(STORE), "--no-cache", "--config", str(config), "--lang", "en"]
    )
    assert "Sheets" in overridden.stdout  # the command line wins over the file


def test_no_record_is_listed_as_missing_an_average(tmp_path: Path) -> None:
    """A store target on parts sales per advisor: the report and the records list never compare
    one RO with a per-advisor figure (the bug: 269 ROs 'below target')."""
    from sdkpi.api import load_data
    from sdkpi.drilldown import failing_mask, failing_records
    from sdkpi.engine import Engine

    definitions = load_definitions()
    evaluation = Engine(definitions, load_data(STORE)).evaluate("parts_sales_per_advisor", MAY)
    compiled = definitions.compiled["parts_sales_per_advisor"]
    assert failing_mask(evaluation, compiled) is None and failing_records(evaluation, compiled) is None
    utilization = Engine(definitions, load_data(STORE)).evaluate("utilization", MAY)
    assert failing_records(utilization, definitions.compiled["utilization"]) is not None


def test_an_average_without_data_says_none_under_its_per_advisor_title() -> None:
    import io

    from rich.console import Console

    from sdkpi.render.why import render_explanation

    exp = explain(STORE, "parts_sales_per_advisor", month="2023-01", lang="zh")
    out = io.StringIO()
    render_explanation(exp, Console(file=out, width=120, color_system=None), "zh")
    text = out.getvalue()
    assert exp.kpi.status == "no_data" and "本期没有记录" in text
    assert text.split("按服务顾问分列")[1].splitlines()[1].strip() == "无"


def test_diff_in_chinese_says_a_record_s_role_and_its_exclusion_in_chinese(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from sdkpi.compare import diff
    from sdkpi.config import default_definitions_path
    from sdkpi.render.why import render_diff

    text = default_definitions_path().read_text(encoding="utf-8")
    wider = tmp_path / "wider.yaml"
    text = text.replace("default: [internal]", "default: [internal, warranty]", 1)
    wider.write_text(text, encoding="utf-8")
    result = diff(STORE, definitions_b=wider, month="2024-05", kpis=["appointment_rate"], limit=3)
    out = io.StringIO()
    render_diff(result, Console(file=out, width=160, color_system=None), "zh")
    said = out.getvalue()
    assert "→ 排除(不计入的付费方" in said and "excluded" not in said
    assert "条记录的归属有变化" in said and "个百分点" in said
