"""How files name sheets, columns and yes/no: shared by every reader, light to import.

Stdlib and the contract only, so that the early start of reading (`typed_read.start`)
can recognise a data folder's files before pandas is imported.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..contract import SHEETS, Sheet

#: the mapping file a data folder (or a dealer group's folder) may hold (`sdkpi.loaders.mapping`)
MAPPING_FILE_NAME = "sdkpi-mapping.yaml"

#: The words of yes and no a bool column reads without a mapping file (compared in lower case):
#: the one list, read by the reference parse (`values`) and the fast lane alike.
YES_NO_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "1", "yes", "y", "是", "√", "✓", "✔"), True),
    **dict.fromkeys(("false", "0", "no", "n", "否", "×", "✗", "✘"), False),
}


def _spellings(value: bool) -> tuple[str, ...]:
    """The case forms of the words of `value` that a typed read matches exactly (yes, Yes, YES)."""
    forms = (
        form
        for word, means in YES_NO_WORDS.items()
        if means is value
        for form in (word, word.capitalize(), word.upper())
    )
    return tuple(dict.fromkeys(forms))


TRUE_SPELLINGS = _spellings(True)
FALSE_SPELLINGS = _spellings(False)


def normalize_header(text: str) -> str:
    """NFKC, drop BOM/zero-width characters, strip, collapse inner whitespace, lower-case."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split()).lower()


def suffix(path: Path) -> str:
    """A file's extension as the readers compare it (".CSV" is ".csv")."""
    return normalize_header(path.suffix)


def stem(path: Path) -> str:
    """A file's name without its extension (what names its sheet)."""
    return path.name[: len(path.name) - len(path.suffix)] if path.suffix else path.name


def sheet_for_name(name: str) -> str | None:
    """The canonical sheet a file stem or worksheet name stands for."""
    return SHEET_NAMES.get(normalize_header(name))


SHEET_NAMES: dict[str, str] = {}
for _sheet in SHEETS.values():
    for _name in (_sheet.name, _sheet.zh, *_sheet.file_names):
        SHEET_NAMES.setdefault(normalize_header(_name), _sheet.name)


def expected_headers(sheet: Sheet) -> dict[str, str]:
    """Normalised header text -> canonical column, for every accepted spelling."""
    names: dict[str, str] = {}
    for column in sheet.columns:
        for text in (column.name, column.zh, *column.aliases):
            names.setdefault(normalize_header(text), column.name)
    return names
