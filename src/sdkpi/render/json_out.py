"""JSON output: one object, stable keys, full-precision floats, null for no data.

Every command's `--format json` goes through `dumps`: Chinese as text, never NaN or
Infinity (a result that holds one is a bug, and fails loudly here). `ascii_only`: every
character beyond ASCII as a JSON escape (\\u5f20), for an output whose encoding (cp1252,
GBK) cannot write them all; a JSON reader gets back exactly the same strings.
"""

from __future__ import annotations

import json
from typing import Any

from ..results import ComputeResult


def dumps(payload: dict[str, Any], *, ascii_only: bool = False) -> str:
    return json.dumps(payload, ensure_ascii=ascii_only, indent=2, allow_nan=False)


def to_json(result: ComputeResult, *, ascii_only: bool = False, **extra: Any) -> str:
    payload = result.to_dict()
    payload.update(extra)
    return dumps(payload, ascii_only=ascii_only)
