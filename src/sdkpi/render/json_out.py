"""JSON output: one object, stable keys, full-precision floats, null for no data."""

from __future__ import annotations

import json
from typing import Any

from ..results import ComputeResult


def to_json(result: ComputeResult, **extra: Any) -> str:
    payload = result.to_dict()
    payload.update(extra)
    return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
