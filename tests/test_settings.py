"""Named settings, per-store targets and currency: a store's sdkpi.toml changes the KPIs
without editing the definitions file, and every mistake names the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import CONFORMANCE, TODAY, dataset, evaluate
from sdkpi.config import load_config
from sdkpi.definitions import Definitions, parse_definitions
from sdkpi.engine import Engine
from sdkpi.errors import EXIT_USAGE, DefinitionError, UsageError
from sdkpi.results import Period
from test_kpi_boundaries import wo

MAY = Period.month("2024-05")


def store(definitions: Definitions, tmp_path: Path, toml: str, name: str | None = None) -> Definitions:
    path = tmp_path / "sdkpi.toml"
    path.write_text(toml, encoding="utf-8")
    return definitions.for_store(load_config(path), name)


def ap(i: int, arrived: str | None) -> dict[str, Any]:
    return {
        "appointment_id": f"AP{i}",
        "booked_at": "2024-05-08 09:00",
        "appointment_time": "2024-05-10 09:00",
        "arrived_at": arrived,
    }


def counts(ev: Any) -> tuple[Any, Any, Any]:
    return ev.result.numerator, ev.result.denominator, ev.result.value


# --------------------------------------------------------------------------- settings


def test_every_kpi_setting_has_a_meaning_in_both_languages(definitions: Definitions) -> None:
    names = {(k.id, name) for k in definitions.kpis for name in k.parameters}
    assert {
        ("punctuality_rate", "early"),
        ("punctuality_rate", "late"),
        ("reminder_rate", "reminder_earliest"),
        ("reminder_rate", "reminder_latest"),
        ("reminder_rate", "booked_ahead"),
        ("on_time_completion_rate", "margin"),
        ("first_time_fix_rate", "comeback_counts"),
        ("dcrc_contact_rate", "dcrc_window"),
        ("callback_rate", "callback_window"),
        ("appointment_rate", "excluded_payers"),
        ("walkaround_rate", "excluded_payers"),
        ("invoice_timeliness_rate", "invoice_margin"),
    } <= names
    for kpi in definitions.kpis:
        for param in kpi.parameters.values():
            assert param.meaning.zh and param.meaning.en


def test_punctuality_tolerance_from_sdkpi_toml(definitions: Definitions, tmp_path: Path) -> None:
    rows = [ap(1, "2024-05-10 08:55"), ap(2, "2024-05-10 08:50"), ap(3, "2024-05-10 09:03"), ap(4, None)]
    assert counts(evaluate(definitions, "punctuality_rate", appointments=rows)) == (1, 4, 0.25)
    mine = store(
        definitions, tmp_path, "[settings]\npunctuality_rate.early = 10\npunctuality_rate.late = 3\n"
    )
    ev = evaluate(mine, "punctuality_rate", appointments=rows)
    assert counts(ev) == (3, 4, 0.75)  # 10 min early and 3 min late now count
    used = {s["name"]: (s["value"], s["source"]) for s in ev.result.settings}
    assert used["early"] == ("10min", str(tmp_path / "sdkpi.toml"))
    assert used["late"][0] == "3min"
    # the definitions object itself is unchanged: no hidden state
    assert counts(evaluate(definitions, "punctuality_rate", appointments=rows)) == (1, 4, 0.25)


def test_settings_used_are_in_the_result_with_default_source(definitions: Definitions) -> None:
    ev = evaluate(definitions, "on_time_completion_rate", work_orders=[wo("R1")])
    (margin,) = ev.result.settings
    assert (margin["name"], margin["value"], margin["source"], margin["unit"]) == (
        "margin",
        "30min",
        "definitions",
        "min",
    )
    assert margin["meaning"]["zh"] and margin["meaning"]["en"]
    assert ev.result.to_dict()["settings"][0]["value"] == "30min"


def test_on_time_margin_setting_moves_the_boundary(definitions: Definitions, tmp_path: Path) -> None:
    rows = [
        wo("R1", work_completed_at="2024-05-10 16:30"),  # exactly 30 min before
        wo("R2", work_completed_at="2024-05-10 16:15"),  # 45 min before
    ]
    assert counts(evaluate(definitions, "on_time_completion_rate", work_orders=rows)) == (2, 2, 1.0)
    mine = store(definitions, tmp_path, '[settings.on_time_completion_rate]\nmargin = "45min"\n')
    assert counts(evaluate(mine, "on_time_completion_rate", work_orders=rows)) == (1, 2, 0.5)


def test_walkaround_payer_exclusion_is_a_setting(definitions: Definitions, tmp_path: Path) -> None:
    rows = [wo("R1", walkaround=True), wo("R2", walkaround=True, customer_type="internal"), wo("R3")]
    assert counts(evaluate(definitions, "walkaround_rate", work_orders=rows))[:2] == (2, 3)
    mine = store(definitions, tmp_path, '[settings]\nwalkaround_rate.excluded_payers = ["internal"]\n')
    ev = evaluate(mine, "walkaround_rate", work_orders=rows)
    assert counts(ev) == (1, 2, 0.5)
    assert ev.result.excluded[0]["count"] == 1


def test_appointment_rate_payers_can_leave_out_insurance_too(
    definitions: Definitions, tmp_path: Path
) -> None:
    rows = [
        wo("R1", appointment_id="A1"),
        wo("R2", customer_type="insurance"),
        wo("R3", customer_type="internal", appointment_id="A3"),
    ]
    assert counts(evaluate(definitions, "appointment_rate", work_orders=rows)) == (1, 2, 0.5)
    mine = store(
        definitions, tmp_path, '[settings]\nappointment_rate.excluded_payers = ["internal", "insurance"]\n'
    )
    assert counts(evaluate(mine, "appointment_rate", work_orders=rows)) == (1, 1, 1.0)


def test_first_time_fix_comeback_order_itself_can_be_left_out(
    definitions: Definitions, tmp_path: Path
) -> None:
    rows = [wo("R1"), wo("R2", comeback_of="R1"), wo("R3")]
    assert counts(evaluate(definitions, "first_time_fix_rate", work_orders=rows))[:2] == (2, 3)
    mine = store(definitions, tmp_path, "[settings]\nfirst_time_fix_rate.comeback_counts = false\n")
    ev = evaluate(mine, "first_time_fix_rate", work_orders=rows)
    assert counts(ev) == (1, 2, 0.5)
    assert ev.result.excluded[0]["count"] == 1


def test_callback_window_setting(definitions: Definitions, tmp_path: Path) -> None:
    def cb(i: int, called: str) -> dict[str, Any]:
        return {"callback_id": f"C{i}", "due_at": "2024-05-10", "called_at": called, "result": "reached"}

    rows = [cb(1, "2024-05-12 10:00"), cb(2, "2024-05-20 10:00")]
    assert counts(evaluate(definitions, "callback_rate", callbacks=rows))[:2] == (2, 2)  # no limit
    mine = store(definitions, tmp_path, "[settings]\ncallback_rate.callback_window = 3\n")
    assert counts(evaluate(mine, "callback_rate", callbacks=rows))[:2] == (1, 2)


def test_dcrc_window_in_24_hour_days_when_asked(definitions: Definitions, tmp_path: Path) -> None:
    rows = [
        {
            "vin": "V1",
            "delivered_at": "2024-05-10",
            "introduced_to_service": True,
            "first_service_contact_at": "2024-08-08 10:00",  # day 90 at 10:00
        }
    ]
    assert counts(evaluate(definitions, "dcrc_contact_rate", vehicle_sales=rows))[:2] == (1, 1)
    mine = store(definitions, tmp_path, '[settings]\ndcrc_contact_rate.dcrc_window = "90d"\n')
    assert counts(evaluate(mine, "dcrc_contact_rate", vehicle_sales=rows))[:2] == (0, 1)


def test_satisfaction_blank_can_count_as_dissatisfied(definitions: Definitions, tmp_path: Path) -> None:
    rows = [
        {"callback_id": "C1", "due_at": "2024-05-10", "result": "reached", "satisfied": True},
        {"callback_id": "C2", "due_at": "2024-05-10", "result": "reached", "satisfied": None},
    ]
    assert counts(evaluate(definitions, "satisfaction_rate", callbacks=rows)) == (1, 1, 1.0)
    mine = store(definitions, tmp_path, "[settings]\nsatisfaction_rate.blank_is_not_asked = false\n")
    assert counts(evaluate(mine, "satisfaction_rate", callbacks=rows)) == (1, 2, 0.5)


@pytest.mark.parametrize(
    ("toml", "message", "line"),
    [
        ("\n[settings]\npunctuality_rate.erly = 10\n", "has no setting 'erly'; did you mean 'early'", 3),
        ("[settings]\n\npunctualty_rate.early = 10\n", "unknown KPI 'punctualty_rate'", 3),
        ('[settings]\npunctuality_rate.early = "soon"\n', "not a duration", 2),
        ("[settings]\nfirst_time_fix_rate.comeback_counts = 1\n", "not true or false", 2),
        ('[settings]\nwalkaround_rate.excluded_payers = ["vip"]\n', "'vip' is not one of", 2),
    ],
)
def test_a_bad_setting_names_the_file_and_line(
    definitions: Definitions, tmp_path: Path, toml: str, message: str, line: int
) -> None:
    with pytest.raises(UsageError) as caught:
        store(definitions, tmp_path, toml)
    assert message in caught.value.message
    assert caught.value.file == str(tmp_path / "sdkpi.toml")
    assert caught.value.line == line
    assert caught.value.exit_code == EXIT_USAGE


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
    parameters:
      early: {default: 5, unit: min, meaning: {zh: 提前, en: early}}
    denominator: {count: rows}
    numerator:
      count: rows
      where: "arrived_at between appointment_time - erly and appointment_time"
"""


def test_an_unknown_name_in_a_condition_is_a_definitions_error_with_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definitions(YAML, "kpis.yaml")
    assert "unknown column 'erly'" in caught.value.message
    assert "early" in caught.value.message  # did you mean: the setting is close
    assert caught.value.line == 17
    assert caught.value.exit_code == EXIT_USAGE


def test_a_setting_named_like_a_column_is_refused() -> None:
    text = YAML.replace("early: {default", "arrived_at: {default").replace("- erly", "- 5min")
    with pytest.raises(DefinitionError, match="has the name of a column"):
        parse_definitions(text, "kpis.yaml")


def test_a_default_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(DefinitionError, match="not a duration"):
        parse_definitions(YAML.replace("default: 5,", "default: soon,").replace("- erly", "- early"))


def test_a_setting_is_a_literal_never_text_run_as_an_expression() -> None:
    """A text setting is substituted as one quoted literal: code in it is a value nobody has."""
    text = YAML.replace(
        "early: {default: 5, unit: min, meaning: {zh: 提前, en: early}}",
        "who: {default: \"__import__('os') or 1\", unit: text, meaning: {zh: 谁, en: who}}",
    ).replace('"arrived_at between appointment_time - erly and appointment_time"', '"ro_number == who"')
    defs = parse_definitions(text)
    node = defs.compiled["k"].numerator_where
    from sdkpi import expr as ex

    assert isinstance(node, ex.Compare) and isinstance(node.right, ex.Literal)
    assert node.right.value == "__import__('os') or 1"


# --------------------------------------------------------------------------- targets


def test_store_target_from_sdkpi_toml_with_its_source(definitions: Definitions, tmp_path: Path) -> None:
    rows = [wo("R1", appointment_id="A1"), wo("R2"), wo("R3")]
    assert evaluate(definitions, "appointment_rate", work_orders=rows).result.status == "missed"
    mine = store(definitions, tmp_path, '[targets]\nappointment_rate = "> 30%"\n')
    result = evaluate(mine, "appointment_rate", work_orders=rows).result
    assert result.status == "met"
    assert result.target is not None and result.target.value == 0.3
    assert result.target.source == "sdkpi.toml:2"
    assert evaluate(definitions, "appointment_rate", work_orders=rows).result.target.source == "definitions"  # type: ignore[union-attr]


def test_targets_per_store_and_month(definitions: Definitions, tmp_path: Path) -> None:
    (tmp_path / "targets.csv").write_text(
        "kpi,store,from_month,target\n"
        "appointment_rate,,,> 20%\n"
        "appointment_rate,,2024-06,> 40%\n"
        "appointment_rate,Store A,2024-05,> 35%\n"
        "appointment_rate,Store B,2024-01,> 90%\n",
        encoding="utf-8",
    )
    toml = 'targets_file = "targets.csv"\n'
    rows = [wo("R1", appointment_id="A1"), wo("R2"), wo("R3")]  # 33.3%
    june_rows = [dict(r, opened_at="2024-06-10 09:00") for r in rows]

    def target(name: str | None, month: str, data: list[dict[str, Any]]) -> tuple[float, str, str]:
        result = evaluate(
            store(definitions, tmp_path, toml, name), "appointment_rate", month, work_orders=data
        ).result
        assert result.target is not None
        return result.target.value, result.target.source, result.status

    assert target(None, "2024-05", rows) == (0.2, "targets.csv:2", "met")
    assert target(None, "2024-06", june_rows) == (0.4, "targets.csv:3", "missed")
    assert target("Store A", "2024-05", rows) == (0.35, "targets.csv:4", "missed")
    assert target("store a", "2024-06", june_rows) == (0.35, "targets.csv:4", "missed")  # own beats all
    assert target("Store B", "2024-05", rows) == (0.9, "targets.csv:5", "missed")
    # before any from_month the definitions file's target holds
    april = [dict(r, opened_at="2024-04-10 09:00") for r in rows]
    (tmp_path / "targets.csv").write_text("kpi,from_month,target\nappointment_rate,2024-05,> 20%\n")
    assert target(None, "2024-04", april) == (0.5, "definitions", "missed")


def test_sdkpi_toml_wins_a_tie_with_the_targets_file(definitions: Definitions, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("kpi,target\nappointment_rate,> 10%\n", encoding="utf-8")
    mine = store(definitions, tmp_path, 'targets_file = "t.csv"\n[targets]\nappointment_rate = "> 60%"\n')
    result = evaluate(mine, "appointment_rate", work_orders=[wo("R1")]).result
    assert result.target is not None and (result.target.value, result.target.source) == (
        0.6,
        "sdkpi.toml:3",
    )


def test_a_target_of_none_makes_the_kpi_report_only(definitions: Definitions, tmp_path: Path) -> None:
    mine = store(definitions, tmp_path, '[targets]\nappointment_rate = "none"\n')
    result = evaluate(mine, "appointment_rate", work_orders=[wo("R1")]).result
    assert (result.target, result.status) == (None, "no_target")


@pytest.mark.parametrize(
    ("csv", "message", "line"),
    [
        ("kpi,target\nappointment_rate,> 50%\nappointmnet_rate,> 50%\n", "unknown KPI 'appointmnet_rate'", 3),
        ("kpi,target\nappointment_rate,about half\n", "is not like '> 50%'", 2),
        ("kpi,target\nappointment_rate,> 150%\n", "not a possible rate", 2),
        ("kpi,from_month,target\nappointment_rate,May,> 50%\n", "must look like 2024-07", 2),
        ("kpi,value\nappointment_rate,> 50%\n", "no 'target' column", 1),
    ],
)
def test_a_bad_targets_file_names_the_file_and_line(
    definitions: Definitions, tmp_path: Path, csv: str, message: str, line: int
) -> None:
    (tmp_path / "targets.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        store(definitions, tmp_path, 'targets_file = "targets.csv"\n')
    assert message in caught.value.message
    assert caught.value.file == str(tmp_path / "targets.csv")
    assert caught.value.line == line


def test_a_bad_toml_target_names_the_line(definitions: Definitions, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        store(definitions, tmp_path, '[targets]\n\nwalkaround_rate = "more than half"\n')
    assert caught.value.line == 3 and "walkaround_rate" in caught.value.message


def test_a_quoted_dotted_setting_says_to_drop_the_quotes(definitions: Definitions, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        store(definitions, tmp_path, '[settings]\n"punctuality_rate.early" = 10\n')
    assert caught.value.line == 2
    assert caught.value.message == (
        'settings: write punctuality_rate.early = 10 without quotes around "punctuality_rate.early"'
    )


# --------------------------------------------------------------------------- currency and reference values


def test_guide_dollar_reference_is_shown_for_a_yuan_store_never_judged(definitions: Definitions) -> None:
    rows = [wo("R1", closed_at="2024-05-10", parts_amount=50.0)]
    result = evaluate(definitions, "parts_sales_per_ro", work_orders=rows).result
    assert result.status == "reference"
    assert result.target is not None and result.target.currency == "USD"
    assert result.target.to_dict()["not_judged"] == "reference"
    assert "参考值" in (result.target.not_judged_text("zh") or "")


def test_a_store_target_in_its_own_money_is_judged(definitions: Definitions, tmp_path: Path) -> None:
    rows = [wo("R1", closed_at="2024-05-10", parts_amount=650.0)]
    mine = store(definitions, tmp_path, '[targets]\nparts_sales_per_ro = ">= 600"\n')
    result = evaluate(mine, "parts_sales_per_ro", work_orders=rows).result
    assert result.status == "met"
    assert result.target is not None and result.target.currency == "CNY"


BENCH = """
version: 1
currency: USD
stages:
  - id: s
    name: {zh: 环节, en: Stage}
kpis:
  - id: per_ro
    name: {zh: 每单, en: Per RO}
    stage: s
    sheet: work_orders
    period: closed_at
    unit: currency
    denominator: {count: rows, where: "closed_at is not null"}
    numerator: {sum: parts_amount}
    target: {op: ">=", value: 100, kind: benchmark}
"""


@pytest.mark.parametrize(
    ("money", "status"), [(None, "met"), ("$", "met"), ("USD", "met"), ("¥", "reference")]
)
def test_a_benchmark_in_another_currency_is_not_judged(
    tmp_path: Path, money: str | None, status: str
) -> None:
    defs = parse_definitions(BENCH)
    if money is not None:
        defs = store(defs, tmp_path, f'currency = "{money}"\n')
    engine = Engine(defs, dataset(work_orders=[wo("R1", closed_at="2024-05-10", parts_amount=150.0)]))
    result = engine.evaluate("per_ro", MAY, TODAY).result
    assert result.status == status
    assert result.value == 150.0


def test_unknown_currency_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "sdkpi.toml").write_text('currency = "dollars"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="not a code like CNY"):
        load_config(tmp_path / "sdkpi.toml")


def test_fail_on_miss_ignores_reference_values(tmp_path: Path) -> None:
    """On the conformance store every judged KPI is set to be met: --fail-on-miss exits 0
    although the (2.5) and ($100) reference values are far from their figures."""
    from typer.testing import CliRunner

    from sdkpi.cli import app

    met_all = "\n".join(f'{k} = "none"' for k in ALL_TARGETED)
    (tmp_path / "sdkpi.toml").write_text(f"[targets]\n{met_all}\n", encoding="utf-8")
    args = ["compute", "--data", str(CONFORMANCE / "store-a"), "--month", "2024-05", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--fail-on-miss", "--config", str(tmp_path / "sdkpi.toml")])
    assert result.exit_code == 0, result.output
    assert '"reference"' in result.output


ALL_TARGETED = [
    "appointment_rate",
    "reminder_rate",
    "punctuality_rate",
    "menu_pricing_rate",
    "inspection_form_rate",
    "walkaround_rate",
    "parts_prepick_rate",
    "first_time_fix_rate",
    "on_time_completion_rate",
    "invoice_timeliness_rate",
    "delivery_explanation_rate",
    "callback_rate",
    "satisfaction_rate",
    "problem_resolution_rate",
    "utilization",
    "efficiency",
    "sales_handover_rate",
    "dcrc_contact_rate",
    "suggestion_implementation_rate",
]


def test_comeback_window_setting(definitions: Definitions, tmp_path: Path) -> None:
    rows = [
        wo("R1", opened_at="2024-05-02 10:00"),
        wo("R2", opened_at="2024-05-03 10:00"),
        wo("R3", opened_at="2024-05-12 10:00", comeback_of="R1"),  # 10 days later
        wo("R4", opened_at="2024-06-20 10:00", comeback_of="R2"),  # 48 days later
        wo("R5", opened_at="2024-05-20 10:00", comeback_of="R9"),  # names an order not in the export
    ]
    default = evaluate(definitions, "first_time_fix_rate", work_orders=rows)
    assert counts(default)[:2] == (2, 4)  # no window: both comebacks count against May
    mine = store(definitions, tmp_path, "[settings]\nfirst_time_fix_rate.comeback_window = 30\n")
    windowed = evaluate(mine, "first_time_fix_rate", work_orders=rows)
    assert counts(windowed)[:2] == (3, 4)  # R2's comeback came after 48 days: not a comeback
    exact = store(definitions, tmp_path, '[settings]\nfirst_time_fix_rate.comeback_window = "10d"\n')
    assert counts(evaluate(exact, "first_time_fix_rate", work_orders=rows))[:2] == (3, 4)  # day 10 counts
    short = store(definitions, tmp_path, '[settings]\nfirst_time_fix_rate.comeback_window = "239h"\n')
    assert counts(evaluate(short, "first_time_fix_rate", work_orders=rows))[:2] == (4, 4)


def test_appointment_rate_counted_by_visit(definitions: Definitions, tmp_path: Path) -> None:
    rows = [
        wo("R1", vin="V1", opened_at="2024-05-10 09:00"),
        wo("R2", vin="V1", opened_at="2024-05-10 11:00", appointment_id="A1"),  # same visit as R1
        wo("R3", vin="V1", opened_at="2024-05-11 09:00"),  # next day: another visit
        wo("R4", vin="V2", opened_at="2024-05-10 09:00", appointment_id="A2"),
        wo("R5", vin="V2", opened_at="2024-05-10 10:00"),  # same visit as R4
        wo("R6", opened_at="2024-05-10 10:00"),  # no VIN: a visit of its own
    ]
    by_ro = evaluate(definitions, "appointment_rate", work_orders=rows)
    assert counts(by_ro)[:2] == (2, 6)
    mine = store(definitions, tmp_path, '[settings]\nappointment_rate.counting_unit = "visit"\n')
    by_visit = evaluate(mine, "appointment_rate", work_orders=rows)
    assert counts(by_visit)[:2] == (2, 4)  # visits: V1 10th (appointment), V1 11th, V2 10th (appointment), R6
    assert by_visit.result.excluded[-1]["count"] == 2
    with pytest.raises(UsageError, match="'shop' is not one of ro, visit"):
        store(definitions, tmp_path, '[settings]\nappointment_rate.counting_unit = "shop"\n')


def test_explain_words_use_the_store_target_and_say_reference(
    definitions: Definitions, tmp_path: Path
) -> None:
    from sdkpi.explain import explain_evaluation

    mine = store(definitions, tmp_path, '[targets]\nappointment_rate = "> 30%"\n')
    rows = [wo("R1", appointment_id="A1", closed_at="2024-05-10", parts_amount=10.0), wo("R2")]
    data = dataset(work_orders=rows)
    ev = Engine(mine, data).evaluate("appointment_rate", MAY, TODAY)
    words = explain_evaluation(mine.compiled["appointment_rate"], ev, MAY).definition
    assert any("target > 30%" in sentence for sentence in words)
    ev = Engine(definitions, data).evaluate("parts_sales_per_ro", MAY, TODAY)
    for lang, shown in (("en", "reference value 100 USD"), ("zh", "参考值 100美元")):
        words = explain_evaluation(definitions.compiled["parts_sales_per_ro"], ev, MAY, lang).definition
        assert any(shown in sentence for sentence in words), words


def test_a_yuan_store_on_the_shipped_catalog_keeps_the_definitions_file(tmp_path: Path) -> None:
    """currency = "¥" changes nothing for the shipped (CNY) catalog: the run keeps its
    definitions file, so the result cache can answer a re-run."""
    from sdkpi.cli.batch import resolve

    (tmp_path / "sdkpi.toml").write_text('currency = "¥"\n', encoding="utf-8")
    assert resolve(tmp_path / "sdkpi.toml").definitions is None
    (tmp_path / "sdkpi.toml").write_text('currency = "USD"\n', encoding="utf-8")
    adapted = resolve(tmp_path / "sdkpi.toml").definitions
    assert isinstance(adapted, Definitions) and adapted.store_currency == "USD"


def test_a_column_is_read_only_by_the_settings_in_force(definitions: Definitions, tmp_path: Path) -> None:
    """counting_unit = ro (the default) reads no vin: a bad vin never takes an order out."""
    assert "vin" not in definitions.compiled["appointment_rate"].columns
    mine = store(definitions, tmp_path, '[settings]\nappointment_rate.counting_unit = "visit"\n')
    assert {"vin", "appointment_id"} <= mine.compiled["appointment_rate"].columns


def test_money_is_written_with_the_currency_sign_not_its_code() -> None:
    from sdkpi.render.formatting import format_number, format_part, money_sign

    assert format_number(512.91, "currency", "CNY") == "¥512.91"
    assert format_part(1234.5, "currency", "USD") == "$1,234.50"
    assert money_sign("¥") == "¥" and money_sign("THB") == "THB "
