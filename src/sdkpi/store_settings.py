"""A store's own KPI settings and targets, as `sdkpi.toml` and a targets file write them.

Read here as plain rows (light: no pandas, no pydantic); `definitions.build_overrides`
checks them against the KPIs (unknown KPI or setting, a value of the wrong kind, a
target that is not like '> 50%': exit 2 naming the file and the line).

A targets file is a CSV with the columns ``kpi, store, from_month, target`` (Chinese
headers 指标, 门店, 起始月份, 目标 also read): an empty store means every store, an
empty month every month. For a store and a month the most specific row wins: the
store's own over every store's, then the latest month on or before the period's,
then sdkpi.toml over the file, then the later row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError

TARGET_COLUMNS = {
    "kpi": ("kpi", "指标"),
    "store": ("store", "门店"),
    "from_month": ("from_month", "from", "起始月份", "起始月"),
    "target": ("target", "目标"),
}
MAX_TARGET_ROWS = 100_000
MAX_TARGET_BYTES = 5_000_000


@dataclass(frozen=True)
class TargetRow:
    """One target as written."""

    kpi: str
    store: str | None  # None: every store
    from_month: str | None  # 'YYYY-MM'; None: every month
    text: str  # '> 50%', '>= 600', 'none'
    file: str
    line: int | None
    order: int = 0  # the higher wins a tie

    @property
    def source(self) -> str:
        name = Path(self.file).name
        return f"{name}:{self.line}" if self.line else name  # file:line reads the same in zh


def key_lines(text: str) -> dict[str, int]:
    """Where each key of a TOML text is set: 'currency', 'settings.kpi.name', 'targets.kpi'."""
    found: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.match(r"^\[+\s*([^\]]+?)\s*\]+$", line)
        if header:
            table = header.group(1).replace(" ", "").replace('"', "")
            found.setdefault(table, number)
            continue
        key = re.match(r"^([\w\-. \"]+?)\s*=", line)
        if key:
            name = key.group(1).replace(" ", "").replace('"', "")
            full = f"{table}.{name}" if table else name
            found.setdefault(full, number)
            parts = full.split(".")
            for i in range(1, len(parts)):  # 'settings.kpi' for 'settings.kpi.name' too
                found.setdefault(".".join(parts[:i]), number)
    return found


def settings_table(value: Any, file: Path, lines: dict[str, int]) -> dict[str, dict[str, Any]]:
    """[settings]: kpi_id.setting = value."""
    if not isinstance(value, dict):
        raise UsageError("[settings] must be a table of kpi_id.setting = value", file=str(file))
    out: dict[str, dict[str, Any]] = {}
    for kpi, params in value.items():
        if not isinstance(params, dict):
            if "." in kpi:  # "kpi.setting" = value: quotes make one key of the two names
                message = f'settings: write {kpi} = {params!r} without quotes around "{kpi}"'
            else:
                message = f"settings: {kpi!r} must name a setting, like {kpi}.name = value"
            raise UsageError(message, file=str(file), line=lines.get(f"settings.{kpi}"))
        out[kpi] = dict(params)
    return out


def targets_table(value: Any, file: Path, lines: dict[str, int]) -> tuple[TargetRow, ...]:
    """[targets]: kpi_id = "> 50%", or a list of { target, store, from }."""
    if not isinstance(value, dict):
        raise UsageError('[targets] must be a table of kpi_id = "> 50%"', file=str(file))
    rows: list[TargetRow] = []
    for kpi, given in value.items():
        line = lines.get(f"targets.{kpi}")
        entries = given if isinstance(given, list) else [given]
        for entry in entries:
            if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
                entry = {"target": entry}
            if (
                not isinstance(entry, dict)
                or "target" not in entry
                or set(entry) - {"target", "store", "from"}
            ):
                raise UsageError(
                    f'targets: {kpi!r} must be a target like "> 50%", or a list of '
                    '{ target = "> 50%", store = "Store A", from = "2024-07" }',
                    file=str(file),
                    line=line,
                )
            rows.append(
                TargetRow(
                    kpi,
                    _optional_text(entry.get("store"), "store", file, line),
                    _month(entry.get("from"), file, line),
                    str(entry["target"]),
                    str(file),
                    line,
                    MAX_TARGET_ROWS + len(rows),  # sdkpi.toml wins a tie with a targets file
                )
            )
    return tuple(rows)


def _optional_text(value: Any, key: str, file: Path | str, line: int | None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise UsageError(f"targets: {key} must be a text, not {value!r}", file=str(file), line=line)
    return value.strip()


def _month(value: Any, file: Path | str, line: int | None) -> str | None:
    text = _optional_text(value, "from", file, line)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(
            f"targets: the month must look like 2024-07, not {text!r}", file=str(file), line=line
        )
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def read_targets_file(path: Path) -> tuple[TargetRow, ...]:
    """A targets CSV (UTF-8 or GB18030): kpi, store, from_month, target."""
    from .loaders.paths import read_user_file

    raw = read_user_file(path, MAX_TARGET_BYTES, "the targets file", UsageError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise UsageError("the targets file is neither UTF-8 nor GB18030 text", file=str(path)) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise UsageError(
            "the targets file is empty (columns: kpi, store, from_month, target)", file=str(path)
        )
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for column, spellings in TARGET_COLUMNS.items():
        at = next((i for i, name in enumerate(names) if name in spellings), None)
        if at is not None:
            where[column] = at
        elif column in ("kpi", "target"):
            raise UsageError(
                f"the targets file has no {column!r} column (columns: kpi, store, from_month, target)",
                file=str(path),
                line=1,
            )
    rows: list[TargetRow] = []
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_TARGET_ROWS:
            raise UsageError(f"the targets file has more than {MAX_TARGET_ROWS} rows", file=str(path))

        def cell(column: str, cells: list[str] = cells) -> str:
            at = where.get(column)
            return cells[at].strip() if at is not None and at < len(cells) else ""

        rows.append(
            TargetRow(
                cell("kpi"),
                _optional_text(cell("store"), "store", path, number),
                _month(cell("from_month"), path, number),
                cell("target"),
                str(path),
                number,
                len(rows),
            )
        )
    return tuple(rows)
