"""Data issues: every row or cell that was skipped, rejected or needs a look.

Nothing read from a file is dropped silently: loaders return their frames together
with a list of `DataIssue`, and every report shows them. What an issue quotes from a
file is capped here, once (`ECHO_CHARS`), so no report shows more.
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

    def __post_init__(self) -> None:
        # what a file holds is echoed at most ECHO_CHARS characters per issue, here and so in
        # every report: a link to a key file, a 1 MB cell or a bomb of a header line is never
        # copied whole into a report (the file, row and column say where to look)
        if isinstance(self.value, str) and len(self.value) > ECHO_CHARS:
            object.__setattr__(self, "value", echo(self.value))
        if isinstance(self.reason, str) and len(self.reason) > REASON_CHARS:
            object.__setattr__(self, "reason", echo(self.reason, REASON_CHARS))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: At most this many characters of a value read from a file are shown in one data issue.
ECHO_CHARS = 80
#: A reason may quote a file's cells too (a total row's text, the headers found): its cap.
REASON_CHARS = 600
_MORE = "…"


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` as one data issue shows it: cut to `limit` characters, ending with '…' when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - len(_MORE)] + _MORE
