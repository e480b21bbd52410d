"""A KPI's texts (description, numerator/denominator labels, provisional reason) state the
settings actually in force: `{setting}` placeholders in kpi_definitions.yaml are filled with
the values a store's sdkpi.toml gives, in both languages, and a changed setting a text cannot
state is named after it. With the shipped defaults every text is as it always was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE, TODAY
from sdkpi import api
from sdkpi.cli import app
from sdkpi.config import load_config
from sdkpi.definitions import Definitions, load_definitions, parse_definitions
from sdkpi.errors import DefinitionError

STORE_A = CONFORMANCE / "store-a"


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return load_definitions()


def store(definitions: Definitions, tmp_path: Path, toml: str) -> Definitions:
    path = tmp_path / "sdkpi.toml"
    path.write_text(toml, encoding="utf-8")
    return definitions.for_store(load_config(path))


# the shipped texts as they read before they were templated: byte for byte the same
DEFAULTS = {
    ("punctuality_rate", "description"): {
        "zh": "提前5分钟以内准时来店的客户数 / 预约维修的客户总数(未到店算作不守时)",
        "en": "Customers who arrived at most 5 minutes early and never late / all appointments "
        "(no-shows count as not punctual)",
    },
    ("reminder_rate", "description"): {
        "zh": "提前12-24小时提醒过的客户数 / 提前一天以上预约的客户数",
        "en": "Bookings reminded 12-24 hours before the appointment / bookings made at least 24 hours ahead",
    },
    ("reminder_rate", "numerator_label"): {"zh": "提前12-24小时提醒的预约", "en": "reminded 12-24 h before"},
    ("reminder_rate", "denominator_label"): {
        "zh": "提前一天以上的预约",
        "en": "bookings made 24 h or more ahead",
    },
    ("on_time_completion_rate", "description"): {
        "zh": "技师在约定交车时间前30分钟以上完成维修和质检的工单数 / 维修工单总数",
        "en": "Work orders whose repair and quality check were done at least 30 minutes before the "
        "promised time / all work orders",
    },
    ("on_time_completion_rate", "numerator_label"): {
        "zh": "提前30分钟以上完工",
        "en": "completed 30 min or more before promise",
    },
    ("dcrc_contact_rate", "description"): {
        "zh": "新车交车后90天内主动接触的客户数 / 已交车的新车总数",
        "en": "New cars whose owner service contacted within 90 days after delivery / new cars delivered",
    },
    ("dcrc_contact_rate", "numerator_label"): {"zh": "90天内联系", "en": "contacted within 90 days"},
    ("dcrc_contact_rate", "provisional_reason"): {
        "zh": "交车后90天内的联系可能尚未发生",
        "en": "contacts within the 90 days after delivery may still come",
    },
}


def test_default_texts_are_unchanged_byte_for_byte(definitions: Definitions) -> None:
    for (kpi, field), text in DEFAULTS.items():
        assert getattr(definitions.compiled[kpi], field) == text, (kpi, field)
    for kpi in definitions.kpis:  # no placeholder or escaped brace is left in any shipped text
        compiled = definitions.compiled[kpi.id]
        for field in ("description", "numerator_label", "denominator_label", "provisional_reason"):
            for said in (getattr(compiled, field) or {}).values():
                assert "{" not in said and "}" not in said, (kpi.id, field, said)


def test_a_store_setting_changes_the_texts(definitions: Definitions, tmp_path: Path) -> None:
    mine = store(
        definitions,
        tmp_path,
        "[settings]\npunctuality_rate.early = 10\non_time_completion_rate.margin = '1h'\n"
        "dcrc_contact_rate.dcrc_window = 60\nreminder_rate.reminder_latest = 6\n",
    )
    punctuality = mine.compiled["punctuality_rate"]
    assert punctuality.description == {
        "zh": "提前10分钟以内准时来店的客户数 / 预约维修的客户总数(未到店算作不守时)",
        "en": "Customers who arrived at most 10 minutes early and never late / all appointments "
        "(no-shows count as not punctual)",
    }
    # a label that names no number says which setting its condition uses differs
    assert punctuality.numerator_label == {
        "zh": "准时到店（early = 10分钟）",
        "en": "arrived on time (early = 10 min)",
    }
    on_time = mine.compiled["on_time_completion_rate"]
    assert on_time.numerator_label == {
        "zh": "提前60分钟以上完工",
        "en": "completed 60 min or more before promise",
    }
    assert "at least 60 minutes before" in on_time.description["en"]  # type: ignore[index]
    dcrc = mine.compiled["dcrc_contact_rate"]
    assert dcrc.description["zh"].startswith("新车交车后60天内")  # type: ignore[index]
    assert dcrc.provisional_reason == {
        "zh": "交车后60天内的联系可能尚未发生",
        "en": "contacts within the 60 days after delivery may still come",
    }
    reminder = mine.compiled["reminder_rate"]
    assert reminder.numerator_label == {"zh": "提前6-24小时提醒的预约", "en": "reminded 6-24 h before"}


def test_a_changed_setting_a_text_cannot_state_is_named(definitions: Definitions, tmp_path: Path) -> None:
    mine = store(
        definitions,
        tmp_path,
        "[settings]\npunctuality_rate.late = 3\ninvoice_timeliness_rate.invoice_margin = 15\n"
        'walkaround_rate.excluded_payers = ["internal"]\nreminder_rate.booked_ahead = 48\n',
    )
    punctuality = mine.compiled["punctuality_rate"].description
    assert punctuality is not None
    assert punctuality["en"].endswith("(written for the default settings; in force here: late = 3 min)")
    assert punctuality["zh"].endswith("（按默认设置撰写；此处生效：late = 3分钟）")
    invoice = mine.compiled["invoice_timeliness_rate"]
    assert invoice.numerator_label == {
        "zh": "按时出票（invoice_margin = 15分钟）",
        "en": "invoiced by the promised time (invoice_margin = 15 min)",
    }
    walkaround = mine.compiled["walkaround_rate"].description
    assert walkaround is not None and walkaround["en"].endswith(
        "in force here: excluded_payers = internal)"
    )
    reminder = mine.compiled["reminder_rate"]
    # English states the 48 h; the Chinese "一天" cannot, so it names the setting
    assert reminder.denominator_label == {
        "zh": "提前一天以上的预约（booked_ahead = 48小时）",
        "en": "bookings made 48 h or more ahead",
    }
    assert reminder.description is not None
    assert reminder.description["en"].endswith("bookings made at least 48 hours ahead")
    assert reminder.description["zh"].endswith("（按默认设置撰写；此处生效：booked_ahead = 48小时）")
    # the same value written another way is no change: no note
    same = store(definitions, tmp_path, "[settings]\nreminder_rate.booked_ahead = '1440min'\n")
    assert same.compiled["reminder_rate"].description == DEFAULTS[("reminder_rate", "description")]


def explain(config: Path, kpi: str, lang: str) -> dict[str, Any]:
    args = ["explain", kpi, "--data", str(STORE_A), "--month", "2024-05", "--config", str(config)]
    result = CliRunner().invoke(app, [*args, "--lang", lang, "--format", "json"])
    assert result.exit_code in (0, 1), result.output  # 1: the KPI missed its target
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "Numerator (completed 45 min or more before promise)"), ("zh", "分子(提前45分钟以上完工)")],
)
def test_explain_says_the_setting_in_force(tmp_path: Path, lang: str, said: str) -> None:
    config = tmp_path / "sdkpi.toml"
    config.write_text("[settings]\non_time_completion_rate.margin = 45\n", encoding="utf-8")
    definition = explain(config, "on_time_completion_rate", lang)["definition"]
    assert any(sentence.startswith(said) for sentence in definition), definition
    assert not any("30" in sentence for sentence in definition), definition


def test_the_report_data_carries_the_description_in_force(definitions: Definitions, tmp_path: Path) -> None:
    mine = store(definitions, tmp_path, "[settings]\npunctuality_rate.early = 10\n")
    result = api.compute(STORE_A, month="2024-05", definitions=mine, cache=False, today=TODAY)
    (kpi,) = [k for k in result.kpis if k.id == "punctuality_rate"]
    assert kpi.description is not None and "at most 10 minutes early" in kpi.description["en"]
    assert "提前10分钟以内" in kpi.description["zh"]


YAML = """
version: 1
stages:
  - id: s
    name: {zh: 环节, en: Stage}
kpis:
  - id: k
    name: {zh: 指标, en: KPI}
    stage: s
    sheet: appointments
    period: appointment_time
    description:
      zh: 提前{early}分钟
      en: %s
    parameters:
      early: {default: 5, unit: min, meaning: {zh: 提前, en: early}}
    denominator: {count: rows}
    numerator: {count: rows}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("at most {erly} minutes", "description.en: unknown setting {erly}; did you mean 'early'"),
        ("at most {early:>3} minutes", "description.en: {early:>3} is not a setting's name in braces"),
        ("a brace } alone", "description.en: Single '}' encountered"),
    ],
)
def test_a_bad_placeholder_is_a_definitions_error_with_line(text: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definitions(YAML % text, "kpis.yaml")
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.line == 14
    assert caught.value.kpi == "k"


def test_a_literal_brace_is_written_twice() -> None:
    definitions = parse_definitions(YAML % "'{{early}} is {early} min'", "kpis.yaml")
    assert definitions.compiled["k"].description == {"zh": "提前5分钟", "en": "{early} is 5 min"}
