"""The mapping file (`sdkpi-mapping.yaml`): what detection cannot know about an export.

Header detection, the contract's Chinese aliases and the value vocabulary read most
DMS exports as they are. What is left is the user's own: their header names, their
codes (工单类型 A/B/C), which row holds the header, the date order, what marks a
total row. The file says it per sheet::

    sheets:
      work_orders:                 # or the Chinese sheet name: 维修工单
        file: 工单明细.csv          # relative to the data folder
        header_row: 3              # as Excel shows it
        encoding: gb18030
        date_order: dmy            # 03/05/2024 is 3 May
        columns: {单据号: ro_number, 接车日期: opened_at}
        values:
          customer_type: {A: retail, B: warranty, C: internal}
          walkaround: {有: true, 无: false}
        total_markers: [合计, 本页小计]

Real exports need more (docs/reading-exports.md)::

    sheets:
      work_orders:
        file: "RO_DETAIL_*.csv"        # a name, a glob, or a list: every match, stacked
        columns:
          "RO#": ro_number
          "Close Dat": [closed_at, invoiced_at]   # one source column feeding several
        combine:
          opened_at: ["RO Date", "RO Time"]       # date and time in two columns
        skip_rows:                                # conditions on the raw cell text
          - "ro_number == 'RO#'"
          - "ro_number is null"
        lines:                                    # line-level export: one row per key
          key: ro_number
          sum: [labor_hours_sold, labor_amount, parts_amount]
        absent: [promised_at]                     # this DMS does not export it

It is safe-loaded (no YAML tags), validated with pydantic, and every mistake is a
`UsageError` (exit 2) naming the file, the line and the closest valid name.
"""

from __future__ import annotations

import codecs
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..contract import SHEETS, Column, Sheet, find_sheet
from ..errors import UsageError
from ..yaml_lines import LineDict, YamlProblem, line_of, load_yaml
from .paths import read_user_file
from .readers import normalize_header
from .sheets import SheetOptions

MAX_MAPPING_BYTES = 1_000_000
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_TRUE = {"true", "1", "yes", "y", "是", "√"}
_FALSE = {"false", "0", "no", "n", "否", "×"}

Scalar = str | bool | int | float | None


class _Lines(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    sum: list[str] = Field(default_factory=list)


class _SheetMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str | list[str] | None = None
    worksheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    encoding: str | None = None
    delimiter: str | None = None
    date_order: Literal["dmy", "mdy"] | None = None
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    total_markers: list[str] | None = None
    combine: dict[str, list[str]] = Field(default_factory=dict)
    skip_rows: list[str] = Field(default_factory=list)
    lines: _Lines | None = None
    absent: list[str] = Field(default_factory=list)


class _MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sheets: dict[str, _SheetMapping] = Field(default_factory=dict)


# --------------------------------------------------------------------------- loading


def load_mapping(path: str | Path) -> dict[str, SheetOptions]:
    """Read and validate a mapping file: canonical sheet name -> `SheetOptions`."""
    file = Path(path)
    raw = read_user_file(file, MAX_MAPPING_BYTES, "the mapping file", UsageError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"the mapping file is not UTF-8 text (byte offset {err.start})",
            file=str(file),
            hint="save it as UTF-8",
        ) from None
    return parse_mapping(text, source=str(file))


def parse_mapping(text: str, source: str = "<mapping>") -> dict[str, SheetOptions]:
    data = _parse_yaml(text, source)
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        raise UsageError("the mapping file must hold a mapping with 'sheets'", file=source, line=1)
    stray = [key for key in data if key != "sheets" and find_sheet(key) is not None]
    if stray:
        raise UsageError(
            f"{stray[0]!r} must sit under 'sheets:'",
            file=source,
            line=data.key_lines[stray[0]],
            hint="sheets:\n    " + stray[0] + ": ...",
        )
    try:
        model = _MappingFile.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, data, source) from None
    sheets_node = data.get("sheets")
    options: dict[str, SheetOptions] = {}
    for name, sheet_mapping in model.sheets.items():
        sheet = find_sheet(name)
        if sheet is None:
            raise UsageError(
                f"unknown sheet {name!r}{_did_you_mean(name, _sheet_names())}",
                file=source,
                line=line_of(sheets_node, name),
                hint=f"sheets: {', '.join(SHEETS)} (or their Chinese names)",
            )
        if sheet.name in options:
            raise UsageError(
                f"sheet {sheet.name!r} is given twice", file=source, line=line_of(sheets_node, name)
            )
        node = sheets_node[name] if isinstance(sheets_node, LineDict) else None
        options[sheet.name] = _sheet_options(sheet, sheet_mapping, node, source)
    return options


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return load_yaml(text)
    except YamlProblem as problem:
        column = f"column {problem.column}" if problem.column else None
        raise UsageError(problem.message, file=source, line=problem.line, hint=column) from None


def _validation_error(err: ValidationError, data: LineDict, source: str) -> UsageError:
    first = err.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    where = ".".join(loc)
    more = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
    message = f"{where}: {first['msg']}{more}"
    if first["type"] == "extra_forbidden":
        fields = list(_MappingFile.model_fields) if len(loc) == 1 else list(_SheetMapping.model_fields)
        if len(loc) == 4 and loc[2] == "lines":
            fields = list(_Lines.model_fields)
        message = f"{where}: unknown key{_did_you_mean(loc[-1], fields)}{more}"
    return UsageError(message, file=source, line=line_of(data, *loc))


# --------------------------------------------------------------------------- one sheet


def _sheet_options(sheet: Sheet, given: _SheetMapping, node: Any, source: str) -> SheetOptions:
    def fail(message: str, *path: str, hint: str | None = None) -> UsageError:
        return UsageError(message, file=source, sheet=sheet.name, line=line_of(node, *path), hint=hint)

    if given.encoding is not None:
        try:
            codecs.lookup(given.encoding)
        except LookupError:
            raise fail(
                f"unknown encoding {given.encoding!r}", "encoding", hint="utf-8, gb18030 or utf-16"
            ) from None
    delimiter = given.delimiter
    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise fail(
                f"delimiter must be one character, not {given.delimiter!r}", "delimiter", hint="',', tab, ';'"
            )
    columns: dict[str, str] = {}
    also: dict[str, tuple[str, ...]] = {}
    fed: dict[str, str] = {}  # canonical column -> the header (or combination) feeding it

    def feed(canonical: str, source: str, *path: str) -> None:
        if canonical in fed:
            raise fail(
                f"{canonical} is given twice: by {fed[canonical]!r} and by {source!r}",
                *path,
                hint="one source per column",
            )
        fed[canonical] = source

    for header, targets in given.columns.items():
        names = [targets] if isinstance(targets, str) else list(targets)
        if not names:
            raise fail(f"columns: {header!r} is mapped to nothing", "columns", header)
        canonicals = []
        for target in names:
            canonical = _column_name(sheet, target)
            if canonical is None:
                raise fail(
                    f"columns: {header!r} is mapped to {target!r}, which is not a column of "
                    f"{sheet.name}{_did_you_mean(target, _column_names(sheet))}",
                    "columns",
                    header,
                    hint=f"columns of {sheet.name}: {', '.join(sheet.column_names)}",
                )
            feed(canonical, header, "columns", header)
            canonicals.append(canonical)
        columns[header] = canonicals[0]
        if len(canonicals) > 1:
            also[header] = tuple(canonicals[1:])
    combine: dict[str, tuple[str, ...]] = {}
    for target, headers in given.combine.items():
        canonical = _column_name(sheet, target)
        if canonical is None:
            raise fail(
                f"combine: {target!r} is not a column of {sheet.name}"
                f"{_did_you_mean(target, _column_names(sheet))}",
                "combine",
                target,
            )
        if len(headers) < 2 or any(not str(h).strip() for h in headers):
            raise fail(
                f'combine: {target} needs two or more headers, e.g. ["RO Date", "RO Time"]',
                "combine",
                target,
            )
        feed(canonical, " + ".join(headers), "combine", target)
        combine[canonical] = tuple(str(h) for h in headers)
    skip_rows = tuple(_skip_rule(sheet, rule, i, fail) for i, rule in enumerate(given.skip_rows))
    lines_key, lines_sum = _lines(sheet, given.lines, fail)
    absent = []
    for name in given.absent:
        canonical = _column_name(sheet, name)
        if canonical is None:
            raise fail(
                f"absent: {name!r} is not a column of {sheet.name}"
                f"{_did_you_mean(name, _column_names(sheet))}",
                "absent",
            )
        if canonical in fed:
            raise fail(f"absent: {canonical} is also mapped from {fed[canonical]!r}", "absent")
        absent.append(canonical)
    values = {}
    for name, value_map in given.values.items():
        mapped_to = given.columns.get(name, "")
        if not isinstance(mapped_to, str):
            mapped_to = mapped_to[0] if mapped_to else ""
        canonical = _column_name(sheet, name) or _column_name(sheet, mapped_to)
        if canonical is None:
            raise fail(
                f"values: unknown column {name!r} of {sheet.name}{_did_you_mean(name, _column_names(sheet))}",
                "values",
                name,
            )
        column = sheet.column(canonical)
        assert column is not None
        values[canonical] = {key: _target(column, name, key, value, fail) for key, value in value_map.items()}
    files = (given.file,) if isinstance(given.file, str) else tuple(given.file or ())
    if given.file is not None and not any(f.strip() for f in files):
        raise fail("file: no file named", "file", hint='file: "RO_DETAIL_*.csv" (a name, a glob or a list)')
    for name in files:
        if not _inside_data_folder(name):
            raise fail(
                f"file {name!r} is outside the data folder",
                "file",
                hint="name a file in the data folder (subfolders allowed, no '..', no absolute path): "
                "a mapping file that came with the data must not make sdkpi read other files",
            )
    markers = tuple(m for m in given.total_markers if m.strip()) if given.total_markers is not None else None
    return SheetOptions(
        file=files[0] if files else None,
        files=files,
        also=also,
        combine=combine,
        skip_rows=skip_rows,
        lines_key=lines_key,
        lines_sum=lines_sum,
        absent=tuple(absent),
        worksheet=given.worksheet,
        header_row=given.header_row,
        encoding=given.encoding,
        delimiter=delimiter,
        date_order=given.date_order,
        columns=columns,
        values=values,
        total_markers=markers,
    )


def _skip_rule(sheet: Sheet, rule: str, index: int, fail: Any) -> str:
    """A `skip_rows` condition, checked as the KPI conditions are (the one whitelist parser),
    on the sheet's canonical columns read as their raw text."""
    from ..errors import ExpressionError
    from ..evaluate import infer
    from ..expr import Call, columns, parse, walk

    try:
        node = parse(rule)
        kinds = {c.name: "text" for c in sheet.columns}
        unknown = sorted(set(columns(node)) - set(kinds))
        if unknown:
            raise fail(
                f"skip_rows[{index + 1}]: {unknown[0]!r} is not a column of {sheet.name}"
                f"{_did_you_mean(unknown[0], sheet.column_names)}",
                "skip_rows",
                hint="skip_rows use the canonical column names (ro_number, advisor ...)",
            )
        if any(isinstance(n, Call) for n in walk(node)):
            raise ExpressionError("named_by() compares records; skip_rows look at one row's cells")
        infer(node, kinds)
    except ExpressionError as err:
        raise fail(
            f"skip_rows[{index + 1}]: {err}",
            "skip_rows",
            hint='conditions on the cell text, e.g. "ro_number == \'RO#\'" or "ro_number is null"',
        ) from None
    return rule


def _lines(sheet: Sheet, given: _Lines | None, fail: Any) -> tuple[str | None, tuple[str, ...]]:
    if given is None:
        return None, ()
    key = _column_name(sheet, given.key)
    if key is None:
        raise fail(
            f"lines.key: {given.key!r} is not a column of {sheet.name}"
            f"{_did_you_mean(given.key, _column_names(sheet))}",
            "lines",
            "key",
            hint=f"the column that names one record: {sheet.key or sheet.columns[0].name}",
        )
    summed: list[str] = []
    for name in given.sum:
        canonical = _column_name(sheet, name)
        column = sheet.column(canonical) if canonical else None
        if column is None or column.type != "number":
            numbers = [c.name for c in sheet.columns if c.type == "number"]
            raise fail(
                f"lines.sum: {name!r} is not a number column of {sheet.name}{_did_you_mean(name, numbers)}",
                "lines",
                "sum",
                hint=f"number columns: {', '.join(numbers) or '(none)'}",
            )
        if canonical is not None and canonical != key and canonical not in summed:
            summed.append(canonical)
    return key, tuple(summed)


def _inside_data_folder(name: str) -> bool:
    """A relative path without '..', on POSIX and Windows alike ('C:x', '\\\\server' are not)."""
    windows = PureWindowsPath(name)
    posix = PurePosixPath(name.replace("\\", "/"))
    return not (
        posix.is_absolute() or windows.drive or windows.root or ".." in posix.parts or name.startswith("~")
    )


def _target(column: Column, name: str, key: str, value: Scalar, fail: Any) -> str:
    """A value-map target as the value parser reads it; checked against the column type."""
    if value is None:
        return ""  # mapped to missing
    text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
    if column.type == "bool":
        folded = text.lower()
        if folded not in _TRUE | _FALSE:
            raise fail(
                f"values.{column.name}: {key!r} -> {value!r} is not yes/no ({column.name} is yes/no)",
                "values",
                name,
                key,
                hint="map to true or false",
            )
        return "true" if folded in _TRUE else "false"
    if column.type == "enum":
        for canonical, spellings in column.values.items():
            if text.lower() == canonical or text in spellings:
                return canonical
        accepted = list(column.values)
        raise fail(
            f"values.{column.name}: {key!r} -> {value!r} is not one of {', '.join(accepted)}"
            f"{_did_you_mean(text, accepted)}",
            "values",
            name,
            key,
        )
    return text


# --------------------------------------------------------------------------- names


def _column_name(sheet: Sheet, name: str) -> str | None:
    """The canonical column a name stands for: canonical, Chinese or an alias (after NFKC)."""
    wanted = normalize_header(name)
    if not wanted:
        return None
    for column in sheet.columns:
        if wanted in {normalize_header(n) for n in (column.name, column.zh, *column.aliases)}:
            return column.name
    return None


def _column_names(sheet: Sheet) -> list[str]:
    return [n for c in sheet.columns for n in (c.name, c.zh)]


def _sheet_names() -> list[str]:
    return [n for s in SHEETS.values() for n in (s.name, *s.file_names)]


def _did_you_mean(name: str, choices: list[str]) -> str:
    from ..suggest import did_you_mean

    return did_you_mean(name, set(choices))
