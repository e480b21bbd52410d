"""JSON output: one object, stable keys, full-precision floats, null for no data.

Every command's `--format json` goes through `dumps`: Chinese as text, never NaN or
Infinity (a result that holds one is a bug, and fails loudly here). `ascii_only`: every
character beyond ASCII as a JSON escape (\\u5f20), for an output whose encoding (cp1252,
GBK) cannot write them all; a JSON reader gets back exactly the same strings.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import UNDECODABLE, escape_char
from ..results import ComputeResult


def dumps(payload: dict[str, Any], *, ascii_only: bool = False) -> str:
    text = json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
    if UNDECODABLE.search(text):  # a name's byte that is not UTF-8: the text "\\xe9", never "\\udce9"
        text = UNDECODABLE.sub(lambda match: json.dumps(escape_char(match.group()))[1:-1], text)
    if ascii_only:
        return json.dumps(json.loads(text), ensure_ascii=True, indent=2, allow_nan=False)
    return text


def to_json(result: ComputeResult, *, ascii_only: bool = False, **extra: Any) -> str:
    payload = result.to_dict()
    payload.update(extra)
    return dumps(payload, ascii_only=ascii_only)
