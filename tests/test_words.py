"""Time gaps in record explanations are exact: a miss by a minute never reads as a pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sdkpi.words import format_gap


@pytest.mark.parametrize(
    ("gap", "unit", "en", "zh"),
    [
        (timedelta(hours=24), "h", "24 h", "24小时"),
        (timedelta(hours=24, minutes=1), "h", "24 h 1 min", "24小时1分钟"),
        (timedelta(minutes=-12), "min", "12 min", "12分钟"),
        (timedelta(minutes=29, seconds=30), "min", "29 min 30 s", "29分钟30秒"),
        (timedelta(days=90, hours=12), "d", "90 d 12 h", "90天12小时"),
        (timedelta(hours=5), None, "5 h", "5小时"),
    ],
)
def test_format_gap(gap: timedelta, unit: str | None, en: str, zh: str) -> None:
    assert format_gap(gap, unit) == en
    assert format_gap(gap, unit, "zh") == zh
