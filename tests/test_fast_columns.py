"""The Arrow fast path for clean CSV columns gives exactly what `values.parse_column` gives.

It may decline (None) any column; when it answers, values and dtype must equal the
slow path's and the slow path must have found nothing to report.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sdkpi.contract import SHEETS
from sdkpi.loaders import fast, values

CUSTOMER_TYPE = SHEETS["work_orders"].column("customer_type")
assert CUSTOMER_TYPE is not None
ENUM = CUSTOMER_TYPE.values


def _raw(cells: list[str]) -> pd.Series:
    return pd.Series(cells, dtype="str")  # what the CSV reader hands over


def _both(
    cells: list[str], ctype: str, **kw: object
) -> tuple[values.ParsedColumn | None, values.ParsedColumn]:
    raw = _raw(cells)
    return fast.parse_column(raw, ctype, **kw), values.parse_column(raw, ctype, **kw)  # type: ignore[arg-type]


CLEAN = [
    (["2024-05-03 14:20", "", "2024-12-31 23:59", "2024-02-29 00:00"], "datetime", {}),
    (["2000-02-29 12:00", "1970-01-01 00:00", "1969-12-31 23:59", "2261-12-31 23:59"], "datetime", {}),
    (["2024-05-03", "", "1999-01-01"], "datetime", {}),
    (["2024-05-03 14:20:59", "2024-05-03 00:00:00"], "datetime", {}),
    (["2024-05-03", "2024-05-04", ""], "date", {}),
    (["true", "false", "", "TRUE", "0", "1", "是", "否", "Y", "n"], "bool", {}),
    (["1234.5", "-3", "", "+2", ".5", "5.", "1.5E3", "0"], "number", {}),
    (["retail", "", "internal", "warranty"], "enum", {"enum_values": ENUM}),
    (["RO0001", "", "S1-RO0002", "粤B12345", "底盘异响"], "text", {"is_id": True}),
    # ASCII and CJK ideographs only (checked by their bytes, not normalised), inner spaces kept
    (["京A12345", "沪B99999", "张三", "一二三 四", "䷀卦"], "text", {}),
    (["한국어", "naïve", "Ünïcödé"], "text", {}),  # other scripts: normalised, NFKC-stable
]


@pytest.mark.parametrize(("cells", "ctype", "kw"), CLEAN)
def test_clean_columns_take_the_fast_path_with_identical_results(
    cells: list[str], ctype: str, kw: dict
) -> None:
    quick, slow = _both(cells, ctype, **kw)
    assert quick is not None, "a clean column should not need the slow path"
    assert not slow.problems and not slow.bad.any()
    pd.testing.assert_series_equal(quick.values, slow.values)
    assert not quick.bad.any() and quick.problems == []


DECLINED = [
    (["2024-02-30 10:00"], "datetime"),  # impossible date: the slow path reports it
    (["2023-02-29 10:00"], "datetime"),  # not a leap year
    (["1900-02-29"], "datetime"),  # nor is 1900
    (["2024-04-31"], "datetime"),
    (["2024-00-10"], "datetime"),
    (["2024-13-01"], "datetime"),
    (["2024-05-03 24:01"], "datetime"),  # 24:00 is read by both (tests/test_vanishing_rows.py)
    (["2024-05-03 14:60"], "datetime"),
    (["2262-04-11 00:00"], "datetime"),  # outside datetime64[ns]
    (["1500-01-01"], "datetime"),
    (["2024/5/3 14:20"], "datetime"),  # accepted, but by the slow path
    (["2024-5-3 14:20"], "datetime"),
    ([" 2024-05-03 14:20"], "datetime"),
    (["2024-05-03 14:20", "2024-05-03"], "datetime"),  # mixed widths
    (["2024年5月3日"], "datetime"),
    (["NULL"], "datetime"),
    (["45123.5"], "datetime"),
    (["#N/A"], "number"),
    (["1,234.5"], "number"),
    (["¥12"], "number"),
    (["1e400"], "number"),
    (["nan"], "number"),
    (["inf"], "number"),
    (["１２３"], "number"),
    ([" 12"], "number"),
    (["maybe"], "bool"),
    ([" true"], "bool"),
    (["N/A"], "bool"),
    (["自费"], "enum"),
    (["Retail"], "enum"),
    (["RO1 "], "text"),
    (["\tRO1"], "text"),
    (["ＲＯ１"], "text"),  # full-width: NFKC changes it
    (["京Ａ12345"], "text"),  # a full-width letter among ideographs
    (["京A12345\u3000"], "text"),  # an ideographic space at the edge: stripped by the slow path
    (["\u3000张三"], "text"),
    (["\u00a0张三"], "text"),  # a no-break space
    (["\uf900"], "text"),  # a CJK compatibility ideograph: NFKC maps it to U+8C48
    (["张三\u2003"], "text"),  # an em space
    (["-"], "text"),
    (["None"], "text"),
    (["1.23E+15"], "text"),  # an ID in scientific notation: the slow path warns
]


@pytest.mark.parametrize(("cells", "ctype"), DECLINED)
def test_anything_not_canonical_is_left_to_the_slow_path(cells: list[str], ctype: str) -> None:
    kw: dict = {"enum_values": ENUM} if ctype == "enum" else {"is_id": True} if ctype == "text" else {}
    quick, _ = _both([*cells, ""], ctype, **kw)
    assert quick is None


def test_excel_cells_and_mapped_values_are_never_fast() -> None:
    assert fast.parse_column(_raw(["retail"]), "enum", enum_values=ENUM, excel=True) is None
    assert fast.parse_column(_raw(["retail"]), "enum", enum_values=ENUM, value_map={"x": "retail"}) is None
    assert fast.parse_column(pd.Series(["a"], dtype=object), "text") is None


def test_many_rows_across_chunks() -> None:
    import pyarrow as pa

    cells = ["2024-05-03 14:20", ""] * 5000
    chunked = pa.chunked_array([pa.array(cells[:3001]), pa.array(cells[3001:])])
    raw = pd.Series(pd.arrays.ArrowStringArray(chunked))
    quick = fast.parse_column(raw, "datetime")
    slow = values.parse_column(raw, "datetime")
    assert quick is not None
    pd.testing.assert_series_equal(quick.values, slow.values)


def test_reader_blank_mask_shortcut_matches_the_full_check() -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from sdkpi.loaders import locate

    cells = ["", " ", "\t", "\u3000", "\xa0", "\u2003 ", "a", " a", "合计", "\x1f", "\u1680", "x "]
    for chosen in ([c for c in cells if c.strip() or c == ""], cells, ["a", "b"], [""]):
        column = pa.chunked_array([pa.array(chosen[:2], pa.string()), pa.array(chosen[2:], pa.string())])
        full = [
            np.asarray(pc.or_(pc.equal(pc.binary_length(c), 0), pc.utf8_is_space(c)), dtype=bool)
            for c in column.chunks
        ]
        assert locate.blank_mask(column).tolist() == np.concatenate(full).tolist()


def test_compute_skips_unread_clean_text_columns_but_reports_the_same_issues(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from conftest import CONFORMANCE
    from sdkpi.api import columns_read
    from sdkpi.definitions import load_definitions
    from sdkpi.loaders.sheets import load_dataset
    from sdkpi.speed.fast_lane import SpeedLane

    data = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", data)
    parts = (data / "parts_requests.csv").read_text(encoding="utf-8").splitlines()
    parts[1] = "," + parts[1].split(",", 1)[1]  # a required request_id left empty (no KPI reads it)
    (data / "parts_requests.csv").write_text("\n".join(parts) + "\n", encoding="utf-8")
    orders = (data / "work_orders.csv").read_text(encoding="utf-8").splitlines()
    cells = orders[1].split(",")
    cells[3] = "#N/A"  # a placeholder in vin (no KPI reads it): still reported
    orders[1] = ",".join(cells)
    (data / "work_orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")

    full = load_dataset(data, lane=SpeedLane())
    pruned = load_dataset(data, columns=columns_read(load_definitions()), lane=SpeedLane())
    assert pruned.issues == full.issues
    codes = {(i.sheet, i.code, i.column) for i in pruned.issues}
    assert ("parts_requests", "missing_required", "request_id") in codes
    assert any(sheet == "work_orders" and code == "placeholder" for sheet, code, _ in codes)
    orders_frame = pruned.sheets["work_orders"].frame
    assert "customer_id" not in orders_frame.columns and "customer_id" in full.sheets["work_orders"].frame
    assert "vin" not in orders_frame.columns  # parsed and its placeholder reported, then left out
    assert "request_id" not in pruned.sheets["parts_requests"].frame.columns
    from sdkpi.columns import ARROW_TEXT

    for name, sheet in pruned.sheets.items():
        for column in sheet.frame.columns:
            got, want = sheet.frame[column], full.sheets[name].frame[column]
            if want.dtype == object:  # a computation holds text as Arrow strings or category codes
                assert got.dtype == ARROW_TEXT or isinstance(got.dtype, pd.CategoricalDtype)
                got = got.astype(object).where(got.notna(), None)
            pd.testing.assert_series_equal(got, want)
