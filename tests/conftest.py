"""Shared test helpers: typed sheets built by hand, without the file loaders."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from sdkpi.contract import SHEETS
from sdkpi.dataset import Dataset, SheetData
from sdkpi.definitions import Definitions, load_definitions
from sdkpi.engine import Engine, KpiEvaluation
from sdkpi.results import Period

# Tests read their fixtures afresh, never through (or into) the user's parsed-sheet cache;
# tests/test_cache.py turns the cache on in a temporary folder where it tests it.
os.environ["SDKPI_NO_CACHE"] = "1"

# In CI (CI=true) property tests draw the same examples every run: a red CI always means a
# change broke something, never that a random draw found an old corner. Locally they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
CONFORMANCE = FIXTURES / "conformance"
REPO = Path(__file__).parent.parent
TODAY = date(2030, 1, 1)  # long after every test period: nothing provisional


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, caches on (SDKPI_CACHE_DIR set, SDKPI_NO_CACHE unset)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SDKPI_CACHE_DIR", str(folder))
    monkeypatch.delenv("SDKPI_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def store_a_copy(tmp_path: Path) -> Path:
    """A copy of the conformance store, for tests that change its files or stamp them."""
    folder = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    return folder


def typed_sheet(name: str, rows: Iterable[dict[str, Any]]) -> SheetData:
    """A sheet with canonical columns typed as the loaders would type them."""
    rows = list(rows)
    sheet = SHEETS[name]
    columns: dict[str, Any] = {}
    for column in sheet.columns:
        raw = [row.get(column.name) for row in rows]
        if column.type in ("datetime", "date"):
            columns[column.name] = pd.to_datetime(pd.Series(raw, dtype=object), format="ISO8601").astype(
                "datetime64[ns]"
            )
        elif column.type == "number":
            columns[column.name] = pd.Series(
                [np.nan if v is None else float(v) for v in raw], dtype="float64"
            )
        elif column.type == "bool":
            columns[column.name] = pd.Series(pd.array(raw, dtype="boolean"))
        else:
            columns[column.name] = pd.Series(raw, dtype=object)
    frame = pd.DataFrame(columns)
    return SheetData(name, frame, np.arange(2, len(rows) + 2), file=f"{name}.csv")


def dataset(**sheets: Iterable[dict[str, Any]]) -> Dataset:
    data = Dataset(source="<test>")
    for name, rows in sheets.items():
        data.sheets[name] = typed_sheet(name, rows)
    for name in SHEETS:
        if name not in data.sheets:
            data.missing[name] = "sheet missing"
    return data


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()


def evaluate(
    definitions: Definitions, kpi_id: str, month: str = "2024-05", **sheets: Iterable[dict[str, Any]]
) -> KpiEvaluation:
    return Engine(definitions, dataset(**sheets)).evaluate(kpi_id, Period.month(month), today=TODAY)
