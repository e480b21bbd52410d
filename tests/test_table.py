"""The terminal table against golden files (fixed width, no colour).

Refresh after an intended change with: SDKPI_UPDATE_GOLDEN=1 python -m pytest tests/test_table.py
"""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute
from sdkpi.render.table import render_table

GOLDEN = CONFORMANCE.parent.parent / "golden"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_matches_the_golden_file(lang: str) -> None:
    result = compute(CONFORMANCE / "store-a", month="2024-05", today=TODAY)
    out = io.StringIO()
    render_table(result, Console(file=out, width=120, color_system=None, force_terminal=False), lang)
    golden = GOLDEN / f"table-store-a-2024-05.{lang}.txt"
    if os.environ.get("SDKPI_UPDATE_GOLDEN"):
        golden.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == golden.read_text(encoding="utf-8")


def test_table_points_from_a_miss_to_explain() -> None:
    result = compute(CONFORMANCE / "store-a", month="2024-05", today=TODAY)
    out = io.StringIO()
    render_table(result, Console(file=out, width=200, color_system=None), "en")
    text = out.getvalue()
    assert "Missed: reminder_rate, punctuality_rate" in text
    assert "sdkpi explain <kpi> --month 2024-05" in text
