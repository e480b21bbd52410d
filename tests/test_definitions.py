"""The definitions file: the shipped catalog, and every way a file can be wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO
from sdkpi.definitions import default_definitions_path, load_definitions, parse_definitions
from sdkpi.errors import DefinitionError

CATALOG_IDS = [
    "appointment_rate", "reminder_rate", "punctuality_rate", "menu_pricing_rate", "inspection_form_rate",
    "walkaround_rate", "parts_fill_rate", "parts_prepick_rate", "first_time_fix_rate",
    "on_time_completion_rate", "invoice_timeliness_rate", "delivery_explanation_rate", "callback_rate",
    "satisfaction_rate", "problem_resolution_rate", "utilization", "efficiency", "performance_index",
    "hours_per_ro", "parts_sales_per_ro", "parts_sales_per_advisor", "sales_handover_rate",
    "dcrc_contact_rate", "suggestion_implementation_rate",
]  # fmt: skip


def test_shipped_definitions_hold_every_catalog_kpi() -> None:
    definitions = load_definitions()
    assert sorted(k.id for k in definitions.kpis) == sorted(CATALOG_IDS)
    stages = {s.id for s in definitions.stages}
    assert stages == {
        "sales_contact", "service_contact", "appointment", "pre_inspection",
        "parts", "workshop", "delivery", "follow_up",
    }  # fmt: skip
    for kpi in definitions.kpis:
        assert kpi.name.zh and kpi.name.en and kpi.description is not None
        assert kpi.obstacles or kpi.notes, kpi.id


def test_packaged_definitions_are_the_top_level_file() -> None:
    assert default_definitions_path().read_bytes() == (REPO / "kpi_definitions.yaml").read_bytes()


@pytest.mark.parametrize(
    ("kpi_id", "target"),
    [
        ("appointment_rate", (">", 0.5)),
        ("reminder_rate", (">", 0.7)),
        ("inspection_form_rate", ("=", 1.0)),
        ("satisfaction_rate", ("=", 1.0)),
        ("hours_per_ro", (">=", 2.5)),
        ("parts_sales_per_ro", (">=", 100.0)),
        ("parts_fill_rate", None),
        ("performance_index", None),
        ("parts_sales_per_advisor", None),
    ],
)
def test_targets_as_in_the_catalog(kpi_id: str, target: tuple[str, float] | None) -> None:
    kpi = load_definitions().kpi(kpi_id)
    assert (None if kpi.target is None else (kpi.target.op, kpi.target.value)) == target


SMALL = """\
version: 1
stages:
  - id: workshop
    name: {zh: 车间, en: Workshop}
kpis:
  - id: my_rate
    name: {zh: 我的, en: Mine}
    stage: workshop
    sheet: work_orders
    period: opened_at
    denominator: {count: rows}
    numerator: {count: rows, where: "menu_priced"}
    target: "> 50%"
"""


def test_a_small_custom_file_validates() -> None:
    definitions = parse_definitions(SMALL)
    assert definitions.kpi("my_rate").target.value == 0.5  # type: ignore[union-attr]


def _error(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as err:
        parse_definitions(text, source="defs.yaml")
    return err.value


def test_yaml_syntax_error_has_line_and_column() -> None:
    err = _error(SMALL.replace("stage: workshop", "stage: [workshop"))
    assert err.line is not None and "YAML syntax error" in err.message
    assert err.hint and err.hint.startswith("column")


def test_duplicate_keys_are_rejected_with_line() -> None:
    err = _error(SMALL.replace("    period: opened_at\n", "    period: opened_at\n    period: closed_at\n"))
    assert "duplicate key 'period'" in err.message
    assert err.line == 11


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("sheet: work_orders", "sheet: work_order", "did you mean 'work_orders'", 9),
        ("stage: workshop\n    sheet", "stage: worksho\n    sheet", "did you mean 'workshop'", 8),
        ('where: "menu_priced"', 'where: "menu_price"', "did you mean 'menu_priced'", 12),
        ("period: opened_at", "period: opend_at", "did you mean 'opened_at'", 10),
        ("period: opened_at", "period: advisor", "not a date", 10),
        ('target: "> 50%"', 'target: "> 150%"', "not a possible rate", 13),
        ('where: "menu_priced"', "where: \"__import__('os')\"", "not allowed", 12),
        ('    numerator: {count: rows, where: "menu_priced"}\n', "", "numerator", None),
        ("    denominator: {count: rows}\n", "", "denominator", None),
        ("denominator: {count: rows}", "denominator: {sum: advisor}", "not a number column", 11),
        (
            "denominator: {count: rows}",
            "denominator: {count: rows, sum: labor_hours_sold}",
            "exactly one",
            11,
        ),
        ("id: my_rate", "id: My-Rate", "id", 6),
    ],
)
def test_invalid_definitions_name_the_kpi_field_and_line(
    old: str, new: str, message: str, line: int | None
) -> None:
    err = _error(SMALL.replace(old, new))
    assert message in err.message
    assert err.kpi in ("my_rate", "My-Rate")
    if line is not None:
        assert err.line == line, str(err)


def test_unknown_kpi_id_did_you_mean() -> None:
    with pytest.raises(DefinitionError, match="did you mean 'callback_rate'"):
        load_definitions().kpi("callbak_rate")


def test_yaml_tags_cannot_construct_python_objects() -> None:
    err = _error("!!python/object/apply:os.system ['echo pwned']")
    assert "YAML" in err.message


def test_extra_columns_let_custom_kpis_read_their_own_columns() -> None:
    text = SMALL.replace('where: "menu_priced"', "where: \"repair_kind == 'paint'\"")
    assert "did you mean" in _error(text).message or "unknown column" in _error(text).message
    text = "extra_columns:\n  work_orders: {repair_kind: text}\n" + text
    assert parse_definitions(text).kpi("my_rate")


def test_errors_render_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "defs.yaml"
    file.write_text(SMALL.replace("sheet: work_orders", "sheet: nope"), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_definitions(file)
    assert re.search(r"defs\.yaml:9, KPI 'my_rate': sheet: unknown sheet 'nope'", str(err.value))
