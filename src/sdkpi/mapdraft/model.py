"""What a mapping draft is (`Draft`): per sheet its files, header row, source columns and
their targets, date order, codes, skipped rows and line-level keys, each with its reason
(`Why`), and the notes of what could not be decided. `render` writes it as YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..contract import Sheet
from .grid import Grid


@dataclass(frozen=True)
class Why:
    """A reason, said in either language by `render` (key into its word table)."""

    key: str
    args: tuple[str, ...] = ()


@dataclass
class SourceColumn:
    header: str
    position: int
    kind: str  # empty, date, datetime, time, number, bool, codes, text
    samples: list[str]
    target: str | None = None
    why: Why | None = None
    also: list[str] = field(default_factory=list)  # other targets it could feed
    todo_for: str | None = None  # a required column not found that this one may be (a TODO)


@dataclass
class CodeGuess:
    code: str
    count: int
    target: str | None  # None: TODO
    why: Why


@dataclass
class SkipRule:
    rule: str
    count: int
    why: Why


@dataclass
class SheetDraft:
    sheet: Sheet
    grids: list[Grid]
    file: str | list[str]
    header_row: int | None
    why_sheet: Why
    columns: list[SourceColumn]
    date_order: str | None = None  # "dmy", "mdy" or "TODO"
    why_date_order: Why | None = None
    combine: dict[str, tuple[str, str]] = field(default_factory=dict)
    values: dict[str, list[CodeGuess]] = field(default_factory=dict)
    skip_rows: list[SkipRule] = field(default_factory=list)
    lines: tuple[str, list[str]] | None = None
    why_lines: Why | None = None
    absent: list[str] = field(default_factory=list)

    @property
    def todos(self) -> int:
        codes = sum(1 for guesses in self.values.values() for g in guesses if g.target is None)
        columns = sum(1 for c in self.columns if c.todo_for)
        return codes + columns + (self.date_order == "TODO")


@dataclass
class Note:
    """What the draft could not decide (printed on stderr)."""

    why: Why
    file: str | None = None
    sheet: str | None = None  # the sheet whose column names the reason uses
    undecided: bool = True  # False: only said (what the draft was made from)


@dataclass
class Draft:
    folder: Path
    sheets: list[SheetDraft]
    notes: list[Note]
    unused_files: list[tuple[str, Why]]

    @property
    def todos(self) -> int:
        return sum(s.todos for s in self.sheets)
