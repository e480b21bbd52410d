"""The "did you mean" of an unknown name: the close known names, said once for every message.

Base layer: imports nothing of sdkpi, so a loader, the definitions and the analysis all use it.
"""

from __future__ import annotations

import difflib


def did_you_mean(name: str, choices: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
