"""Code guesses for the draft: the codes of enum and yes/no columns the contract does not
spell, each with its canonical value when it abbreviates only one (W, WTY -> warranty), else
a TODO."""

from __future__ import annotations

import pandas as pd

from ..contract import Column
from ..loaders.names import normalize_header
from ..loaders.values import PLACEHOLDERS, SILENT_MISSING
from .columns import parses
from .model import CodeGuess, SheetDraft, Why
from .rows import Rows


def guess_codes(draft: SheetDraft, rows: Rows) -> None:
    """Codes of enum (and yes/no) columns the contract does not spell: a guess or a TODO."""
    for column in draft.columns:
        target = draft.sheet.column(column.target) if column.target else None
        if target is None or target.type not in ("enum", "bool"):
            continue
        texts = rows.text[column.position][~rows.page]
        counts = texts[~texts.isin(SILENT_MISSING | PLACEHOLDERS)].value_counts()
        guesses = []
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            one = pd.Series([code], dtype=object)
            if target.type == "enum" and parses(one, "enum", excel=False, enum_values=target.values):
                continue
            if target.type == "bool" and parses(one, "bool", excel=False):
                continue
            guesses.append(guess(target, str(code), int(count)))
        if guesses:
            draft.values[target.name] = guesses


def guess(column: Column, code: str, count: int) -> CodeGuess:
    """A code's canonical value when it abbreviates only one value (W, WTY -> warranty), or
    only one value's spelling starts with it, else TODO."""
    folded = normalize_header(code)
    if column.type == "bool":
        return CodeGuess(code, count, None, Why("code_todo_bool", (code,)))
    hits = [
        value
        for value, spellings in column.values.items()
        if _abbreviates(folded, value)
        or any(
            normalize_header(s).startswith(folded) or folded.startswith(normalize_header(s))
            for s in spellings
        )
    ]
    if len(hits) == 1:
        return CodeGuess(code, count, hits[0], Why("code_guess", (code, hits[0])))
    return CodeGuess(code, count, None, Why("code_todo", (code, column.name)))


def _abbreviates(code: str, value: str) -> bool:
    """'w', 'wty' and 'warr' abbreviate warranty: its first letter, then letters of it in order."""
    if not code.isascii() or not code.isalpha() or code[0] != value[0]:
        return False
    rest = iter(value[1:])
    return all(letter in rest for letter in code[1:])
