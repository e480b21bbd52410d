"""The result cache for a store whose sdkpi.toml sets KPI settings, targets or a currency.

Such a store computes with a `Definitions` object (`Definitions.for_store`), not a file. Its
re-run is answered from the result cache all the same, keyed on a digest of everything in
that object that can change a result: the definitions as loaded, the store's settings, its
targets (from sdkpi.toml or a targets file) with their sources, the currency and the store
they were picked for. Any change to one of them is a miss: never a stale answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sdkpi import api
from sdkpi.api import definitions_digest
from sdkpi.config import default_definitions_path, load_config
from sdkpi.definitions import Definitions, load_definitions
from sdkpi.render.json_out import to_json

TODAY = date(2024, 9, 1)


pytestmark = pytest.mark.usefixtures("cache_dir")  # each test its own cache folder (conftest)


@pytest.fixture
def data(store_a_copy: Path) -> Path:
    return store_a_copy


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the sheets are actually loaded (a miss of the result cache)."""
    calls: list[int] = []
    real = api.load_data

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "load_data", counting)
    return calls


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    out = json.loads(to_json(result))
    out.pop("generated_at")
    return out


class Store:
    """A store's sdkpi.toml (beside its data, as a store keeps it) and the definitions it gives."""

    def __init__(self, folder: Path, defs: Path | None = None) -> None:
        self.folder = folder
        self.toml = folder.parent / "config" / "sdkpi.toml"
        self.toml.parent.mkdir(exist_ok=True)
        self.defs = defs

    def definitions(self, text: str, store: str | None = None) -> Definitions:
        self.toml.write_text(text, encoding="utf-8")
        return load_definitions(self.defs).for_store(load_config(self.toml), store)

    def compute(self, text: str, store: str | None = None) -> dict:
        return _json(
            api.compute(self.folder, month="2024-05", definitions=self.definitions(text, store), today=TODAY)
        )


SETTING = "[settings]\ncallback_rate.callback_window = 3\n"


def test_a_rerun_with_the_same_toml_is_answered_from_the_cache(data, loads):
    store = Store(data)
    first = store.compute(SETTING)
    second = store.compute(SETTING)  # another object, loaded again from the same files
    assert len(loads) == 1
    assert second == first
    plain = _json(api.compute(data, month="2024-05", today=TODAY))
    assert len(loads) == 2  # the catalog as written is another question
    assert plain["kpis"] != first["kpis"]


def test_the_same_object_asked_twice_is_a_hit(data, loads):
    defs = Store(data).definitions(SETTING)
    first = api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    second = api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    assert len(loads) == 1
    assert _json(second) == _json(first)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(SETTING, "[settings]\ncallback_rate.callback_window = 1\n", id="a setting"),
        pytest.param(SETTING, "[settings]\ncallback_rate.callback_window = 3.0\n", id="int to float"),
        pytest.param(
            '[targets]\nappointment_rate = "> 30%"\n',
            '[targets]\nappointment_rate = "> 90%"\n',
            id="a target",
        ),
        pytest.param(
            '[targets]\nappointment_rate = "> 30%"\n',
            '[targets]\nappointment_rate = "none"\n',
            id="no target",
        ),
        pytest.param(
            '[targets]\nappointment_rate = "> 30%"\n',
            '\n[targets]\nappointment_rate = "> 30%"\n',
            id="a target's source line",
        ),
        pytest.param(
            '[targets]\nparts_sales_per_ro = ">= 600"\n',
            'currency = "USD"\n[targets]\nparts_sales_per_ro = ">= 600"\n',
            id="the currency",
        ),
    ],
)
def test_any_change_to_the_toml_is_a_miss(data, loads, before, after, request):
    store = Store(data)
    first = store.compute(before)
    assert store.compute(before) == first
    assert len(loads) == 1
    second = store.compute(after)
    assert len(loads) == 2
    if "int to float" not in request.node.name:  # (the same number: a miss all the same)
        assert second["kpis"] != first["kpis"]
    assert second == _json(
        api.compute(data, month="2024-05", definitions=store.definitions(after), cache=False, today=TODAY)
    )


def test_an_edited_targets_file_is_a_miss(data, loads):
    store = Store(data)
    csv = store.toml.parent / "targets.csv"
    toml = 'targets_file = "targets.csv"\n'
    csv.write_text("kpi,store,from_month,target\nappointment_rate,,2024-05,> 20%\n", encoding="utf-8")
    first = store.compute(toml)
    assert store.compute(toml) == first
    assert len(loads) == 1
    csv.write_text("kpi,store,from_month,target\nappointment_rate,,2024-05,> 95%\n", encoding="utf-8")
    second = store.compute(toml)
    assert len(loads) == 2
    assert first["kpis"] != second["kpis"]
    # a row for this store only: the store the targets were picked for is part of the key
    csv.write_text("kpi,store,from_month,target\nappointment_rate,Store A,2024-05,> 95%\n", encoding="utf-8")
    mine, other = store.compute(toml, "Store A"), store.compute(toml, "Store B")
    assert len(loads) == 4
    assert mine["kpis"] != other["kpis"]


def test_an_edited_definitions_file_with_a_toml_is_a_miss(data, loads, tmp_path):
    defs = tmp_path / "kpis.yaml"
    shutil.copy(default_definitions_path(), defs)
    store = Store(data, defs)
    first = store.compute(SETTING)
    assert store.compute(SETTING) == first
    assert len(loads) == 1
    defs.write_text(defs.read_text(encoding="utf-8").replace('"> 65%"', '"> 99%"'), encoding="utf-8")
    second = store.compute(SETTING)
    assert len(loads) == 2
    assert first["kpis"] != second["kpis"]


def test_a_staff_roster_added_or_edited_is_a_miss(data, loads):
    store = Store(data)
    first = store.compute(SETTING)
    staff = data / "staff.csv"
    staff.write_text("name,role\nSA01,advisor\nSA02,advisor\n", encoding="utf-8")
    second = store.compute(SETTING)
    assert len(loads) == 2
    assert second["kpis"] != first["kpis"]
    staff.write_text("name,role\nSA01,advisor\n", encoding="utf-8")
    third = store.compute(SETTING)
    assert len(loads) == 3
    assert third["kpis"] != second["kpis"]


def test_a_list_changed_in_place_is_a_miss(data, loads):
    """A library user's own object: what it holds when asked is what is keyed."""
    defs = load_definitions()
    first = api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    fewer = defs.model_copy(update={"kpis": defs.kpis[:3]})
    second = api.compute(data, month="2024-05", definitions=fewer, today=TODAY)
    assert len(loads) == 2
    assert len(second.kpis) == 3 < len(first.kpis)


def test_a_subclass_is_not_cached(data, loads):
    """A subclass may compute differently from what its fields say: never keyed."""

    class Mine(Definitions):
        pass

    defs = Mine.model_validate(load_definitions().model_dump())
    api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    assert len(loads) == 2


def test_the_digest_is_the_same_in_another_process(data, tmp_path):
    """Stable across processes (no set order, no object id): a cron job's next run is a hit."""
    toml = tmp_path / "sdkpi.toml"
    toml.write_text(
        SETTING + '[targets]\nappointment_rate = "> 30%"\n[settings.appointment_rate]\n'
        'excluded_payers = ["warranty", "internal"]\n',
        encoding="utf-8",
    )
    code = (
        "from sdkpi.config import load_config; from sdkpi.definitions import load_definitions; "
        "from sdkpi.api import definitions_digest; "
        f"print(definitions_digest(load_definitions().for_store(load_config({str(toml)!r}), 'S')))"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1 and len(next(iter(digests)).strip()) == 64


def test_the_cli_rerun_with_a_toml_is_a_hit(data, loads, tmp_path):
    from typer.testing import CliRunner

    from sdkpi.cli import app

    toml = tmp_path / "sdkpi.toml"
    toml.write_text(SETTING, encoding="utf-8")

    def compute() -> dict:
        result = CliRunner().invoke(
            app,
            ["compute", "--data", str(data), "--config", str(toml), "--month", "2024-05", "--format", "json"],
        )
        assert result.exit_code in (0, 1), result.stderr
        out = json.loads(result.stdout)
        out.pop("generated_at")
        return out

    first = compute()
    assert compute() == first
    assert len(loads) == 1
    toml.write_text("[settings]\ncallback_rate.callback_window = 1\n", encoding="utf-8")
    assert compute()["kpis"] != first["kpis"]
    assert len(loads) == 2


def test_kpis_changed_in_place_after_compiling_are_not_keyed(data, loads):
    """Its compiled KPIs are kept: a list changed after they were made is not what it computes."""
    defs = load_definitions()
    api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    assert definitions_digest(defs) is not None
    defs.kpis.pop()
    assert definitions_digest(defs) is None
