"""JSON output: one object, stable keys, full-precision floats, null for no data.

Every command's `--format json` goes through `dumps`: Chinese as text, never NaN or
Infinity (a result that holds one is a bug, and fails loudly here).
"""

from __future__ import annotations

import json
from typing import Any

from ..results import ComputeResult


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)


def to_json(result: ComputeResult, **extra: Any) -> str:
    payload = result.to_dict()
    payload.update(extra)
    return dumps(payload)
