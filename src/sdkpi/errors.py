"""One exception family for everything sdkpi reports to a user.

Each error carries what the user needs to act: the file, sheet, row (as the user
sees it in Excel or a text editor), column, value, KPI id and a hint. The CLI turns
an error into a message on stderr and the documented exit code.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

# The documented exit codes (docs/exit-codes.md is the table a user reads; tests hold the two
# together). 1 means only "a KPI missed": every other failure has its own code.
EXIT_OK = 0
EXIT_MISSED = 1  # computed, a KPI missed its target (only with --fail-on-miss)
EXIT_USAGE = 2  # bad command line, config or definitions file
EXIT_INPUT = 3  # input data could not (all) be read, or holds no row for the period
EXIT_INTERNAL = 4  # a bug in sdkpi
EXIT_OUTPUT = 5  # the output could not be written: disk full, file locked, stdout closed
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE, as a shell says


class SdkpiError(Exception):
    """Base class: a problem the user can fix, with the place it was found."""

    exit_code = EXIT_INPUT
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        kpi: str | None = None,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        self.kpi = kpi
        self.hint = hint
        self.line = line

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            where = self.file
            if self.sheet and self.sheet not in self.file:
                where += f"[{self.sheet}]"
            if self.line is not None:
                where += f":{self.line}"
            if self.row is not None:
                where += f":row {self.row}"
            parts.append(where)
        elif self.sheet:
            parts.append(self.sheet if self.row is None else f"{self.sheet}:row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.kpi:
            parts.append(f"KPI {self.kpi!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        loc = self.location()
        if loc:
            text = f"{loc}: {text}"
        if self.value is not None:
            text += f" (value: {self.value!r})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "line": self.line,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "kpi": self.kpi,
            "hint": self.hint,
        }


class InputError(SdkpiError):
    """A data file that cannot be read (encoding, format, header, hostile content)."""

    exit_code = EXIT_INPUT
    kind = "input_error"


class DefinitionError(SdkpiError):
    """A KPI definitions file that is invalid: YAML, schema, expression or reference."""

    exit_code = EXIT_USAGE
    kind = "definition_error"


class ExpressionError(DefinitionError):
    """An expression that the whitelisted grammar does not accept."""

    kind = "expression_error"


class UsageError(SdkpiError):
    """Bad command-line arguments, config file or mapping file."""

    exit_code = EXIT_USAGE
    kind = "usage_error"


class OutputError(SdkpiError):
    """The output could not be written: a report file, standard output (full disk, closed)."""

    exit_code = EXIT_OUTPUT
    kind = "output_error"


# ------------------------------------------------------------ names that are not UTF-8

#: A Linux name is bytes; Python holds each byte that is not UTF-8 as a lone surrogate
#: (b"\xe9" -> "\udce9"), which no UTF-8 output can hold.
UNDECODABLE = re.compile("[\ud800-\udfff]")
NAME_ERRORS = "sdkpi-names"


def escape_char(char: str) -> str:
    """One character no encoding can write, as a backslash escape: an undecodable byte of a
    name as the byte (\\xe9), any other character as Python writes it (\\u5f20)."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return char.encode("ascii", "backslashreplace").decode("ascii")


def escape_undecodable(text: str) -> str:
    """`text` with each undecodable byte of a name written as its escape (st\\xe9re)."""
    return UNDECODABLE.sub(lambda match: escape_char(match.group()), text)


def _escape_names(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(escape_char(char) for char in err.object[err.start : err.end]), err.end


codecs.register_error(NAME_ERRORS, _escape_names)
