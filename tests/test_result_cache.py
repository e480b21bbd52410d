"""The result cache: a re-run on unchanged inputs is answered without reading a sheet,
and any change to what produced the answer (a data file, the definitions, the mapping,
the question, the day) computes it again."""

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
from sdkpi.config import default_definitions_path
from sdkpi.render.json_out import to_json
from sdkpi.speed import result_cache
from sdkpi.speed.sheet_cache import seal, unseal

CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "store-a"
TODAY = date(2024, 9, 1)


@pytest.fixture
def data(store_a_copy: Path) -> Path:
    return store_a_copy


pytestmark = pytest.mark.usefixtures("cache_dir")  # each test its own cache folder (conftest)


class Loads:
    """Counts how often the sheets are actually loaded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = api.load_data

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(api, "load_data", counting)


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    out = json.loads(to_json(result))
    out.pop("generated_at")
    return out


def test_a_rerun_is_answered_from_the_cache_and_prints_the_same(data, monkeypatch):
    loads = Loads(monkeypatch)
    first = api.compute(data, month="2024-05", today=TODAY)
    second = api.compute(data, month="2024-05", today=TODAY)
    assert loads.count == 1
    assert _json(second) == _json(first)
    assert to_json(second).replace(second.generated_at.isoformat(timespec="seconds"), "") == to_json(
        first
    ).replace(first.generated_at.isoformat(timespec="seconds"), "")
    # integer counts stay integers, sums stay floats: the JSON text is the same, not just equal
    kinds = {k.id: (type(k.numerator), type(k.denominator)) for k in first.kpis}
    assert {k.id: (type(k.numerator), type(k.denominator)) for k in second.kpis} == kinds


def test_a_touched_data_file_is_read_again(data, monkeypatch):
    loads = Loads(monkeypatch)
    api.compute(data, month="2024-05", today=TODAY)
    path = data / "work_orders.csv"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    api.compute(data, month="2024-05", today=TODAY)
    assert loads.count == 2


def test_an_edited_value_changes_the_answer(data):
    before = api.compute(data, month="2024-05", today=TODAY)
    path = data / "callbacks.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reached", "refused", 1), encoding="utf-8")
    after = api.compute(data, month="2024-05", today=TODAY)
    assert _json(after) != _json(before)


def test_a_new_file_in_the_folder_is_a_miss(data, monkeypatch):
    loads = Loads(monkeypatch)
    api.compute(data, month="2024-05", today=TODAY)
    (data / "notes.txt").write_text("hello", encoding="utf-8")
    api.compute(data, month="2024-05", today=TODAY)
    assert loads.count == 2


def test_edited_definitions_are_a_miss(data, tmp_path, monkeypatch):
    defs = tmp_path / "kpis.yaml"
    shutil.copy(default_definitions_path(), defs)
    loads = Loads(monkeypatch)
    first = api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    defs.write_text(defs.read_text(encoding="utf-8").replace('"> 65%"', '"> 99%"'), encoding="utf-8")
    second = api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    assert loads.count == 2
    assert first.kpi("callback_rate").target != second.kpi("callback_rate").target


def test_another_question_is_another_entry(data, monkeypatch):
    loads = Loads(monkeypatch)
    api.compute(data, month="2024-05", today=TODAY)
    api.compute(data, month="2024-06", today=TODAY)
    api.compute(data, month="2024-05", kpis=["callback_rate"], today=TODAY)
    assert loads.count == 3
    api.compute(data, month="2024-05", today=TODAY)
    api.compute(data, month="2024-06", today=TODAY)
    assert loads.count == 3
    api.compute(data, month="2024-05", today=date(2024, 5, 20))  # provisional depends on the day
    assert loads.count == 4


def test_no_cache_is_never_cached_and_a_definitions_object_is(data, cache_dir, monkeypatch):
    loads = Loads(monkeypatch)
    api.compute(data, month="2024-05", today=TODAY, cache=False)
    api.compute(data, month="2024-05", today=TODAY, cache=False)
    assert loads.count == 2
    assert not list(cache_dir.glob("result-*"))
    monkeypatch.setenv("SDKPI_NO_CACHE", "1")
    api.compute(data, month="2024-05", today=TODAY)
    assert loads.count == 3
    monkeypatch.delenv("SDKPI_NO_CACHE")
    from sdkpi.definitions import load_definitions

    defs = load_definitions()
    api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    api.compute(data, month="2024-05", definitions=defs, today=TODAY)
    assert loads.count == 4  # keyed on its digest (tests/test_result_cache_settings.py)


@pytest.mark.parametrize("damage", ["torn", "foreign key", "not json", "wrong shape"])
def test_a_damaged_entry_is_a_miss_not_an_error(data, cache_dir, monkeypatch, damage):
    first = api.compute(data, month="2024-05", today=TODAY)
    (entry,) = cache_dir.glob("result-*.json")
    sealed = entry.read_bytes()
    stored = json.loads(unseal(sealed))
    # (resealed: what a sealed entry says is checked too, not only its checksum)
    if damage == "torn":
        entry.write_bytes(sealed[: len(sealed) // 2])
    elif damage == "foreign key":
        stored["key"]["period"] = {"start": "2000-01-01", "end": "2000-02-01"}
        entry.write_bytes(seal(json.dumps(stored).encode()))
    elif damage == "not json":
        entry.write_bytes(seal(b"\xff\xfe"))
    else:
        stored["result"]["kpis"][0] = {"id": 3}
        entry.write_bytes(seal(json.dumps(stored).encode()))
    loads = Loads(monkeypatch)
    again = api.compute(data, month="2024-05", today=TODAY)
    assert loads.count == 1
    assert _json(again) == _json(first)


def test_the_key_holds_every_file_of_a_dealer_group(tmp_path):
    group = tmp_path / "group"
    for store in ("north", "south"):
        shutil.copytree(CONFORMANCE, group / store)
    key = result_cache.key(
        group,
        period=api.parse_period("2024-05"),
        definitions=default_definitions_path(),
        mapping=None,
        kpis=None,
        store=None,
        today=TODAY,
    )
    assert key is not None
    names = {Path(f[0]).relative_to(group).parts[0] for f in key["files"]}
    assert names == {"north", "south"}


def test_a_cached_rerun_imports_neither_pandas_nor_pydantic(data, cache_dir):
    """The point of the result cache: a re-run costs a process start and a JSON file."""
    env = {**os.environ, "SDKPI_CACHE_DIR": str(cache_dir)}
    env.pop("SDKPI_NO_CACHE", None)
    code = (
        "import sys; from sdkpi import api; "
        f"api.compute({str(data)!r}, month='2024-05'); "
        f"api.compute({str(data)!r}, month='2024-05'); "
        "print('pandas' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)  # fills it
    code = (
        "import sys; from sdkpi import api; "
        f"r = api.compute({str(data)!r}, month='2024-05'); "
        "print(len(r.kpis), 'pandas' in sys.modules, 'sdkpi.definitions' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["24", "False", "False"]


def test_the_cli_rerun_prints_the_same_and_no_cache_recomputes(data, cache_dir):
    from typer.testing import CliRunner

    from sdkpi.cli import app

    def compute(*extra: str) -> dict:
        result = CliRunner().invoke(
            app, ["compute", "--data", str(data), "--month", "2024-05", "--format", "json", *extra]
        )
        assert result.exit_code in (0, 1), result.stderr
        out = json.loads(result.stdout)
        out.pop("generated_at")
        return out

    first = compute()
    assert list(cache_dir.glob("result-*.json"))
    assert compute() == first  # from the result cache
    assert compute("--no-cache") == first  # computed again, the same
    (data / "callbacks.csv").write_text(
        (data / "callbacks.csv").read_text(encoding="utf-8").replace("reached", "refused"), encoding="utf-8"
    )
    changed = compute()
    assert changed["kpis"] != first["kpis"]
