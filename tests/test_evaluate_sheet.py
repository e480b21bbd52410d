"""A computation evaluates each sheet's KPIs as soon as the sheet is loaded (on its loading
thread, while the others load): the result is the one the engine gives on the whole dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sdkpi import api, engine
from sdkpi.config import default_definitions_path
from sdkpi.definitions import load_definitions
from sdkpi.render.json_out import to_json

CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "store-a"


def _payload(result: object) -> dict:
    payload = json.loads(to_json(result))  # type: ignore[arg-type]
    for made_by_the_api in ("generated_at", "definitions", "store"):
        payload.pop(made_by_the_api, None)
    return payload


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")


@pytest.mark.parametrize("month", ["2024-04", "2024-05", "2024-06"])
def test_sheet_by_sheet_gives_the_engine_s_result(month: str, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated: list[str] = []
    real = engine.evaluate_sheet

    def spy(definitions, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        evaluated.append(data.name)
        return real(definitions, data, *args, **kwargs)

    monkeypatch.setattr(engine, "evaluate_sheet", spy)
    result = api.compute(CONFORMANCE, month=month)
    assert sorted(evaluated) == sorted({k.sheet for k in load_definitions(default_definitions_path()).kpis})

    definitions = load_definitions(default_definitions_path())
    dataset = api.load_data(CONFORMANCE, columns=api.columns_read(definitions))
    whole = engine.Engine(definitions, dataset).compute(api.parse_period(month))
    assert _payload(result) == _payload(whole)


def test_some_kpis_only(monkeypatch: pytest.MonkeyPatch) -> None:
    result = api.compute(CONFORMANCE, month="2024-05", kpis=["first_time_fix_rate", "callback_rate"])
    assert [k.id for k in result.kpis] == ["first_time_fix_rate", "callback_rate"]
    definitions = load_definitions(default_definitions_path())
    dataset = api.load_data(CONFORMANCE, columns=api.columns_read(definitions))
    whole = engine.Engine(definitions, dataset).compute(
        api.parse_period("2024-05"), ["first_time_fix_rate", "callback_rate"]
    )
    assert _payload(result) == _payload(whole)


def test_a_store_picked_from_a_group_is_evaluated_once_picked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("store-a", "store-b"):
        shutil.copytree(CONFORMANCE, tmp_path / "group" / name)
    alone = api.compute(tmp_path / "group" / "store-b", month="2024-05")
    monkeypatch.setattr(engine, "evaluate_sheet", lambda *a, **k: pytest.fail("evaluated before the pick"))
    picked = api.compute(tmp_path / "group", month="2024-05", store="store-b")
    assert [k.numerator for k in picked.kpis] == [k.numerator for k in alone.kpis]
