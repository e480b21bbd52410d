"""named_by(): the Arrow path of a computation's frames (Arrow strings, category stores) gives
exactly what the general path gives on Python strings, store by store."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sdkpi import columns
from sdkpi.evaluate import Frame
from sdkpi.named_by import named_rows as _named_by

KINDS = {"ro_number": "text", "comeback_of": "text", "store": "text"}


def _frames(keys: list, refs: list, stores: list | None) -> tuple[Frame, Frame]:
    plain = {"ro_number": pd.Series(keys, dtype=object), "comeback_of": pd.Series(refs, dtype=object)}
    compact = {
        "ro_number": columns.arrow_text(pa.chunked_array([pa.array(keys, pa.large_string())])),
        "comeback_of": columns.arrow_text(pa.chunked_array([pa.array(refs, pa.large_string())])),
    }
    if stores is not None:
        plain["store"] = pd.Series(stores, dtype=object)
        compact["store"] = columns.categorical(pa.array(stores, pa.large_string()))
    return (
        Frame(pd.DataFrame(plain), KINDS, "ro_number"),
        Frame(pd.DataFrame(compact), KINDS, "ro_number"),
    )


def _both(keys: list, refs: list, stores: list | None = None) -> np.ndarray:
    plain, compact = _frames(keys, refs, stores)
    assert isinstance(compact.data["ro_number"].dtype, pd.StringDtype)
    expected = _named_by(plain, "comeback_of")
    got = _named_by(compact, "comeback_of")
    assert got.tolist() == expected.tolist()
    return got


def test_a_comeback_marks_the_order_it_names_not_itself() -> None:
    got = _both(["RO1", "RO2", "RO3", "RO4"], [None, "RO1", "RO3", "RO9"])
    assert got.tolist() == [True, False, False, False]  # RO3 names itself: not a comeback


def test_an_order_without_a_number_is_never_named() -> None:
    assert _both([None, "RO2", None], ["RO2", None, None]).tolist() == [False, True, False]


def test_in_a_dealer_group_a_comeback_names_an_order_of_its_own_store() -> None:
    keys = ["RO1", "RO1", "RO2", "RO2"]
    refs = [None, None, "RO1", None]
    stores = ["S1", "S2", "S2", None]
    assert _both(keys, refs, stores).tolist() == [False, True, False, False]
    # a row with no store names orders of rows with no store only
    got = _both(["RO1", "RO5", "RO1", "RO7"], [None, None, None, "RO1"], ["S1", "S2", None, None])
    assert got.tolist() == [False, False, True, False]


@pytest.mark.parametrize("seed", range(25))
def test_random_sheets_agree(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    pool = [f"RO{i}" for i in range(rng.randint(1, 15))]
    keys = [rng.choice([*pool, None]) for _ in range(n)]
    refs = [rng.choice([*pool, None, None, None]) for _ in range(n)]
    stores = [rng.choice(["S1", "S2", "S3", None]) for _ in range(n)] if seed % 3 else None
    _both(keys, refs, stores)
