"""Data issues: every row or cell that was skipped, rejected or needs a look.

Nothing read from a file is dropped silently: loaders return their frames together
with a list of `DataIssue`, and every report shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class DataIssue:
    """One problem found in the input.

    severity: ``error`` (the file, column or row could not be read as asked: the
    result is incomplete), ``warning`` (accepted, but a person should look: a bad
    value left its row out of some KPIs, a placeholder such as ``#N/A``),
    ``info`` (normalised on purpose and counted: blank rows, total rows skipped).
    row: the row number as the user sees it in the file (Excel row, 1-based line).
    """

    severity: Severity
    code: str
    reason: str
    sheet: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
