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


def test_named_by_failure_names_the_comebacks_of_the_same_store_from_one_index() -> None:
    """The comebacks behind each record come from one index built per sheet (explaining
    10,000 comebacks must not compare whole columns 10,000 times), and name exactly the
    rows a brute-force scan finds: same store, another row, first three in row order."""
    import pandas as pd

    from sdkpi import expr as ex
    from sdkpi.evaluate import Frame
    from sdkpi.words import failure_words

    data = pd.DataFrame(
        {
            "ro_number": ["R1", "R2", "R1", "R3", "R4", "R5", "R6", "R7"],
            "comeback_of": [None, "R1", None, "R1", "R1", "R1", "R1", "R7"],
            "store": ["a", "a", "b", "b", "a", "a", "a", "a"],
        },
        dtype=object,
    )
    frame = Frame(data, {"ro_number": "text", "comeback_of": "text", "store": "text"}, "ro_number")
    node = ex.parse("not named_by(comeback_of)")
    built = []
    real = Frame.sheet_index

    def counting(self, name, build):  # type: ignore[no-untyped-def]
        built.append(name)
        return real(self, name, build)

    Frame.sheet_index = counting  # type: ignore[method-assign]
    try:
        said = [failure_words(node, frame, position) for position in range(len(data))]
    finally:
        Frame.sheet_index = real  # type: ignore[method-assign]
    assert len(built) == len(data) and len(frame._indexes) == 1  # one index, asked 8 times
    assert "R2, R4, R5 names" in said[0]  # the first three
    assert "R6" not in said[0]  # store a's fourth comeback of R1: only three are shown
    assert "RO number R3 names" in said[2]  # store b's R1 has its own comeback, R3
    assert "?" in said[7] and "R7" not in said[7]  # naming itself is no comeback
